"""MPL4xx, mplint's own policy rules: each policy read is checked for its own quality.

Structure (MPL401-MPL406) comes from the policy model's `problems`; actions and resources are checked
against the bundled ActionCatalog (MPL410, MPL411, MPL413); grants (MPL420-MPL424) are judged for
identity policies only, since a boundary or an SCP that allows `*` grants nothing by itself.

The helpers named without a leading underscore are also used by `mplint.checks.parliament`, to tell
which of parliament's findings these rules already report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from mplint.catalog.actions import ActionCatalog, get_catalog, has_wildcard
from mplint.context import Context
from mplint.findings import Finding, Notification, Related, Span
from mplint.iam.wildcard import ANY, LIT, SEG, Glob, compile_arn, compile_request_arn, match_action
from mplint.model.policy import Pattern, PolicyDocument, PolicyFile, PolicyKind, Statement

MALFORMED, BAD_VERSION, NO_VERSION, OLD_VERSION, DUPLICATE_SID, BAD_SID = (
    "MPL401", "MPL402", "MPL403", "MPL404", "MPL405", "MPL406",
)  # fmt: skip
UNKNOWN_ACTION, RESOURCE_MISMATCH, INVALID_ARN = "MPL410", "MPL411", "MPL413"
ALLOW_ALL, ALLOW_NOT_ACTION, PASS_ROLE_ANY, PRIVILEGE_ESCALATION, WILDCARD_ACTION = (
    "MPL420", "MPL421", "MPL422", "MPL423", "MPL424",
)  # fmt: skip

# Model problem codes that are not MPL401 (malformed policy); every other code is.
PROBLEM_RULES = {"bad-version": BAD_VERSION, "no-version": NO_VERSION, "empty": "MPL004"}
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})
ACCESS_ORDER = ("List", "Read", "Write", "Tagging", "Permissions management")
SID_RE = re.compile(r"[0-9A-Za-z]*")
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_WILD = re.compile(r"[*?$]")
_UNIVERSAL_ACTIONS = ("*", "*:*")

# Privilege escalation: each method is a set of actions that together let an identity gain more
# privileges (Rhino Security Labs and Bishop Fox's catalogues; the names are parliament's, so its
# community auditor's findings can be matched to these).
ESCALATIONS: dict[str, tuple[str, ...]] = {
    "CreateAccessKey": ("iam:CreateAccessKey",),
    "CreateLoginProfile": ("iam:CreateLoginProfile",),
    "UpdateLoginProfile": ("iam:UpdateLoginProfile",),
    "CreateNewPolicyVersion": ("iam:CreatePolicyVersion",),
    "SetExistingDefaultPolicyVersion": ("iam:SetDefaultPolicyVersion",),
    "AttachUserPolicy": ("iam:AttachUserPolicy",),
    "AttachGroupPolicy": ("iam:AttachGroupPolicy",),
    "AttachRolePolicy": ("iam:AttachRolePolicy", "sts:AssumeRole"),
    "PutUserPolicy": ("iam:PutUserPolicy",),
    "PutGroupPolicy": ("iam:PutGroupPolicy",),
    "PutRolePolicy": ("iam:PutRolePolicy", "sts:AssumeRole"),
    "AddUserToGroup": ("iam:AddUserToGroup",),
    "UpdateRolePolicyToAssumeIt": ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    "CreateEC2WithExistingIP": ("iam:PassRole", "ec2:RunInstances"),
    "PassExistingRoleToNewLambdaThenInvoke": ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo": (
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
        "dynamodb:CreateTable",
        "dynamodb:PutItem",
    ),
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo": (
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
    ),
    "PassExistingRoleToNewGlueDevEndpoint": ("iam:PassRole", "glue:CreateDevEndpoint"),
    "PassExistingRoleToCloudFormation": ("iam:PassRole", "cloudformation:CreateStack"),
    "PassExistingRoleToNewDataPipeline": ("iam:PassRole", "datapipeline:CreatePipeline"),
    "PassExistingRoleToNewSageMakerNotebook": (
        "iam:PassRole",
        "sagemaker:CreateNotebookInstance",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
    ),
    "PassExistingRoleToNewSageMakerTrainingJob": ("iam:PassRole", "sagemaker:CreateTrainingJob"),
    "PassExistingRoleToNewSageMakerProcessingJob": ("iam:PassRole", "sagemaker:CreateProcessingJob"),
    "PassExistingRoleToNewCodeBuildProject": ("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"),
    "UpdateExistingGlueDevEndpoint": ("glue:UpdateDevEndpoint",),
    "EditExistingLambdaFunctionWithRole": ("lambda:UpdateFunctionCode",),
}

_ESCALATION_SERVICES = frozenset(a.partition(":")[0] for actions in ESCALATIONS.values() for a in actions)

Needs = Callable[[], "frozenset[str] | None"]


def catalog() -> ActionCatalog:
    """The action catalog, loaded once per process."""
    return get_catalog()


def check(ctx: Context) -> Iterator[Finding | Notification]:
    needs = _StackNeeds(ctx)
    identities = {id(p) for identity in ctx.project.identities.values() for p in identity.policies}
    for policy in ctx.project.policies:
        yield from policy_findings(policy, needs if id(policy) in identities else _no_needs)
    yield from needs.notes


def policy_findings(policy: PolicyFile, needs: Needs | None = None) -> Iterator[Finding]:
    """Every finding of mplint's own rules on one policy; `needs` tells what the stacks need (MPL424)."""
    needs = needs or _no_needs
    doc = policy.document
    yield from _problems(doc)
    yield from _old_version(doc)
    yield from _sids(doc)
    grants = policy.kind is PolicyKind.IDENTITY
    admin = False
    for stmt in doc.statements:
        yield from _unknown_actions(stmt)
        yield from _resources(stmt)
        if grants and stmt.effect == "Allow":
            found = list(_grants(stmt, needs))
            admin = admin or any(f.rule_id == ALLOW_ALL for f in found)
            yield from found
    if grants and not admin:
        yield from {id(f): f for f in escalation_findings(policy).values()}.values()


