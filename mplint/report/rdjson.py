"""reviewdog's Diagnostic Format (rdjson), for `reviewdog -f=rdjson`: pull request comments and checks on GitLab,
Gitea and Bitbucket too. Columns are UTF-8 byte counts, as rdjson defines them; a finding's safe fix becomes a
suggestion when all its edits are in the finding's file.

https://github.com/reviewdog/reviewdog/tree/master/proto/rdf
"""

from __future__ import annotations

import json

from mplint import HOMEPAGE
from mplint.engine import Result
from mplint.findings import Finding, Level, Span
from mplint.report.sarif import rule_help_uri
from mplint.source import SourceFile

SEVERITIES = {Level.ERROR: "ERROR", Level.WARNING: "WARNING", Level.NOTE: "INFO"}


def byte_col(source: SourceFile | None, line: int, col: int) -> int:
    """A 1-based UTF-16 column as a 1-based UTF-8 byte column (as given when the line cannot be read)."""
    if source is None or not 0 < line <= len(source.lines):
        return col
    text = source.lines[line - 1]
    if text.isascii():
        return col
    units = chars = 0
    while chars < len(text) and units < col - 1:
        units += 2 if ord(text[chars]) > 0xFFFF else 1
        chars += 1
    return len(text[:chars].encode("utf-8")) + 1 + max(0, col - 1 - units)


def _range(span: Span, sources: dict[str, SourceFile]) -> dict:
    source = sources.get(span.path)
    return {
        "start": {"line": span.line, "column": byte_col(source, span.line, span.col)},
        "end": {"line": span.end_line, "column": byte_col(source, span.end_line, span.end_col)},
    }


def _location(span: Span, sources: dict[str, SourceFile]) -> dict:
    return {"path": span.path, "range": _range(span, sources)}


def _suggestions(finding: Finding, sources: dict[str, SourceFile]) -> list[dict]:
    fix = next((f for f in finding.fixes if f.safe), None)
    if fix is None or any(edit.span.path != finding.span.path for edit in fix.edits):
        return []
    return [{"range": _range(edit.span, sources), "text": edit.text} for edit in fix.edits]


def diagnostic(finding: Finding, result: Result, sources: dict[str, SourceFile]) -> dict:
    rule = result.rules.get(finding.rule_id)
    out: dict = {
        "message": " ".join(finding.message.split()),
        "location": _location(finding.span, sources),
        "severity": SEVERITIES[finding.level or Level.WARNING],
        "code": {"value": finding.rule_id, **({"url": rule_help_uri(rule)} if rule else {})},
    }
    if suggestions := _suggestions(finding, sources):
        out["suggestions"] = suggestions
    if finding.related:
        out["related_locations"] = [
            {"message": rel.message, "location": _location(rel.span, sources)} for rel in finding.related
        ]
    return out


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    doc = {
        "source": {"name": "mplint", "url": HOMEPAGE},
        "diagnostics": [diagnostic(f, result, sources) for f in result.findings],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
