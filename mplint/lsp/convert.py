"""Findings as LSP diagnostics, and their fixes and suppressions as code actions.

Spans are 1-based lines and 1-based UTF-16 columns; LSP positions are 0-based lines and 0-based UTF-16
characters, so the conversion is a shift by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from lsprotocol import types as lsp

from mplint.findings import Edit, Finding, Fix, Level, Span
from mplint.fix import non_overlapping
from mplint.registry import Rule
from mplint.report.sarif import rule_help_uri
from mplint.suppress import INLINE_RE

SOURCE = "mplint"
SEVERITY = {
    Level.ERROR: lsp.DiagnosticSeverity.Error,
    Level.WARNING: lsp.DiagnosticSeverity.Warning,
    Level.NOTE: lsp.DiagnosticSeverity.Information,
}
TAGS = {"unnecessary": lsp.DiagnosticTag.Unnecessary, "deprecated": lsp.DiagnosticTag.Deprecated}
FIX_ALL = "source.fixAll.mplint"

UriOf = Callable[[str], str]  # a finding's display path -> the file's URI


def to_range(span: Span) -> lsp.Range:
    start = lsp.Position(max(span.line - 1, 0), max(span.col - 1, 0))
    end = lsp.Position(max(span.end_line - 1, 0), max(span.end_col - 1, 0))
    return lsp.Range(start, end if (end.line, end.character) >= (start.line, start.character) else start)


def diagnostic(finding: Finding, rule: Rule | None, uri_of: UriOf) -> lsp.Diagnostic:
    related = [
        lsp.DiagnosticRelatedInformation(lsp.Location(uri_of(rel.span.path), to_range(rel.span)), rel.message)
        for rel in finding.related
    ]
    tags = [TAGS[tag] for tag in (rule.tags if rule else ()) if tag in TAGS]
    return lsp.Diagnostic(
        range=to_range(finding.span),
        message=finding.message,
        severity=SEVERITY[finding.level or (rule.level if rule else Level.WARNING)],
        code=finding.rule_id,
        code_description=lsp.CodeDescription(href=rule_help_uri(rule)) if rule else None,
        source=SOURCE,
        related_information=related or None,
        tags=tags or None,
        data={"fixable": any(fix.safe for fix in finding.fixes)} if finding.fixes else None,
    )


def _text_edits(edits: Iterable[Edit], uri_of: UriOf) -> dict[str, list[lsp.TextEdit]]:
    out: dict[str, list[lsp.TextEdit]] = {}
    for edit in edits:
        out.setdefault(uri_of(edit.span.path), []).append(lsp.TextEdit(to_range(edit.span), edit.text))
    return out


def workspace_edit(edits: Iterable[Edit], uri_of: UriOf, versions: dict[str, int]) -> lsp.WorkspaceEdit:
    """Edits per document, each tied to the version that was linted: the editor refuses them when the text
    has moved on since."""
    changes = [
        lsp.TextDocumentEdit(lsp.OptionalVersionedTextDocumentIdentifier(uri, versions.get(uri)), text_edits)
        for uri, text_edits in _text_edits(edits, uri_of).items()
    ]
    return lsp.WorkspaceEdit(document_changes=changes)


def fix_actions(
    finding: Finding, diag: lsp.Diagnostic, uri_of: UriOf, versions: dict[str, int]
) -> list[lsp.CodeAction]:
    actions = []
    for i, fix in enumerate(finding.fixes):
        title = fix.title if fix.safe else f"{fix.title} (unsafe: check the result)"
        actions.append(
            lsp.CodeAction(
                title=f"{title} ({finding.rule_id})",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag],
                is_preferred=fix.safe and i == 0,
                edit=workspace_edit(fix.edits, uri_of, versions),
            )
        )
    return actions


def fix_all_action(findings: Iterable[Finding], uri_of: UriOf, versions: dict[str, int]) -> lsp.CodeAction | None:
    """Every safe fix of one file that does not overlap another: what `mplint lint --fix` applies in one pass."""
    fixes = non_overlapping([fix for f in findings for fix in f.fixes[:1] if fix.safe])
    if not fixes:
        return None
    edits = [edit for fix in fixes for edit in fix.edits]
    return lsp.CodeAction(
        title="Fix all safe mplint findings", kind=FIX_ALL, edit=workspace_edit(edits, uri_of, versions)
    )


# -- suppressions -------------------------------------------------------------------------------------------


def comment_mark(path: str) -> str | None:
    """How a comment starts in the file, or None where none can be written (JSON)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".iql":
        return "--"
    if suffix in (".yml", ".yaml"):
        return "#"
    return None


def disable_line(finding: Finding, lines: list[str], in_block_scalar: bool) -> Fix | None:
    """`# mplint: disable=ID` at the end of the finding's line, or added to the comment already there.
    None inside a YAML block scalar, where a comment would become part of the text."""
    mark = comment_mark(finding.span.path)
    line = finding.span.line
    if mark is None or in_block_scalar or not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    found = INLINE_RE.search(text)
    path = finding.span.path
    if found is not None and not found.group("file"):
        end = _utf16_len(text[: found.end("ids")]) + 1
        edit = Edit(Span(path, line, end, line, end), f",{finding.rule_id}")
    else:
        end = _utf16_len(text.rstrip()) + 1
        edit = Edit(Span(path, line, end, line, _utf16_len(text) + 1), f"  {mark} mplint: disable={finding.rule_id}")
    return Fix(f"Disable {finding.rule_id} for this line", (edit,), safe=False)


def disable_file(finding: Finding, lines: list[str]) -> Fix | None:
    """`# mplint: disable-file=ID` as the file's first line (after a shebang or YAML directive)."""
    mark = comment_mark(finding.span.path)
    if mark is None:
        return None
    title = f"Disable {finding.rule_id} for this file"
    for number, text in enumerate(lines, start=1):
        found = INLINE_RE.search(text)
        if found is not None and found.group("file"):  # one comment for the file: add the id to it
            end = _utf16_len(text[: found.end("ids")]) + 1
            edit = Edit(Span(finding.span.path, number, end, number, end), f",{finding.rule_id}")
            return Fix(title, (edit,), safe=False)
    at = 1
    while at <= len(lines) and lines[at - 1].startswith(("#!", "%")):
        at += 1
    edit = Edit(Span(finding.span.path, at, 1, at, 1), f"{mark} mplint: disable-file={finding.rule_id}\n")
    return Fix(title, (edit,), safe=False)


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def suppress_actions(
    finding: Finding,
    diag: lsp.Diagnostic,
    lines: list[str],
    in_block_scalar: bool,
    uri_of: UriOf,
    versions: dict[str, int],
) -> list[lsp.CodeAction]:
    fixes = [disable_line(finding, lines, in_block_scalar), disable_file(finding, lines)]
    return [
        lsp.CodeAction(
            title=fix.title,
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diag],
            edit=workspace_edit(fix.edits, uri_of, versions),
        )
        for fix in fixes
        if fix is not None
    ]
