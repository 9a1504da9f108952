"""Condition operators evaluated against a request context, with three outcomes.

Semantics from the IAM User Guide: "IAM JSON policy elements: Condition operators" (String, Numeric,
Date, Bool, Binary, IpAddress, Arn, `...IfExists`, Null; a key absent from the request makes a
positive operator false and a negated one true), "Creating a condition with multiple keys or values"
(`ForAnyValue:` is false and `ForAllValues:` true on an absent or empty key), and "Policy variables"
(substituted in String, Arn and Bool values only; `${name, 'default'}`; `${*}`, `${?}`, `${$}` are the
literal characters; a variable whose key is absent and has no default makes the statement invalid,
so it applies to nothing).

A test is UNKNOWN when a key it needs is not known before deploying; the caller decides what that
means (a CONDITIONAL verdict naming the key). Nothing here knows where the context comes from.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from functools import lru_cache
from typing import Protocol

from msgspec import Struct

from mplint.iam.wildcard import ANY, CHAR, LIT, SEG, Glob, Token, run_tokens
from mplint.model.policy import ConditionEntry

VARIABLE = re.compile(r"\$\{([^}]*)\}")
ESCAPES = {"*": "*", "?": "?", "$": "$"}
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'(.*)'\s*$")


class Truth(IntEnum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


class Lookup(Protocol):
    """What the evaluator asks of a request context."""

    def values(self, key: str) -> tuple[str, ...] | Unknown | None:
        """The key's values (a tuple), None when the request has no such key, or UNKNOWN_VALUE."""


class Unknown:
    """The marker for a key whose value (or absence) is not known before deploying."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN_VALUE"


UNKNOWN_VALUE = Unknown()


class NoContext:
    """Nothing is known: every test is UNKNOWN (the verdict names every key)."""

    def values(self, key: str) -> Unknown:
        return UNKNOWN_VALUE


NO_CONTEXT = NoContext()


class Outcome(Struct, frozen=True):
    """A statement's Condition block against one context: TRUE, FALSE or UNKNOWN, and the tests left open."""

    truth: Truth
    open: tuple[ConditionEntry, ...] = ()  # the tests whose outcome is unknown (only when UNKNOWN)
    keys: tuple[str, ...] = ()  # the context keys those tests need


ALWAYS = Outcome(Truth.TRUE)
NEVER = Outcome(Truth.FALSE)


def evaluate_block(entries: Sequence[ConditionEntry], context: Lookup, variables: bool) -> Outcome:
    """All tests of a Condition block must hold (AND); one false test makes the block false."""
    open_tests: list[ConditionEntry] = []
    keys: dict[str, None] = {}
    for entry in entries:
        truth, needed = evaluate(entry, context, variables)
        if truth is Truth.FALSE:
            return NEVER
        if truth is Truth.UNKNOWN:
            open_tests.append(entry)
            keys.update(dict.fromkeys(needed))
    if open_tests:
        return Outcome(Truth.UNKNOWN, tuple(open_tests), tuple(keys))
    return ALWAYS


# ---------------------------------------------------------------------------
# One test


class Operator(Struct, frozen=True):
    """A parsed operator name: `ForAllValues:StringNotLikeIfExists` -> family, negated, qualifier, if_exists."""

    family: str  # String, StringIgnoreCase, StringLike, Numeric, Date, Bool, Binary, Ip, Arn, Null
    compare: str  # the comparison within the family: Equals, LessThan, ... ("" for Null, Bool, Ip, Arn, Like)
    negated: bool
    qualifier: str | None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool

    @property
    def takes_variables(self) -> bool:
        return self.family in ("String", "StringIgnoreCase", "StringLike", "Arn", "Bool")


_BASES: dict[str, tuple[str, str, bool]] = {
    "StringEquals": ("String", "Equals", False),
    "StringNotEquals": ("String", "Equals", True),
    "StringEqualsIgnoreCase": ("StringIgnoreCase", "Equals", False),
    "StringNotEqualsIgnoreCase": ("StringIgnoreCase", "Equals", True),
    "StringLike": ("StringLike", "", False),
    "StringNotLike": ("StringLike", "", True),
    "Bool": ("Bool", "", False),
    "BinaryEquals": ("Binary", "", False),
    "IpAddress": ("Ip", "", False),
    "NotIpAddress": ("Ip", "", True),
    "ArnEquals": ("Arn", "", False),
    "ArnLike": ("Arn", "", False),
    "ArnNotEquals": ("Arn", "", True),
    "ArnNotLike": ("Arn", "", True),
    "Null": ("Null", "", False),
}
for _family in ("Numeric", "Date"):
    for _cmp in ("Equals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals"):
        _BASES[f"{_family}{_cmp}"] = (_family, _cmp, False)
    _BASES[f"{_family}NotEquals"] = (_family, "Equals", True)


