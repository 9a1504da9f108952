"""Shared test helpers: paths, running the CLI in-process, and fixture expectations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
EXPECT_RE = re.compile(r"(?:#|--)\s*expect:\s*([A-Z0-9, ]+)")


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test with a clear message when shared/ is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is absent on this machine")
    return path


def fixture_stacks() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.rglob("stackql_manifest.yml"))


def fixture_options(stack: Path) -> dict:
    """Lint options for a fixture: `fixture.yaml` beside its manifest (engine, envs, policies, ...)."""
    path = stack / "fixture.yaml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def expected_findings(stack: Path) -> set[tuple[str, int, str]]:
    """(path relative to ROOT, line, rule) for every `# expect: ID` / `-- expect: ID` comment under a stack,
    plus the entries of `expected.yaml` (for files that cannot hold comments, such as JSON)."""
    out: set[tuple[str, int, str]] = set()
    for path in sorted(stack.rglob("*")):
        if not path.is_file() or path.suffix not in (".yml", ".yaml", ".iql", ".json") or path.name == "expected.yaml":
            continue
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), start=1):
            match = EXPECT_RE.search(line)
            if match:
                out.update((rel, number, rid.strip()) for rid in match.group(1).split(",") if rid.strip())
    sidecar = stack / "expected.yaml"
    if sidecar.exists():
        for entry in yaml.safe_load(sidecar.read_text()) or []:
            rel = (stack / entry["file"]).relative_to(ROOT).as_posix()
            out.add((rel, int(entry["line"]), str(entry["rule"])))
    return out