# ---------------------------------------------------------------------------
# Structure


def problem_rule(code: str) -> str:
    return PROBLEM_RULES.get(code, MALFORMED)


def _problems(doc: PolicyDocument) -> Iterator[Finding]:
    for problem in doc.problems:
        yield Finding(problem_rule(problem.code), problem.message, problem.span, properties={"code": problem.code})


def is_old_version(doc: PolicyDocument) -> bool:
    return doc.version == "2008-10-17"


def _old_version(doc: PolicyDocument) -> Iterator[Finding]:
    if is_old_version(doc) and doc.version_span is not None:
        message = "Version 2008-10-17: policy variables such as `${aws:username}` are literal text; use 2012-10-17"
        yield Finding(OLD_VERSION, message, doc.version_span)


def invalid_sid(sid: str) -> bool:
    return SID_RE.fullmatch(sid) is None


def duplicate_sids(doc: PolicyDocument) -> list[tuple[Statement, Statement]]:
    """(first, later) for every statement whose Sid an earlier statement already has."""
    first: dict[str, Statement] = {}
    out = []
    for stmt in doc.statements:
        if stmt.sid is None:
            continue
        if stmt.sid in first:
            out.append((first[stmt.sid], stmt))
        else:
            first[stmt.sid] = stmt
    return out


def _sids(doc: PolicyDocument) -> Iterator[Finding]:
    for stmt in doc.statements:
        if stmt.sid is not None and stmt.sid_span is not None and invalid_sid(stmt.sid):
            message = f"Sid {stmt.sid!r} has characters other than ASCII letters and digits"
            yield Finding(BAD_SID, message, stmt.sid_span)
    for first, later in duplicate_sids(doc):
        span = later.sid_span or later.span
        related = (Related(first.sid_span or first.span, "first used here"),)
        yield Finding(DUPLICATE_SID, f"Sid {later.sid!r} is used by more than one statement", span, related=related)


# ---------------------------------------------------------------------------
# Actions


@lru_cache(maxsize=16384)
def unknown_action(value: str) -> str | None:
    """Why an action pattern names no action of the catalog (with the closest real names), or None."""
    text = value.strip()
    if text in _UNIVERSAL_ACTIONS or ":" not in text:  # without a colon: a malformed-policy problem
        return None
    cat = catalog()
    if cat.matches_any(text):
        return None
    prefix = text.partition(":")[0].lower()
    if not has_wildcard(prefix) and cat.service(prefix) is None:
        return f"unknown service prefix `{prefix}` in `{text}`{_hint(cat.closest(text))}"
    if has_wildcard(text):
        return f"`{text}` matches no action of the IAM action catalog"
    return f"unknown action `{text}`{_hint(cat.closest(text))}"


