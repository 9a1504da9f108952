"""Applying the fixes findings carry: text edits at spans, never a re-dump of the YAML, so every comment, quote
and blank line outside the edits stays as written.

A run applies at most one fix per finding and never two fixes whose edits overlap; it lints again from the
fixed texts (held as unsaved buffers, nothing written yet) and repeats until no fix applies, so a second run
changes nothing. `--fix` then writes the files, `--diff` prints what would change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field

from mplint.findings import Finding, Fix, Span
from mplint.source import Buffers

if TYPE_CHECKING:
    from mplint.app import LintOptions, Outcome

MAX_PASSES = 10
BOM = "\ufeff"


class Change(Struct):
    """One file's text before and after its fixes."""

    path: Path
    display: str
    before: str
    after: str

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            f"a/{self.display}",
            f"b/{self.display}",
        )
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class FixRun(Struct):
    """What fixing did: the files changed and how many fixes went in."""

    changes: list[Change] = field(default_factory=list)
    applied: int = 0


def chosen(findings: Iterable[Finding], unsafe: bool = False) -> list[Fix]:
    """The fix each finding would get: its first safe one, or its first one at all with ``unsafe``."""
    out: list[Fix] = []
    for finding in findings:
        for fix in finding.fixes:
            if fix.safe or unsafe:
                out.append(fix)
                break
    return out


def non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes, in file order, that touch nothing an earlier one touches (nor each other's edits)."""
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    out: list[Fix] = []
    for fix in sorted(fixes, key=_first_place):
        ranges = [((e.span.line, e.span.col), (e.span.end_line, e.span.end_col)) for e in fix.edits]
        if ranges and not any(_overlaps(r, t) for i, r in enumerate(ranges) for t in (*taken, *ranges[:i])):
            taken.extend(ranges)
            out.append(fix)
    return out


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, list[Fix]]:
    """``text`` with the fixes applied that do not overlap an earlier one (in file order), and those fixes.

    Spans are those of the text as mplint reads it (no byte order mark, lines split at LF), so a CRLF file
    keeps its line ends and a file with a byte order mark keeps it."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    starts = _line_starts(body)
    applied = non_overlapping(fixes)
    newline = "\r\n" if "\r\n" in body else "\n"
    pieces = sorted(((_range(body, starts, e.span), e.text) for fix in applied for e in fix.edits), reverse=True)
    for (start, end), new in pieces:
        body = body[:start] + new.replace("\n", newline) + body[end:]
    return bom + body, applied


def _first_place(fix: Fix) -> tuple[int, int]:
    return min(((e.span.line, e.span.col) for e in fix.edits), default=(0, 0))


def _range(text: str, starts: list[int], span: Span) -> tuple[int, int]:
    return _offset(text, starts, span.line, span.col), _offset(text, starts, span.end_line, span.end_col)


def _overlaps(a: tuple, b: tuple) -> bool:
    if a[0] == a[1] and b[0] == b[1]:
        return a[0] == b[0]  # two insertions at one place: their order would be a guess
    return a[0] < b[1] and b[0] < a[1]


def _line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _offset(text: str, starts: list[int], line: int, col: int) -> int:
    """The offset of a 1-based line and UTF-16 column in ``text`` (LF or CRLF line ends), clamped to its line."""
    if line > len(starts):
        return len(text)
    start = starts[max(line, 1) - 1]
    end = starts[line] - 1 if line < len(starts) else len(text)
    if end > start and text[end - 1] == "\r":
        end -= 1
    units, at = max(col, 1) - 1, start
    while units > 0 and at < end:
        units -= 2 if ord(text[at]) > 0xFFFF else 1
        at += 1
    return at


def read_text(path: Path, buffers: Buffers) -> str | None:
    """A file's text as written (line ends and byte order mark kept), from the buffers or the disk."""
    text = buffers.get(path)
    if text is not None:
        return text
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def fix_paths(options: LintOptions, unsafe: bool = False) -> tuple[Outcome, FixRun]:
    """Lint, fix, lint the fixed texts again, until no fix applies; nothing is written. The outcome is the
    last lint's: the findings that remain."""
    from mplint.app import lint_paths

    buffers = Buffers()
    run = FixRun()
    originals: dict[Path, tuple[str, str]] = {}
    outcome = lint_paths(options, buffers)
    for _ in range(MAX_PASSES):
        paths = {display: source.path for display, source in outcome.sources.items()}
        applied = fix_files(outcome.result.findings, paths, buffers, unsafe, originals)
        if not applied:
            break
        run.applied += applied
        outcome = lint_paths(options, buffers)
    for path, (display, before) in sorted(originals.items()):
        after = buffers.get(path)
        if after is not None and after != before:
            run.changes.append(Change(path, display, before, after))
    return outcome, run


def write_changes(run: FixRun) -> None:
    """Write the fixed files, byte for byte as fixed (line ends kept)."""
    for change in run.changes:
        change.path.write_text(change.after, encoding="utf-8", newline="")


def fix_files(
    findings: Iterable[Finding],
    paths: dict[str, Path],
    buffers: Buffers,
    unsafe: bool,
    originals: dict[Path, tuple[str, str]] | None = None,
) -> int:
    """Apply one pass of fixes into ``buffers`` (display path -> disk path in ``paths``); the fixes applied.
    ``originals`` gets each changed file's text from before its first fix."""
    by_file: dict[str, list[Fix]] = {}
    for fix in chosen(findings, unsafe):
        files = {edit.span.path for edit in fix.edits}
        if len(files) == 1:  # a fix across files is applied by an editor, not here
            by_file.setdefault(files.pop(), []).append(fix)
    applied = 0
    for display, fixes in sorted(by_file.items()):
        path = paths.get(display)
        text = read_text(path, buffers) if path is not None else None
        if path is None or text is None:
            continue
        after, done = apply_fixes(text, fixes)
        if done and after != text:
            if originals is not None:
                originals.setdefault(path.resolve(), (display, text))
            buffers.set(path, after)
            applied += len(done)
    return applied
