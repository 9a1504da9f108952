"""JSON output for scripts: a stable, sorted document."""

from __future__ import annotations

import json

from mplint import __version__
from mplint.engine import Result
from mplint.findings import Finding, Span
from mplint.report import fingerprint
from mplint.source import SourceFile


def _span(span: Span) -> dict:
    return {"path": span.path, "line": span.line, "col": span.col, "end_line": span.end_line, "end_col": span.end_col}


def _finding(finding: Finding, sources: dict[str, SourceFile]) -> dict:
    level = finding.level.value if finding.level else None
    return {
        "rule": finding.rule_id,
        "level": level,
        "message": finding.message,
        **_span(finding.span),
        "related": [{"message": r.message, **_span(r.span)} for r in finding.related],
        "fingerprint": fingerprint(finding, sources),
    }


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    doc = {
        "tool": {"name": "mplint", "version": __version__},
        "findings": [_finding(f, sources) for f in result.findings],
        "suppressed": [{**_finding(f, sources), "reason": reason} for f, reason in result.suppressed],
        "notifications": [
            {"level": n.level.value, "message": n.message, **(_span(n.span) if n.span else {})}
            for n in result.notifications
        ],
        "summary": {
            "files": options.get("files", 0),
            "findings": len(result.findings),
            **{
                level: sum(1 for f in result.findings if f.level and f.level.value == level)
                for level in ("error", "warning", "note")
            },
        },
    }
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
