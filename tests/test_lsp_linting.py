"""What the server lints when a file changes, and its two passes: the fast checks, then parliament."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from mplint.lsp import server as module
from mplint.lsp.linting import Run, lint_unit, units_of, workspace_units
from mplint.source import Buffers
from tests.conftest import FIXTURES


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "permissions" / "kms-grant-missing", root / "kms")
    (root / "kms" / "fixture.yaml").rename(root / "kms" / ".mplint.yaml")
    shutil.copytree(FIXTURES / "seed", root / "seed")
    (root / "notes").mkdir()
    (root / "notes" / "workflow.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    return root


PARLIAMENT_ONLY = (
    '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*", '
    '"Condition": {"StringEquals": {"s3:prefix": "x"}}}'
)


def test_the_fast_pass_leaves_parliament_to_the_full_one(repo: Path) -> None:
    policy = repo / "kms" / "deploy-policy.json"
    added = PARLIAMENT_ONLY  # a finding only parliament makes (MPL415), so only the full pass has it
    text = policy.read_text(encoding="utf-8").replace('"Statement": [', '"Statement": [' + added + ",", 1)
    buffers = Buffers({policy: text})
    manifest = (repo / "kms" / "stackql_manifest.yml").resolve()
    fast, full = (lint_unit(manifest, repo, buffers, full) for full in (False, True))
    rules = {"fast": sorted(f.rule_id for fs in fast.findings.values() for f in fs),
             "full": sorted(f.rule_id for fs in full.findings.values() for f in fs)}  # fmt: skip
    assert rules == {  # MPL160: unpinned aws; MPL311: a key and a bucket the stack does not declare
        "fast": ["MPL160", "MPL306", "MPL311", "MPL311"],
        "full": ["MPL160", "MPL306", "MPL311", "MPL311", "MPL415"],
    }
    assert fast.has_policies and policy.resolve() in fast.read
    assert policy.read_text(encoding="utf-8") != text  # the buffer was linted, the file left alone


def test_a_change_relints_the_units_that_read_the_file(repo: Path) -> None:
    kms = (repo / "kms" / "stackql_manifest.yml").resolve()
    seed = (repo / "seed" / "stackql_manifest.yml").resolve()
    assert sorted(workspace_units(repo)) == [kms, seed]
    reads = {unit: lint_unit(unit, repo, Buffers(), False).read for unit in (kms, seed)}
    buffers = Buffers()
    assert units_of((repo / "kms" / "deploy-policy.json").resolve(), buffers, reads) == {kms}
    assert units_of(next((repo / "seed" / "resources").glob("*.iql")).resolve(), buffers, reads) == {seed}
    new_query = (repo / "seed" / "resources" / "new.iql").resolve()
    assert units_of(new_query, Buffers({new_query: "/*+ exists */\n"}), reads) == {seed}
    assert units_of((repo / "kms" / ".mplint.yaml").resolve(), buffers, reads) == {kms, seed}
    assert units_of((repo / "notes" / "workflow.yml").resolve(), buffers, reads) == set()


def test_a_unit_whose_manifest_is_gone_has_nothing_to_say(repo: Path) -> None:
    manifest = (repo / "seed" / "stackql_manifest.yml").resolve()
    manifest.unlink()
    run = lint_unit(manifest, repo, Buffers(), False)
    assert run.findings == {} and run.error is None


@pytest.mark.asyncio
async def test_a_run_overtaken_by_an_edit_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    release = threading.Event()

    def slow_lint(unit: Path, root: Path, buffers: Buffers, full: bool) -> Run:
        started.append(len(started))
        if len(started) == 1:
            release.wait(5)  # the first run is still going when the second edit arrives
        return Run(unit, findings={f"file:///run{len(started)}": []})

    published: list[Run] = []
    srv = module.MplintServer()
    srv.debounce = 0
    monkeypatch.setattr(module, "lint_unit", slow_lint)
    monkeypatch.setattr(srv, "snapshot", lambda: (Buffers(), {}))
    monkeypatch.setattr(srv, "publish", lambda run, versions: published.append(run))
    unit = Path("/stack/stackql_manifest.yml")
    srv.request({unit})
    while not started:
        await asyncio.sleep(0.01)
    srv.request({unit})  # an edit while the first run lints
    release.set()
    while unit in srv.tasks:
        await asyncio.sleep(0.01)
    assert len(started) == 2
    assert [list(run.findings) for run in published] == [["file:///run2"]]
