"""MPL130-MPL136: the statements of query files against the StackQL AWS providers (Cloud Control flavours)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from msgspec import Struct, field

from mplint.catalog.schemas import covers, pointer_path, pointer_paths, read_only
from mplint.context import Context
from mplint.findings import Finding, Level, Span
from mplint.model.query import Anchor, Param, QueryFile, Ref, SelectBlock, Statement, parse_insert
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.columns import alternate_name, column_name, columns
from mplint.stackql.provider import Flavour, Params, params
from mplint.stackql.templates import analyse, facts, is_template
from mplint.suggest import closest

R = owns(__name__, "MPL130", "MPL131", "MPL132", "MPL133", "MPL134", "MPL135", "MPL136", "MPL137")

LIST_SUFFIX = "_list_only"
PATCH_PATH_RE = re.compile(r"""["']path["']\s*:\s*["'](/[A-Za-z0-9_./~-]+)""")
DATA_PREFIX = "data__"


class Table(Struct):
    """A StackQL table of a Cloud Control flavour, with what mplint knows of its type."""

    name: str
    flavour: Flavour
    cfn_type: str
    schema: dict
    view: str  # "main" | "list" | "tags"
    params: Params  # the flavour's identifier and patch-document parameter names
    column_names: set[str] = field(default_factory=set)


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    checker = _Checker(ctx, stack)
    for query in {q.path: q for q in stack.queries.values()}.values():
        yield from checker.query_file(query)


class _Checker:
    def __init__(self, ctx: Context, stack: Stack) -> None:
        self.ctx = ctx
        self.decision = ctx.flavours(stack)
        self.tables: dict[str, Table | None] = {}
        self.paired = {
            (pv.column.span.path, pv.column.start)
            for b in ctx.bindings(stack)
            for pv in b.values
            if pv.column is not None
        }

    def table(self, name: str) -> Table | None:
        if name not in self.tables:
            self.tables[name] = self._table(name)
        return self.tables[name]

    def _table(self, name: str) -> Table | None:
        kind = self.decision.flavour(name)
        names = params(kind)
        if kind is None or names is None:
            return None  # another provider, or the native `aws` flavour: no Cloud Control parameters
        cfn = self.ctx.schemas.cfn_type(name)
        schema = self.ctx.schemas.schema(cfn) if cfn else None
        if not cfn or not schema:
            return None
        short = name.rsplit(".", 1)[-1]
        view = "list" if short.endswith(LIST_SUFFIX) else "tags" if short.endswith("_tags") else "main"
        table = Table(name, kind, cfn, schema, view, names)
        table.column_names = _column_names(table)
        return table

    def query_file(self, query: QueryFile) -> Iterator[Finding]:
        for anchor in query.anchors:
            if anchor.indented or facts(anchor.statement).error:
                continue  # a template that does not parse is MPL111; its SQL cannot be read reliably
            for statement in anchor.statements(query.source):
                yield from self.statement(query, anchor, statement)

    def statement(self, query: QueryFile, anchor: Anchor, statement: Statement) -> Iterator[Finding]:
        target = self.table(statement.target.name) if statement.target else None
        if target is not None and statement.kind == "insert":
            yield from self.insert(query, anchor, target)
        elif target is not None and statement.kind in ("update", "delete"):
            yield from self.modify(query, statement, target)
        if statement.kind == "insert":
            return
        for block in statement.blocks:
            if len(block.tables) == 1 and not block.joined:
                table = self.table(block.tables[0].name)
                if table is not None:
                    yield from self.select(anchor, block, table)

    # -- INSERT ----------------------------------------------------------------------------------
    def insert(self, query: QueryFile, anchor: Anchor, table: Table) -> Iterator[Finding]:
        shared = query.insert()  # parsed once, and shared with the binding
        insert = shared if shared is not None and shared.anchor is anchor else parse_insert(query.source, anchor)
        if insert is None:
            return
        props = table.schema.get("properties", {})
        lowered = {p.lower(): p for p in props}
        ro = read_only(table.schema)
        has_region = False
        if len(insert.columns) != len(insert.values) and insert.values:
            yield R.MPL137(
                f"the INSERT into `{table.name}` names {len(insert.columns)} columns but its SELECT gives "
                f"{len(insert.values)} values: StackQL stops with 'disparity in fields to insert and supplied data'",
                insert.target.span,
            )
        for column in insert.columns:
            name = column.text.strip("`\"'")
            paired = (column.span.path, column.start) in self.paired  # MPL201/MPL207 check paired values
            if name.lower() == "region":
                has_region = True
            elif name not in props and not paired:
                yield _unknown_insert_column(name, column.span, table, lowered)
            elif name in ro and not paired:
                yield R.MPL131(
                    f"`{name}` is read-only in {table.cfn_type}: AWS sets it, "
                    "and Cloud Control rejects a create that writes it",
                    column.span,
                )
        if not has_region:
            yield R.MPL133(
                f"the INSERT into `{table.name}` has no `region` column: "
                "`create_resource` requires it, so the create fails",
                insert.target.span,
            )

    # -- UPDATE and DELETE -------------------------------------------------------------------------
    def modify(self, query: QueryFile, statement: Statement, table: Table) -> Iterator[Finding]:
        names = {p.name.name for p in statement.params}
        yield from self.flavour_names(statement.params, table)
        method = "update_resource" if statement.kind == "update" else "delete_resource"
        needed = [table.params.identifier, "region"]
        if statement.kind == "update":
            needed.insert(1, table.params.patch)
        assert statement.target is not None
        for param in needed:
            if param not in names and _other(param) not in names:
                yield R.MPL133(
                    f"the {statement.kind.upper()} of `{table.name}` does not set `{param}`: `{method}` requires it, "
                    f"so the {statement.kind} fails",
                    statement.target.span,
                )
        if statement.kind == "update":
            for param in statement.sets:
                if param.name.name in (table.params.patch, _other(table.params.patch)):
                    yield from _patch_document(query, param, table)

    def flavour_names(self, found: list[Param] | list[Ref], table: Table) -> Iterator[Finding]:
        for item in found:
            ref = item.name if isinstance(item, Param) else item
            name = ref.name.rsplit(".", 1)[-1]
            wanted = _expected_name(name, table.params)
            if wanted is not None:
                yield R.MPL134(
                    f"`{name}` is not a parameter of `{table.name}` ({_flavour_label(table.flavour)}): "
                    f"it is named `{wanted}` there, so the query fails",
                    ref.span,
                )

    # -- SELECT --------------------------------------------------------------------------------------
    def select(self, anchor: Anchor, block: SelectBlock, table: Table) -> Iterator[Finding]:
        where = {p.name.name.rsplit(".", 1)[-1] for p in block.where}
        yield from self.flavour_names(block.where, table)
        if "region" not in where and not _global_service(table.name):
            yield R.MPL133(
                f"the SELECT from `{table.name}` has no `region` in its WHERE clause: StackQL then asks us-east-1, "
                "the provider's default, so the query does not see a resource in the region the stack deploys to "
                "(an `exists` never finds it there)",
                block.tables[0].span,
            )
        if table.flavour is Flavour.AWSCC and table.view == "main" and not where & {"Identifier", "data__Identifier"}:
            yield R.MPL133(
                f"the SELECT from `{table.name}` has no `Identifier`: in `awscc` only `{table.name}{LIST_SUFFIX}` "
                "lists resources, so the query fails",
                block.tables[0].span,
            )
        yield from self.columns(block, table)
        if anchor.key in ("exists", "preflight") and table.view == "list":
            yield from _list_only_exists(block, table)

    def columns(self, block: SelectBlock, table: Table) -> Iterator[Finding]:
        known = table.column_names
        aliases = {c.name for c in block.columns if c.name and c.name != c.column}
        for ref in block.idents:
            name = ref.name.rsplit(".", 1)[-1]
            if name in known or name in aliases or _expected_name(name, table.params) is not None:
                continue
            if name.lower() in known and name.startswith(DATA_PREFIX):
                continue
            best = _suggest(name, table)
            hint = f" (did you mean `{best}`?)" if best else ""
            yield R.MPL132(
                f"`{name}` is not a column of `{table.name}`{hint}: columns are the snake_case names of "
                f"{table.cfn_type}'s properties, so the query fails",
                ref.span,
            )


def _global_service(table: str) -> bool:
    """IAM, CloudFront, Route 53...: one endpoint for every region, so the default region sees every resource."""
    from mplint.catalog.native import default_native_catalog

    parts = table.lower().split(".")
    service = default_native_catalog().service(parts[1]) if len(parts) >= 2 else None
    return service is not None and service.is_global


def _other(param: str) -> str:
    return param[len(DATA_PREFIX) :] if param.startswith(DATA_PREFIX) else DATA_PREFIX + param


def _expected_name(name: str, wanted: Params) -> str | None:
    """The right name when ``name`` is the other flavour's spelling of a parameter, else None."""
    for param in (wanted.identifier, wanted.patch):
        if name == _other(param):
            return param
    return None


