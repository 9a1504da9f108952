"""`--format github`: workflow-command annotations with GitHub's escaping."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from mplint.engine import Result
from mplint.findings import Finding, Level, Notification, Related, Span
from mplint.registry import builtin_rules
from mplint.report.github import escape_data, escape_property, render
from tests.conftest import ROOT

# ::command key=value,key=value::message, with no raw separator left inside a value or the message
COMMAND_RE = re.compile(r"^::(error|warning|notice)(?: ((?:\w+=[^:,\r\n]*)(?:,\w+=[^:,\r\n]*)*))?::([^\r\n]*)$")


def _render(*findings: Finding, notes: tuple[Notification, ...] = ()) -> list[str]:
    result = Result(findings=list(findings), notifications=list(notes), rules=builtin_rules())
    return render(result, {}, {"files": 1}).splitlines()


def _properties(line: str) -> dict[str, str]:
    match = COMMAND_RE.match(line)
    assert match, line
    return dict(part.split("=", 1) for part in match.group(2).split(","))


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"


def test_one_annotation_a_finding_with_rule_title() -> None:
    span = Span("stacks/a/stackql_manifest.yml", 18, 9, 18, 27)
    finding = Finding("MPL201", "unknown property `Foo`", span, Level.ERROR)
    first, summary = _render(finding)
    assert first == (
        "::error file=stacks/a/stackql_manifest.yml,line=18,col=9,endLine=18,endColumn=27,"
        "title=MPL201 unknown-property::unknown property `Foo`"
    )
    assert summary == "mplint: 1 error in 1 file."


def test_special_characters_are_escaped_in_properties_and_message() -> None:
    span = Span("odd,dir/with:colon%/m.yml", 2, 1, 4, 3)
    finding = Finding("MPL202", "50% wrong:\nvalue, really", span, Level.WARNING, (Related(span, "set here"),))
    line = _render(finding)[0]
    props = _properties(line)
    assert props["file"] == "odd%2Cdir/with%3Acolon%25/m.yml"
    assert "col" not in props and props["endLine"] == "4"  # GitHub ignores columns across lines
    assert line.startswith("::warning ")
    assert line.endswith("::50%25 wrong:%0Avalue, really%0Aodd,dir/with:colon%25/m.yml:2:1: set here")


def test_notes_become_notices_and_notifications_are_annotated() -> None:
    finding = Finding("MPL208", "write-only", Span("m.yml", 1, 1, 1, 2), Level.NOTE)
    lines = _render(finding, notes=(Notification("check x failed", Level.WARNING),))
    assert lines[0].startswith("::notice file=m.yml,")
    assert lines[1] == "::warning title=mplint::check x failed"
    assert all(COMMAND_RE.match(line) for line in lines[:-1])


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.usefixtures("in_root")
def test_cli_format_github() -> None:
    result = CliRunner().invoke(app, ["lint", "--format", "github", "fixtures/seed"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::notice file=fixtures/seed/stackql_manifest.yml,line=5,")  # MPL160, unpinned aws
    assert lines[1].startswith("::error file=fixtures/seed/stackql_manifest.yml,line=")
    assert all(COMMAND_RE.match(line) for line in lines[:-1]), lines
    assert lines[-1].startswith("mplint: ")


@pytest.mark.usefixtures("in_root")
def test_cli_format_github_clean() -> None:
    result = CliRunner().invoke(app, ["lint", "-f", "github", "fixtures/valid/model-package-stack"])
    assert result.exit_code == 0 and result.stdout == "mplint: no findings in 2 files.\n"
