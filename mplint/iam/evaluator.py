"""Does a set of policies grant action A on resource R? (see shared/domain/iam.md)

Sides: the identity policies (unioned), an optional permissions boundary and
each SCP. A statement applies when its action part, resource part and
condition part match. Each side's best Allow is ranked

    ALLOW > CONDITIONAL > UNKNOWN (granted on some resources; cannot tell this one) > NONE

and each side's worst Deny the same way. The verdict:

- any unconditional Deny that covers the request → DENIED;
- else any side without an Allow → NOT_GRANTED;
- else, for a partly unknown resource, an Allow whose whole pattern an
  unconditional Deny covers grants nothing: a side left without an Allow that
  way → DENIED;
- else the weakest side's Allow, lowered by the strongest uncertain Deny
  (a conditional Deny → at most CONDITIONAL; a Deny that may or may not cover
  an unknown resource → at most UNKNOWN_RESOURCE).

A statement's strength is the weaker of its resource part (exact match,
match only through a policy variable whose value is not known → CONDITIONAL,
overlap with a partly unknown resource → UNKNOWN) and its condition part,
evaluated against the request context (mplint.iam.context): a false Condition
makes the statement not apply, a true one leaves it whole, and one that needs a
key the context does not know makes it CONDITIONAL on that key. Without a
context every Condition is CONDITIONAL. The keys a request itself says it carries
(a passed role's `iam:PassedToService`) come before the context's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum, IntEnum
from functools import lru_cache

from msgspec import Struct

from mplint.findings import Span
from mplint.iam.conditions import NO_CONTEXT, Lookup, Partial, Truth, Unknown, evaluate_block, resolve_variables
from mplint.iam.wildcard import (
    Glob,
    compile_action,
    compile_arn,
    compile_request_arn,
    compile_template,
    template_fit,
)
from mplint.model.policy import ConditionEntry, PolicyFile, PolicyKind, Statement

TEMPLATE_PART = re.compile(r"\$\{[A-Za-z][A-Za-z0-9]*\}")  # `${BucketName}` of an IAM reference ARN template
KEY_POLICY_NOTE = "granted by the identity side only; the KMS key policy is not checked"


class Decision(str, Enum):
    GRANTED = "granted"
    CONDITIONAL = "conditional"
    UNKNOWN_RESOURCE = "unknown-resource"  # granted on some resources; cannot tell for this one
    DENIED = "denied"
    NOT_GRANTED = "not-granted"


class Strength(IntEnum):
    """How firmly a statement (or a side) applies to the request."""

    NONE = 0
    UNKNOWN = 1
    CONDITIONAL = 2
    FULL = 3


_DECISION = {
    Strength.FULL: Decision.GRANTED,
    Strength.CONDITIONAL: Decision.CONDITIONAL,
    Strength.UNKNOWN: Decision.UNKNOWN_RESOURCE,
}


class Request(Struct, frozen=True):
    """Action ``service:Name`` on ``resource``.

    ``resource`` is an exact ARN, or a pattern whose ``*`` marks unknown parts
    (``*`` alone: nothing is known). With ``wildcard_only`` (the action supports
    no resource-level permissions) the resource is the literal ``*`` whatever is
    given, and only a policy resource matching ``*`` grants it.

    ``scopes`` are the ARN patterns of the action's optional resource types (a list
    action on no particular resource): a policy resource that covers one of them
    grants the request as ``*`` does. A ``resource`` written as an ARN template
    (``${Name}`` placeholders) stands for any resource of that type.
    """

    action: str
    resource: str = "*"
    wildcard_only: bool = False
    context: tuple[tuple[str, str], ...] = ()  # request context keys the call is known to carry
    scopes: tuple[str, ...] = ()  # optional resource types that stand in for `*` (wildcard_only)

    @property
    def service(self) -> str:
        return self.action.partition(":")[0].lower()

    @property
    def resource_known(self) -> bool:
        return self.wildcard_only or "*" not in self.resource


class StatementMatch(Struct, frozen=True):
    """A statement that applies to the request, and how firmly."""

    policy: PolicyFile
    statement: Statement
    strength: Strength
    action_span: Span | None  # the action string that matched (None for NotAction)
    resource_span: Span | None  # the resource string that matched (None for NotResource)
    variables: tuple[str, ...] = ()  # policy variables the resource match depends on
    resource: str | None = None  # the resource pattern that matched (None for NotResource)
    open: tuple[ConditionEntry, ...] = ()  # the condition tests whose outcome the context does not tell
    keys: tuple[str, ...] = ()  # the context keys it depends on: open tests' keys and unknown variables

    @property
    def effect(self) -> str:
        return self.statement.effect or ""

    @property
    def span(self) -> Span:
        return self.statement.span

    @property
    def conditions(self) -> tuple[ConditionEntry, ...]:
        return self.statement.conditions

    @property
    def settled(self) -> tuple[ConditionEntry, ...]:
        """The condition tests the context decided (all of them hold: the statement applies)."""
        return tuple(c for c in self.statement.conditions if c not in self.open)


class Verdict(Struct, frozen=True):
    """Whether the policies grant a request, the statements that decide it and what the answer depends on."""

    request: Request
    decision: Decision
    deciding: tuple[StatementMatch, ...] = ()  # the statements that make the decision what it is
    condition_keys: tuple[str, ...] = ()  # context keys it depends on (conditions and policy variables)
    missing: tuple[str, ...] = ()  # sides without an Allow: "identity", "boundary", "scp:<name>"
    allowed_by: tuple[StatementMatch, ...] = ()  # every applicable Allow, all sides
    denied_by: tuple[StatementMatch, ...] = ()  # every applicable Deny, all sides
    notes: tuple[str, ...] = ()

    @property
    def granted(self) -> bool:
        return self.decision is Decision.GRANTED

    @property
    def conditions(self) -> tuple[ConditionEntry, ...]:
        """The condition tests left open by the deciding statements."""
        return tuple(c for m in self.deciding for c in m.open)


# ---------------------------------------------------------------------------
# Compiled policies


class _Compiled:
    """One evaluable statement; its patterns are compiled on first use."""

    __slots__ = ("_actions", "_resources", "conditional", "resource_variables", "statement", "variables")

    def __init__(self, statement: Statement, variables: bool) -> None:
        self.statement = statement
        self.conditional = bool(statement.conditions)
        self.variables = variables
        self.resource_variables = variables and any("${" in p.value for p in statement.resource_patterns)
        self._actions: tuple[Glob, ...] | None = None
        self._resources: tuple[tuple[Glob, Span], ...] | None = None

    @property
    def actions(self) -> tuple[Glob, ...]:
        if self._actions is None:
            self._actions = tuple(compile_action(p.value) for p in self.statement.action_patterns)
        return self._actions

    @property
    def resources(self) -> tuple[tuple[Glob, Span], ...]:
        if self._resources is None:
            patterns = self.statement.resource_patterns
            self._resources = tuple((compile_arn(p.value, self.variables), p.span) for p in patterns)
        return self._resources

    def resources_in(self, context: Lookup) -> tuple[tuple[Glob, Span], ...] | None:
        """The resource patterns with the variables the context knows filled in; None when one names a key
        the request lacks (with no default): the statement is then invalid and applies to nothing."""
        if not self.resource_variables or context is NO_CONTEXT:
            return self.resources
        out = []
        for pattern in self.statement.resource_patterns:
            text = resolve_variables(pattern.value, context) if "${" in pattern.value else pattern.value
            if text is None:
                return None
            out.append((compile_arn(text, True), pattern.span))
        return tuple(out)


class CompiledPolicy:
    """A policy's statements, indexed by service prefix for fast action lookup."""

    __slots__ = ("anywhere", "exact", "globs", "negated", "policy")

    def __init__(self, policy: PolicyFile) -> None:
        self.policy = policy
        self.exact: dict[str, list[tuple[_Compiled, Span]]] = {}  # lower-case action → statements
        self.globs: dict[str, list[tuple[_Compiled, str, Span]]] = {}  # service → wildcard patterns
        self.anywhere: list[tuple[_Compiled, str, Span]] = []  # patterns with a wildcard in the service part
        self.negated: list[_Compiled] = []  # NotAction statements
        variables = policy.document.variables_enabled
        for stmt in policy.document.statements:
            if stmt.evaluable:
                self._add(_Compiled(stmt, variables))

    @classmethod
    def compile(cls, policy: PolicyFile) -> CompiledPolicy:
        return cls(policy)

    def _add(self, comp: _Compiled) -> None:
        if comp.statement.negated_action:
            self.negated.append(comp)
            return
        exact, globs = self.exact, self.globs
        for pattern in comp.statement.action_patterns:
            text = pattern.value.lower()
            if "*" not in text and "?" not in text:
                bucket = exact.get(text)
                if bucket is None:
                    exact[text] = [(comp, pattern.span)]
                else:
                    bucket.append((comp, pattern.span))
                continue
            service, colon, _ = text.partition(":")
            if not colon or "*" in service or "?" in service:
                self.anywhere.append((comp, text, pattern.span))
            else:
                globs.setdefault(service, []).append((comp, text, pattern.span))

    def candidates(self, action: str, service: str) -> list[tuple[_Compiled, Span | None]]:
        """Statements whose action part matches, each once, with the action string that matched."""
        exact = self.exact.get(action)
        hits: list[tuple[_Compiled, Span | None]] = list(exact) if exact else []
        for group in (self.globs.get(service), self.anywhere):
            if group:
                hits += [(c, span) for c, text, span in group if compile_action(text).matches(action)]
        if self.negated:
            hits += [(c, None) for c in self.negated if not any(g.matches(action) for g in c.actions)]
        if len(hits) < 2:
            return hits
        seen: set[int] = set()
        unique = []
        for comp, span in hits:
            if id(comp) not in seen:
                seen.add(id(comp))
                unique.append((comp, span))
        unique.sort(key=lambda hit: hit[0].statement.index)  # file order, whatever bucket found it
        return unique

    def matches(self, request: Request, context: Lookup = NO_CONTEXT) -> list[StatementMatch]:
        """Every statement of this policy that applies to the request (strength above NONE)."""
        return self._matches(_target(request), carrying(request, context))

    def _matches(self, target: _Target, context: Lookup) -> list[StatementMatch]:
        hits = self.candidates(target.action, target.service)
        if not hits:
            return []
        out: list[StatementMatch] = []
        for comp, action_span in hits:
            resources = comp.resources_in(context)
            if resources is None:
                continue
            strength, glob, resource_span, variables = _resource_strength(comp, resources, target)
            if strength is Strength.NONE:
                continue
            open_tests: tuple[ConditionEntry, ...] = ()
            keys = variables
            if comp.conditional:
                outcome = evaluate_block(comp.statement.conditions, context, comp.variables)
                if outcome.truth is Truth.FALSE:
                    continue
                if outcome.truth is Truth.UNKNOWN:
                    strength = min(strength, Strength.CONDITIONAL)
                    open_tests = outcome.open
                    keys = tuple(dict.fromkeys((*outcome.keys, *variables)))
            text = glob.text if glob is not None else None
            out.append(
                StatementMatch(
                    self.policy, comp.statement, strength, action_span, resource_span, variables, text, open_tests, keys
                )
            )
        return out


