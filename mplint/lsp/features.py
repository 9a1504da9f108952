"""Hover and completion: what is at a place in a manifest, query file or policy, and what may go there.

Both read the document as the editor holds it: the stack is loaded from the buffers and bound as the checks
bind it, so a prop's property, its schema and the query file's columns are the ones the findings speak of.
A half-typed line is completed by parsing the text with a placeholder where the cursor is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lsprotocol import types as lsp
from msgspec import Struct

from mplint.app import LintOptions, resolve_config
from mplint.catalog.actions import get_catalog
from mplint.catalog.schemas import create_only, default_catalog, read_only, write_only
from mplint.catalog.validator import inline_refs
from mplint.context import Context
from mplint.discovery import MANIFEST_NAMES, manifest_of
from mplint.project import Stack, load_files
from mplint.source import Buffers, LoadError, Mapping, Node, Scalar, Sequence, load_json, load_yaml, source_from_text
from mplint.stackql.binding import Binding, PropertyValue
from mplint.stackql.scope import query_scope
from mplint.stackql.target import TWO_X_ANCHORS
from mplint.stackql.templates import facts

PLACEHOLDER = "mplint0placeholder"
ANCHORS = ("exists", "create", "update", "createorupdate", "statecheck", "exports", "delete", "command")
ANCHOR_LINE = re.compile(r"^/\*\+\s*([\w:]*)$")
KeyPath = tuple[str | int, ...]


class Place(Struct):
    """A place in a YAML tree: the key path to it, and the key node when the place is a key."""

    path: KeyPath
    node: Node
    key: Scalar | None = None


def locate(root: Node | None, line: int, col: int) -> Place | None:
    """The deepest node (or key) at a 1-based line and UTF-16 column."""
    if root is None or not _inside(root, line, col):
        return None
    place = Place((), root)
    while True:
        node = place.node
        step: Place | None = None
        if isinstance(node, Mapping):
            for key, value in node.items:
                if _inside(key, line, col):
                    return Place((*place.path, str(key.value)), value, key)
                if _inside(value, line, col):
                    step = Place((*place.path, str(key.value)), value)
        elif isinstance(node, Sequence):
            for i, item in enumerate(node.items):
                if _inside(item, line, col):
                    step = Place((*place.path, i), item)
        if step is None:
            return place
        place = step


def _inside(node: Node, line: int, col: int) -> bool:
    s = node.span
    return (s.line, s.col) <= (line, col) <= (s.end_line, s.end_col)


# -- the stack, bound -----------------------------------------------------------------------------------------


class Bound(Struct):
    """A stack loaded from the editor's buffers, with the context that binds it as the checks do."""

    ctx: Context
    stack: Stack

    def binding(self, index: int) -> Binding | None:
        bindings = self.ctx.bindings(self.stack)
        return bindings[index] if 0 <= index < len(bindings) else None

    def schema(self, binding: Binding | None) -> dict | None:
        if binding is None or binding.cfn_type is None:
            return None
        schema = self.ctx.schemas.schema(binding.cfn_type)
        return _inlined(binding.cfn_type) if schema is not None else None


@lru_cache(maxsize=64)
def _inlined(cfn_type: str) -> dict:
    return inline_refs(default_catalog().schema(cfn_type) or {})


def bind(manifest: Path, root: Path, buffers: Buffers) -> Bound | None:
    config = resolve_config(LintOptions(paths=[manifest], base=root))
    project = load_files([manifest], config, root, buffers=buffers)
    if not project.stacks or project.stacks[0].manifest is None:
        return None
    return Bound(Context(project), project.stacks[0])


def subschema(schema: dict | None, path: KeyPath) -> dict | None:
    """The schema of the value at ``path`` below the resource's properties."""
    node = {"type": "object", "properties": (schema or {}).get("properties", {})}
    for part in path:
        if isinstance(part, int):
            node = node.get("items") if isinstance(node.get("items"), dict) else None
        else:
            props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
            node = props.get(part)
        if not isinstance(node, dict):
            return None
    return node


def property_path(bound: Bound, path: KeyPath) -> tuple[Binding, PropertyValue, KeyPath] | None:
    """For a place under `resources[i].props[j]`, the binding, the property value and the path below it."""
    if len(path) < 4 or path[0] != "resources" or path[2] != "props" or not isinstance(path[1], int):
        return None
    binding = bound.binding(path[1])
    manifest = bound.stack.manifest
    if binding is None or manifest is None or not isinstance(path[3], int):
        return None
    resource = manifest.resources[path[1]]
    if not 0 <= path[3] < len(resource.props):
        return None
    prop = resource.props[path[3]]
    rest = path[4:]
    if rest[:1] == ("name",):
        rest = ()
    elif rest[:1] == ("value",):
        rest = rest[1:]
    elif rest[:1] == ("values",) and len(rest) >= 3 and rest[2] == "value":
        rest = rest[3:]
    else:
        return None
    for pv in binding.values:
        if pv.key_span == (prop.name_node or prop.node).span:
            return binding, pv, rest
    return None


