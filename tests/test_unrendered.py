"""Templates no engine renders (MPL113, MPL114) and what never takes effect (MPL115, MPL116): the analyses."""

from __future__ import annotations

from pathlib import Path

import pytest

from mplint.checks.ineffective import _normal
from mplint.checks.unrendered import yaml_quoted
from mplint.model.manifest import build_manifest
from mplint.model.query import parse_query_file
from mplint.source import Mapping, load_yaml, source_from_text
from mplint.stackql.unrendered import template_keys, unquoted_templates
from mplint.stackql.usage import unread_props


def _manifest(text: str):
    return build_manifest(load_yaml(source_from_text(Path("m.yml"), "m.yml", text)))


def _query(text: str):
    return parse_query_file(source_from_text(Path("q.iql"), "q.iql", text))


def test_an_unquoted_template_is_found_as_a_value_and_as_a_list_item() -> None:
    manifest = _manifest("resources:\n  - name: r\n    props:\n      - name: a\n        value: {{ x | tojson }}\n"
                         "      - name: b\n        value:\n          - {{ y }}\n          - {a: 1}\n")  # fmt: skip
    found = [(n.template, n.span.line, n.span.col) for n in unquoted_templates(manifest.root)]
    assert found == [("{{ x | tojson }}", 5, 16), ("{{ y }}", 8, 13)]


@pytest.mark.parametrize("text", ["value: {a: 1}", "value: { {a: 1}: 2 }", "value: '{{ x }}'", "value: {x: '{{ y }}'}"])
def test_a_mapping_or_a_quoted_template_is_not_an_unquoted_template(text: str) -> None:
    doc = load_yaml(source_from_text(Path("m.yml"), "m.yml", text))
    assert list(unquoted_templates(doc.root)) == []


def test_a_mapping_used_as_a_key_is_named_by_its_text_never_a_python_repr() -> None:
    doc = load_yaml(source_from_text(Path("m.yml"), "m.yml", "value: {{ region }}\n"))
    value = doc.root.get("value")
    assert isinstance(value, Mapping)
    assert [k.value for k, _ in value.items] == ["{ region }"]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("{{ region }}", "'{{ region }}'"),
        ("{{ name | default('x') }}", "\"{{ name | default('x') }}\""),
        ("{{ a ~ '\"' }}", "'{{ a ~ ''\"'' }}'"),
    ],
)
def test_quoting_keeps_the_text_as_yaml_reads_it(text: str, quoted: str) -> None:
    assert yaml_quoted(text) == quoted
    doc = load_yaml(source_from_text(Path("m.yml"), "m.yml", f"value: {quoted}\n"))
    assert doc.root.get("value").value == text


def test_template_keys_in_values_environments_and_exports_only() -> None:
    manifest = _manifest(
        "resources:\n  - name: r\n    props:\n      - name: p\n        value:\n          '{{ k }}-x': 1\n"
        "      - name: q\n        values:\n          '{{ stack_env }}':\n            value: 2\n"
        "    exports:\n      - {'{{ col }}': name}\n"
    )
    assert [k.value for k in template_keys(manifest)] == ["{{ k }}-x", "{{ stack_env }}", "{{ col }}"]


RESOURCE = "resources:\n  - name: r\n{extra}    props:\n{props}"
QUERY = "/*+ create */\nINSERT INTO awscc.s3.buckets (BucketName, region) SELECT '{{ bucket }}', '{{ region }}';\n"


def _unread(props: str, query: str | None = QUERY, extra: str = "") -> list[str] | None:
    manifest = _manifest(RESOURCE.format(props=props, extra=extra))
    found = unread_props(manifest.resources[0], _query(query) if query is not None else None)
    return None if found is None else [p.name for p in found]


def test_a_prop_read_by_the_query_another_prop_or_a_merge_is_read() -> None:
    props = (
        "      - name: bucket\n        value: b\n      - name: owner\n        value: o\n"
        '      - name: tags\n        value: \'[{"Key": "owner", "Value": "{{ owner }}"}]\'\n'
        "      - name: base\n        value: []\n      - name: all_tags\n        value: []\n        merge: [base]\n"
    )
    assert _unread(props) == ["tags", "all_tags"]


def test_unread_cannot_be_told_without_every_read_in_view() -> None:
    props = "      - name: stray\n        value: 1\n"
    assert _unread(props, query=None) is None  # no query file, no inline sql
    assert _unread(props, QUERY + "/*+ exists */\nSELECT {{ broken( }}\n") is None
    assert _unread(props, QUERY + "{% include 'common.iql' %}\n") is None
    assert _unread(props, query=None, extra="    type: script\n    run: echo hi\n") is None
    assert _unread(props, query=None, extra="    type: query\n    sql: SELECT '{{ stray }}' as x\n") == []
    assert _unread(props, query=None, extra="    type: query\n    sql: SELECT 1 as count\n") == ["stray"]


def test_a_statecheck_differing_only_in_layout_and_comments_is_the_same_query() -> None:
    one = "SELECT COUNT(*) as count\nFROM awscc.s3.buckets -- by name\nWHERE Identifier = '{{ b }}';\n"
    two = "  SELECT COUNT(*) as count FROM awscc.s3.buckets\n  /* the bucket */ WHERE Identifier = '{{ b }}'\n"
    assert _normal(one) == _normal(two)
    assert _normal(one) != _normal(one.replace("COUNT(*)", "COUNT(1)"))


def test_templates_reached_through_anchors_merges_escapes_and_keys_are_found_beside_plain_values() -> None:
    """The searches pass by what holds no `{`: a template an alias, a merge key, an escape or a key brings in
    is still found, deep in a tree of plain values."""
    plain = "".join(f"      - name: p{i}\n        value: {{a: [1, {{b: plain}}]}}\n" for i in range(3))
    manifest = _manifest(
        "globals:\n  - name: g\n    value: &tpl {x: [{y: {{ hidden }}}]}\n"
        "  - name: h\n    value: &keyed {'{{ k }}': 1}\n"
        f"resources:\n  - name: r\n    props:\n{plain}"
        "      - name: aliased\n        value: [1, [*tpl]]\n"
        "      - name: merged\n        value: {<<: *keyed, z: 1}\n"
        '      - name: escaped\n        value: {deep: ["\\x7b\\x7b e }}"]}\n'
    )
    found = [(n.template, n.span.line) for n in unquoted_templates(manifest.root)]
    assert found == [("{{ hidden }}", 3), ("{{ hidden }}", 3)]  # once where written, once through the alias
    assert [k.value for k in template_keys(manifest)] == ["{{ k }}", "{{ k }}"]  # where written, and merged
    escaped = manifest.resources[0].prop("escaped")
    assert escaped is not None and escaped.value.braces is True
    assert all(p.value.braces is False for p in manifest.resources[0].props[:3])
