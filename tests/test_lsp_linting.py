"""What the server lints when a file changes, and its two passes: the fast checks, then parliament."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mplint.lsp.linting import lint_unit, units_of, workspace_units
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


def test_the_fast_pass_leaves_parliament_to_the_full_one(repo: Path) -> None:
    policy = repo / "kms" / "deploy-policy.json"
    text = policy.read_text(encoding="utf-8").replace(
        '"Statement": [', '"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},', 1
    )
    buffers = Buffers({policy: text})
    manifest = (repo / "kms" / "stackql_manifest.yml").resolve()
    fast, full = (lint_unit(manifest, repo, buffers, full) for full in (False, True))
    rules = {"fast": sorted(f.rule_id for fs in fast.findings.values() for f in fs),
             "full": sorted(f.rule_id for fs in full.findings.values() for f in fs)}  # fmt: skip
    assert rules == {"fast": ["MPL306"], "full": ["MPL306", "MPL414"]}
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
