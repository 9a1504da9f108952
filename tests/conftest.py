"""Shared test helpers: paths, running the CLI in-process, and fixture expectations."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mplint import ruletest
from mplint.ruletest import EXPECT_RE, fixture_options  # noqa: F401 - the expectation format lives in the package

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # noqa: F401 - the tests read pyproject.toml with it

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _cache_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory):
    """The command line's results cache goes to a temporary folder, not beside the fixtures' configuration."""
    import os

    saved = os.environ.get("MPLINT_CACHE_DIR")
    os.environ["MPLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("mplint-cache"))
    yield
    if saved is None:
        os.environ.pop("MPLINT_CACHE_DIR", None)
    else:
        os.environ["MPLINT_CACHE_DIR"] = saved


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
