"""A validator for CloudFormation resource schemas (and any JSON Schema in their dialect).

Draft 7, plus the keywords CloudFormation's schemas add: `format` with mplint's checkers (catalog/formats.py),
`requiredXor` (exactly one of), `requiredOr` (at least one of), `dependentRequired`, `dependentExcluded`,
`enumCaseInsensitive`, `prefixItems` (with `items` then applying to the items after the prefix),
`uniqueKeys` and `maxUniqueItems`. `KEYWORDS` lists every keyword and what is done with it.

jsonschema's own `pattern`, `patternProperties` and `additionalProperties` use Python's `re`, which rejects
patterns such as `\\p{L}` (and reads others differently); here every pattern goes through `compile_pattern`
with ECMA-262 meaning. A `JavaText` value is matched with Java's `$` instead, as CloudFormation's own
validation does. A key pattern that cannot be compiled is taken to match (no false "unknown property"); a
value pattern that cannot be compiled yields an error marked UNCHECKED, which the schema check reports as a note.
`faults()` gives one error per fault: a value of the wrong type gets no enum, pattern or format error besides,
and a `oneOf` of required sets is not repeated beside the `requiredXor` that says the same.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mplint.catalog import formats
from mplint.catalog.patterns import compile_pattern, pattern_search

if TYPE_CHECKING:
    from jsonschema import Draft7Validator

# jsonschema is imported when a value first needs the full validator (`_jsonschema`): a value the quick check
# passes (`catalog.quick`) never does, and a run whose values all pass never imports it.
ValidationError: Any = None
_draft7_items: Any = None

UNCHECKED = "x-unchecked-pattern"
# Keywords that say nothing more once the value has the wrong type.
VALUE_KEYWORDS = frozenset(
    {"enum", "const", "enumCaseInsensitive", "pattern", "format", UNCHECKED, "minLength", "maxLength", "minimum",
     "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)  # fmt: skip

# Every keyword a schema in this dialect may carry, and what mplint does with it. A keyword the bundled schemas
# use that is not listed here fails tests/test_schema_keywords.py (scripts/schema_keywords.py prints the census).
DRAFT7 = "Draft 7 (jsonschema)"
MPLINT = "mplint's own implementation"
ANNOTATION = "annotation: no constraint on the value"
KEYWORDS: dict[str, str] = {
    **dict.fromkeys(
        ("type", "properties", "required", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "enum",
         "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "oneOf", "anyOf",
         "allOf", "not", "if", "then", "else", "minProperties", "maxProperties", "propertyNames", "contains",
         "additionalItems", "$ref", "definitions"),
        DRAFT7,
    ),
    **dict.fromkeys(
        ("pattern", "patternProperties", "additionalProperties", "format", "items", "dependencies", "requiredXor",
         "requiredOr", "dependentRequired", "dependentExcluded", "enumCaseInsensitive", "prefixItems", "uniqueKeys",
         "maxUniqueItems"),
        MPLINT,
    ),
    **dict.fromkeys(("description", "title", "default", "examples", "$comment", "$schema", "$id"), ANNOTATION),
    "insertionOrder": ANNOTATION + " (whether the order of an array matters when comparing)",
    "arrayType": ANNOTATION + " (AttributeList or Standard: how CloudFormation compares the array)",
    "relationshipRef": ANNOTATION + " (the value names another resource's property; one resource cannot tell)",
}  # fmt: skip
# Keywords whose value holds subschemas: a mapping of them, one, or a list.
SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "dependencies")
SCHEMA_ONE = ("items", "additionalProperties", "additionalItems", "not", "if", "then", "else", "contains",
              "propertyNames")  # fmt: skip
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")


class Opaque(str):
    """A value not known before deployment (a template): never checked against the schema."""


class JavaText(str):
    """A string that the service matches with Java's regex semantics: `$` also matches before a final line
    terminator. CloudFormation validates with Java; a YAML block scalar (`value: |`) ends with a newline."""


def key_matches(pattern: str, key: str) -> bool:
    compiled = compile_pattern(pattern)
    return compiled is None or compiled.search(key) is not None


def extra_keys(schema: dict, instance: dict) -> list[str]:
    """The keys of ``instance`` that neither `properties` nor `patternProperties` of ``schema`` allow."""
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    return [k for k in instance if k not in known and not any(key_matches(p, k) for p in patterns)]


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not isinstance(instance, str) or isinstance(instance, Opaque):
        return
    matched = pattern_search(pattern, instance, java_end=isinstance(instance, JavaText))
    if matched is None:
        yield ValidationError(f"pattern {pattern!r} cannot be checked here", validator=UNCHECKED)
    elif not matched:
        yield ValidationError(f"{instance!r} does not match the pattern {pattern!r}")


def _pattern_properties(validator: Any, props: dict, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in props.items():
        for key, value in instance.items():
            if key_matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, extra: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    extras = extra_keys(schema, instance)
    if extra is False and extras:
        yield ValidationError(f"Additional properties are not allowed ({', '.join(map(repr, extras))})")
    elif isinstance(extra, dict):
        for key in extras:
            yield from validator.descend(instance[key], extra, path=key)


def _known(instance: Any) -> bool:
    """No template anywhere inside: the value can be compared with others."""
    if isinstance(instance, Opaque):
        return False
    if isinstance(instance, dict):
        return all(_known(v) for v in instance.values())
    if isinstance(instance, list):
        return all(_known(v) for v in instance)
    return True


def _format(validator: Any, name: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if isinstance(instance, Opaque) or not isinstance(name, str):
        return
    single = formats.LIST_FORMATS.get(name)
    if single is not None:
        yield from _list_format(name, single, instance, schema)
        return
    check = formats.checker(name)
    if check is not None and not check(_java_trimmed(instance)):
        yield ValidationError(f"{instance!r} is not {formats.label(name)}")


def _java_trimmed(instance: Any) -> Any:
    """A format's shape is a pattern the service matches: for a JavaText, `$` allows one final line break."""
    if isinstance(instance, JavaText):
        for end in ("\r\n", "\n", "\r", "\x85", "\u2028", "\u2029"):
            if instance.endswith(end):
                return str(instance[: -len(end)])
    return instance


