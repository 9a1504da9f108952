"""MPL2xx: each resource's property values against its CloudFormation resource schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mplint.catalog import formats
from mplint.catalog.errors import describe, show, template_caused
from mplint.catalog.schemas import KeyPath, covers, pointer_hits, pointer_paths
from mplint.catalog.validator import extra_keys, faults, names_key
from mplint.context import Context
from mplint.edits import replace_scalar
from mplint.findings import Edit, Finding, Fix, Related
from mplint.project import Stack
from mplint.registry import owns
from mplint.source import Mapping, Node, Scalar, walk
from mplint.stackql.binding import Binding, PropertyValue, child
from mplint.stackql.props import locate, per_env
from mplint.suggest import clear_match, closest

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from mplint.catalog.validator import TypeValidator

R = owns(
    __name__,
    "MPL201", "MPL202", "MPL203", "MPL204", "MPL205", "MPL206", "MPL207", "MPL208", "MPL209", "MPL210",
    "MPL211", "MPL212", "MPL213", "MPL214", "MPL215", "MPL216", "MPL217",
)  # fmt: skip

# Cloud Control request parameters that StackQL accepts as INSERT columns beside the properties.
REQUEST_PARAMETERS = ("ClientToken",)
# Keyword -> rule, for keywords whose validator message says it all.
KIND_RULE = {  # catalog.errors.describe's kinds
    "type": "MPL202", "enum": "MPL203", "pattern": "MPL204", "range": "MPL205",
    "required": "MPL206", "unchecked": "MPL209", "other": "MPL210",
}  # fmt: skip
PLAIN = {
    "requiredXor": "MPL212", "requiredOr": "MPL213", "dependentRequired": "MPL214", "dependencies": "MPL214",
    "dependentExcluded": "MPL215", "uniqueKeys": "MPL216",
}  # fmt: skip
LIFECYCLE = (  # pointer list, rule, what the finding says about the place
    ("readOnlyProperties", "MPL207", "is read-only in {type}: it is set by AWS and cannot be written"),
    ("writeOnlyProperties", "MPL208",
     "is write-only in {type}: it cannot be read back, so a statecheck or export cannot compare it"),
    ("deprecatedProperties", "MPL217", "is deprecated in {type}: the provider may ignore it; see the schema's "
     "description for its replacement"),
)  # fmt: skip


SUGGESTED = 100  # unknown properties of one object that get a "did you mean": each costs a fuzzy search


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    for binding in ctx.bindings(stack):
        if binding.cfn_type is None or not binding.values or binding.is_native:
            continue
        validator = ctx.validator(binding.cfn_type)
        if validator is not None:
            yield from check_binding(binding, validator)


def check_binding(binding: Binding, validator: TypeValidator) -> Iterator[Finding]:
    schema = validator.schema
    yield from _lifecycle(binding, schema)
    request_only = {name for name in REQUEST_PARAMETERS if name not in schema.get("properties", {})}
    for _, values in per_env(binding, frozenset(request_only)):
        instance = {name: pv.value for name, pv in values.items()}
        for error in faults(validator, instance):
            if not template_caused(error):
                yield from _findings(error, values, binding)


def _lifecycle(binding: Binding, schema: dict) -> Iterator[Finding]:
    """Read-only, write-only and deprecated places, whole properties or parts of their values at any depth."""
    lists = _lifecycle_pointers(schema)
    for pv in binding.values:
        for by_property, rule, says in lists:
            pointers = by_property.get(pv.property)
            for path in pointer_hits(pointers, pv.property, pv.value) if pointers else ():
                yield _lifecycle_finding(rule, says.format(type=binding.cfn_type), path, pv, binding)


Pointers = dict[str, list[tuple[str, ...]]]
_POINTERS: dict[int, tuple[dict, list[tuple[Pointers, str, str]]]] = {}


def _lifecycle_pointers(schema: dict) -> list[tuple[Pointers, str, str]]:
    """Per LIFECYCLE entry, its pointers by the property they start at; computed once per schema."""
    cached = _POINTERS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    lists = []
    for key, rule, says in LIFECYCLE:
        pointers = pointer_paths(schema, key)
        if key == "readOnlyProperties":
            pointers = _writable_dropped(schema, pointers)
        by_property: Pointers = {}
        for pointer in pointers:
            if pointer:
                by_property.setdefault(pointer[0], []).append(pointer)
        lists.append((by_property, rule, says))
    _POINTERS[id(schema)] = (schema, lists)
    return lists


def _writable_dropped(schema: dict, read_only: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Read-only pointers without a create-only or write-only one at or below them. A schema that calls
    `BgpConfigurations` read-only and `BgpConfigurations/*/PeerAsn` create-only means the part can be written."""
    writable = pointer_paths(schema, "createOnlyProperties") + pointer_paths(schema, "writeOnlyProperties")
    return [p for p in read_only if not any(covers(p, w) for w in writable)]


def _lifecycle_finding(rule: str, says: str, path: KeyPath, pv: PropertyValue, binding: Binding) -> Finding:
    if len(path) == 1:
        related = (
            (Related(pv.column.span, "set by this INSERT column"),)
            if rule == "MPL207" and pv.column and pv.key_span != pv.column.span
            else ()
        )
        span = pv.key_span or pv.node.span
    else:
        span, related = locate(list(path), {pv.property: pv}, binding, key=True)
    return R.emit(rule, f"`{'.'.join(map(str, path))}` {says}", span, related=related, key_path=path)


