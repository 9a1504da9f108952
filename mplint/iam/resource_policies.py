"""Resource-based policies the stack declares, judged together with the deploying identity's, as AWS does.

IAM User Guide, "Policy evaluation logic" (same account): an explicit Deny in any policy wins; otherwise
either the identity-based or the resource-based policy may allow. AWS KMS Developer Guide, "Key
policies": a key policy is always consulted, and IAM policies count only when it allows the account
(`arn:aws:iam::ACCOUNT:root`, which the default key policy does): without that, only a statement of the
key policy that names the principal allows. A role's trust policy decides whether the service it is
passed to may assume it.

The stack declares such a policy with an `AWS::KMS::Key` (`KeyPolicy`; a key declared without one gets
the default key policy), an `AWS::S3::BucketPolicy` (`PolicyDocument`), or an `AWS::IAM::Role`
(`AssumeRolePolicyDocument`), or with the native provider's calls that do the same (CreateKey's `Policy`,
PutKeyPolicy, PutBucketPolicy, CreateRole, UpdateAssumeRolePolicy; CreateBucket names a bucket). A
property that names the resource through one of its exports (or `{{ resource.export }}`), a bucket or role
name links a requirement to it: a literal one, or one that renders to the same text with `*` for the
template it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from msgspec import Struct, structs

from mplint.findings import Span
from mplint.iam import arns
from mplint.iam.conditions import Lookup
from mplint.iam.evaluator import CompiledPolicy, Evaluator, Request, StatementMatch, Strength, Verdict, decide
from mplint.iam.requirements import Requirement, ResourceNeeds
from mplint.model.manifest import Manifest, Resource
from mplint.model.policy import ConditionEntry, PolicyDocument, PolicyFile, PolicyKind, Principal
from mplint.stackql.binding import Binding, PropertyValue
from mplint.stackql.scope import query_scope
from mplint.stackql.templates import analyse, is_template

if TYPE_CHECKING:
    from mplint.stackql.calls import Call

KEY = "kms-key"
BUCKET = "s3-bucket"
ROLE = "iam-role"
_WHAT = {KEY: "the KMS key policy", BUCKET: "the bucket policy", ROLE: "the trust policy"}
POLICY_PROPERTIES = {
    "AWS::KMS::Key": ("KeyPolicy", "Policy"),
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Policy"),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
}
KINDS = {"AWS::KMS::Key": KEY, "AWS::S3::BucketPolicy": BUCKET, "AWS::S3::Bucket": BUCKET, "AWS::IAM::Role": ROLE}
NAME_PROPERTIES = {"AWS::S3::BucketPolicy": "Bucket", "AWS::S3::Bucket": "BucketName", "AWS::IAM::Role": "RoleName"}
MIN_KNOWN = 3  # literal characters a partly templated name needs to be matched by its text
NATIVE_OPERATIONS = {  # native provider operation -> (what it declares, its policy member, its name member)
    "CreateKey": (KEY, "Policy", None),
    "PutKeyPolicy": (KEY, "Policy", None),
    "CreateBucket": (BUCKET, None, "Bucket"),
    "PutBucketPolicy": (BUCKET, "Policy", "Bucket"),
    "CreateRole": (ROLE, "AssumeRolePolicyDocument", "RoleName"),
    "UpdateAssumeRolePolicy": (ROLE, "PolicyDocument", "RoleName"),
}


class Declared(Struct, frozen=True):
    """A KMS key, bucket or role the stack declares, with the policy AWS consults for it."""

    kind: str
    resource: Resource
    policy: PolicyFile | None  # None: a bucket without a bucket policy in the stack (none to consult)
    default: bool = False  # a key declared without KeyPolicy: the default key policy

    @property
    def label(self) -> str:
        return f"{_WHAT[self.kind]} of `{self.resource.name}`" + (" (the default key policy)" if self.default else "")

    @property
    def span(self) -> Span:
        if self.policy is not None and not self.default:
            return self.policy.document.span
        return self.resource.anchor_span


class StackPolicies(Struct):
    """The resource policies one stack declares, and how to find the one a requirement meets."""

    by_resource: dict[str, Declared]  # manifest resource name -> what it declares
    exports: dict[str, str]  # export name -> manifest resource name
    by_name: dict[tuple[str, str], str]  # (kind, bucket or role name) -> manifest resource name

    @classmethod
    def of(cls, bindings: list[Binding], manifest: Manifest, calls: Iterable[Call] = ()) -> StackPolicies:
        out = cls({}, {}, {})
        out._native(calls, manifest)
        for binding in bindings:
            kind = KINDS.get(binding.cfn_type or "")
            name = binding.resource.name
            if kind is None or not name:
                continue
            declared = _declared(binding, manifest, kind)
            if declared is not None and (kind != BUCKET or declared.policy is not None or name not in out.by_resource):
                out.by_resource.setdefault(name, declared)
                if declared.policy is not None:
                    out.by_resource[name] = declared
            for export, _ in binding.resource.exports:
                out.exports[export] = name
            literal = _literal(binding, NAME_PROPERTIES.get(binding.cfn_type or ""), manifest)
            if literal:
                key = (kind, literal)
                if kind == BUCKET and binding.cfn_type == "AWS::S3::Bucket" and key in out.by_name:
                    continue  # a bucket policy for the bucket wins over the bucket itself
                out.by_name[key] = name
        return out

    def _native(self, calls: Iterable[Call], manifest: Manifest) -> None:
        """What the native provider's calls declare: a key created with its Policy (else the default key
        policy), a bucket policy put, a role created with its trust policy; a bucket or role by its name."""
        for call in calls:
            method = call.method
            found = NATIVE_OPERATIONS.get(method.op) if method is not None else None
            name = call.resource.name
            if found is None or not name:
                continue
            kind, policy_member, name_member = found
            values, resource = _member_values(call, policy_member), call.resource
            if values:
                self.by_resource[name] = Declared(kind, resource, _policy(kind, resource, values[0], manifest))
            elif kind == KEY and method.op == "CreateKey":
                self.by_resource.setdefault(name, Declared(kind, resource, _default_key_policy(resource), True))
            elif kind == BUCKET:
                self.by_resource.setdefault(name, Declared(kind, resource, None))
            literal = _literal_of(_member_values(call, name_member), call.resource, manifest)
            if literal and ((kind, literal) not in self.by_name or values):
                self.by_name[(kind, literal)] = name

    def find(self, requirement: Requirement, needs: ResourceNeeds, text: str | None) -> Declared | None:
        """The declared resource a requirement acts on: the resource itself, one its property names through an
        export or by name, else None."""
        kind = _kind_of(requirement)
        if kind is None:
            return None
        own = self.by_resource.get(needs.resource.name or "")
        if own is not None and own.kind == kind and needs.binding.cfn_type in ("AWS::KMS::Key", "AWS::IAM::Role"):
            return own
        if text:
            for name in _referenced(text):
                target = self.exports.get(name, name)
                declared = self.by_resource.get(target)
                if declared is not None and declared.kind == kind:
                    return declared
        literal = _name_in_arn(requirement.arn, kind)
        target = self.by_name.get((kind, literal)) if literal else None
        declared = self.by_resource.get(target) if target else None
        return declared if declared is not None and declared.kind == kind else None


def policy_kind(requirement: Requirement) -> str | None:
    """Which resource policy AWS also consults for the requirement: a key's, a bucket's, a passed role's."""
    return _kind_of(requirement)


