"""JSON output for scripts: a stable, sorted document."""

from __future__ import annotations

import json

from mplint import __version__
from mplint.engine import Result
from mplint.findings import Finding, Span
from mplint.report import fingerprints
from mplint.source import SourceFile


def _span(span: Span) -> dict:
    return {"path": span.path, "line": span.line, "col": span.col, "end_line": span.end_line, "end_col": span.end_col}


def _finding(finding: Finding, print_: str) -> dict:
    level = finding.level.value if finding.level else None
    return {
        "rule": finding.rule_id,
        "level": level,
        "message": finding.message,
        **_span(finding.span),
        "related": [{"message": r.message, **_span(r.span)} for r in finding.related],
        "fingerprint": print_,
    }


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    # one pass over findings and suppressed ones, as SARIF does, so that each fingerprint is unique and the same in both
    prints = fingerprints([*result.findings, *(f for f, _ in result.suppressed)], sources)
    found, hidden = prints[: len(result.findings)], prints[len(result.findings) :]
    doc = {
        "tool": {"name": "mplint", "version": __version__},
        "findings": [_finding(f, p) for f, p in zip(result.findings, found, strict=True)],
        "suppressed": [
            {**_finding(f, p), "reason": reason} for (f, reason), p in zip(result.suppressed, hidden, strict=True)
        ],
        "notifications": [
            {"level": n.level.value, "message": n.message, **(_span(n.span) if n.span else {})}
            for n in result.notifications
        ],
        "summary": {
            "files": options.get("files", 0),
            "findings": len(result.findings),
            "failed_checks": len(result.crashed),
            **{
                level: sum(1 for f in result.findings if f.level and f.level.value == level)
                for level in ("error", "warning", "note")
            },
        },
    }
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