# -- hover ----------------------------------------------------------------------------------------------------


def describe(name: str, schema: dict, top: dict | None = None) -> str:
    """Markdown for one property: its type, allowed values, limits and description."""
    lines = [f"**{name}**: {_type_text(schema)}"]
    if isinstance(schema.get("enum"), list):
        lines.append("Allowed: " + ", ".join(f"`{v}`" for v in schema["enum"]))
    limits = [f"{k} {schema[k]}" for k in ("minLength", "maxLength", "minimum", "maximum", "maxItems") if k in schema]
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    if limits:
        lines.append("Limits: " + ", ".join(limits))
    if top is not None:
        marks = [w for w, names in (("read-only", read_only(top)), ("create-only", create_only(top)),
                                     ("write-only", write_only(top))) if name in names]  # fmt: skip
        if marks:
            lines.append(" · ".join(marks))
    if schema.get("description"):
        lines.append(str(schema["description"]).strip())
    return "\n\n".join(lines)


def _type_text(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {_type_text(schema['items'])}"
    return str(kind or "any")


def manifest_hover(bound: Bound, line: int, col: int) -> str | None:
    place = locate(bound.stack.doc.root, line, col)
    if place is None:
        return None
    found = property_path(bound, place.path)
    if found is None:
        return None
    binding, pv, rest = found
    top = bound.schema(binding)
    path = (pv.property, *rest)
    schema = subschema(top, path)
    if schema is None:
        return None
    name = str(next((p for p in reversed(path) if isinstance(p, str)), pv.property))
    return describe(name, schema, top if not rest else None)


def query_hover(bound: Bound, query: Path, line: int, col: int) -> str | None:
    """The property an INSERT column names."""
    for binding in bound.ctx.bindings(bound.stack):
        insert = binding.insert
        if insert is None or Path(insert.anchor.span.path).name != query.name:
            continue
        for column in insert.columns:
            if _inside_span(column.span, line, col):
                top = bound.schema(binding)
                schema = subschema(top, (column.text,))
                return describe(column.text, schema, top) if schema is not None else None
    return None


def _inside_span(span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def action_hover(text: str, path: Path, line: int, col: int) -> str | None:
    """An IAM action's access level and resource types, in a policy document."""
    try:
        source = source_from_text(path, path.name, text)
        doc = (load_json if path.suffix.lower() == ".json" else load_yaml)(source)
    except LoadError:
        return None
    place = locate(doc.root, line, col)
    if place is None or not isinstance(place.node, Scalar) or place.key is not None:
        return None
    if not any(part in ("Action", "NotAction") for part in place.path if isinstance(part, str)):
        return None
    return action_text(str(place.node.value))


def action_text(name: str) -> str | None:
    catalog = get_catalog()
    if "*" in name or "?" in name:
        matched = catalog.expand(name)
        return f"**{name}** matches {len(matched)} action{'s' if len(matched) != 1 else ''}" if matched else None
    info = catalog.action(name)
    if info is None:
        return None
    lines = [f"**{info.full_name}**: {info.access_level}"]
    if info.resource_types:
        kinds = [
            f"`{rt.name}{'*' if rt.required else ''}`" + (f" ({rt.arn})" if rt.arn else "")
            for rt in info.resource_types
        ]
        lines.append("Resource types: " + ", ".join(kinds))
    else:
        lines.append('Resource types: none (the action takes only `"Resource": "*"`)')
    keys = catalog.condition_keys(info.full_name)
    if keys:
        lines.append("Condition keys: " + ", ".join(f"`{k}`" for k in keys))
    return "\n\n".join(lines)


# -- completion -----------------------------------------------------------------------------------------------


def anchor_items(line_text: str) -> list[lsp.CompletionItem]:
    """Anchor names after `/*+ ` at the start of a query-file line."""
    if ANCHOR_LINE.match(line_text) is None:
        return []
    items = [lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Keyword) for name in ANCHORS]
    items += [
        lsp.CompletionItem(f"{base}:{op}", kind=lsp.CompletionItemKind.Keyword, detail="stackql-deploy 2.x")
        for base in TWO_X_ANCHORS
        for op in ("create", "update", "delete")
    ]
    return items


def with_placeholder(text: str, line: int, col: int) -> tuple[str, str] | None:
    """The text with the word at the cursor replaced by a placeholder, and whether it is a key or a value."""
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return None
    current = lines[line - 1]
    before = current[: col - 1]
    head = re.match(r"^(\s*(?:-\s+)?)([\w.\-]*)$", before)
    if head is not None:  # typing a key (or nothing yet) on its own line
        lines[line - 1] = f"{head.group(1)}{PLACEHOLDER}: null"
        return "\n".join(lines), "key"
    value = re.match(r"^(\s*(?:-\s+)?[\w.\-\"']+:\s+)['\"]?[\w.\-]*$", before)
    if value is not None:
        lines[line - 1] = f"{value.group(1)}{PLACEHOLDER}"
        return "\n".join(lines), "value"
    return None


def _find_placeholder(root: Node | None) -> Place | None:
    stack: list[Place] = [Place((), root)] if root is not None else []
    while stack:
        place = stack.pop()
        node = place.node
        if isinstance(node, Mapping):
            for key, value in node.items:
                path = (*place.path, str(key.value))
                if key.value == PLACEHOLDER:
                    return Place(path, value, key)
                stack.append(Place(path, value))
        elif isinstance(node, Sequence):
            stack.extend(Place((*place.path, i), item) for i, item in enumerate(node.items))
        elif isinstance(node, Scalar) and node.value == PLACEHOLDER:
            return place
    return None


def manifest_items(bound: Bound, kind: str) -> list[lsp.CompletionItem]:
    """Completions at the placeholder of a bound manifest: member names, enum values or prop names."""
    place = _find_placeholder(bound.stack.doc.root)
    if place is None:
        return []
    path = place.path
    if kind == "value" and len(path) == 5 and path[4] == "name":
        return _prop_names(bound, path)
    found = property_path(bound, path[:-1] if kind == "key" else path)
    if found is None:
        return []
    binding, pv, rest = found
    schema = subschema(bound.schema(binding), (pv.property, *rest))
    if schema is None:
        return []
    if kind == "value":
        return [lsp.CompletionItem(str(v), kind=lsp.CompletionItemKind.EnumMember) for v in schema.get("enum", ())]
    parent = _parent_mapping(bound.stack.doc.root, path)
    present = {str(k.value) for k, _ in parent.items} if parent is not None else set()
    props = schema.get("properties", {}) if isinstance(schema.get("properties"), dict) else {}
    return [
        lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Property, documentation=_doc(name, sub))
        for name, sub in props.items()
        if name not in present and isinstance(sub, dict)
    ]


