"""MPL4xx from parliament: parliament (through `mplint.iam.parliament_adapter`) on every policy read.

Each policy is handed to parliament as compact JSON serialised from mplint's own tree of the file, for
JSON and YAML alike (and for the `{"PolicyVersion": {"Document": ...}}` form): parliament reads only
JSON, and only a bare policy. The serialiser records which node starts at each column, so parliament's
line/column positions map back to the node, hence to its span in the real file.

Every parliament finding type maps to one MPL4xx rule (`parliament:` in the rule files, read into `RULES`).
Where mplint's own rule (`mplint.checks.policy`) already reports the same thing, parliament's finding is
dropped so nothing is reported twice; parliament's findings that mplint's rules do not make are kept.
A crash or time-out inside parliament becomes a tool notification, and mplint's own findings still stand.

parliament is imported on the first policy: runs without policies never pay for it.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field, structs

from mplint.context import Context
from mplint.findings import Finding, Level, Notification, Span
from mplint.iam import analysis as own
from mplint.iam.wildcard import match_action
from mplint.model.policy import PolicyDocument, PolicyFile, Statement, policy_node
from mplint.registry import owns, parliament_types
from mplint.source import Document, Mapping, Node, Scalar, Sequence
from mplint.wording import fit, plural

R = owns(
    __name__,
    "MPL401",
    "MPL402",
    "MPL403",
    "MPL404",
    "MPL405",
    "MPL406",
    "MPL410",
    "MPL412",
    "MPL413",
    "MPL414",
    "MPL415",
    "MPL416",
    "MPL417",
    "MPL418",
    "MPL419",
    "MPL423",
    "MPL425",
    "MPL426",
    "MPL430",
    "MPL431",
    "MPL432",
    "MPL433",
    "MPL434",
    "MPL435",
)

if TYPE_CHECKING:
    from mplint.iam.parliament_adapter import ParliamentIssue

DEFAULT_TIMEOUT = 10.0  # seconds per policy, as the adapter's

RULES: dict[str, str] = parliament_types()  # parliament finding type -> rule id (`parliament:` in rules/)

# parliament's MALFORMED details -> the policy model's problem codes that report the same defect.
MALFORMED_CODES: dict[str, frozenset[str]] = {
    "Policy contains an unknown element": frozenset({"unknown-key"}),
    "Policy does not contain a required element Statement": frozenset({"no-statement"}),
    "Policy does not contain a Statement element": frozenset({"no-statement"}),
    "Statement contains an unknown element": frozenset({"unknown-key"}),
    "Statement does not contain an Effect element": frozenset({"no-effect"}),
    "Unknown Effect used. Effect must be either Allow or Deny": frozenset({"bad-effect"}),
    "Statement contains both Action and NotAction": frozenset({"both-elements"}),
    "Statement contains neither Action nor NotAction": frozenset({"no-action"}),
    "Statement contains both Resource and NotResource": frozenset({"both-elements"}),
    "Statement contains neither Resource nor NotResource": frozenset({"no-resource"}),
    "Condition formatted incorrectly": frozenset({"bad-condition"}),
}
_UNKNOWN_CONDITION = re.compile(r"Unknown condition (\S+) for action (\S+)")
_DUPLICATE_SID = re.compile(r"Duplicate Statement Id '(.*)' in policy")
_ALLOWS = re.compile(r"does allow (s3:\w+)")
_SKIPPED = "parliament skipped its policy-level checks"
_SENTENCE_BREAK = re.compile(r"\.\s+([A-Z])(?=[a-z])")
_BUCKET_ESCALATION = re.compile(r"on (\S+) due to (s3:\w+) not being allowed, but does allow (s3:\w+)")
_ABOUT_ACTIONS = frozenset(
    {"RESOURCE_MISMATCH", "RESOURCE_STAR", "RESOURCE_EFFECTIVELY_STAR", "UNKNOWN_CONDITION_FOR_ACTION"}
)


def check_policy(ctx: Context, policy: PolicyFile) -> Iterator[Finding | Notification]:
    from mplint.iam import parliament_adapter  # imported only when there is a policy to lint

    roots = ctx.once("documents-by-path", ctx.project, lambda: {d.source.display: d for d in ctx.project.documents})
    yield from _one(policy, roots.get(policy.name), parliament_adapter, settings(ctx.config))


class Settings(Struct, frozen=True):
    """How parliament is run: community auditors on or off, the time limit per policy, config overrides."""

    community: bool = False  # parliament's community auditors: slow, so opt-in
    timeout: float | None = DEFAULT_TIMEOUT
    overrides: dict[str, dict[str, Any]] | None = None  # parliament config, e.g. SENSITIVE_ACCESS resources


def settings(config: object) -> Settings:
    """From the `parliament:` config section (`Config.parliament`), when the config has one."""
    section = getattr(config, "parliament", None)
    if section is None:
        return Settings()
    return Settings(
        bool(getattr(section, "community_auditors", False)),
        getattr(section, "timeout", DEFAULT_TIMEOUT),
        getattr(section, "overrides", None) or None,
    )


def _one(policy: PolicyFile, doc: Document | None, adapter: Any, options: Settings) -> Iterator[Finding | Notification]:
    if doc is None or doc.root is None:
        return  # nothing parliament could read; the loader or MPL401 reports it
    node, override = policy_node(doc.root)
    text, places = serialise(node)
    result = adapter.analyze_policy(
        text,
        path=policy.name,
        include_community_auditors=options.community,
        timeout=options.timeout,
        config_overrides=options.overrides,
    )
    mapper = _Mapper(policy, places, override)
    for note in result.notifications:
        if options.community or not note.message.startswith(_SKIPPED):  # without auditors, every cause is a finding
            yield structs.replace(note, span=mapper.span_at(note.span))
    for issue in result.issues:
        yield from mapper.findings(issue)
    yield from mapper.flush()


# ---------------------------------------------------------------------------
# Serialising, with the node at each column


class Place(Struct, frozen=True):
    """The node at one column of the serialised policy, and the index of its statement."""

    node: Node
    statement: int | None  # index into PolicyDocument.statements


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.col = 1
        self.places: dict[int, Place] = {}

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.col += len(text)

    def value(self, node: Node, stmt: int | None = None) -> None:
        self.places[self.col] = Place(node, stmt)
        if isinstance(node, Mapping):
            self.mapping(node, stmt, root=False)
        elif isinstance(node, Sequence):
            self.emit("[")
            for i, item in enumerate(node.items):
                self.emit("," if i else "")
                self.value(item, stmt)
            self.emit("]")
        else:
            self.emit(_scalar(node.value if isinstance(node, Scalar) else None))

    def mapping(self, node: Mapping, stmt: int | None, root: bool) -> None:
        last = {_key(k.value): (k, v) for k, v in node.items}  # the last duplicate wins, as IAM reads it
        self.emit("{")
        for i, (name, (key, value)) in enumerate(last.items()):
            self.emit("," if i else "")
            self.places[self.col] = Place(key, stmt)
            self.emit(json.dumps(name) + ":")
            if root and name == "Statement":
                self.statements(value)
            else:
                self.value(value, stmt)
        self.emit("}")

    def statements(self, node: Node) -> None:
        if not isinstance(node, Sequence):
            self.value(node, 0 if isinstance(node, Mapping) else None)
            return
        self.places[self.col] = Place(node, None)
        self.emit("[")
        index = 0
        for i, item in enumerate(node.items):
            self.emit("," if i else "")
            self.value(item, index if isinstance(item, Mapping) else None)
            index += isinstance(item, Mapping)
        self.emit("]")


def serialise(node: Node) -> tuple[str, dict[int, Place]]:
    """Compact JSON (one line, ASCII) of a policy node and the node starting at each 1-based column."""
    writer = _Writer()
    if isinstance(node, Mapping):
        writer.places[1] = Place(node, None)
        writer.mapping(node, None, root=True)
    else:
        writer.value(node)
    return "".join(writer.parts), writer.places


def _key(value: object) -> str:
    """A key as JSON must spell it: a string (YAML also allows numbers, booleans, dates as keys)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return json.dumps(value) if value is None or isinstance(value, bool) else str(value)