def bucket_of(arn: str) -> str | None:
    """The bucket an S3 ARN names (None when it is not an S3 ARN)."""
    parsed = arns.parse_arn(arn)
    return parsed.resource.split("/", 1)[0] if parsed is not None and parsed.service == "s3" else None


def _kind_of(requirement: Requirement) -> str | None:
    service = requirement.action.partition(":")[0].lower()
    if service == "kms" and requirement.action.lower() not in ("kms:createkey", "kms:listkeys", "kms:listaliases"):
        return KEY
    if service == "s3":
        return BUCKET
    if requirement.action.lower() == "iam:passrole":
        return ROLE
    return None


def _name_in_arn(arn: str, kind: str) -> str | None:
    parsed = arns.parse_arn(arn)
    if parsed is None:
        return None
    if kind == BUCKET and parsed.service == "s3":
        return _named(parsed.resource.split("/", 1)[0])
    if kind == ROLE and parsed.resource.startswith("role/"):
        return _named(parsed.resource.rsplit("/", 1)[-1])
    return None


def _named(name: str) -> str | None:
    """A bucket or role name, `*` where a template hides a part (`acme-ml-artifacts-*`, the same text the
    declaring resource's name renders to); None when too little of it is known to tell it from others."""
    return name if len(name.replace(arns.UNKNOWN, "")) >= MIN_KNOWN else None


