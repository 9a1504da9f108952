"""Every provider table a query statement uses, with the SQL verb and the parameters it passes.

A statement can use several tables: an INSERT, UPDATE, REPLACE or DELETE its target, a SELECT every table of its
FROM and JOIN clauses (CTEs and subqueries included), an `EXEC <table>.<method> @name=value, ...` the method's
table. Each use carries what the statement passes the provider: the INSERT's columns, the SET assignments, the
WHERE keys, the `@` arguments, each as (name, value text, where). No finding is made here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from mplint.findings import Span
from mplint.model.query import JINJA, PUNCT, Anchor, Item, QueryFile, Statement, parse_insert, tokenize
from mplint.source import SourceFile

PROVIDERS = ("aws", "awscc")
_HEAD_RE = re.compile(r"(?:\s|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|--[^\n]*|/\*.*?\*/)*([A-Za-z]+)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Arg:
    name: Item  # the column, SET target, WHERE key or `@` argument (without the `@`)
    value: Item  # its value as written ('' with the statement's span when not `=`)


@dataclass(slots=True, eq=False)
class TableUse:
    table: str  # `aws.ec2.security_groups` (lower case), `awscc.ec2.vpcs_list_only`
    verb: str  # select | insert | update | replace | delete | exec
    span: Span  # where the table (or `table.method`) is written
    anchor: str  # the anchor the statement is under: exists, create, ...
    method: str | None = None  # the method an EXEC names
    args: list[Arg] = field(default_factory=list)  # INSERT columns, SET assignments, `@` arguments
    where: list[Arg] = field(default_factory=list)  # WHERE keys given with `=`
    keys: list[str] = field(default_factory=list)  # every WHERE key, whatever the operator

    @property
    def provider(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def supplied(self) -> set[str]:
        """The parameter names the statement passes (for routing to a method)."""
        return {a.name.text for a in self.args} | set(self.keys)


def anchor_uses(query: QueryFile, anchor: Anchor) -> list[TableUse]:
    """The table uses of every statement under one anchor, in file order."""
    out: list[TableUse] = []
    source = query.source
    insert = query.insert()
    for statement in anchor.statements(source):
        head = _head(source, statement, anchor)
        if statement.kind == "insert":
            parsed = insert if insert is not None and insert.anchor is anchor else parse_insert(source, anchor)
            out += list(_insert_uses(parsed, anchor)) + _selects(source, statement, anchor)
        elif statement.kind in ("update", "delete"):
            out += _modify(source, statement, anchor, statement.kind)
        elif head == "REPLACE":
            out += _replace(source, statement, anchor)
        elif head in ("EXEC", "EXECUTE"):
            out += _exec(source, statement, anchor)
        elif statement.kind == "select":
            out += _selects(source, statement, anchor)
    return [u for u in out if u.provider in PROVIDERS]


def _head(source: SourceFile, statement: Statement, anchor: Anchor) -> str:
    """The statement's first keyword (a Jinja block before it is skipped)."""
    match = _HEAD_RE.match(source.text, statement.start, anchor.body_end)
    return match.group(1).upper() if match else ""


def _insert_uses(insert, anchor: Anchor) -> Iterator[TableUse]:
    if insert is None:
        return
    args = [Arg(c, v) for c, v in zip(insert.columns, insert.values, strict=False)]
    yield TableUse(insert.target.text.lower(), "insert", insert.target.span, anchor.key, args=args)


def _selects(source: SourceFile, statement: Statement, anchor: Anchor) -> list[TableUse]:
    out: list[TableUse] = []
    for block in statement.blocks:
        for table in block.tables:
            if "." not in table.name:
                continue  # a CTE's name or an alias, not a provider table
            where = [_param_arg(source, p) for p in block.where if p.value]
            keys = [p.name.name.rsplit(".", 1)[-1] for p in block.where]
            use = TableUse(table.name.lower(), "select", table.span, anchor.key, where=where, keys=keys)
            out.append(use)
    return out