def _scalar(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(str(value))
    if value is None or isinstance(value, (str, bool, int, float)):
        return json.dumps(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return json.dumps(value.isoformat())
    return json.dumps(str(value))


# ---------------------------------------------------------------------------
# From parliament's issues to findings


class _Mapper(Struct, eq=False):
    """Turns parliament's issues on one policy into findings at the nodes they are about."""

    policy: PolicyFile
    places: dict[int, Place]
    override: Span | None
    _grants: own.Grants | None = None
    _methods: set[str] | None = None  # the escalation methods mplint's MPL423 reports
    _conditions: dict[tuple[Span, str], list[str]] = field(default_factory=dict)
    _buckets: dict[tuple[Span, str, str], list[str]] = field(default_factory=dict)

    @property
    def doc(self) -> PolicyDocument:
        return self.policy.document

    @property
    def grants(self) -> own.Grants:
        if self._grants is None:
            self._grants = own.Grants(self.policy)
        return self._grants

    # -- positions --------------------------------------------------------------------------------------

    def place(self, issue: ParliamentIssue) -> Place | None:
        return self.places.get(issue.column or 0) if issue.line == 1 else None

    def span_at(self, span: Span | None) -> Span:
        """A span in the serialised text (line 1) -> the span in the file."""
        found = self.places.get(span.col) if span is not None and span.line == 1 else None
        return self.node_span(found.node) if found else self.doc.span

    def node_span(self, node: Node) -> Span:
        return self.override or node.span

    def statement(self, place: Place | None) -> Statement | None:
        if place is None or place.statement is None or place.statement >= len(self.doc.statements):
            return None
        return self.doc.statements[place.statement]

    def granting(self, actions: list[str], resource: str | None = None) -> Span:
        """Where the policy grants the first of the actions that it grants; else the document."""
        for action in actions:
            span = self.grants.span(action, resource)
            if span is not None:
                return span
        return self.doc.span

    # -- translation ------------------------------------------------------------------------------------

    def findings(self, issue: ParliamentIssue) -> Iterator[Finding | Notification]:
        rule = RULES.get(issue.issue)
        if rule is None:
            message = f"parliament finding {issue.issue} has no mplint rule: {issue.detail}"
            yield Notification(message, Level.NOTE, self.doc.span)
            return
        if self.covered(issue):
            return
        place = self.place(issue)
        stmt = self.statement(place)
        if issue.issue in _ABOUT_ACTIONS and stmt is not None and stmt.negated_action:
            return  # parliament takes a NotAction list for the actions granted: these would be about the wrong ones
        span = self.node_span(place.node) if place else self.doc.span
        # A method named after the type (`_resource_star`) words and places it; the others take the default.
        special = getattr(self, f"_{issue.issue.lower()}", None)
        if special is not None:
            yield from special(issue, rule, place, span)
        else:
            yield self.finding(rule, issue, _describe(issue), span)

    def finding(self, rule: str, issue: ParliamentIssue, message: str, span: Span) -> Finding:
        return R.emit(rule, _one_sentence(message), span, properties={"parliament": issue.issue})

    def covered(self, issue: ParliamentIssue) -> bool:
        """Does mplint's own rule already report what this parliament finding says?"""
        kind, text = issue.issue, issue.location.get("string")
        codes = {p.code for p in self.doc.problems}
        if kind == "MALFORMED":
            return bool(MALFORMED_CODES.get(str(issue.detail), frozenset()) & codes)
        if kind in ("UNKNOWN_ACTION", "UNKNOWN_PREFIX"):
            return isinstance(text, str) and own.unknown_action(text) is not None
        if kind == "INVALID_ARN":
            return isinstance(text, str) and own.arn_problem(text) is not None
        if kind == "INVALID_SID":
            return isinstance(text, str) and own.invalid_sid(text)
        if kind == "DUPLICATE_SID":
            match = _DUPLICATE_SID.search(str(issue.detail))
            return bool(match) and any(later.sid == match.group(1) for _, later in own.duplicate_sids(self.doc))
        if kind == "PRIVILEGE_ESCALATION":
            if self._methods is None:
                self._methods = set(own.escalations(self.policy)) if own.may_escalate(self.policy) else set()
            return issue.location.get("type") in self._methods or own.allows_everything(self.policy)
        return {"INVALID_VERSION": "bad-version", "NO_VERSION": "no-version"}.get(kind, "") in codes or (
            kind == "OLD_VERSION" and own.is_old_version(self.doc)
        )

    def _resource_mismatch(
        self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span
    ) -> Iterator[Finding]:
        stmt = self.statement(place)
        flagged = own.mismatched_patterns(stmt) if stmt is not None else []
        resources = tuple(p.value for p in (stmt.resources or ())) if stmt is not None else ()
        entries = [
            e
            for e in issue.detail or []
            if isinstance(e, dict)
            and not any(match_action(p.value.strip(), e["action"]) for p in flagged)
            and not any(own.can_match(r, _as_template(str(e.get("required_format", "")))) for r in resources)
        ]  # fmt: skip  (mplint's own matcher decides what a Resource matches, as the evaluator does)
        needs: dict[str, list[str]] = {}
        for entry in entries:
            if self._granted(str(entry["action"]), str(entry["required_format"])):
                continue
            formats = needs.setdefault(str(entry["action"]), [])
            if f"`{entry['required_format']}`" not in formats:
                formats.append(f"`{entry['required_format']}`")
        if needs:
            verb = "needs" if len(needs) == 1 else "need"
            head = f"{plural(len(needs), 'action')} of this statement {verb} a resource no Resource matches: "
            if len(needs) == 1:
                ((action, formats),) = needs.items()
                message = fit(f"{head}`{action}` needs ", formats, sep=" and ")
            else:
                message = fit(head, [_needing(a, f) for a, f in needs.items()], most=3)
            yield self.finding(rule, issue, message, span)

    def _granted(self, action: str, required: str) -> bool:
        """Does an Allow of the policy grant the action on resources of the required format? AWS's own
        policies split an action's resources over statements (`ec2:CreateNetworkInterface`: the interface
        under a condition, the subnet and security group without)."""
        wildcard_only = required.strip() == "*"  # an action without resource types: Resource must match `*`
        return self.grants.span(action, required, wildcard_only) is not None

    def _resource_star(self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span) -> Iterator[Finding]:
        stmt = self.statement(place)
        star = [p for p in (stmt.resources or ()) if set(p.value) <= {"*"}] if stmt else []
        actions = [str(a) for a in issue.detail] if isinstance(issue.detail, list) else []
        head = f"Resource `*` for {plural(len(actions), 'action')} that can be limited to specific resources: "
        yield self.finding(rule, issue, fit(head, actions, most=4), star[0].span if star else span)

    def _resource_effectively_star(
        self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span
    ) -> Iterator[Finding]:
        stmt = self.statement(place)
        first = (stmt.resources or ())[:1] if stmt else ()
        message = "the Resource patterns cover every resource that the statement's actions apply to: as wide as `*`"
        yield self.finding(rule, issue, message, first[0].span if first else span)

    def _unknown_condition_for_action(
        self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span
    ) -> Iterator[Finding]:
        match = _UNKNOWN_CONDITION.search(str(issue.detail))
        if match is None:
            yield self.finding(rule, issue, _describe(issue), span)
            return
        key, action = match.groups()
        if key.lower().startswith("aws:") or _documented(key, action):
            return  # global keys, and keys newer than parliament's database
        stmt = self.statement(place)
        entry = next((c for c in stmt.conditions if c.key == key), None) if stmt else None
        actions = self._conditions.setdefault((entry.span if entry else span, key), [])
        if action not in actions:
            actions.append(action)

    def flush(self) -> Iterator[Finding]:
        """The findings gathered over all issues: one per condition key and statement, one per bucket."""
        rule = RULES["UNKNOWN_CONDITION_FOR_ACTION"]
        for (span, key), actions in self._conditions.items():
            head = f"condition key `{key}` is undocumented for {len(actions)} of the statement's actions ("
            message = fit(head, [f"`{a}`" for a in actions], "): for those it is absent", most=3)
            yield R.emit(rule, message, span, properties={"parliament": "UNKNOWN_CONDITION_FOR_ACTION"})
        self._conditions.clear()
        for (span, allowed, bucket), missing in self._buckets.items():
            head = f"`{allowed}` on `{bucket}` but not "
            tail = " on its objects: by rewriting the bucket's policy it can grant itself that access"
            message = fit(head, [f"`{m}`" for m in sorted(missing)], tail, sep=" or ")
            properties = {"parliament": "RESOURCE_POLICY_PRIVILEGE_ESCALATION"}
            yield R.emit(RULES["RESOURCE_POLICY_PRIVILEGE_ESCALATION"], message, span, properties=properties)
        self._buckets.clear()

    def _condition_block(self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span) -> Iterator[Finding]:
        node = place.node if place else None
        if isinstance(node, Mapping) and node.items and self.override is None:
            span = node.items[0][0].span  # the first condition key of the operator's block
        yield self.finding(rule, issue, _describe(issue), span)

    _unknown_operator = _condition_block
    _mismatched_type = _condition_block
    _mismatched_type_operation_to_null = _condition_block
    _mismatched_type_but_usable = _condition_block
    _bad_pattern_for_mfa = _condition_block

    def _invalid_arn(self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span) -> Iterator[Finding]:
        yield self.finding(rule, issue, f"`{issue.location.get('string')}`: {issue.detail}", span)

    def _resource_policy_privilege_escalation(
        self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span
    ) -> Iterator[Finding]:
        match = _BUCKET_ESCALATION.search(str(issue.detail))
        if match is None:
            yield self.finding(rule, issue, _describe(issue), span)
            return
        bucket, missing, allowed = match.groups()
        self._buckets.setdefault((self.granting([allowed]), allowed, bucket), []).append(missing)

    def _single_value_condition_too_permissive(
        self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span
    ) -> Iterator[Finding]:
        entries = [c for stmt in self.doc.statements for c in stmt.conditions if c.set_operator]
        yield self.finding(rule, issue, _describe(issue), entries[0].span if entries else span)

    def _by_actions(self, issue: ParliamentIssue, rule: str, place: Place | None, span: Span) -> Iterator[Finding]:
        actions = issue.location.get("actions") or []
        actions = [_spelled(a) for a in ([actions] if isinstance(actions, str) else actions)]
        kind, resource = issue.location.get("type"), issue.location.get("resource")
        head = issue.title.rstrip(".") + (f" ({kind})" if kind else "")
        tail = f" on `{resource}`" if resource else ""
        where = self.granting(actions, resource if resource != "*" else None) if actions else span
        yield self.finding(rule, issue, fit(f"{head}: ", actions, tail, most=6), where)

    _permissions_management_actions = _by_actions
    _credentials_exposure = _by_actions
    _privilege_escalation = _by_actions
    _sensitive_access = _by_actions


def _one_sentence(text: str) -> str:
    """parliament's details may hold several sentences; a finding's message is one (as SARIF viewers show it)."""
    return _SENTENCE_BREAK.sub(lambda m: f"; {m.group(1).lower()}", text)


def _spelled(action: object) -> str:
    """An action as AWS spells it (parliament's auditors report them in lower case)."""
    info = own.catalog().action(str(action))
    return info.full_name if info is not None else str(action)


def _documented(key: str, action: str) -> bool:
    """Is the key one the catalog documents for the action (templates such as `s3:ExistingObjectTag/<key>`
    included)? parliament's database predates many keys."""
    low = key.lower()
    for known in own.catalog().condition_keys(action):
        k = known.lower()
        stem = k.split("${", 1)[0].split("<", 1)[0]
        if k == low or (stem != k and low.startswith(stem) and len(low) > len(stem)):
            return True
    return False


def _describe(issue: ParliamentIssue) -> str:
    detail = issue.detail
    if isinstance(detail, list):
        detail = ", ".join(str(d) for d in detail)
    title = issue.title.rstrip(".")
    if not detail:
        return title
    text = str(detail).strip()
    return text if " " in text else f"{title}: {text}"  # a sentence stands alone; a bare name needs the title


def _needing(action: str, formats: list[str]) -> str:
    """`s3:GetObject` needs `arn:*:s3:::*/*`; with several resource types, the first and how many more."""
    if len(formats) == 1:
        return f"`{action}` needs {formats[0]}"
    return f"`{action}` needs {formats[0]} and {plural(len(formats) - 1, 'other type')}"


def _as_template(arn_format: str) -> str:
    """parliament's ARN format (`arn:*:sagemaker:*:*:model-package/*`) as an IAM reference template."""
    return arn_format.replace("*", "${Any}")
