"""Every AWS managed policy of the shared corpus (raw/ and documents/) is linted without a crash.

One in-process run over all 3,288 files (about 25 s), with every rule on (opt-in ones too): the two empty
files give MPL004, the policies on which parliament itself crashes give a tool notification and still
mplint's own findings, no other notification is made, and every message fits on a line.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mplint.app import LintOptions, Outcome, lint_paths
from mplint.checks import policy as own
from mplint.registry import builtin_rules
from tests.conftest import shared_path

MAX_MESSAGE = 200
EMPTY = {"raw/AWSCodePipelineFullAccess", "raw/AWSECRPullThroughCacheServiceRolePolicy"}
PARLIAMENT_CRASHES = {"SageMakerStudioEMRContainersSystemNamespaceRolePolicy", "SageMakerStudioProjectUserRolePolicy"}


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("corpus", "iam", "aws-managed", "iamtrail")


@pytest.fixture(scope="module")
def outcome(corpus: Path) -> Outcome:
    files = sorted((corpus / "raw").iterdir()) + sorted((corpus / "documents").iterdir())
    assert len(files) == 1645 + 1643
    every = ["ALL", *(rule_id for rule_id, rule in builtin_rules().items() if not rule.default)]
    return lint_paths(LintOptions(paths=files, base=corpus, select=every))


def stem(path: str) -> str:
    """The policy's name: documents/<Name>.json is raw/<Name> (one AWS policy is itself named `*.json`)."""
    name = Path(path).name
    return name.removesuffix(".json") if path.startswith("documents/") else name


def test_every_policy_is_read(outcome: Outcome) -> None:
    assert len(outcome.policies) == 1643 * 2
    assert not any(f.rule_id in ("MPL001", "MPL002", "MPL005") for f in outcome.result.findings)


def test_the_empty_files_are_mpl004(outcome: Outcome) -> None:
    empty = {f.span.path for f in outcome.result.findings if f.rule_id == "MPL004"}
    assert empty == EMPTY


def test_only_parliament_crashes_are_notifications(outcome: Outcome) -> None:
    notes = outcome.result.notifications
    assert all(n.message.startswith("parliament crashed, its checks were skipped") for n in notes), notes
    crashed = Counter(stem(n.span.path) for n in notes if n.span is not None)
    assert crashed == {name: 2 for name in PARLIAMENT_CRASHES}  # raw/ and documents/


def test_crashed_policies_keep_mplint_findings(outcome: Outcome) -> None:
    enabled = outcome.parts[0].ctx.selection.enabled
    for policy in outcome.policies:
        if stem(policy.name) in PARLIAMENT_CRASHES:
            expected = {(f.rule_id, f.span) for f in own.policy_findings(policy) if f.rule_id in enabled}
            reported = {(f.rule_id, f.span) for f in outcome.result.findings if f.span.path == policy.name}
            assert expected <= reported, policy.name
    assert any(f.span.path.endswith("SageMakerStudioProjectUserRolePolicy") for f in outcome.result.findings)


def test_every_message_is_short(outcome: Outcome) -> None:
    """Details belong in the rule's page (`mplint rules show ID`); a message is read on one line."""
    assert {f.rule_id for f in outcome.result.findings} >= {"MPL412", "MPL414", "MPL415", "MPL423", "MPL424"}
    long = [(f.rule_id, f.message) for f in outcome.result.findings if len(f.message) >= MAX_MESSAGE]
    assert long == [], f"{len(long)} messages of {MAX_MESSAGE} characters or more, such as {long[:3]}"


def test_raw_and_documents_agree(outcome: Outcome) -> None:
    """The same policy, wrapped in PolicyVersion or not, gets the same findings."""
    by_dir: dict[str, Counter] = {"raw": Counter(), "documents": Counter()}
    for f in outcome.result.findings:
        if f.rule_id.startswith("MPL4"):
            by_dir[f.span.path.split("/")[0]][(stem(f.span.path), f.rule_id, f.message)] += 1
    assert by_dir["raw"] == by_dir["documents"]


def test_the_command_line_neither_crashes_nor_exits_2(corpus: Path) -> None:
    names = [*sorted(EMPTY), *(f"raw/{n}" for n in sorted(PARLIAMENT_CRASHES)), "raw/AdministratorAccess"]
    run = subprocess.run(
        [sys.executable, "-m", "mplint", "lint", "--no-cache", "--format", "json", *names],
        cwd=corpus,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr  # findings at or above the fail level, and no tool error
    assert "Traceback" not in run.stderr
