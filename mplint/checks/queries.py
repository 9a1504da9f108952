"""MPL120-MPL129: query files as stackql-deploy reads them: anchors, their options, and what each query must return."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding, Related
from mplint.model.manifest import Resource
from mplint.model.query import Anchor, QueryFile, SelectBlock
from mplint.project import Stack
from mplint.registry import owns
from mplint.source import Mapping, Node, Scalar
from mplint.stackql.target import TWO_X_ANCHORS
from mplint.stackql.templates import facts
from mplint.suggest import did_you_mean

R = owns(__name__, "MPL120", "MPL121", "MPL122", "MPL123", "MPL124", "MPL125", "MPL126", "MPL127", "MPL128", "MPL129")

ANCHORS_1X = (
    "exists",
    "preflight",
    "create",
    "update",
    "createorupdate",
    "statecheck",
    "postdeploy",
    "exports",
    "delete",
    "command",
)
CALLBACK_OPS = ("create", "update", "createorupdate", "delete")
ALIASES = {"preflight": "exists", "postdeploy": "statecheck"}
NUMERIC_OPTIONS = ("retries", "retry_delay", "postdelete_retries", "postdelete_retry_delay")
OPTIONS_1X = ("retries", "retry_delay")
CALLBACK_OPTIONS = ("short_circuit_field", "short_circuit_value")
CHECKS = ("exists", "preflight", "statecheck", "postdeploy", "exports")


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    engine = ctx.target(stack).engine
    for query in _unique(stack):
        yield from check_file(query, engine)
    for resource in stack.manifest.resources:
        query = stack.queries.get(resource.index)
        if query is not None:
            yield from check_resource(resource, query, engine)


def _unique(stack: Stack) -> list[QueryFile]:
    return list({q.path: q for q in stack.queries.values()}.values())


# -- anchors -----------------------------------------------------------------------------------


def check_file(query: QueryFile, engine: int) -> Iterator[Finding]:
    seen: dict[str, Anchor] = {}
    for anchor in query.anchors:
        if anchor.indented:
            if engine == 1:
                yield R.MPL121(
                    f"the `{anchor.key}` anchor is indented: stackql-deploy 1.x only sees anchors at column 0, "
                    "so this line and its query become part of the previous query",
                    anchor.span,
                )
            continue
        yield from _anchor_key(anchor, engine)
        yield from _options(anchor, engine)
        key = _normal(anchor.key, engine)
        if key in seen:
            yield R.MPL123(
                f"a later `{anchor.key}` anchor replaces this one: stackql-deploy keeps only the last, "
                "so this query never runs",
                seen[key].span,
                related=(Related(anchor.span, "the anchor that is used"),),
            )
        seen[key] = anchor
    yield from _count_columns(query, engine)


def _normal(key: str, engine: int) -> str:
    """The anchor as the engine files it: 2.x lower-cases keys and maps the old aliases; 1.x takes them as written."""
    return ALIASES.get(key.lower(), key.lower()) if engine == 2 else key


def known(key: str, engine: int) -> bool:
    if engine == 2:
        key = key.lower()
        base, _, op = key.partition(":")
        if base in TWO_X_ANCHORS:
            return not op or op in CALLBACK_OPS
    return key in ANCHORS_1X


def _anchor_key(anchor: Anchor, engine: int) -> Iterator[Finding]:
    key = anchor.key
    if anchor.base.lower() in TWO_X_ANCHORS and engine == 1:
        return  # 2.x syntax: MPL150
    if not known(key, engine):
        hint = did_you_mean(key.lower(), ANCHORS_1X) or did_you_mean(key, ANCHORS_1X)
        if engine == 1 and key.lower() in ANCHORS_1X:
            hint = f" (stackql-deploy 1.x matches anchors case-sensitively: write `{key.lower()}`)"
        yield R.MPL120(
            f"unknown anchor `{key}`{hint}: stackql-deploy silently ignores it and never runs its query",
            anchor.span,
        )
    elif key.lower() in ALIASES:
        yield R.MPL122(
            f"`{key}` is the old alias of `{ALIASES[key.lower()]}`: stackql-deploy 1.9.2 to 1.9.5 drop its query; "
            f"write `{ALIASES[key.lower()]}`",
            anchor.span,
        )


def _options(anchor: Anchor, engine: int) -> Iterator[Finding]:
    callback = anchor.base.lower() == "callback"
    for name, value in anchor.options.items():
        span = anchor.option_spans.get(name, anchor.span)
        if name in NUMERIC_OPTIONS and not value.isdigit():
            what = (
                "stops stackql-deploy 1.x when it loads the file"
                if engine == 1
                else "is ignored by 2.x, which uses the default"
            )
            yield R.MPL129(f"option `{name}={value}` is not a whole number: it {what}", span)
        elif name in CALLBACK_OPTIONS and callback and engine == 2:
            continue
        elif name in CALLBACK_OPTIONS:
            where = "only on `callback` anchors" if engine == 2 else "only by 2.x `callback` anchors"
            yield R.MPL128(f"option `{name}` is used {where}: here it is ignored", span)
        elif name not in NUMERIC_OPTIONS:
            hint = did_you_mean(name, NUMERIC_OPTIONS + (CALLBACK_OPTIONS if callback else ()))
            yield R.MPL128(f"unknown option `{name}`{hint}: stackql-deploy ignores it", span)
        elif engine == 1 and name not in OPTIONS_1X:
            yield R.MPL128(f"option `{name}` is ignored by stackql-deploy 1.x (only 2.x reads it)", span)


# -- what each resource's queries must contain and return ----------------------------------------


def check_resource(resource: Resource, query: QueryFile, engine: int) -> Iterator[Finding]:
    keys = {_normal(a.key, engine) for a in query.anchors if not a.indented}
    where = (resource.name_node or resource.node).span
    has_sql = resource.node.get("sql") is not None
    file = _file(resource)
    if resource.type in ("resource", "multi"):
        if not keys & {"create", "createorupdate"}:
            yield R.MPL124(
                f"`{file}` has no `create` or `createorupdate` query: stackql-deploy stops on `{resource.name}`",
                where,
            )
        elif "createorupdate" not in keys and not keys & set(CHECKS):
            yield R.MPL125(
                f"`{file}` has no `exists`, `statecheck` or `exports` query: build cannot tell whether "
                f"`{resource.name}` exists (its create runs on every build) and test cannot check it",
                where,
            )
    elif resource.type in ("query", "command") and not has_sql:
        wanted = "exports" if resource.type == "query" else "command"
        if wanted not in keys:
            related = (
                (Related(resource.type_node.span, f"`type: {resource.type}` is set here"),)
                if resource.type_node
                else ()
            )
            yield R.MPL124(
                f"`{file}` has no `{wanted}` query, which a `{resource.type}` resource needs: "
                f"stackql-deploy stops on `{resource.name}`",
                where,
                related=related,
            )
    yield from _export_columns(resource, query)


def _file(resource: Resource) -> str:
    return f"resources/{resource.file or f'{resource.name}.iql'}"


def _top(query: QueryFile, anchor: Anchor) -> SelectBlock | None:
    """The result of the anchor's query: its first SELECT statement (None when its template does not parse)."""
    if facts(anchor.statement).error:
        return None
    return next((s.top for s in anchor.statements(query.source) if s.kind == "select"), None)


