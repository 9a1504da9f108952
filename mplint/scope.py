"""Which template names each place in a manifest can see, in stackql-deploy's order."""

from __future__ import annotations

from dataclasses import dataclass

from mplint.findings import Span
from mplint.model.manifest import Manifest, Prop, Resource
from mplint.source import Node
from mplint.templates import BUILTIN_NAMES


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: str  # "builtin" | "global" | "export" | "prop"
    span: Span | None
    value: Node | None = None  # the literal value node, for globals and props
    prop: Prop | None = None


Scope = dict[str, Definition]


def base_scope(manifest: Manifest, upto: Resource | None) -> Scope:
    """What the props of ``upto`` can see before their own: built-ins, globals, earlier resources' exports."""
    scope: Scope = {name: Definition(name, "builtin", None) for name in BUILTIN_NAMES}
    for glob in manifest.globals:
        if glob.name:
            scope[glob.name] = Definition(glob.name, "global", glob.name_node.span if glob.name_node else None, glob.value)
    for resource in manifest.resources:
        if resource is upto:
            break
        for name, node in resource.exports:
            scope[name] = Definition(name, "export", node.span)
    return scope


def prop_scopes(manifest: Manifest, resource: Resource) -> list[Scope]:
    """For each prop of the resource, the names it can see: the base scope and the earlier props."""
    scope = base_scope(manifest, resource)
    scopes: list[Scope] = []
    for prop in resource.props:
        scopes.append(scope)
        if prop.name:
            scope = {**scope, prop.name: _prop_definition(prop)}
    return scopes


def query_scope(manifest: Manifest, resource: Resource) -> Scope:
    """What the resource's query files see: the base scope and all of its props."""
    scope = base_scope(manifest, resource)
    for prop in resource.props:
        if prop.name:
            scope[prop.name] = _prop_definition(prop)
    return scope


def _prop_definition(prop: Prop) -> Definition:
    span = prop.name_node.span if prop.name_node else prop.node.span
    return Definition(prop.name or "", "prop", span, prop.value, prop)
