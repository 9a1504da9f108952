"""Which template names each place in a manifest can see, in stackql-deploy's order."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from collections.abc import Mapping as MappingABC
from functools import lru_cache

from msgspec import Struct

from mplint.findings import Span
from mplint.model.manifest import Manifest, Prop, Resource
from mplint.source import Node
from mplint.stackql.templates import BUILTIN_NAMES


class Definition(Struct, frozen=True):
    """A template name a place can see: what defines it (builtin, global, export or prop) and where."""

    name: str
    kind: str  # "builtin" | "global" | "export" | "prop"
    span: Span | None
    value: Node | None = None  # the literal value node, for globals and props
    prop: Prop | None = None


# The resources exporting one name: their positions in the manifest, in order, and the definitions
Exports = tuple[list[int], list[Definition]]


class Scope(MappingABC):
    """Names visible at one place: built-ins and globals, the exports of resources before ``limit``, and locals.

    Views share one index per manifest, so a stack of N resources costs O(N), not O(N^2).
    """

    __slots__ = ("_exports", "_fixed", "_limit", "_local")

    def __init__(
        self,
        fixed: dict[str, Definition],
        exports: dict[str, Exports],
        limit: int,
        local: dict[str, Definition] | None = None,
    ) -> None:
        self._fixed, self._exports, self._limit, self._local = fixed, exports, limit, local or {}

    def __getitem__(self, name: str) -> Definition:
        if name in self._local:
            return self._local[name]
        exported = self._exports.get(name)
        if exported is not None:
            before = bisect_left(exported[0], self._limit)  # the exports of the resources before the limit
            if before:
                return exported[1][before - 1]
        return self._fixed[name]

    def __iter__(self) -> Iterator[str]:
        names = set(self._fixed) | set(self._local)
        names.update(n for n, (positions, _) in self._exports.items() if positions[0] < self._limit)
        return iter(sorted(names))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def with_local(self, definition: Definition) -> Scope:
        return Scope(self._fixed, self._exports, self._limit, {**self._local, definition.name: definition})


@lru_cache(maxsize=32)
def _index(manifest: Manifest) -> tuple[dict[str, Definition], dict[str, Exports], dict[int, Definition]]:
    """The manifest's built-ins and globals, its exports, and its props' definitions (by id, made on first use:
    every resource's scopes are asked for by several checks)."""
    fixed: dict[str, Definition] = {name: Definition(name, "builtin", None) for name in BUILTIN_NAMES}
    for glob in manifest.globals:
        if glob.name:
            fixed[glob.name] = Definition(
                glob.name, "global", glob.name_node.span if glob.name_node else None, glob.value
            )
    exports: dict[str, Exports] = {}
    for position, resource in enumerate(manifest.resources):
        for name, node in resource.exports:
            positions, definitions = exports.setdefault(name, ([], []))
            positions.append(position)
            definitions.append(Definition(name, "export", node.span))
    return fixed, exports, {}


def base_scope(manifest: Manifest, upto: Resource | None) -> Scope:
    """What the props of ``upto`` can see before their own: built-ins, globals, earlier resources' exports."""
    fixed, exports, _ = _index(manifest)
    limit = len(manifest.resources) if upto is None else upto.index
    return Scope(fixed, exports, limit)


def prop_scopes(manifest: Manifest, resource: Resource) -> list[Scope]:
    """For each prop of the resource, the names it can see: the base scope and the earlier props."""
    scope = base_scope(manifest, resource)
    known = _index(manifest)[2]
    scopes: list[Scope] = []
    for prop in resource.props:
        scopes.append(scope)
        if prop.name:
            scope = scope.with_local(_prop_definition(prop, known))
    return scopes


def query_scope(manifest: Manifest, resource: Resource) -> Scope:
    """What the resource's query files see: the base scope and all of its props."""
    fixed, exports, known = _index(manifest)
    local = {prop.name: _prop_definition(prop, known) for prop in resource.props if prop.name}  # a later one wins
    return Scope(fixed, exports, resource.index, local)


def _prop_definition(prop: Prop, known: dict[int, Definition]) -> Definition:
    definition = known.get(id(prop))
    if definition is None:
        span = prop.name_node.span if prop.name_node else prop.node.span
        definition = known[id(prop)] = Definition(prop.name or "", "prop", span, prop.value, prop)
    return definition
