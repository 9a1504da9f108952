"""The stackql-deploy manifest (`stackql_manifest.yml`) as a typed model over the position-aware tree.

The model is lenient: it takes what has the expected shape and keeps the raw
nodes, so that checks can report what does not.
"""

from __future__ import annotations

from msgspec import Struct, field

from mplint.source import Document, Mapping, Node, Scalar, Sequence

TOP_KEYS = ("version", "name", "description", "providers", "globals", "resources", "exports")
GLOBAL_KEYS = ("name", "value", "description")
RESOURCE_KEYS = (
    "name", "type", "file", "description", "props", "exports", "protected", "if",
    "skip_validation", "auth", "sql", "run", "return_vals",
)  # fmt: skip
PROP_KEYS = ("name", "description", "value", "values", "merge")
PROP_VALUE_KEYS = ("value", "values", "merge")
ENV_VALUE_KEYS = ("value", "description")
RESOURCE_TYPES = ("resource", "query", "script", "multi", "command")


class Prop(Struct, eq=False):
    """One prop of a resource: its node, name, and its `value:`, `values:` and `merge:` nodes."""

    node: Mapping
    name: str | None
    name_node: Scalar | None
    value: Node | None  # the `value:` node
    values: Mapping | None  # the `values:` node: env -> {value: ...}
    merge: Node | None

    def env_values(self) -> dict[str, Node]:
        """env name -> value node, for a `values:` prop."""
        out: dict[str, Node] = {}
        if self.values is None:
            return out
        for key, entry in self.values.items:
            if isinstance(entry, Mapping) and entry.get("value") is not None:
                out[str(key.value)] = entry.get("value")  # type: ignore[assignment]
        return out


class Global(Struct, eq=False):
    """One entry of `globals:`: its node, name and `value:` node."""

    node: Mapping
    name: str | None
    name_node: Scalar | None
    value: Node | None


class Resource(Struct, eq=False):
    """One resource of a manifest: its index, name, type, `file:`, props and exports, with their nodes."""

    node: Mapping
    index: int
    name: str | None
    name_node: Scalar | None
    type: str  # `resource` when absent
    type_node: Scalar | None
    file: str | None
    props: list[Prop] = field(default_factory=list)
    exports: list[tuple[str, Node]] = field(default_factory=list)  # (context name, node)

    @property
    def anchor_span(self):
        return (self.name_node or self.node).span

    def prop(self, name: str) -> Prop | None:
        for prop in self.props:
            if prop.name == name:
                return prop
        return None


class Manifest(Struct, eq=False):
    """A manifest: its document, root mapping, name, providers, globals and resources."""

    doc: Document
    root: Mapping
    name: str | None
    providers: list[tuple[str, Node]]
    globals: list[Global]
    resources: list[Resource]

    @property
    def path(self) -> str:
        return self.doc.source.display


def _str(node: Node | None) -> str | None:
    if isinstance(node, Scalar) and node.value is not None and not isinstance(node.value, (dict, list)):
        return str(node.value)
    return None


def _scalar(node: Node | None) -> Scalar | None:
    return node if isinstance(node, Scalar) else None


def mappings(node: Node | None) -> list[Mapping]:
    """The mapping items of a sequence node (other items are left to the checks)."""
    if not isinstance(node, Sequence):
        return []
    return [item for item in node.items if isinstance(item, Mapping)]


def build_manifest(doc: Document) -> Manifest | None:
    """The manifest model of a loaded document, or None when its root is not a mapping."""
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    providers = []
    if isinstance(root.get("providers"), Sequence):
        providers = [(str(n.value), n) for n in root.get("providers").items if _str(n) is not None]  # type: ignore[union-attr]
    return Manifest(
        doc=doc,
        root=root,
        name=_str(root.get("name")),
        providers=providers,
        globals=[_global(m) for m in mappings(root.get("globals"))],
        resources=[_resource(m, i) for i, m in enumerate(mappings(root.get("resources")))],
    )


def _global(node: Mapping) -> Global:
    return Global(node, _str(node.get("name")), _scalar(node.get("name")), node.get("value"))


def _resource(node: Mapping, index: int) -> Resource:
    type_node = _scalar(node.get("type"))
    name = node.get("name")
    return Resource(
        node=node,
        index=index,
        name=_str(name),
        name_node=_scalar(name),
        type=_str(type_node) or "resource",
        type_node=type_node,
        file=_str(node.get("file")),
        props=[_prop(m) for m in mappings(node.get("props"))],
        exports=_exports(node.get("exports")),
    )


def _prop(node: Mapping) -> Prop:
    values = node.get("values")
    name = node.get("name")
    return Prop(
        node=node,
        name=_str(name),
        name_node=_scalar(name),
        value=node.get("value"),
        values=values if isinstance(values, Mapping) else None,
        merge=node.get("merge"),
    )


def _exports(node: Node | None) -> list[tuple[str, Node]]:
    """Export names as later resources see them: a plain string, or the value of a single-key map."""
    out: list[tuple[str, Node]] = []
    if not isinstance(node, Sequence):
        return out
    for item in node.items:
        if isinstance(item, Scalar) and item.value is not None:
            out.append((str(item.value), item))
        elif isinstance(item, Mapping) and len(item.items) == 1:
            key, value = item.items[0]
            out.append((_str(value) or str(key.value), item))
    return out