# ---------------------------------------------------------------------------
# Resource matching


class _Target(Struct, frozen=True):
    """A request prepared for matching."""

    action: str  # lower case
    service: str
    text: str  # the resource
    pattern: Glob | None  # set when the resource has unknown parts
    scopes: tuple[Glob, ...] = ()  # optional resource types that stand in for `*`
    template: bool = False  # the resource is an IAM reference ARN template: any resource of that type

    @classmethod
    def of(cls, request: Request) -> _Target:
        action = request.action.lower()
        service = action.partition(":")[0]
        if request.wildcard_only:
            return cls(action, service, "*", None, tuple(compile_request_arn(s) for s in request.scopes))
        if "${" in request.resource and TEMPLATE_PART.search(request.resource):
            return cls(action, service, request.resource, compile_template(request.resource), template=True)
        if "*" in request.resource:
            return cls(action, service, request.resource, compile_request_arn(request.resource))
        return cls(action, service, request.resource, None)


class _Carried:
    """The keys a request itself carries, answered before the request context's (a `*` in a value stands for
    a part the stack does not tell)."""

    __slots__ = ("_carried", "_rest")

    def __init__(self, carried: tuple[tuple[str, str], ...], rest: Lookup) -> None:
        self._carried: dict[str, tuple[str, ...]] = {}
        for key, value in carried:
            self._carried.setdefault(key.lower(), ())
            self._carried[key.lower()] += (Partial(value) if "*" in value else value,)
        self._rest = rest

    def values(self, key: str) -> tuple[str, ...] | Unknown | None:
        found = self._carried.get(key.lower())
        return found if found is not None else self._rest.values(key)