def _findings(error: ValidationError, values: dict[str, PropertyValue], binding: Binding) -> Iterator[Finding]:
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        for i, extra in enumerate(sorted(extra_keys(error.schema, error.instance))):  # hints for the first ones
            yield _unknown_property(extra, known if i < SUGGESTED else [], path, values, binding)
        return
    branch = _only_branch(error)
    if branch is not None:  # the other alternatives are for other types: this one's errors say what is wrong
        for sub in branch:
            yield from _findings(sub, values, binding)
        return
    span, related = locate(path, values, binding, key=names_key(error))
    rule, message = _describe(error, binding)
    yield R.emit(rule, message, span, related=related, key_path=tuple(path), fixes=_enum_fix(error, path, values))


def _only_branch(error: ValidationError) -> list[ValidationError] | None:
    """For an anyOf/oneOf whose alternatives all but one reject the value's type alone, that one's errors."""
    if error.validator not in ("anyOf", "oneOf") or not error.context or _formats_only(error):
        return None
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if len(branches) != len(error.validator_value):
        return None
    fitting = [
        subs for subs in branches.values() if not all(s.validator == "type" and not s.relative_path for s in subs)
    ]
    return fitting[0] if len(fitting) == 1 else None


def _unknown_property(
    extra: str, known: list[str], path: list, values: dict[str, PropertyValue], binding: Binding
) -> Finding:
    best = closest(extra, known)
    hint = f" (did you mean `{best}`?)" if best else ""
    where = f"`{'.'.join(map(str, path))}`" if path else binding.cfn_type
    if not path and extra in values:
        pv = values[extra]  # the column (or the prop named like a property) is what names it
        span = pv.column.span if pv.column else pv.key_span or pv.node.span
        related = (Related(pv.key_span, "its value comes from this prop"),) if pv.column and pv.key_span else ()
    else:
        span, related = locate([*path, extra], values, binding, key=True)
    fixes = _case_fix(extra, best, path, values, binding) if best and best.lower() == extra.lower() else ()
    return R.MPL201(
        f"unknown property `{extra}` in {where}{hint}", span, related=related, key_path=(*path, extra), fixes=fixes
    )


def _describe(error: ValidationError, binding: Binding) -> tuple[str, str]:
    kind = error.validator
    where = ".".join(map(str, error.absolute_path)) or binding.cfn_type
    got = show(error.instance)
    if kind in PLAIN:
        owner = ".".join(map(str, list(error.absolute_path)[: -1 if names_key(error) else None]))
        return PLAIN[kind], f"`{owner or binding.cfn_type}`: {error.message}"
    if kind == "format":
        return "MPL211", f"`{where}` value {error.message}"
    if kind in ("anyOf", "oneOf") and _formats_only(error):
        options = ", or ".join(formats.label(sub.validator_value) for sub in error.context or ())
        return "MPL211", f"`{where}` value {got} is not {options}"
    kind, message = describe(error, where)
    return KIND_RULE[kind], message


def _formats_only(error: ValidationError) -> bool:
    """An anyOf/oneOf of formats alone (a KMS key given as ARN, id or alias) that the value meets none of."""
    subs = error.context or ()
    return bool(subs) and len(subs) == len(error.validator_value) and all(sub.validator == "format" for sub in subs)


# -- fixes -----------------------------------------------------------------------------------


def _enum_fix(error: ValidationError, path: list, values: dict[str, PropertyValue]) -> tuple[Fix, ...]:
    """The one allowed value a wrong literal surely means; unsafe when the literal is a global or prop that
    other places may use as written."""
    if error.validator not in ("enum", "const") or not isinstance(error.instance, str):
        return ()
    options = error.validator_value if error.validator == "enum" else [error.validator_value]
    best = clear_match(error.instance, [o for o in options if isinstance(o, str)])
    node, substituted = _value_node(path, values)
    if best is None or not isinstance(node, Scalar) or node.value != error.instance:
        return ()
    edit = replace_scalar(node, best)
    return (Fix(f"Replace `{error.instance}` with `{best}`", (edit,), safe=not substituted),) if edit else ()


def _value_node(path: list, values: dict[str, PropertyValue]) -> tuple[Node | None, bool]:
    """The node that holds the value at ``path`` as written, and whether it is a definition used here by name."""
    if not path or path[0] not in values:
        return None, False
    pv = values[path[0]]
    node: Node | None = pv.node
    substituted = False
    for part in [*path[1:], None]:
        definition = pv.substitutions.get(id(node))
        if definition is not None:
            node, substituted = definition.value, True
        if part is None or node is None:
            break
        node, _ = child(node, part)
    return node, substituted


def _case_fix(extra: str, best: str, path: list, values: dict[str, PropertyValue], binding: Binding) -> tuple[Fix, ...]:
    """Rename a property written in the wrong case: the INSERT column, the key, or the prop named after it."""
    title = f"Rename `{extra}` to `{best}`"
    if path or extra not in values:
        node, substituted = _value_node(path, values) if path else (None, False)
        key = node.key(extra) if isinstance(node, Mapping) else None
        edit = replace_scalar(key, best) if key is not None else None
        return (Fix(title, (edit,), safe=not substituted),) if edit else ()
    pv = values[extra]
    if pv.column is not None:
        return (Fix(title, (Edit(pv.column.span, best),)),) if pv.column.text == extra else ()
    prop = next((p for p in binding.resource.props if p.name == extra and p.name_node is not None), None)
    edit = replace_scalar(prop.name_node, best) if prop is not None and prop.name_node is not None else None
    if edit is None:
        return ()
    read_elsewhere = any(
        isinstance(n, Scalar) and n is not prop.name_node and isinstance(n.value, str) and extra in n.value
        for _, n in walk(binding.resource.node)
    )  # a template reading the prop by name would lose it
    return (Fix(title, (edit,), safe=not read_elsewhere),)
