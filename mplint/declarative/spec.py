"""Declarative rules: what a rule file says instead of `check:`, parsed with positions and evaluated.

A declarative rule applies to manifest resources (`resources:`, StackQL or CloudFormation type names)
or to deploying identities (`identities:`), filters with `when:`, and asserts a condition tree:
`all`, `any`, `not` over tests of a property path (`path:` with `exists`, `absent`, `equals`, `in`,
`matches`, `gt`/`gte`/`lt`/`lte`, `length`) or of what an identity is granted (`granted`,
`never-granted`). Tests are three-valued: a value that is a template (`Opaque`) is not known before
deployment, so a test on it is unknown, and an unknown assertion is never a finding.
"""

from __future__ import annotations

import json
import operator
import string
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import regex
import yaml
from msgspec import Struct, field

from mplint.catalog.patterns import repeat_weight
from mplint.findings import Span
from mplint.iam.evaluator import Decision, Verdict
from mplint.limits import current
from mplint.registry import DECLARATIVE_KEYS
from mplint.source import Mapping, Node, Sequence
from mplint.stackql.binding import Opaque
from mplint.suppress import glob_match

WHEN_KEYS = ("env", "manifest", "resource", "path")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
}  # fmt: skip
PATH_OPS = ("exists", "absent", "equals", "in", "matches", "gt", "gte", "lt", "lte", "length")
GRANT_OPS = ("granted", "never-granted")
GRANT_KEYS = ("resource", "each")
COMMON_FACTS = ("id", "name")
RESOURCE_FACTS = ("resource", "type", "stackql", "env", "manifest", "path", "value")
IDENTITY_FACTS = ("identity", "action", "decision", "policy")
GRANTING = (Decision.GRANTED, Decision.CONDITIONAL, Decision.UNKNOWN_RESOURCE)

Tri = bool | None  # True, False, or None: cannot tell before deployment


class SpecError(Exception):
    """A problem in a declarative rule, at a line of its file."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


# ---------------------------------------------------------------------------
# What conditions are evaluated against


class Props(Struct):
    """One resource's resolved properties in one environment, with where each is written."""

    values: dict[str, Any]
    nodes: dict[str, Node]


class Grants(Struct):
    """One deploying identity: ask whether it is granted an action, and list the actions a glob names."""

    verdict: Callable[[str, str], Verdict]  # (action, resource) -> verdict
    expand: Callable[[str], list[str]]


class Evidence(Struct, frozen=True):
    """Where a test decided, and the facts it adds to the message."""

    span: Span | None
    facts: dict[str, str] = field(default_factory=dict)


class Outcome(Struct, frozen=True):
    """A test's result in three-valued logic (None: cannot tell), with the evidence for the message."""

    holds: Tri
    evidence: Evidence | None = None


# ---------------------------------------------------------------------------
# Conditions


def _junction(children: tuple[Condition, ...], subject: Any, decisive: bool) -> Outcome:
    """`all` (decisive False) or `any` (decisive True) in three-valued logic: the first decisive child
    settles it; otherwise any unknown child makes it unknown."""
    outcomes = [child.evaluate(subject) for child in children]
    for outcome in outcomes:
        if outcome.holds is decisive:
            return outcome
    if any(o.holds is None for o in outcomes):
        return Outcome(None)
    return Outcome(not decisive, outcomes[0].evidence if outcomes else None)


class AllOf(Struct, frozen=True):
    """`all`: false when a child is false, else unknown when a child is unknown, else true."""

    children: tuple[Condition, ...]

    def evaluate(self, subject: Any) -> Outcome:
        return _junction(self.children, subject, decisive=False)


class AnyOf(Struct, frozen=True):
    """`any`: true when a child is true, else unknown when a child is unknown, else false."""

    children: tuple[Condition, ...]

    def evaluate(self, subject: Any) -> Outcome:
        return _junction(self.children, subject, decisive=True)


class Not(Struct, frozen=True):
    """`not`: the child's outcome negated (unknown stays unknown)."""

    child: Condition

    def evaluate(self, subject: Any) -> Outcome:
        outcome = self.child.evaluate(subject)
        return Outcome(None if outcome.holds is None else not outcome.holds, outcome.evidence)


