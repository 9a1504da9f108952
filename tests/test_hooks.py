"""The engine tells a check module's hooks from its source, so that it imports only the modules that have
something to check in the run: the hooks read that way are the ones each module has once imported."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap

import pytest

from mplint.hooks import HOOKS, defined_hooks, may_apply
from mplint.registry import builtin_rules
from tests.conftest import FIXTURES

MODULES = sorted({name for rule in builtin_rules().values() for name in rule.checks})


@pytest.mark.parametrize("name", MODULES)
def test_hooks_read_from_the_source_are_the_modules_own(name: str) -> None:
    module = importlib.import_module(name)
    own = frozenset(hook for hook in HOOKS if callable(getattr(module, hook, None)))
    assert defined_hooks(name) == (own or None)


def test_what_cannot_be_told_is_imported() -> None:
    assert defined_hooks("mplint.no_such_module") is None
    assert defined_hooks("json") is None  # not one of mplint's check modules: imported, whatever it defines
    assert defined_hooks("mplint.checks.declarative") is None  # no hook found: unknown, not "none"
    assert may_apply("mplint.no_such_module", stacks=False, policies=False)


def test_a_module_runs_only_where_its_hooks_have_units() -> None:
    assert defined_hooks("mplint.checks.dynamodb_billing") == {"check_stack"}
    assert not may_apply("mplint.checks.dynamodb_billing", stacks=False, policies=True)
    assert may_apply("mplint.checks.dynamodb_billing", stacks=True, policies=False)
    assert not may_apply("mplint.checks.parliament", stacks=True, policies=False)


def test_a_run_of_policies_alone_does_not_import_the_stack_checks() -> None:
    policy = FIXTURES / "policy" / "grants" / "bad.json"
    code = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from mplint.app import LintOptions, lint_paths
        outcome = lint_paths(LintOptions([Path({str(policy)!r})]))
        print(json.dumps([sorted(m for m in sys.modules if m.startswith("mplint.checks.")), "jinja2" in sys.modules]))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded, jinja = json.loads(out.splitlines()[-1])
    assert "mplint.checks.parliament" in loaded and "mplint.checks.policy" in loaded
    assert "mplint.checks.dynamodb_billing" not in loaded and not jinja
