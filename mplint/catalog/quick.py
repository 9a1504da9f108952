"""The quick check: whether a value breaks nothing in a schema, decided without making a single error.

A schema is compiled once into nested closures that answer True (the full validator, `catalog.validator`,
finds no error), False (it finds at least one) or None (this check cannot tell: a `$ref`, a float
`multipleOf`, a comparison of lists). Only True is trusted: for False and None the full validator runs and
makes the errors and their messages, so the quick check never changes a finding, it only spares the work
for the values that are right, which are most of them. Every keyword of the dialect has its reading here,
mirroring jsonschema's Draft 7 and mplint's own keywords; tests/test_quick.py holds the two to agreement.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from mplint.catalog import formats
from mplint.catalog.patterns import pattern_search
from mplint.catalog.validator import (
    JavaText,
    Opaque,
    _as_text,
    _comparable,
    _java_trimmed,
    _known,
    _names_format,
    definition_name,
    distinct,
    extra_keys,
    key_matches,
)

Check = Callable[[Any], "bool | None"]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and v.is_integer())),
    "null": lambda v: v is None,
    "number": lambda v: not isinstance(v, bool) and isinstance(v, (int, float)),
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}
_SCALARS = (str, int, float, bool, type(None))
PATTERN_MEMO = 2048  # answers kept per `pattern` keyword of a compiled schema


def compile_check(schema: Any, members: str | None = None) -> Check:
    """The quick check of ``schema`` (a schema with its local `$ref`s inlined, as `resource_validator` has it).
    ``members`` ("json" or "form"): the schema of a native request, whose `type` accepts more, as
    `validator.member_validator`'s does."""
    definitions = schema.get("definitions") if isinstance(schema, dict) else None
    return _Compiler(members, definitions if isinstance(definitions, dict) else {}).compile(schema)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]

    every = tuple(checks)

    def check(value: Any) -> bool | None:  # _fold, written out: this runs once per keyword of every node
        unknown = False
        for each in every:
            verdict = each(value)
            if verdict is False:
                return False
            if verdict is None:
                unknown = True
        return None if unknown else True

    return check


def _fold_each(check: Check, values: Any) -> bool | None:
    """_fold of ``check`` over ``values``, without a generator in between."""
    unknown = False
    for value in values:
        verdict = check(value)
        if verdict is False:
            return False
        if verdict is None:
            unknown = True
    return None if unknown else True


def _settle(verdicts: Any, decisive: bool) -> bool | None:
    """``decisive`` as soon as one verdict is it; otherwise None when one is None, else the other answer."""
    unknown = False
    for verdict in verdicts:
        if verdict is decisive:
            return decisive
        if verdict is None:
            unknown = True
    return None if unknown else not decisive


def _fold(verdicts: Any) -> bool | None:
    """True when every verdict is True, False when one is False, else None."""
    return _settle(verdicts, False)


def _any(verdicts: Any) -> bool | None:
    """True when one verdict is True, None when none is but one is None, else False."""
    return _settle(verdicts, True)


def _equal(one: Any, two: Any) -> bool | None:
    """jsonschema's `equal` for scalars (True is not 1, 1 is 1.0); None for anything else."""
    if not isinstance(one, _SCALARS) or not isinstance(two, _SCALARS):
        return None
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return one == two


def _identity(value: Any) -> Any:
    """A hashable stand-in for ``value``: two values have the same one exactly when jsonschema's `equal` holds
    (True is not 1, 1 is 1.0, a list is compared item by item, a mapping key by key). TypeError for a value
    whose equality is not that plain (a NaN, anything not from YAML or JSON)."""
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list):
        return ("l", tuple(_identity(v) for v in value))
    if isinstance(value, dict):
        return ("d", frozenset((k, _identity(v)) for k, v in value.items()))
    if isinstance(value, bool):
        return ("b", value)
    if value is None or isinstance(value, int) or (isinstance(value, float) and value == value):
        return ("n", value)
    raise TypeError(f"no plain equality for {type(value).__name__}")


