"""A green run means "checked and clean": typos in ids, empty paths and configs beside a stack never pass
silently, and every command gives levels, ignores and fail-level the same meaning."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from tests.conftest import FIXTURES, ROOT

runner = CliRunner()
SEED = FIXTURES / "seed"
KMS = FIXTURES / "permissions" / "kms-grant-missing"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str):
    return runner.invoke(app, [*args])


def rules_of(result) -> set[str]:
    return {f["rule"] for f in json.loads(result.stdout)["findings"]}


@pytest.mark.parametrize(("option", "value"), [("--select", "MPL2O7"), ("--ignore", "MPL2O7")])
def test_an_unknown_id_on_the_command_line_is_a_usage_error(option: str, value: str) -> None:
    result = run("lint", str(SEED), option, value)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "did you mean `MPL207`?" in result.stderr


def test_ids_and_prefixes_are_case_insensitive() -> None:
    result = run("lint", str(SEED), "--select", "mpl2", "-f", "json")
    assert result.exit_code == 1
    found = rules_of(result)
    assert found and all(r.startswith("MPL2") for r in found)
    assert rules_of(run("lint", str(SEED), "--select", "mpl207", "-f", "json")) == {"MPL207"}


@pytest.mark.parametrize(
    ("body", "where", "what"),
    [
        ("select: [MLP2]\n", ":1:10:", "did you mean `MPL2`?"),
        ("ignore:\n  - MPL2O7\n", ":2:5:", "did you mean `MPL207`?"),
        ("levels:\n  MPL2O7: note\n", ":2:3:", "did you mean `MPL207`?"),
        ("fail_level: error\n", ":1:1:", "did you mean `fail-level`?"),
        ("account: 1234\n", ":1:10:", "12-digit"),
    ],
)
def test_an_unknown_id_or_key_in_a_config_is_an_error_at_its_place(
    tmp_path: Path, body: str, where: str, what: str
) -> None:
    config = tmp_path / ".mplint.yaml"
    config.write_text(body)
    result = run("lint", str(SEED), "--config", str(config))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f".mplint.yaml{where}" in result.stderr and what in result.stderr


def test_a_level_for_a_prefix_applies_to_its_rules(tmp_path: Path) -> None:
    config = tmp_path / ".mplint.yaml"
    config.write_text("levels:\n  MPL2: note\n  MPL207: warning\n")
    found = json.loads(run("lint", str(SEED), "--config", str(config), "-f", "json").stdout)["findings"]
    levels = {f["rule"]: f["level"] for f in found if f["rule"].startswith("MPL2")}
    assert levels["MPL207"] == "warning"  # the longer prefix wins
    assert {lvl for rule, lvl in levels.items() if rule != "MPL207"} == {"note"}


def _stack(tmp_path: Path, source: Path = SEED) -> Path:
    stack = tmp_path / "stack"
    shutil.copytree(source, stack)
    return stack


def test_an_inline_disable_with_a_reason_suppresses_and_keeps_the_reason(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    manifest = stack / "stackql_manifest.yml"
    lines = manifest.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if "LastModifiedTime" in text)
    lines[line] += "  # mplint: disable=MPL207 kept for the import"
    manifest.write_text("\n".join(lines) + "\n")
    result = run("lint", str(stack), "--select", "MPL207", "-f", "sarif", "--sarif-suppressed", "include")
    results = json.loads(result.stdout)["runs"][0]["results"]
    at = [r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == line + 1]
    assert at and all(r.get("suppressions") for r in at)
    uploaded = json.loads(run("lint", str(stack), "--select", "MPL207", "-f", "sarif").stdout)["runs"][0]["results"]
    assert uploaded == [r for r in results if "suppressions" not in r]  # by default, for upload: left out
    assert at[0]["suppressions"][0]["justification"] == "inline comment: kept for the import"


def test_an_unknown_id_in_an_inline_comment_is_a_warning_there(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text(manifest.read_text().replace("\n", "  # mplint: disable=MPL2O7 typo\n", 1))
    found = json.loads(run("lint", str(stack), "-f", "json").stdout)["findings"]
    typo = [f for f in found if f["rule"] == "MPL008"]
    assert len(typo) == 1 and typo[0]["line"] == 1 and "MPL207" in typo[0]["message"]


@pytest.mark.parametrize("command", [["lint"], ["permissions"], ["permissions", "--generate"]])
def test_nothing_to_lint_is_an_error(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "deploy.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    for folder in (tmp_path / "empty", tmp_path / "policies"):
        folder.mkdir(exist_ok=True)
        result = run(*command, str(folder))
        assert result.exit_code == 2, result.stdout
        assert "nothing to lint" in result.stderr and "stackql_manifest.yml" in result.stderr


def test_a_config_beside_a_stack_applies_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _stack(tmp_path)
    (stack / ".mplint.yaml").write_text("select: [MPL207]\n")
    (tmp_path / ".git").mkdir()  # the repository root: the search for a configuration stops here
    monkeypatch.chdir(tmp_path)
    from_root = rules_of(run("lint", ".", "-f", "json"))
    monkeypatch.chdir(stack)
    from_inside = rules_of(run("lint", ".", "-f", "json"))
    assert from_root == from_inside == {"MPL207"}


def test_permissions_and_lint_agree_on_levels(tmp_path: Path) -> None:
    stack = _stack(tmp_path, KMS)
    policy = str(stack / "deploy-policy.json")
    assert run("lint", str(stack), "--policy", policy, "--select", "MPL3").exit_code == 1
    assert run("permissions", str(stack), "--policy", policy).exit_code == 1
    (stack / ".mplint.yaml").write_text("levels: {MPL306: note}\n")
    assert run("lint", str(stack), "--policy", policy, "--select", "MPL3").exit_code == 0
    assert run("permissions", str(stack), "--policy", policy).exit_code == 0
