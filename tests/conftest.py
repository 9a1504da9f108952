"""Shared test helpers: paths, running the CLI in-process, and fixture expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from mplint import ruletest
from mplint.ruletest import EXPECT_RE, fixture_options  # noqa: F401 - the expectation format lives in the package

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test with a clear message when shared/ is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is absent on this machine")
    return path


def fixture_stacks() -> list[Path]:
    """The fixture stacks of the built-in rules; those that load user rules (`rules-dirs` in fixture.yaml) test
    those rules instead, in tests/test_declarative.py (their SARIF lists more than the built-in rules)."""
    return [s for s in ruletest.find_stacks(FIXTURES) if not ruletest.uses_user_rules(s)]


def user_rule_stacks() -> list[Path]:
    return [s for s in ruletest.find_stacks(FIXTURES) if ruletest.uses_user_rules(s)]


def expected_findings(stack: Path) -> set[tuple[str, int, str]]:
    """(path relative to ROOT, line, rule) for every `# expect: ID` / `-- expect: ID` comment under a stack,
    plus the entries of `expected.yaml` (for files that cannot hold comments, such as JSON)."""
    return ruletest.expected_findings(stack, ROOT)
