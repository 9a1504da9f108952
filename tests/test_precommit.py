"""The pre-commit hooks, run with `pre-commit run` on temporary repositories.

The hook repository is a copy of the working tree committed to a temporary git repository, so the test does not
depend on what has been committed here. Every target repository uses it by path and commit with one shared
PRE_COMMIT_HOME, so the hook's virtualenv is built once (about 20 s, from the package index) and each run after
that takes about a second. Skipped when pre-commit is not installed, except in CI, where the `test` extra
installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from identify import identify

from tests.conftest import FIXTURES, ROOT, shared_path

HOOK_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "mplint", "rules", "fixtures")
VALID = FIXTURES / "valid" / "model-package-stack"
KMS = FIXTURES / "permissions" / "kms-grant-missing"


def hooks() -> dict[str, dict]:
    return {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


def selects(hook: dict, path: str) -> bool:
    """Whether pre-commit would pass ``path`` to the hook: `files` matches and a type of `types_or` applies."""
    if not re.search(hook["files"], path):
        return False
    return bool(set(hook["types_or"]) & identify.tags_from_filename(path)) or "text" in hook["types_or"]


def test_hook_metadata() -> None:
    found = hooks()
    assert set(found) == {"mplint", "mplint-all"}
    assert found["mplint"]["entry"] == "mplint lint --changed" and found["mplint"].get("pass_filenames", True)
    assert found["mplint-all"]["entry"] == "mplint lint" and found["mplint-all"]["pass_filenames"] is False
    for hook in found.values():
        assert hook["language"] == "python" and {"yaml", "json"} <= set(hook["types_or"])


@pytest.mark.parametrize(
    "path",
    [
        "stackql_manifest.yml",
        "stacks/a/stackql_manifest.yaml",
        "stacks/a/resources/vpc.iql",
        "stacks/a/resources/network/subnets/private.iql",
        "iam/policies/deploy.json",
        "deploy-policy.json",
        "iam/deploy.json",  # a policy the config names: `--changed` decides
        ".mplint.yaml",
        "pyproject.toml",
    ],
)
def test_hook_is_given_every_file_it_may_need(path: str) -> None:
    assert selects(hooks()["mplint"], path)


def test_hook_sees_every_query_file_of_the_corpus_at_any_depth() -> None:
    corpus = shared_path("corpus", "stackql-deploy")
    queries = [p.relative_to(corpus).as_posix() for p in corpus.rglob("*.iql")]
    assert len(queries) > 200
    assert [q for q in queries if not selects(hooks()["mplint"], q)] == []


def test_hook_is_not_given_other_files() -> None:
    for path in ("README.md", "main.py", "docs/notes.iql.md", "Makefile"):
        assert not selects(hooks()["mplint"], path), path


# --- the hooks, run ----------------------------------------------------------------------------------


def _pre_commit() -> str:
    path = shutil.which("pre-commit")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit is not installed: pip install -e '.[test]'")
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return path


def _git(cwd: Path, *args: str) -> str:
    ident = ["-c", "user.name=mplint tests", "-c", "user.email=tests@mplint.invalid", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", *ident, *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
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
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _target(root: Path, hook_repo: tuple[Path, str], hook: str, *stacks: tuple[Path, str]) -> Path:
    """A repository with stacks, a workflow file the hook must leave alone, and a config using the hook."""
    for source, name in stacks:
        shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("fixture.yaml"))
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    repo, rev = hook_repo
    config = {"repos": [{"repo": str(repo), "rev": rev, "hooks": [{"id": hook}]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    return root


def run_hooks(root: Path, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PRE_COMMIT_COLOR": "never", "PRE_COMMIT_HOME": str(store)}
    cmd = [_pre_commit(), "run", *args]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)


def test_hook_fails_on_a_bad_stack_and_passes_on_a_good_one(hook_repo, store, tmp_path: Path) -> None:
    bad = _target(tmp_path / "bad", hook_repo, "mplint", (FIXTURES / "core" / "templates", "stack"))
    done = run_hooks(bad, store, "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MPL106" in done.stdout and "stack/stackql_manifest.yml" in done.stdout and "ci.yml" not in done.stdout
    good = _target(tmp_path / "good", hook_repo, "mplint", (VALID, "stack"))
    done = run_hooks(good, store, "--all-files")
    assert done.returncode == 0 and "Passed" in done.stdout, done.stdout + done.stderr


def test_a_nested_query_file_alone_lints_its_stack(hook_repo, store, tmp_path: Path) -> None:
    root = _target(tmp_path / "nested", hook_repo, "mplint", (FIXTURES / "core" / "templates", "stacks/app"))
    query = root / "stacks" / "app" / "resources" / "network" / "private.iql"
    query.parent.mkdir(parents=True)
    query.write_text("/*+ exists */\nSELECT 1;\n", encoding="utf-8")
    _git(root, "add", "-A")
    done = run_hooks(root, store, "--files", "stacks/app/resources/network/private.iql")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "(no files to check)" not in done.stdout and "stacks/app/stackql_manifest.yml" in done.stdout


def test_a_commit_editing_only_the_deploy_policy_lints_the_stack_it_breaks(hook_repo, store, tmp_path: Path) -> None:
    root = _target(tmp_path / "policy", hook_repo, "mplint", (KMS, "stacks/churn"))
    shutil.move(root / "stacks" / "churn" / "deploy-policy.json", root / "iam-deploy.json")
    (root / ".mplint.yaml").write_text("policies: [iam-deploy.json]\n", encoding="utf-8")
    _git(root, "add", "-A")
    done = run_hooks(root, store, "--files", "iam-deploy.json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MPL306" in done.stdout and "stacks/churn/stackql_manifest.yml" in done.stdout


def test_mplint_all_lints_the_whole_repository(hook_repo, store, tmp_path: Path) -> None:
    root = _target(
        tmp_path / "all",
        hook_repo,
        "mplint-all",
        (VALID, "stacks/good"),
        (FIXTURES / "core" / "templates", "stacks/bad"),
    )
    done = run_hooks(root, store, "--files", "stacks/good/stackql_manifest.yml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stacks/bad/stackql_manifest.yml" in done.stdout
