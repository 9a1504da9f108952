"""Scopes: MPL106/MPL107/MPL111 inside query files, and MPL140-MPL145 (values, merge, exports, protected, sql, run)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mplint.context import Context
from mplint.edits import dead_namespace_edits
from mplint.findings import Finding, Fix
from mplint.model.manifest import RESOURCE_TYPES, Manifest, Prop, Resource
from mplint.model.query import Anchor, QueryFile
from mplint.project import Stack
from mplint.registry import owns
from mplint.source import Mapping, Node, Scalar, Sequence
from mplint.stackql.scope import Definition, Scope, prop_scopes, query_scope
from mplint.stackql.target import TWO_X_NAMES, if_conditions
from mplint.stackql.templates import DEAD_NAMESPACES, facts, name_span

R = owns(__name__, "MPL005", "MPL106", "MPL107", "MPL111", "MPL140", "MPL141", "MPL142", "MPL143", "MPL144", "MPL145")

ENV_VAR_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
QUOTED_RE = re.compile(r"""'([^']*)'|"([^"]*)\"""")
TEMPLATE_RE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


# -- names in query files ---------------------------------------------------------------------


def _query_templates(ctx: Context, stack: Stack) -> Iterator[Finding]:
    """MPL106, MPL107 and MPL111 for the query files, with the scope stackql-deploy gives each resource."""
    manifest = stack.manifest
    if manifest is None:
        return
    engine = ctx.target(stack).engine
    exporters = _exporters(manifest)
    resources: dict[str, Resource] = {}
    for resource in manifest.resources:
        if resource.name and resource.name not in resources:
            resources[resource.name] = resource
    for resource in manifest.resources:
        query = stack.queries.get(resource.index)
        if query is not None and resource.type in RESOURCE_TYPES and resources.get(resource.name or "") is resource:
            yield from _query_names(query, manifest, resource, engine, exporters, resources)


def _exporters(manifest: Manifest) -> dict[str, Resource]:
    """Export name -> the first resource exporting it."""
    out: dict[str, Resource] = {}
    for resource in manifest.resources:
        for name, _ in resource.exports:
            out.setdefault(name, resource)
    return out


def _query_names(
    query: QueryFile,
    manifest: Manifest,
    resource: Resource,
    engine: int,
    exporters: dict[str, Resource],
    resources: dict[str, Resource],
) -> Iterator[Finding]:
    scope = query_scope(manifest, resource)
    own = {name for name, _ in resource.exports}
    reported: set[str] = set()
    for anchor in query.anchors:
        info = facts(anchor.statement)
        if info.limited:
            yield R.MPL005(f"the `{anchor.key}` query is a {info.error}", anchor.span)
            continue
        if info.error:
            yield _syntax_error(query, anchor, info.error, info.error_line)
            continue
        teardown = anchor.key.lower() == "delete"
        for base, attr in info.attributes:
            if base in DEAD_NAMESPACES and f"{base}.{attr}" not in reported:
                reported.add(f"{base}.{attr}")
                edits = dead_namespace_edits(query.source, 0, len(query.source.text), base, attr)
                yield R.MPL107(
                    f"`{{{{ {base}.{attr} }}}}` is dead syntax: stackql-deploy keeps the literal text; "
                    f"write `{{{{ {attr} }}}}`",
                    name_span(query.source, anchor.body_start, anchor.body_end, base, attr) or anchor.span,
                    fixes=(Fix(f"Write `{{{{ {attr} }}}}`", edits),) if edits else (),
                )
            elif engine == 2 and base in resources and base not in scope and f"{base}.{attr}" not in reported:
                exported = {name for name, _ in resources[base].exports}
                if attr not in exported:
                    reported.add(f"{base}.{attr}")
                    yield R.MPL106(
                        f"`{{{{ {base}.{attr} }}}}`: resource `{base}` exports no `{attr}`; stackql-deploy 2.x stops",
                        name_span(query.source, anchor.body_start, anchor.body_end, base, attr) or anchor.span,
                    )
        dotted = {base for base, _ in info.attributes}
        for name in sorted(info.names - reported):
            if _defined(name, scope, own, engine, teardown, exporters) or _dotted_ok(name, dotted, resources):
                continue
            reported.add(name)
            hint = _hint(name, exporters, resource)
            yield R.MPL106(
                f"`{{{{ {name} }}}}`: no scope defines `{name}` for resource `{resource.name}`{hint}; "
                "the query gets an empty string (1.x) or stackql-deploy stops (2.x)",
                name_span(query.source, anchor.body_start, anchor.body_end, name) or anchor.span,
            )


