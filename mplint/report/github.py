"""GitHub Actions workflow commands: one `::error file=...::message` annotation a finding.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from collections import Counter

from mplint.engine import Result
from mplint.findings import Finding, Level
from mplint.registry import Rule
from mplint.source import SourceFile

COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def escape_data(text: str) -> str:
    """The message part: `%`, CR and LF are encoded (the toolkit's escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus `:` and `,` which would end the property (the toolkit's escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


def annotation(finding: Finding, rule: Rule | None) -> str:
    span = finding.span
    props: dict[str, object] = {"file": span.path, "line": span.line}
    if span.end_line == span.line:  # GitHub ignores columns on annotations that span several lines
        props |= {"col": span.col, "endLine": span.end_line, "endColumn": span.end_col}
    else:
        props["endLine"] = span.end_line
    props["title"] = f"{finding.rule_id} {rule.name}" if rule else finding.rule_id
    message = finding.message
    for rel in finding.related:
        r = rel.span
        message += f"\n{r.path}:{r.line}:{r.col}: {rel.message}"
    return command(COMMANDS[finding.level or Level.WARNING], props, message)


def summary(result: Result, files: int) -> str:
    counts = Counter((f.level or Level.WARNING) for f in result.findings)
    parts = [f"{n} {level.value}{'s' if n != 1 else ''}" for level in Level if (n := counts[level])]
    return f"mplint: {', '.join(parts) or 'no findings'} in {files} file{'s' if files != 1 else ''}."


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    out = [annotation(f, result.rules.get(f.rule_id)) for f in result.findings]
    for note in result.notifications:
        props = {"file": note.span.path, "line": note.span.line} if note.span else {}
        out.append(command(COMMANDS[note.level], {**props, "title": "mplint"}, note.message))
    out.append(summary(result, options.get("files", 0)))
    return "\n".join(out) + "\n"
