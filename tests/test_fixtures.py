"""Every fixture stack produces exactly the findings its `# expect:` comments (or expected.yaml) name."""

from __future__ import annotations

from pathlib import Path

import pytest

from mplint.app import lint_paths
from mplint.ruletest import lint_options, read_snapshot, snapshot
from tests.conftest import FIXTURES, ROOT, expected_findings, fixture_stacks

STACKS = fixture_stacks()


def lint_fixture(stack: Path):
    """Lint a fixture stack with the options of its `fixture.yaml` (paths in it are relative to the stack)."""
    return lint_paths(lint_options(stack, ROOT))


@pytest.mark.parametrize("stack", STACKS, ids=[s.relative_to(FIXTURES).as_posix() for s in STACKS])
def test_fixture_findings_match_expectations(stack: Path) -> None:
    outcome = lint_fixture(stack)
    assert not outcome.result.notifications, [n.message for n in outcome.result.notifications]
    found = {(f.span.path, f.span.line, f.rule_id) for f in outcome.result.findings}
    expected = expected_findings(stack)
    assert sorted(found - expected) == [], "unexpected findings"
    assert sorted(expected - found) == [], "expected findings not reported"
    assert snapshot(stack, outcome.result.findings, ROOT) == read_snapshot(stack), (
        "the findings differ from expected.json (columns, levels, messages): "
        "if the change is right, run scripts/update_snapshots.py and review the diff"
    )


def test_every_fixture_has_a_snapshot() -> None:
    assert [s for s in STACKS if read_snapshot(s) is None] == []


def test_valid_stacks_are_clean() -> None:
    valid = [s for s in STACKS if s.is_relative_to(FIXTURES / "valid")]
    assert valid, "the valid fixture is missing"
    for stack in valid:
        assert lint_fixture(stack).result.findings == []


def test_bad_fixtures_expect_something() -> None:
    for stack in STACKS:
        if not stack.is_relative_to(FIXTURES / "valid"):
            assert expected_findings(stack), f"{stack} is a bad fixture without expectations"
