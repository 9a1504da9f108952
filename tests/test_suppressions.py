"""Suppressions outside the linted files: the file, the config key, reasons, expiry, text and SARIF output."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker
from typer.testing import CliRunner

from mplint.app import LintOptions, Outcome, lint_paths
from mplint.cli import app
from mplint.config import ConfigError
from mplint.suppress import SUPPRESSIONS_FILE, glob_match
from tests.conftest import FIXTURES, ROOT, shared_path

runner = CliRunner()
STACK = "stacks/churn"
MANIFEST = f"{STACK}/stackql_manifest.yml"
QUERY = f"{STACK}/resources/churn_model_package.iql"
FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
PAST = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one stack (a read-only, a write-only and a mistyped value) and no config."""
    shutil.copytree(FIXTURES / "core" / "read-only", tmp_path / STACK)
    manifest = tmp_path / MANIFEST
    manifest.write_text(manifest.read_text().replace("  - aws  # expect: MPL160", "  - aws::v26.06.00301"))
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def suppress(root: Path, body: str, name: str = SUPPRESSIONS_FILE) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def lint(root: Path, **options) -> Outcome:
    return lint_paths(LintOptions(paths=[root / "stacks"], base=root, **options))


def ids(outcome: Outcome) -> list[str]:
    return [f.rule_id for f in outcome.result.findings]


def schema_errors(log: dict) -> list[str]:
    local = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
    schema = local if local.exists() else shared_path("data", "sarif-schema-2.1.0.json")
    validator = Draft4Validator(json.loads(schema.read_text(encoding="utf-8")), format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def test_a_suppression_with_reason_and_expiry(project: Path) -> None:
    assert ids(lint(project)) == ["MPL202", "MPL207", "MPL208"]
    suppress(
        project,
        f"""\
        - rule: MPL207
          path: {MANIFEST}
          resource: churn_model_package
          reason: kept for the import from the old registry
          expires: {FUTURE}
        """,
    )
    outcome = lint(project)
    assert ids(outcome) == ["MPL202", "MPL208"]
    [(finding, reason)] = outcome.result.suppressed
    assert (finding.rule_id, finding.span.path, reason) == (
        "MPL207",
        MANIFEST,
        "kept for the import from the old registry",
    )


def test_an_expired_suppression_suppresses_nothing_and_is_a_finding(project: Path) -> None:
    entry = f"  - {{rule: MPL207, path: '**', reason: migration, expires: {PAST}}}"
    suppress(project, f"suppressions:\n{entry}\n")
    outcome = lint(project)
    assert ids(outcome) == ["MPL007", "MPL202", "MPL207", "MPL208"]
    expired = outcome.result.findings[0]
    assert (expired.span.path, expired.span.line, expired.span.col) == (SUPPRESSIONS_FILE, 2, entry.index(PAST) + 1)
    assert f"expired on {PAST}" in expired.message and "migration" in expired.message
    assert outcome.result.suppressed == [] and outcome.failed


def test_an_entry_without_expiry_lasts(project: Path) -> None:
    suppress(project, "- {rule: [MPL202, MPL208], path: 'stacks/**', reason: known}\n")
    assert ids(lint(project)) == ["MPL207"]


@pytest.mark.parametrize(
    ("resource", "path", "suppressed"),
    [
        ("churn_model_package", "**/*.iql", ["MPL202"]),  # a finding in the resource's query file
        ("churn_*", "**", ["MPL202", "MPL207"]),
        ("other_package", "**", []),
        (None, QUERY, ["MPL202"]),
        (None, "stacks/*.yml", []),  # `*` stays within a folder
        (None, "**/stackql_manifest.yml", ["MPL207"]),
    ],
)
def test_entries_match_by_rule_path_and_resource(
    project: Path, resource: str | None, path: str, suppressed: list[str]
) -> None:
    entry = {"rule": ["MPL202", "MPL207"], "path": path, "reason": "r"} | ({"resource": resource} if resource else {})
    suppress(project, json.dumps([entry]))
    assert sorted(f.rule_id for f, _ in lint(project).result.suppressed) == suppressed


def test_suppressions_in_the_config(project: Path) -> None:
    config = suppress(
        project,
        f"""\
        suppressions:
          - rule: MPL207
            path: {MANIFEST}
            reason: from the config
            expires: {PAST}
        """,
        ".mplint.yaml",
    )
    outcome = lint(project, config=config)
    expired = next(f for f in outcome.result.findings if f.rule_id == "MPL007")
    assert (expired.span.path, expired.span.line) == (".mplint.yaml", 5)


def test_a_suppressions_file_named_in_the_config_has_paths_relative_to_itself(project: Path) -> None:
    config = suppress(project, "suppressions: stacks/suppressions.yaml\n", ".mplint.yaml")
    suppress(
        project, "- {rule: MPL208, path: churn/stackql_manifest.yml, reason: relative}\n", "stacks/suppressions.yaml"
    )
    assert [(f.rule_id, r) for f, r in lint(project, config=config).result.suppressed] == [("MPL208", "relative")]


def test_suppressions_in_pyproject(project: Path) -> None:
    config = suppress(
        project,
        f"""\
        [tool.mplint]
        suppressions = [{{rule = "MPL207", path = "{MANIFEST}", reason = "toml", expires = {PAST}}}]
        """,
        "pyproject.toml",
    )
    outcome = lint(project, config=config)
    assert "MPL007" in ids(outcome) and "MPL207" in ids(outcome)


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        ("- {rule: MPL207, path: x}\n", 1, "`reason` is required"),
        ("- rule: MPL207\n  path: x\n  reason: r\n  expires: next week\n", 4, "`expires` must be a date"),
        ("- {rule: MPL207, path: x, reason: r, until: 2030-01-01}\n", 1, "unknown key `until`"),
        ("- {rule: E501, path: x, reason: r}\n", 1, "unknown rule id or prefix `E501`"),
        ("- {rule: MPL2O7, path: x, reason: r}\n", 1, "(did you mean `MPL207`?)"),
        ("- {path: x, reason: r}\n", 1, "`rule` is required"),
        ("suppressions: {rule: MPL207}\n", 1, "must be a list of entries"),
        ("ignore: [MPL207]\n", 1, "a suppressions file is a list of entries"),
    ],
)
def test_a_malformed_suppression_is_a_usage_error(project: Path, body: str, line: int, problem: str) -> None:
    suppress(project, body)
    with pytest.raises(ConfigError) as info:
        lint(project)
    assert re.match(rf"{re.escape(SUPPRESSIONS_FILE)}:{line}:\d+: ", str(info.value)) and problem in str(info.value)
    result = runner.invoke(app, ["lint", "stacks"])
    assert result.exit_code == 2 and problem in result.stderr