def _hint(names: list[str]) -> str:
    if not names:
        return ""
    return f" (did you mean `{names[0]}`?)"


def _unknown_actions(stmt: Statement) -> Iterator[Finding]:
    for pattern in stmt.action_patterns:
        message = unknown_action(pattern.value)
        if message is not None:
            yield Finding(UNKNOWN_ACTION, message, pattern.span, key_path=("Statement", stmt.index))


@lru_cache(maxsize=8192)
def expand(pattern: str) -> tuple[str, ...]:
    """The catalog actions an action pattern matches."""
    text = pattern.strip()
    if not has_wildcard(text):
        info = catalog().action(text)
        return (info.full_name,) if info else ()
    return tuple(catalog().expand(text))


def _is_universal_action(value: str) -> bool:
    text = value.strip()
    return text == "*:*" or (bool(text) and set(text) <= {"*"})


# ---------------------------------------------------------------------------
# Resources


def arn_segments(text: str) -> tuple[str, ...] | None:
    """The six parts of an ARN pattern or template, policy variables and `${...}` placeholders as `*`.
    A pattern with fewer parts whose last part ends in `*` has that `*` run on over the missing parts.
    None when the text is not an ARN."""
    text = _VARIABLE.sub("*", text)
    if not text.startswith("arn:"):
        return None
    parts = text.split(":", 5)
    if len(parts) < 6:
        if not parts[-1].endswith("*"):
            return None
        parts += ["*"] * (6 - len(parts))
    return tuple(parts)


@lru_cache(maxsize=16384)
def arn_problem(value: str) -> str | None:
    """Why a Resource pattern is not a usable ARN, or None."""
    text = _VARIABLE.sub("*", value)
    if set(text) <= {"*"}:
        return None
    if not text.startswith("arn:"):
        return "is not an ARN: a Resource is `*` or `arn:partition:service:region:account:resource`"
    parts = text.split(":", 5)
    if len(parts) < 6:
        return f"has {len(parts)} of the 6 parts of an ARN (`arn:partition:service:region:account:resource`)"
    if parts[1] and not has_wildcard(parts[1]) and parts[1] not in PARTITIONS:
        return f"has an unknown partition `{parts[1]}`"
    return None


def _resources(stmt: Statement) -> Iterator[Finding]:
    for pattern in stmt.resource_patterns:
        reason = arn_problem(pattern.value)
        if reason is not None:
            yield Finding(INVALID_ARN, f"`{pattern.value}` {reason}", pattern.span, key_path=("Statement", stmt.index))
    for pattern in mismatched_patterns(stmt):
        related = tuple(Related(r.span, "the statement's Resource") for r in stmt.resources or ())
        yield Finding(RESOURCE_MISMATCH, _mismatch_message(pattern.value), pattern.span, related=related[:3])


@dataclass(frozen=True, slots=True)
class _Applies:
    """What an action pattern can apply to: Resource `*` (an action without resource types), ARN templates."""

    star: bool
    templates: tuple[str, ...]
    types: tuple[str, ...]  # resource type names, for messages
    unknowable: bool  # an action with resource types but no ARN template


@lru_cache(maxsize=8192)
def _applies(pattern: str) -> _Applies:
    cat = catalog()
    star = unknowable = False
    templates: dict[str, None] = {}
    types: dict[str, None] = {}
    for name in expand(pattern):
        info = cat.action(name)
        if info is None:
            continue
        if not info.resource_types:
            star = True
        for rt in info.resource_types:
            if rt.arn:
                templates[rt.arn] = None
                types[rt.name] = None
            else:
                unknowable = True
    return _Applies(star, tuple(templates), tuple(types), unknowable)


def mismatched_patterns(stmt: Statement) -> list[Pattern]:
    """The Action patterns of a statement that cannot apply to any of its Resource patterns."""
    if not stmt.actions or not stmt.resources:
        return []
    resources = tuple(p.value for p in stmt.resources)
    if any(arn_problem(r) is not None or set(r) <= {"*"} for r in resources):
        return []
    return [
        p for p in stmt.actions
        if not _is_universal_action(p.value) and unknown_action(p.value) is None and not can_apply(p.value, resources)
    ]  # fmt: skip


