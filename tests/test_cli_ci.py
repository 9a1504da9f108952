"""The command line in CI: the job summary, exit-2 errors as annotations, the CI formats and options, and
`--changed` (what the pre-commit hook runs) turning changed files into what to lint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from mplint.precommit import changed_paths
from tests.conftest import FIXTURES, ROOT

runner = CliRunner()
GITHUB = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "cafe01"}


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)


def test_job_summary_is_written_when_github_asks_for_one(in_root: None, tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    env = {**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)}
    result = runner.invoke(app, ["lint", "-f", "sarif", "-o", str(tmp_path / "x.sarif"), "fixtures/seed"], env=env)
    assert result.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## mplint: :x: 94 errors")
    assert "(https://github.com/acme/infra/blob/cafe01/fixtures/seed/stackql_manifest.yml#L" in text
    runner.invoke(app, ["lint", "fixtures/valid"], env=env)  # a second step appends, as GitHub expects
    assert summary.read_text(encoding="utf-8").startswith(text) and "no findings" in summary.read_text()


def test_summary_option_and_no_summary_otherwise(in_root: None, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    runner.invoke(app, ["lint", "--summary", str(target), "fixtures/valid"])
    assert target.read_text(encoding="utf-8").startswith("## mplint: :white_check_mark: no findings")
    assert "`fixtures/valid/model-package-stack`" in target.read_text()
    result = runner.invoke(app, ["lint", "fixtures/valid"])
    assert result.exit_code == 0 and list(tmp_path.iterdir()) == [target]


def _mplint(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    cmd = [sys.executable, "-m", "mplint", *args]
    return subprocess.run(cmd, cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "--fail-level", "sometimes", "fixtures/seed"], "Invalid value for '--fail-level'"),
        (["lint", "--config", "no-such.yaml", "fixtures/seed"], "no-such.yaml: cannot read configuration"),
    ],
)
def test_exit_2_errors_are_annotations_in_github_actions(args: list[str], message: str) -> None:
    done = _mplint(*args, GITHUB_ACTIONS="true")
    assert done.returncode == 2
    (annotation,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert annotation.startswith("::error title=mplint::") and message in annotation
    assert message in done.stderr  # the usual message stays on stderr
    outside = _mplint(*args)
    assert outside.returncode == 2 and "::error" not in outside.stdout


@pytest.mark.parametrize("fmt", ["gitlab", "junit", "rdjson"])
def test_cli_formats(in_root: None, fmt: str) -> None:
    result = runner.invoke(app, ["lint", "-f", fmt, "fixtures/seed"])
    assert result.exit_code == 1
    if fmt == "junit":
        assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mplint"')
    else:
        doc = json.loads(result.stdout)
        assert (
            len(doc if fmt == "gitlab" else doc["diagnostics"]) == 98
        )  # every finding of the seed, its MPL160 note included


def test_cli_sarif_suppressed_include(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(FIXTURES / "core" / "read-only", stack)
    query = next((stack / "resources").glob("*.iql"))
    query.write_text(query.read_text().replace("'yes', -- expect: MPL202", "'yes', -- mplint: disable=MPL202"))
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)

    def results(*extra: str) -> list[dict]:
        out = runner.invoke(app, ["lint", "-f", "sarif", *extra, "stack"]).stdout
        return json.loads(out)["runs"][0]["results"]

    omitted, included = results(), results("--sarif-suppressed", "include")
    suppressed = [r for r in included if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["MPL202"] and len(included) == len(omitted) + 1
    assert results("--sarif-suppressed", "omit") == omitted


# --- --changed -------------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two stacks, a nested query file, a default and a named identity, and files the hook must leave alone."""
    shutil.copytree(FIXTURES / "valid" / "model-package-stack", tmp_path / "stacks" / "churn")
    shutil.copytree(FIXTURES / "valid" / "model-package-stack", tmp_path / "stacks" / "registry")
    nested = tmp_path / "stacks" / "churn" / "resources" / "sagemaker" / "extra.iql"
    nested.parent.mkdir()
    nested.write_text("/*+ exists */\nSELECT 1;\n", encoding="utf-8")
    shutil.copy(FIXTURES / "permissions" / "kms-grant-missing" / "deploy-policy.json", tmp_path / "deploy.json")
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "registry.json").write_text('{"Version": "2012-10-17", "Statement": []}', encoding="utf-8")
    (tmp_path / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (tmp_path / ".mplint.yaml").write_text(
        "policies: [deploy.json]\nidentities:\n  registry: {policies: [iam/registry.json]}\n", encoding="utf-8"
    )
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _changed(repo: Path, *names: str, config: str | None = None) -> list[str]:
    if config is not None:
        (repo / ".mplint.yaml").write_text(config, encoding="utf-8")
    return [p.relative_to(repo).as_posix() for p in changed_paths([repo / n for n in names], repo)]


def test_changed_keeps_manifests_and_query_files_at_any_depth(repo: Path) -> None:
    nested = "stacks/churn/resources/sagemaker/extra.iql"
    assert _changed(repo, nested, "package.json", "stacks/registry/stackql_manifest.yml") == [
        nested,
        "stacks/registry/stackql_manifest.yml",
    ]


def test_changed_default_identity_policy_relints_every_stack(repo: Path) -> None:
    assert _changed(repo, "deploy.json") == [
        "stacks/churn/stackql_manifest.yml",
        "stacks/registry/stackql_manifest.yml",
    ]


def test_changed_named_identity_policy_relints_only_the_stacks_it_deploys(repo: Path) -> None:
    config = (
        "policies: [deploy.json]\nidentities:\n  registry: {policies: [iam/registry.json]}\n"
        "resource-identities: {churn_model_package: registry}\n"
    )
    assert _changed(repo, "iam/registry.json", config=config) == [
        "stacks/churn/stackql_manifest.yml",
        "stacks/registry/stackql_manifest.yml",
    ]
    (repo / "stacks" / "registry" / "stackql_manifest.yml").write_text(
        (repo / "stacks" / "registry" / "stackql_manifest.yml").read_text().replace("churn_model_package", "other")
    )
    assert _changed(repo, "iam/registry.json") == ["stacks/churn/stackql_manifest.yml"]
    unmapped = "policies: [deploy.json]\nidentities:\n  registry: {policies: [iam/registry.json]}\n"
    assert _changed(repo, "iam/registry.json", config=unmapped) == []


def test_changed_configuration_relints_every_stack_and_unknown_files_are_left_out(repo: Path) -> None:
    assert len(_changed(repo, ".mplint.yaml")) == 2
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    (repo / "k8s").mkdir()
    (repo / "k8s" / "kustomization.yaml").write_text("resources:\n  - deploy.yaml\n", encoding="utf-8")
    (repo / "cfn.json").write_text('{"Resources": {"P": {"Properties": {"Statement": []}}}}', encoding="utf-8")
    assert _changed(repo, ".github/workflows/ci.yml", "k8s/kustomization.yaml", "cfn.json", "package.json") == []


def test_changed_policy_known_by_name_is_linted_itself(repo: Path) -> None:
    (repo / "policies").mkdir()
    (repo / "policies" / "ops.json").write_text('{"Version": "2012-10-17", "Statement": []}', encoding="utf-8")
    assert _changed(repo, "policies/ops.json") == ["policies/ops.json"]


def test_a_commit_that_only_edits_the_deploy_policy_fails_on_the_stack_it_breaks(repo: Path) -> None:
    shutil.rmtree(repo / "stacks")
    shutil.copytree(FIXTURES / "permissions" / "kms-grant-missing", repo / "stacks" / "churn")
    (repo / "stacks" / "churn" / "fixture.yaml").unlink()
    result = runner.invoke(app, ["lint", "--changed", "deploy.json"])
    assert result.exit_code == 1 and "MPL306" in result.stdout
    assert "stacks/churn/stackql_manifest.yml" in result.stdout
    quiet = runner.invoke(app, ["lint", "--changed", "package.json"])
    assert quiet.exit_code == 0 and "no stack" in quiet.stdout


AZURE = {
    "TF_BUILD": "True",
    "SYSTEM_COLLECTIONURI": "https://dev.azure.com/contoso/",
    "SYSTEM_TEAMPROJECTID": "11111111-1111-1111-1111-111111111111",
    "SYSTEM_DEFINITIONID": "42",
    "BUILD_DEFINITIONNAME": "infra",
    "BUILD_BUILDID": "1001",
    "SYSTEM_JOBID": "22222222-2222-2222-2222-222222222222",
    "SYSTEM_PHASENAME": "lint",
    "BUILD_SOURCEBRANCH": "refs/heads/main",
}


def test_in_an_azure_pipeline_sarif_names_the_build_as_azure_devops_wants(in_root: None) -> None:
    result = runner.invoke(app, ["lint", "-f", "sarif", "fixtures/valid"], env=AZURE)
    (run,) = json.loads(result.stdout)["runs"]
    prefix = "azuredevops/pipeline/build/"
    assert run["automationDetails"] == {
        "id": f"{prefix}contoso/{AZURE['SYSTEM_TEAMPROJECTID']}/42/{AZURE['SYSTEM_JOBID']}/refs/heads/main/1001",
        "properties": {
            f"{prefix}buildDefinitionId": "42",
            f"{prefix}buildDefinitionName": "infra",
            f"{prefix}phaseId": AZURE["SYSTEM_JOBID"],
            f"{prefix}phaseName": "lint",
        },
    }
    from tests.test_sarif import schema_errors

    assert schema_errors(json.loads(result.stdout)) == []


@pytest.mark.parametrize("missing", ["TF_BUILD", "SYSTEM_TEAMPROJECTID", "BUILD_BUILDID"])
def test_outside_a_complete_azure_pipeline_nothing_is_claimed(in_root: None, missing: str) -> None:
    env = {k: v for k, v in AZURE.items() if k != missing} | {missing: ""}
    (run,) = json.loads(runner.invoke(app, ["lint", "-f", "sarif", "fixtures/valid"], env=env).stdout)["runs"]
    assert "automationDetails" not in run


def test_changed_policy_of_one_stacks_own_configuration_relints_that_stack(repo: Path) -> None:
    (repo / "stacks" / "registry" / ".mplint.yaml").write_text("policies: [registry-deploy.json]\n")
    (repo / "stacks" / "registry" / "registry-deploy.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    assert _changed(repo, "stacks/registry/registry-deploy.json") == ["stacks/registry/stackql_manifest.yml"]
    assert _changed(repo, "deploy.json") == ["stacks/churn/stackql_manifest.yml"]  # registry has its own identity
    assert _changed(repo, "stacks/registry/.mplint.yaml") == ["stacks/registry/stackql_manifest.yml"]


def test_changed_policy_given_with_the_policy_option(repo: Path) -> None:
    (repo / ".mplint.yaml").write_text("{}\n")
    other = repo / "ops.json"
    other.write_text('{"Version": "2012-10-17", "Statement": []}')
    assert changed_paths([other], repo) == []
    assert len(changed_paths([other], repo, policies=(other,))) == 2
