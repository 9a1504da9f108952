"""What each stackql-deploy command needs: the operations it runs per resource, their IAM actions, and why.

For the Cloud Control flavour each operation needs its Cloud Control API action plus the schema's
`handlers.<op>.permissions`; the type's permission overlays (rules/overlays/) tell which of those a
property makes necessary, and on which resource. For the native `aws` flavour each operation is one
service API call, plus what the set properties make necessary. See shared/domain/stackql-deploy.md,
"What each command runs".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from mplint.catalog.actions import ActionCatalog, ActionInfo, get_catalog
from mplint.catalog.schemas import handler_permissions
from mplint.findings import Span
from mplint.iam import arns
from mplint.iam.arns import Derived, Place, Rendered, Resolver
from mplint.iam.evaluator import Request
from mplint.iam.overlays import Overlay, TypeOverlays, load_overlays
from mplint.model.manifest import Manifest, Resource
from mplint.model.query import Anchor, QueryFile
from mplint.source import find
from mplint.stackql.binding import Binding, Opaque
from mplint.stackql.scope import query_scope

if TYPE_CHECKING:
    from mplint.catalog.native import NativeCatalog
    from mplint.iam.native_requirements import NativeStack
    from mplint.stackql.calls import Call
    from mplint.stackql.provider import Decision

COMMANDS = ("build", "test", "teardown")
CLOUD_CONTROL = {
    "create": ("cloudformation:CreateResource", "cloudformation:GetResourceRequestStatus"),
    "read": ("cloudformation:GetResource",),
    "update": ("cloudformation:UpdateResource", "cloudformation:GetResourceRequestStatus"),
    "delete": ("cloudformation:DeleteResource", "cloudformation:GetResourceRequestStatus"),
    "list": ("cloudformation:ListResources",),
}
IDENTIFIER_PARAMS = ("data__identifier", "identifier")
DEPLOYED = ("resource", "multi")


class State(str, Enum):
    BASE = "base"  # always needed by the operation
    PROPERTY = "property"  # needed because a property is set
    MAYBE = "maybe"  # needed if a property turns out to be set: its value is not known before deployment
    ABSENT = "not-needed"  # listed by the handler, needed only when a property is set, and it is not


class Origin(str, Enum):
    CLOUD_CONTROL = "cloud-control"  # the Cloud Control API request itself
    HANDLER = "handler"  # the resource handler, run by Cloud Control with the caller's credentials
    NATIVE = "native"  # the service API call of the native provider


class Need(Struct, frozen=True):
    """Why an action is needed: the command, the operation it runs, and what makes the call."""

    command: str
    operation: str
    origin: Origin


class Trigger(Struct, frozen=True):
    """The set property that makes an action necessary."""

    overlay: Overlay
    path: str  # e.g. InferenceSpecification.Containers[0].Image
    span: Span  # the value
    prop_span: Span | None  # where the prop is named
    env: str | None = None


class Requirement(Struct, eq=False):
    """One action a resource's commands may need: on which ARN, in what state, and what makes it needed."""

    resource: Resource
    action: str
    arn: str  # "*" alone: any resource (wildcard_only) or nothing known
    wildcard_only: bool
    state: State
    span: Span  # where a finding goes: the trigger's value, else the resource's name
    trigger: Trigger | None = None
    overlays: tuple[Overlay, ...] = ()  # the overlays that claim the action
    unknown: tuple[str, ...] = ()  # the parts of the ARN the manifest does not tell
    needs: list[Need] = field(default_factory=list)
    note: str = ""  # what the reason column says instead of the default (low confidence, why not needed)
    context: tuple[tuple[str, str], ...] = ()  # request context keys the call carries (iam:PassedToService)

    @property
    def request(self) -> Request:
        return Request(self.action, "*" if self.wildcard_only else self.arn, self.wildcard_only, self.context)

    @property
    def origins(self) -> set[Origin]:
        return {n.origin for n in self.needs}


class ResourceNeeds(Struct, eq=False):
    """One manifest resource: how it is deployed and everything it needs."""

    binding: Binding
    flavour: str  # "cloud-control" | "native"
    place: Place
    requirements: list[Requirement]
    tables: tuple[str, ...] = ()  # the native provider's tables the resource's statements call

    @property
    def resource(self) -> Resource:
        return self.binding.resource

    @property
    def needed(self) -> list[Requirement]:
        return [r for r in self.requirements if r.state is not State.ABSENT]


