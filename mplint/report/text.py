"""Text output: one line per finding, `path:line:col: ID level message`, then a summary."""

from __future__ import annotations

from collections import Counter

from mplint.engine import Result
from mplint.findings import Level
from mplint.report import visible
from mplint.source import SourceFile

COLOURS = {Level.ERROR: "31", Level.WARNING: "33", Level.NOTE: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    colour = bool(options.get("colour"))
    out: list[str] = []
    for finding in result.findings:
        s = finding.span
        level = finding.level or Level.WARNING
        where = _paint(visible(f"{s.path}:{s.line}:{s.col}:"), "1", colour)
        rule, label = _paint(finding.rule_id, "1", colour), _paint(level.value, COLOURS[level], colour)
        out.append(f"{where} {rule} {label} {visible(finding.message)}")
        for rel in finding.related:
            r = rel.span
            out.append(visible(f"    {r.path}:{r.line}:{r.col}: {rel.message}"))
    if options.get("show_suppressed"):
        for finding, reason in result.suppressed:
            s = finding.span
            out.append(visible(f"{s.path}:{s.line}:{s.col}: {finding.rule_id} suppressed ({reason}) {finding.message}"))
    for note in result.notifications:
        where = f"{note.span.path}:{note.span.line}:{note.span.col}: " if note.span else ""
        out.append(visible(f"mplint: {note.level.value}: {where}{note.message}"))
    out.append(_summary(result, options.get("files", 0)))
    return "\n".join(out) + "\n"


def _summary(result: Result, files: int) -> str:
    counts = Counter(f.level for f in result.findings)
    total = len(result.findings)
    in_files = f"in {_plural(files, 'file')}"
    crashed = len(result.crashed)
    incomplete = f" The run is incomplete: {_plural(crashed, 'check')} failed (see above)." if crashed else ""
    if not total:
        return f"No findings {in_files}.{incomplete}"
    parts = [_plural(counts[level], level.value) for level in Level if counts[level]]
    extra = f", {len(result.suppressed)} suppressed" if result.suppressed else ""
    summary = f"Found {_plural(total, 'finding')} ({', '.join(parts)}{extra}) {in_files}."
    fixable = sum(1 for f in result.findings if any(fix.safe for fix in f.fixes))
    return summary + (f" {fixable} fixable with `mplint lint --fix`." if fixable else "") + incomplete


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
