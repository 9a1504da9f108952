"""What a resource needs when its statements use the native `aws` provider: one API call per statement.

Each statement is routed once, by mplint.stackql.calls (`Context.calls`); the commands run the calls of the anchors
stackql-deploy runs for them. The method's operation is authorised as its IAM action (mplint.iam.native_actions)
on the resource the request names: the action's resource types from the IAM action catalog, their ARN templates
filled from the request's members. The member values add what rules/overlays/native.yaml says (a passed role, a
KMS key, S3 objects, tags), and the action's dependent actions that no rule claims are listed as not needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from msgspec import Struct
from msgspec.structs import replace

from mplint.catalog.actions import ActionCatalog, ActionInfo, get_catalog
from mplint.catalog.dependent import dependent_actions
from mplint.catalog.native import Method, NativeCatalog, Service
from mplint.catalog.native import Resource as NativeResource
from mplint.catalog.validator import Opaque
from mplint.findings import Span
from mplint.iam import arns
from mplint.iam.arns import Derived, Place, Rendered, Resolver
from mplint.iam.native_actions import OperationActions, operation_actions
from mplint.iam.native_overlays import (
    Member,
    MemberRule,
    NativeOverlays,
    load_native_overlays,
    members,
    value_matches,
)
from mplint.iam.requirements import (
    COMMANDS,
    Need,
    Origin,
    Requirement,
    ResourceNeeds,
    State,
    Trigger,
    command_anchors,
    find_place,
    path_text,
)
from mplint.model.manifest import Manifest, Resource
from mplint.source import find
from mplint.stackql.binding import Binding, PropertyValue
from mplint.stackql.calls import Call
from mplint.stackql.scope import query_scope

PLACE_PARTS = ("partition", "region", "account")
_VAR_RE = re.compile(r"\$\{(\w+)\}")
_VERB_RE = re.compile(r"^(Create|Put|Update|Delete|Add|Attach|Register|Start|Run|Tag)(?=[A-Z])")


class Invocation(Struct, eq=False):
    """One routed call as the permissions read it: each value named by the request member it reaches."""

    call: Call
    method: Method  # the method StackQL runs
    values: list[PropertyValue]  # every member value the statement passes, per environment

    @property
    def resource(self) -> NativeResource:
        assert self.call.native is not None
        return self.call.native

    @property
    def service(self) -> Service:
        return self.resource.service

    @property
    def verb(self) -> str:
        return self.call.verb

    @property
    def span(self) -> Span:
        return self.call.table.span


def invocation(call: Call) -> Invocation | None:
    """The call with its values named by member; None when StackQL runs no method for it (the native checks say
    why: an unknown resource or method, a required member missing)."""
    if call.native is None or call.method is None:
        return None
    values = [
        pv if arg.member is None or pv.property == arg.member.name else replace(pv, property=arg.member.name)
        for arg in call.args
        for pv in arg.values
    ]
    return Invocation(call, call.method, values)


# ---------------------------------------------------------------------------
# Building the requirements


class _NativeBuilder:
    def __init__(
        self,
        binding: Binding,
        place: Place,
        resolve: Resolver,
        catalog: ActionCatalog,
        overlays: NativeOverlays,
        native: NativeCatalog,
        created: Created,
    ) -> None:
        self.binding = binding
        self.place = place
        self.resolve = resolve
        self.catalog = catalog
        self.overlays = overlays
        self.native = native
        self.out: dict[tuple, Requirement] = {}
        self.created = created
        self._texts: dict[int, dict[str, Rendered]] = {}
        self._own: dict[int, dict[str, Rendered]] = {}
        self.role_rule = next((r for r in overlays.rules if r.id == "pass-role"), None)

    def add(self, action: str, target: tuple[Derived, bool], state: State, need: Need, span, **extra) -> Requirement:
        derived, wildcard = target
        key = (action.lower(), derived.arn, wildcard, state, extra.get("context", ()))
        req = self.out.get(key)
        if req is None:
            req = self.out[key] = Requirement(
                self.binding.resource, action, derived.arn, wildcard, state, span, unknown=derived.unknown, **extra
            )
        if need not in req.needs:
            req.needs.append(need)
        return req

    # -- one call ----------------------------------------------------------------------------------

    def call(self, command: str, call: Invocation) -> None:
        need = Need(command, call.method.name, Origin.NATIVE)
        derived = operation_actions(
            call.service.key,
            call.service.name,
            call.method.op,
            self.native.iam,
            self.catalog,
            call.method.http[0] if call.method.http else None,
        )
        mains: list[tuple[str, tuple[Derived, bool]]] = []  # each action's own resource: what tags go on
        for action in derived.actions:
            info = self.catalog.action(action)
            targets = self.targets(info, call)
            for target in targets:
                self.add(action, target, State.BASE, need, call.span, note=_note(derived))
            mains.append((action, self.main_target(info, call, targets)))
        claimed = self.members(command, call, need, mains, derived)
        self.unclaimed(derived, claimed, need, call)

    def targets(self, info: ActionInfo | None, call: Invocation) -> list[tuple[Derived, bool]]:
        """The resources an action of the call acts on: its ARN templates filled from the request."""
        if info is None:
            return [(Derived(arns.UNKNOWN, ("resource",)), False)]
        if not info.resource_types:
            return [(Derived(arns.UNKNOWN), True)]
        required = [rt for rt in info.resource_types if rt.required and rt.arn]
        if not required and info.access_level == "List":
            return [(Derived(arns.UNKNOWN), True)]
        values, own = self.texts(call), self.own_texts(call)
        chosen = list(required or _closest(info, call.resource.name))
        implied = self.overlays.implied.get(info.full_name.lower(), ())
        chosen += [
            rt
            for rt in info.resource_types
            if rt not in chosen and rt.arn and (rt.name in implied or _named(rt.arn, own))
        ]
        if not chosen:
            return [(Derived(arns.UNKNOWN, ("resource",)), False)]
        return [(self.fill(rt.arn, values, call.resource.id), False) for rt in chosen if rt.arn]

    def main_target(self, info: ActionInfo | None, call: Invocation, targets: list) -> tuple[Derived, bool]:
        """The target the call's own resource is (RunInstances: the instance, not the image it starts from), for
        the rules that act on `self` (tags set on create)."""
        closest = _closest(info, call.resource.name) if info is not None else []
        if closest and closest[0].arn:
            own = (self.fill(closest[0].arn, self.texts(call), call.resource.id), False)
            if own in targets:
                return own
        return targets[0]

    def texts(self, call: Invocation) -> dict[str, Rendered]:
        """Member -> its text. Members the call does not pass come from the INSERT in the stack that created the
        same resource (same service, same value of a member the method requires): a role's `Path`, which
        GetRole and AttachRolePolicy do not take, is part of its ARN."""
        cached = self._texts.get(id(call))
        if cached is None:
            out = self.own_texts(call)
            cached = self._texts[id(call)] = {**self.created.of(call, out), **out}
        return cached

    def own_texts(self, call: Invocation) -> dict[str, Rendered]:
        """Member -> its text, of the members the call passes: the resources the request names (IAM authorises
        it against each)."""
        cached = self._own.get(id(call))
        if cached is None:
            cached = self._own[id(call)] = member_texts(call, self.resolve)
        return cached

    def fill(self, template: str, values: dict[str, Rendered], resource_id: str = "") -> Derived:
        for rendered in values.values():  # a member holding this resource's own ARN names it best
            own = _own_arn(template, rendered)
            if own is not None:
                return self._placed(own)
        derived = self._filled(template, values)
        if any(u not in PLACE_PARTS for u in derived.unknown):
            for when, alternative in self.overlays.arns.get(resource_id, ()):
                if when in values and _same_kind(template, alternative):
                    return self._filled(alternative, values)
        return derived

    def _filled(self, template: str, values: dict[str, Rendered]) -> Derived:
        parts: dict[str, str | None] = dict(self.place.values())
        unknown: list[str] = []
        for var in _VAR_RE.findall(template):
            if var in parts:
                continue
            found = _member_for(var, values)
            parts[var] = found.text if found is not None else None
            if found is not None:
                unknown += found.unknown
        derived = arns.fill(template, parts)
        return Derived(derived.arn, tuple(dict.fromkeys((*derived.unknown, *unknown))))

    def _placed(self, derived: Derived) -> Derived:
        parsed = arns.parse_arn(derived.arn)
        if parsed is None:
            return derived
        region = self.place.region if parsed.region == arns.UNKNOWN and self.place.region else parsed.region
        account = self.place.account if parsed.account == arns.UNKNOWN and self.place.account else parsed.account
        arn = f"arn:{parsed.partition}:{parsed.service}:{region}:{account}:{parsed.resource}"
        return Derived(arn, derived.unknown)

    # -- what the member values add ----------------------------------------------------------------

    def members(self, command, call: Invocation, need: Need, mains, derived: OperationActions) -> set[str]:
        """Add what the rules find in the request; return the actions the applicable rules claim."""
        rules = [r for r in self.overlays.rules if r.applies(call.service.key, call.verb)]
        deps = _dependents(derived, self.catalog)
        claimed = {a.lower() for rule in rules for a in self.rule_actions(rule, call, deps)}
        top_role = self.role_rule is not None and any(
            self.role_rule.member(pv.property, None) and pv.value not in (None, "") for pv in call.values
        )
        for pv, member in self.request_members(call):
            for rule in rules:
                state = self.matched(rule, member, top_role)
                if state is None:
                    continue
                trigger = Trigger(rule.overlay, path_text(member.path), _span(pv, member.path), pv.key_span, pv.env)
                extra = {"trigger": trigger, "overlays": (rule.overlay,), "context": self.context(rule, call)}
                for action in self.rule_actions(rule, call, deps):
                    for target in self.rule_targets(rule, member.value, action, mains):
                        self.add(action, target, state, need, trigger.span, **extra)
        return claimed

    def request_members(self, call: Invocation) -> Iterator[tuple[PropertyValue, Member]]:
        for pv in call.values:
            param = call.method.param(pv.property)
            schema = param.schema if param is not None else None
            for member in members(pv.property, pv.value, schema, call.service.definitions, self.role_rule):
                yield pv, member

    def matched(self, rule: MemberRule, member: Member, top_role: bool) -> State | None:
        """The state a rule gives the member's need: PROPERTY for a value that matches, MAYBE for a value not
        known before deployment; None when the rule does not apply."""
        if not rule.member(member.name, member.shape):
            return None
        if rule.role_scoped and (member.role_above or top_role):
            return None  # a role passed beside it or around it does the work
        ok, known = value_matches(member.value, rule.match, self.resolve)
        if not ok or (not known and rule.value_driven):
            return None
        return State.PROPERTY if known else State.MAYBE

    def rule_actions(self, rule: MemberRule, call: Invocation, deps: list[ActionInfo]) -> list[str]:
        out: list[str] = []
        obj = _VERB_RE.sub("", call.method.op)
        for action in rule.actions:
            info = self.catalog.action(action.replace("${Object}", obj))
            if info is not None:
                out.append(info.full_name)
        if rule.dependents:
            wanted = rule.dependents
            for info in deps:
                if (wanted.endswith(":") and info.full_name.lower().startswith(wanted.lower())) or any(
                    level.strip() == wanted for level in info.access_level.split(",")
                ):
                    out.append(info.full_name)
        return list(dict.fromkeys(out))

    def rule_targets(self, rule: MemberRule, value, action: str, mains) -> list[tuple[Derived, bool]]:
        if rule.resource == "self":
            info = self.catalog.action(action)
            if info is not None and not info.resource_types:
                return [(Derived(arns.UNKNOWN), True)]
            own = [t for _, t in mains if not t[1]]
            return list(dict.fromkeys(own)) or [(Derived(arns.UNKNOWN, ("resource",)), False)]
        rendered = arns.text_of(value, self.resolve)
        if rule.resource == "kms-key":
            return [(arns.kms_key(rendered, self.place), False)]
        if rule.resource == "iam-role":
            return [(arns.iam_role(rendered, self.place), False)]
        found = None
        if rendered is not None and rule.resource == "s3-object":
            found = arns.s3_object(rendered, self.place.partition)
        elif rendered is not None and rule.resource == "s3-bucket":
            found = arns.s3_bucket(rendered, self.place.partition)
        elif rendered is not None and rule.resource == "ecr-repository":
            found = arns.ecr_repository(rendered)
        return [(found or Derived(arns.UNKNOWN, ("resource",)), False)]

    def context(self, rule: MemberRule, call: Invocation) -> tuple[tuple[str, str], ...]:
        principal = self.overlays.principal(call.service.key, call.service.name)
        values = {
            "ServicePrincipal": principal,
            "Region": self.place.region or arns.UNKNOWN,
            "Account": self.place.account or arns.UNKNOWN,
        }
        return tuple(
            (key, _VAR_RE.sub(lambda m: values.get(m.group(1), m.group()), text)) for key, text in rule.context
        )

    def unclaimed(self, derived: OperationActions, claimed: set[str], need: Need, call: Invocation) -> None:
        """Dependent actions no rule claims, and rule actions the request does not trigger: listed, not needed."""
        deps = _dependents(derived, self.catalog)
        nowhere = (Derived(arns.UNKNOWN, ("resource",)), False)
        for info in deps:
            if info.full_name.lower() not in claimed:
                note = (
                    f"not needed here: a dependent action of {', '.join(derived.actions)} that only some requests "
                    "need, and the statement does not show that this one does"
                )
                self.add(info.full_name, nowhere, State.ABSENT, need, call.span, note=note)
        for rule in self.overlays.rules:
            if not rule.applies(call.service.key, call.verb) or rule.value_driven:
                continue
            if not rule.dependents and not any(rule.member(name, None) for name in call.method.params):
                continue  # the request has no member the rule looks for
            for action in self.rule_actions(rule, call, deps):
                note = f"not needed here: only when {rule.when} ({rule.id})"
                self.add(action, nowhere, State.ABSENT, need, call.span, note=note, overlays=(rule.overlay,))

    def result(self) -> list[Requirement]:
        needed = {r.action.lower() for r in self.out.values() if r.state is not State.ABSENT}
        kept = [r for r in self.out.values() if r.state is not State.ABSENT or r.action.lower() not in needed]
        order = {State.BASE: 0, State.PROPERTY: 1, State.MAYBE: 2, State.ABSENT: 3}
        return sorted(kept, key=lambda r: (order[r.state], r.action.lower(), r.arn))


def _unquoted(value):
    """A template kept with its SQL quotes (`'{{ export }}'`) stands for the text between them."""
    if isinstance(value, Opaque) and len(value) >= 2 and value[0] == value[-1] == "'":
        return Opaque(value[1:-1])
    return value


def _note(derived: OperationActions) -> str:
    if derived.known:
        return ""
    return f"low confidence: {derived.note}; `{derived.operation}` may be authorised under another name"


def _dependents(derived: OperationActions, catalog: ActionCatalog) -> list[ActionInfo]:
    out: list[ActionInfo] = []
    for action in derived.actions:
        for name in dependent_actions(action):
            info = catalog.action(name)
            if info is not None and info not in out:
                out.append(info)
    return out


def _closest(info: ActionInfo, resource_name: str) -> list:
    """With only optional resource types, the one the StackQL resource stands for (`model_packages`)."""
    types = [rt for rt in info.resource_types if rt.arn]
    if len(types) == 1:
        return types
    stem = resource_name.lower().replace("_", "-")
    for candidate in (stem, stem.removesuffix("s"), stem.removesuffix("es")):
        found = [rt for rt in types if rt.name.lower() == candidate]
        if found:
            return found
    return []


def _named(template: str, values: dict[str, Rendered]) -> bool:
    """Does the request name a resource of this type (every variable of its ARN but the place)?

    IAM authorises a request against every resource it names: `ec2:CreateSecurityGroup` with a `VpcId` acts on
    the VPC too, though the reference marks that resource type optional."""
    names = [v for v in _VAR_RE.findall(template) if v not in ("Partition", "Region", "Account")]
    return bool(names) and all(_member_for(v, values, loose=False) is not None for v in names)


def _member_for(var: str, values: dict[str, Rendered], loose: bool = True) -> Rendered | None:
    """The member that fills an ARN template variable: `ModelPackageName`, `Bucket` for `BucketName`,
    `GroupId` for `SecurityGroupId` (``loose``: a member whose name ends the variable's; not when deciding which
    resources a request names, where `SubnetId` is no `SecondarySubnetId`), `RoleName` (and `Path`) for
    `RoleNameWithPath`."""
    lowered = {_squash(k): v for k, v in values.items()}
    name = var.lower()
    if name.endswith("withpath"):
        base = lowered.get(name[: -len("withpath")])
        if base is None:
            return None
        path = lowered.get("path")
        if path is None:  # not created here with a known path: it may have any
            return Rendered(arns.UNKNOWN + base.text, (*base.unknown, "path"))
        prefix = path.text.strip("/") + "/" if path.text.strip("/") else ""
        return Rendered(prefix + base.text, (*path.unknown, *base.unknown))
    if name in lowered:
        return lowered[name]
    for suffix in ("name", "id"):
        if name.endswith(suffix) and name[: -len(suffix)] in lowered:
            return lowered[name[: -len(suffix)]]
    for key, value in lowered.items():
        if loose and len(key) >= 6 and name.endswith(key):
            return value
    return None


def _squash(name: str) -> str:
    """`function_name`, `FunctionName` and `x-amz-bucket` compare as one name."""
    return name.replace("_", "").replace("-", "").lower()


def _own_arn(template: str, rendered: Rendered) -> Derived | None:
    """``rendered`` when it is an ARN of the template's service and resource type."""
    parsed, wanted = arns.parse_arn(rendered.text), arns.parse_arn(template)
    if parsed is None or wanted is None or parsed.service != wanted.service:
        return None
    kind = _kind(wanted.resource)
    if not parsed.resource.startswith(kind + "/") and not parsed.resource.startswith(kind + ":"):
        return None
    return Derived(rendered.text, rendered.unknown)


