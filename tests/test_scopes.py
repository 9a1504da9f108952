"""Scopes: names in query files, `values` environments, `merge`, exports, `protected`, `sql` and `run`."""

from __future__ import annotations

from pathlib import Path

from mplint.app import LintOptions, lint_paths
from mplint.checks.scopes import named_envs
from mplint.model.manifest import build_manifest
from mplint.source import SourceFile, load_yaml

MANIFEST = """\
version: 1
name: s
providers: [aws]
globals:
  - name: region
    value: "{{ AWS_REGION }}"
resources:
  - name: first
    props:
      - name: group
        value: churn-models
    exports:
      - first_arn
  - name: second
    props: []
    exports:
      - second_arn
"""


def lint(tmp_path: Path, manifest: str, queries: dict[str, str], **options) -> list[tuple[str, int, str]]:
    (tmp_path / "resources").mkdir(exist_ok=True)
    (tmp_path / "stackql_manifest.yml").write_text(manifest, encoding="utf-8")
    for name, text in queries.items():
        (tmp_path / "resources" / name).write_text(text, encoding="utf-8")
    select = ["MPL10", "MPL110", "MPL111", "MPL112", "MPL14"]
    outcome = lint_paths(LintOptions(paths=[tmp_path], base=tmp_path, select=select, **options))
    assert not outcome.result.notifications
    return sorted((Path(f.span.path).name, f.span.line, f.rule_id) for f in outcome.result.findings)


def exports_query(body: str) -> str:
    return f"/*+ exports */\n{body};\n"


def test_query_files_see_globals_own_props_and_earlier_exports(tmp_path: Path) -> None:
    queries = {
        "first.iql": exports_query("SELECT '{{ region }}-{{ group }}-{{ stack_name }}' AS first_arn"),
        "second.iql": exports_query("SELECT '{{ first_arn }}-{{ stack_env }}' AS second_arn"),
    }
    assert lint(tmp_path, MANIFEST, queries) == []


def test_later_exports_env_vars_and_other_props_are_undefined(tmp_path: Path) -> None:
    queries = {
        "first.iql": exports_query("SELECT '{{ second_arn }}' AS first_arn,\n '{{ AWS_REGION }}' AS r"),
        "second.iql": exports_query("SELECT '{{ group }}' AS second_arn"),
    }
    assert lint(tmp_path, MANIFEST, queries) == [
        ("first.iql", 2, "MPL106"),
        ("first.iql", 3, "MPL106"),
        ("second.iql", 2, "MPL106"),
    ]


def test_delete_sees_every_export_and_own_exports(tmp_path: Path) -> None:
    queries = {
        "first.iql": "/*+ delete */\n"
        "DELETE FROM aws.s3.buckets WHERE data__Identifier = '{{ second_arn }}' AND region = 'x';\n"
        + exports_query("SELECT '{{ first_arn }}' AS first_arn"),
        "second.iql": exports_query("SELECT 1 AS second_arn"),
    }
    assert lint(tmp_path, MANIFEST, queries) == []


def test_query_syntax_error_is_reported_at_its_line(tmp_path: Path) -> None:
    queries = {
        "first.iql": exports_query("SELECT\n 'a' AS first_arn,\n '{{ region | default('x' }}' AS b"),
        "second.iql": exports_query("SELECT 1 AS second_arn"),
    }
    assert lint(tmp_path, MANIFEST, queries) == [("first.iql", 4, "MPL111")]


def test_two_x_names_need_engine_2(tmp_path: Path) -> None:
    queries = {
        "first.iql": exports_query("SELECT '{{ this.first_arn }}' AS first_arn"),
        "second.iql": exports_query("SELECT '{{ first.first_arn }}' AS second_arn, '{{ first.nothing }}' AS x"),
    }
    found = lint(tmp_path, MANIFEST, queries, engine=2)
    assert found == [("second.iql", 2, "MPL106")]  # `first` exports no `nothing`
    found = lint(tmp_path, MANIFEST, queries, engine=1)
    assert ("first.iql", 2, "MPL106") not in found  # 2.x syntax under 1.x is MPL150, not an undefined name


def test_values_cover_every_named_environment(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        "      - name: group\n        value: churn-models\n",
        "      - name: group\n        values:\n          dev: {value: a}\n          prd: {value: b}\n"
        "      - name: status\n        values:\n          dev: {value: x}\n",
    )
    queries = {
        "first.iql": exports_query("SELECT 1 AS first_arn"),
        "second.iql": exports_query("SELECT 1 AS second_arn"),
    }
    assert lint(tmp_path, manifest, queries) == [("stackql_manifest.yml", 15, "MPL140")]
    assert lint(tmp_path, manifest, queries, envs=("dev",)) == []
    assert lint(tmp_path, manifest, queries, envs=("sit",)) == [
        ("stackql_manifest.yml", 11, "MPL140"),
        ("stackql_manifest.yml", 15, "MPL140"),
    ]


def test_named_envs_read_if_conditions() -> None:
    text = MANIFEST.replace("  - name: second\n", "  - name: second\n    if: \"'{{ stack_env }}' in ['sit', 'prd']\"\n")
    manifest = build_manifest(load_yaml(SourceFile(Path("m.yml"), "m.yml", text)))
    assert manifest is not None and named_envs(manifest) == ("prd", "sit")


def test_merge_needs_an_earlier_list_or_map(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        "      - name: group\n        value: churn-models\n",
        "      - name: group\n        value: churn-models\n"
        "      - name: tags\n        value: [{Key: a, Value: b}]\n"
        "        merge:\n          - group\n          - later\n"
        "      - name: more_tags\n        value: []\n        merge: [tags]\n"
        "      - name: later\n        value: {a: b}\n",
    )
    queries = {
        "first.iql": exports_query("SELECT 1 AS first_arn"),
        "second.iql": exports_query("SELECT 1 AS second_arn"),
    }
    assert lint(tmp_path, manifest, queries, engine=2) == [
        ("stackql_manifest.yml", 15, "MPL141"),
        ("stackql_manifest.yml", 16, "MPL141"),
    ]
    # 1.x merges only globals and exports
    assert ("stackql_manifest.yml", 19, "MPL141") in lint(tmp_path, manifest, queries, engine=1)


def test_exports_protected_sql_and_run(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        "    exports:\n      - second_arn\n",
        "    exports:\n      - second_arn\n      - {arn: other}\n    protected: [secret]\n    sql: SELECT 1\n"
        "  - name: job\n    type: script\n",
    )
    queries = {
        "first.iql": exports_query("SELECT 1 AS first_arn"),
        "second.iql": exports_query("SELECT 1 AS second_arn, 2 AS arn"),
    }
    assert lint(tmp_path, manifest, queries) == [
        ("stackql_manifest.yml", 18, "MPL142"),
        ("stackql_manifest.yml", 19, "MPL143"),
        ("stackql_manifest.yml", 20, "MPL144"),
        ("stackql_manifest.yml", 21, "MPL145"),
    ]