def _defined(
    name: str, scope: Scope, own: set[str], engine: int, teardown: bool, exporters: dict[str, Resource]
) -> bool:
    if name in scope or name in own:
        return True
    if name in TWO_X_NAMES:
        return True  # defined by 2.x; under a 1.x target MPL150 reports it
    if engine == 2 and name in ("this", "callback"):
        return True
    return teardown and name in exporters  # teardown collects every resource's exports first


def _dotted_ok(name: str, dotted: set[str], resources: dict[str, Resource]) -> bool:
    """`this.x`, `callback.x` and `resource.export`: 2.x syntax (reported under 1.x as such), or a dead namespace."""
    return name in dotted and (name in DEAD_NAMESPACES or name in ("this", "callback") or name in resources)


def _hint(name: str, exporters: dict[str, Resource], resource: Resource) -> str:
    later = exporters.get(name)
    if later is not None and later.index > resource.index:
        return f" (it is exported by `{later.name}`, a later resource)"
    if later is not None and later.index == resource.index:
        return ""
    if ENV_VAR_RE.match(name):
        return " (environment variables are visible only in globals)"
    return ""


def _syntax_error(query: QueryFile, anchor: Anchor, message: str, line: int) -> Finding:
    first = query.source.position(anchor.body_start)[0] + 1
    return R.MPL111(
        f"Jinja syntax error in the `{anchor.key}` query: {message}; stackql-deploy stops when it renders this file",
        query.source.line_span(first + line - 1),
    )


# -- the manifest's own scope rules ------------------------------------------------------------


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    manifest = stack.manifest
    if manifest is None:
        return
    engine = ctx.target(stack).engine
    envs = ctx.envs or ctx.config.envs or named_envs(manifest)
    for resource in manifest.resources:
        scopes = prop_scopes(manifest, resource)
        for prop, scope in zip(resource.props, scopes, strict=True):
            yield from _values(prop, envs, resource)
            yield from _merge(prop, scope, engine)
        yield from _exports(resource)
        yield from _protected(resource)
        yield from _type_keys(resource)
    yield from _query_templates(ctx, stack)


def named_envs(manifest: Manifest) -> tuple[str, ...]:
    """Every environment named in the manifest: the keys of `values`, and literals compared with `stack_env` in `if`."""
    names: set[str] = set()
    for resource in manifest.resources:
        for prop in resource.props:
            if prop.values is not None:
                names.update(str(k.value) for k, _ in prop.values.items)
    for text, _ in if_conditions(manifest):
        if "stack_env" in text:
            literals = QUOTED_RE.findall(TEMPLATE_RE.sub("\x00", text))
            names.update(a or b for a, b in literals if (a or b) and "\x00" not in (a or b))
    return tuple(sorted(names))


def _values(prop: Prop, envs: tuple[str, ...], resource: Resource) -> Iterator[Finding]:
    if prop.values is None:
        return
    given = {str(k.value) for k, _ in prop.values.items}
    missing = [env for env in envs if env not in given]
    if missing:
        key = prop.node.key("values")
        names = ", ".join(f"`{e}`" for e in missing)
        yield R.MPL140(
            f"prop `{prop.name}` of `{resource.name}` has no value for {names}: "
            "stackql-deploy stops when it deploys there",
            (key or prop.node).span,
        )


