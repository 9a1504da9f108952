"""SARIF 2.1.0 output for CI, GitHub code scanning and editors."""

from __future__ import annotations

import json
from urllib.parse import quote

from mplint import HOMEPAGE, __version__
from mplint.engine import Result
from mplint.findings import Finding, Span
from mplint.report import fingerprint
from mplint.rules import Rule
from mplint.source import SourceFile

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def rule_help_uri(rule: Rule) -> str:
    return f"{HOMEPAGE}/blob/main/docs/rules/{rule.id}.md"


def _rule(rule: Rule) -> dict:
    properties: dict = {"tags": list(rule.tags)[:20], "precision": rule.precision}
    if rule.security_severity:
        properties["security-severity"] = rule.security_severity
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.help.split("\n\n")[0][:1024]},
        "help": {"text": rule.help, "markdown": rule.help},
        "helpUri": rule_help_uri(rule),
        "defaultConfiguration": {"level": rule.level.value},
        "properties": properties,
    }


def _location(span: Span) -> dict:
    artifact: dict = {"uri": quote(span.path)}
    if span.path.startswith("/"):
        artifact = {"uri": "file://" + quote(span.path)}
    else:
        artifact["uriBaseId"] = SRCROOT
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": span.line, "startColumn": span.col, "endLine": span.end_line, "endColumn": span.end_col},
        }
    }


def _result(finding: Finding, index: dict[str, int], sources: dict[str, SourceFile]) -> dict:
    out: dict = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": finding.level.value if finding.level else "warning",
        "message": {"text": finding.message},
        "locations": [_location(finding.span)],
        "partialFingerprints": {"mplint/v1": fingerprint(finding, sources)},
    }
    if finding.related:
        out["relatedLocations"] = [
            {"id": i, **_location(rel.span), "message": {"text": rel.message}} for i, rel in enumerate(finding.related, 1)
        ]
    return out


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    rules = list(result.rules.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [_result(f, index, sources) for f in result.findings]
    for finding, reason in result.suppressed:
        entry = _result(finding, index, sources)
        entry["suppressions"] = [{"kind": "inSource" if reason == "inline comment" else "external", "justification": reason}]
        results.append(entry)
    run: dict = {
        "tool": {
            "driver": {
                "name": "mplint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [_rule(r) for r in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The folder mplint was run from (the repository root)."}}},
        "columnKind": "utf16CodeUnits",
        "results": results,
    }
    if result.notifications:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": n.level.value, "message": {"text": n.message}, **({"locations": [_location(n.span)]} if n.span else {})}
                    for n in result.notifications
                ],
            }
        ]
    if options.get("category"):
        run["automationDetails"] = {"id": options["category"]}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
