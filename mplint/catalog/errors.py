"""What a validation error of the one validator says, in words: its kind and a message naming where it is.

Shared by the CloudFormation schema checks (MPL20x) and the native request-member checks (MPL24x).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mplint.catalog.validator import UNCHECKED, Opaque, distinct
from mplint.suggest import closest

if TYPE_CHECKING:
    from jsonschema import ValidationError

RANGE_KEYWORDS = {
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "multipleOf", "maxUniqueItems",
}  # fmt: skip


def template_caused(error: ValidationError) -> bool:
    """An error about a template value, or a composite error that a template may explain: not reported."""
    if isinstance(error.instance, Opaque):
        return True
    return any(template_caused(sub) for sub in error.context or ())


def describe(error: ValidationError, where: str) -> tuple[str, str]:
    """(kind, message): kind is type | enum | pattern | range | required | unchecked | other."""
    kind = error.validator
    got = show(error.instance)
    if kind == "type":
        expected = (
            error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        )
        actual = "null" if error.instance is None else f"{type_name(error.instance)} {got}"
        return "type", f"`{where}` must be {article(expected)} {expected}, not {actual}"
    if kind == "const":
        return "enum", f"`{where}` is {got}; it must be {show(error.validator_value)}"
    if kind in ("enum", "enumCaseInsensitive"):
        best = closest(str(error.instance), [str(o) for o in error.validator_value])
        hint = f"; did you mean `{best}`?" if best else ""
        case = " (in any case)" if kind == "enumCaseInsensitive" else ""
        return "enum", f"`{where}` is {got}, not one of {', '.join(map(str, error.validator_value))}{case}{hint}"
    if kind == "pattern":
        return "pattern", f"`{where}` value {got} does not match the pattern `{error.validator_value}`"
    if kind in RANGE_KEYWORDS:
        return "range", f"`{where}` {range_message(kind, error.validator_value, error.instance)}"
    if kind == "required":
        return "required", f"`{where}` lacks the required property {error.message.split(' ')[0]}"
    if kind == UNCHECKED:
        return "unchecked", f"`{where}`: {error.message} (the pattern is not supported by the regex engine)"
    return "other", f"`{where}` does not satisfy the schema's `{kind}`: {best_message(error)}"


def range_message(kind: str, limit: Any, instance: Any) -> str:
    if kind == "maxUniqueItems":
        return f"has {distinct(instance)} different items; the maximum is {limit}"
    size = len(instance) if isinstance(instance, (str, list, dict)) else instance
    return {
        "minLength": f"is {size} characters long; the minimum is {limit}",
        "maxLength": f"is {size} characters long; the maximum is {limit}",
        "minItems": f"has {size} items; the minimum is {limit}",
        "maxItems": f"has {size} items; the maximum is {limit}",
        "minProperties": f"has {size} properties; the minimum is {limit}",
        "maxProperties": f"has {size} properties; the maximum is {limit}",
        "minimum": f"is {size}; the minimum is {limit}",
        "maximum": f"is {size}; the maximum is {limit}",
        "exclusiveMinimum": f"is {size}; it must be more than {limit}",
        "exclusiveMaximum": f"is {size}; it must be less than {limit}",
        "uniqueItems": "has duplicate items; they must be unique",
        "multipleOf": f"is {size}; it must be a multiple of {limit}",
    }[kind]


def best_message(error: ValidationError) -> str:
    if error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            return best.message
    return error.message


def show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else ("null" if value is None else str(value))
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "value"
    )


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