def _referenced(text: str) -> list[str]:
    """The names a template reads: `{{ key_arn }}` -> key_arn, `{{ kms_key.arn }}` -> kms_key."""
    if not is_template(text):
        return []
    info = analyse(text)
    return [*sorted(info.names), *(name for name, _ in info.attributes)]


def _literal(binding: Binding, prop: str | None, manifest: Manifest) -> str | None:
    if prop is None:
        return None
    return _literal_of([pv for pv in binding.values if pv.property == prop], binding.resource, manifest)


def _member_values(call: Call, member: str | None) -> list[PropertyValue]:
    """What a native call gives the member (by its wire name, in any case: `bucket` for `Bucket`)."""
    if member is None:
        return []
    wanted = member.lower()
    named = [arg for arg in call.args if (arg.member.name if arg.member else arg.name).lower() == wanted]
    return [pv for arg in named for pv in arg.values]


def _literal_of(values: list[PropertyValue], resource: Resource, manifest: Manifest) -> str | None:
    if not values:
        return None
    resolve = arns.scope_resolver(query_scope(manifest, resource))
    texts = {arns.text_of(pv.value, resolve) for pv in values}
    texts.discard(None)
    if len(texts) != 1:
        return None
    rendered = texts.pop()
    return _named(rendered.text) if rendered else None


def _declared(binding: Binding, manifest: Manifest, kind: str) -> Declared | None:
    properties = POLICY_PROPERTIES.get(binding.cfn_type or "")
    values = [pv for pv in binding.values if properties and pv.property in properties]
    if not values:
        if binding.cfn_type == "AWS::KMS::Key":
            return Declared(kind, binding.resource, _default_key_policy(binding.resource), default=True)
        return Declared(kind, binding.resource, None) if kind == BUCKET else None
    return Declared(kind, binding.resource, _policy(kind, binding.resource, values[0], manifest))


def _policy(kind: str, resource: Resource, value: PropertyValue, manifest: Manifest) -> PolicyFile:
    document = PolicyDocument.from_value(value.node)
    document = _rendered(document, arns.scope_resolver(query_scope(manifest, resource)))
    return PolicyFile(f"{_WHAT[kind]} of `{resource.name}`", PolicyKind.RESOURCE, document)


def _default_key_policy(resource: Resource) -> PolicyFile:
    """KMS attaches the default key policy: the account may use IAM policies to allow every kms action."""
    from mplint.model.policy import policy_from_text

    text = (
        '{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", '
        '"Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"}, "Action": "kms:*", "Resource": "*"}]}'
    )
    name = f"the default key policy of `{resource.name}`"
    return policy_from_text(text, name, PolicyKind.RESOURCE)


def _rendered(document: PolicyDocument, resolve: Any) -> PolicyDocument:
    """Principals with the manifest's templates filled where they are known (`*` where not)."""
    for stmt in document.statements:
        for attr in ("principals", "not_principals"):
            found = getattr(stmt, attr)
            if found:
                setattr(stmt, attr, tuple(_render_principal(p, resolve) for p in found))
    return document


def _render_principal(principal: Principal, resolve: Any) -> Principal:
    if not is_template(principal.value):
        return principal
    return structs.replace(principal, value=arns.render(principal.value, resolve).text)


# ---------------------------------------------------------------------------
# Judging


class Caller(Struct, frozen=True):
    """The deploying principal as far as config tells: its ARN (None: not known) and account."""

    arn: str | None
    account: str | None


def who(principal: Principal, caller: Caller) -> str:
    """Whom a principal of a resource policy names, seen from the caller: `caller` (it, or everyone),
    `account` (the caller's account root: IAM policies decide), `unknown`, or `other`."""
    if principal.kind == "*" or (principal.kind == "AWS" and principal.value == "*"):
        return "caller"
    if principal.kind != "AWS":
        return "other"
    value = principal.value
    account = value if value.isdigit() else None
    parsed = arns.parse_arn(value)
    if parsed is not None and parsed.service == "iam" and parsed.resource == "root":
        account = parsed.account
    if account is not None:
        if caller.account is None or arns.UNKNOWN in account:
            return "unknown"
        return "account" if account == caller.account else "other"
    if caller.arn is None or arns.UNKNOWN in value:
        return "unknown"
    return "caller" if value == caller.arn else "other"


