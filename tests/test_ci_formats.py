"""The CI formats, each checked against its consumer's published schema or format description (tests/data/SOURCES.md):
GitLab Code Quality, JUnit XML (Jenkins' schema), reviewdog rdjson; the GitHub annotations cap and job summary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
import xmlschema
from jsonschema import Draft4Validator, Draft7Validator

from mplint.engine import Result
from mplint.findings import Edit, Finding, Fix, Level, Related, Span
from mplint.registry import builtin_rules
from mplint.report import FORMATS, rdjson, summary
from mplint.report import github as gh
from mplint.source import SourceFile
from tests.conftest import FIXTURES, ROOT, fixture_stacks
from tests.test_sarif import fixture_outcome, lint_stack

DATA = Path(__file__).parent / "data"
STACKS = fixture_stacks()
IDS = [s.relative_to(FIXTURES).as_posix() for s in STACKS]
SEED = FIXTURES / "seed"


@cache
def gitlab_validator() -> Draft7Validator:
    return Draft7Validator(json.loads((DATA / "gitlab-codequality.schema.json").read_text(encoding="utf-8")))


@cache
def rdjson_validator() -> Draft4Validator:
    return Draft4Validator(json.loads((DATA / "reviewdog-DiagnosticResult.json").read_text(encoding="utf-8")))


@cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(DATA / "junit-10.xsd")


@cache
def rendered(stack: Path, fmt: str, fail_level: str | None = None) -> str:
    return fixture_outcome(stack).render(fmt, {"fail_level": fail_level})


def test_every_format_is_offered() -> None:
    assert {"gitlab", "junit", "rdjson"} <= set(FORMATS)


# --- GitLab Code Quality -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_gitlab_report_follows_the_code_quality_format(stack: Path) -> None:
    issues = json.loads(rendered(stack, "gitlab"))
    assert [e.message for e in gitlab_validator().iter_errors(issues)] == []
    assert len(issues) == len(fixture_outcome(stack).result.findings)
    prints = [i["fingerprint"] for i in issues]
    assert len(set(prints)) == len(prints), "GitLab shows one issue per fingerprint"


def test_gitlab_issue_fields() -> None:
    issues = json.loads(rendered(SEED, "gitlab"))
    first = issues[0]
    finding = fixture_outcome(SEED).result.findings[0]
    assert first["check_name"] == finding.rule_id and first["location"]["path"] == finding.span.path
    assert first["location"]["lines"]["begin"] == finding.span.line
    assert {i["severity"] for i in issues} == {"major", "minor", "info"}  # seed has errors, a warning and notes


def test_gitlab_fingerprints_survive_lines_inserted_above(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(SEED, stack)

    def issues() -> dict[str, int]:
        report = lint_stack(stack, base=tmp_path).render("gitlab", {})
        return {i["fingerprint"]: i["location"]["lines"]["begin"] for i in json.loads(report)}

    before = issues()
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text("# moved\n# down\n" + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    after = issues()
    assert len(before) > 10 and set(after) == set(before)
    assert any(after[k] == v + 2 for k, v in before.items())


def test_gitlab_leaves_suppressed_findings_out() -> None:
    span = Span("m.yml", 3, 1, 3, 4)
    kept, hidden = Finding("MPL201", "kept", span, Level.ERROR), Finding("MPL201", "hidden", span, Level.ERROR)
    result = Result(findings=[kept], suppressed=[(hidden, "reason")], rules=builtin_rules())
    from mplint.report.gitlab import render

    (only,) = json.loads(render(result, {}, {}))
    assert only["description"] == "MPL201 kept"


# --- JUnit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_junit_report_passes_the_jenkins_schema(stack: Path) -> None:
    junit_schema().validate(rendered(stack, "junit"))


def _cases(report: str) -> list[ET.Element]:
    return list(ET.fromstring(report).iter("testcase"))


def test_junit_one_case_per_rule_per_file_failing_at_the_fail_level() -> None:
    outcome = fixture_outcome(SEED)
    pairs = {(f.span.path, f.rule_id) for f in outcome.result.findings}
    cases = _cases(rendered(SEED, "junit", "warning"))
    rule_cases = [c for c in cases if c.get("classname") != "mplint"]
    assert {(c.get("name"), c.get("classname").removeprefix("mplint.")) for c in rule_cases} == pairs
    failing = {c.get("classname") for c in rule_cases if c.find("failure") is not None}
    levels = {f.rule_id: f.level for f in outcome.result.findings}
    assert failing == {f"mplint.{r}" for r, level in levels.items() if level in (Level.ERROR, Level.WARNING)}
    root = ET.fromstring(rendered(SEED, "junit", "warning"))
    assert root.get("failures") == str(len(failing)) and root.get("tests") == str(len(cases))
    errors_only = _cases(rendered(SEED, "junit", "error"))
    assert sum(c.find("failure") is not None for c in errors_only) < len(failing)
    assert all(c.find("failure") is None for c in _cases(rendered(SEED, "junit", "never")))


def test_junit_failure_lists_every_finding_of_the_rule() -> None:
    outcome = fixture_outcome(SEED)
    case = next(c for c in _cases(rendered(SEED, "junit", "warning")) if c.get("classname") == "mplint.MPL106")
    failure = case.find("failure")
    count = sum(1 for f in outcome.result.findings if f.rule_id == "MPL106")
    assert failure.text.count(": MPL106 error ") == count and f"(and {count - 1} more)" in failure.get("message")


def test_junit_clean_files_pass() -> None:
    cases = _cases(rendered(FIXTURES / "valid" / "model-package-stack", "junit"))
    assert cases and all(c.get("classname") == "mplint" and len(c) == 0 for c in cases)


# --- reviewdog rdjson ----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_rdjson_report_passes_the_reviewdog_schema(stack: Path) -> None:
    doc = json.loads(rendered(stack, "rdjson"))
    assert [e.message for e in rdjson_validator().iter_errors(doc)] == []
    for diag in doc["diagnostics"]:  # what the schema's descriptions call required
        assert diag["message"] and diag["location"]["path"] and diag["location"]["range"]["start"]["line"] >= 1
        assert diag["code"]["value"].startswith("MPL") and diag["severity"] in ("ERROR", "WARNING", "INFO")


def _source(path: str, text: str) -> SourceFile:
    return SourceFile(Path(path), path, text)


@pytest.mark.parametrize(
    ("line", "utf16_col", "byte_col"),
    [
        ("abc", 3, 3),
        ("é: x", 4, 5),  # é is one UTF-16 unit and two UTF-8 bytes
        ("a\U00010400b", 4, 6),  # the example of rdjson's Position: 𐐀 is two UTF-16 units and four bytes
        ("a\U00010400b", 5, 7),  # the end of the line, exclusive
    ],
)
def test_rdjson_columns_are_utf8_bytes(line: str, utf16_col: int, byte_col: int) -> None:
    assert rdjson.byte_col(_source("a.yml", line + "\n"), 1, utf16_col) == byte_col


def test_rdjson_safe_fix_becomes_a_suggestion_and_related_locations_are_kept() -> None:
    source = _source("m.yml", "name: é-x\n")
    span = Span("m.yml", 1, 7, 1, 10)
    fix = Fix("rename", (Edit(span, "ok"),))
    finding = Finding("MPL201", "bad", span, Level.ERROR, (Related(Span("m.yml", 1, 1, 1, 5), "here"),), fixes=(fix,))
    unsafe = Finding("MPL201", "bad", span, Level.ERROR, fixes=(Fix("guess", (Edit(span, "?"),), safe=False),))
    doc = json.loads(rdjson.render(Result(findings=[finding, unsafe], rules=builtin_rules()), {"m.yml": source}, {}))
    first, second = doc["diagnostics"]
    assert first["suggestions"] == [
        {"range": {"start": {"line": 1, "column": 7}, "end": {"line": 1, "column": 11}}, "text": "ok"}
    ]
    assert first["related_locations"][0]["message"] == "here"
    assert "suggestions" not in second
    assert [e.message for e in rdjson_validator().iter_errors(doc)] == []


# --- GitHub annotations and job summary ----------------------------------------------------------


def _errors(count: int, path: str = "stacks/a/stackql_manifest.yml") -> list[Finding]:
    return [Finding("MPL201", f"problem {i}", Span(path, i + 1, 3, i + 1, 8), Level.ERROR) for i in range(count)]


def test_annotations_are_capped_per_level_with_one_saying_how_many_more() -> None:
    findings = [*_errors(102), Finding("MPL208", "a warning", Span("a.yml", 1, 1, 1, 2), Level.WARNING)]
    lines = gh.render(Result(findings=findings, rules=builtin_rules()), {}, {"files": 3}).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == gh.PER_LEVEL
    assert errors[-1].startswith("::error title=mplint%3A 93 more::93 more errors than GitHub shows")
    assert "job summary" in errors[-1] and "SARIF" in errors[-1]
    assert sum(line.startswith("::warning ") for line in lines) == 1


def test_ten_annotations_of_a_level_are_all_shown() -> None:
    lines = gh.render(Result(findings=_errors(10), rules=builtin_rules()), {}, {}).splitlines()
    assert sum(line.startswith("::error file=") for line in lines) == 10 and "more" not in "".join(lines)


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_fixture_annotations_stay_within_what_github_shows(stack: Path) -> None:
    lines = rendered(stack, "github").splitlines()
    for kind in ("::error ", "::warning ", "::notice "):
        assert sum(line.startswith(kind) for line in lines) <= gh.PER_LEVEL


LINKS = {"server": "https://github.com", "repository": "acme/infra", "sha": "0123abc"}


def test_summary_counts_rules_lists_findings_with_links_and_what_was_linted() -> None:
    outcome = fixture_outcome(SEED)
    text = outcome.render("summary", {"links": LINKS, "fail_level": "warning"})
    lines = text.splitlines()
    assert (
        lines[0] == "## mplint: :x: 94 errors, :warning: 1 warning, :information_source: 3 notes in 2 files"
    )  # MPL160: unpinned aws
    mpl106 = sum(1 for f in outcome.result.findings if f.rule_id == "MPL106")
    assert any(line.startswith("| [MPL106](") and line.endswith(f"| error | {mpl106} |") for line in lines)
    first = next(f for f in outcome.result.findings if f.level is Level.ERROR)
    rows = [line for line in lines if line.startswith("| [fixtures/")]
    assert rows[0].startswith(f"| [{first.span.path}:{first.span.line}:") and "| error |" in rows[0]
    assert all("| note |" not in row for row in rows[:40])  # errors first
    url = f"https://github.com/acme/infra/blob/0123abc/{first.span.path}#L{first.span.line}"
    assert f"[{first.span.path}:{first.span.line}:{first.span.col}]({url})" in text
    assert f"### The first {summary.MAX_ROWS} of {len(outcome.result.findings)} findings" in text
    assert "- 1 stack: `fixtures/seed`, with 1 query file" in text and "- fails at: warning" in text


def test_summary_of_a_clean_run_and_without_repository_links() -> None:
    text = fixture_outcome(FIXTURES / "valid" / "model-package-stack").render("summary", {})
    assert text.startswith("## mplint: :white_check_mark: no findings in ")
    assert "| where |" not in text


def test_summary_cells_cannot_break_the_table() -> None:
    finding = Finding("MPL201", "a | b\nc <script>", Span("a|b.yml", 1, 1, 1, 2), Level.ERROR)
    text = summary.render(Result(findings=[finding], rules=builtin_rules()), {}, {})
    row = next(line for line in text.splitlines() if line.startswith("| `a"))
    assert row == "| `a\\|b.yml:1:1` | MPL201 | error | a \\| b c &lt;script&gt; |"


def test_docs_job_summary_is_a_current_rendering() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_job_summary.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "## mplint: :x:" in (ROOT / "docs" / "job-summary.md").read_text(encoding="utf-8")
