"""Runs in chunks (`--jobs`): the same output, byte for byte, as one run over every file, whatever the number of
processes and however the files fall into chunks; each file's problems reported once."""

from __future__ import annotations

import datetime
import gc
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from mplint import batch
from mplint.app import LintOptions, Outcome, lint_paths
from mplint.report import REPORTERS
from tests.conftest import FIXTURES

FORMATS = REPORTERS  # every report, the job summary included
PAST = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def monorepo(root: Path) -> Path:
    """Stacks of every kind of fixture under one configuration that names a deploying identity (so the
    permission rules and MPL424 judge it against every stack), a folder with a configuration of its own,
    an expired suppression, a YAML identity policy with a comment naming an unknown rule, and policies."""
    (root / ".git").mkdir()
    for i, name in enumerate(["valid/model-package-stack", "seed", "core/read-only", "core/query-files"]):
        shutil.copytree(FIXTURES / name, root / "stacks" / f"s{i}")
    for name in ("kms-grant-missing", "pass-role-denied", "conditional-grant", "other-bucket"):
        shutil.copytree(FIXTURES / "permissions" / name, root / "stacks" / name)
    shutil.copytree(FIXTURES / "core" / "schema-values", root / "team" / "stacks" / "values")
    write(root / "team" / ".mplint.yaml", "ignore: [MPL208]\n")
    policy = json.loads((FIXTURES / "permissions" / "kms-grant-missing" / "deploy-policy.json").read_text())
    policy["Statement"].append({"Effect": "Allow", "Action": ["s3:Get*", "sagemaker:Describe*"], "Resource": "*"})
    write(root / "deploy.json", json.dumps(policy, indent=2))
    write(
        root / "boundary.yaml",
        """\
        Version: "2012-10-17"  # mplint: disable=MPL4O1
        Statement:
          - Effect: Allow
            Action: "*"
            Resource: "*"
        """,
    )
    write(
        root / ".mplint.yaml",
        "policies: [deploy.json]\nboundary: boundary.yaml\nselect: [ALL, MPL424]  # MPL424 is opt-in\n",
    )
    write(
        root / ".mplint-suppressions.yaml",
        f"- {{rule: MPL207, path: '**', reason: migration, expires: {PAST}}}\n"
        "- {rule: MPL202, path: 'stacks/s2/**', reason: imported as it is}\n",
    )
    (root / "policies").mkdir()
    for name in ("bad-admin.json", "bad.json", "good.json"):
        shutil.copy(FIXTURES / "policy" / "grants" / name, root / "policies" / name)
    return root


def lint(root: Path, paths: list[Path], **options) -> Outcome:
    return lint_paths(LintOptions(paths=paths, base=root, **options))


def rendered(outcome: Outcome) -> dict[str, str]:
    return {fmt: outcome.render(fmt, {}) for fmt in FORMATS}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return monorepo(tmp_path)


def named(root: Path) -> list[Path]:
    """The stacks, the policies, the identity policy once more, and a path that does not exist."""
    return [root / "stacks", root / "team", *sorted((root / "policies").iterdir()), root / "deploy.json", root / "gone"]


def test_the_monorepo_lints_with_findings_of_every_kind(repo: Path) -> None:
    outcome = lint(repo, named(repo))
    rules = {f.rule_id for f in outcome.result.findings}
    assert {"MPL001", "MPL007", "MPL008", "MPL306", "MPL424", "MPL420", "MPL202"} <= rules
    assert {"MPL208"} <= rules and not any(
        f.rule_id == "MPL208" and f.span.path.startswith("team/") for f in outcome.result.findings
    )
    assert outcome.result.suppressed


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_chunks_and_processes_give_the_output_of_one_run(
    repo: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = rendered(lint(repo, named(repo)))
    monkeypatch.setattr(batch, "MIN_POOL_BYTES", 0)  # a pool even for this small run
    monkeypatch.setattr(batch, "CHUNK_UNITS", 2)  # and many chunks: identity policies, stacks, policies split
    assert rendered(lint(repo, named(repo), jobs=jobs)) == whole


def test_workers_started_by_spawn_give_the_same_output(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a worker needs comes from the parent's memory: spawn (macOS, Windows) works as fork does."""
    paths = [repo / "stacks", repo / "deploy.json"]
    whole = rendered(lint(repo, paths))
    monkeypatch.setattr(batch, "MIN_POOL_BYTES", 0)
    monkeypatch.setattr(batch, "CHUNK_UNITS", 4)
    monkeypatch.setattr(batch, "START_METHOD", "spawn")
    assert rendered(lint(repo, paths, jobs=2)) == whole


def test_each_file_is_reported_by_one_chunk(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The identity policies are loaded by every chunk (the permission checks need them) yet their findings,
    the expired suppression and the missing path are reported once."""
    monkeypatch.setattr(batch, "CHUNK_UNITS", 1)
    outcome = lint(repo, named(repo), jobs=1)
    keys = [(f.rule_id, f.span, f.message) for f in outcome.result.findings]
    assert len(keys) == len(set(keys))
    on_identity = [f for f in outcome.result.findings if f.span.path in ("deploy.json", "boundary.yaml")]
    assert on_identity and len(on_identity) == len(
        [f for f in lint(repo, named(repo)).result.findings if f.span.path in ("deploy.json", "boundary.yaml")]
    )


def test_mpl424_judges_the_identity_by_every_stack_whichever_chunk_linted_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "CHUNK_UNITS", 1)
    one = [f.message for f in lint(repo, named(repo)).result.findings if f.rule_id == "MPL424"]
    split = [f.message for f in lint(repo, named(repo), jobs=1).result.findings if f.rule_id == "MPL424"]
    assert one and split == one


def test_a_small_run_starts_no_worker(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started")

    monkeypatch.setattr(batch, "_pooled", no_pool)
    outcome = lint(repo, [repo / "stacks" / "s0"], jobs=4)
    assert len(outcome.sources) == 4  # the manifest, its query file and the two identity policies


def test_a_forked_worker_keeps_what_it_inherited_frozen(repo: Path) -> None:
    """Unfreezing in a worker would hand the parent's objects to the worker's collector, to traverse (and copy)
    at every collection; a process that froze nothing of its own before its run unfreezes at the end."""

    def collectable(obj: object) -> bool:  # seen by the collector: not frozen
        return any(o is obj for o in gc.get_objects())

    inherited, thresholds = [["loaded by the parent"]], gc.get_threshold()
    gc.freeze()  # as the parent does before forking its workers
    try:
        batch._worker_start(forked=True)
        lint(repo, [repo / "stacks" / "s0"], jobs=1, cache=False)
        assert not collectable(inherited)
        batch._worker_start(forked=False)
        lint(repo, [repo / "stacks" / "s0"], jobs=1, cache=False)
        assert collectable(inherited)
    finally:
        batch._inherited_frozen = False
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_a_run_in_chunks_keeps_the_text_of_every_file_read(repo: Path) -> None:
    """The reports need them: fingerprints and snippets, and JUnit and the job summary list every file."""
    whole = lint(repo, named(repo))
    outcome = lint(repo, named(repo), jobs=1)
    assert len(whole.sources) > 20
    assert {d: s.text for d, s in outcome.sources.items()} == {d: s.text for d, s in whole.sources.items()}