@lru_cache(maxsize=512)
def parse_operator(text: str) -> Operator | None:
    """None for an operator IAM does not define (such a policy is refused when it is saved)."""
    qualifier, sep, name = text.partition(":")
    if not sep:
        qualifier, name = "", text
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        return None
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name.removesuffix("IfExists") if if_exists else name
    found = _BASES.get(base)
    if found is None or (if_exists and base == "Null"):
        return None
    family, compare, negated = found
    return Operator(family, compare, negated, qualifier or None, if_exists)


def evaluate(entry: ConditionEntry, context: Lookup, variables: bool) -> tuple[Truth, tuple[str, ...]]:
    """One `operator -> key -> values` test; the keys it needed that are unknown, when UNKNOWN."""
    op = parse_operator(entry.operator)
    if op is None:
        return Truth.UNKNOWN, (entry.key,)
    request = context.values(entry.key)
    if request is UNKNOWN_VALUE:
        return Truth.UNKNOWN, (entry.key,)
    assert not isinstance(request, Unknown)
    if op.family == "Null":
        return _null(entry.values, request is None), ()
    if request is None or (op.qualifier is not None and not request):
        return _absent(op), ()
    patterns = _policy_values(entry.values, op, context, variables)
    if patterns is UNKNOWN_VALUE:
        return Truth.UNKNOWN, tuple(_variable_keys(entry.values))
    if patterns is None:  # a variable without a value or default: the statement is invalid
        return Truth.FALSE, ()
    assert isinstance(patterns, list)
    matcher = _MATCHERS[op.family]
    hits = [_match_value(matcher, op, value, patterns) for value in request]
    if op.qualifier == "ForAllValues":
        outcome = min((_negate(hit, op.negated) for hit in hits), default=Truth.TRUE)
    elif op.qualifier == "ForAnyValue":
        outcome = max((_negate(hit, op.negated) for hit in hits), default=Truth.FALSE)
    else:  # a single-valued operator on a key with several values: true when any value matches
        outcome = _negate(max(hits, default=Truth.FALSE), op.negated)
    return outcome, ((entry.key,) if outcome is Truth.UNKNOWN else ())


def _negate(truth: Truth, negated: bool) -> Truth:
    return Truth(2 - truth) if negated else truth


class Partial(str):
    """A value known only in part: each `*` stands for text mplint does not know (never a `:`), e.g.
    `sagemaker.*.amazonaws.com` when the stack's region is a template."""

    __slots__ = ()


def _match_value(matcher: Callable[[Operator, str, object], bool], op: Operator, value: str, patterns: list) -> Truth:
    if isinstance(value, Partial):
        return max((_partial(op, value, p) for p in patterns), default=Truth.FALSE)
    return Truth.TRUE if _matches_any(matcher, op, value, patterns) else Truth.FALSE


def _partial(op: Operator, value: Partial, pattern: object) -> Truth:
    """Does every value the partial value stands for match (TRUE), none (FALSE), or some (UNKNOWN)?"""
    fold = op.family == "StringIgnoreCase"
    request = Glob.of(value, _partial_tokens(value.casefold() if fold else value), False)
    if op.family in ("String", "StringIgnoreCase") and isinstance(pattern, str):
        text = pattern.casefold() if fold else pattern
        return Truth.UNKNOWN if request.matches(text) else Truth.FALSE
    if op.family == "StringLike" and isinstance(pattern, tuple):
        glob = Glob.of("", pattern, False)
        if glob.covers(request):
            return Truth.TRUE
        return Truth.UNKNOWN if glob.overlaps(request) else Truth.FALSE
    return Truth.UNKNOWN


def _partial_tokens(text: str) -> tuple[Token, ...]:
    return tuple((SEG, "") if ch == "*" else (LIT, ch) for ch in text)


def _absent(op: Operator) -> Truth:
    """The outcome when the request has no value for the key."""
    if op.if_exists or op.qualifier == "ForAllValues":
        return Truth.TRUE
    if op.qualifier == "ForAnyValue":
        return Truth.FALSE
    return Truth.TRUE if op.negated else Truth.FALSE


def _null(values: Iterable[str], absent: bool) -> Truth:
    wanted = {v.strip().lower() for v in values}
    if ("true" in wanted and absent) or ("false" in wanted and not absent):
        return Truth.TRUE
    return Truth.FALSE


def _matches_any(matcher: Callable[[Operator, str, object], bool], op: Operator, value: str, patterns: list) -> bool:
    return any(matcher(op, value, pattern) for pattern in patterns)


