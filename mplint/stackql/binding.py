"""Which resource type a manifest entry is, and which value feeds which CloudFormation property or request member.

The pairing comes from the entry's query file (the INSERT's columns against its
SELECT's values), from the configuration, or from inline comments
(`# mplint: type=aws.sagemaker.model_packages`, `# mplint: property=Name`).

On the native `aws` flavour the INSERT's columns are the request members of the insert method StackQL routes to
(the first of the resource's insert bucket whose required members are all given); a snake_case column is the
member StackQL re-cases it to, and each value's `property` is the member's wire name. A stack without query files
names members by its props, as it names CloudFormation properties.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from mplint.catalog.validator import JavaText, Opaque
from mplint.config import ResourceMapping
from mplint.findings import Related, Span
from mplint.model.manifest import Manifest, Prop, Resource
from mplint.model.query import Insert, Item, QueryFile
from mplint.source import Mapping, Node, Scalar, Sequence, SourceFile
from mplint.stackql.provider import Decision, Flavour
from mplint.stackql.scope import Definition, Scope, prop_scopes, query_scope
from mplint.stackql.templates import analyse, is_template

if TYPE_CHECKING:
    from mplint.catalog.native import Method, NativeCatalog
    from mplint.catalog.native import Resource as NativeResource

DIRECTIVE_RE = re.compile(r"#\s*mplint:\s*(type|property)=([\w.:]+)")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


class PropertyValue(Struct, eq=False):
    """One value a resource gives a property (native: a request member), and where it is written."""

    property: str  # CloudFormation property name; native: the request member's wire name (else as written)
    value: Any  # plain data with Opaque leaves
    node: Node  # where the value is written
    env: str | None = None
    column: Item | None = None  # the INSERT column, when paired through a query file
    key_span: Span | None = None  # where the property is named: the INSERT column or the prop's name
    substitutions: dict[int, Definition] = field(default_factory=dict)  # id(scalar) -> definition used there


class Binding(Struct, eq=False):
    """A manifest resource bound: its StackQL and CloudFormation types, how they were found, its values."""

    resource: Resource
    stackql_name: str | None = None
    stackql_span: Span | None = None
    cfn_type: str | None = None  # native: the Cloud Control twin's type (for overlays), never the values' schema
    via: str | None = None  # "query" | "config" | "comment"
    values: list[PropertyValue] = field(default_factory=list)
    insert: Insert | None = None
    flavour: Flavour | None = None  # of the StackQL name; None for other providers and CloudFormation names
    native: NativeResource | None = None  # the native resource (flavour AWS_NATIVE), when the catalog has it
    method: Method | None = None  # native: the insert method StackQL routes the INSERT (or the props) to

    @property
    def is_native(self) -> bool:
        return self.flavour is Flavour.AWS_NATIVE

    def envs(self) -> list[str | None]:
        return sorted({v.env for v in self.values}, key=lambda e: e or "")


TypeMap = Callable[[str], str | None]


def bind(
    manifest: Manifest,
    resource: Resource,
    query: QueryFile | None,
    type_map: TypeMap,
    mapping: ResourceMapping | None,
    envs: tuple[str, ...],
    decision: Decision | None = None,
    native: NativeCatalog | None = None,
) -> Binding:
    binding = Binding(resource)
    directives = _directives(manifest.doc.source, resource)
    insert = query.insert() if query else None
    declared = (mapping.type if mapping else None) or directives.get(id(resource))
    if insert is not None:
        binding.insert = insert
        _set_type(binding, insert.target.text, insert.target.span, type_map, "query", decision, native)
    elif declared:
        via = "config" if mapping and mapping.type else "comment"
        _set_type(binding, declared, resource.anchor_span, type_map, via, decision, native)
    if binding.cfn_type is None and binding.native is None:
        return binding
    if insert is not None:
        _pair_insert(binding, manifest, resource, insert, envs)
    else:
        _pair_by_name(binding, manifest, resource, mapping, directives, envs)
    if binding.native is not None:
        _to_members(binding)
    return binding


def _set_type(
    binding: Binding,
    name: str,
    span: Span,
    type_map: TypeMap,
    via: str,
    decision: Decision | None,
    native: NativeCatalog | None,
) -> None:
    binding.stackql_name, binding.stackql_span, binding.via = name, span, via
    if "::" in name:
        binding.cfn_type = name
        return
    binding.flavour = decision.flavour(name) if decision else None
    if binding.is_native:
        binding.native = native.resource(name) if native else None
        binding.cfn_type = type_map(name) or type_map("awscc." + name.split(".", 1)[-1])
    else:
        binding.cfn_type = type_map(name)


def _to_members(binding: Binding) -> None:
    """Route the INSERT (or the props) as StackQL does and name each value by the member it reaches."""
    assert binding.native is not None
    routing = binding.native.routing("insert", dict.fromkeys(pv.property for pv in binding.values))
    binding.method = routing.method or routing.read
    for pv in binding.values:
        member = routing.members.get(pv.property)
        if member is not None:
            pv.property = member.name


def _directives(source: SourceFile, resource: Resource) -> dict[int, str]:
    """Inline `# mplint: type=` on the resource's first line, `# mplint: property=` on a prop's first lines."""
    found: dict[int, str] = {}
    lines = source.lines
    for owner, kind in [(resource, "type"), *((p, "property") for p in resource.props)]:
        line0 = owner.node.span.line - 1
        for text in lines[max(0, line0 - 1) : line0 + 1]:
            match = DIRECTIVE_RE.search(text)
            if match and match.group(1) == kind:
                found[id(owner)] = match.group(2)
    return found


def _pair_by_name(binding, manifest, resource, mapping, directives, envs) -> None:
    scopes = prop_scopes(manifest, resource)
    renames = mapping.props if mapping else {}
    for prop, scope in zip(resource.props, scopes, strict=False):
        if not prop.name:
            continue
        target = renames.get(prop.name) or directives.get(id(prop)) or prop.name
        binding.values.extend(_prop_values(prop, target, scope, envs, None))


def _pair_insert(binding, manifest, resource, insert: Insert, envs) -> None:
    scope = query_scope(manifest, resource)
    for column, item in zip(insert.columns, insert.values, strict=False):
        if column.text.lower() == "region":
            continue
        binding.values.extend(column_values(column, item, scope, envs))


def column_values(column: Item, item: Item, scope: Scope, envs: tuple[str, ...]) -> list[PropertyValue]:
    """The value(s) one SQL value gives the column it is paired with: a prop's (per environment) when it is
    exactly `'{{ prop }}'`, a literal global's, an SQL literal, else Opaque."""
    text = item.text
    inner = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else None
    if (inner is not None and is_template(inner)) or (inner is None and is_template(text)):
        name = analyse(inner if inner is not None else text).simple_name
        definition = scope.get(name) if name else None
        if definition is not None and definition.kind == "prop" and definition.prop is not None:
            return _prop_values(definition.prop, column.text, scope, envs, column)
        if definition is not None and definition.kind == "global" and definition.value is not None:
            return [_substituted(column, item, definition, scope)]
        unknown = Scalar(item.span, Opaque(text))  # given, but not known before deployment
        return [PropertyValue(column.text, unknown.value, unknown, column=column, key_span=column.span)]
    node = Scalar(item.span, _sql_literal(text))
    return [PropertyValue(column.text, node.value, node, column=column, key_span=column.span)]


