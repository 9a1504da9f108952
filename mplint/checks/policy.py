"""MPL4xx, mplint's own policy rules: each policy read is checked for its own quality.

Structure (MPL401-MPL406) comes from the policy model's `problems`; actions and resources are checked
against the bundled ActionCatalog (MPL410, MPL411, MPL413); grants (MPL420-MPL424) are judged for
identity policies only, since a boundary or an SCP that allows `*` grants nothing by itself.

The helpers named without a leading underscore are also used by `mplint.checks.parliament`, to tell
which of parliament's findings these rules already report.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache

from mplint.catalog.actions import has_wildcard
from mplint.context import Context
from mplint.findings import Finding, Notification, Related, Span
from mplint.iam.analysis import (
    ESCALATIONS,
    applicability,
    arn_problem,
    arn_segments,
    catalog,
    duplicate_sids,
    escalations,
    expand,
    invalid_sid,
    is_old_version,
    may_escalate,
    mismatched_patterns,
    universal_grant,
    unknown_action,
)
from mplint.iam.wildcard import compile_arn, compile_request_arn, match_action
from mplint.model.policy import PolicyDocument, PolicyFile, PolicyKind, Statement
from mplint.registry import owns
from mplint.wording import MAX_MESSAGE, fit

R = owns(
    __name__,
    "MPL401",
    "MPL402",
    "MPL403",
    "MPL404",
    "MPL405",
    "MPL406",
    "MPL410",
    "MPL411",
    "MPL413",
    "MPL420",
    "MPL421",
    "MPL422",
    "MPL423",
    "MPL424",
)

MALFORMED, BAD_VERSION, NO_VERSION, OLD_VERSION, DUPLICATE_SID, BAD_SID = (
    "MPL401", "MPL402", "MPL403", "MPL404", "MPL405", "MPL406",
)  # fmt: skip
UNKNOWN_ACTION, RESOURCE_MISMATCH, INVALID_ARN = "MPL410", "MPL411", "MPL413"
ALLOW_ALL, ALLOW_NOT_ACTION, PASS_ROLE_ANY, PRIVILEGE_ESCALATION, WILDCARD_ACTION = (
    "MPL420", "MPL421", "MPL422", "MPL423", "MPL424",
)  # fmt: skip

# Model problem codes that are not MPL401 (malformed policy); every other code is.
PROBLEM_RULES = {"bad-version": BAD_VERSION, "no-version": NO_VERSION}
LOADER_PROBLEMS = frozenset({"empty"})  # reported by the loader (MPL004)
ACCESS_ORDER = ("List", "Read", "Write", "Tagging", "Permissions management")


Needs = Callable[[], "frozenset[str] | None"]


def check_policy(ctx: Context, policy: PolicyFile) -> Iterator[Finding | Notification]:
    identity = any(policy is p for identity in ctx.project.identities.values() for p in identity.policies)
    if not identity:
        yield from policy_findings(policy, _no_needs)
        return
    needs = _stack_needs(ctx)
    yield from policy_findings(policy, needs)
    # A failure to tell what the stacks need is said once, by the policy that first asked. (Not in a
    # `check_project` hook: that would import these checks for runs that have no policy.)
    yield from needs.take_notes()


def _stack_needs(ctx: Context) -> _StackNeeds:
    return ctx.once("policy-stack-needs", ctx.project, lambda: _StackNeeds(ctx))


def policy_findings(policy: PolicyFile, needs: Needs | None = None) -> Iterator[Finding]:
    """Every finding of mplint's own rules on one policy; `needs` tells what the stacks need (MPL424)."""
    needs = needs or _no_needs
    doc = policy.document
    yield from _problems(doc)
    yield from _old_version(doc)
    yield from _sids(doc)
    grants = policy.kind is PolicyKind.IDENTITY
    admin = False
    for stmt in doc.statements:
        yield from _unknown_actions(stmt)
        yield from _resources(stmt)
        if grants and stmt.effect == "Allow":
            found = list(_grants(stmt, needs))
            admin = admin or any(f.rule_id == ALLOW_ALL for f in found)
            yield from found
    if grants and not admin:
        yield from {id(f): f for f in escalation_findings(policy).values()}.values()


# ---------------------------------------------------------------------------
# Structure


def problem_rule(code: str) -> str:
    return PROBLEM_RULES.get(code, MALFORMED)


def _problems(doc: PolicyDocument) -> Iterator[Finding]:
    for problem in doc.problems:
        if problem.code in LOADER_PROBLEMS:
            continue
        yield R.emit(problem_rule(problem.code), problem.message, problem.span, properties={"code": problem.code})


def _old_version(doc: PolicyDocument) -> Iterator[Finding]:
    if is_old_version(doc) and doc.version_span is not None:
        message = "Version 2008-10-17: policy variables such as `${aws:username}` are literal text; use 2012-10-17"
        yield R.emit(OLD_VERSION, message, doc.version_span)


