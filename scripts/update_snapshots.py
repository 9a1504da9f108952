"""Rewrite `expected.json`, the snapshot of every finding, for each fixture stack (or the ones named).

    python scripts/update_snapshots.py [fixtures/core/read-only ...]

Review `git diff fixtures/` before committing: a snapshot is a claim that every line in it is right.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mplint.app import lint_paths  # noqa: E402
from mplint.ruletest import SNAPSHOT, find_stacks, lint_options, snapshot  # noqa: E402


def main(args: list[str]) -> int:
    stacks = [Path(a).resolve() for a in args] or find_stacks(ROOT / "fixtures")
    for stack in stacks:
        outcome = lint_paths(lint_options(stack, ROOT))
        entries = snapshot(stack, outcome.result.findings, ROOT)
        (stack / SNAPSHOT).write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{stack.relative_to(ROOT)}: {len(entries)} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
