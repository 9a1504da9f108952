"""The results cache: a warm run gives the output of a fresh one; any change to what a file's findings depend on
is a miss; damaged, foreign and concurrent entries never give a wrong result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from mplint import batch, cache
from mplint.app import LintOptions, Outcome, lint_paths
from mplint.source import Buffers
from tests.conftest import ROOT
from tests.test_batch import FORMATS, monorepo, named, write


@pytest.fixture(autouse=True)
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test signs with a key of its own, kept under its own temporary folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    cache.signing_key.cache_clear()
    yield
    cache.signing_key.cache_clear()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    return monorepo(root)


def lint(root: Path, **options) -> Outcome:
    return lint_paths(LintOptions(paths=named(root), base=root, jobs=1, **options))


def cached(root: Path) -> Outcome:
    return lint(root, cache=True)


def rendered(outcome: Outcome) -> dict[str, str]:
    return {fmt: outcome.render(fmt, {}) for fmt in FORMATS}


def entries(root: Path) -> list[Path]:
    return sorted((root / cache.FOLDER).glob("*/*.json"))


def no_linting(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a file was linted again")

    monkeypatch.setattr(batch, "lint_chunk", refuse)


def test_a_warm_run_lints_nothing_and_says_the_same(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = rendered(lint(repo))
    assert rendered(cached(repo)) == fresh
    assert len(entries(repo)) > 10
    no_linting(monkeypatch)
    assert rendered(cached(repo)) == fresh


def test_a_finding_quoting_a_lone_surrogate_is_kept_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no configuration: the cache is kept in the working folder
    (tmp_path / ".git").mkdir()
    policy = tmp_path / "p.json"
    policy.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:\\ud800", "Resource": "*"}]}'
    )
    run = lambda: lint_paths(LintOptions(paths=[policy], base=tmp_path, jobs=1, cache=True))  # noqa: E731
    fresh = rendered(run())
    assert '"rule"' in fresh["json"]  # findings about the policy, quoting its action
    assert entries(tmp_path)
    no_linting(monkeypatch)
    assert rendered(run()) == fresh


def test_the_cache_folder_says_it_is_a_cache(repo: Path) -> None:
    cached(repo)
    folder = repo / cache.FOLDER
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_the_cache_goes_where_asked(repo: Path, tmp_path: Path) -> None:
    lint(repo, cache=True, cache_dir=tmp_path / "elsewhere")
    assert not (repo / cache.FOLDER).exists()
    assert list((tmp_path / "elsewhere").glob("*/*.json"))


def _damage(how: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        raw = path.read_bytes()
        if how == "truncated":
            path.write_bytes(raw[: len(raw) // 2])
        elif how == "garbage":
            path.write_bytes(os.urandom(len(raw)))
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "edited":  # a finding taken out, the signature kept
            mac, _, body = raw.partition(b"\n")
            entry = json.loads(body)
            entry["findings"] = []
            path.write_bytes(mac + b"\n" + json.dumps(entry).encode())
        elif how == "foreign":  # well formed and signed, by another key (another user, or checked in)
            mac, _, body = raw.partition(b"\n")
            path.write_bytes(cache.hmac.new(b"k" * 32, body, "sha256").hexdigest().encode() + b"\n" + body)

    return damage


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "edited", "foreign"])
def test_a_damaged_or_foreign_entry_is_a_miss(repo: Path, how: str) -> None:
    fresh = rendered(lint(repo))
    cached(repo)
    for path in entries(repo):
        _damage(how)(path)
    assert rendered(cached(repo)) == fresh
    assert rendered(cached(repo)) == fresh  # the entries were written again, soundly


def _edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        file = root / path
        text = file.read_text(encoding="utf-8")
        assert old in text
        file.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def _append(path: str, text: str) -> Callable[[Path], None]:
    def append(root: Path) -> None:
        file = root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        with file.open("a", encoding="utf-8") as handle:
            handle.write(textwrap.dedent(text))

    return append


def _missing_query_file(root: Path) -> None:
    """The query file of a resource that had none (MPL110) gets written."""
    source = root / "stacks" / "s3" / "resources" / "example_subnet.iql"
    (source.parent / "example_vpc.iql").write_text(source.read_text().replace("subnet", "vpc"))


def _user_rules(root: Path) -> None:
    source = ROOT / "examples" / "rules" / "MPL901.yaml"
    (root / "my-rules").mkdir()
    (root / "my-rules" / source.name).write_text(source.read_text())
    _append(".mplint.yaml", "rules-dirs: [my-rules]\n")(root)


CHANGES = {
    "manifest": _edit("stacks/s0/stackql_manifest.yml", "PendingManualApproval", "Approve"),
    "query file": _edit(
        "stacks/s0/resources/churn_model_package.iql", "'{{ model_approval_status }}'", "'{{ model_approval }}'"
    ),
    "query file written": _missing_query_file,
    "configuration": _append(".mplint.yaml", "ignore: [MPL106]\n"),
    "nested configuration": _edit("team/.mplint.yaml", "MPL208", "MPL202"),
    "suppressions": _append(".mplint-suppressions.yaml", "- {rule: MPL106, path: 'stacks/**', reason: later}\n"),
    "identity policy": _edit("deploy.json", '"ecr:BatchGetImage",', ""),
    "boundary": _edit("boundary.yaml", 'Action: "*"', 'Action: "sagemaker:*"'),
    "policy file": _edit("policies/good.json", '"2012-10-17"', '"2012-10-18"'),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_to_what_findings_depend_on_is_a_miss(repo: Path, change: str) -> None:
    before = rendered(cached(repo))
    CHANGES[change](repo)
    fresh = rendered(lint(repo))
    assert fresh != before, "the change must change the findings, or the test tells nothing"
    assert rendered(cached(repo)) == fresh


def test_user_rules_are_part_of_the_key(repo: Path) -> None:
    before = cache.part_key(LintOptions([repo]), _config(repo), repo, _suppressions(repo), _today())
    _user_rules(repo)
    assert cache.part_key(LintOptions([repo]), _config(repo), repo, _suppressions(repo), _today()) != before


def test_the_date_the_version_and_the_command_line_are_part_of_the_key(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    def key(**options) -> str:
        return cache.part_key(LintOptions([repo], **options), _config(repo), repo, _suppressions(repo), _today())

    today = key()
    assert (
        cache.part_key(
            LintOptions([repo]), _config(repo), repo, _suppressions(repo), _today() + datetime.timedelta(days=1)
        )
        != today
    )
    assert key(select=["MPL2"]) != today and key(envs=("prod",)) != today and key(engine=1) != today
    assert key(jobs=4, fail_level="error") == today  # neither changes a finding
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    cache.code_stamp.cache_clear()
    try:
        assert key() != today
    finally:
        cache.code_stamp.cache_clear()


def test_the_code_stamp_covers_mplints_code_rules_and_data(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    write(folder / "data" / "schemas.meta.json", "{}")
    write(folder / "checks" / "schema.py", "")
    before = cache.stamp([folder])
    os.utime(folder / "data" / "schemas.meta.json", ns=(1, 1))
    assert cache.stamp([folder]) != before
    from mplint.registry import builtin_rules_dir

    covered = [Path(cache.__file__).parent, builtin_rules_dir()]
    assert (Path(cache.__file__).parent / "data").is_dir() and all(p.is_dir() for p in covered)


def test_no_place_for_the_key_means_no_cache(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    cache.signing_key.cache_clear()
    assert rendered(cached(repo)) == rendered(lint(repo))
    assert not entries(repo)


def test_editor_buffers_are_never_cached(repo: Path) -> None:
    manifest = repo / "stacks" / "s0" / "stackql_manifest.yml"
    buffers = Buffers({manifest: manifest.read_text().replace("PendingManualApproval", "Approve")})
    options = LintOptions(paths=named(repo), base=repo, jobs=1, cache=True)
    unsaved = rendered(lint_paths(options, buffers))
    assert not entries(repo)
    assert rendered(cached(repo)) != unsaved


def test_concurrent_runs_share_the_cache_safely(repo: Path) -> None:
    """Four runs at once, cold then warm, over one cache folder: each prints what a run without cache prints."""
    args = [sys.executable, "-m", "mplint", "lint", "--format", "json", "--jobs", "2", *map(str, named(repo))]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run_all(extra: list[str], count: int) -> list[str]:
        procs = [
            subprocess.Popen([*args, *extra], cwd=repo, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return [proc.communicate(timeout=120)[0] for proc in procs]

    [fresh] = run_all(["--no-cache"], 1)
    assert json.loads(fresh)["findings"]
    assert run_all([], 4) == [fresh] * 4
    assert run_all([], 4) == [fresh] * 4
    assert not list((repo / cache.FOLDER).glob("*/*.tmp"))


def _config(root: Path):
    from mplint.config import find_config, load_config

    return load_config(find_config(root), None)


def _suppressions(root: Path):
    from mplint.app import part_setup

    return part_setup(LintOptions([root]), _config(root), root)[2]


def _today():
    import datetime

    return datetime.date.today()


CONTEXT_PROVIDER = {  # parliament 1.6.4 raises on the condition key type ArrayOfARN: "Unknown data format"
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:SetContext",
            "Resource": "*",
            "Condition": {
                "ForAllValues:ArnEquals": {
                    "sts:RequestContextProviders": ["arn:aws:iam::aws:contextProvider/IdentityCenter"]
                }
            },
        }
    ],
}


def test_what_parliament_says_of_a_policy_it_cannot_read_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "context.json"
    policy.write_text(json.dumps(CONTEXT_PROVIDER))
    options = {"paths": [policy], "base": tmp_path, "jobs": 1, "cache": True, "cache_dir": tmp_path / "c"}
    first = lint_paths(LintOptions(**options))
    assert any("parliament crashed" in note.message for note in first.result.notifications)
    no_linting(monkeypatch)
    assert rendered(lint_paths(LintOptions(**options))) == rendered(first)


def test_a_time_limit_reached_is_never_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mplint.iam import parliament_adapter

    def too_slow(fn, seconds):
        raise parliament_adapter._TimeLimit()

    monkeypatch.setattr(parliament_adapter, "_run_with_limit", too_slow)
    policy = tmp_path / "p.json"
    policy.write_text(
        json.dumps({**CONTEXT_PROVIDER, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    )
    options = {"paths": [policy], "base": tmp_path, "jobs": 1, "cache": True, "cache_dir": tmp_path / "c"}
    first = lint_paths(LintOptions(**options))
    assert any(note.transient for note in first.result.notifications)
    linted: list[Path] = []
    real = batch.lint_chunk

    def spy(chunk, setup=None):
        linted.extend(path for unit in chunk.units for path in unit.files)
        return real(chunk, setup)

    monkeypatch.setattr(batch, "lint_chunk", spy)
    lint_paths(LintOptions(**options))
    assert linted == [policy]  # linted again: the next run may finish in time