def _doc(name: str, schema: dict) -> lsp.MarkupContent:
    return lsp.MarkupContent(lsp.MarkupKind.Markdown, describe(name, schema))


def _parent_mapping(root: Node | None, path: KeyPath) -> Mapping | None:
    node = root
    for part in path[:-1]:
        if isinstance(node, Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, Sequence) and isinstance(part, int) and part < len(node.items):
            node = node.items[part]
        else:
            return None
    return node if isinstance(node, Mapping) else None


def _prop_names(bound: Bound, path: KeyPath) -> list[lsp.CompletionItem]:
    """For `- name: |` in props: names the query file reads that nothing defines, else the type's properties."""
    manifest = bound.stack.manifest
    index = path[1]
    if manifest is None or not isinstance(index, int) or not 0 <= index < len(manifest.resources):
        return []
    resource = manifest.resources[index]
    query = bound.stack.queries.get(index)
    taken = {p.name for p in resource.props if p.name and p.name != PLACEHOLDER}
    if query is not None:
        scope = query_scope(manifest, resource)
        wanted = sorted({n for a in query.anchors for n in facts(a.statement).names} - set(scope) - taken)
        return [
            lsp.CompletionItem(n, kind=lsp.CompletionItemKind.Variable, detail=f"read by {query.path}") for n in wanted
        ]
    binding = bound.binding(index)
    schema = bound.schema(binding)
    props = (schema or {}).get("properties", {})
    return [
        lsp.CompletionItem(n, kind=lsp.CompletionItemKind.Property, documentation=_doc(n, s))
        for n, s in props.items()
        if n not in taken and n not in read_only(schema or {}) and isinstance(s, dict)
    ]


def stack_manifest(path: Path, buffers: Buffers) -> Path | None:
    if path.name in MANIFEST_NAMES:
        return path
    found = manifest_of(path, buffers)
    return found.resolve() if found is not None else None


def as_markup(text: str | None) -> lsp.Hover | None:
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text)) if text else None


def block_scalar_lines(path: Path | None, text: str) -> set[int]:
    """1-based lines inside the YAML block scalars (`|`, `>`) of a document, where no comment can go."""
    if path is None or path.suffix.lower() not in (".yml", ".yaml"):
        return set()
    try:
        doc = load_yaml(source_from_text(path, path.name, text))
    except LoadError:
        return set()
    lines: set[int] = set()
    stack: list[Node] = [doc.root] if doc.root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, Scalar) and node.style in ("|", ">"):
            last = node.span.end_line if node.span.end_col > 1 else node.span.end_line - 1
            lines.update(range(node.span.line + 1, last + 1))
        elif isinstance(node, Mapping):
            stack.extend(v for _, v in node.items)
        elif isinstance(node, Sequence):
            stack.extend(node.items)
    return lines
