"""A GitHub Actions job summary (markdown for `$GITHUB_STEP_SUMMARY`): counts per level and rule, the first findings
with links to their lines, and what was linted.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions#adding-a-job-summary
"""

from __future__ import annotations

import html
from collections import Counter
from urllib.parse import quote

from mplint.engine import Result
from mplint.findings import Finding, Level
from mplint.report.sarif import rule_help_uri
from mplint.source import SourceFile

MAX_ROWS = 50  # findings listed in the table, errors first; GitHub caps a step's summary at 1 MiB
MAX_MESSAGE = 300
ICONS = {Level.ERROR: ":x:", Level.WARNING: ":warning:", Level.NOTE: ":information_source:"}
MANIFEST_NAMES = ("stackql_manifest.yml", "stackql_manifest.yaml")


def cell(text: str, limit: int = MAX_MESSAGE) -> str:
    """Text for a table cell: one line, `|` escaped, HTML inert, cut at a word."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return html.escape(text, quote=False).replace("|", "\\|")


def line_link(finding: Finding, links: dict | None) -> str:
    """`path:line:col`, linked to the line at the commit when the run knows its repository (GITHUB_* variables)."""
    span = finding.span
    where = f"{span.path}:{span.line}:{span.col}"
    if not links or span.path.startswith("/"):
        return f"`{cell(where)}`"
    url = f"{links['server']}/{links['repository']}/blob/{links['sha']}/{quote(span.path)}#L{span.line}"
    if span.end_line > span.line:
        url += f"-L{span.end_line}"
    return f"[{cell(where)}]({url})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(result: Result, files: int) -> str:
    counts = Counter(f.level or Level.WARNING for f in result.findings)
    parts = [f"{ICONS[level]} {_plural(counts[level], level.value)}" for level in Level if counts[level]]
    found = ", ".join(parts) if parts else ":white_check_mark: no findings"
    return f"## mplint: {found} in {_plural(files, 'file')}"


def by_rule(result: Result) -> list[str]:
    counts = Counter((f.rule_id, f.level or Level.WARNING) for f in result.findings)
    if not counts:
        return []
    out = ["| rule | level | findings |", "|---|---|---:|"]
    for (rule_id, level), count in sorted(counts.items(), key=lambda item: (-item[0][1].rank, item[0][0])):
        rule = result.rules.get(rule_id)
        name = f"[{rule_id}]({rule_help_uri(rule)}) {cell(rule.name)}" if rule else rule_id
        out.append(f"| {name} | {level.value} | {count} |")
    return out


def table(result: Result, links: dict | None) -> list[str]:
    # the most serious first, in file order within a level
    findings = sorted(result.findings, key=lambda f: -(f.level or Level.WARNING).rank)
    if not findings:
        return []
    shown = findings[:MAX_ROWS]
    title = "### Findings" if len(shown) == len(findings) else f"### The first {len(shown)} of {len(findings)} findings"
    out = [title, "", "| where | rule | level | message |", "|---|---|---|---|"]
    for finding in shown:
        level = (finding.level or Level.WARNING).value
        out.append(f"| {line_link(finding, links)} | {finding.rule_id} | {level} | {cell(finding.message)} |")
    if len(shown) < len(findings):
        out += ["", f"{len(findings) - len(shown)} more are not listed here: see the SARIF report or the step's log."]
    return out


def linted(sources: dict[str, SourceFile], options: dict) -> list[str]:
    """What was read, from the paths of the files: manifests (one a stack), query files, and the rest (policies)."""
    paths = sorted(sources)
    manifests = [p for p in paths if p.rsplit("/", 1)[-1] in MANIFEST_NAMES]
    queries = [p for p in paths if p.lower().endswith(".iql")]
    others = [p for p in paths if p not in manifests and p not in queries]
    stacks = sorted({p.rsplit("/", 1)[0] if "/" in p else "." for p in manifests})
    out = ["### What was linted", ""]
    out.append(f"- {_plural(len(stacks), 'stack')}{_names(stacks)}, with {_plural(len(queries), 'query file')}")
    if others:
        out.append(f"- {_plural(len(others), 'other file')} (policies, suppressions){_names(others)}")
    if options.get("commands"):
        out.append(f"- permissions checked for: {', '.join(options['commands'])}")
    if options.get("fail_level"):
        out.append(f"- fails at: {options['fail_level']}")
    return out


def _names(names: list[str], limit: int = 10) -> str:
    if not names:
        return ""
    listed = ", ".join(f"`{cell(n, 120)}`" for n in names[:limit])
    return f": {listed}" + (f" and {len(names) - limit} more" if len(names) > limit else "")


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    """Options: `files`, `links` ({server, repository, sha}, or None), `commands`, `fail_level`."""
    out = [headline(result, options.get("files", len(sources))), ""]
    rules = by_rule(result)
    if rules:
        out += [*rules, ""]
    rows = table(result, options.get("links"))
    if rows:
        out += [*rows, ""]
    notes = []
    if result.suppressed:
        notes.append(f"{_plural(len(result.suppressed), 'suppressed finding')} not shown.")
    if result.notifications:
        notes.append(f"{_plural(len(result.notifications), 'tool notification')}: see the job log.")
    if notes:
        out += ["> " + " ".join(notes), ""]
    out += linted(sources, options)
    return "\n".join(out) + "\n"