# ---------------------------------------------------------------------------
# Commands to operations


def operations(
    resource: Resource, query: QueryFile | None, table: str | None, commands: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(command, operation) pairs in the order stackql-deploy runs them, each once."""
    out: list[tuple[str, str]] = []
    for command in COMMANDS:
        if command in commands:
            out += [(command, op) for op in dict.fromkeys(_command_ops(command, resource, query, table))]
    return out


def command_anchors(resource: Resource, query: QueryFile, command: str) -> list[Anchor]:
    """The anchors a stackql-deploy command runs for the resource, in order (shared/domain/stackql-deploy.md)."""
    keys: list[tuple[str, ...]] = []
    if resource.type in ("resource", "multi"):
        writes = [("createorupdate",)] if query.anchor("createorupdate") else [("create",), ("update",)]
        keys = {
            "build": [("exists", "preflight"), *writes, ("statecheck", "postdeploy"), ("exports",)],
            "test": [("statecheck", "postdeploy"), ("exports",)],
            "teardown": [("exports",), ("exists", "preflight"), ("delete",)],
        }[command]
    elif resource.type == "query":
        keys = [("exports",)]
    elif resource.type == "command" and command == "build":
        keys = [("command",), ("exports",)]
    anchors = [query.anchor(*k) for k in keys]
    return [a for a in dict.fromkeys(anchors) if a is not None]


def _command_ops(command: str, resource: Resource, query: QueryFile | None, table: str | None) -> list[str]:
    if resource.type not in DEPLOYED:
        return _reads(query, ("exports",), table) if resource.type == "query" and query else []
    if query is None:  # no query file to tell: what the command runs at most
        return {"build": ["read", "create", "update"], "test": ["read"], "teardown": ["read", "delete"]}[command]
    exists, statecheck = ("exists", "preflight"), ("statecheck", "postdeploy")
    if command == "build":
        return [
            *_reads(query, exists, table),
            *_writes(query),
            *_reads(query, statecheck, table),
            *_reads(query, ("exports",), table),
        ]
    if command == "test":
        return _reads(query, statecheck, table) or _reads(query, ("exports",), table)
    deletes = ["delete"] if query.anchor("delete") else []
    return [*_reads(query, ("exports",), table), *_reads(query, exists, table), *deletes]


def _writes(query: QueryFile) -> list[str]:
    ops = ["create"] if query.anchor("create") else []
    ops += ["update"] if query.anchor("update") else []
    return ops + (["create", "update"] if query.anchor("createorupdate") else [])


def _reads(query: QueryFile | None, keys: tuple[str, ...], table: str | None) -> list[str]:
    """read (get by identifier) and/or list, from the SELECTs of the first anchor of ``keys`` present."""
    anchor = query.anchor(*keys) if query else None
    if anchor is None or query is None:
        return []
    ops: list[str] = []
    for statement in anchor.statements(query.source):
        for block in statement.blocks:
            names = [t.name.lower() for t in block.tables]
            mine = [n for n in names if table is None or n in (table, table + "_list_only")]
            if not mine:
                continue
            if any(n.endswith("_list_only") for n in mine):
                ops.append("list")
            elif any(p.name.name.lower() in IDENTIFIER_PARAMS for p in block.where):
                ops.append("read")
            else:  # a SELECT without the identifier lists, then reads each resource
                ops += ["list", "read"]
    return ops


# ---------------------------------------------------------------------------
# Where the resource is


def _identifier(query: QueryFile | None, resolve: Resolver, service: str | None) -> Derived | None:
    """The resource's own ARN, when a query passes it as the identifier (templates filled where known)."""
    if query is None or service is None:
        return None
    for key in ("exists", "statecheck", "exports", "update", "delete"):
        anchor = query.anchor(key)
        if anchor is None:
            continue
        for statement in anchor.statements(query.source):
            params = [*statement.params, *(p for b in statement.blocks for p in b.where)]
            for param in params:
                if param.name.name.lower() in IDENTIFIER_PARAMS and param.value:
                    rendered = arns.render(_unquote(param.value), resolve)
                    parsed = arns.parse_arn(rendered.text)
                    if parsed is not None and parsed.service == service:
                        return Derived(rendered.text, _arn_unknowns(parsed, rendered.unknown))
    return None


def _arn_unknowns(parsed: arns.ArnParts, names: tuple[str, ...]) -> tuple[str, ...]:
    """Name the unknown parts of an ARN by segment (region, account), else by the template names."""
    labels = [
        label
        for label, part in (("partition", parsed.partition), ("region", parsed.region), ("account", parsed.account))
        if arns.UNKNOWN in part
    ]
    if arns.UNKNOWN in parsed.resource or not labels:
        labels += [n for n in names if n not in labels]
    return tuple(labels)


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def find_place(
    binding: Binding, manifest: Manifest, resolve: Resolver, identifier: Derived | None, account: str | None
) -> Place:
    """Region from the INSERT's region column or a `region` global; account from config or the identifier."""
    region = _region(binding, manifest, resolve)
    parsed = arns.parse_arn(identifier.arn) if identifier else None
    if region is None and parsed and parsed.region and arns.UNKNOWN not in parsed.region:
        region = parsed.region
    if account is None and parsed and parsed.account.isdigit():
        account = parsed.account
    partition = parsed.partition if parsed and arns.UNKNOWN not in parsed.partition else arns.partition_of(region)
    return Place(partition, region, account)


def _region(binding: Binding, manifest: Manifest, resolve: Resolver) -> str | None:
    texts: list[str] = []
    if binding.insert is not None:
        texts += [
            _unquote(v.text)
            for c, v in zip(binding.insert.columns, binding.insert.values, strict=False)
            if c.text.lower() == "region"
        ]
    texts += [
        str(g.value.value)
        for g in manifest.globals
        if (g.name or "").lower() in ("region", "aws_region")
        and g.value is not None
        and isinstance(getattr(g.value, "value", None), str)
    ]
    for text in texts:
        rendered = arns.render(text, resolve)
        if rendered.text and arns.UNKNOWN not in rendered.text:
            return rendered.text
    return None


# ---------------------------------------------------------------------------
# Properties that trigger an overlay


class Occurrence(Struct, frozen=True):
    """A set value at an overlay's property path: its value, state and place, per environment."""

    path: tuple[str | int, ...]  # from the property name down
    value: Any  # None when a template above the path hides it
    state: State
    span: Span
    prop_span: Span | None
    env: str | None
    prefix: bool = False  # an S3 key prefix (S3DataType S3Prefix beside it)


def occurrences(binding: Binding, patterns: tuple[str, ...], match: str | None, resolve: Resolver) -> list[Occurrence]:
    """Every value at the patterns' paths that is set (and passes ``match``), in manifest order."""
    out: dict[tuple, Occurrence] = {}
    for pattern in patterns:
        head, *rest = pattern.split(".")
        for pv in binding.values:
            if pv.property != head:
                continue
            for rel, value, parent, hidden in _walk(pv.value, rest, (), None):
                state = _state(value, hidden, match, resolve)
                if state is None:
                    continue
                span = find(pv.node, rel)[0].span if rel else (pv.key_span or pv.node.span)
                prefix = isinstance(parent, dict) and parent.get("S3DataType") == "S3Prefix"
                key = ((head, *rel), pv.env)
                out.setdefault(key, Occurrence((head, *rel), value, state, span, pv.key_span, pv.env, prefix))
    return sorted(out.values(), key=lambda o: (o.span.path, o.span.line, o.span.col))


def _walk(value: Any, segs: list[str], path: tuple, parent: Any) -> Iterator[tuple[tuple, Any, Any, bool]]:
    """(path, value, parent, hidden) for each value the segments reach; hidden: a template stands above it."""
    if not segs:
        yield path, value, parent, False
        return
    if isinstance(value, Opaque):
        yield path, None, None, True
        return
    seg, rest = segs[0], segs[1:]
    if seg == "**":
        yield from _walk(value, rest, path, parent)
        for key, child in _children(value):
            yield from _walk(child, segs, (*path, key), value)
    elif seg == "*":
        for key, child in _children(value):
            yield from _walk(child, rest, (*path, key), value)
    elif isinstance(value, dict) and seg in value:
        yield from _walk(value[seg], rest, (*path, seg), value)


def _children(value: Any) -> list[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    return []


def _state(value: Any, hidden: bool, match: str | None, resolve: Resolver) -> State | None:
    if hidden:
        return State.MAYBE
    if value is None or value == "" or value == [] or value == {}:
        return None
    if match is None:
        return State.PROPERTY
    if isinstance(value, Opaque):
        text = arns.render(value, resolve).text
        return State.PROPERTY if _matches(text, match) else State.MAYBE
    if match == "true":
        return State.PROPERTY if value is True or str(value).lower() == "true" else None
    return State.PROPERTY if isinstance(value, str) and _matches(value, match) else None


def _matches(text: str, match: str) -> bool:
    if match == "s3-uri":
        return arns.is_s3_uri(text)
    if match == "ecr-image":
        return arns.is_ecr_image(text)
    return text.lower() == "true"


def path_text(path: tuple[str | int, ...]) -> str:
    """`InferenceSpecification.Containers[0].Image`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------------------
# Building the requirements of one resource


class _Builder:
    def __init__(
        self,
        binding: Binding,
        overlays: TypeOverlays,
        place: Place,
        resolve: Resolver,
        identifier: Derived | None,
        catalog: ActionCatalog,
    ) -> None:
        self.binding = binding
        self.overlays = overlays
        self.place = place
        self.resolve = resolve
        self.identifier = identifier
        self.catalog = catalog
        self.out: dict[tuple, Requirement] = {}
        self._hits: dict[tuple[str, str], list[tuple[Derived, bool, State, Trigger]]] = {}

    @property
    def resource(self) -> Resource:
        return self.binding.resource

    def add(
        self,
        action: str,
        target: tuple[Derived, bool],
        state: State,
        need: Need,
        trigger: Trigger | None = None,
        claimed: tuple[Overlay, ...] = (),
    ) -> Requirement:
        derived, wildcard = target
        key = (action.lower(), derived.arn, wildcard, state)
        req = self.out.get(key)
        if req is None:
            span = trigger.span if trigger else self.resource.anchor_span
            req = self.out[key] = Requirement(
                self.resource, action, derived.arn, wildcard, state, span, trigger, claimed, derived.unknown
            )
        if need not in req.needs:
            req.needs.append(need)
        return req

    def cloud_control(self, command: str, op: str, schema: dict) -> None:
        for action in CLOUD_CONTROL[op]:
            self.add(action, (Derived("*"), True), State.BASE, Need(command, op, Origin.CLOUD_CONTROL))
        for action in handler_permissions(schema, op):
            self.permission(action, command, op, Origin.HANDLER)

    def native(self, command: str, op: str, schema: dict) -> None:
        for action in self.overlays.native_actions(op):
            self.add(action, self.base_target(action, op), State.BASE, Need(command, op, Origin.NATIVE))
        listed = {a.lower() for a in handler_permissions(schema, op)}
        for overlay in self.overlays.overlays:
            if overlay.ops and op not in overlay.ops:
                continue
            for action in overlay.actions:
                if overlay.ops or action.lower() in listed:
                    for target, wildcard, state, trigger in self.hits(overlay, op):
                        self.add(
                            action, (target, wildcard), state, Need(command, op, Origin.NATIVE), trigger, (overlay,)
                        )

    def permission(self, listed: str, command: str, op: str, origin: Origin) -> None:
        from mplint.catalog.native import default_native_catalog
        from mplint.iam.native_actions import handler_action

        need = Need(command, op, origin)
        actions, note = handler_action(listed, lambda: default_native_catalog().iam, self.catalog)
        if not actions:
            self.add(listed, (Derived("*", ("resource",)), False), State.ABSENT, need).note = note
        for action in actions:
            self.handler_permission(action, need, op, note)

    def handler_permission(self, action: str, need: Need, op: str, note: str) -> None:
        claiming = tuple(self.overlays.claiming(action, op))
        if not claiming:
            self.add(action, self.base_target(action, op), State.BASE, need).note = note
            return
        hits = [hit for overlay in claiming for hit in self.hits(overlay, op)]
        for target, wildcard, state, trigger in hits:
            self.add(action, (target, wildcard), state, need, trigger, claiming)
        if not hits:
            self.add(action, self.target(claiming[0], None, op), State.ABSENT, need, None, claiming)

    def hits(self, overlay: Overlay, op: str) -> list[tuple[Derived, bool, State, Trigger]]:
        """(ARN, wildcard-only, state, trigger) for each set property the overlay names (memoised per op)."""
        key = (overlay.id, op)
        if key not in self._hits:
            found = occurrences(self.binding, overlay.when, overlay.match, self.resolve)
            self._hits[key] = [hit for occ in found for hit in self.occurrence_hits(overlay, occ, op)]
        return self._hits[key]

    def occurrence_hits(self, overlay: Overlay, occ: Occurrence, op: str) -> list[tuple[Derived, bool, State, Trigger]]:
        trigger = Trigger(overlay, path_text(occ.path), occ.span, occ.prop_span, occ.env)
        if overlay.resource_from:
            sources = occurrences(self.binding, overlay.resource_from, _kind_match(overlay.resource), self.resolve)
            targets = [self.target(overlay, s, op) for s in sources] or [self.target(overlay, None, op)]
        else:
            targets = [self.target(overlay, occ if occ.value is not None else None, op)]
        return [(derived, wildcard, occ.state, trigger) for derived, wildcard in targets]

    def target(self, overlay: Overlay, occ: Occurrence | None, op: str) -> tuple[Derived, bool]:
        kind = overlay.resource
        if kind == "wildcard":
            return Derived("*"), True
        if kind == "self":
            return self.self_arn(op) or Derived("*", ("resource",)), False
        if kind.startswith("arn:"):
            return arns.fill(kind, self.place.values()), False
        value = arns.text_of(occ.value, self.resolve) if occ is not None else None
        return _derive(kind, value, occ.prefix if occ else False, self.place), False

    def base_target(self, action: str, op: str) -> tuple[Derived, bool]:
        """The resource of an action that no overlay claims."""
        if action.lower() in self.overlays.wildcard:
            return Derived("*"), True
        info = self.catalog.action(action)
        if info is not None and not info.has_resource_level:
            return Derived("*"), True
        own = self.self_arn(op)
        if own is not None and info is not None and _supports(info, self.overlays):
            return own, False
        return Derived("*", ("resource",)), False

    def self_arn(self, op: str) -> Derived | None:
        if op in ("read", "update", "delete") and self.identifier is not None:
            return _with_place(self.identifier, self.place)
        for entry in self.overlays.self_arns:
            values: dict[str, str | None] = dict(self.place.values())
            unknown: tuple[str, ...] = ()
            if entry.when is not None:
                found = self.literal(entry.when)
                if found is None:
                    continue
                values[entry.when], unknown = found.text, found.unknown
            derived = arns.fill(entry.arn, values)
            return Derived(derived.arn, (*derived.unknown, *unknown))
        return None

    def literal(self, prop: str) -> Rendered | None:
        """The value of a top-level string property (one for every environment), templates filled."""
        texts = {arns.text_of(pv.value, self.resolve) for pv in self.binding.values if pv.property == prop}
        texts.discard(None)
        if not texts:
            return None
        if len(texts) > 1:
            return Rendered("*", (f"{prop} (it differs per environment)",))
        found = texts.pop()
        parsed = arns.parse_arn(found.text)  # a name property may hold the ARN: keep its name
        if parsed is not None and "/" in parsed.resource:
            return Rendered(parsed.resource.split("/", 1)[1], found.unknown)
        return found

    def result(self) -> list[Requirement]:
        order = {State.BASE: 0, State.PROPERTY: 1, State.MAYBE: 2, State.ABSENT: 3}
        return sorted(self.out.values(), key=lambda r: (order[r.state], r.action.lower(), r.arn))


def _kind_match(kind: str) -> str | None:
    return {"ecr-repository": "ecr-image", "s3-object": "s3-uri", "s3-bucket": "s3-uri"}.get(kind)


def _derive(kind: str, value: Rendered | None, prefix: bool, place: Place) -> Derived:
    if kind == "kms-key":
        return arns.kms_key(value, place)
    if kind == "iam-role":
        return arns.iam_role(value, place)
    found = None
    if value is not None and kind == "s3-object":
        found = arns.s3_object(value, place.partition, prefix)
    elif value is not None and kind == "s3-bucket":
        found = arns.s3_bucket(value, place.partition)
    elif value is not None and kind == "ecr-repository":
        found = arns.ecr_repository(value)
    if found is not None:
        return found
    fallback = {
        "s3-object": "arn:${Partition}:s3:::${Bucket}/${Key}",
        "s3-bucket": "arn:${Partition}:s3:::${Bucket}",
        "ecr-repository": "arn:${Partition}:ecr:${Region}:${Account}:repository/${Repository}",
    }[kind]
    return arns.fill(fallback, place.values())


def _supports(info: ActionInfo, overlays: TypeOverlays) -> bool:
    """Does the action take the type's own resource type (e.g. sagemaker `model-package`)?"""
    mine = {_type_key(s.arn) for s in overlays.self_arns}
    return any(_type_key(rt.arn) in mine for rt in info.resource_types if rt.arn)


def _type_key(template: str) -> tuple[str, str]:
    parts = template.split(":", 5)
    if len(parts) < 6:
        return ("", template)
    return parts[2], parts[5].split("/", 1)[0].split(":", 1)[0]


def _with_place(derived: Derived, place: Place) -> Derived:
    """Fill an unknown region or account of an ARN from what the config or manifest tell elsewhere."""
    parsed = arns.parse_arn(derived.arn)
    if parsed is None:
        return derived
    region = place.region if parsed.region == arns.UNKNOWN and place.region else parsed.region
    account = place.account if parsed.account == arns.UNKNOWN and place.account else parsed.account
    arn = f"arn:{parsed.partition}:{parsed.service}:{region}:{account}:{parsed.resource}"
    names = tuple(u for u in derived.unknown if u not in ("partition", "region", "account"))
    return Derived(
        arn, _arn_unknowns(arns.ArnParts(parsed.partition, parsed.service, region, account, parsed.resource), names)
    )


# ---------------------------------------------------------------------------
# Entry points


def resource_needs(
    binding: Binding,
    manifest: Manifest,
    query: QueryFile | None,
    schema: dict | None,
    commands: tuple[str, ...],
    account: str | None,
    catalog: ActionCatalog | None = None,
) -> ResourceNeeds:
    """Everything one bound resource needs for the given commands."""
    assert binding.cfn_type is not None
    overlays = load_overlays(binding.cfn_type)
    resolve = arns.scope_resolver(query_scope(manifest, binding.resource))
    service = _service(overlays)
    identifier = _identifier(query, resolve, service)
    place = find_place(binding, manifest, resolve, identifier, account)
    native = binding.is_native and overlays.native is not None
    builder = _Builder(binding, overlays, place, resolve, identifier, catalog or get_catalog())
    table = binding.stackql_name.lower() if binding.stackql_name and "::" not in binding.stackql_name else None
    for command, op in operations(binding.resource, query, table, commands):
        (builder.native if native else builder.cloud_control)(command, op, schema or {})
    return ResourceNeeds(binding, "native" if native else "cloud-control", place, builder.result())


def stack_needs(
    bindings: list[Binding],
    manifest: Manifest,
    queries: dict[int, QueryFile],
    schema_of,
    commands: tuple[str, ...],
    account: str | None,
    decision: Decision,
    calls: list[Call],
    native: Callable[[], NativeCatalog],
    type_of=None,
) -> list[ResourceNeeds]:
    """The needs of every resource whose type is known, whose statements call the native provider (``calls``,
    each routed once; ``native`` gives their catalog), or whose queries read other tables (a `type: query`
    resource)."""
    from mplint.iam.table_reads import table_reads

    out: list[ResourceNeeds] = []
    stack = _native_stack(calls, manifest, native)
    for b in bindings:
        query = queries.get(b.resource.index)
        if stack is not None and stack.uses_native(b.resource):
            from mplint.iam.native_requirements import native_resource_needs

            out.append(native_resource_needs(b, manifest, stack, commands, account))
            continue
        needs = resource_needs(b, manifest, query, schema_of(b.cfn_type), commands, account) if b.cfn_type else None
        own = b.stackql_name.lower() if b.stackql_name and "::" not in b.stackql_name else None
        reads, tables = ([], ())
        if query is not None and type_of is not None:
            reads, tables = table_reads(b.resource, decision, query, commands, own, type_of, schema_of)
        if needs is None and reads:
            resolve = arns.scope_resolver(query_scope(manifest, b.resource))
            needs = ResourceNeeds(b, "cloud-control", find_place(b, manifest, resolve, None, account), [], tables)
        if needs is not None:
            known = {(r.action.lower(), r.arn, r.wildcard_only, r.state) for r in needs.requirements}
            needs.requirements += [r for r in reads if (r.action.lower(), r.arn, r.wildcard_only, r.state) not in known]
            out.append(needs)
    return out


def _native_stack(calls: list[Call], manifest: Manifest, native: Callable[[], NativeCatalog]) -> NativeStack | None:
    """The native calls grouped for the commands; None (and the native catalog never opened) without any."""
    if not calls:
        return None
    from mplint.iam.native_requirements import NativeStack

    return NativeStack(calls, manifest, native())


def _service(overlays: TypeOverlays) -> str | None:
    for entry in overlays.self_arns:
        parsed = arns.parse_arn(entry.arn)
        if parsed is not None:
            return parsed.service
    return None