def judge(
    evaluator: Evaluator, request: Request, context: Lookup, declared: Declared, caller: Caller
) -> tuple[Verdict, bool]:
    """The verdict with the resource policy taken in, and whether the key policy lets IAM policies count."""
    sides = evaluator.sides(request, context)
    if declared.policy is None:
        return decide(request, sides), True
    policy = declared.policy
    if declared.default:
        policy = _for_account(policy, caller.account)
    matches = CompiledPolicy.compile(policy).matches(request, context)
    identity = sides[0]
    direct: list[StatementMatch] = []
    delegation = Strength.NONE
    for match in matches:
        reach = _reach(match, caller)
        if reach == "other":
            continue
        if reach == "unknown":
            test = _principal_test(match)
            match = structs.replace(
                match,
                strength=min(match.strength, Strength.CONDITIONAL),
                open=(*match.open, test),
                keys=(*match.keys, test.key),
            )
        if match.effect == "Deny":
            identity.denies.append(match)
        elif reach == "account":
            delegation = max(delegation, match.strength)
        else:
            direct.append(match)
    delegates = declared.kind != KEY or delegation is not Strength.NONE
    if declared.kind == KEY:
        identity.allows = [
            structs.replace(m, strength=min(m.strength, delegation))
            for m in identity.allows
            if delegation is not Strength.NONE
        ]
    identity.allows += direct
    return decide(request, sides), delegates


def _principal_test(match: StatementMatch) -> ConditionEntry:
    """The principal a statement names, as the test it puts on the request (for messages)."""
    stmt = match.statement
    principals = stmt.principals if stmt.principals is not None else stmt.not_principals or ()
    values = tuple(p.value for p in principals if p.kind == "AWS")
    span = principals[0].span if principals else stmt.span
    accounts = all(v.isdigit() or v.endswith(":root") for v in values)
    key = "aws:PrincipalAccount" if accounts else "aws:PrincipalArn"
    shown = tuple(v.split(":")[4] if v.endswith(":root") else v for v in values) if accounts else values
    operator = "StringEquals" if accounts else "ArnEquals"
    if stmt.principals is None:
        operator = "StringNotEquals" if accounts else "ArnNotEquals"
    return ConditionEntry(operator, key, shown, span)


def _reach(match: StatementMatch, caller: Caller) -> str:
    stmt = match.statement
    if stmt.principals is not None:
        seen = {who(p, caller) for p in stmt.principals}
        for reach in ("caller", "account", "unknown"):
            if reach in seen:
                return reach
        return "other"
    if stmt.not_principals is not None:  # everyone but those listed
        seen = {who(p, caller) for p in stmt.not_principals}
        if "caller" in seen or "account" in seen:
            return "other"
        return "unknown" if "unknown" in seen else "caller"
    return "other"  # a resource policy statement without a principal applies to no one


def _for_account(policy: PolicyFile, account: str | None) -> PolicyFile:
    for stmt in policy.document.statements:
        if stmt.principals:
            stmt.principals = tuple(
                structs.replace(p, value=p.value.replace("ACCOUNT", account or arns.UNKNOWN)) for p in stmt.principals
            )
    return policy


def trust_allows(declared: Declared, service: str) -> bool | None:
    """Does the role's trust policy let the service assume it? None: cannot tell (conditions, templates)."""
    if declared.policy is None:
        return None
    allowed = False
    unsure = False
    for stmt in declared.policy.document.statements:
        actions = [p.value.lower() for p in stmt.action_patterns]
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions) or stmt.negated_action:
            continue
        services = [p.value for p in stmt.principals or () if p.kind in ("Service", "*")]
        if not any(s in ("*", service) or arns.UNKNOWN in s for s in services):
            continue
        if stmt.effect == "Deny" and not stmt.conditions:
            return False
        if stmt.effect == "Allow":
            allowed = True
            unsure = unsure or bool(stmt.conditions) or any(arns.UNKNOWN in s for s in services)
    if allowed:
        return None if unsure else True
    return False


def value_text(binding: Binding, path: str) -> str | None:
    """The raw text of the value at a property path (`SecurityConfig.KmsKeyId`), templates unrendered."""
    head, *rest = _path_parts(path)
    for pv in binding.values:
        if pv.property != head:
            continue
        value: Any = pv.value
        for part in rest:
            if isinstance(part, int) and isinstance(value, list) and part < len(value):
                value = value[part]
            elif isinstance(part, str) and isinstance(value, dict):
                value = value.get(part)
            else:
                value = None
                break
        if isinstance(value, str):
            return value
    return None


def _path_parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            out.append(name)
        out += [int(i) for i in indexes if i.isdigit()]
    return out
