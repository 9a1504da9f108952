"""What the generators of a text file from the repository itself share (`docs/job-summary.md`, the rule
index): write it, or with --check say whether it is current."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_or_check(target: Path, text: str, argv: list[str]) -> int:
    """With ``--check`` in ``argv``: 1 (and how to regenerate) when ``target`` is not ``text``; else write it."""
    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    script = Path(sys.argv[0]).name
    if "--check" in argv:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{shown} is out of date: run python scripts/{script}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0