def _modify(source: SourceFile, statement: Statement, anchor: Anchor, verb: str) -> list[TableUse]:
    if statement.target is None:
        return []
    sets = [_param_arg(source, p) for p in statement.sets]
    where = [_param_arg(source, p) for p in statement.params if p not in statement.sets and p.value]
    keys = [p.name.name for p in statement.params if p not in statement.sets]
    use = TableUse(statement.target.name.lower(), verb, statement.target.span, anchor.key, args=sets, where=where)
    use.keys = keys
    return [use, *_selects(source, statement, anchor)]


def _replace(source: SourceFile, statement: Statement, anchor: Anchor) -> list[TableUse]:
    """`REPLACE <table> SET a = x, ... WHERE k = y AND ...`, parsed as an UPDATE is."""
    tokens = tokenize(source.text, statement.start, anchor.body_end)
    start = next((i for i, t in enumerate(tokens) if t.upper == "REPLACE"), None)
    if start is None or start + 1 >= len(tokens) or "." not in tokens[start + 1].text:
        return []
    target = tokens[start + 1]
    end = next((i for i in range(start, len(tokens)) if tokens[i].text == ";" and tokens[i].depth == 0), len(tokens))
    set_at = next((i for i in range(start, end) if tokens[i].upper == "SET" and tokens[i].depth == 0), end)
    where_at = next((i for i in range(start, end) if tokens[i].upper == "WHERE" and tokens[i].depth == 0), end)
    sets = _assignments(source, tokens[set_at + 1 : where_at], (",",))
    where = _assignments(source, tokens[where_at + 1 : end], ("AND",))
    span = source.offset_span(target.start, target.end)
    use = TableUse(target.text.lower(), "replace", span, anchor.key, args=sets, where=where)
    use.keys = [a.name.text for a in where]
    return [use]


def _exec(source: SourceFile, statement: Statement, anchor: Anchor) -> list[TableUse]:
    """`EXEC <provider>.<service>.<resource>.<method> @name = value, ...`."""
    tokens = tokenize(source.text, statement.start, anchor.body_end)
    start = next((i for i, t in enumerate(tokens) if t.upper in ("EXEC", "EXECUTE")), None)
    if start is None or start + 1 >= len(tokens):
        return []
    target = tokens[start + 1]
    parts = target.text.split(".")
    if len(parts) != 4:
        return []
    end = next((i for i in range(start, len(tokens)) if tokens[i].text == ";" and tokens[i].depth == 0), len(tokens))
    args = [
        Arg(Item(a.name.text[1:], a.name.span, a.name.start), a.value)
        for a in _assignments(source, tokens[start + 2 : end], (",",))
        if a.name.text.startswith("@") and not a.name.text.startswith("@@")
    ]
    span = source.offset_span(target.start, target.end)
    table = ".".join(parts[:3]).lower()
    return [TableUse(table, "exec", span, anchor.key, method=parts[3].lower(), args=args)]


def _assignments(source: SourceFile, tokens, joiners: tuple[str, ...]) -> list[Arg]:
    """`name = value` pairs at the tokens' own depth, separated by one of ``joiners``."""
    out: list[Arg] = []
    if not tokens:
        return out
    depth = tokens[0].depth
    i = 0
    while i + 2 < len(tokens):
        name, op = tokens[i], tokens[i + 1]
        if name.depth == depth and name.kind not in (PUNCT, JINJA) and op.text == "=":
            j = i + 2
            while j < len(tokens) and not (
                tokens[j].depth == depth and (tokens[j].text in joiners or tokens[j].upper in joiners)
            ):
                j += 1
            value = Item(
                source.text[tokens[i + 2].start : tokens[j - 1].end],
                source.offset_span(tokens[i + 2].start, tokens[j - 1].end),
                tokens[i + 2].start,
            )
            out.append(Arg(Item(_unquote(name.text), source.offset_span(name.start, name.end), name.start), value))
            i = j + 1
        else:
            i += 1
    return out


def _param_arg(source: SourceFile, param) -> Arg:
    name = param.name
    end = param.value_start + len(param.value)
    value = Item(param.value, source.offset_span(param.value_start, end), param.value_start)
    return Arg(Item(name.name.rsplit(".", 1)[-1], name.span, name.start), value)


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`" else text