def _kind(node: Node | None) -> str | None:
    """list, map, scalar, or None when unknown (a template, or nothing)."""
    if isinstance(node, Sequence):
        return "list"
    if isinstance(node, Mapping):
        return "map"
    if isinstance(node, Scalar) and node.value is not None:
        text = node.value
        return None if isinstance(text, str) and ("{{" in text or "{%" in text) else "scalar"
    return None


def _definition_kind(definition: Definition) -> str | None:
    if definition.kind == "builtin":
        return "scalar"
    if definition.prop is not None and definition.prop.value is None:
        values = list(definition.prop.env_values().values())
        return _kind(values[0]) if values else None
    return _kind(definition.value)


def _merge(prop: Prop, scope: Scope, engine: int) -> Iterator[Finding]:
    if not isinstance(prop.merge, Sequence):
        return
    base = _kind(prop.value) if prop.value is not None else None
    for item in prop.merge.items:
        if not isinstance(item, Scalar) or not isinstance(item.value, str):
            continue
        name = item.value
        definition = scope.get(name)
        if definition is None:
            yield R.MPL141(
                f"`merge` names `{name}`, which is not defined before prop `{prop.name}` (globals, exports of earlier "
                "resources, earlier props): stackql-deploy stops",
                item.span,
            )
            continue
        if engine == 1 and definition.kind == "prop":
            yield R.MPL141(
                f"`merge` names prop `{name}`: stackql-deploy 1.x merges only globals and exports, and stops",
                item.span,
            )
            continue
        kind = _definition_kind(definition)
        if kind == "scalar":
            yield R.MPL141(
                f"`merge` names `{name}`, which is not a list or a map: stackql-deploy cannot merge it and stops",
                item.span,
            )
        elif kind is not None and base is not None and kind != base:
            yield R.MPL141(
                f"`merge` names `{name}`, a {kind}, into prop `{prop.name}`, a {base}: "
                "stackql-deploy stops on the type mismatch",
                item.span,
            )
        base = base or kind


def _exports(resource: Resource) -> Iterator[Finding]:
    node = resource.node.get("exports")
    if not isinstance(node, Sequence) or not node.items:
        return
    first = "map" if isinstance(node.items[0], Mapping) else "string"
    for item in node.items:
        kind = "map" if isinstance(item, Mapping) else "string"
        if kind != first:
            yield R.MPL142(
                f"exports of `{resource.name}` mix plain names and `{{column: name}}` maps: stackql-deploy stops; "
                "use one form for all",
                item.span,
            )
        elif isinstance(item, Mapping) and len(item.items) != 1:
            yield R.MPL142(
                f"an export of `{resource.name}` maps {len(item.items)} columns: each map must have exactly one key",
                item.span,
            )


def _protected(resource: Resource) -> Iterator[Finding]:
    node = resource.node.get("protected")
    if not isinstance(node, Sequence):
        return
    exported = {name for name, _ in resource.exports}
    for item in node.items:
        if isinstance(item, Scalar) and isinstance(item.value, str) and item.value not in exported:
            yield R.MPL143(
                f"`{item.value}` is protected but not exported by `{resource.name}`: nothing is masked, so the value "
                "you meant to hide is logged in clear",
                item.span,
            )


def _type_keys(resource: Resource) -> Iterator[Finding]:
    for key, types in (("sql", ("query", "command")), ("run", ("script",))):
        node = resource.node.key(key)
        if node is not None and resource.type not in types:
            allowed = " and ".join(f"`{t}`" for t in types)
            yield R.MPL144(
                f"`{key}` is read only for {allowed} resources: stackql-deploy ignores it on `{resource.name}` "
                f"(type `{resource.type}`)",
                node.span,
            )
    if resource.type == "script" and resource.node.get("run") is None:
        yield R.MPL145(
            f"script `{resource.name}` has no `run` command: stackql-deploy stops on it",
            (resource.name_node or resource.node).span,
        )