@lru_cache(maxsize=16384)
def can_apply(pattern: str, resources: tuple[str, ...]) -> bool:
    """Can some action of the pattern apply to some of the resources?"""
    applies = _applies(pattern.strip().lower())
    if applies.unknowable or not (applies.star or applies.templates):
        return True
    if applies.star and any(compile_arn(r).matches("*") for r in resources):
        return True
    return any(can_match(r, t) for r in resources for t in applies.templates)


@lru_cache(maxsize=65536)
def can_match(resource: str, template: str) -> bool:
    """Can an ARN pattern (IAM's wildcard rules) name a resource of an ARN template? A bucket name holds
    no `/`."""
    got, want = _VARIABLE.sub("*", resource).split(":", 5), _VARIABLE.sub("*", template).split(":", 5)
    if template.endswith(":::${BucketName}") and len(got) == 6 and "/" in got[5]:
        return False
    if _literally_apart(got, want):
        return False
    return compile_arn(resource, True).overlaps(_template_glob(template))


def _literally_apart(got: list[str], want: list[str]) -> bool:
    """A quick no: literal partition, service, region or account parts that differ, or resource parts whose
    literal beginnings differ, before any `*` of the pattern that could run across colons."""
    if len(got) < 6 or len(want) < 6:
        return False
    for a, b in zip(got[1:5], want[1:5], strict=True):
        if _WILD.search(a):
            if a.endswith("*"):
                return False  # runs on over the later parts
            continue
        if not _WILD.search(b) and a != b:
            return True
    head_a, head_b = _WILD.split(got[5], 1)[0], _WILD.split(want[5], 1)[0]
    return not (head_a.startswith(head_b) or head_b.startswith(head_a))


@lru_cache(maxsize=8192)
def _template_glob(template: str) -> Glob:
    """An ARN template as a pattern: a placeholder in the partition, service, region or account part
    stands for text without colons; one in the resource part for any text."""
    tokens: list[tuple[int, str]] = []
    colons = 0
    for piece in re.split(r"(\$\{[^}]*\})", template):
        if piece.startswith("${"):
            tokens.append((ANY, "") if colons >= 5 else (SEG, ""))
            continue
        for ch in piece:
            tokens.append((LIT, ch))
            colons += ch == ":"
    return Glob.of(template, tuple(tokens), False)


def _mismatch_message(pattern: str) -> str:
    applies = _applies(pattern.strip().lower())
    names = expand(pattern)
    if len(applies.templates) == 1:
        takes = f"`{applies.templates[0]}`"
    else:
        takes = f"a resource of type {' or '.join(applies.types[:4])}" + (" ..." if len(applies.types) > 4 else "")
    if applies.star:
        takes = f"{takes} or `*`" if applies.templates else "only `*`"
    head = f"`{pattern}` does not apply"
    if len(names) > 1:
        head = f"none of the {len(names)} actions of `{pattern}` applies"
    return f"{head} to the Resource of this statement (it takes {takes}): the grant does nothing"


# ---------------------------------------------------------------------------
# Grants (identity policies, Allow statements)


def _grants(stmt: Statement, needs: Needs) -> Iterator[Finding]:
    admin = _allow_all(stmt)
    if admin is not None:
        yield admin
        return
    if stmt.negated_action:
        yield _not_action(stmt)
    yield from _pass_role(stmt)
    yield from _wildcards(stmt, needs)


def allows_everything(policy: PolicyFile) -> bool:
    return any(stmt.effect == "Allow" and _allow_all(stmt) is not None for stmt in policy.document.statements)


def _allow_all(stmt: Statement) -> Finding | None:
    actions = [p for p in stmt.actions or () if _is_universal_action(p.value)]
    resources = [p for p in stmt.resources or () if set(p.value) <= {"*"}]
    if not actions or not resources:
        return None
    condition = " (under a Condition)" if stmt.conditions else ""
    message = f"{stmt.label} allows every action on every resource{condition}: full administrator access"
    related = (Related(resources[0].span, "on every resource"),)
    return Finding(ALLOW_ALL, message, actions[0].span, related=related, key_path=("Statement", stmt.index))


