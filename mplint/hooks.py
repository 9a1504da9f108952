"""Which of the engine's hooks a check module defines, read from its source without importing it.

A run of policies alone need not import the stack checks (and Jinja2 behind them: 30-40 ms and 4 MiB in every
process), nor a run of stacks without policies the policy checks. Only mplint's own check modules are read
this way (`tests/test_hooks.py` checks that each one's hooks read from its source are the ones it has once
imported); any other module a rule names, and one whose source cannot be read or shows no hook, is imported
as before: its hooks are unknown.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache

HOOKS = ("check_stack", "check_policy", "check_project")
OWN = "mplint.checks."  # the modules whose hooks are read from their source
_DEFINED = re.compile(r"^def (check_stack|check_policy|check_project)\(", re.MULTILINE)


@lru_cache(maxsize=256)
def defined_hooks(module: str) -> frozenset[str] | None:
    """The hooks the module defines at its top level; None when that cannot be told without importing it."""
    if not module.startswith(OWN):
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    try:
        with open(spec.origin, encoding="utf-8") as handle:
            found = frozenset(_DEFINED.findall(handle.read()))
    except (OSError, UnicodeDecodeError):
        return None
    return found or None


def may_apply(module: str, stacks: bool, policies: bool) -> bool:
    """False only when the module certainly has nothing to check: no hook for any kind of unit the run has
    (a module with `check_project` runs once per run whatever the files)."""
    hooks = defined_hooks(module)
    if hooks is None or "check_project" in hooks:
        return True
    return ("check_stack" in hooks and stacks) or ("check_policy" in hooks and policies)
