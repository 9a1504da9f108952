"""The rule engine: runs each enabled rule's check once, then levels, suppressions, de-duplication and order."""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from mplint.checks.declarative import check_rule
from mplint.context import Context
from mplint.findings import Finding, Level, Notification
from mplint.registry import Rule
from mplint.source import SourceFile
from mplint.suppress import Suppressions

Check = Callable[[Context], Iterable[Finding | Notification]]
SUPPRESS_RE = re.compile(r"(?:#|--)\s*mplint:\s*disable=([A-Za-z0-9_, ]+)")


@dataclass(slots=True)
class Result:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, reason)
    notifications: list[Notification] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)


def resolve_check(entry: str) -> Check:
    module, _, func = entry.partition(":")
    return getattr(importlib.import_module(module), func or "check")


def run(ctx: Context, rules: dict[str, Rule], external: Suppressions | None = None) -> Result:
    config = ctx.config
    enabled = {rid: rule for rid, rule in rules.items() if config.enabled(rid)}
    result = Result(rules=rules)
    checks = sorted({rule.check for rule in enabled.values() if rule.check})
    raw: list[Finding] = []
    for entry in checks:
        _collect(f"check {entry}", lambda entry=entry: resolve_check(entry)(ctx), raw, result)
    for rule in enabled.values():
        if "declarative" in rule.extra:  # a rule as data: one run of its own
            _collect(f"rule {rule.id}", lambda rule=rule: check_rule(ctx, rule), raw, result)
    today = datetime.date.today()
    external = external or Suppressions()
    raw.extend(external.expired(today))
    suppressed_outside = external.matcher(ctx.project, today)
    suppressions = _inline_suppressions(ctx.project.sources)
    seen: set[tuple] = set()
    for finding in sorted(raw, key=Finding.sort_key):
        rule = enabled.get(finding.rule_id)
        if rule is None:
            continue
        key = (finding.rule_id, finding.span, finding.message)
        if key in seen:
            continue
        seen.add(key)
        finding = replace(finding, level=config.levels.get(finding.rule_id) or finding.level or rule.level)
        reason = _suppressed(finding, suppressions) or suppressed_outside(finding)
        if reason is not None:
            result.suppressed.append((finding, reason))
        else:
            result.findings.append(finding)
    return result


def _collect(label: str, produce: Callable[[], Iterable[Finding | Notification]], raw: list, result: Result) -> None:
    try:
        for item in produce():
            if isinstance(item, Notification):  # a tool event (a crash inside parliament, ...), not a finding
                result.notifications.append(item)
            else:
                raw.append(item)
    except Exception as exc:  # a broken check must not lose the run
        result.notifications.append(Notification(f"{label} failed: {type(exc).__name__}: {exc}"))


def _inline_suppressions(sources: dict[str, SourceFile]) -> dict[str, dict[int, set[str]]]:
    """path -> line -> rule ids disabled there. A comment alone on its line applies to the next line."""
    out: dict[str, dict[int, set[str]]] = {}
    for path, source in sources.items():
        if "mplint:" not in source.text:
            continue
        lines: dict[int, set[str]] = {}
        for number, text in enumerate(source.lines, start=1):
            match = SUPPRESS_RE.search(text)
            if not match:
                continue
            ids = {part.strip().upper() for part in match.group(1).split(",") if part.strip()}
            alone = text.lstrip().startswith(("#", "--"))
            lines.setdefault(number + 1 if alone else number, set()).update(ids)
        out[path] = lines
    return out


def _suppressed(finding: Finding, suppressions: dict[str, dict[int, set[str]]]) -> str | None:
    ids = suppressions.get(finding.span.path, {}).get(finding.span.line)
    if ids and (finding.rule_id in ids or "ALL" in ids):
        return "inline comment"
    return None


def fails(result: Result, fail_level: Level) -> bool:
    return any(f.level is not None and f.level.at_least(fail_level) for f in result.findings)