class PathTest(Struct, frozen=True):
    """Tests of the value(s) at a property path; every value the path reaches must pass."""

    path: tuple[str | int, ...]
    ops: tuple[tuple[str, Any], ...]

    def evaluate(self, props: Props) -> Outcome:
        found, uncertain, reached = resolve(props, self.path)
        dotted = ".".join(map(str, self.path))
        first = _evidence(found[0] if found else (None, reached), dotted)
        for op, arg in self.ops:
            if op in ("exists", "absent"):
                present = bool(found) or (None if uncertain else False)
                holds = present if (op == "exists") == bool(arg) else _negate(present)
                if holds is not True:
                    return Outcome(holds, first)
                continue
            outcome = self._each(op, arg, found, uncertain, dotted, first)
            if outcome.holds is not True:
                return outcome
        return Outcome(True, first)

    @staticmethod
    def _each(op: str, arg: Any, found: list, uncertain: bool, dotted: str, first: Evidence) -> Outcome:
        if not found:
            return Outcome(None if uncertain else False, first)
        unknown = uncertain
        for value, node in found:
            holds = compare_value(op, arg, value)
            if holds is False:
                return Outcome(False, _evidence((value, node), dotted))
            unknown = unknown or holds is None
        return Outcome(None if unknown else True, first)


class GrantTest(Struct, frozen=True):
    """Is the identity granted the action pattern (`must`), or never granted it?

    The pattern is asked as one request (a grant must cover the whole pattern: `iam:*` or `*`), or with
    `each`, action by action for every action of the IAM catalog that it names.
    """

    action: str
    resource: str = "*"
    must: bool = False
    each: bool = False

    def evaluate(self, grants: Grants) -> Outcome:
        actions = (grants.expand(self.action) or [self.action]) if self.each else [self.action]
        unknown: Outcome | None = None
        for action in actions:
            outcome = self._one(grants.verdict(action, self.resource))
            if outcome.holds is False:
                return outcome
            unknown = unknown or (outcome if outcome.holds is None else None)
        return Outcome(None, unknown.evidence) if unknown else Outcome(True, Evidence(None, {"action": self.action}))

    def _one(self, verdict: Verdict) -> Outcome:
        decision = verdict.decision
        if self.must:
            holds: Tri = True if decision is Decision.GRANTED else None if decision in GRANTING else False
            matches = verdict.deciding
        else:
            holds = decision not in GRANTING
            matches = verdict.allowed_by
        match = matches[0] if matches else None
        span = (match.action_span or match.span) if match else None
        facts = {"action": verdict.request.action, "decision": decision.value}
        if match is not None:
            facts["policy"] = match.policy.name
        return Outcome(holds, Evidence(span, facts))


Condition = AllOf | AnyOf | Not | PathTest | GrantTest


def _negate(value: Tri) -> Tri:
    return None if value is None else not value


# ---------------------------------------------------------------------------
# Paths and values


def resolve(props: Props, path: tuple[str | int, ...]) -> tuple[list[tuple[Any, Node | None]], bool, Node | None]:
    """The (value, node) pairs a path reaches (nulls left out), whether a template hid part of the way, and
    the deepest node reached (for a position when nothing is found)."""
    head, rest = path[0], path[1:]
    names = sorted(props.values) if head == "*" else [head] if head in props.values else []
    frontier = [(props.values[n], props.nodes.get(str(n))) for n in names]
    uncertain, reached = False, None
    for part in rest:
        step: list[tuple[Any, Node | None]] = []
        for value, node in frontier:
            reached = node or reached
            if isinstance(value, Opaque):
                uncertain = True
            else:
                step.extend(_children(value, node, part))
        frontier = step
    return [(v, n) for v, n in frontier if v is not None], uncertain, reached


def _children(value: Any, node: Node | None, part: str | int) -> list[tuple[Any, Node | None]]:
    if isinstance(value, dict):
        keys = list(value) if part == "*" else [str(part)] if str(part) in value else []
        return [(value[k], _child_node(node, k)) for k in keys]
    if isinstance(value, list):
        if part == "*":
            return [(item, _child_node(node, i)) for i, item in enumerate(value)]
        if isinstance(part, int) and -len(value) <= part < len(value):
            return [(value[part], _child_node(node, part))]
    return []