def _not_action(stmt: Statement) -> Finding:
    listed = stmt.not_actions or ()
    where = "every resource" if any(set(p.value) <= {"*"} for p in stmt.resources or ()) else "its resources"
    message = (
        f"Allow with NotAction grants every action except the {len(listed)} listed, on {where}, "
        "including actions AWS adds later; list the actions to allow instead"
    )
    span = listed[0].span if listed else stmt.span
    return Finding(ALLOW_NOT_ACTION, message, span, key_path=("Statement", stmt.index))


def _pass_role(stmt: Statement) -> Iterator[Finding]:
    actions = [
        p for p in stmt.actions or () if _may_name_iam(p.value) and match_action(p.value.strip(), "iam:PassRole")
    ]
    if not actions or any(c.key.lower() == "iam:passedtoservice" for c in stmt.conditions):
        return
    wide = [p for p in stmt.resources or () if _every_role(p.value)]
    if wide:
        message = (
            f"`{actions[0].value}` allows iam:PassRole on every role (`{wide[0].value}`) with no "
            "`iam:PassedToService` condition: any role can be handed to any service"
        )
        related = (Related(wide[0].span, "on these resources"),)
        yield Finding(PASS_ROLE_ANY, message, actions[0].span, related=related, key_path=("Statement", stmt.index))


def _may_name_iam(pattern: str) -> bool:
    prefix = pattern.strip().partition(":")[0].lower()
    return prefix == "iam" or has_wildcard(prefix)


def _every_role(value: str) -> bool:
    if set(value) <= {"*"}:
        return True
    parts = arn_segments(value)
    if parts is None or not compile_arn(parts[2]).matches("iam"):
        return False
    return compile_arn(parts[5]).covers(compile_request_arn("role/*"))


def _wildcards(stmt: Statement, needs: Needs) -> Iterator[Finding]:
    for pattern in stmt.actions or ():
        if not has_wildcard(pattern.value) or unknown_action(pattern.value) is not None:
            continue
        names = expand(pattern.value)
        message = _wildcard_message(pattern.value, names, needs())
        if message is not None:
            yield Finding(WILDCARD_ACTION, message, pattern.span, key_path=("Statement", stmt.index))


def _wildcard_message(pattern: str, names: tuple[str, ...], needed: frozenset[str] | None) -> str | None:
    head = f"`{pattern}` allows {len(names)} action{'s' if len(names) != 1 else ''} ({_levels(pattern)})"
    if needed is None:
        return f"{head}, and any that AWS adds later; list the actions needed instead"
    used = [n for n in names if n.lower() in needed]
    if len(used) == len(names):
        return None
    if not used:
        return f"{head}, none of which the stacks need"
    shown = ", ".join(used[:5]) + (" ..." if len(used) > 5 else "")
    return f"{head}; the stacks need {len(used)} of them: {shown}"


@lru_cache(maxsize=8192)
def _levels(pattern: str) -> str:
    """The actions of a pattern counted by access level: `3 List, 12 Read`."""
    cat = catalog()
    counts = Counter(info.access_level for n in expand(pattern) if (info := cat.action(n)) is not None)
    order = [level for level in ACCESS_ORDER if level in counts] + sorted(set(counts) - set(ACCESS_ORDER))
    return ", ".join(f"{counts[level]} {level}" for level in order)


