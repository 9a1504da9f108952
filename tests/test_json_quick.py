"""The quick JSON reader builds the full reader's tree (nodes, values, spans, duplicate keys) for every
well-formed document, and gives up, leaving the full reader to report, on everything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mplint.json_quick import quick_tree
from mplint.limits import DEFAULT, Limits
from mplint.source import Duplicate, LoadError, Mapping, Node, Sequence, SourceFile, _JsonParser, load_json
from tests.conftest import FIXTURES, SHARED


def shape(node: Node) -> Any:
    if isinstance(node, Mapping):
        return ("map", node.span, [(shape(k), shape(v)) for k, v in node.items])
    if isinstance(node, Sequence):
        return ("list", node.span, [shape(item) for item in node.items])
    return ("scalar", node.span, type(node.value).__name__, node.value, node.style, node.is_key)


def both(text: str, limits: Limits = DEFAULT) -> tuple[Any, list[Duplicate], Any, list[Duplicate]]:
    """(quick tree or None, its duplicates, full tree or the full reader's error message, its duplicates)."""
    source = SourceFile(Path("p.json"), "p.json", text)
    quick_dups: list[Duplicate] = []
    quick = quick_tree(source, limits, quick_dups)
    full_dups: list[Duplicate] = []
    try:
        full: Any = shape(_JsonParser(source, full_dups, limits).parse())
    except LoadError as exc:
        full = exc.problem.message
    return (None if quick is None else shape(quick)), quick_dups, full, full_dups


def assert_agrees(text: str, limits: Limits = DEFAULT) -> None:
    quick, quick_dups, full, full_dups = both(text, limits)
    if isinstance(full, str):
        assert quick is None, f"the full reader says {full!r}; the quick one read a tree"
    else:
        assert quick == full
        assert quick_dups == full_dups


def _files() -> list[Path]:
    own = sorted(p for p in FIXTURES.rglob("*.json") if ".mplint_cache" not in p.parts)
    corpus = sorted((SHARED / "corpus").rglob("*.json"))[::7] if SHARED.is_dir() else []
    return own + corpus


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_real_document_reads_the_same(path: Path) -> None:
    assert_agrees(path.read_text(encoding="utf-8", errors="replace"))


EDGES = [
    "{}",
    "[]",
    "  \n\t{ }\r\n",
    '"just a string"',
    "-0.5e+10",
    "null",
    '{"a": 1, "b": -2.5e3, "a": true, "c": {"a": 1, "a": 2}}',
    '{"é": "ünïcödé", "emoji": "🙂🙂", "x": [1, "🙂", {"y": "z"}]}',
    '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {\n  }\n}',
    '{"esc": "a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude42", "lone": "\\ud800"}',
    '{"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]}',
    # each of these is an error the full reader reports
    "",
    "   ",
    "{",
    "[1,]",
    '{"a" 1}',
    '{"a": 1,}',
    '{"a": 1} x',
    "{1: 2}",
    "[1 2]",
    '{"a": 1]',
    "[1}",
    '"tab\tinside"',
    "01",
    "truex",
    "]",
    ",",
    ":",
    '{"a"}',
    '{"a": }',
    "[,1]",
    "1 2",
]


@pytest.mark.parametrize("text", EDGES)
def test_edges_agree(text: str) -> None:
    assert_agrees(text)


def test_limits_leave_the_document_to_the_full_reader() -> None:
    deep = "[" * 6 + "]" * 6  # the innermost list is five levels down
    assert_agrees(deep, Limits(depth=4))
    assert_agrees(deep, Limits(depth=5))
    assert both(deep, Limits(depth=4))[0] is None
    assert both(deep, Limits(depth=5))[0] is not None
    assert both('{"a": {"b": 1}}', Limits(depth=1))[0] is None  # the key and value under "a" are two down
    assert both("[1, 2, 3]", Limits(nodes=3))[0] is None  # four nodes: the list and its items
    assert both("[1, 2, 3]", Limits(nodes=4))[0] is not None
    assert both("[123456]", Limits(number_chars=5))[0] is None
    assert_agrees("[123456]", Limits(number_chars=5))


def test_load_json_reports_an_error_with_the_full_readers_position() -> None:
    with pytest.raises(LoadError) as caught:
        load_json(SourceFile(Path("p.json"), "p.json", '{\n  "a": 1,\n  "b" 2\n}'))
    assert caught.value.problem.message == "invalid JSON: expected ':', found '2'"
    assert caught.value.problem.span[1:3] == (3, 7)


def test_a_document_given_up_on_keeps_only_the_full_readers_duplicates() -> None:
    doc = load_json(SourceFile(Path("p.json"), "p.json", '{"a": 1, "a": 2, "b": [' + "1," * 3 + "1]}"))
    assert [d.key for d in doc.duplicates] == ["a"]
    with pytest.raises(LoadError):
        load_json(SourceFile(Path("p.json"), "p.json", '{"a": 1, "a": 2, "b": [1,]}'))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    json_values,
    st.sampled_from([None, 0, 2]),
    st.booleans(),
    st.integers(0, 10_000),
    st.sampled_from(["", "x", "}", ",", "\n", '"', "\\"]),
)
def test_generated_documents_and_their_mutations_agree(
    value: Any, indent: int | None, ascii_only: bool, at: int, insert: str
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert_agrees(text)
    assert both(text)[0] is not None  # a well-formed document is never given up on
    cut = at % (len(text) + 1)
    assert_agrees(text[:cut] + insert + text[cut + 1 :])
