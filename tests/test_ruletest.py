"""`mplint rules test`: every rule against the fixtures that mark where it must report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from mplint.ruletest import display, expected_findings
from tests.conftest import FIXTURES, ROOT, tomllib

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


# -- in an installed wheel ------------------------------------------------------------------------------


def _packaged(tmp_path: Path, with_fixtures: bool = True) -> Path:
    """The wheel's layout (pyproject.toml's force-include): rules/ as mplint/_rules, fixtures/ as
    mplint/_fixtures, inside a site folder of its own, away from this checkout."""
    site = tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "mplint", site / "mplint", ignore=skip)
    shutil.copytree(ROOT / "rules", site / "mplint" / "_rules")
    if with_fixtures:
        shutil.copytree(ROOT / "fixtures", site / "mplint" / "_fixtures")
    return site


def _run_packaged(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "mplint", "rules", "test", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_wheel_ships_the_fixtures_of_the_built_in_rules() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert shipped["rules"] == "mplint/_rules" and shipped["fixtures"] == "mplint/_fixtures"


def test_rules_test_in_an_installed_package_uses_the_shipped_fixtures(tmp_path: Path) -> None:
    project = tmp_path / "project"  # a user's repository, with a configuration that must not reach the fixtures
    site = _packaged(project / ".venv")  # installed in the repository's virtualenv, below that configuration
    (project / ".mplint.yaml").write_text("select: [MPL1]\nfail-level: never\n", encoding="utf-8")
    result = _run_packaged(site, project)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    last = result.stdout.strip().split("\n")[-1]
    assert last.startswith("passed: ") and last.endswith(" rules tested, 0 failing"), last
    tested = int(last.split()[1])
    assert tested == int(rules_test().stdout.strip().split("\n")[-1].split()[1])  # as many as in the checkout
    assert "pass  MPL201 " in result.stdout and "MPL901" not in result.stdout


def test_rules_test_says_in_one_line_what_it_needs_without_fixtures(tmp_path: Path) -> None:
    site = _packaged(tmp_path, with_fixtures=False)
    result = _run_packaged(site, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "mplint: error: this install has no fixtures for the built-in rules: give a folder of them with --fixtures\n"
    )