def _child_node(node: Node | None, part: str | int) -> Node | None:
    """The node under ``node`` for a key or index, else ``node`` itself (a value substituted from elsewhere)."""
    if isinstance(node, Mapping) and isinstance(part, str):
        return node.get(part) or node
    if isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
        return node.items[part]
    return node


def has_opaque(value: Any) -> bool:
    if isinstance(value, Opaque):
        return True
    if isinstance(value, dict):
        return any(has_opaque(v) for v in value.values())
    if isinstance(value, list):
        return any(has_opaque(v) for v in value)
    return False


def compare_value(op: str, arg: Any, value: Any) -> Tri:
    """One comparison of a known-or-template value."""
    if op == "length":
        if isinstance(value, Opaque):
            return None
        if not isinstance(value, (str, list, dict)):
            return False
        return all(COMPARE[k](len(value), n) for k, n in arg)
    if has_opaque(value):
        return None
    if op == "equals":
        return value == arg
    if op == "in":
        return value in arg
    if op == "matches":
        text = _text(value)
        return text is not None and arg.search(text)
    number = _number(value)
    return number is not None and COMPARE[op](number, arg)


class RegexTimeout(Exception):
    """A `matches:` pattern that ran past its time on one value: the rule is not decided there."""


class Matcher(Struct):
    """A `matches:` pattern run with a time limit, since a user's pattern may backtrack without end, such as
    `(a|aa)+$`. Once it has run over the limit it is not run again in the same rule: each further value
    would cost the same time."""

    pattern: regex.Pattern[str]
    timed_out: bool = False

    def search(self, text: str) -> bool:
        seconds = current().regex_seconds  # the run's `regex-seconds`
        if not self.timed_out:
            try:
                return self.pattern.search(text, timeout=seconds) is not None
            except TimeoutError:
                self.timed_out = True
        raise RegexTimeout(
            f"`matches: {self.pattern.pattern}` ran over {seconds:g} s (regex-seconds) on a value and was stopped;"
            " the rule is not checked where it would run it: simplify the pattern"
        )


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _evidence(found: tuple[Any, Node | None], dotted: str) -> Evidence:
    value, node = found
    facts = {"path": dotted, "value": "" if value is None else render_value(value)}
    return Evidence(node.span if node is not None else None, facts)


# ---------------------------------------------------------------------------
# The rule


class When(Struct, frozen=True):
    """Which stacks, environments and resources a resource rule looks at (globs; a list: any of them)."""

    env: tuple[str, ...] = ()
    manifest: tuple[str, ...] = ()
    resource: tuple[str, ...] = ()
    path: tuple[str, ...] = ()

    def stack(self, manifest: str | None, path: str) -> bool:
        if self.manifest and not any(fnmatchcase(manifest or "", p) for p in self.manifest):
            return False
        return not self.path or any(glob_match(p, path) for p in self.path)

    def names(self, resource: str | None) -> bool:
        return not self.resource or any(fnmatchcase(resource or "", p) for p in self.resource)

    def environment(self, env: str | None) -> bool:
        """A value without an environment is used in every one, so it passes any env filter."""
        return not self.env or env is None or any(fnmatchcase(env, p) for p in self.env)


class Spec(Struct, frozen=True):
    """A declarative rule: its `assert` condition, message, the types or identities it covers, `when`."""

    condition: Condition
    message: str
    resources: tuple[str, ...] = ()
    identities: tuple[str, ...] = ()
    when: When = When()

    def format(self, facts: dict[str, str]) -> str:
        return self.message.format_map(_Facts(facts))


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return ""


# ---------------------------------------------------------------------------
# Parsing, with the line of every problem


class At(Struct, frozen=True):
    """A value of the rule file and the YAML node it was read from."""

    value: Any
    node: yaml.Node | None

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1 if self.node is not None else 1

    def get(self, key: str) -> At:
        node = None
        if isinstance(self.node, yaml.MappingNode):
            node = next((v for k, v in self.node.value if k.value == key), None)
        return At(self.value.get(key), node)

    def key_line(self, key: str) -> int:
        if isinstance(self.node, yaml.MappingNode):
            for k, _ in self.node.value:
                if k.value == key:
                    return k.start_mark.line + 1
        return self.line

    def items(self) -> list[At]:
        nodes = self.node.value if isinstance(self.node, yaml.SequenceNode) else []
        return [At(v, nodes[i] if i < len(nodes) else self.node) for i, v in enumerate(self.value)]