def _sids(doc: PolicyDocument) -> Iterator[Finding]:
    for stmt in doc.statements:
        if stmt.sid is not None and stmt.sid_span is not None and invalid_sid(stmt.sid):
            message = f"Sid {stmt.sid!r} has characters other than ASCII letters and digits"
            yield R.emit(BAD_SID, message, stmt.sid_span)
    for first, later in duplicate_sids(doc):
        span = later.sid_span or later.span
        related = (Related(first.sid_span or first.span, "first used here"),)
        yield R.emit(DUPLICATE_SID, f"Sid {later.sid!r} is used by more than one statement", span, related=related)


# ---------------------------------------------------------------------------
# Actions


def _unknown_actions(stmt: Statement) -> Iterator[Finding]:
    for pattern in stmt.action_patterns:
        message = unknown_action(pattern.value)
        if message is not None:
            yield R.emit(UNKNOWN_ACTION, message, pattern.span, key_path=("Statement", stmt.index))


# ---------------------------------------------------------------------------
# Resources


def _resources(stmt: Statement) -> Iterator[Finding]:
    for pattern in stmt.resource_patterns:
        reason = arn_problem(pattern.value)
        if reason is not None:
            yield R.emit(INVALID_ARN, f"`{pattern.value}` {reason}", pattern.span, key_path=("Statement", stmt.index))
    for pattern in mismatched_patterns(stmt):
        related = tuple(Related(r.span, "the statement's Resource") for r in stmt.resources or ())
        message = _mismatch_message(pattern.value, stmt.effect == "Deny")
        yield R.emit(RESOURCE_MISMATCH, message, pattern.span, related=related[:3])


def _mismatch_message(pattern: str, deny: bool = False) -> str:
    applies = applicability(pattern.strip().lower())
    names = expand(pattern)
    if len(applies.templates) == 1:
        takes = f"`{applies.templates[0]}`"
    else:
        takes = f"a resource of type {' or '.join(applies.types[:4])}" + (" ..." if len(applies.types) > 4 else "")
    if applies.star:
        takes = f"{takes} or `*`" if applies.templates else "only `*`"
    head = f"`{pattern}` does not apply"
    if len(names) > 1:
        head = f"none of the {len(names)} actions of `{pattern}` applies"
    if deny:
        what = f"`{names[0]}`" if len(names) == 1 else f"any of the {len(names)} actions of `{pattern}`"
        ending = f"the Deny does not deny {what if names else f'`{pattern}`'} on anything"
    else:
        ending = "the grant does nothing"
    message = f"{head} to the Resource of this statement (it takes {takes}): {ending}"
    if len(message) >= MAX_MESSAGE and applies.types:  # a long ARN template: its resource type says enough
        takes = f"a resource of type {' or '.join(applies.types[:2])}" + (" ..." if len(applies.types) > 2 else "")
        message = f"{head} to the Resource of this statement (it takes {takes}): {ending}"
    return message


# ---------------------------------------------------------------------------
# Grants (identity policies, Allow statements)


def _grants(stmt: Statement, needs: Needs) -> Iterator[Finding]:
    admin = _allow_all(stmt)
    if admin is not None:
        yield admin
        return
    if stmt.negated_action:
        yield _not_action(stmt)
    yield from _pass_role(stmt)
    yield from _wildcards(stmt, needs)


def _allow_all(stmt: Statement) -> Finding | None:
    actions, resources = universal_grant(stmt)
    if not actions or not resources:
        return None
    condition = " (under a Condition)" if stmt.conditions else ""
    message = f"{stmt.label} allows every action on every resource{condition}: full administrator access"
    related = (Related(resources[0].span, "on every resource"),)
    return R.emit(ALLOW_ALL, message, actions[0].span, related=related, key_path=("Statement", stmt.index))


def _not_action(stmt: Statement) -> Finding:
    listed = stmt.not_actions or ()
    where = "every resource" if any(set(p.value) <= {"*"} for p in stmt.resources or ()) else "its resources"
    message = (
        f"Allow with NotAction grants every action except the {len(listed)} listed, on {where}, "
        "including actions AWS adds later; list the actions to allow instead"
    )
    span = listed[0].span if listed else stmt.span
    return R.emit(ALLOW_NOT_ACTION, message, span, key_path=("Statement", stmt.index))


def _pass_role(stmt: Statement) -> Iterator[Finding]:
    actions = [
        p for p in stmt.actions or () if _may_name_iam(p.value) and match_action(p.value.strip(), "iam:PassRole")
    ]
    if not actions or any(c.key.lower() == "iam:passedtoservice" for c in stmt.conditions):
        return
    wide = [p for p in stmt.resources or () if _every_role(p.value)]
    if wide:
        message = (
            f"`{actions[0].value}` allows iam:PassRole on every role (`{wide[0].value}`) with no "
            "`iam:PassedToService` condition: any role can be handed to any service"
        )
        related = (Related(wide[0].span, "on these resources"),)
        yield R.emit(PASS_ROLE_ANY, message, actions[0].span, related=related, key_path=("Statement", stmt.index))