def _count_columns(query: QueryFile, engine: int) -> Iterator[Finding]:
    for anchor in query.anchors:
        if anchor.indented or _normal(anchor.key, engine) not in ("exists", "statecheck", "preflight", "postdeploy"):
            continue
        top = _top(query, anchor)
        if top is None or not top.columns or any(c.name == "*" or (c.column or "").endswith("*") for c in top.columns):
            continue
        names = {(c.name or "").lower() for c in top.columns}
        if engine == 1 and "count" not in names:
            yield R.MPL126(
                f"the `{anchor.key}` query returns no `count` column: stackql-deploy 1.x stops with "
                "'data structure unexpected' (select `COUNT(*) AS count`)",
                top.columns[0].name_ref.span,
            )
            continue
        for column in top.columns:
            if engine == 2 and column.aggregate == "COUNT" and (column.name or "").lower() != "count":
                yield R.MPL126(
                    f"the `{anchor.key}` query counts into `{column.name or column.name_ref.name}`, not `count`: "
                    "stackql-deploy 2.x then takes the one row it always returns as 'exists'",
                    column.name_ref.span,
                )


def _export_columns(resource: Resource, query: QueryFile) -> Iterator[Finding]:
    if not resource.exports or resource.node.get("sql") is not None:
        return
    anchor = query.anchor("exports")
    top = _top(query, anchor) if anchor else None
    if (
        anchor is None
        or top is None
        or any((c.name is None and c.column is None) or "*" in (c.column or "") for c in top.columns)
    ):
        return
    returned = {c.name for c in top.columns if c.name}
    for column, node in _export_columns_wanted(resource):
        if column not in returned:
            hint = did_you_mean(column, returned)
            yield R.MPL127(
                f"export `{column}` of `{resource.name}` is not a column of its `exports` query{hint}: "
                "stackql-deploy exports an empty string for it",
                node.span,
            )


def _export_columns_wanted(resource: Resource) -> Iterator[tuple[str, Node]]:
    """(column the exports query must return, the manifest node naming it)."""
    node = resource.node.get("exports")
    for item in getattr(node, "items", ()):
        if isinstance(item, Scalar) and isinstance(item.value, str):
            yield item.value, item
        elif isinstance(item, Mapping) and len(item.items) == 1:
            key, _ = item.items[0]
            yield str(key.value), key