def carrying(request: Request, context: Lookup) -> Lookup:
    """The context a request is judged in: ``context`` with the keys the request says it carries."""
    return _Carried(request.context, context) if request.context else context


@lru_cache(maxsize=1024)
def _target(request: Request) -> _Target:
    return _Target.of(request)


def _one(glob: Glob, target: _Target, variables: bool) -> Strength:
    """How firmly one policy resource pattern contains the target."""
    if glob.is_universal and not glob.has_variables:
        return Strength.FULL
    if target.template:  # matched part by part, as the policy rules match (mplint.iam.analysis.can_match)
        fit = template_fit(glob.text, variables, target.text)
        if fit == "none":
            return Strength.NONE
        if glob.has_variables:
            return Strength.CONDITIONAL
        return Strength.FULL if fit == "all" else Strength.UNKNOWN
    key = (id(glob), target.text, target.pattern is None, tuple(s.text for s in target.scopes))
    known = _PATTERN_CACHE.get(key)
    if known is not None:
        return known[1]
    strength = _contains(glob, target)
    if len(_PATTERN_CACHE) > 65_536:
        _PATTERN_CACHE.clear()
    _PATTERN_CACHE[key] = (glob, strength)  # the glob is kept, so its id stays its own
    return strength


def _contains(glob: Glob, target: _Target) -> Strength:
    if target.pattern is None:
        if not glob.matches(target.text) and not any(glob.covers(scope) for scope in target.scopes):
            return Strength.NONE
        return Strength.CONDITIONAL if glob.has_variables else Strength.FULL
    if glob.covers(target.pattern):
        return Strength.CONDITIONAL if glob.has_variables else Strength.FULL
    return Strength.UNKNOWN if glob.overlaps(target.pattern) else Strength.NONE