# ---------------------------------------------------------------------------
# Policy values and variables


def _policy_values(values: tuple[str, ...], op: Operator, context: Lookup, variables: bool) -> list | Unknown | None:
    """The policy's values ready for the family's matcher; variables substituted where IAM substitutes them."""
    substitute = variables and op.takes_variables
    out: list = []
    for raw in values:
        if op.family == "StringLike" or op.family == "Arn":
            tokens = _glob_tokens(raw, context, substitute)
            if tokens is UNKNOWN_VALUE or tokens is None:
                return tokens
            out.append(tokens)
            continue
        text = substitute_text(raw, context) if substitute else raw
        if text is UNKNOWN_VALUE or text is None:
            return text
        out.append(text)
    return out


def substitute_text(text: str, context: Lookup) -> str | Unknown | None:
    """The text with every policy variable replaced; None when one cannot be resolved (no default)."""
    pieces = _pieces(text, context)
    if pieces is UNKNOWN_VALUE or pieces is None:
        return pieces
    assert isinstance(pieces, list)
    return "".join(piece for piece, _ in pieces)


def resolve_variables(text: str, context: Lookup) -> str | None:
    """A resource pattern with the variables the context knows written in (their wildcard characters as
    `${*}` and `${?}`); unknown ones stay variables. None when one names a key the request lacks, with no
    default: the statement is then invalid."""
    out: list[str] = []
    pos = 0
    for match in VARIABLE.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        inner = match.group(1)
        value = None if inner in ESCAPES else _variable(inner, context)
        if inner in ESCAPES or value is UNKNOWN_VALUE:
            out.append(match.group(0))
        elif value is None:
            return None
        else:
            assert isinstance(value, str)
            out.append("".join("${" + ch + "}" if ch in "*?$" else ch for ch in value))
    out.append(text[pos:])
    return "".join(out)


def _pieces(text: str, context: Lookup) -> list[tuple[str, bool]] | Unknown | None:
    """(text, literal) pieces: literal pieces come from variables and escapes, never wildcards."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in VARIABLE.finditer(text):
        out.append((text[pos : match.start()], False))
        pos = match.end()
        inner = match.group(1)
        if inner in ESCAPES:
            out.append((ESCAPES[inner], True))
            continue
        value = _variable(inner, context)
        if value is UNKNOWN_VALUE or value is None:
            return value
        assert isinstance(value, str)
        out.append((value, True))
    out.append((text[pos:], False))
    return out


def _variable(inner: str, context: Lookup) -> str | Unknown | None:
    found = _DEFAULT.match(inner)
    name, default = (found.group(1), found.group(2)) if found else (inner.strip(), None)
    values = context.values(name)
    if values is UNKNOWN_VALUE:
        return UNKNOWN_VALUE
    if values is None or not values:
        return default
    assert isinstance(values, tuple)
    return values[0] if len(values) == 1 else None  # a multivalued key is not a variable's value


def _variable_keys(values: Iterable[str]) -> list[str]:
    keys: dict[str, None] = {}
    for raw in values:
        for match in VARIABLE.finditer(raw):
            inner = match.group(1)
            if inner not in ESCAPES:
                found = _DEFAULT.match(inner)
                keys[(found.group(1) if found else inner).strip()] = None
    return list(keys)


def variable_names(text: str) -> list[str]:
    """The context keys a text's policy variables read (escapes excluded)."""
    return _variable_keys((text,))


def _glob_tokens(raw: str, context: Lookup, substitute: bool) -> tuple[Token, ...] | Unknown | None:
    pieces = _pieces(raw, context) if substitute else [(raw, False)]
    if pieces is UNKNOWN_VALUE or pieces is None:
        return pieces
    assert isinstance(pieces, list)
    tokens: list[Token] = []
    for text, literal in pieces:
        for ch in text:
            if literal:
                tokens.append((LIT, ch))
            elif ch == "*":
                tokens.append((ANY, ""))
            elif ch == "?":
                tokens.append((CHAR, ""))
            else:
                tokens.append((LIT, ch))
    return tuple(tokens)


# ---------------------------------------------------------------------------
# Matchers: (operator, one request value, one prepared policy value) -> does it match (before negation)


def _string(op: Operator, value: str, pattern: object) -> bool:
    return value == pattern


def _string_ignore_case(op: Operator, value: str, pattern: object) -> bool:
    return isinstance(pattern, str) and value.casefold() == pattern.casefold()


def _like(op: Operator, value: str, pattern: object) -> bool:
    return run_tokens(pattern, value)  # type: ignore[arg-type]


def _numeric(op: Operator, value: str, pattern: object) -> bool:
    try:
        return _compare(op.compare, float(value), float(str(pattern)))
    except ValueError:
        return False