def _flavour_label(kind: Flavour) -> str:
    return "the `awscc` provider" if kind is Flavour.AWSCC else "the Cloud Control era `aws` provider"


def _unknown_insert_column(name: str, span: Span, table: Table, lowered: dict[str, str]) -> Finding:
    squashed = name.replace("_", "").lower()
    if squashed in lowered:
        hint = f" (INSERT columns are CloudFormation property names: `{lowered[squashed]}`)"
    else:
        best = closest(name, lowered.values())
        hint = f" (did you mean `{best}`?)" if best else ""
    return R.MPL130(
        f"`{name}` is not a property of {table.cfn_type}{hint}: the INSERT into `{table.name}` fails",
        span,
    )


def _column_names(table: Table) -> set[str]:
    props = table.schema.get("properties", {})
    names = set(columns(props)) | {alternate_name(p) for p in props} | {"region", table.params.identifier}
    if table.view == "tags":
        names |= {"tag_key", "tag_value"}
    return names


def _suggest(name: str, table: Table) -> str | None:
    props = table.schema.get("properties", {})
    by_lower = {p.lower(): column_name(p) for p in props}
    squashed = name.replace("_", "").lower()
    if squashed in by_lower:
        return by_lower[squashed]
    return closest(name, [column_name(p) for p in props])


