"""IAM policy documents as a typed model that keeps the span of every part.

Built from a loaded :class:`~mplint.source.Document` (JSON or YAML). Accepts a
bare policy document or the IAM API form ``{"PolicyVersion": {"Document": ...}}``
whose Document may be an object or a JSON string, URL-encoded or not.

Nothing here raises on malformed policies: each defect becomes a
:class:`Problem` (code, message, span) on the document, and the parts that make
sense are kept. A statement the evaluator cannot use is marked not evaluable.
"""

from __future__ import annotations

import datetime
import json
from enum import Enum
from pathlib import Path
from urllib.parse import unquote, unquote_plus

from msgspec import Struct, field

from mplint.findings import Span
from mplint.limits import DEFAULT, Limits
from mplint.source import (
    Document,
    LoadError,
    Mapping,
    Node,
    Scalar,
    Sequence,
    SourceFile,
    load_json,
    load_yaml,
    read_source,
)

VERSIONS = ("2012-10-17", "2008-10-17")
VARIABLES_VERSION = "2012-10-17"
EFFECTS = ("Allow", "Deny")
STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
DOCUMENT_KEYS = frozenset({"Version", "Id", "Statement"})


class PolicyKind(str, Enum):
    """Where a policy sits in evaluation."""

    IDENTITY = "identity"
    BOUNDARY = "boundary"
    SCP = "scp"
    RESOURCE = "resource"  # a resource's own policy (KMS key policy, bucket policy, trust policy)


class Problem(Struct, frozen=True):
    """A defect in a policy, for a rule to report. ``code`` is a stable short name."""

    code: str
    message: str
    span: Span


class Pattern(Struct, frozen=True):
    """One action or resource string and where it is."""

    value: str
    span: Span


class Principal(Struct, frozen=True):
    """One principal of a Principal or NotPrincipal element: its kind (AWS, Service, Federated,
    CanonicalUser, or `*` for the bare wildcard) and value."""

    kind: str
    value: str
    span: Span


class ConditionEntry(Struct, frozen=True):
    """One ``operator → key → values`` test of a Condition block."""

    operator: str
    key: str
    values: tuple[str, ...]
    span: Span  # the key

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    @property
    def set_operator(self) -> str | None:
        """``ForAllValues`` or ``ForAnyValue`` when the operator has that qualifier."""
        head, sep, _ = self.operator.partition(":")
        return head if sep else None

    @property
    def base_operator(self) -> str:
        op = self.operator.partition(":")[2] or self.operator
        return op.removesuffix("IfExists")

    @property
    def negated(self) -> bool:
        return "Not" in self.base_operator

    @property
    def holds_when_key_absent(self) -> bool:
        """The outcome of this test when the request has no such key.

        Positive operators fail on a missing key; ``...IfExists`` and
        ``ForAllValues:`` hold; negated operators hold (nothing to differ from);
        ``Null: true`` holds and ``Null: false`` fails.
        """
        if self.base_operator == "Null":
            return any(v.lower() == "true" for v in self.values)
        if self.if_exists or self.set_operator == "ForAllValues":
            return True
        if self.set_operator == "ForAnyValue":
            return False
        return self.negated


class Statement(Struct, eq=False):
    """One statement. ``actions``/``not_actions``/``resources``/``not_resources`` are None when absent."""

    index: int
    span: Span
    sid: str | None = None
    sid_span: Span | None = None
    effect: str | None = None
    effect_span: Span | None = None
    actions: tuple[Pattern, ...] | None = None
    not_actions: tuple[Pattern, ...] | None = None
    resources: tuple[Pattern, ...] | None = None
    not_resources: tuple[Pattern, ...] | None = None
    conditions: tuple[ConditionEntry, ...] = ()
    condition_span: Span | None = None
    principal_span: Span | None = None  # Principal or NotPrincipal, which identity policies must not have
    principals: tuple[Principal, ...] | None = None  # a resource policy's Principal (None: absent)
    not_principals: tuple[Principal, ...] | None = None
    malformed: bool = False  # a defect that makes the statement unusable

    @property
    def evaluable(self) -> bool:
        """Can the evaluator use it: a valid Effect and exactly one of each action and resource element."""
        return (
            not self.malformed
            and self.effect in EFFECTS
            and (self.actions is None) != (self.not_actions is None)
            and (self.resources is None) != (self.not_resources is None)
        )

    @property
    def action_patterns(self) -> tuple[Pattern, ...]:
        return self.actions if self.actions is not None else self.not_actions or ()

    @property
    def resource_patterns(self) -> tuple[Pattern, ...]:
        return self.resources if self.resources is not None else self.not_resources or ()

    @property
    def negated_action(self) -> bool:
        return self.actions is None and self.not_actions is not None

    @property
    def negated_resource(self) -> bool:
        return self.resources is None and self.not_resources is not None

    @property
    def condition_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key for c in self.conditions))

    @property
    def label(self) -> str:
        return f"statement {self.sid!r}" if self.sid else f"statement #{self.index + 1}"