def is_declarative(data: dict[str, Any]) -> bool:
    return any(key in data for key in DECLARATIVE_KEYS)


def parse_spec(data: dict[str, Any], node: yaml.Node | None, summary: str) -> Spec:
    """The declarative part of a rule file; raises SpecError naming the line and the problem."""
    top = At(data, node)
    if "check" in data:
        raise SpecError(top.key_line("check"), "a rule has either `check` (Python) or `assert` (declarative), not both")
    if "assert" not in data:
        raise SpecError(
            top.key_line(next(k for k in DECLARATIVE_KEYS if k in data)), "a declarative rule needs `assert`"
        )
    if ("resources" in data) == ("identities" in data):
        raise SpecError(top.line, "a declarative rule applies to either `resources` (type names) or `identities`")
    kind = "resources" if "resources" in data else "identities"
    targets = _names(top.get(kind), kind)
    if kind == "identities" and "when" in data:
        raise SpecError(top.key_line("when"), "`when` filters resources; an identity rule cannot have it")
    message = top.get("message") if "message" in data else At(summary, None)
    if not isinstance(message.value, str) or not message.value.strip():
        raise SpecError(top.key_line("message"), "`message` must be a non-empty string")
    _check_placeholders(message, kind)
    return Spec(
        condition=parse_condition(top.get("assert"), kind),
        message=" ".join(message.value.split()),
        resources=targets if kind == "resources" else (),
        identities=targets if kind == "identities" else (),
        when=_when(top.get("when")) if "when" in data else When(),
    )


def _names(at: At, key: str) -> tuple[str, ...]:
    value = [at.value] if isinstance(at.value, str) else at.value
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise SpecError(at.line, f"`{key}` must be a name or a non-empty list of names")
    return tuple(v.strip() for v in value)


def _when(at: At) -> When:
    if not isinstance(at.value, dict) or not at.value:
        raise SpecError(at.line, f"`when` must be a mapping with any of: {', '.join(WHEN_KEYS)}")
    unknown = [k for k in at.value if k not in WHEN_KEYS]
    if unknown:
        raise SpecError(
            at.key_line(str(unknown[0])), f"unknown `when` key `{unknown[0]}` (known: {', '.join(WHEN_KEYS)})"
        )
    return When(**{key: _names(at.get(key), f"when.{key}") for key in at.value})


def _check_placeholders(message: At, kind: str) -> None:
    allowed = (*COMMON_FACTS, *(RESOURCE_FACTS if kind == "resources" else IDENTITY_FACTS))
    try:
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(message.value) if name is not None
        ]
    except ValueError as exc:
        raise SpecError(message.line, f"`message` is not a valid template: {exc}") from None
    for name, spec, conv in fields:
        if name not in allowed or spec or conv:
            raise SpecError(
                message.line, f"unknown placeholder {{{name}}} in `message` (known for {kind}: {', '.join(allowed)})"
            )


def parse_condition(at: At, kind: str) -> Condition:
    """`all`/`any`/`not`, a `path:` test (resource rules) or a grant test (identity rules); a list is `all`."""
    if isinstance(at.value, list):
        return AllOf(_child_conditions(at, "all", kind))
    if not isinstance(at.value, dict) or not at.value:
        raise SpecError(at.line, "a condition is a mapping (all, any, not, path, granted, never-granted) or a list")
    keys = [str(k) for k in at.value]
    for combinator in ("all", "any", "not"):
        if combinator in at.value:
            if len(keys) > 1:
                raise SpecError(
                    at.line, f"`{combinator}` must be alone in its mapping, not with {_others(keys, combinator)}"
                )
            if combinator == "not":
                return Not(parse_condition(at.get("not"), kind))
            children = _child_conditions(at.get(combinator), combinator, kind)
            return AllOf(children) if combinator == "all" else AnyOf(children)
    if "path" in at.value:
        return _path_test(at, kind)
    grant = [k for k in keys if k in GRANT_OPS]
    if grant:
        return _grant_test(at, grant, kind)
    raise SpecError(at.line, f"unknown condition `{keys[0]}`: use all, any, not, path (with a test) or a grant test")


def _others(keys: list[str], key: str) -> str:
    return ", ".join(f"`{k}`" for k in keys if k != key)


