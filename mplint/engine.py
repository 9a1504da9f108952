"""The rule engine: runs every check module that owns an enabled rule, once per stack, per policy and per run,
each call in its own guard; then levels, suppressions, de-duplication and order.

A check module declares the ids it emits (`R = owns(__name__, ...)`) and defines any of
`check_stack(ctx, stack)`, `check_policy(ctx, policy)` and `check_project(ctx)`. A call that raises costs
that one stack or policy a tool notification, never the other files' findings; a finding whose id the
module does not own is a tool notification too, never silently dropped.
"""

from __future__ import annotations

import heapq
import importlib
from collections.abc import Callable, Container, Iterable
from typing import TYPE_CHECKING

from msgspec import Struct, field
from msgspec.structs import replace

from mplint.findings import Finding, Level, Notification, Span
from mplint.hooks import HOOKS, may_apply
from mplint.registry import OWNERS, Rule
from mplint.share import Share
from mplint.suppress import FILE_WIDE, inline_index

if TYPE_CHECKING:
    from mplint.context import Context
    from mplint.model.policy import PolicyFile

Produce = Callable[[], Iterable[Finding | Notification]]


class Result(Struct):
    """What a run found: findings, suppressed findings with their reasons, notifications, the rules."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, reason)
    notifications: list[Notification] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def crashed(self) -> list[Notification]:
        """The notifications of checks that failed: a run with any is not a clean run."""
        return [n for n in self.notifications if n.crash]


def run(ctx: Context, rules: dict[str, Rule], skip: frozenset[str] = frozenset()) -> Result:
    """Run the enabled rules; the check modules in ``skip`` are left out (a language server runs the slow
    ones after publishing the rest)."""
    selection = ctx.selection
    enabled = {rid: rule for rid, rule in rules.items() if selection is None or rid in selection.enabled}
    result = Result(rules=rules)
    raw = Pool(ctx.project.config.limits.findings_per_rule, enabled)
    stacks, policies = bool(ctx.project.stacks), any(_reported(ctx, p) for p in ctx.project.policies)
    for module in sorted({name for rule in enabled.values() for name in rule.checks} - skip):
        if may_apply(module, stacks, policies):  # else not even imported: it has nothing to check here
            _run_module(ctx, module, raw, result)
    for rule in enabled.values():
        if "declarative" in rule.extra:  # a rule as data: one run of its own, emitting its own id
            from mplint.checks.declarative import check_rule

            owned = frozenset({rule.id})
            _collect(f"rule {rule.id}", owned, None, lambda rule=rule: check_rule(ctx, rule), raw, result, ctx.share)
    _settle(ctx, raw, enabled, result)
    result.notifications = ordered_notifications(result.notifications)
    return result


def _run_module(ctx: Context, name: str, raw: Pool, result: Result) -> None:
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        result.notifications.append(Notification(f"check {name} cannot load: {_cause(exc)}", crash=True))
        return
    owner = OWNERS.get(name)
    owned = owner.ids if owner is not None else frozenset()
    project = ctx.project
    share = ctx.share
    units: dict[str, list] = {
        "check_stack": [(s, Span.point(s.path)) for s in project.stacks],
        "check_policy": [(p, p.document.span) for p in project.policies if _reported(ctx, p)],
        "check_project": [(None, None)],
    }
    for hook in HOOKS:
        call = getattr(module, hook, None)
        if call is None:
            continue
        for unit, span in units[hook]:
            produce = (lambda call=call: call(ctx)) if unit is None else (lambda call=call, unit=unit: call(ctx, unit))
            _collect(f"check {name}", owned, span, produce, raw, result, share)


def _reported(ctx: Context, policy: PolicyFile) -> bool:
    return ctx.share is None or ctx.share.reports(policy.name)


def _collect(
    label: str,
    owned: frozenset[str],
    span: Span | None,
    produce: Produce,
    raw: Pool,
    result: Result,
    share: Share | None = None,
) -> None:
    """Run one check call; what it yields before a failure is kept, the failure becomes a notification.
    With a ``share``, what belongs to another run of the part is left to that run."""
    try:
        for item in produce():
            if not _ours(item, share):
                continue
            if isinstance(item, Notification):  # a tool event (a crash inside parliament, ...), not a finding
                result.notifications.append(item)
            elif item.rule_id in owned:
                raw.add(item)
            else:
                message = f"{label} emitted {item.rule_id}, which it does not own: {item.message}"
                result.notifications.append(Notification(message, span=item.span, crash=True))
    except Exception as exc:  # a broken check must not lose the run, nor the other files' findings
        where = f" on {span.path}" if span is not None else ""
        result.notifications.append(Notification(f"{label} failed{where}: {_cause(exc)}", span=span, crash=True))


def _ours(item: Finding | Notification, share: Share | None) -> bool:
    """Whether this run reports the item (always, unless the part is shared among several runs)."""
    return share is None or share.reports(item.span.path if item.span is not None else None)


def _cause(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


class Pool:
    """The findings of a run as they are emitted, de-duplicated, of the enabled rules only. Of each file's
    findings of one rule, the first ``cap`` in file order are kept (a bounded heap) and the rest only
    counted: a file with a million findings of one rule costs the memory of ``cap`` of them."""

    def __init__(self, cap: int, enabled: Container[str]) -> None:
        self.cap = cap
        self.enabled = enabled
        self.kept: dict[tuple[str, str], list[_Kept]] = {}  # (path, rule) -> heap, the last in order on top
        self.keys: set[tuple] = set()  # the order keys of the kept findings
        self.dropped: dict[tuple[str, str], set[int]] = {}  # hashes of the order keys of the rest
        self.emitted = 0

    def add(self, finding: Finding) -> None:
        if finding.rule_id not in self.enabled:  # the module runs for another of its rules
            return
        key = (*finding.sort_key(), finding.span.end_line, finding.span.end_col)  # same key: the same finding
        if key in self.keys:
            return
        group = (finding.span.path, finding.rule_id)
        heap = self.kept.setdefault(group, [])
        self.emitted += 1
        kept = _Kept(key, self.emitted, finding)
        if len(heap) < self.cap:
            heapq.heappush(heap, kept)
        elif key > heap[0].key:  # after every kept one (the rest all come after those): counted only
            self.dropped.setdefault(group, set()).add(hash(key))
            return
        else:
            evicted = heapq.heapreplace(heap, kept)
            self.keys.discard(evicted.key)
            self.dropped.setdefault(group, set()).add(hash(evicted.key))
        self.keys.add(key)

    def findings(self) -> list[Finding]:
        """The kept findings in file order (emission order among equals)."""
        kept = sorted((k for heap in self.kept.values() for k in heap), key=lambda k: (k.finding.sort_key(), k.seq))
        return [k.finding for k in kept]

    def counts(self) -> dict[tuple[str, str], int]:
        """How many distinct findings each (path, rule) had, kept or not."""
        return {group: len(heap) + len(self.dropped.get(group, ())) for group, heap in self.kept.items()}


class _Kept(Struct, eq=False):
    """A finding in a Pool heap, with its order key and its emission number."""

    key: tuple
    seq: int
    finding: Finding

    def __lt__(self, other: _Kept) -> bool:  # reversed: the heap's top is the last in file order
        return self.key > other.key


def _settle(ctx: Context, raw: Pool, enabled: dict[str, Rule], result: Result) -> None:
    """Levels, suppressions, the findings-per-rule limit and a stable order."""
    suppressed_outside = ctx.suppressions.matcher(ctx.project, ctx.today)
    inline = inline_index(ctx.inline_comments(), ctx.rules or enabled)
    cap = raw.cap
    for finding in raw.findings():
        rule = enabled[finding.rule_id]
        configured = ctx.selection.levels.get(finding.rule_id) if ctx.selection else None
        finding = replace(finding, level=configured or finding.level or rule.level)
        reason = _suppressed(finding, inline) or suppressed_outside(finding)
        if reason is not None:
            result.suppressed.append((finding, reason))
        else:
            result.findings.append(finding)
    for (path, rule_id), count in sorted(raw.counts().items()):
        if count > cap:
            message = (
                f"{count - cap:,} more {rule_id} findings in {path} are not listed (limit findings-per-rule: {cap:,})"
            )
            result.notifications.append(Notification(message, span=Span.point(path)))


def _suppressed(finding: Finding, index: dict[str, dict[int, dict[str, str]]]) -> str | None:
    lines = index.get(finding.span.path)
    if not lines:
        return None
    for at in (lines.get(finding.span.line), lines.get(FILE_WIDE)):  # the finding's line, then the whole file
        if at and (at.get(finding.rule_id) or at.get("ALL")):
            return at.get(finding.rule_id) or at.get("ALL")
    return None


def ordered_notifications(notes: Iterable[Notification]) -> list[Notification]:
    """Each notification once, in file order (those at no file first): the same whichever runs made them."""
    unique = dict.fromkeys(notes)
    return sorted(unique, key=lambda n: (n.span is not None, n.span or (), n.message))


def fails(result: Result, fail_level: Level) -> bool:
    return any(f.level is not None and f.level.at_least(fail_level) for f in result.findings)