class PolicyDocument(Struct, eq=False):
    """A policy document: its version, statements and the problems found while reading it."""

    span: Span
    version: str | None = None
    version_span: Span | None = None
    id: str | None = None
    statements: list[Statement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17 (absent means 2008-10-17)."""
        return self.version == VARIABLES_VERSION

    @classmethod
    def from_document(cls, doc: Document, limits: Limits = DEFAULT) -> PolicyDocument:
        """Build from a loaded file; a policy over the statement or action limits raises LoadError (MPL005)."""
        return cls.from_node(doc.root, doc.source.whole_span(), limits)

    @classmethod
    def from_value(cls, node: Node, limits: Limits = DEFAULT) -> PolicyDocument:
        """A policy written as a property value: a mapping, or a JSON string (spans inside the string)."""
        builder = _Builder(limits)
        if isinstance(node, Scalar) and isinstance(node.value, str):
            return builder.document(builder.parse_embedded(node), node.span)
        return builder.document(node, node.span)

    @classmethod
    def from_node(cls, node: Node | None, where: Span, limits: Limits = DEFAULT) -> PolicyDocument:
        """Build from a tree node (None: an empty file); ``where`` locates problems when there is no node."""
        return _Builder(limits).document(node, where)


class PolicyFile(Struct, eq=False):
    """A policy with its role in evaluation and its name (the path as shown to users)."""

    name: str
    kind: PolicyKind
    document: PolicyDocument

    @property
    def problems(self) -> list[Problem]:
        return self.document.problems


def load_policy(path: Path, display: str, kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyFile:
    """Read and model a policy file (YAML for .yml/.yaml, else JSON); bad input raises LoadError."""
    source = read_source(path, display, any_bom=True)
    return policy_from_source(source, kind)


def policy_from_source(source: SourceFile, kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyFile:
    loader = load_yaml if source.display.lower().endswith((".yml", ".yaml")) else load_json
    return PolicyFile(source.display, kind, PolicyDocument.from_document(loader(source)))


def policy_node(root: Node) -> tuple[Node, Span | None]:
    """The policy document node inside a file's root (unwrapping `{"PolicyVersion": {"Document": ...}}`), and,
    when the Document is held in a string, the span of that string (every place inside it maps there)."""
    builder = _Builder()
    return builder.unwrap(root), builder.override


def policy_from_text(text: str, name: str = "policy.json", kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyFile:
    """Model policy text held in memory (tests, embedded documents)."""
    return policy_from_source(SourceFile(Path(name), name, text), kind)


# ---------------------------------------------------------------------------
# Building


def _text(value: object) -> str | None:
    """A scalar as IAM reads it: strings as is, numbers and booleans as JSON spells them, YAML dates as ISO."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return None


class _Builder:
    def __init__(self, limits: Limits = DEFAULT) -> None:
        self.limits = limits
        self.patterns_read = 0
        self.problems: list[Problem] = []
        self.override: Span | None = None  # set while reading a Document held in a string

    def span(self, node: Node) -> Span:
        return self.override or node.span

    def problem(self, code: str, message: str, node: Node | Span) -> None:
        span = node if isinstance(node, Span) else self.span(node)
        self.problems.append(Problem(code, message, span))

    def document(self, node: Node | None, where: Span) -> PolicyDocument:
        if node is None:
            self.problem("empty", "the policy file is empty", where)
            return PolicyDocument(where, problems=self.problems)
        node = self.unwrap(node)
        doc = PolicyDocument(self.span(node), problems=self.problems)
        if not isinstance(node, Mapping):
            self.problem("not-object", "a policy document must be an object", node)
            return doc
        self.unknown_keys(node, DOCUMENT_KEYS, "policy document")
        self.version(node, doc)
        if (id_node := node.get("Id")) is not None:
            doc.id = _text(id_node.value) if isinstance(id_node, Scalar) else None
        self.statements(node, doc)
        return doc

    def unwrap(self, node: Node) -> Node:
        """The policy inside ``{"PolicyVersion": {"Document": ...}}``, parsing a string Document."""
        if not isinstance(node, Mapping) or node.get("PolicyVersion") is None:
            return node
        version = node.get("PolicyVersion")
        inner = version.get("Document") if isinstance(version, Mapping) else None
        if inner is None:
            self.problem("no-document", "PolicyVersion has no Document", version)
            return version
        if isinstance(inner, Scalar) and isinstance(inner.value, str):
            return self.parse_embedded(inner)
        return inner

    def parse_embedded(self, node: Scalar) -> Node:
        """A Document given as a JSON string; every span inside points at that string."""
        text = node.value.strip()
        candidates = [text]
        if "%" in text or "+" in text:
            candidates += [unquote(text), unquote_plus(text)]
        for candidate in candidates:
            try:
                parsed = load_json(SourceFile(Path(node.span.path), node.span.path, candidate)).root
            except LoadError:
                continue
            if parsed is not None:
                self.override = self.span(node)
                return parsed
        self.problem("bad-document", "PolicyVersion.Document is a string that is not a JSON policy", node)
        return node

    def unknown_keys(self, node: Mapping, known: frozenset[str], what: str) -> None:
        for key, _ in node.items:
            if key.value not in known:
                self.problem("unknown-key", f"unknown key {key.value!r} in {what}", key)

    def version(self, node: Mapping, doc: PolicyDocument) -> None:
        value_node = node.get("Version")
        if value_node is None:
            message = "no Version: defaults to 2008-10-17, where policy variables are literal text"
            self.problem("no-version", message, node)
            return
        doc.version_span = self.span(value_node)
        doc.version = _text(value_node.value) if isinstance(value_node, Scalar) else None
        if doc.version not in VERSIONS:
            self.problem("bad-version", f"Version must be one of {', '.join(VERSIONS)}", value_node)

    def statements(self, node: Mapping, doc: PolicyDocument) -> None:
        body = node.get("Statement")
        if body is None:
            self.problem("no-statement", "the policy has no Statement", node)
            return
        items = body.items if isinstance(body, Sequence) else [body]
        if len(items) > self.limits.policy_statements:
            raise LoadError(
                "MPL005",
                f"the policy has {len(items):,} statements, over the limit of {self.limits.policy_statements:,}:"
                " not linted",
                self.span(node.key("Statement") or body),
            )
        for item in items:
            if isinstance(item, Mapping):
                doc.statements.append(self.statement(item, len(doc.statements)))
            else:
                self.problem("bad-statement", "a statement must be an object", item)

    def statement(self, node: Mapping, index: int) -> Statement:
        stmt = Statement(index, self.span(node))
        self.unknown_keys(node, STATEMENT_KEYS, "statement")
        self.sid(node, stmt)
        self.effect(node, stmt)
        stmt.actions, stmt.not_actions = self.pair(node, stmt, "Action", "NotAction")
        stmt.resources, stmt.not_resources = self.pair(node, stmt, "Resource", "NotResource")
        principal = node.get("Principal") or node.get("NotPrincipal")
        stmt.principal_span = self.span(principal) if principal is not None else None
        if node.get("Principal") is not None:
            stmt.principals = self.principals(node.get("Principal"))
        if node.get("NotPrincipal") is not None:
            stmt.not_principals = self.principals(node.get("NotPrincipal"))
        if (cond := node.get("Condition")) is not None:
            stmt.condition_span = self.span(cond)
            stmt.conditions = self.conditions(cond, stmt)
        return stmt

    def principals(self, node: Node) -> tuple[Principal, ...]:
        """`"*"` or `{"AWS": ..., "Service": ...}` with a string or a list under each kind; other shapes
        give nothing (the policy rules report them)."""
        if isinstance(node, Scalar):
            return (Principal("*", "*", self.span(node)),) if node.value == "*" else ()
        if not isinstance(node, Mapping):
            return ()
        out: list[Principal] = []
        for kind, values in node.items:
            items = values.items if isinstance(values, Sequence) else [values]
            for item in items:
                if isinstance(item, Scalar) and item.value is not None and not isinstance(item.value, (dict, list)):
                    out.append(Principal(str(kind.value), str(item.value), self.span(item)))
        return tuple(out)

    def sid(self, node: Mapping, stmt: Statement) -> None:
        value = node.get("Sid")
        if value is None:
            return
        stmt.sid_span = self.span(value)
        if isinstance(value, Scalar) and isinstance(value.value, str):
            stmt.sid = value.value
        else:
            self.problem("bad-sid", "Sid must be a string", value)

    def effect(self, node: Mapping, stmt: Statement) -> None:
        value = node.get("Effect")
        if value is None:
            self.problem("no-effect", f"{stmt.label} has no Effect", stmt.span)
            return
        stmt.effect_span = self.span(value)
        text = value.value if isinstance(value, Scalar) and isinstance(value.value, str) else None
        if text in EFFECTS:
            stmt.effect = text
        else:
            self.problem("bad-effect", f"Effect must be Allow or Deny, not {_show(value)}", value)

    def pair(
        self, node: Mapping, stmt: Statement, name: str, negated: str
    ) -> tuple[tuple[Pattern, ...] | None, tuple[Pattern, ...] | None]:
        """Read ``name`` and ``Not<name>``; exactly one of them must be there."""
        plain, inverse = node.get(name), node.get(negated)
        if plain is not None and inverse is not None:
            self.problem("both-elements", f"{stmt.label} has both {name} and {negated}", node.key(negated) or node)
            stmt.malformed = True
        elif plain is None and inverse is None:
            self.problem(f"no-{name.lower()}", f"{stmt.label} has neither {name} nor {negated}", stmt.span)
        return self.patterns(plain, name, stmt), self.patterns(inverse, negated, stmt)

    def patterns(self, node: Node | None, name: str, stmt: Statement) -> tuple[Pattern, ...] | None:
        if node is None:
            return None
        items = node.items if isinstance(node, Sequence) else [node]
        self.patterns_read += len(items)
        if self.patterns_read > self.limits.policy_actions:
            raise LoadError(
                "MPL005",
                f"the policy has more than {self.limits.policy_actions:,} actions and resources: not linted",
                self.span(node),
            )
        out: list[Pattern] = []
        for item in items:
            if isinstance(item, Scalar) and isinstance(item.value, str) and item.value:
                out.append(Pattern(item.value, self.span(item)))
            else:
                self.problem(f"bad-{name.lower()}", f"each {name} must be a non-empty string, not {_show(item)}", item)
        if not items:
            self.problem(f"empty-{name.lower()}", f"{name} of {stmt.label} is an empty list", node)
        if name.endswith("Action"):
            for pattern in out:
                if pattern.value != "*" and ":" not in pattern.value:
                    message = f"action {pattern.value!r} is not of the form service:Name"
                    self.problem("bad-action", message, pattern.span)
        return tuple(out)

    def conditions(self, node: Node, stmt: Statement) -> tuple[ConditionEntry, ...]:
        if not isinstance(node, Mapping):
            self.problem("bad-condition", "Condition must be an object", node)
            stmt.malformed = True
            return ()
        out: list[ConditionEntry] = []
        for op_key, block in node.items:
            if not isinstance(block, Mapping) or not isinstance(op_key.value, str):
                self.problem("bad-condition", f"condition operator {op_key.value!r} must map keys to values", block)
                stmt.malformed = True
                continue
            for key, values in block.items:
                out.append(ConditionEntry(op_key.value, str(key.value), self.condition_values(values), self.span(key)))
        return tuple(out)

    def condition_values(self, node: Node) -> tuple[str, ...]:
        items = node.items if isinstance(node, Sequence) else [node]
        out: list[str] = []
        for item in items:
            text = _text(item.value) if isinstance(item, Scalar) else None
            if text is None:
                message = f"condition value must be a string, number or boolean, not {_show(item)}"
                self.problem("bad-condition-value", message, item)
            else:
                out.append(text)
        return tuple(out)


def _show(node: Node) -> str:
    if isinstance(node, Mapping):
        return "an object"
    if isinstance(node, Sequence):
        return "a list"
    value = node.value if isinstance(node, Scalar) else None
    return "null" if value is None else repr(value)