def _same_kind(template: str, other: str) -> bool:
    a, b = arns.parse_arn(template), arns.parse_arn(other)
    return bool(a and b and a.service == b.service and _kind(a.resource) == _kind(b.resource))


def _kind(resource: str) -> str:
    return re.split(r"[/:$]", resource, maxsplit=1)[0]


def _span(pv: PropertyValue, path: tuple):
    rel = tuple(path[1:])
    if not rel:
        return pv.node.span
    try:
        return find(pv.node, rel)[0].span
    except (KeyError, IndexError, TypeError, AttributeError):
        return pv.node.span


# ---------------------------------------------------------------------------
# Entry point


def native_resource_needs(
    binding: Binding,
    manifest: Manifest,
    stack: NativeStack,
    commands: tuple[str, ...],
    account: str | None,
    catalog: ActionCatalog | None = None,
) -> ResourceNeeds:
    """Everything a resource whose statements call the native provider needs for the given commands."""
    resolve = stack.resolver(binding.resource)
    builder_place = find_place(binding, manifest, resolve, None, account)
    calls = [(c, call) for c, call in stack.calls(binding.resource) if c in commands]
    region = _region(calls, resolve) or builder_place.region
    place = Place(arns.partition_of(region) if region else builder_place.partition, region, builder_place.account)
    overlays = load_native_overlays()
    builder = _NativeBuilder(binding, place, resolve, catalog or get_catalog(), overlays, stack.native, stack.created)
    for command, call in calls:
        builder.call(command, call)
    tables = tuple(dict.fromkeys(call.resource.id for _, call in calls))
    return ResourceNeeds(binding, "native", place, builder.result(), tables)


