"""Templates in a manifest that neither stackql-deploy engine renders.

An unquoted `value: {{ name }}` is YAML for a flow mapping whose key is another mapping: PyYAML (stackql-deploy
1.x) refuses the file ("found unhashable key") and no engine sees a template. Both engines render the strings of
a value but never its keys, so `{"{{ env }}-owner": x}` keeps the braces.
"""

from __future__ import annotations

from collections.abc import Iterator

from mplint.model.manifest import Manifest
from mplint.source import Mapping, Node, Scalar, Sequence
from mplint.stackql.templates import is_template


def unquoted_templates(node: Node | None) -> Iterator[Mapping]:
    """Every unquoted `{{ ... }}` under a node, in file order."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            if current.template is not None:
                yield current
                continue
            if current.braces is not False:
                stack.extend(v for _, v in reversed(current.items))
        elif isinstance(current, Sequence) and current.braces is not False:
            stack.extend(reversed(current.items))


def template_keys(manifest: Manifest) -> Iterator[Scalar]:
    """Mapping keys holding template syntax inside values, `values:` environments and exports."""
    for node in _value_roots(manifest):
        yield from _keys(node)


def _value_roots(manifest: Manifest) -> Iterator[Node]:
    for glob in manifest.globals:
        if glob.value is not None:
            yield glob.value
    for resource in manifest.resources:
        for prop in resource.props:
            if prop.value is not None:
                yield prop.value
            if prop.values is not None:
                yield prop.values
        exports = resource.node.get("exports")
        if exports is not None:
            yield exports


def _keys(node: Node) -> Iterator[Scalar]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping) and current.template is None and current.braces is not False:
            for key, value in reversed(current.items):
                stack.append(value)
                stack.append(key)
        elif isinstance(current, Sequence) and current.braces is not False:
            stack.extend(reversed(current.items))
        elif isinstance(current, Scalar) and current.is_key and is_template(str(current.value)):
            yield current
