"""The pre-commit hook, run with `pre-commit try-repo` on temporary repositories.

The hook repository is a copy of the working tree committed to a temporary git repository, so the
test does not depend on what has been committed here. Each try-repo builds the hook's virtualenv
from PyPI in a store of its own (about 20 s), so the bad and the good repository run side by side.
Skipped when pre-commit is not installed, except in CI, where the `test` extra installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT

HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "mplint", "rules")
VALID = FIXTURES / "valid" / "model-package-stack"


def _pre_commit() -> str:
    path = shutil.which("pre-commit")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit is not installed: pip install -e '.[test]'")
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return path


def _git(cwd: Path, *args: str) -> None:
    ident = ["-c", "user.name=mplint tests", "-c", "user.email=tests@mplint.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *ident, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("hook")
    for name in HOOK_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hook")
    return repo


def _target(root: Path, stack: Path) -> Path:
    """A repository with one stack and a workflow file that the hook must leave alone."""
    shutil.copytree(stack, root / "stack")
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    return root


@pytest.fixture(scope="module")
def runs(hook_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """`pre-commit try-repo` on a bad and a good repository, side by side: each builds the hook's virtualenv anew."""
    targets = {
        "bad": _target(tmp_path_factory.mktemp("bad"), FIXTURES / "core" / "templates"),
        "good": _target(tmp_path_factory.mktemp("good"), VALID),
    }
    env = os.environ | {"PRE_COMMIT_COLOR": "never"}
    cmd = [_pre_commit(), "try-repo", str(hook_repo), "mplint", "--all-files"]
    procs = {
        name: subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, root in targets.items()
    }
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        out[name] = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    return out


def test_hook_metadata() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "mplint" and hook["language"] == "python" and hook["entry"] == "mplint lint"
    assert {"yaml", "json"} <= set(hook["types_or"])
    pattern = re.compile(hook["files"])
    for path in (
        "stackql_manifest.yml",
        "stacks/a/stackql_manifest.yaml",
        "stacks/a/resources/vpc.iql",
        "iam/policies/deploy.json",
        "deploy-policy.json",
    ):
        assert pattern.search(path), path
    for path in (".github/workflows/ci.yml", "package.json", "docs/notes.iql.md", ".pre-commit-config.yaml"):
        assert not pattern.search(path), path


def test_hook_fails_on_a_bad_stack(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = runs["bad"]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MPL106" in done.stdout and "stack/stackql_manifest.yml" in done.stdout
    assert "ci.yml" not in done.stdout


def test_hook_passes_on_a_good_stack(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = runs["good"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mplint" in done.stdout and "Passed" in done.stdout
