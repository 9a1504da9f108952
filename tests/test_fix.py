"""`mplint lint --fix`, `--unsafe-fixes` and `--diff`: edits at spans that keep every other byte of the file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from mplint.edits import replace_scalar
from mplint.findings import Edit, Fix, Span
from mplint.fix import apply_fixes
from mplint.source import Scalar
from tests.conftest import FIXTURES, ROOT, expected_findings

runner = CliRunner()
DATA = ROOT / "tests" / "data"
MANIFEST = "stackql_manifest.yml"
QUERY = "resources/churn_model_package.iql"


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(DATA / "fix" / "before", tmp_path / "stack")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "stack"


def lint(*args: str):
    return runner.invoke(app, ["lint", *args])


def rules_left(stack: Path) -> list[str]:
    out = lint(str(stack), "--format", "json").stdout
    return sorted(re.findall(r'"rule": "(MPL\d+)"', out))


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line and "{#" not in line]


def test_fix_on_the_seed_changes_what_is_safe_and_nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "seed", tmp_path / "seed")
    monkeypatch.chdir(tmp_path)
    result = lint("seed", "--fix")
    assert result.exit_code == 1  # the seed's other findings remain
    assert "1 fix applied in 1 file" in result.stderr
    assert (tmp_path / "seed" / MANIFEST).read_bytes() == (DATA / "seed-fixed" / MANIFEST).read_bytes()
    for query in (FIXTURES / "seed" / "resources").iterdir():
        assert (tmp_path / "seed" / "resources" / query.name).read_bytes() == query.read_bytes()
    before = {(line, rule) for path, line, rule in expected_findings(FIXTURES / "seed")}
    after = {(f["line"], f["rule"]) for f in _json_findings(lint("seed", "--format", "json").stdout)}
    assert after == before - {(8, "MPL107")}


def _json_findings(text: str) -> list[dict]:
    return json.loads(text)["findings"]


def test_fix_keeps_comments_quotes_and_blank_lines_and_matches_the_expected_files(stack: Path) -> None:
    before = (stack / MANIFEST).read_text(encoding="utf-8")
    result = lint(str(stack), "--fix")
    assert "7 fixes applied in 2 files" in result.stderr
    for name in (MANIFEST, QUERY):
        assert (stack / name).read_bytes() == (DATA / "fix" / "after" / name).read_bytes(), name
    after = (stack / MANIFEST).read_text(encoding="utf-8")
    assert comments(after) == comments(before)
    assert after.count("\n\n") == before.count("\n\n")
    # what no safe fix settles stays: the enum value of a global used by name (its fix is unsafe)
    assert rules_left(stack) == ["MPL203"]


def test_a_second_fix_changes_nothing(stack: Path) -> None:
    lint(str(stack), "--fix")
    fixed = {p: p.read_bytes() for p in stack.rglob("*") if p.is_file()}
    result = lint(str(stack), "--fix")
    assert "nothing to fix" in result.stderr
    assert {p: p.read_bytes() for p in stack.rglob("*") if p.is_file()} == fixed


def test_unsafe_fixes_also_change_a_shared_definition(stack: Path) -> None:
    lint(str(stack), "--fix", "--unsafe-fixes")
    assert "    value: Approved  # shared by" in (stack / MANIFEST).read_text(encoding="utf-8")
    assert rules_left(stack) == []


def test_diff_prints_the_fixes_and_writes_nothing(stack: Path) -> None:
    original = (stack / MANIFEST).read_bytes()
    result = lint(str(stack), "--diff")
    assert result.exit_code == 1
    assert f"--- a/stack/{MANIFEST}\n+++ b/stack/{MANIFEST}\n" in result.stdout
    assert "-        value: {{ stack_name }}\n+        value: '{{ stack_name }}'\n" in result.stdout
    assert (stack / MANIFEST).read_bytes() == original
    lint(str(stack), "--fix")
    clean = lint(str(stack), "--diff")
    assert clean.exit_code == 0 and clean.stdout == ""


def test_a_crlf_file_keeps_its_line_ends(stack: Path) -> None:
    path = stack / MANIFEST
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    lint(str(stack), "--fix")
    expected = (DATA / "fix" / "after" / MANIFEST).read_bytes().replace(b"\n", b"\r\n")
    assert path.read_bytes() == expected


def _fix(line: int, col: int, end_line: int, end_col: int, text: str) -> Fix:
    return Fix("t", (Edit(Span("f", line, col, end_line, end_col), text),))


def test_overlapping_fixes_apply_the_first_only() -> None:
    text = "abcdef\n"
    one, two, three = _fix(1, 2, 1, 4, "X"), _fix(1, 3, 1, 5, "Y"), _fix(1, 5, 1, 6, "Z")
    fixed, applied = apply_fixes(text, [three, two, one])
    assert fixed == "aXdZf\n" and applied == [one, three]
    insert = _fix(1, 1, 1, 1, ">")
    assert apply_fixes(text, [insert, _fix(1, 1, 1, 1, "<")]) == (">abcdef\n", [insert])


def test_columns_are_utf16_and_a_byte_order_mark_stays() -> None:
    text = "\ufeffk: \U0001f600 Approve\n"
    fixed, _ = apply_fixes(text, [_fix(1, 7, 1, 14, "Approved")])  # the emoji is two UTF-16 units
    assert fixed == "\ufeffk: \U0001f600 Approved\n"


@pytest.mark.parametrize(
    ("style", "path", "value", "written"),
    [
        (None, "m.yml", "Approved", "Approved"),
        (None, "m.yml", "true", "'true'"),  # plain `true` would be a boolean
        (None, "m.yml", "a: b", "'a: b'"),
        ("'", "m.yml", "it's", "'it''s'"),
        ('"', "m.yml", 'say "hi"', '"say \\"hi\\""'),
        (None, "q.iql", "O'Brien", "'O''Brien'"),
        ("|", "m.yml", "Approved", None),
    ],
)
def test_a_replaced_scalar_keeps_its_quoting(style: str | None, path: str, value: str, written: str | None) -> None:
    edit = replace_scalar(Scalar(Span(path, 1, 1, 1, 5), "x", style), value)
    assert (edit.text if edit else None) == written


def test_sarif_carries_the_fixes_and_where_relative_paths_start(stack: Path) -> None:
    run = json.loads(lint(str(stack), "--format", "sarif").stdout)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == stack.parent.resolve().as_uri() + "/"
    quoted = [fix for result in run["results"] if result["ruleId"] == "MPL113" for fix in result["fixes"]]
    assert quoted == [
        {
            "description": {"text": "Quote `{{ stack_name }}`."},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": f"stack/{MANIFEST}", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {"startLine": 18, "startColumn": 16, "endLine": 18, "endColumn": 32},
                            "insertedContent": {"text": "'{{ stack_name }}'"},
                        }
                    ],
                }
            ],
            "properties": {"safe": True},
        }
    ]
    unsafe = [f["properties"]["safe"] for r in run["results"] if r["ruleId"] == "MPL203" for f in r.get("fixes", [])]
    assert sorted(unsafe) == [False, True]


def test_the_text_summary_counts_what_fix_would_settle(stack: Path) -> None:
    assert lint(str(stack)).stdout.strip().endswith("in 2 files. 7 fixable with `mplint lint --fix`.")
    lint(str(stack), "--fix")
    assert "fixable" not in lint(str(stack)).stdout