def _patch_document(query: QueryFile, param: Param, table: Table) -> Iterator[Finding]:
    """Patched places (generate_patch_document keys, RFC 6902 paths) that a create-only or read-only
    pointer names, at any depth (`/properties/Rules/*/Arn` names `/Rules/0/Arn`)."""
    text = param.value
    found = facts(text) if "{" in text else None
    names = dict(found.patch_names) if found else {}
    created = _insert_names(query)
    paths = [(key,) for key in (found.patch_keys if found else ())]
    paths += [pointer_path("/properties" + hit) for hit in PATCH_PATH_RE.findall(text)]
    blocked = [(p, "create-only") for p in pointer_paths(table.schema, "createOnlyProperties")]
    blocked += [(p, "read-only") for p in pointer_paths(table.schema, "readOnlyProperties")]
    for path in dict.fromkeys(paths):
        what = next((kind for pointer, kind in blocked if covers(pointer, path)), None)
        if what is None:
            continue
        shown = "/".join(path)
        at, width = _find_key(text, path[0] if len(path) == 1 else "/" + shown)
        start = param.value_start + at
        span = query.source.offset_span(start, start + width)
        key = path[0] if len(path) == 1 else None
        if what == "create-only" and key is not None and key in names and names[key] == created.get(key):
            yield R.MPL135(
                f"the patch document sets `{key}`, which is create-only in {table.cfn_type}, from "
                f"`{names[key]}`, the value the INSERT created it with: Cloud Control accepts that while the value "
                f"is unchanged, but once `{names[key]}` changes the update fails instead of replacing the resource",
                span,
                level=Level.NOTE,
            )
            continue
        yield R.MPL135(
            f"the patch document changes `{shown}`, which is {what} in {table.cfn_type}: "
            "Cloud Control rejects the update",
            span,
        )


def _insert_names(query: QueryFile) -> dict[str, str]:
    """INSERT column -> the name whose value it is given (`'{{ path }}'` -> `path`)."""
    insert = query.insert()
    out: dict[str, str] = {}
    if insert is None:
        return out
    for column, item in zip(insert.columns, insert.values, strict=False):
        text = item.text.strip()
        inner = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text
        name = analyse(inner).simple_name if is_template(inner) else None
        if name:
            out[column.text.strip("`\"'")] = name
    return out


def _find_key(text: str, key: str) -> tuple[int, int]:
    """Where the patch document names ``key`` (offset, width); the whole value when it cannot be found."""
    for pattern in (f'"{key}"', f"'{key}'", f"/{key}"):
        at = text.find(pattern)
        if at >= 0:
            return at, len(pattern)
    return 0, len(text)


def _list_only_exists(block: SelectBlock, table: Table) -> Iterator[Finding]:
    handler = table.schema.get("handlers", {}).get("list", {}).get("handlerSchema")
    if not isinstance(handler, dict) or handler.get("required") or not handler.get("properties"):
        return
    filters = list(handler["properties"])
    where = {p.name.name.rsplit(".", 1)[-1] for p in block.where}
    if where & {column_name(f) for f in filters}:
        return
    names = ", ".join(f"`{f}`" for f in filters)
    consequence = (
        "it lists no versioned model packages, so each build may create a new version"
        if table.cfn_type == "AWS::SageMaker::ModelPackage"
        else "it may not list the resource, so each build may create it again"
    )
    yield R.MPL136(
        f"the `exists` query reads `{table.name}`, whose list passes no {names}: {consequence}",
        block.tables[0].span,
    )