def _date(op: Operator, value: str, pattern: object) -> bool:
    left, right = parse_date(value), parse_date(str(pattern))
    if left is None or right is None:
        return False
    return _compare(op.compare, left, right)


def _compare(how: str, left: float | datetime.datetime, right: float | datetime.datetime) -> bool:
    if how == "Equals":
        return left == right
    if how == "LessThan":
        return left < right  # type: ignore[operator]
    if how == "LessThanEquals":
        return left <= right  # type: ignore[operator]
    if how == "GreaterThan":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def parse_date(text: str) -> datetime.datetime | None:
    """A W3C ISO 8601 date or date-time, or epoch seconds; naive times are UTC."""
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        try:
            return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _bool(op: Operator, value: str, pattern: object) -> bool:
    wanted = str(pattern).strip().lower()
    return wanted in ("true", "false") and value.strip().lower() == wanted


def _binary(op: Operator, value: str, pattern: object) -> bool:
    try:
        return base64.b64decode(value, validate=True) == base64.b64decode(str(pattern), validate=True)
    except (binascii.Error, ValueError):
        return False


def _ip(op: Operator, value: str, pattern: object) -> bool:
    try:
        network = ipaddress.ip_network(str(pattern).strip(), strict=False)
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.version == network.version and address in network


def _arn(op: Operator, value: str, pattern: object) -> bool:
    """Each of the six colon-separated parts is matched on its own (the sixth keeps its colons)."""
    tokens = pattern if isinstance(pattern, tuple) else ()
    parts = value.split(":", 5)
    wanted = _split_tokens(tokens)
    if len(parts) != 6 or len(wanted) != 6:
        return False
    return all(run_tokens(w, p) for w, p in zip(wanted, parts, strict=True))


def _split_tokens(tokens: tuple[Token, ...]) -> list[tuple[Token, ...]]:
    out: list[list[Token]] = [[]]
    for token in tokens:
        if token == (LIT, ":") and len(out) < 6:
            out.append([])
        else:
            out[-1].append(token)
    return [tuple(part) for part in out]


_MATCHERS: dict[str, Callable[[Operator, str, object], bool]] = {
    "String": _string,
    "StringIgnoreCase": _string_ignore_case,
    "StringLike": _like,
    "Numeric": _numeric,
    "Date": _date,
    "Bool": _bool,
    "Binary": _binary,
    "Ip": _ip,
    "Arn": _arn,
}


# ---------------------------------------------------------------------------
# Words for messages


_WORDS = {
    ("String", "Equals"): "equals",
    ("StringIgnoreCase", "Equals"): "equals (ignoring case)",
    ("StringLike", ""): "matches",
    ("Numeric", "Equals"): "is the number",
    ("Numeric", "LessThan"): "is less than",
    ("Numeric", "LessThanEquals"): "is at most",
    ("Numeric", "GreaterThan"): "is greater than",
    ("Numeric", "GreaterThanEquals"): "is at least",
    ("Date", "Equals"): "is the time",
    ("Date", "LessThan"): "is before",
    ("Date", "LessThanEquals"): "is at or before",
    ("Date", "GreaterThan"): "is after",
    ("Date", "GreaterThanEquals"): "is at or after",
    ("Bool", ""): "is",
    ("Binary", ""): "is the bytes",
    ("Ip", ""): "is within",
    ("Arn", ""): "matches the ARN",
}


_NEGATED = {
    "equals": "does not equal",
    "equals (ignoring case)": "does not equal (ignoring case)",
    "matches": "does not match",
    "matches the ARN": "does not match the ARN",
}


def describe(entry: ConditionEntry) -> str:
    """What the test asks of the request, in words: "`aws:SourceIp` is within 10.0.0.0/8"."""
    op = parse_operator(entry.operator)
    shown = " or ".join(f"`{v}`" for v in entry.values[:4]) + (" or ..." if len(entry.values) > 4 else "")
    if op is None:
        return f"`{entry.key}` passes `{entry.operator}` {shown}"
    if op.family == "Null":
        absent = any(v.strip().lower() == "true" for v in entry.values)
        return f"the request {'has no' if absent else 'has a'} `{entry.key}`"
    words = _WORDS[(op.family, op.compare)]
    if op.negated:
        words = _NEGATED.get(words) or f"is not {words.removeprefix('is ')}"
    subject = f"`{entry.key}`"
    if op.qualifier == "ForAllValues":
        subject = f"every value of `{entry.key}`"
    elif op.qualifier == "ForAnyValue":
        subject = f"some value of `{entry.key}`"
    tail = " (or the request has none)" if op.if_exists else ""
    return f"{subject} {words} {shown}{tail}"