# (id(policy glob), the target's resource, whether it is concrete, its scopes) -> (the glob, strength): policies
# share resource patterns and requests share resources, and matching, covering or overlapping them is the
# costly part of a verdict. Only what `_contains` reads is in the key: a target's action is not.
_PATTERN_CACHE: dict[tuple[int, str, bool, tuple[str, ...]], tuple[Glob, Strength]] = {}


_Resolved = tuple[Strength, Glob | None, Span | None, tuple[str, ...]]


def _resource_strength(comp: _Compiled, resources: tuple[tuple[Glob, Span], ...], target: _Target) -> _Resolved:
    """The statement's resource part against the target, with the pattern that decided it."""
    best: _Resolved = (Strength.NONE, None, None, ())
    if not comp.statement.negated_resource:
        for glob, span in resources:
            strength = _one(glob, target, comp.variables)
            if strength > best[0]:
                best = (strength, glob, span, glob.variables)
                if strength is Strength.FULL:
                    break
        return best
    # NotResource: applies to what none of the patterns contains.
    worst, names = Strength.FULL, ()
    for glob, _ in resources:
        inside = _one(glob, target, comp.variables)
        if inside is Strength.FULL:
            return best
        if inside is Strength.CONDITIONAL:  # contained only for some value of a variable
            worst, names = min(worst, Strength.CONDITIONAL), names + glob.variables
        elif inside is Strength.UNKNOWN:
            worst = Strength.UNKNOWN
    return worst, None, None, names


