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
# GitHub shows at most 10 annotations of each level per step (and 50 per job); the rest are dropped silently
PER_LEVEL = 10


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


def capped(annotations: list[tuple[Level, str]], limit: int = PER_LEVEL) -> list[str]:
    """At most ``limit`` annotations of a level: when there are more, the first ``limit - 1`` and one that says how
    many more there are and where to see them, so that the last one GitHub shows is not silently the last."""
    counts = Counter(level for level, _ in annotations)
    shown: Counter[Level] = Counter()
    out: list[str] = []
    for level, line in annotations:
        if counts[level] <= limit or shown[level] < limit - 1:
            out.append(line)
            shown[level] += 1
    for level in Level:
        hidden = counts[level] - shown[level]
        if hidden:
            word = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "note"}[level]
            message = (
                f"{hidden} more {word}{'s' if hidden != 1 else ''} than GitHub shows as annotations ({limit} per "
                "level and step): the job summary lists the most serious, the SARIF report and mplint's text "
                "output every finding."
            )
            out.append(command(COMMANDS[level], {"title": f"mplint: {hidden} more"}, message))
    return out


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    annotations = [(f.level or Level.WARNING, annotation(f, result.rules.get(f.rule_id))) for f in result.findings]
    for note in result.notifications:
        props = {"file": note.span.path, "line": note.span.line} if note.span else {}
        annotations.append((note.level, command(COMMANDS[note.level], {**props, "title": "mplint"}, note.message)))
    out = capped(annotations)
    out.append(summary(result, options.get("files", 0)))
    return "\n".join(out) + "\n"
