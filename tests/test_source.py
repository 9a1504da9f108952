"""Position-aware YAML and JSON loading."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import yaml

from mplint.limits import Limits
from mplint.source import (
    LoadError,
    Mapping,
    Scalar,
    Sequence,
    SourceFile,
    load_json,
    load_yaml,
    read_source,
    trees_kept,
)
from tests.conftest import SHARED


def src(text: str, name: str = "f.yml") -> SourceFile:
    return SourceFile(Path(name), name, text)


def test_yaml_keys_and_values_know_their_spans() -> None:
    doc = load_yaml(src("a: 1\nb:\n  - x: 'hello'\n"))
    root = doc.root
    assert isinstance(root, Mapping)
    key = root.key("b")
    assert (key.span.line, key.span.col, key.span.end_col) == (2, 1, 2)
    item = root.get("b")
    assert isinstance(item, Sequence)
    value = item.items[0].get("x")
    assert isinstance(value, Scalar) and value.value == "hello" and value.style == "'"
    assert (value.span.line, value.span.col, value.span.end_col) == (3, 8, 15)


def test_yaml_reads_as_pyyaml_safe_loader_yaml_1_1() -> None:
    root = load_yaml(src("a: yes\nb: off\nc: 0o17\nd: 2024-01-02\ne: ~\n")).root
    values = root.to_python()
    assert values["a"] is True and values["b"] is False
    assert values["e"] is None
    assert str(values["d"]) == "2024-01-02"


ROOT = Path(__file__).resolve().parent.parent
# Scalars whose value is not their text, or whose text is their value only by their style or tag
TRICKY = [
    "a: yes\nb: 'yes'\nc: \"no\"\nd: !!str on\ne: ! off\nf: |\n  yes\ng: >-\n  12\n",
    "1: one\n2.5: two\n~: three\ntrue: four\n0x1f: five\n2024-01-02: six\n",
    "- 1_000\n- 0o17\n- .inf\n- -.Inf\n- 1e3\n- 12:30:00\n- 2001-12-14t21:59:43.10-05:00\n- !!binary aGk=\n",
    "base: &b {x: 1, y: [yes, no]}\nleaf: &l plain\nother:\n  <<: *b\n  y: 2\n  z: *l\n  '<<': quoted\n",
    "- &a !!int '7'\n- *a\n- !!float 3\n- !!null ''\n- !!bool 'false'\n- {<<: [{pp: 1}, {pp: 2, qq: 3}], rr: 4}\n",
    "k: plain text, with # not a comment\nm: 'it''s'\nn: \"tab\\there\"\n? complex\n: value\n",
    "defaults: &d {size: 1, kind: small}\nwide: &w {size: 2}\nmerged:\n  <<: [*d, *w]\n  extra: 3\n",
]


def _yaml_files() -> list[Path]:
    found = [*ROOT.glob("fixtures/**/*.yml"), *ROOT.glob("fixtures/**/*.yaml"), *SHARED.glob("corpus/**/*.yml")]
    return sorted(found)


@pytest.mark.parametrize("text", TRICKY)
def test_yaml_values_are_those_of_yaml_safe_load(text: str) -> None:
    assert load_yaml(src(text)).root.to_python() == yaml.safe_load(text)


def test_every_yaml_file_here_loads_as_yaml_safe_load_reads_it() -> None:
    compared = 0
    for path in _yaml_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # a fixture of broken YAML: its finding is tested elsewhere
        try:
            root = load_yaml(src(text, path.name)).root
        except LoadError:
            continue  # refused by a limit, or a tag the loader names: tested elsewhere
        assert (root.to_python() if root is not None else None) == expected, path
        compared += 1
    assert compared > 100


COUNTED = "a: 1\nb: x\nc: [y, z]\n"  # 9 nodes: the mapping, 3 keys, 2 values, the list and its 2 items


def test_the_node_limit_counts_every_key_value_and_item() -> None:
    assert load_yaml(src(COUNTED), Limits(nodes=9)).root.to_python() == {"a": 1, "b": "x", "c": ["y", "z"]}
    with pytest.raises(LoadError) as err:
        load_yaml(src(COUNTED), Limits(nodes=8))
    assert err.value.rule_id == "MPL005" and "more than 8 nodes" in err.value.message
    assert (err.value.span.line, err.value.span.col) == (3, 8)  # the ninth node: `z`


ALIASED = "a: &l [x, y]\nb: *l\n"  # 6 distinct nodes; the alias adds the list's 3: 9 expanded


@pytest.mark.parametrize(("limit", "reads"), [(9, True), (8, False)])
def test_an_alias_adds_its_anchors_nodes_to_the_expanded_size(limit: int, reads: bool) -> None:
    limits = Limits(expanded_nodes=limit)
    if reads:
        assert load_yaml(src(ALIASED), limits).root.to_python() == {"a": ["x", "y"], "b": ["x", "y"]}
        return
    with pytest.raises(LoadError) as err:
        load_yaml(src(ALIASED), limits)
    assert err.value.rule_id == "MPL005" and "past 8 nodes" in err.value.message


def test_yaml_duplicate_keys_are_recorded_with_both_places() -> None:
    doc = load_yaml(src("a: 1\nb: 2\na: 3\n"))
    assert [(d.key, d.span.line, d.first.line) for d in doc.duplicates] == [("a", 3, 1)]
    assert doc.root.get("a").value == 3


def test_yaml_aliases_and_merge_keys() -> None:
    root = load_yaml(src("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")).root
    assert root.get("other").to_python() == {"x": 1, "y": 2}


def test_yaml_syntax_error_has_a_position() -> None:
    with pytest.raises(LoadError) as err:
        load_yaml(src("a: [1, 2\nb: 3\n"))
    assert err.value.rule_id == "MPL002" and err.value.span.line >= 2


def test_utf16_columns_after_astral_characters() -> None:
    root = load_yaml(src("a: '\U0001f600' \nb: x\nc: '\U0001f600x'\n")).root
    # the emoji takes two UTF-16 code units: the closing quote ends at column 8, not 7
    assert root.get("a").span.end_col == 8


def test_json_positions_and_values() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"]}]\n}'
    root = load_json(src(text, "p.json")).root
    assert root.key("Statement").span.line == 3
    statement = root.get("Statement").items[0]
    action = statement.get("Action").items[0]
    assert action.value == "s3:GetObject"
    assert (action.span.line, action.span.col) == (3, 48)


@pytest.mark.parametrize("text", ['{"a": }', '{"a": 1,}', "[1 2]", '{"a": 1} x', '{"a" 1}', "", '"\\x"'])
def test_json_errors_are_load_errors_not_exceptions(text: str) -> None:
    with pytest.raises(LoadError) as err:
        load_json(src(text, "p.json"))
    assert err.value.rule_id == "MPL002"


def test_json_duplicate_keys_and_numbers() -> None:
    doc = load_json(src('{"a": 1, "b": -2.5e3, "a": true}', "p.json"))
    assert [d.key for d in doc.duplicates] == ["a"]
    assert doc.root.get("b").value == -2500.0


def test_deep_nesting_is_a_limit_finding() -> None:
    with pytest.raises(LoadError) as err:
        load_json(src("[" * 500 + "]" * 500, "p.json"))
    assert err.value.rule_id == "MPL005"


def test_read_source_rejects_non_utf8_with_a_position(tmp_path: Path) -> None:
    path = tmp_path / "m.yml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(LoadError) as err:
        read_source(path, "m.yml")
    assert err.value.rule_id == "MPL001" and (err.value.span.line, err.value.span.col) == (2, 7)


def test_read_source_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        read_source(tmp_path / "nope.yml", "nope.yml")
    assert err.value.rule_id == "MPL001"


def test_trees_kept_are_out_of_the_collectors_reach_until_the_run_ends() -> None:
    assert gc.get_freeze_count() == 0
    load_yaml(src("a: 1\n"))
    assert gc.get_freeze_count() == 0  # outside a run that keeps its trees: nothing is frozen
    with trees_kept():
        tree = load_yaml(src("a: [1, 2, {b: c}]\n")).root
        assert gc.get_freeze_count() > 0
        assert not any(obj is tree for obj in gc.get_objects())  # no collection will traverse it
        load_json(src('{"a": [1]}', "p.json"))
    assert gc.get_freeze_count() == 0  # and once the run is over, the collector sees everything again


def test_a_run_told_to_keep_what_is_frozen_leaves_it_frozen() -> None:
    gc.freeze()  # as a worker forked from a parent that froze what it had loaded
    try:
        before = gc.get_freeze_count()
        with trees_kept(unfreeze=False):
            load_yaml(src("a: 1\n"))
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()