def _may_name_iam(pattern: str) -> bool:
    prefix = pattern.strip().partition(":")[0].lower()
    return prefix == "iam" or has_wildcard(prefix)


def _every_role(value: str) -> bool:
    if set(value) <= {"*"}:
        return True
    parts = arn_segments(value)
    if parts is None or not compile_arn(parts[2]).matches("iam"):
        return False
    return compile_arn(parts[5]).covers(compile_request_arn("role/*"))


def _wildcards(stmt: Statement, needs: Needs) -> Iterator[Finding]:
    for pattern in stmt.actions or ():
        if not has_wildcard(pattern.value) or unknown_action(pattern.value) is not None:
            continue
        names = expand(pattern.value)
        message = _wildcard_message(pattern.value, names, needs())
        if message is not None:
            yield R.emit(WILDCARD_ACTION, message, pattern.span, key_path=("Statement", stmt.index))


def _wildcard_message(pattern: str, names: tuple[str, ...], needed: frozenset[str] | None) -> str | None:
    head = f"`{pattern}` allows {len(names)} action{'s' if len(names) != 1 else ''} ({_levels(pattern)})"
    if needed is None:
        return f"{head}, and any that AWS adds later; list the actions needed instead"
    used = [n for n in names if n.lower() in needed]
    if len(used) == len(names):
        return None
    if not used:
        return f"{head}, none of which the stacks need"
    return fit(f"{head}; the stacks need {len(used)} of them: ", used, most=5)


@lru_cache(maxsize=8192)
def _levels(pattern: str) -> str:
    """The actions of a pattern counted by access level: `3 List, 12 Read`."""
    cat = catalog()
    counts = Counter(access_level(info.access_level) for n in expand(pattern) if (info := cat.action(n)) is not None)
    order = [level for level in ACCESS_ORDER if level in counts] + sorted(set(counts) - set(ACCESS_ORDER))
    return ", ".join(f"{counts[level]} {level}" for level in order)


def access_level(listed: str) -> str:
    """One access level for an action: the reference lists some under two (`Tagging, Write`, `Permissions
    management, Write`); the narrower one, later in ACCESS_ORDER, is what the action is for."""
    levels = [part.strip() for part in listed.split(",") if part.strip()]
    return max(levels, key=lambda level: ACCESS_ORDER.index(level) if level in ACCESS_ORDER else -1, default=listed)


class _StackNeeds:
    """The actions the stacks need (lower case), computed on first use; None when there is no stack."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = weakref.proxy(ctx)  # it is kept in ctx's own cache: a strong reference would be a cycle,
        # which keeps every tree of the run alive until the collector's next full pass
        self.notes: list[Notification] = []
        self._value: frozenset[str] | None = None
        self._done = False

    def __call__(self) -> frozenset[str] | None:
        if not self._done:
            self._done = True
            share = self.ctx.share
            given = share.needs if share is not None else None
            if given is None:
                given = self.ctx.stack_actions_summary()
            if given.error is not None:  # work in progress elsewhere must not cost the policy findings
                self.notes.append(Notification(f"stack needs unavailable for MPL424: {given.error}"))
            self._value = given.actions
        return self._value

    def take_notes(self) -> list[Notification]:
        """The notes not yet given out."""
        notes, self.notes = self.notes, []
        return notes


def _no_needs() -> None:
    return None


# ---------------------------------------------------------------------------
# Privilege escalation


def escalation_findings(policy: PolicyFile) -> dict[str, Finding]:
    """One finding per place that grants the first action of one or more methods, by method name."""
    if not may_escalate(policy):
        return {}
    by_anchor: dict[Span, list[tuple[str, list[Span]]]] = {}
    for method, spans in escalations(policy).items():
        by_anchor.setdefault(spans[0], []).append((method, spans))
    out: dict[str, Finding] = {}
    for anchor, methods in by_anchor.items():
        finding = _escalation_finding(anchor, methods)
        out.update((method, finding) for method, _ in methods)
    return out


def _escalation_finding(anchor: Span, methods: list[tuple[str, list[Span]]]) -> Finding:
    described = [f"{name} ({' + '.join(ESCALATIONS[name])})" for name, _ in methods]
    message = fit("allows privilege escalation: ", described, sep="; ")
    if len(message) >= MAX_MESSAGE:  # the methods by name: their actions are the related locations
        message = fit("allows privilege escalation: ", [name for name, _ in methods])
    seen = {anchor}
    related = []
    for _, spans in methods:
        for span in spans[1:]:
            if span not in seen:
                seen.add(span)
                related.append(Related(span, "also needed for the escalation"))
    props: dict[str, object] = {"methods": [name for name, _ in methods]}
    return R.emit(PRIVILEGE_ESCALATION, message, anchor, related=tuple(related), properties=props)