class Created:
    """What the stack's INSERTs tell of the resources they create, found by the value of an identifying member."""

    def __init__(self) -> None:
        self._by_member: dict[tuple[str, str, str], dict[str, Rendered]] = {}

    def add(self, call: Invocation, texts: dict[str, Rendered]) -> None:
        texts = {**texts}
        texts.setdefault("Path", Rendered("/"))  # what AWS gives a role or user created without one
        for member, rendered in texts.items():
            self._by_member.setdefault((call.service.key, _squash(member), rendered.text), texts)

    def of(self, call: Invocation, texts: dict[str, Rendered]) -> dict[str, Rendered]:
        """The INSERT's members for the resource a call acts on: every member the method requires and the INSERT
        also set has the same value."""
        mine = {_squash(k): v for k, v in texts.items()}
        for member in map(_squash, call.method.required):
            if member not in mine:
                continue
            found = self._by_member.get((call.service.key, member, mine[member].text))
            theirs = {_squash(k): v for k, v in (found or {}).items()}
            shared = [k for k in map(_squash, call.method.required) if k in mine and k in theirs]
            if found is not None and all(theirs[k].text == mine[k].text for k in shared):
                return found
        return {}


class NativeStack:
    """The stack's native calls (``Context.calls``), grouped by resource and by the commands that run them."""

    def __init__(self, calls: list[Call], manifest: Manifest, native: NativeCatalog) -> None:
        self.manifest, self.native = manifest, native
        self._calls: dict[int, list[tuple[str, Invocation]]] = {}
        self._resolvers: dict[int, Resolver] = {}
        self.created = Created()
        by_resource: dict[int, list[Call]] = {}
        for call in calls:
            by_resource.setdefault(call.resource.index, []).append(call)
        for found in by_resource.values():
            self._commands(found)

    def _commands(self, calls: list[Call]) -> None:
        resource, query = calls[0].resource, calls[0].query
        by_anchor: dict[int, list[Invocation]] = {}
        for call in calls:
            routed = invocation(call)
            if routed is not None:
                by_anchor.setdefault(id(call.anchor), []).append(routed)
        out = self._calls[resource.index] = [
            (command, routed)
            for command in COMMANDS
            for anchor in command_anchors(resource, query, command)
            for routed in by_anchor.get(id(anchor), ())
        ]
        resolve = self.resolver(resource)
        for routed in dict.fromkeys(routed for _, routed in out):
            if routed.verb == "insert":
                self.created.add(routed, member_texts(routed, resolve))

    def uses_native(self, resource: Resource) -> bool:
        """Does any statement of the resource's query file call the native provider?"""
        return resource.index in self._calls

    def calls(self, resource: Resource) -> list[tuple[str, Invocation]]:
        return self._calls.get(resource.index, [])

    def resolver(self, resource: Resource) -> Resolver:
        if resource.index not in self._resolvers:
            self._resolvers[resource.index] = _resolver(self.manifest, resource)
        return self._resolvers[resource.index]


