"""MPL106, MPL107, MPL111: template names that no scope defines, dead syntax, Jinja syntax errors in the manifest."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.edits import dead_namespace_edits
from mplint.findings import Finding, Fix
from mplint.model.manifest import Manifest
from mplint.project import Stack
from mplint.registry import owns
from mplint.source import Node, Scalar, SourceFile, may_hold_braces
from mplint.stackql.scope import Scope, prop_scopes
from mplint.stackql.templates import DEAD_NAMESPACES, analyse, is_template, locate, string_scalars

R = owns(__name__, "MPL005", "MPL106", "MPL107", "MPL111")


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    """In the manifest; `mplint.checks.scopes` applies the same rules inside query files."""
    if stack.manifest is not None:
        yield from check_manifest(stack.manifest)


def check_manifest(manifest: Manifest) -> Iterator[Finding]:
    source = manifest.doc.source
    for glob in manifest.globals:
        for scalar in _templates(glob.value):
            yield from _syntax_and_dead(source, scalar)  # globals also see environment variables: names unknowable
    resource_names = {r.name for r in manifest.resources if r.name}
    for res in manifest.resources:
        for position, (prop, scope) in enumerate(zip(res.props, prop_scopes(manifest, res), strict=False)):
            later = {p.name for p in res.props[position + 1 :] if p.name}
            for node in _value_nodes(prop):
                for scalar in _templates(node):
                    yield from _syntax_and_dead(source, scalar)
                    yield from _undefined(source, scalar, scope, later, resource_names, prop.name)


def _value_nodes(prop) -> list[Node]:
    nodes = [prop.value] if prop.value is not None else []
    return nodes + list(prop.env_values().values())


def _templates(node: Node | None) -> Iterator[Scalar]:
    if node is None or not may_hold_braces(node):
        return
    for scalar in string_scalars(node):
        if is_template(scalar.value):
            yield scalar


def _syntax_and_dead(source: SourceFile, scalar: Scalar) -> Iterator[Finding]:
    info = analyse(scalar.value)
    if info.limited:
        yield R.MPL005(f"a {info.error}", scalar.span)
        return
    if info.error:
        yield R.MPL111(f"Jinja syntax error: {info.error}", scalar.span)
        return
    for base, attr in info.attributes:
        if base in DEAD_NAMESPACES:
            span = scalar.span
            start, end = source.offset(span.line, span.col), source.offset(span.end_line, span.end_col)
            edits = dead_namespace_edits(source, start, end, base, attr)
            yield R.MPL107(
                f"`{{{{ {base}.{attr} }}}}` is dead syntax: stackql-deploy keeps the literal text as the value; "
                f"write `{{{{ {attr} }}}}`",
                locate(source, scalar, base),
                fixes=(Fix(f"Write `{{{{ {attr} }}}}`", edits),) if edits else (),
            )


def _undefined(
    source: SourceFile, scalar: Scalar, scope: Scope, later: set[str], resources: set[str], own: str | None
) -> Iterator[Finding]:
    info = analyse(scalar.value)
    dotted = {base for base, _ in info.attributes}
    for name in sorted(info.names):
        if name in scope or (name in dotted and (name in DEAD_NAMESPACES or name in resources or name == "this")):
            continue  # dead namespaces are MPL107; `this.x` and `resource.export` are 2.x syntax
        hint = ""
        if name == own:
            hint = " (the prop refers to itself)"
        elif name in later:
            hint = " (a later prop of this resource: props see only earlier ones)"
        yield R.MPL106(
            f"`{{{{ {name} }}}}`: no scope defines `{name}`{hint}; "
            "stackql-deploy 1.x renders an empty string, 2.x stops",
            locate(source, scalar, name),
        )
