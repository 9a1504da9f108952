"""Findings as diagnostics and code actions: positions, disable comments, fix-all."""

from __future__ import annotations

from mplint.findings import Edit, Finding, Fix, Related, Span
from mplint.fix import apply_fixes
from mplint.lsp import convert
from mplint.registry import builtin_rules


def finding(path: str, line: int, rule: str = "MPL203", fixes: tuple = ()) -> Finding:
    return Finding(rule, "m", Span(path, line, 16, line, 23), related=(Related(Span("q.iql", 2, 1, 2, 5), "r"),),
                   fixes=fixes)  # fmt: skip


def test_a_diagnostic_is_the_span_shifted_by_one_with_its_rule() -> None:
    diag = convert.diagnostic(finding("m.yml", 23), builtin_rules()["MPL203"], lambda p: f"file:///{p}")
    assert (diag.range.start.line, diag.range.start.character, diag.range.end.character) == (22, 15, 22)
    assert diag.code == "MPL203" and diag.code_description.href.endswith("/docs/rules/MPL203.md")
    assert diag.related_information[0].location.uri == "file:///q.iql" and diag.tags is None


def test_disable_for_a_line_appends_or_extends_the_comment() -> None:
    lines = ["        value: Approve", "        value: Approve  # mplint: disable=MPL204 owner asked"]
    fix = convert.disable_line(finding("m.yml", 1), lines, in_block_scalar=False)
    assert apply_fixes("\n".join(lines), [fix])[0].split("\n")[0] == "        value: Approve  # mplint: disable=MPL203"
    fix = convert.disable_line(finding("m.yml", 2), lines, in_block_scalar=False)
    second = apply_fixes("\n".join(lines), [fix])[0].split("\n")[1]
    assert second == "        value: Approve  # mplint: disable=MPL204,MPL203 owner asked"
    iql = convert.disable_line(finding("q.iql", 1), ["SELECT 'Approve'"], in_block_scalar=False)
    assert iql.edits[0].text == "  -- mplint: disable=MPL203"
    assert convert.disable_line(finding("p.json", 1), ['{"a": 1}'], in_block_scalar=False) is None
    assert convert.disable_line(finding("m.yml", 1), lines, in_block_scalar=True) is None


def test_disable_for_a_file_goes_first_or_joins_the_comment_there() -> None:
    text = "version: 1\nname: x\n"
    fix = convert.disable_file(finding("m.yml", 2), text.split("\n"))
    assert apply_fixes(text, [fix])[0] == "# mplint: disable-file=MPL203\nversion: 1\nname: x\n"
    text = "# mplint: disable-file=MPL115\nversion: 1\n"
    fix = convert.disable_file(finding("m.yml", 2), text.split("\n"))
    assert apply_fixes(text, [fix])[0] == "# mplint: disable-file=MPL115,MPL203\nversion: 1\n"


def test_fix_all_takes_each_findings_first_safe_fix_without_overlaps() -> None:
    one = Fix("a", (Edit(Span("m.yml", 1, 1, 1, 3), "X"),))
    two = Fix("b", (Edit(Span("m.yml", 1, 2, 1, 4), "Y"),))
    unsafe = Fix("c", (Edit(Span("m.yml", 2, 1, 2, 2), "Z"),), safe=False)
    action = convert.fix_all_action(
        [finding("m.yml", 1, fixes=(one,)), finding("m.yml", 1, fixes=(two,)), finding("m.yml", 2, fixes=(unsafe,))],
        lambda p: f"file:///{p}",
        {"file:///m.yml": 4},
    )
    (change,) = action.edit.document_changes
    assert change.text_document.version == 4 and [e.new_text for e in change.edits] == ["X"]