class _StackNeeds:
    """The actions the stacks need (lower case), computed on first use; None when there is no stack."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.notes: list[Notification] = []
        self._value: frozenset[str] | None = None
        self._done = False

    def __call__(self) -> frozenset[str] | None:
        if not self._done:
            self._done = True
            try:
                self._value = self._compute()
            except Exception as exc:  # work in progress elsewhere must not cost the policy findings
                self.notes.append(Notification(f"stack needs unavailable for MPL424: {type(exc).__name__}: {exc}"))
        return self._value

    def _compute(self) -> frozenset[str] | None:
        stacks = [s for s in self.ctx.project.stacks if s.manifest is not None]
        if not stacks:
            return None
        from mplint.iam.requirements import stack_needs

        config, schema_of = self.ctx.config, self.ctx.schemas.schema
        actions: set[str] = set()
        for stack in stacks:
            assert stack.manifest is not None
            bindings = self.ctx.bindings(stack)
            for needs in stack_needs(
                bindings, stack.manifest, stack.queries, schema_of, config.commands, config.account
            ):
                actions.update(r.action.lower() for r in needs.needed)
        return frozenset(actions)


def _no_needs() -> None:
    return None


# ---------------------------------------------------------------------------
# Privilege escalation


class Grants:
    """Which actions one identity policy allows on some resource, and where."""

    def __init__(self, policy: PolicyFile) -> None:
        from mplint.iam.evaluator import Evaluator

        self.evaluator = Evaluator([policy])
        self._spans: dict[str, Span | None] = {}
        self._services = _allowed_services(policy)

    def span(self, action: str, resource: str | None = None) -> Span | None:
        """The action pattern (or statement) of the first Allow that grants the action, on the resource when
        one is given (an ARN pattern: `*` marks unknown parts), else on some resource. None: not granted."""
        key = f"{action.lower()} {resource}"
        if key not in self._spans:
            self._spans[key] = self._find(action, resource)
        return self._spans[key]

    def _find(self, action: str, resource: str | None) -> Span | None:
        from mplint.iam.evaluator import Decision, Request

        info = catalog().action(action)
        if info is None or (self._services is not None and info.service not in self._services):
            return None
        if resource is not None:
            requests = [Request(info.full_name, _VARIABLE.sub("*", resource))]
        else:
            requests = [Request(info.full_name, _VARIABLE.sub("*", rt.arn)) for rt in info.resource_types if rt.arn]
        for request in requests or [Request(info.full_name, "*", wildcard_only=True)]:
            verdict = self.evaluator.evaluate(request)
            if verdict.decision not in (Decision.DENIED, Decision.NOT_GRANTED):
                allow = next(m for m in verdict.allowed_by if m.effect == "Allow")
                return allow.action_span or allow.span
        return None


def _allowed_services(policy: PolicyFile) -> frozenset[str] | None:
    """The service prefixes that the policy's Allow statements name; None when any service may be allowed
    (NotAction, or a wildcard in a prefix)."""
    out: set[str] = set()
    for stmt in policy.document.statements:
        if stmt.effect != "Allow":
            continue
        if stmt.negated_action:
            return None
        for pattern in stmt.actions or ():
            prefix = pattern.value.strip().partition(":")[0].lower()
            if has_wildcard(prefix):
                return None
            out.add(prefix)
    return frozenset(out)


def escalations(policy: PolicyFile, grants: Grants | None = None) -> dict[str, list[Span]]:
    """Each escalation method the policy allows, with the spans granting its actions."""
    grants = grants or Grants(policy)
    out: dict[str, list[Span]] = {}
    for method, actions in ESCALATIONS.items():
        spans: list[Span] = []
        for action in actions:
            span = grants.span(action)
            if span is None:
                break
            spans.append(span)
        else:
            out[method] = spans
    return out


def escalation_findings(policy: PolicyFile) -> dict[str, Finding]:
    """One finding per place that grants the first action of one or more methods, by method name."""
    if not _may_escalate(policy):
        return {}
    by_anchor: dict[Span, list[tuple[str, list[Span]]]] = {}
    for method, spans in escalations(policy).items():
        by_anchor.setdefault(spans[0], []).append((method, spans))
    out: dict[str, Finding] = {}
    for anchor, methods in by_anchor.items():
        finding = _escalation_finding(anchor, methods)
        out.update((method, finding) for method, _ in methods)
    return out


def _may_escalate(policy: PolicyFile) -> bool:
    """A cheap pre-filter: may an Allow name a service that an escalation method uses?"""
    services = _allowed_services(policy)
    return services is None or not services.isdisjoint(_ESCALATION_SERVICES)


def _escalation_finding(anchor: Span, methods: list[tuple[str, list[Span]]]) -> Finding:
    described = "; ".join(f"{name} ({' + '.join(ESCALATIONS[name])})" for name, _ in methods)
    message = f"allows privilege escalation: {described}"
    seen = {anchor}
    related = []
    for _, spans in methods:
        for span in spans[1:]:
            if span not in seen:
                seen.add(span)
                related.append(Related(span, "also needed for the escalation"))
    props: dict[str, object] = {"methods": [name for name, _ in methods]}
    return Finding(PRIVILEGE_ESCALATION, message, anchor, related=tuple(related), properties=props)