def _child_conditions(at: At, name: str, kind: str) -> tuple[Condition, ...]:
    if not isinstance(at.value, list) or not at.value:
        raise SpecError(at.line, f"`{name}` takes a non-empty list of conditions")
    return tuple(parse_condition(item, kind) for item in at.items())


def _path_test(at: At, kind: str) -> PathTest:
    if kind != "resources":
        raise SpecError(at.key_line("path"), "a `path` test needs `resources`; identity rules test grants")
    path = at.get("path")
    if not isinstance(path.value, str) or not all(part for part in path.value.split(".")):
        raise SpecError(path.line, "`path` must be a property path such as SecurityConfig.KmsKeyId")
    parts = tuple(int(p) if p.lstrip("-").isdigit() else p for p in path.value.split("."))
    if isinstance(parts[0], int):
        raise SpecError(path.line, "a `path` starts with a property name")
    ops = [k for k in at.value if k != "path"]
    if not ops:
        raise SpecError(at.line, f"a `path` test needs one of: {', '.join(PATH_OPS)}")
    for op in ops:
        if op not in PATH_OPS:
            raise SpecError(at.key_line(str(op)), f"unknown test `{op}` (known: {', '.join(PATH_OPS)})")
    return PathTest(parts, tuple((op, _op_argument(op, at.get(op))) for op in ops))


def _op_argument(op: str, at: At) -> Any:
    value = at.value
    if op in ("exists", "absent"):
        if not isinstance(value, bool):
            raise SpecError(at.line, f"`{op}` takes true or false")
        return value
    if op == "in":
        if not isinstance(value, list):
            raise SpecError(at.line, "`in` takes a list of values")
        return value
    if op == "matches":
        if not isinstance(value, str):
            raise SpecError(at.line, "`matches` takes a regular expression (a string)")
        bound = current().pattern_repeats
        if repeat_weight(value, bound) > bound:
            raise SpecError(at.line, f"`matches`: repeats nest past the {bound:,} limit (pattern-repeats)")
        try:
            return Matcher(regex.compile(value))
        except regex.error as exc:
            raise SpecError(at.line, f"`matches`: invalid regular expression: {exc}") from None
        except RecursionError:
            raise SpecError(at.line, "`matches`: the regular expression is nested too deeply") from None
    if op == "length":
        return _length(at)
    if op in COMPARE:
        if not _is_number(value):
            raise SpecError(at.line, f"`{op}` takes a number")
        return value
    return value  # equals: any value


def _length(at: At) -> tuple[tuple[str, int], ...]:
    if isinstance(at.value, int) and not isinstance(at.value, bool):
        return (("eq", at.value),)
    if not isinstance(at.value, dict) or not at.value:
        raise SpecError(at.line, f"`length` takes a number or a mapping of {', '.join(COMPARE)} to numbers")
    for key, value in at.value.items():
        if key not in COMPARE or not _is_number(value):
            raise SpecError(at.get(str(key)).line, f"`length` takes {', '.join(COMPARE)} with numbers, not `{key}`")
    return tuple(at.value.items())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _grant_test(at: At, grant: list[str], kind: str) -> GrantTest:
    if kind != "identities":
        raise SpecError(at.key_line(grant[0]), f"`{grant[0]}` needs `identities`; resource rules test `path`s")
    if len(grant) > 1:
        raise SpecError(at.line, "one grant test a mapping: `granted` or `never-granted`")
    for key in at.value:
        if key not in (*GRANT_OPS, *GRANT_KEYS):
            raise SpecError(
                at.key_line(str(key)), f"unknown key `{key}` in a grant test (known: {', '.join(GRANT_KEYS)})"
            )
    action, resource, each = at.get(grant[0]), at.get("resource"), at.get("each")
    if not isinstance(action.value, str) or not (action.value == "*" or ":" in action.value):
        raise SpecError(action.line, f"`{grant[0]}` takes an IAM action or pattern such as iam:* or iam:PassRole")
    if resource.value is not None and not isinstance(resource.value, str):
        raise SpecError(resource.line, "`resource` takes an ARN or pattern")
    if each.value is not None and not isinstance(each.value, bool):
        raise SpecError(each.line, "`each` takes true or false")
    return GrantTest(action.value.strip(), resource.value or "*", grant[0] == "granted", bool(each.value))
