"""ECMA-262 pattern translation (mplint.catalog.patterns) and coverage over every bundled pattern."""

from __future__ import annotations

import re
import warnings

import pytest

from mplint.catalog.patterns import (
    analyze_pattern,
    compile_pattern,
    pattern_notes,
    pattern_problems,
    pattern_search,
    translate_pattern,
)
from mplint.catalog.schemas import SchemaCatalog

ERROR = "error"


def naive(pattern: str, value: str) -> bool | str:
    """What plain ``re.search`` says, to show each case really differs (or matches) Python's reading."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.search(pattern, value) is not None
    except re.error:
        return ERROR


# (pattern, value, ECMA-262 result, plain re result)
CASES = [
    # $ is end of input only; Python's $ also matches before a final newline
    (r"^abc$", "abc", True, True),
    (r"^abc$", "abc\n", False, True),
    (r"(?=.{1,3}$)a+", "aa\n", False, True),
    # \d \w \b are ASCII in ECMA
    (r"^\d+$", "123", True, True),
    (r"^\d+$", "\u0661\u0662", False, True),
    (r"^\w+$", "caf\u00e9", False, True),
    (r"^[\w]+$", "\u00e9", False, True),
    (r"^[^\W]$", "\u00e9", False, True),
    (r"^a\b", "a\u00e9", True, False),
    (r"^a\B", "a\u00e9", False, True),
    # \s is ECMA's set: U+FEFF yes, U+0085 and U+001C no
    (r"^\s$", "\ufeff", True, False),
    (r"^\s$", "\x85", False, True),
    (r"^\s$", "\x1c", False, True),
    (r"^\s$", "\u3000", True, True),
    (r"^[ \S]+$", "a\ufeffb", False, True),
    (r"^\S+$", "a\x85b", True, False),
    # . excludes \r, U+2028, U+2029 as well as \n
    (r"^.$", "\r", False, True),
    (r"^.$", "\u2028", False, True),
    # Unicode property escapes (u-flag reading)
    (r"^\p{L}+$", "h\u00e9llo", True, ERROR),
    (r"^\p{N}+$", "\u0663", True, ERROR),
    (r"^[\p{L}\p{Z}]+$", "a\u3000b", True, ERROR),
    (r"^\P{C}*$", "ok", True, ERROR),
    (r"^\P{C}*$", "a\x00", False, ERROR),
    (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "\u00c9quipe 1", True, ERROR),
    (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "a#b", False, ERROR),
    # escapes
    (r"^a\/b$", "a/b", True, True),
    (r"^\cJ$", "\n", True, ERROR),
    (r"^[\cA]$", "\x01", True, ERROR),
    (r"^\u{1F600}$", "\U0001f600", True, ERROR),
    (r"^\uD83D\uDE00$", "\U0001f600", True, False),
    (r"^[\uD800\uDC00-\uDBFF\uDFFF]$", "\U0001f600", True, ERROR),
    (r"^\u00e9$", "\u00e9", True, True),
    (r"^\x41\0$", "A\x00", True, True),
    # named groups, back references, lookbehind
    (r"^(?<x>a)\k<x>$", "aa", True, ERROR),
    (r"(?<=ab+)c", "abbbc", True, ERROR),
    (r"^[a-z.]*(?<!\.)$", "abc.", False, False),
    # class ranges (Annex B): a class escape next to - makes - literal
    (r"^[\w-.~]+$", "a-.~", True, ERROR),
    (r"^[\s-_]+$", " -_", True, ERROR),
    (r"^[0-9-_]+$", "5-_", True, True),
    (r"^[0-9-_]+$", "A", False, False),
    (r"^[--/]+$", "-./", True, True),
    # [] matches nothing, [^] anything
    (r"a[]", "a]", False, ERROR),
    (r"^a[^]$", "a\n", True, ERROR),
    # a { that cannot start a quantifier is literal
    (r"^a{$", "a{", True, True),
    (r"^a{1,x}$", "a{1,x}", True, True),
    # | & ~ - in a class are literals, not regex.V1 set operators
    (r"^[\p{L}||\p{N}]+$", "a|1", True, ERROR),
    (r"^[a~~b||]+$", "~|", True, True),
]

JAVA_CASES = [
    # Java inline flags, scoped to the rest of the enclosing group
    (r"^(?:arn:x|(?i)[0-9a-f]{2})$", "AB", True),
    (r"^(?:arn:x|(?i)[0-9a-f]{2})$", "ARN:X", False),
    (r"^(?!(?i)(stop|help)$)[ \S]+", "Stop", False),
    (r"^(?!(?i)(stop|help)$)[ \S]+", "stopper", True),
    (r"^(?s).$", "\n", True),
    (r"^(?s:.)(?m:b$)", "\nb", True),
    # \A \Z anchors (ECMA would read literal A / Z)
    (r"\A[0-9a-f]+\Z", "abc", True),
    (r"\A[0-9a-f]+\Z", "abc\n", False),
    # quantified anchor: ${1,128} is $
    (r"^([a-z]*)${1,128}", "abc", True),
    (r"^([a-z]*)${1,128}", "abc1", False),
    # class intersection
    (r"^[\p{Print}&&[^|:/]]+$", "ab c", True),
    (r"^[\p{Print}&&[^|:/]]+$", "a|b", False),
    # Java's \p{Print} is ASCII; the Unicode reading is kept because it cannot report a false failure
    (r"^\p{Print}+$", "caf\u00e9", True),
]


@pytest.mark.parametrize(("pattern", "value", "ecma", "plain"), CASES)
def test_translation(pattern: str, value: str, ecma: bool, plain: bool | str) -> None:
    assert naive(pattern, value) == plain
    assert compile_pattern(pattern) is not None, pattern_problems(pattern)
    assert pattern_search(pattern, value) is ecma


@pytest.mark.parametrize(("pattern", "value", "expected"), JAVA_CASES)
def test_java_constructs(pattern: str, value: str, expected: bool) -> None:
    assert pattern_search(pattern, value) is expected
    assert pattern_notes(pattern), "a Java construct should be noted"


def test_search_is_unanchored() -> None:
    assert pattern_search("abc", "xxabcxx") is True
    assert pattern_search("^abc", "xxabc") is False


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"\h", "unsupported escape"),
        (r"(?x)a b", "unsupported inline flag"),
        (r"[z-a]", "out of order"),
        (r"(a", "missing )"),
        (r"a)", "unmatched )"),
        ("a\\", "trailing backslash"),
        (r"[ab", "missing ]"),
        (r"\p{NoSuchProperty}", "regex rejects"),
        (r"*a", "regex rejects"),
    ],
)
def test_rejected_patterns_say_why(pattern: str, reason: str) -> None:
    assert compile_pattern(pattern) is None
    assert pattern_search(pattern, "anything") is None
    assert reason in (pattern_problems(pattern) or "")


def test_compile_is_cached() -> None:
    assert compile_pattern(r"^\d+$") is compile_pattern(r"^\d+$")
    assert analyze_pattern(r"^\d+$").translated == translate_pattern(r"^\d+$") == "^[0-9]+\\Z"


def test_pathological_match_times_out_to_none() -> None:
    assert pattern_search(r"^(\w+\s?)*$", "a" * 20000 + "!", timeout=0.001) is None


# -- every pattern in the bundled schemas -------------------------------------------------------------
# Distinct `pattern` values and patternProperties keys over the 1,854 us-east-1 types (SOURCES.md counts
# 3,077 over all 1,898 schema files in the wheel). How many of them Python's own `re` rejects differs by
# Python version (102 on 3.11 and 3.13, 96 on 3.10): what matters is that mplint's engine compiles them all.
TOTAL_DISTINCT = 3035
# Patterns compile_pattern cannot support, with why. None today: every bundled pattern translates.
EXPECTED_UNSUPPORTED: dict[str, str] = {}


def _collect(node: object, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                out.add(value)
            elif key == "patternProperties" and isinstance(value, dict):
                out.update(value)
            _collect(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect(value, out)


@pytest.fixture(scope="module")
def bundled_patterns() -> set[str]:
    catalog = SchemaCatalog()
    found: set[str] = set()
    for name in catalog.type_names():
        _collect(catalog.schema(name), found)
    return found


def _plain_re_fails(pattern: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except re.error:
        return True
    return False


def test_all_bundled_patterns(bundled_patterns: set[str]) -> None:
    assert len(bundled_patterns) == TOTAL_DISTINCT
    unsupported = {p: pattern_problems(p) for p in bundled_patterns if compile_pattern(p) is None}
    assert set(unsupported) == set(EXPECTED_UNSUPPORTED), unsupported
    # Unicode property escapes, which no Python's `re` reads, are among them: the translation is what reads them
    properties = [p for p in bundled_patterns if "\\p{" in p]
    assert properties and all(_plain_re_fails(p) for p in properties)
    assert all(pattern_search(p, "\u00e9") is not None for p in properties)  # compiled, and it runs
