"""SARIF 2.1.0 output for CI, GitHub code scanning and editors (see docs/editors.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from mplint import HOMEPAGE, __version__
from mplint.ci_env import azure_automation_details
from mplint.engine import Result
from mplint.findings import Finding, Fix, Level, Notification, Span
from mplint.registry import Rule, builtin_rules_dir
from mplint.report import FINGERPRINT_KEY, fingerprints
from mplint.source import SourceFile

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
SRCROOT_TEXT = "The folder mplint was run from (the repository root)."
MAX_DESCRIPTION = 1024
MAX_TAGS = 20
MAX_RESULTS = 25_000  # GitHub code scanning's limit for one run
PRECISIONS = ("very-high", "high", "medium", "low")
SECURITY_RANGES = ("MPL3", "MPL4")  # permissions and policy hygiene
# GitHub maps security-severity to critical > 9.0, high ≥ 7.0, medium ≥ 4.0, low; used when a rule gives none.
DEFAULT_SECURITY_SEVERITY = {Level.ERROR: "7.5", Level.WARNING: "5.0", Level.NOTE: "2.0"}
# CodeQL's `problem.severity`, which converters (GitLab, SonarQube, sarif-tools) read for a rule's severity
PROBLEM_SEVERITY = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "recommendation"}
FULL_NAME = "mplint {version}: policy and permissions linter for stackql-deploy stacks"
_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[/\\]")


def rule_help_uri(rule: Rule) -> str:
    """The rule's generated page; user rules (outside the built-in folder) point at the index."""
    if rule.path is not None and rule.path.parent.resolve() != builtin_rules_dir().resolve():
        return f"{HOMEPAGE}/blob/main/docs/rules/README.md"
    return f"{HOMEPAGE}/blob/main/docs/rules/{rule.id}.md"


def is_security_rule(rule: Rule) -> bool:
    return rule.id.startswith(SECURITY_RANGES) or "security" in rule.tags or rule.security_severity is not None


def security_severity(rule: Rule) -> str:
    """The rule's `security_severity` as GitHub wants it (a number 0.1-10.0, as a string), else a default by level."""
    try:
        value = float(rule.security_severity) if rule.security_severity is not None else None
    except ValueError:
        value = None
    if value is None or not 0.1 <= value <= 10.0:
        return DEFAULT_SECURITY_SEVERITY[rule.level]
    return f"{value:.1f}"


def rule_tags(rule: Rule) -> list[str]:
    tags = list(dict.fromkeys(t for t in rule.tags if t.strip()))
    if is_security_rule(rule) and "security" not in tags:
        tags.insert(0, "security")
    return tags[:MAX_TAGS]


def sentence(text: str) -> str:
    """One line ending in a full stop, as SARIF messages should be."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def linked_message(finding: Finding) -> str:
    """The message, with an embedded link `[text](id)` to each related location: GitHub shows related locations
    only through such links. The text carries no markdown escapes (converters print them literally): brackets in a
    link's label become parentheses, and a message that itself looks like a link `[..](..)` gets no links."""
    text = sentence(finding.message)
    if not finding.related or _LINK_LIKE.search(text):
        return text
    links = "; ".join(f"[{_label(rel.message)}]({i})" for i, rel in enumerate(finding.related, 1))
    return f"{text.removesuffix('.')} (see {links})."


_LINK_LIKE = re.compile(r"\[[^\]]*\]\(")


def _label(text: str) -> str:
    return " ".join(text.split()).replace("[", "(").replace("]", ")")


def full_description(rule: Rule) -> str:
    """The help's first paragraph on one line, cut at a word to fit GitHub's 1024 characters."""
    text = " ".join(rule.help.split("\n\n")[0].split()) or rule.summary
    if len(text) <= MAX_DESCRIPTION:
        return text
    return text[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"


def _rule(rule: Rule) -> dict:
    precision = rule.precision if rule.precision in PRECISIONS else "high"
    properties: dict = {
        "tags": rule_tags(rule),
        "precision": precision,
        "problem.severity": PROBLEM_SEVERITY[rule.level],
    }
    if is_security_rule(rule):
        properties["security-severity"] = security_severity(rule)
    help_uri = rule_help_uri(rule)
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": sentence(rule.summary)},
        "fullDescription": {"text": full_description(rule)},
        "help": {"text": rule.help, "markdown": f"{rule.help}\n\n[{rule.id} {rule.name}]({help_uri})"},
        "helpUri": help_uri,
        "defaultConfiguration": {"level": rule.level.value},
        "properties": properties,
    }


def artifact_location(path: str) -> dict:
    """A relative path under %SRCROOT% (forward slashes, percent-encoded), or an absolute file URI."""
    if path.startswith("/"):
        return {"uri": PurePosixPath(path).as_uri()}
    if _WINDOWS_ABS.match(path):
        return {"uri": PureWindowsPath(path).as_uri()}
    return {"uri": quote(path.replace("\\", "/")), "uriBaseId": SRCROOT}