# ---------------------------------------------------------------------------
# Combining sides


class Side(Struct):
    """The statements of one side (identity, boundary or one SCP) that apply to a request."""

    name: str
    allows: list[StatementMatch]
    denies: list[StatementMatch]

    @classmethod
    def of(cls, name: str, matches: list[StatementMatch]) -> Side:
        allows = [m for m in matches if m.effect == "Allow"]
        return cls(name, allows, [m for m in matches if m.effect == "Deny"])

    @property
    def allow(self) -> Strength:
        return max((m.strength for m in self.allows), default=Strength.NONE)

    @property
    def best_allows(self) -> list[StatementMatch]:
        level = self.allow
        return [m for m in self.allows if m.strength == level]


class Evaluator:
    """Identity policies (union), an optional permissions boundary and SCPs (each must allow), compiled once."""

    def __init__(
        self,
        identity: Sequence[PolicyFile],
        boundary: PolicyFile | None = None,
        scps: Sequence[PolicyFile] = (),
    ) -> None:
        self.identity = [CompiledPolicy.compile(p) for p in identity]
        self.boundary = CompiledPolicy.compile(boundary) if boundary is not None else None
        self.scps = [CompiledPolicy.compile(p) for p in scps]
        self._groups: list[tuple[str, list[CompiledPolicy]]] = [("identity", self.identity)]
        if self.boundary is not None:
            self._groups.append(("boundary", [self.boundary]))
        self._groups += [(f"scp:{scp.policy.name}", [scp]) for scp in self.scps]
        self._names = tuple(name for name, _ in self._groups)

    @classmethod
    def from_policies(cls, policies: Sequence[PolicyFile]) -> Evaluator:
        """Sort policies by their kind; several boundaries are not allowed (the last one is used)."""
        boundaries = [p for p in policies if p.kind is PolicyKind.BOUNDARY]
        return cls(
            [p for p in policies if p.kind is PolicyKind.IDENTITY],
            boundaries[-1] if boundaries else None,
            [p for p in policies if p.kind is PolicyKind.SCP],
        )

    def evaluate(self, request: Request, context: Lookup = NO_CONTEXT) -> Verdict:
        target, context = _target(request), carrying(request, context)
        found = [(name, [m for p in policies for m in p._matches(target, context)]) for name, policies in self._groups]
        if not any(matches for _, matches in found):  # the common case, kept cheap: one shared verdict
            key = (request, self._names)
            verdict = _NOTHING.get(key)
            if verdict is None:
                if len(_NOTHING) > 100_000:
                    _NOTHING.clear()
                verdict = _NOTHING[key] = Verdict(
                    request, Decision.NOT_GRANTED, missing=self._names, notes=_notes(request)
                )
            return verdict
        return _decide(request, [Side.of(name, matches) for name, matches in found])

    def sides(self, request: Request, context: Lookup = NO_CONTEXT) -> list[Side]:
        """Per side, the statements that apply to the request."""
        target, context = _target(request), carrying(request, context)
        return [
            Side.of(name, [m for p in policies for m in p._matches(target, context)]) for name, policies in self._groups
        ]


