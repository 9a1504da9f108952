"""Which of a resource's props anything reads: its query file, its inline `sql`/`run`/`if`, or its later props.

stackql-deploy hands props to the query file only through templates; a prop that no template reads is dropped
without a word.
"""

from __future__ import annotations

from collections.abc import Iterator

from mplint.model.manifest import Prop, Resource
from mplint.model.query import QueryFile
from mplint.source import Mapping, Node, Scalar, Sequence, may_hold_braces, walk
from mplint.stackql.templates import facts, is_template

# Jinja that pulls in text mplint cannot see: what it reads is unknowable
_OPAQUE_TAGS = ("{% include", "{%- include", "{% import", "{%- import", "{% from", "{%- from")


def unread_props(resource: Resource, query: QueryFile | None) -> list[Prop] | None:
    """The props nothing reads, or None when that cannot be told (no query file nor inline SQL, a template
    that does not parse, an include)."""
    if resource.type == "script":  # `run` sees props as environment too: not only through templates
        return None
    read = _query_names(query) if query is not None else _inline_names(resource)
    if read is None:
        return None
    others = _resource_names(resource)
    by_prop = [_prop_names(prop) for prop in resource.props]
    if others is None or any(names is None for names in by_prop):
        return None
    read |= others
    out: list[Prop] = []
    for position, prop in enumerate(resource.props):
        if prop.name is None or prop.name in read:
            continue
        if any(prop.name in names for i, names in enumerate(by_prop) if i != position):  # type: ignore[operator]
            continue
        out.append(prop)
    return out


def _query_names(query: QueryFile) -> set[str] | None:
    if any(tag in query.source.text for tag in _OPAQUE_TAGS):
        return None
    names: set[str] = set()
    for anchor in query.anchors:
        info = facts(anchor.statement)
        if info.error:
            return None
        names |= info.names
    return names


def _inline_names(resource: Resource) -> set[str] | None:
    """Names read by a `query`/`command` resource's inline `sql` (None when it has none)."""
    sql = resource.node.get("sql")
    if sql is None or resource.type not in ("query", "command"):
        return None
    return _template_names(sql)


def _resource_names(resource: Resource) -> set[str] | None:
    """Names read by the resource's own keys other than props (`if`, `sql`, `run`, ...)."""
    names: set[str] = set()
    for key, value in resource.node.items:
        if key.value != "props":
            found = _template_names(value)
            if found is None:
                return None
            names |= found
    return names


def _prop_names(prop: Prop) -> set[str] | None:
    """Names a prop's value reads, and those its `merge` names."""
    names: set[str] = set()
    for node in (prop.value, prop.values):
        found = _template_names(node)
        if found is None:
            return None
        names |= found
    if isinstance(prop.merge, Sequence):
        names.update(str(item.value) for item in prop.merge.items if isinstance(item, Scalar))
    return names


def _template_names(node: Node | None) -> set[str] | None:
    """Names the templates under a node read (None when one does not parse)."""
    names: set[str] = set()
    for text in _templates(node):
        info = facts(text)
        if info.error:
            return None
        names |= info.names
    return names


def _templates(node: Node | None) -> Iterator[str]:
    """Template texts under a node, the unquoted `{{ name }}` that YAML reads as a mapping among them."""
    if node is None or not may_hold_braces(node):
        return
    for _, child in walk(node):
        if isinstance(child, Scalar) and isinstance(child.value, str) and is_template(child.value):
            yield child.value
        elif isinstance(child, Mapping) and child.template is not None:
            yield child.template