def _list_format(name: str, single: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """A list format checks its items, unless the items schema names formats of its own (checked there)."""
    items = schema.get("items")
    if not isinstance(instance, list) or (isinstance(items, dict) and _names_format(items)):
        return
    check = formats.checker(single)
    for index, item in enumerate(instance):
        if check is not None and not isinstance(item, Opaque) and not check(_java_trimmed(item)):
            yield ValidationError(f"{item!r} is not {formats.label(single)}", path=[index])


def _names_format(schema: dict) -> bool:
    return "format" in schema or any(
        isinstance(sub, dict) and "format" in sub for key in ("anyOf", "oneOf", "allOf") for sub in schema.get(key, ())
    )


def _at_key(message: str, key: str) -> ValidationError:
    """An error about the property ``key`` of the object being validated: reported at the key."""
    error = ValidationError(message, path=[key])
    error.names_key = True  # type: ignore[attr-defined]
    return error


def names_key(error: ValidationError) -> bool:
    """The error's last path element is a key the error is about (not a value below it)."""
    return getattr(error, "names_key", False)


def _names(keys: Iterable[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys)


def _required_xor(validator: Any, names: list, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    present = [key for key in instance if key in names]
    if not present:
        yield ValidationError(f"exactly one of {_names(names)} is required; none is set")
    for key in present[1:]:
        yield _at_key(f"only one of {_names(names)} may be set; `{present[0]}` is set too", key)


def _required_or(validator: Any, names: list, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if validator.is_type(instance, "object") and not any(key in instance for key in names):
        yield ValidationError(f"at least one of {_names(names)} is required; none is set")


def _dependent_required(validator: Any, deps: dict, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for key, needed in deps.items():
        missing = [each for each in needed if key in instance and each not in instance]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            yield _at_key(f"`{key}` requires {_names(missing)}, which {verb} not set", key)


def _dependent_excluded(validator: Any, deps: dict, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    order = {key: i for i, key in enumerate(instance)}
    pairs = {tuple(sorted((key, each), key=order.get)) for key, excluded in deps.items() if key in instance
             for each in excluded if each in instance}  # fmt: skip
    for first, second in sorted(pairs, key=lambda pair: order[pair[1]]):  # A excludes B and B excludes A: once
        yield _at_key(f"`{second}` cannot be set together with `{first}`", second)


def _dependencies(validator: Any, deps: dict, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """Draft 7 `dependencies`: the array form is dependentRequired, the schema form descends."""
    if not validator.is_type(instance, "object"):
        return
    for key, dependency in deps.items():
        if key not in instance:
            continue
        if isinstance(dependency, list):
            yield from _dependent_required(validator, {key: dependency}, instance, schema)
        else:
            yield from validator.descend(instance, dependency, schema_path=key)


def _enum_case_insensitive(validator: Any, options: list, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not isinstance(instance, str) or isinstance(instance, Opaque):
        return
    if instance.lower() not in {o.lower() for o in options if isinstance(o, str)}:
        yield ValidationError(f"{instance!r} is not one of {options!r} (in any case)")


def _prefix_items(validator: Any, prefix: list, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "array"):
        return
    for index, (item, subschema) in enumerate(zip(instance, prefix, strict=False)):
        yield from validator.descend(item, subschema, path=index, schema_path=index)


def _items(validator: Any, items: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """Draft 7 `items`; beside `prefixItems` (2020-12), it applies to the items after the prefix."""
    prefix = schema.get("prefixItems")
    if not isinstance(prefix, list) or not isinstance(items, (dict, bool)):
        yield from _draft7_items(validator, items, instance, schema)
        return
    if not validator.is_type(instance, "array"):
        return
    for index in range(len(prefix), len(instance)):
        yield from validator.descend(instance[index], items, path=index)


def _unique_keys(validator: Any, keys: list, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not keys or not validator.is_type(instance, "array"):
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(instance):
        if not isinstance(item, dict) or not all(k in item for k in keys) or not _known(item):
            continue
        identity = repr([_comparable(item[k]) for k in keys])
        if identity in seen:
            shown = ", ".join(f"{k}={item[k]!r}" for k in keys)
            yield ValidationError(f"items {seen[identity]} and {index} have the same {shown}", path=[index])
        else:
            seen[identity] = index


def _max_unique_items(validator: Any, limit: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "array") or not _known(instance):
        return
    count = distinct(instance)
    if count > limit:
        yield ValidationError(f"has {count} different items; the maximum is {limit}")


def distinct(items: list) -> int:
    """How many different JSON values the list holds (1 and 1.0 are one; true is not 1)."""
    return len({repr(_comparable(item)) for item in items})


def _comparable(value: Any) -> Any:
    """A form in which equal JSON values compare equal (1 and 1.0; keys in any order), booleans apart."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, dict):
        return sorted((k, _comparable(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "format": _format,
    "requiredXor": _required_xor,
    "requiredOr": _required_or,
    "dependentRequired": _dependent_required,
    "dependentExcluded": _dependent_excluded,
    "dependencies": _dependencies,
    "enumCaseInsensitive": _enum_case_insensitive,
    "prefixItems": _prefix_items,
    "items": _items,
    "uniqueKeys": _unique_keys,
    "maxUniqueItems": _max_unique_items,
}
_CLASSES: dict[str, Any] = {}
_LOADING = threading.Lock()


def _jsonschema() -> dict[str, Any]:
    """`SchemaValidator` (Draft 7 with the keywords above), `MemberValidator` and `FormValidator` (native
    requests, `member_validator`), built on first use."""
    global ValidationError, _draft7_items
    with _LOADING:
        if not _CLASSES:
            from jsonschema import Draft7Validator, validators
            from jsonschema import ValidationError as error
            from jsonschema._legacy_keywords import items_draft6_draft7_draft201909

            ValidationError, _draft7_items = error, items_draft6_draft7_draft201909
            schema_validator = validators.extend(Draft7Validator, _KEYWORDS)
            _CLASSES["SchemaValidator"] = schema_validator
            _CLASSES["MemberValidator"] = validators.extend(schema_validator, {"type": _member_type(False)})
            _CLASSES["FormValidator"] = validators.extend(schema_validator, {"type": _member_type(True)})
    return _CLASSES


def __getattr__(name: str) -> Any:
    if name in ("SchemaValidator", "MemberValidator", "FormValidator"):
        return _jsonschema()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TypeValidator:
    """A resource type's schema compiled for validation: the quick check for the values that are right, the
    full validator (made on first need) for the errors of the others."""

    def __init__(self, schema: dict) -> None:
        from mplint.catalog.quick import compile_check

        self.schema = inline_refs(schema)
        self.quick = compile_check(self.schema)
        self._full: Draft7Validator | None = None

    @property
    def full(self) -> Draft7Validator:
        if self._full is None:
            self._full = _jsonschema()["SchemaValidator"](self.schema)
        return self._full

    def passes(self, instance: Any) -> bool:
        """The value breaks nothing in the schema (False: it may)."""
        try:
            return self.quick(instance) is True
        except Exception:  # an odd value or schema: the full validator says what it makes of it
            return False

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        return iter(()) if self.passes(instance) else self.full.iter_errors(instance)


def faults(validator: Any, instance: Any) -> Iterator[ValidationError]:
    """The validator's errors, one per fault: a value whose type is wrong gets no value-keyword error too."""
    errors = list(validator.iter_errors(instance))
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    alternatives = {
        tuple(e.absolute_path)[: -1 if names_key(e) else None]
        for e in errors
        if e.validator in ("requiredXor", "requiredOr")
    }
    for error in errors:
        path = tuple(error.absolute_path)
        if error.validator in VALUE_KEYWORDS and path in mistyped:
            continue
        if error.validator in ("oneOf", "anyOf") and path in alternatives and _only_required(error.validator_value):
            continue  # `oneOf: [{required: [A]}, {required: [B]}]` beside `requiredXor: [A, B]`
        yield error


def _only_required(branches: Any) -> bool:
    return isinstance(branches, list) and all(isinstance(b, dict) and set(b) == {"required"} for b in branches)


_REF_NOTES = frozenset({"description", "title", "default", "examples", "$comment"})  # annotations only
_LOCAL = "#/definitions/"


def definition_name(ref: Any) -> str | None:
    """The definition a local `$ref` (`#/definitions/X`) names; None for any other reference."""
    if not isinstance(ref, str) or not ref.startswith(_LOCAL) or "/" in ref[len(_LOCAL) :]:
        return None
    return ref[len(_LOCAL) :]


def inline_refs(schema: dict) -> dict:
    """The schema with its local `#/definitions/X` references replaced by their targets.

    jsonschema resolves a `$ref` on every descent, which dominates validation time; inlining once per
    type is several times faster. A definition that refers to itself (directly or not) keeps its `$ref`.
    Draft 7 reads nothing beside a `$ref`: a description there (the commonest sibling) is kept over the
    definition's for the language server's hover; a `$ref` beside a constraint is left as it is.
    """
    definitions = schema.get("definitions", {})

    def walk(node: Any, active: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, active) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node and node.keys() - _REF_NOTES == {"$ref"}:
            name = definition_name(node["$ref"])
            if name is not None and name in definitions and name not in active:
                notes = {key: value for key, value in node.items() if key != "$ref"}
                inlined = walk(definitions[name], active | {name})
                return {**inlined, **notes} if notes and isinstance(inlined, dict) else inlined
            return node
        return {key: walk(value, active) for key, value in node.items()}

    inlined = {key: walk(value, frozenset()) for key, value in schema.items() if key != "definitions"}
    inlined["definitions"] = definitions
    return inlined


def resource_validator(schema: dict) -> TypeValidator:
    """The validator for one resource type's properties (compile once per type and run)."""
    return TypeValidator(schema)


_SCALAR_TEXT = {
    "integer": re.compile(r"-?\d+"),
    "number": re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?"),
    "boolean": re.compile(r"true|false", re.IGNORECASE),
}


def _member_type(form_encoded: bool) -> Any:
    """`type` for native request members. A structure or list where a string is wanted is sent as its JSON text
    (stackql-deploy renders a prop's mapping or list to JSON, and policy documents are such strings). Form-encoded
    (query and ec2 protocols): a string spelling an integer, number or boolean counts as one, and a single value
    as a list of one (`Name.1=value`)."""

    def check(validator: Any, types: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
        wanted = [types] if isinstance(types, str) else list(types)
        if any(validator.is_type(instance, t) for t in wanted):
            return
        if "string" in wanted and isinstance(instance, (dict, list)):
            return
        if form_encoded and _as_text(wanted, instance):
            return
        yield ValidationError(f"{instance!r} is not of type {', '.join(map(repr, wanted))}")

    return check


def _as_text(wanted: list[str], instance: Any) -> bool:
    if "array" in wanted and isinstance(instance, (str, int, float, bool)):
        return True
    return isinstance(instance, str) and any(t in _SCALAR_TEXT and _SCALAR_TEXT[t].fullmatch(instance) for t in wanted)


class RequestValidator(TypeValidator):
    """A native method's request compiled for validation: the quick check with the members' `type`, the member
    validator (made on first need) for the errors."""

    def __init__(self, schema: dict, form_encoded: bool) -> None:
        from mplint.catalog.quick import compile_check

        self.schema = inline_refs(schema)
        self.form_encoded = form_encoded
        self.quick = compile_check(self.schema, "form" if form_encoded else "json")
        self._full: Draft7Validator | None = None

    @property
    def full(self) -> Draft7Validator:
        if self._full is None:
            self._full = _jsonschema()["FormValidator" if self.form_encoded else "MemberValidator"](self.schema)
        return self._full


def member_validator(schema: dict, form_encoded: bool = False) -> RequestValidator:
    """The validator for a native method's request (`catalog.native.Method.schema`), compiled once per method.

    A structure or list where a string is wanted is accepted (it is sent as JSON text). With ``form_encoded``
    (the query and ec2 protocols send every value as text) a string that spells a number or a boolean is
    accepted where the shape asks for one, and a single value where it asks for a list.
    """
    return RequestValidator(schema, form_encoded)