_NOTHING: dict[tuple[Request, tuple[str, ...]], Verdict] = {}  # "no statement applies" verdicts, shared


def evaluate(
    request: Request,
    identity: Sequence[PolicyFile],
    boundary: PolicyFile | None = None,
    scps: Sequence[PolicyFile] = (),
    context: Lookup = NO_CONTEXT,
) -> Verdict:
    """One-off evaluation; compile an :class:`Evaluator` to ask many questions of the same policies."""
    return Evaluator(identity, boundary, scps).evaluate(request, context)


def _notes(request: Request) -> tuple[str, ...]:
    return (KEY_POLICY_NOTE,) if request.action[:4].lower() == "kms:" else ()


def decide(request: Request, sides: list[Side]) -> Verdict:
    """The verdict from each side's applicable statements (see the module docstring)."""
    return _decide(request, sides)


def _decide(request: Request, sides: list[Side]) -> Verdict:
    notes = _notes(request)
    allowed_by = tuple(m for s in sides for m in s.allows)
    denied_by = tuple(m for s in sides for m in s.denies)
    common = {"allowed_by": allowed_by, "denied_by": denied_by, "notes": notes}
    full_denies = tuple(m for m in denied_by if m.strength is Strength.FULL)
    if full_denies:
        return Verdict(request, Decision.DENIED, full_denies, _keys(full_denies), **common)
    missing = tuple(s.name for s in sides if s.allow is Strength.NONE)
    if missing:
        return Verdict(request, Decision.NOT_GRANTED, missing=missing, **common)
    killers = _drop_denied_regions(sides, denied_by)
    if killers:
        return Verdict(request, Decision.DENIED, killers, _keys(killers), **common)
    level = min(s.allow for s in sides)
    deny_level = max((m.strength for m in denied_by), default=Strength.NONE)
    if deny_level is not Strength.NONE:
        level = min(level, deny_level)
    deciding = tuple(m for s in sides for m in s.best_allows if m.strength <= level)
    deciding += tuple(m for m in denied_by if m.strength >= level)
    return Verdict(request, _DECISION[level], deciding, _keys(deciding), **common)


def _drop_denied_regions(sides: list[Side], denied_by: tuple[StatementMatch, ...]) -> tuple[StatementMatch, ...]:
    """For a partly unknown resource, drop each Allow whose whole pattern an unconditional Deny covers.

    Such an Allow grants nothing that is not denied. When that leaves a side
    without an Allow it did have, the answer is DENIED: return the Denies that
    did it (else an empty tuple).
    """
    candidates = [d for d in denied_by if d.strength is Strength.UNKNOWN and _plain(d)]
    if not candidates:
        return ()
    used: dict[int, StatementMatch] = {}
    emptied = False
    for side in sides:
        kept = []
        for allow in side.allows:
            killer = _covering_deny(allow, candidates)
            if killer is None:
                kept.append(allow)
            else:
                used[id(killer)] = killer
        emptied = emptied or (bool(side.allows) and not kept)
        side.allows = kept
    return tuple(used.values()) if emptied else ()


def _plain(deny: StatementMatch) -> bool:
    """A Deny whose conditions hold, on Resource patterns without policy variables."""
    stmt = deny.statement
    return not deny.open and not stmt.negated_resource and not any("${" in p.value for p in stmt.resource_patterns)


def _covering_deny(allow: StatementMatch, denies: list[StatementMatch]) -> StatementMatch | None:
    if allow.strength is not Strength.UNKNOWN or allow.resource is None or allow.variables:
        return None
    region = compile_arn(allow.resource, allow.policy.document.variables_enabled)
    for deny in denies:
        variables = deny.policy.document.variables_enabled
        if any(compile_arn(p.value, variables).covers(region) for p in deny.statement.resource_patterns):
            return deny
    return None


def _keys(matches: Iterable[StatementMatch]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for m in matches:
        keys.update(dict.fromkeys(m.keys))
    return tuple(keys)