def region(span: Span) -> dict:
    return {"startLine": span.line, "startColumn": span.col, "endLine": span.end_line, "endColumn": span.end_col}


def location(span: Span) -> dict:
    return {"physicalLocation": {"artifactLocation": artifact_location(span.path), "region": region(span)}}


def _result(finding: Finding, index: dict[str, int], print_: str) -> dict:
    out: dict = {"ruleId": finding.rule_id}
    if finding.rule_id in index:
        out["ruleIndex"] = index[finding.rule_id]
    out |= {
        "level": (finding.level or Level.WARNING).value,
        "message": {"text": linked_message(finding)},
        "locations": [location(finding.span)],
        "partialFingerprints": {FINGERPRINT_KEY: print_},
    }
    if finding.related:
        out["relatedLocations"] = [
            {"id": i, **location(rel.span), "message": {"text": sentence(rel.message)}}
            for i, rel in enumerate(finding.related, 1)
        ]
    if finding.fixes:
        out["fixes"] = [_fix(fix) for fix in finding.fixes]
    return out


def _fix(fix: Fix) -> dict:
    """A fix as SARIF writes one: per file, the regions to replace and the text that goes in."""
    changes: dict[str, list[dict]] = {}
    for edit in fix.edits:
        replacement = {"deletedRegion": region(edit.span), "insertedContent": {"text": edit.text}}
        changes.setdefault(edit.span.path, []).append(replacement)
    return {
        "description": {"text": sentence(fix.title)},
        "artifactChanges": [
            {"artifactLocation": artifact_location(path), "replacements": replacements}
            for path, replacements in changes.items()
        ],
        "properties": {"safe": fix.safe},
    }


def base_ids(base: Path | None) -> dict:
    """%SRCROOT%, with the folder's URI when known, so that a viewer resolves the relative paths."""
    entry: dict = {"description": {"text": SRCROOT_TEXT}}
    if base is not None:
        entry = {"uri": base.resolve().as_uri().rstrip("/") + "/", **entry}
    return {SRCROOT: entry}


def _results(result: Result, sources: dict[str, SourceFile], index: dict[str, int], suppressed: bool) -> list[dict]:
    """Every finding; suppressed ones too (with `suppressions`) only when asked: GitHub code scanning does not
    document `suppressions`, and uploaded suppressed results may open alerts."""
    found = [(f, None) for f in result.findings] + list(result.suppressed)
    prints = fingerprints((f for f, _ in found), sources)  # over all, so that a fingerprint never depends on the option
    out: list[dict] = []
    for (finding, reason), print_ in zip(found, prints, strict=True):
        if reason is not None and not suppressed:
            continue
        entry = _result(finding, index, print_)
        if reason is not None:
            kind = "inSource" if reason == "inline comment" else "external"
            entry["suppressions"] = [{"kind": kind, "justification": reason}]
        out.append(entry)
    return out


def automation_id(category: str) -> str:
    """`automationDetails.id` for a category, ending in `/` as upload-sarif writes it: GitHub takes everything up to
    the last `/` as the category, so `mplint/stacks` alone would be category `mplint/` with run `stacks`."""
    return category if category.endswith("/") else category + "/"


def _notification(note: Notification) -> dict:
    level = "error" if note.crash else note.level.value
    out: dict = {"level": level, "message": {"text": sentence(note.message)}}
    if note.span:
        out["locations"] = [location(note.span)]
    return out


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    """Options: `category` (automationDetails.id), `sarif_suppressed` ("omit", the default, or "include"),
    `azure_pipeline` (mplint.ci_env.azure_pipeline: automationDetails for Azure DevOps)."""
    rules = list(result.rules.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    suppressed = options.get("sarif_suppressed", "omit") == "include"
    results = _results(result, sources, index, suppressed)
    notifications = [_notification(n) for n in result.notifications]
    if len(results) > MAX_RESULTS:
        cut = Notification(f"only the first {MAX_RESULTS} of {len(results)} results are written")
        notifications.append(_notification(cut))
        results = results[:MAX_RESULTS]
    run: dict = {
        "tool": {
            "driver": {
                "name": "mplint",
                "fullName": FULL_NAME.format(version=__version__),
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [_rule(r) for r in rules],
            }
        },
        "originalUriBaseIds": base_ids(options.get("base")),
        "columnKind": "utf16CodeUnits",
        "results": results,
    }
    if notifications:
        run["invocations"] = [{"executionSuccessful": not result.crashed, "toolExecutionNotifications": notifications}]
    if options.get("azure_pipeline"):  # Azure DevOps files the analysis under its build, whatever the category
        run["automationDetails"] = azure_automation_details(options["azure_pipeline"])
    elif options.get("category"):
        run["automationDetails"] = {"id": automation_id(options["category"])}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
