"""GitLab Code Quality: a JSON array of issues for `artifacts:reports:codequality`, shown in merge requests.

GitLab reads description, check_name, fingerprint, severity, location.path and location.lines.begin
(docs.gitlab.com/ci/testing/code_quality/, "Code Quality report format"); `type`, `categories` and
`engine_name` make each issue a Code Climate issue too. The fingerprint is mplint's own (rule, path, key path,
normalised line, message; never the line number), so an issue keeps its identity when lines move.
"""

from __future__ import annotations

import json

from mplint.engine import Result
from mplint.findings import Finding, Level
from mplint.registry import Rule
from mplint.report import fingerprints
from mplint.report.sarif import is_security_rule
from mplint.source import SourceFile

SEVERITIES = {Level.ERROR: "major", Level.WARNING: "minor", Level.NOTE: "info"}


def issue(finding: Finding, rule: Rule | None, print_: str) -> dict:
    span = finding.span
    lines = {"begin": span.line} if span.end_line <= span.line else {"begin": span.line, "end": span.end_line}
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": f"{finding.rule_id} {' '.join(finding.message.split())}",
        "categories": ["Security"] if rule and is_security_rule(rule) else ["Bug Risk"],
        "severity": SEVERITIES[finding.level or Level.WARNING],
        "fingerprint": print_,
        "location": {"path": span.path, "lines": lines},
        "engine_name": "mplint",
    }


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    """Every finding; suppressed ones are not issues (they count in the fingerprints, as in SARIF and JSON)."""
    prints = fingerprints([*result.findings, *(f for f, _ in result.suppressed)], sources)
    found = zip(result.findings, prints[: len(result.findings)], strict=True)
    issues = [issue(f, result.rules.get(f.rule_id), p) for f, p in found]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