def _substituted(column: Item, item: Item, definition: Definition, scope: Scope) -> PropertyValue:
    node = Scalar(item.span, None)
    pv = PropertyValue(column.text, None, node, column=column, key_span=column.span)
    pv.value = to_value(definition.value, scope, None, pv.substitutions)
    pv.substitutions[id(node)] = definition
    return pv


def _sql_literal(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if NUMBER_RE.match(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        inner = text[1:-1].replace("''", "'")
        if inner[:1] in "[{":
            try:
                return json.loads(inner)
            except ValueError:
                pass
            except RecursionError:  # nested past what the decoder follows: given, but not judged
                return Opaque(text)
        return inner
    return Opaque(text)


def _prop_values(prop: Prop, target: str, scope: Scope, envs, column: Item | None) -> list[PropertyValue]:
    out: list[PropertyValue] = []
    if prop.value is not None:
        sources: list[tuple[str | None, Node]] = [(None, prop.value)]
    else:
        per_env = prop.env_values()
        sources = [(env, node) for env, node in sorted(per_env.items()) if not envs or env in envs]
    for env, node in sources:
        pv = PropertyValue(target, None, node, env=env, column=column, key_span=_key_span(prop, column))
        pv.value = to_value(node, scope, env, pv.substitutions)
        if prop.merge is not None:
            pv.value = _merged(pv.value, prop.merge, scope, env)
        out.append(pv)
    return out


def _merged(value: Any, merge: Node, scope: Scope, env: str | None) -> Any:
    """The value with `merge:` applied as stackql-deploy does (lists: union; maps: shallow update).

    Anything not known before deployment (an export, a template, a type mismatch) makes it Opaque.
    """
    names = [item.value for item in merge.items] if isinstance(merge, Sequence) else []
    for name in names:
        definition = scope.get(str(name))
        if definition is None or definition.kind not in ("global", "prop") or definition.value is None:
            return Opaque("merge")
        extra = to_value(definition.value, scope, env, {})
        if isinstance(value, list) and isinstance(extra, list):
            value = value + [item for item in extra if item not in value]
        elif isinstance(value, dict) and isinstance(extra, dict):
            value = {**value, **extra}
        else:
            return Opaque("merge")
    return value


def _key_span(prop: Prop, column: Item | None) -> Span:
    """Where the user names the property: the prop, even when a query file's column maps it."""
    return (prop.name_node or prop.node).span


def to_value(
    node: Node | None, scope: Scope, env: str | None, substitutions: dict[int, Definition], depth: int = 0
) -> Any:
    """Plain data for a value node: templates become Opaque, unless exactly `{{ name }}` of a literal definition."""
    if node is None:
        return None
    if type(node) is Scalar:  # most nodes: a plain string
        value = node.value
        if type(value) is str and "{" not in value and node.style is None:
            return value
    elif isinstance(node, Mapping):
        if node.template is not None:  # an unquoted `{{ name }}` (MPL113): never a value of its own
            return Opaque(node.template)
        return {str(k.value): to_value(v, scope, env, substitutions, depth) for k, v in node.items}
    elif isinstance(node, Sequence):
        return [to_value(item, scope, env, substitutions, depth) for item in node.items]
    value = node.value  # type: ignore[attr-defined]
    if isinstance(value, str):
        if not is_template(value):
            return JavaText(value) if _block_ending_in_newline(node, value) else value
        definition = _literal_definition(value, scope)
        if definition is None or depth > 8:
            return Opaque(value)
        substitutions[id(node)] = definition
        return to_value(definition.value, scope, env, {}, depth + 1)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return Opaque(repr(value))
    return value


def _block_ending_in_newline(node: Node, value: str) -> bool:
    """A block scalar (`|`, `>`) keeps its final line break: Cloud Control matches it with Java's `$`."""
    return isinstance(node, Scalar) and node.style in ("|", ">") and value.endswith(("\n", "\r"))


def _literal_definition(text: str, scope: Scope) -> Definition | None:
    name = analyse(text).simple_name
    definition = scope.get(name) if name else None
    if definition is None or definition.kind not in ("global", "prop") or definition.value is None:
        return None
    value = definition.value
    if isinstance(value, Scalar) and isinstance(value.value, str) and is_template(value.value):
        return None
    return definition


def locate(pv: PropertyValue, path: list, key: bool = False) -> tuple[Span, tuple[Related, ...]]:
    """The span of the value (or, with ``key``, the key) at ``path`` inside one value, and where a substituted
    value came from."""
    node: Node = pv.node
    for i, part in enumerate(path):
        definition = pv.substitutions.get(id(node))
        if definition is not None:
            return node.span, (Related(_descend(definition.value, path[i:]), f"`{definition.name}` is defined here"),)
        found, key_node = child(node, part)
        if found is None:
            return node.span, ()
        if key and i == len(path) - 1 and key_node is not None:
            return key_node.span, ()
        node = found
    definition = pv.substitutions.get(id(node))
    if definition is not None and definition.value is not None:
        return node.span, (Related(definition.value.span, f"`{definition.name}` is defined here"),)
    return node.span, ()


def child(node: Node, part: Any) -> tuple[Node | None, Any]:
    """The child of a mapping (by key) or sequence (by index), and the key node."""
    if isinstance(node, Mapping) and isinstance(part, str):
        return node.get(part), node.key(part)
    if isinstance(node, Sequence) and isinstance(part, int) and part < len(node.items):
        return node.items[part], None
    return None, None


def _descend(node: Node | None, path: list) -> Span:
    assert node is not None
    for part in path:
        found, _ = child(node, part)
        if found is None:
            break
        node = found
    return node.span