def member_texts(call: Invocation, resolve: Resolver) -> dict[str, Rendered]:
    """Each scalar member the call passes, as text with its templates filled where the manifest tells them."""
    out: dict[str, Rendered] = {}
    for pv in call.values:
        if pv.property not in out:
            rendered = arns.text_of(_single(_unquoted(pv.value)), resolve)
            if rendered is not None:
                out[pv.property] = rendered
    return out


def _single(value):
    """A list member given one item (`["sg-0abc"]`, or the text `'["{{ sg_id }}"]'`) names that item; a list of
    several names no one resource (None)."""
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        if not isinstance(parsed, list):
            return None
        value = [Opaque(v) if isinstance(v, str) and "{{" in v else v for v in parsed]
    if isinstance(value, list):
        return value[0] if len(value) == 1 and not isinstance(value[0], (dict, list)) else None
    return value


def _resolver(manifest: Manifest, resource: Resource) -> Resolver:
    """Templates filled from the manifest; `stack_name` is the manifest's `name`, as stackql-deploy sets it."""
    scope = query_scope(manifest, resource)
    base = arns.scope_resolver(scope)
    exporters = {name: r for r in manifest.resources if r.index < resource.index for name, _ in r.exports}

    def resolve(name: str, depth: int) -> Rendered | None:
        if name == "stack_name" and manifest.name:
            return Rendered(manifest.name)
        found = base(name, depth)
        definition = scope.get(name)
        if found is None and definition is not None and definition.kind == "export" and name in exporters:
            return _exported_prop(manifest, exporters[name], name, depth)
        return found

    return resolve


def _exported_prop(manifest: Manifest, exporter: Resource, name: str, depth: int) -> Rendered | None:
    """An export named like a prop of the resource that exports it (`bucket_name`) is taken to be that prop:
    stackql-deploy's idiom is an exports query that selects the resource by that very prop."""
    if exporter.prop(name) is None or depth > 4:
        return None
    return arns.scope_resolver(query_scope(manifest, exporter))(name, depth + 1)


def _region(calls: list[tuple[str, Invocation]], resolve: Resolver) -> str | None:
    """The region the calls of a regional service go to, when the statements tell one (the same in every
    environment)."""
    for _, routed in calls:
        region = routed.call.region
        if routed.service.is_global or region is None:
            continue
        texts = {r.text if r else None for pv in region.values for r in (arns.text_of(_unquoted(pv.value), resolve),)}
        if len(texts) == 1 and (text := texts.pop()) and arns.UNKNOWN not in text:
            return text
    return None