def test_text_shows_suppressed_findings_only_when_asked(project: Path) -> None:
    suppress(project, f"- {{rule: MPL207, path: '**', reason: accepted until the migration, expires: {FUTURE}}}\n")
    plain = runner.invoke(app, ["lint", "stacks"])
    assert plain.exit_code == 1 and "MPL207" not in plain.stdout
    assert plain.stdout.strip().endswith("Found 2 findings (1 error, 1 note, 1 suppressed) in 2 files.")
    shown = runner.invoke(app, ["lint", "stacks", "--show-suppressed"])
    line = next(text for text in shown.stdout.splitlines() if "MPL207" in text)
    assert line.startswith(f"{MANIFEST}:18:15: MPL207 suppressed (accepted until the migration) `CreationTime`")


def _suppress_two(project: Path) -> None:
    suppress(project, f"- {{rule: MPL207, path: '**', reason: accepted until the migration, expires: {FUTURE}}}\n")
    query = project / QUERY
    query.write_text(query.read_text().replace("'yes', -- expect: MPL202", "'yes', -- mplint: disable=MPL202"))


def test_sarif_for_upload_leaves_suppressed_findings_out_by_default(project: Path) -> None:
    _suppress_two(project)
    outcome = lint(project)
    log = json.loads(outcome.render("sarif", {}))
    assert schema_errors(log) == []
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["MPL208"]
    assert json.loads(outcome.render("sarif", {"sarif_suppressed": "omit"})) == log


def test_sarif_reports_suppressed_findings_as_external_suppressions(project: Path) -> None:
    _suppress_two(project)
    log = json.loads(lint(project).render("sarif", {"sarif_suppressed": "include"}))
    assert schema_errors(log) == []
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert results["MPL207"]["suppressions"] == [{"kind": "external", "justification": "accepted until the migration"}]
    assert results["MPL202"]["suppressions"] == [{"kind": "inSource", "justification": "inline comment"}]
    assert "suppressions" not in results["MPL208"]


def test_sarif_with_an_expired_suppression_validates(project: Path) -> None:
    suppress(project, f"- {{rule: MPL207, path: '**', reason: r, expires: {PAST}}}\n")
    log = json.loads(lint(project).render("sarif", {"category": "mplint"}))
    assert schema_errors(log) == []
    expired = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MPL007"]
    assert expired and expired[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == SUPPRESSIONS_FILE


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("stacks/*/stackql_manifest.yml", "stacks/churn/stackql_manifest.yml", True),
        ("stacks/*/stackql_manifest.yml", "stacks/a/b/stackql_manifest.yml", False),
        ("stacks/**/stackql_manifest.yml", "stacks/a/b/stackql_manifest.yml", True),
        ("**/stackql_manifest.yml", "stackql_manifest.yml", True),
        ("**", "a/b/c.iql", True),
        ("./a/?.iql", "a/b.iql", True),
        ("a/*.iql", "a/b.json", False),
        ("a[1].yml", "a[1].yml", True),  # brackets are literal
    ],
)
def test_path_globs(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches
