"""SARIF output: the official schema, what GitHub code scanning reads, fingerprints, UTF-16 columns."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

from mplint.app import LintOptions, Outcome, lint_paths
from mplint.engine import Result
from mplint.findings import Finding, Level, Related, Span
from mplint.registry import Rule, builtin_rules
from mplint.report import FINGERPRINT_KEY, fingerprints
from mplint.report.sarif import artifact_location, full_description, linked_message, render
from tests.conftest import FIXTURES, ROOT, fixture_stacks
from tests.test_fixtures import lint_fixture

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
STACKS = fixture_stacks()
IDS = [s.relative_to(FIXTURES).as_posix() for s in STACKS]
PRECISIONS = {"very-high", "high", "medium", "low"}


@cache
def validator() -> Draft4Validator:
    return Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")), format_checker=FormatChecker())


def lint_stack(stack: Path, base: Path = ROOT) -> Outcome:
    """A fixture with the options of its fixture.yaml (policies, engine, ...), as test_fixtures lints it."""
    if base == ROOT and stack.is_relative_to(FIXTURES):
        return lint_fixture(stack)
    return lint_paths(LintOptions(paths=[stack], base=base))


@cache
def fixture_outcome(stack: Path) -> Outcome:
    """A fixture's lint, once per test session (reporters never change an outcome)."""
    return lint_stack(stack)


@cache
def fixture_sarif(stack: Path, category: str | None = None) -> dict:
    return json.loads(fixture_outcome(stack).render("sarif", {"category": category}))


def schema_errors(log: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(log)]


@pytest.mark.parametrize("category", [None, "mplint/stacks"])
@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_fixture_sarif_passes_the_schema(stack: Path, category: str | None) -> None:
    assert schema_errors(fixture_sarif(stack, category)) == []


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_fixture_json_and_github_formats_render(stack: Path) -> None:
    outcome = lint_stack(stack)
    doc = json.loads(outcome.render("json", {}))
    assert len(doc["findings"]) == len(outcome.result.findings)
    lines = outcome.render("github", {}).splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines[:-1])
    annotations = len(outcome.result.findings) + len(outcome.result.notifications)
    assert len(lines) - 1 == annotations or (len(lines) - 1 < annotations and "more::" in lines[-2])


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_json_fingerprints_are_unique_and_the_sarif_ones(stack: Path) -> None:
    outcome = fixture_outcome(stack)
    prints = [f["fingerprint"] for f in json.loads(outcome.render("json", {}))["findings"]]
    assert len(set(prints)) == len(prints)
    (run,) = fixture_sarif(stack)["runs"]
    assert prints == [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]


def _check_rule(rule: dict) -> None:
    assert rule["shortDescription"]["text"] and rule["name"]
    assert 0 < len(rule["fullDescription"]["text"]) <= 1024
    assert rule["help"]["text"] and rule["help"]["markdown"]
    assert rule["helpUri"].startswith("https://")
    assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    props = rule["properties"]
    assert len(props["tags"]) <= 20 and props["precision"] in PRECISIONS
    if rule["id"].startswith(("MPL3", "MPL4")):
        assert "security" in props["tags"]
    if "security-severity" in props:
        assert isinstance(props["security-severity"], str) and 0.1 <= float(props["security-severity"]) <= 10.0


def _check_location(loc: dict) -> None:
    artifact = loc["physicalLocation"]["artifactLocation"]
    assert artifact["uriBaseId"] == "%SRCROOT%"
    uri = artifact["uri"]
    assert not uri.startswith("/") and "\\" not in uri and ":" not in uri, uri
    r = loc["physicalLocation"]["region"]
    assert min(r["startLine"], r["startColumn"], r["endLine"], r["endColumn"]) >= 1
    assert (r["endLine"], r["endColumn"]) >= (r["startLine"], r["startColumn"])


def _check_result(result: dict, rules: list[dict]) -> None:
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert result["level"] in ("error", "warning", "note")
    text = result["message"]["text"]
    assert "\n" not in text and text.endswith((".", "?", "!")) and not re.search(r"\.\s+[A-Z][a-z]", text), text
    assert len(result["locations"]) == 1
    _check_location(result["locations"][0])
    for related in result.get("relatedLocations", []):
        _check_location(related)
        assert related["message"]["text"]


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_fixture_sarif_has_what_github_reads(stack: Path) -> None:
    log = fixture_sarif(stack)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mplint" and driver["version"] and driver["semanticVersion"] and driver["informationUri"]
    assert [r["id"] for r in driver["rules"]] == sorted(builtin_rules())
    for rule in driver["rules"]:
        _check_rule(rule)
    assert run["columnKind"] == "utf16CodeUnits" and "%SRCROOT%" in run["originalUriBaseIds"]
    assert "automationDetails" not in run
    for result in run["results"]:
        _check_result(result, driver["rules"])
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert len(set(prints)) == len(prints)


def test_clean_run_writes_an_empty_results_list() -> None:
    (run,) = fixture_sarif(FIXTURES / "valid" / "model-package-stack")["runs"]
    assert run["results"] == []


def test_category_writes_automation_details_only_when_asked() -> None:
    (run,) = fixture_sarif(FIXTURES / "seed", "mplint/seed")["runs"]
    assert run["automationDetails"] == {"id": "mplint/seed/"}  # as upload-sarif writes its category input
    (run,) = fixture_sarif(FIXTURES / "seed", "mplint/seed/")["runs"]
    assert run["automationDetails"] == {"id": "mplint/seed/"}


def test_driver_has_a_full_name_and_every_rule_a_problem_severity() -> None:
    (run,) = fixture_sarif(FIXTURES / "seed")["runs"]
    driver = run["tool"]["driver"]
    assert driver["fullName"].startswith(f"mplint {driver['version']}")
    severities = {r["id"]: r["properties"]["problem.severity"] for r in driver["rules"]}
    expected = {"error": "error", "warning": "warning", "note": "recommendation"}
    assert severities == {r["id"]: expected[r["defaultConfiguration"]["level"]] for r in driver["rules"]}


def test_sarif_is_deterministic() -> None:
    outcome = lint_stack(FIXTURES / "seed")
    assert outcome.render("sarif", {}) == outcome.render("sarif", {})


def _fingerprints(folder: Path) -> dict[str, tuple[str, int]]:
    outcome = lint_stack(folder, base=folder.parent)
    (run,) = json.loads(outcome.render("sarif", {}))["runs"]
    return {r["partialFingerprints"][FINGERPRINT_KEY]: _where(r) for r in run["results"]}


def _where(result: dict) -> tuple[str, int]:
    location = result["locations"][0]["physicalLocation"]
    return location["artifactLocation"]["uri"], location["region"]["startLine"]


def test_fingerprints_survive_lines_inserted_above(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(FIXTURES / "seed", stack)
    before = _fingerprints(stack)
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text("# a comment\n\n# and another\n" + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    after = _fingerprints(stack)
    assert len(before) > 10
    assert set(after) == set(before)
    shift = {"stack/stackql_manifest.yml": 3}
    assert all(after[key] == (uri, line + shift.get(uri, 0)) for key, (uri, line) in before.items())


def test_repeated_findings_get_distinct_fingerprints() -> None:
    span = Span("a.yml", 3, 5, 3, 9)
    same = Finding("MPL106", "`{{ x }}`: no scope defines `x`", span)
    other_col = Finding("MPL106", "`{{ x }}`: no scope defines `x`", Span("a.yml", 3, 12, 3, 16))
    prints = fingerprints([same, other_col], {})
    assert prints[1] == prints[0] + ":2"


def test_fingerprint_ignores_positions_quoted_in_messages() -> None:
    a = Finding("MPL104", "`x` is also the name of the resource at line 4", Span("m.yml", 9, 3, 9, 4))
    b = Finding("MPL104", "`x` is also the name of the resource at line 7", Span("m.yml", 12, 3, 12, 4))
    assert fingerprints([a], {}) == fingerprints([b], {})


def test_columns_are_utf16_code_units(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(FIXTURES / "valid" / "model-package-stack", stack)
    manifest = stack / "stackql_manifest.yml"
    line = '        value: "\U0001f600 ünïcode {{ not_defined_anywhere }}"'
    text = manifest.read_text(encoding="utf-8").replace("        value: churn-models", line)
    manifest.write_text(text, encoding="utf-8")
    (run,) = json.loads(lint_stack(stack, base=tmp_path).render("sarif", {}))["runs"]
    (result,) = [r for r in run["results"] if "not_defined_anywhere" in r["message"]["text"]]
    region = result["locations"][0]["physicalLocation"]["region"]
    prefix = line.encode("utf-16-le")[: (region["startColumn"] - 1) * 2].decode("utf-16-le")
    assert line[len(prefix) :].startswith(("{{", "not_defined_anywhere"))
    assert region["startColumn"] == len(prefix) + 2  # the emoji is two UTF-16 code units


def _rule(rule_id: str, **kw: object) -> Rule:
    fields: dict = {"id": rule_id, "name": "x-y", "level": Level.ERROR, "summary": "A thing.", "help": "Help."} | kw
    return Rule(**fields)


def _sarif_rule(rule: Rule) -> dict:
    log = json.loads(render(Result(rules={rule.id: rule}), {}, {}))
    return log["runs"][0]["tool"]["driver"]["rules"][0]


@pytest.mark.parametrize(
    ("rule", "severity"),
    [
        (_rule("MPL301", security_severity="8.1", tags=("permissions",)), "8.1"),
        (_rule("MPL401", security_severity="9"), "9.0"),
        (_rule("MPL302", level=Level.WARNING), "5.0"),  # no severity given: by level
        (_rule("MPL303", security_severity="high"), "7.5"),  # not a number: by level
        (_rule("MPL901", tags=("security",), level=Level.NOTE), "2.0"),
    ],
)
def test_security_rules_have_security_tag_and_severity(rule: Rule, severity: str) -> None:
    props = _sarif_rule(rule)["properties"]
    assert props["security-severity"] == severity and "security" in props["tags"]


def test_other_rules_have_no_security_severity() -> None:
    props = _sarif_rule(_rule("MPL201", tags=("schema",)))["properties"]
    assert "security-severity" not in props and props["tags"] == ["schema"]


def test_builtin_security_rules_declare_their_severity() -> None:
    for rule in builtin_rules().values():
        if rule.id.startswith(("MPL3", "MPL4")):
            assert rule.security_severity is not None, f"{rule.id} needs security_severity (0.1-10.0)"
            assert 0.1 <= float(rule.security_severity) <= 10.0, rule.id


def test_long_help_and_many_tags_are_cut_to_github_limits() -> None:
    rule = _rule("MPL299", help="word " * 400, tags=tuple(f"t{i}" for i in range(30)), precision="sometimes")
    sarif = _sarif_rule(rule)
    assert len(sarif["fullDescription"]["text"]) <= 1024 and sarif["fullDescription"]["text"].endswith("…")
    assert len(sarif["properties"]["tags"]) == 20 and sarif["properties"]["precision"] == "high"
    assert full_description(_rule("MPL298", help="First paragraph\nwrapped.\n\nSecond.")) == "First paragraph wrapped."


def test_help_uri_points_at_the_generated_rule_page() -> None:
    log = fixture_sarif(FIXTURES / "valid" / "model-package-stack")
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["helpUri"].endswith(f"/blob/main/docs/rules/{rule['id']}.md")
        assert (ROOT / "docs" / "rules" / f"{rule['id']}.md").is_file()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("stacks/a b/stackql_manifest.yml", {"uri": "stacks/a%20b/stackql_manifest.yml", "uriBaseId": "%SRCROOT%"}),
        ("stacks\\win\\m.yml", {"uri": "stacks/win/m.yml", "uriBaseId": "%SRCROOT%"}),
        ("/abs/m.yml", {"uri": "file:///abs/m.yml"}),
        ("C:/work/m.yml", {"uri": "file:///C:/work/m.yml"}),
    ],
)
def test_artifact_locations(path: str, expected: dict) -> None:
    assert artifact_location(path) == expected


def test_messages_are_sentences_and_related_locations_have_ids() -> None:
    span = Span("m.yml", 2, 1, 2, 5)
    finding = Finding("MPL003", "key `a` twice\n  in a mapping", span, Level.WARNING, (Related(span, "first here"),))
    log = json.loads(render(Result(findings=[finding], rules={"MPL003": builtin_rules()["MPL003"]}), {}, {}))
    (result,) = log["runs"][0]["results"]
    assert result["message"]["text"] == "key `a` twice in a mapping (see [first here](1))."
    (related,) = result["relatedLocations"]
    assert related["id"] == 1 and related["message"]["text"] == "first here."
    assert schema_errors(log) == []


def test_message_text_has_no_markdown_escapes() -> None:
    span = Span("m.yml", 2, 1, 2, 5)
    linked = Finding("MPL003", "`a[0]` twice", span, Level.WARNING, (Related(span, "first [here]"),))
    plain = Finding("MPL003", "`a[0]` twice", span, Level.WARNING)
    assert linked_message(linked) == "`a[0]` twice (see [first (here)](1))."
    assert linked_message(plain) == "`a[0]` twice."
    looks_linked = Finding("MPL003", "`[a](b)` twice", span, Level.WARNING, (Related(span, "first here"),))
    assert linked_message(looks_linked) == "`[a](b)` twice."  # no link that a reader could not tell from it


@pytest.mark.parametrize("stack", STACKS, ids=IDS)
def test_fixture_sarif_messages_have_no_backslash_escapes(stack: Path) -> None:
    (run,) = fixture_sarif(stack)["runs"]
    for result in run["results"]:
        assert "\\[" not in result["message"]["text"] and "\\]" not in result["message"]["text"]