def _member_type(names: list[str], tests: list[Callable[[Any], bool]], form_encoded: bool) -> Check:
    """`type` of a native request's member: JSON text for a string, and form-encoded text (`_member_type`)."""
    text = "string" in names

    def check(value: Any) -> bool:
        if any(test(value) for test in tests) or (text and isinstance(value, (dict, list))):
            return True
        return form_encoded and _as_text(names, value)

    return check


class _Compiler:
    def __init__(self, members: str | None, definitions: dict) -> None:
        self.seen: dict[int, Check] = {}
        self.members = members
        self.definitions = definitions
        self.following: set[str] = set()  # the definitions whose `$ref` is being compiled

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            return lambda value: None  # jsonschema would fail on it: let it
        known = self.seen.get(id(schema))
        if known is not None:
            return known
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        checks = [self._keyword(name, value, schema) for name, value in schema.items()]
        check = _all([c for c in checks if c is not None])
        self.seen[id(schema)] = check
        return check

    def ref(self, ref: Any) -> Check:
        """The definition a `$ref` names: Draft 7 reads nothing beside it (`inline_refs` left this one where a
        constraint is beside it). A recursive one, or one elsewhere, is left to jsonschema."""
        name = definition_name(ref)
        if name is None or name in self.following or name not in self.definitions:
            return lambda value: None
        self.following.add(name)
        try:
            return self.compile(self.definitions[name])
        finally:
            self.following.discard(name)

    def _keyword(self, name: str, arg: Any, schema: dict) -> Check | None:
        """The keyword's check; None for an annotation (a key the full validator does not act on)."""
        method = getattr(self, "k_" + name, None)
        return method(arg, schema) if method is not None else None

    # -- Draft 7 --------------------------------------------------------------------------------

    def k_type(self, types: Any, schema: dict) -> Check:
        names = [types] if isinstance(types, str) else list(types) if isinstance(types, list) else None
        if names is None or any(not isinstance(n, str) or n not in _TYPES for n in names):
            return lambda value: None
        tests = [_TYPES[n] for n in names]
        if self.members is not None:
            return _member_type(names, tests, self.members == "form")
        if len(tests) == 1:
            return tests[0]
        return lambda value: any(test(value) for test in tests)

    def k_properties(self, properties: Any, schema: dict) -> Check:
        if not isinstance(properties, dict):
            return lambda value: None
        checks = {name: self.compile(sub) for name, sub in properties.items()}

        def check(value: Any) -> bool | None:
            if not isinstance(value, dict):
                return True
            unknown = False
            for k, v in value.items():
                sub = checks.get(k)
                if sub is not None:
                    verdict = sub(v)
                    if verdict is False:
                        return False
                    if verdict is None:
                        unknown = True
            return None if unknown else True

        return check

    def k_required(self, names: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, dict) or all(name in value for name in names)

    def k_additionalProperties(self, extra: Any, schema: dict) -> Check:
        if extra is True or extra == {}:
            return lambda value: True
        sub = self.compile(extra) if isinstance(extra, dict) else None
        known = schema.get("properties", {})
        plain = not schema.get("patternProperties")

        def check(value: Any) -> bool | None:
            if not isinstance(value, dict):
                return True
            extras = [k for k in value if k not in known] if plain else extra_keys(schema, value)
            if not extras:
                return True
            if sub is None:
                return False if extra is False else None
            return _fold(sub(value[k]) for k in extras)

        return check

    def k_patternProperties(self, patterns: Any, schema: dict) -> Check:
        checks = [(pattern, self.compile(sub)) for pattern, sub in patterns.items()]

        def check(value: Any) -> bool | None:
            if not isinstance(value, dict):
                return True
            return _fold(sub(v) for pattern, sub in checks for k, v in value.items() if key_matches(pattern, k))

        return check

    def k_items(self, items: Any, schema: dict) -> Check:
        prefix = schema.get("prefixItems")
        if isinstance(items, list):
            if isinstance(prefix, list):
                return lambda value: None
            checks = [self.compile(sub) for sub in items]
            return lambda value: not isinstance(value, list) or _fold(c(v) for c, v in zip(checks, value, strict=False))
        sub = self.compile(items)
        start = len(prefix) if isinstance(prefix, list) and isinstance(items, (dict, bool)) else 0
        if start == 0:
            return lambda value: not isinstance(value, list) or _fold_each(sub, value)
        return lambda value: not isinstance(value, list) or _fold_each(sub, value[start:])

    def k_prefixItems(self, prefix: Any, schema: dict) -> Check:
        checks = [self.compile(sub) for sub in prefix]
        return lambda value: not isinstance(value, list) or _fold(c(v) for c, v in zip(checks, value, strict=False))

    def k_additionalItems(self, extra: Any, schema: dict) -> Check:
        items = schema.get("items", {})
        if isinstance(items, dict):
            return lambda value: True
        count = len(items) if isinstance(items, list) else None
        if count is None:
            return lambda value: None
        if isinstance(extra, dict):
            sub = self.compile(extra)
            return lambda value: not isinstance(value, list) or _fold(sub(v) for v in value[count:])
        return lambda value: not isinstance(value, list) or bool(extra) or len(value) <= count

    def k_allOf(self, subs: Any, schema: dict) -> Check:
        return _all([self.compile(sub) for sub in subs])

    def k_anyOf(self, subs: Any, schema: dict) -> Check:
        checks = [self.compile(sub) for sub in subs]
        return lambda value: _any(sub(value) for sub in checks)

    def k_oneOf(self, subs: Any, schema: dict) -> Check:
        checks = [self.compile(sub) for sub in subs]

        def check(value: Any) -> bool | None:
            verdicts = [sub(value) for sub in checks]
            if None in verdicts:
                return None
            return verdicts.count(True) == 1

        return check

    def k_not(self, sub: Any, schema: dict) -> Check:
        check = self.compile(sub)

        def negated(value: Any) -> bool | None:
            verdict = check(value)
            return None if verdict is None else not verdict

        return negated

    def k_if(self, condition: Any, schema: dict) -> Check:
        test = self.compile(condition)
        then = self.compile(schema["then"]) if "then" in schema else None
        otherwise = self.compile(schema["else"]) if "else" in schema else None

        def check(value: Any) -> bool | None:
            verdict = test(value)
            if verdict is None:
                return None
            branch = then if verdict else otherwise
            return True if branch is None else branch(value)

        return check

    def k_contains(self, sub: Any, schema: dict) -> Check:
        check = self.compile(sub)

        return lambda value: not isinstance(value, list) or _any(check(v) for v in value)

    def k_propertyNames(self, sub: Any, schema: dict) -> Check:
        check = self.compile(sub)
        return lambda value: not isinstance(value, dict) or _fold(check(k) for k in value)

    def k_enum(self, options: Any, schema: dict) -> Check:
        if not isinstance(options, list):
            return lambda value: None
        strings = frozenset(o for o in options if type(o) is str)
        others = [o for o in options if type(o) is not str]

        def check(value: Any) -> bool | None:
            if isinstance(value, str):  # a string equals no option but a string
                return value in strings
            verdicts = [_equal(value, o) for o in others]
            return True if True in verdicts else (None if None in verdicts else False)

        return check

    def k_const(self, const: Any, schema: dict) -> Check:
        return lambda value: _equal(value, const)

    def k_minLength(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, str) or len(value) >= limit

    def k_maxLength(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, str) or len(value) <= limit

    def k_minItems(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, list) or len(value) >= limit

    def k_maxItems(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, list) or len(value) <= limit

    def k_minProperties(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, dict) or len(value) >= limit

    def k_maxProperties(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, dict) or len(value) <= limit

    def _number(self, test: Callable[[Any], bool]) -> Check:
        number = _TYPES["number"]
        return lambda value: not number(value) or test(value)

    def k_minimum(self, limit: Any, schema: dict) -> Check:
        return self._number(lambda value: value >= limit)

    def k_maximum(self, limit: Any, schema: dict) -> Check:
        return self._number(lambda value: value <= limit)

    def k_exclusiveMinimum(self, limit: Any, schema: dict) -> Check:
        return self._number(lambda value: value > limit)

    def k_exclusiveMaximum(self, limit: Any, schema: dict) -> Check:
        return self._number(lambda value: value < limit)

    def k_multipleOf(self, divisor: Any, schema: dict) -> Check:
        number = _TYPES["number"]
        if isinstance(divisor, bool) or not isinstance(divisor, int) or divisor == 0:
            return lambda value: True if not number(value) else None
        return lambda value: not number(value) or (None if isinstance(value, float) else value % divisor == 0)

    def k_uniqueItems(self, unique: Any, schema: dict) -> Check:
        if not unique:
            return lambda value: True

        def check(value: Any) -> bool | None:
            if not isinstance(value, list) or len(value) < 2:
                return True
            if all(type(v) is str for v in value):
                return len(set(value)) == len(value)
            if all(isinstance(v, dict) for v in value):  # jsonschema compares these pairwise with `equal`
                try:
                    return len({_identity(v) for v in value}) == len(value)
                except TypeError:
                    return None
            return None

        return check

    def k_pattern(self, pattern: Any, schema: dict) -> Check:
        # The same values recur (tag keys, one account's ARNs, enum-like strings), and a search with a time limit
        # is costly: its answers are kept (a False only sends the value to the full validator, as before).
        @lru_cache(maxsize=PATTERN_MEMO)
        def search(value: str, java_end: bool) -> bool:
            return pattern_search(pattern, value, java_end=java_end) is True

        def check(value: Any) -> bool:
            if not isinstance(value, str) or isinstance(value, Opaque):
                return True
            return search(value, isinstance(value, JavaText))

        return check

    def k_format(self, name: Any, schema: dict) -> Check:
        if not isinstance(name, str):
            return lambda value: True
        single = formats.LIST_FORMATS.get(name)
        if single is not None:
            items = schema.get("items")
            if isinstance(items, dict) and _names_format(items):
                return lambda value: True
            each = formats.checker(single)

            def listed(value: Any) -> bool:
                if isinstance(value, Opaque) or not isinstance(value, list) or each is None:
                    return True
                return all(isinstance(v, Opaque) or each(_java_trimmed(v)) for v in value)

            return listed
        check = formats.checker(name)
        if check is None:
            return lambda value: True
        return lambda value: isinstance(value, Opaque) or bool(check(_java_trimmed(value)))

    # -- CloudFormation's keywords --------------------------------------------------------------------

    def k_requiredXor(self, names: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, dict) or sum(1 for k in value if k in names) == 1

    def k_requiredOr(self, names: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, dict) or any(k in value for k in names)

    def k_dependentRequired(self, deps: Any, schema: dict) -> Check:
        return lambda value: (
            not isinstance(value, dict)
            or all(each in value for key, needed in deps.items() if key in value for each in needed)
        )

    def k_dependentExcluded(self, deps: Any, schema: dict) -> Check:
        return lambda value: (
            not isinstance(value, dict)
            or not any(each in value for key, excluded in deps.items() if key in value for each in excluded)
        )

    def k_dependencies(self, deps: Any, schema: dict) -> Check:
        checks = {key: dep if isinstance(dep, list) else self.compile(dep) for key, dep in deps.items()}

        def check(value: Any) -> bool | None:
            if not isinstance(value, dict):
                return True
            verdicts = []
            for key, dep in checks.items():
                if key in value:
                    verdicts.append(all(each in value for each in dep) if isinstance(dep, list) else dep(value))
            return _fold(verdicts)

        return check

    def k_enumCaseInsensitive(self, options: Any, schema: dict) -> Check:
        lowered = {o.lower() for o in options if isinstance(o, str)}
        return lambda value: not isinstance(value, str) or isinstance(value, Opaque) or value.lower() in lowered

    def k_uniqueKeys(self, keys: Any, schema: dict) -> Check:
        if not keys:
            return lambda value: True

        def check(value: Any) -> bool:
            if not isinstance(value, list):
                return True
            seen: set[str] = set()
            for item in value:
                if not isinstance(item, dict) or not all(k in item for k in keys) or not _known(item):
                    continue
                identity = repr([_comparable(item[k]) for k in keys])
                if identity in seen:
                    return False
                seen.add(identity)
            return True

        return check

    def k_maxUniqueItems(self, limit: Any, schema: dict) -> Check:
        return lambda value: not isinstance(value, list) or not _known(value) or distinct(value) <= limit


# The keywords read here ($ref aside): those the full validator acts on (tests/test_quick.py holds them equal).
KEYWORDS = frozenset(name[2:] for name in dir(_Compiler) if name.startswith("k_")) | {"$ref"}
