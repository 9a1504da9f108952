"""Reporters: turn an engine result into text, JSON or SARIF. They never decide what is a finding."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from mplint.engine import Result
from mplint.findings import Finding
from mplint.source import SourceFile


def fingerprint(finding: Finding, sources: dict[str, SourceFile]) -> str:
    """A finding's identity across runs: rule, path, key path and the normalised line, not the line number."""
    source = sources.get(finding.span.path)
    line = ""
    if source is not None and 0 < finding.span.line <= len(source.lines):
        line = " ".join(source.lines[finding.span.line - 1].split())
    parts = [finding.rule_id, finding.span.path, "/".join(map(str, finding.key_path)), line, finding.message]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


Reporter = Callable[[Result, dict[str, SourceFile], dict], str]


def get_reporter(name: str) -> Reporter:
    if name == "text":
        from mplint.report.text import render
    elif name == "json":
        from mplint.report.json import render
    elif name == "sarif":
        from mplint.report.sarif import render
    else:
        raise ValueError(f"unknown format {name!r}")
    return render
