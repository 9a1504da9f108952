"""A Draft 7 validator for CloudFormation resource schemas: ECMA-262 patterns, `$ref`s inlined once per type.

jsonschema's own `pattern`, `patternProperties` and `additionalProperties` use Python's `re`, which rejects
patterns such as `\\p{L}` (and reads others differently); here every pattern goes through `compile_pattern`.
A key pattern that cannot be compiled is taken to match (no false "unknown property"); a value pattern that
cannot be compiled yields an error marked UNCHECKED, which the schema check reports as a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft7Validator, ValidationError, validators

from mplint.catalog.patterns import compile_pattern, pattern_search

UNCHECKED = "x-unchecked-pattern"


class Opaque(str):
    """A value not known before deployment (a template): never checked against the schema."""


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
    matched = pattern_search(pattern, instance)
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


SchemaValidator = validators.extend(
    Draft7Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties, "additionalProperties": _additional_properties},
)


def inline_refs(schema: dict) -> dict:
    """The schema with its local `#/definitions/X` references replaced by their targets.

    jsonschema resolves a `$ref` on every descent, which dominates validation time; inlining once per
    type is several times faster. A definition that refers to itself (directly or not) keeps its `$ref`.
    """
    definitions = schema.get("definitions", {})

    def walk(node: Any, active: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, active) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/") and len(node) == 1:
            name = ref[len("#/definitions/") :]
            if name in definitions and name not in active and "/" not in name:
                return walk(definitions[name], active | {name})
            return node
        return {key: walk(value, active) for key, value in node.items()}

    inlined = {key: walk(value, frozenset()) for key, value in schema.items() if key != "definitions"}
    inlined["definitions"] = definitions
    return inlined


def resource_validator(schema: dict) -> Draft7Validator:
    """The validator for one resource type's properties (compile once per type and run)."""
    return SchemaValidator(inline_refs(schema))


_SCALAR_TEXT = {
    "integer": re.compile(r"-?\d+"),
    "number": re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?"),
    "boolean": re.compile(r"true|false", re.IGNORECASE),
}


def _text_type(validator: Any, types: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """`type`, where a string spelling an integer, number or boolean also counts as one."""
    wanted = [types] if isinstance(types, str) else list(types)
    if any(validator.is_type(instance, t) for t in wanted):
        return
    if isinstance(instance, str) and any(t in _SCALAR_TEXT and _SCALAR_TEXT[t].fullmatch(instance) for t in wanted):
        return
    yield ValidationError(f"{instance!r} is not of type {', '.join(map(repr, wanted))}")


FormValidator = validators.extend(SchemaValidator, {"type": _text_type})


def member_validator(schema: dict, form_encoded: bool = False) -> Draft7Validator:
    """The validator for a native method's request (`catalog.native.Method.schema`), compiled once per method.

    With ``form_encoded`` (the query and ec2 protocols send every value as text) a string that spells a number
    or a boolean is accepted where the shape asks for one.
    """
    return (FormValidator if form_encoded else SchemaValidator)(inline_refs(schema))
