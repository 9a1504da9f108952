"""JUnit XML for CI test tabs (Jenkins, CircleCI, GitLab, Azure Pipelines): a test suite per linted file, a test
case per rule with findings in it, failing when a finding is at or above the fail level; a file without
findings has one passing case. Findings below the fail level stay in the case's `system-out`.

Validated against the Jenkins JUnit schema (tests/data/junit-10.xsd).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from mplint.engine import Result
from mplint.findings import Finding, Level
from mplint.source import SourceFile


def _line(finding: Finding) -> str:
    s = finding.span
    out = f"{s.path}:{s.line}:{s.col}: {finding.rule_id} {(finding.level or Level.WARNING).value} {finding.message}"
    for rel in finding.related:
        r = rel.span
        out += f"\n    {r.path}:{r.line}:{r.col}: {rel.message}"
    return out


def _case(suite: ET.Element, path: str, rule_id: str, findings: list[Finding], fail_level: Level | None) -> bool:
    """One rule's findings in one file; True when the case fails."""
    case = ET.SubElement(suite, "testcase", name=path, classname=f"mplint.{rule_id}", time="0")
    failing = [f for f in findings if fail_level and (f.level or Level.WARNING).at_least(fail_level)]
    if failing:
        first = " ".join(failing[0].message.split())
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        failure = ET.SubElement(case, "failure", type=rule_id, message=f"{rule_id}: {first}{more}")
        failure.text = "\n".join(_line(f) for f in findings) + "\n"
    else:
        ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in findings) + "\n"
    return bool(failing)


def render(result: Result, sources: dict[str, SourceFile], options: dict) -> str:
    """Options: `fail_level` (error, warning, note or never; default warning)."""
    level = options.get("fail_level") or "warning"
    fail_level = None if level == "never" else Level(level)
    by_file: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in result.findings:
        by_file[finding.span.path][finding.rule_id].append(finding)
    root = ET.Element("testsuites", name="mplint")
    total = failures = 0
    for path in sorted(set(sources) | set(by_file)):
        rules = by_file.get(path, {})
        suite = ET.SubElement(root, "testsuite", name=path, file=path)
        if rules:
            failed = sum(_case(suite, path, rule_id, rules[rule_id], fail_level) for rule_id in sorted(rules))
        else:
            ET.SubElement(suite, "testcase", name=path, classname="mplint", time="0")
            failed = 0
        count = max(len(rules), 1)
        suite.attrib.update(tests=str(count), failures=str(failed), errors="0", skipped="0", time="0")
        total, failures = total + count, failures + failed
    root.attrib.update(tests=str(total), failures=str(failures), errors="0", time="0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
