"""`mplint rules test`: every rule against the fixtures that mark where it must report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from mplint.ruletest import display, expected_findings
from tests.conftest import FIXTURES, ROOT

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def rules_test(*args: str):
    return runner.invoke(app, ["rules", "test", *args])


def test_the_built_in_rules_pass_their_fixtures() -> None:
    result = rules_test()
    assert result.exit_code == 0, result.stdout
    assert "FAIL" not in result.stdout and "ERROR" not in result.stdout
    assert "pass  MPL207 read-only-property" in result.stdout
    assert "MPL901" not in result.stdout  # fixtures that load user rules test those, not the built-in ones
    assert result.stdout.splitlines()[-1].startswith("passed: ")


def test_a_broken_expectation_fails_naming_the_rule_and_the_fixture(tmp_path: Path) -> None:
    fixture = tmp_path / "fixtures" / "read-only"
    shutil.copytree(FIXTURES / "core" / "read-only", fixture)
    manifest = fixture / "stackql_manifest.yml"
    text = manifest.read_text(encoding="utf-8").replace("created_at  # expect: MPL207", "created_at")
    manifest.write_text(text.replace("value: churn-models", "value: churn-models  # expect: MPL207"), encoding="utf-8")
    result = rules_test("--fixtures", str(tmp_path / "fixtures"))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    name, path = display(fixture, ROOT), display(manifest, ROOT)
    at = lines.index("FAIL  MPL207 read-only-property")
    assert lines[at + 1 : at + 3] == [
        f"      {name}: expected at {path}:15, not reported",
        f"      {name}: unexpected at {path}:18: `CreationTime` is read-only in AWS::SageMaker::ModelPackage: "
        "it is set by AWS and cannot be written",
    ]
    assert "pass  MPL208 write-only-property (1 fixture)" in lines
    assert lines[-1].startswith("FAILED: ") and lines[-1].endswith(" rules tested, 1 failing")


def test_the_example_user_rules_pass_their_fixtures() -> None:
    result = rules_test("examples/rules", "--fixtures", "fixtures/user-rules")
    assert result.exit_code == 0, result.stdout
    assert [line.split(" (")[0] for line in result.stdout.splitlines()] == [
        "pass  MPL901 model-package-kms-key",
        "pass  MPL902 no-approval-in-dev",
        "pass  MPL903 deploy-role-no-iam-admin",
        "passed: 3 of 3 rules tested, 0 failing",
    ]


def test_a_user_rule_folder_ships_its_fixtures(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "examples" / "rules", rules)
    fixture = rules / "fixtures" / "kms-key"
    shutil.copytree(FIXTURES / "user-rules" / "kms-key", fixture)
    (fixture / "fixture.yaml").write_text("{}\n", encoding="utf-8")  # the folder under test is loaded anyway
    assert rules_test(str(rules)).exit_code == 0
    manifest = fixture / "stackql_manifest.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("  # expect: MPL901", ""), encoding="utf-8")
    result = rules_test(str(rules))
    assert result.exit_code == 1
    assert "FAIL  MPL901 model-package-kms-key" in result.stdout
    assert f"{display(fixture, ROOT)}: unexpected at {display(manifest, ROOT)}:33:" in result.stdout
    assert "----  MPL902 no-approval-in-dev (no fixture)" in result.stdout


def test_a_fixture_that_cannot_be_linted_is_an_error(tmp_path: Path) -> None:
    fixture = tmp_path / "valid"
    shutil.copytree(FIXTURES / "valid" / "model-package-stack", fixture)
    (fixture / "fixture.yaml").write_text("stage: dev\n", encoding="utf-8")
    result = rules_test("--fixtures", str(tmp_path))
    assert result.exit_code == 1 and "unknown option(s) ['stage']" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert rules_test(str(tmp_path / "nope")).exit_code == 2
    assert "no fixtures folder" in rules_test(str(tmp_path)).stderr


def test_expectations_are_read_as_the_tests_read_them() -> None:
    stack = FIXTURES / "core" / "read-only"
    assert ("fixtures/core/read-only/stackql_manifest.yml", 18, "MPL207") in expected_findings(stack, ROOT)
    assert ("fixtures/core/read-only/resources/churn_model_package.iql", 21, "MPL202") in expected_findings(stack, ROOT)
