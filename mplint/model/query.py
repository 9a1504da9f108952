"""Query files (`resources/<name>.iql`): anchors, the statement under each, and the INSERT's columns and values."""

from __future__ import annotations

import re

from msgspec import Struct, field

from mplint.files import LoadError
from mplint.findings import Span
from mplint.limits import DEFAULT, Limits
from mplint.source import SourceFile

ANCHOR_RE = re.compile(r"^(?P<indent>[ \t]*)/\*\+(?P<body>[^\n]*?)\*/", re.MULTILINE)
INSERT_RE = re.compile(r"\bINSERT\s+INTO\s+(?P<target>[A-Za-z0-9_.]+)\s*\(", re.IGNORECASE)
SELECT_RE = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_UNSET = object()


class Anchor(Struct, eq=False):
    """One `/*+ ... */` anchor of a query file: its key, options, place and the statement text under it."""

    key: str  # e.g. "create", "callback:delete"
    options: dict[str, str]
    span: Span  # the whole `/*+ ... */` comment
    indented: bool  # not at column 0: stackql-deploy does not see it
    body_start: int  # offset of the statement text
    body_end: int
    statement: str
    option_spans: dict[str, Span] = field(default_factory=dict)  # option name -> the `name=value` text
    _statements: list[Statement] | None = None

    @property
    def base(self) -> str:
        """The anchor's kind without its operation: `callback:create` -> `callback`."""
        return self.key.partition(":")[0]

    def statements(self, source: SourceFile) -> list[Statement]:
        """The SQL statements under the anchor (parsed once)."""
        if self._statements is None:
            self._statements = parse_statements(source, self.body_start, self.body_end)
        return self._statements


class Item(Struct, eq=False):
    """One column name or one SELECT value, with its place."""

    text: str
    span: Span
    start: int  # offset in the file


class Insert(Struct, eq=False):
    """The INSERT of a create query: its anchor, target table, columns and SELECT values."""

    anchor: Anchor
    target: Item  # e.g. aws.sagemaker.model_packages
    columns: list[Item]
    values: list[Item]  # SELECT expressions, paired by position with the columns


class QueryFile(Struct, eq=False):
    """A query file: its source and anchors; the create query's INSERT is parsed on first use."""

    source: SourceFile
    anchors: list[Anchor] = field(default_factory=list)
    _insert: object = None

    def __post_init__(self) -> None:
        self._insert = _UNSET

    @property
    def path(self) -> str:
        return self.source.display

    def anchor(self, *keys: str) -> Anchor | None:
        """The anchor stackql-deploy 1.x uses for the first of ``keys`` present: the last one at column 0."""
        for key in keys:
            found = [a for a in self.anchors if a.key == key and not a.indented]
            if found:
                return found[-1]
        return None

    def insert(self) -> Insert | None:
        """The INSERT of the `create` (or `createorupdate`) query, when there is one (parsed once)."""
        if self._insert is _UNSET:
            anchor = self.anchor("create", "createorupdate")
            self._insert = parse_insert(self.source, anchor) if anchor else None
        return self._insert  # type: ignore[return-value]


def parse_query_file(source: SourceFile, limits: Limits = DEFAULT) -> QueryFile:
    """The anchors of a query file; one over the anchor, statement or column limits raises LoadError (MPL005)."""
    query = QueryFile(source)
    matches = []
    for match in ANCHOR_RE.finditer(source.text):
        matches.append(match)
        if len(matches) > limits.query_anchors:
            span = source.offset_span(match.start(), match.end())
            raise LoadError("MPL005", f"more than {limits.query_anchors:,} anchors: not linted", span)
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(source.text)
        _check_size(source, match, end, limits)
        key, options, option_spans = _anchor_body(source, match.start("body"), match.group("body"))
        query.anchors.append(
            Anchor(
                key=key,
                options=options,
                option_spans=option_spans,
                span=source.offset_span(match.start() + len(match.group("indent")), match.end()),
                indented=bool(match.group("indent")),
                body_start=match.end(),
                body_end=end,
                statement=source.text[match.end() : end],
            )
        )
    return query


def _check_size(source: SourceFile, anchor: re.Match[str], end: int, limits: Limits) -> None:
    """Statements and list items under one anchor, counted by their separators (an upper bound)."""
    text = source.text
    for separator, limit, what in ((";", limits.query_statements, "statements"), (",", limits.query_items, "items")):
        if text.count(separator, anchor.end(), end) > limit:
            span = source.offset_span(anchor.start(), anchor.end())
            raise LoadError("MPL005", f"more than {limit:,} {what} (`{separator}`) under this anchor: not linted", span)


def _anchor_body(source: SourceFile, start: int, body: str) -> tuple[str, dict[str, str], dict[str, Span]]:
    parts = body.split(",")
    options: dict[str, str] = {}
    spans: dict[str, Span] = {}
    offset = start + len(parts[0]) + 1
    for part in parts[1:]:
        name, _, value = part.partition("=")
        if name.strip():
            options[name.strip()] = value.strip()
            lead = len(part) - len(part.lstrip())
            spans[name.strip()] = source.offset_span(offset + lead, offset + len(part.rstrip()))
        offset += len(part) + 1
    return parts[0].strip(), options, spans


def parse_insert(source: SourceFile, anchor: Anchor, statement: Statement | None = None) -> Insert | None:
    """The first INSERT under the anchor, or the one ``statement`` is (an anchor may hold several)."""
    text = source.text
    start, stop = (statement.start, statement.end) if statement is not None else (anchor.body_start, anchor.body_end)
    match = INSERT_RE.search(text, start, stop)
    if match is None:
        return None
    target = Item(
        match.group("target"), source.offset_span(match.start("target"), match.end("target")), match.start("target")
    )
    columns, close = split_list(source, match.end(), stop, closer=")")
    select = SELECT_RE.match(text, close + 1) if close >= 0 else None
    values: list[Item] = []
    if select is not None:
        end = _returning(source, select.end(), stop)
        values, _ = split_list(source, select.end(), end, closer=";")
    return Insert(anchor, target, columns, values)


def _returning(source: SourceFile, start: int, end: int) -> int:
    """Where a 2.x `RETURNING *` clause starts (the values end there), else ``end``."""
    if "returning" not in source.text[start:end].lower():
        return end
    for token in tokenize(source.text, start, end):
        if token.depth == 0 and token.kind == WORD and token.upper == "RETURNING":
            return token.start
    return end


_OPEN = {"(": ")", "[": "]", "{": "}"}
_JINJA_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
_LIST_MARKS = re.compile(r"""['"(\[{)\]},;]|--""")  # what split_list looks at; the rest is item text


def split_list(source: SourceFile, start: int, end: int, closer: str) -> tuple[list[Item], int]:
    """Split a comma-separated list at top level, from ``start`` up to ``closer`` (or ``end``).

    Quotes ('...' with '' escapes, "..."), brackets and Jinja blocks are kept whole; `--` comments are left out.
    Returns the items and the offset of the closer (-1 when not found).
    """
    text = source.text
    items: list[Item] = []
    depth: list[str] = []
    comments: list[tuple[int, int]] = []  # inside the current item
    item_start = start
    i = start
    marks = _LIST_MARKS.search
    while (mark := marks(text, i, end)) is not None:
        i = mark.start()
        ch = mark.group()
        if ch == "," or (ch == closer and not depth):
            if not depth:
                _append(source, items, item_start, i, comments)
                comments = []
                if ch == closer:
                    return items, i
                item_start = i + 1
        elif ch in "'\"":
            i = _skip_quoted(text, i, end)
            continue
        elif ch == "--":
            found = text.find("\n", i, end)
            comments.append((i, end if found < 0 else found))
            i = end if found < 0 else found
            continue
        elif ch == "{" and (close := _JINJA_CLOSE.get(text[i : i + 2])) is not None:
            found = text.find(close, i + 2, end)
            i = end if found < 0 else found + 2
            continue
        elif ch in _OPEN:
            depth.append(_OPEN[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        i += 1
    _append(source, items, item_start, end, comments)
    return items, -1


def _skip_quoted(text: str, i: int, end: int) -> int:
    """The offset after the quoted text at ``i`` (a doubled quote is one quote character), else ``end``."""
    quote = text[i]
    i += 1
    while (found := text.find(quote, i, end)) >= 0:
        if not text.startswith(quote * 2, found):
            return found + 1
        i = found + 2
    return end


def _append(source: SourceFile, items: list[Item], start: int, end: int, comments: list[tuple[int, int]]) -> None:
    """Add the item in ``text[start:end]``, without its comments; its place is its first non-blank character."""
    if not comments:  # the common case, in one slice
        piece = source.text[start:end]
        text = piece.strip()
        if text:
            begin = start + len(piece) - len(piece.lstrip())
            items.append(Item(text, source.offset_span(begin, begin + len(text)), begin))
        return
    pieces: list[tuple[int, str]] = []
    at = start
    for c_start, c_end in [*comments, (end, end)]:
        pieces.append((at, source.text[at:c_start]))
        at = c_end
    kept = [(offset, piece) for offset, piece in pieces if piece.strip()]
    if not kept:
        return
    text = " ".join(piece.strip() for _, piece in kept)
    offset, piece = kept[0]
    begin = offset + len(piece) - len(piece.lstrip())
    last_offset, last_piece = kept[-1]
    stop = last_offset + len(last_piece.rstrip())
    items.append(Item(text, source.offset_span(begin, stop), begin))


# ---------------------------------------------------------------------------
# SQL statements: a token stream and the parts of each statement mplint checks

WORD, STRING, QUOTED, NUMBER, JINJA, PUNCT = "word", "string", "quoted", "number", "jinja", "punct"
_JINJA = r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|\{\#.*?(?:\#\}|$)"
_TOKEN_RE = re.compile(
    rf"""
    \s*(?:
      (?P<skip>--[^\n]*|/\*.*?(?:\*/|$))
    | (?P<jinja>{_JINJA})
    | (?P<string>'(?:[^'{{]+|{_JINJA}|''|\{{)*(?:'|$))
    | (?P<quoted>"(?:[^"{{]+|{_JINJA}|""|\{{)*(?:"|$))
    | (?P<word>[A-Za-z_$@][\w$]*(?:\.(?:[A-Za-z_][\w$]*|\*))*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<punct>!=|<>|<=|>=|\|\||::|\S)
    )
    """,
    re.VERBOSE | re.DOTALL,
)
_CLAUSE_ENDS = frozenset(
    {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "RETURNING", "ON"}
)
_JOIN_WORDS = frozenset({"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "NATURAL"})
_COMPARE = frozenset({"=", "!=", "<>", "LIKE", "IN", "IS", "<", ">", "<=", ">="})
KEYWORDS = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "AS", "ON", "IN", "IS", "NULL", "LIKE", "GROUP", "BY", "HAVING",
    "ORDER", "LIMIT", "UNION", "ALL", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END", "WITH", "INSERT", "INTO",
    "UPDATE", "SET", "DELETE", "RETURNING", "TRUE", "FALSE", "ASC", "DESC", "EXISTS", "BETWEEN", "CAST",
    "EXCEPT", "INTERSECT", "OFFSET", "VALUES", *_JOIN_WORDS,
})  # fmt: skip


class Token(Struct):
    """One SQL token: its kind, text, offsets, parenthesis depth and upper-cased word."""

    kind: str
    text: str
    start: int
    end: int
    depth: int  # parenthesis depth inside the statement
    upper: str  # the upper-cased text of a word, else ""


def tokenize(text: str, start: int, end: int) -> list[Token]:
    """SQL tokens of ``text[start:end]``; comments are dropped, Jinja blocks and quoted strings kept whole."""
    tokens: list[Token] = []
    depth = 0
    for match in _TOKEN_RE.finditer(text, start, end):
        kind = match.lastgroup
        if kind is None or kind == "skip":
            continue
        value = match.group(kind)
        if kind == WORD:
            tokens.append(Token(kind, value, match.start(kind), match.end(), depth, value.upper()))
            continue
        if value == ")":
            depth = max(0, depth - 1)
        tokens.append(Token(kind, value, match.start(kind), match.end(), depth, ""))
        if value == "(":
            depth += 1
    return tokens


class Ref(Struct, eq=False):
    """A name at a place in a query file: a table, a column, a parameter."""

    name: str
    start: int
    end: int
    source: SourceFile

    @property
    def span(self) -> Span:
        return self.source.offset_span(self.start, self.end)


class Param(Struct, eq=False):
    """`name <op> value` in a WHERE clause, or `name = value` in an UPDATE's SET list."""

    name: Ref
    value: str  # the raw value text ('' when the operator is not `=`)
    value_start: int


class SelectColumn(Struct, eq=False):
    """One item of a SELECT list: its output name and where it is written, the column read, the aggregate."""

    name: str | None  # the output column name: the alias, or the column itself; None for an unnamed expression
    name_ref: Ref  # where the name is written (the alias, else the expression)
    column: str | None  # the column read, when the expression is one bare (or qualified) column
    aggregate: str | None  # COUNT, SUM, ...: the function when the expression is one call


class SelectBlock(Struct, eq=False):
    """One `SELECT ... FROM ... WHERE ...` at one parenthesis depth."""

    columns: list[SelectColumn]
    tables: list[Ref]  # the FROM clause's tables (subqueries excluded)
    joined: bool  # more than one source in FROM (a join, a comma or a subquery)
    where: list[Param]
    idents: list[Ref]  # bare column names read in the select list and WHERE clause


class Statement(Struct, eq=False):
    """One SQL statement under an anchor: its kind, target, SELECT blocks, parameters, RETURNING columns."""

    kind: str  # select | insert | update | replace | delete | exec | other
    start: int
    target: Ref | None = None  # the INSERT, UPDATE, REPLACE or DELETE table; EXEC: `<resource>.<method>`
    blocks: list[SelectBlock] = field(default_factory=list)  # every SELECT, outermost first
    params: list[Param] = field(default_factory=list)  # the UPDATE/REPLACE/DELETE's WHERE and SET parameters
    sets: list[Param] = field(default_factory=list)
    args: list[Param] = field(default_factory=list)  # EXEC `@name=value` (`@@json=...` is named `@json`)
    returning: list[Ref] = field(default_factory=list)  # INSERT ... RETURNING columns (`*` included)
    end: int = 0  # offset after the statement's last token

    @property
    def top(self) -> SelectBlock | None:
        """The SELECT that gives the statement's result (after any WITH)."""
        return self.blocks[0] if self.blocks and self.kind == "select" else None


def parse_statements(source: SourceFile, start: int, end: int) -> list[Statement]:
    """Each `;`-separated statement in ``source.text[start:end]``."""
    tokens = tokenize(source.text, start, end)
    out: list[Statement] = []
    begin = 0
    for i in range(len(tokens) + 1):
        if i == len(tokens) or (tokens[i].text == ";" and tokens[i].depth == 0 and tokens[i].kind == PUNCT):
            part = [t for t in tokens[begin:i] if t.kind != JINJA or t.text.startswith("{{")]
            if part:
                statement = _Parser(source, part).statement()
                statement.end = part[-1].end
                out.append(statement)
            begin = i + 1
    return out


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _is_ident(token: Token) -> bool:
    return token.kind in (WORD, QUOTED) and token.upper not in KEYWORDS and not token.text.startswith("@")


class _Parser:
    """The parts of one statement, from its tokens (never fails: unknown shapes give fewer parts)."""

    def __init__(self, source: SourceFile, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.words = [t.upper for t in tokens]

    def ref(self, token: Token) -> Ref:
        return Ref(_unquote(token.text), token.start, token.end, self.source)

    def statement(self) -> Statement:
        words = self.words
        head = next((w for w in words if w and w != "WITH"), "")
        statement = Statement("other", self.tokens[0].start)
        selects = [i for i, w in enumerate(words) if w == "SELECT"]
        blocks = [self.select_block(i) for i in selects]
        if head == "SELECT" or words[0] == "WITH":
            statement.kind = "select"
            order = sorted(range(len(selects)), key=lambda k: (self.tokens[selects[k]].depth, k))
            statement.blocks = [blocks[k] for k in order]  # the main SELECT of a WITH is the first at depth 0
        elif head in ("INSERT", "UPDATE", "REPLACE", "DELETE"):
            statement.kind = head.lower()
            statement.blocks = blocks
            statement.target = self.target(head)
            if head == "INSERT":
                statement.returning = self.returning()
            else:
                statement.sets = self.params(self.clause("SET", 0), ",")
                statement.params = self.params(self.clause("WHERE", 0), "AND") + statement.sets
        elif head in ("EXEC", "EXECUTE"):
            statement.kind = "exec"
            statement.target = self.target(head)
            statement.args = self.exec_args()
        return statement

    def returning(self) -> list[Ref]:
        tokens, words = self.tokens, self.words
        at = next((i for i, w in enumerate(words) if w == "RETURNING" and tokens[i].depth == 0), -1)
        if at < 0:
            return []
        return [self.ref(t) for t in tokens[at + 1 :] if t.depth == 0 and (_is_ident(t) or t.text == "*")]

    def exec_args(self) -> list[Param]:
        """`@name = value` pairs after the EXEC target; `@@json = '{...}'` becomes the argument `@json`."""
        tokens = self.tokens
        out: list[Param] = []
        for i, token in enumerate(tokens[:-2]):
            if token.kind != WORD or not token.text.startswith("@") or token.depth != 0 or tokens[i + 1].text != "=":
                continue
            body = i > 0 and tokens[i - 1].text == "@" and tokens[i - 1].end == token.start
            start = tokens[i - 1].start if body else token.start
            name = Ref(("@" if body else "") + token.text[1:], start, token.end, self.source)
            end = i + 3
            while end < len(tokens) and tokens[end].text != "," and not tokens[end].text.startswith("@"):
                end += 1
            out.append(Param(name, self.source.text[tokens[i + 2].start : tokens[end - 1].end], tokens[i + 2].start))
        return out

    def target(self, head: str) -> Ref | None:
        after = {"INSERT": "INTO", "DELETE": "FROM"}.get(head, head)
        for i, word in enumerate(self.words[:-1]):
            if word == after and self.tokens[i + 1].kind == WORD:
                return self.ref(self.tokens[i + 1])
        return None

    def clause(self, keyword: str, depth: int, begin: int = 0) -> tuple[int, int]:
        """Token range of the clause after ``keyword`` (at ``depth``), up to the next clause or the group's end."""
        tokens, words = self.tokens, self.words
        start = next((i for i in range(begin, len(tokens)) if words[i] == keyword and tokens[i].depth == depth), -1)
        if start < 0:
            return 0, 0
        i = start + 1
        while i < len(tokens):
            token = tokens[i]
            if token.depth < depth or (token.depth == depth and words[i] in _CLAUSE_ENDS | {"SELECT", "WHERE"}):
                break
            i += 1
        return start + 1, i

    def params(self, bounds: tuple[int, int], joiner: str) -> list[Param]:
        """`name <op> value` conditions (or assignments) at the clause's own depth."""
        start, end = bounds
        tokens = self.tokens
        out: list[Param] = []
        if start >= end:
            return out
        depth = tokens[start].depth
        for i in range(start, end - 1):
            token, nxt = tokens[i], tokens[i + 1]
            if token.depth != depth or not _is_ident(token):
                continue
            if i > start and not _boundary(tokens[i - 1], joiner):
                continue
            op = nxt.upper or nxt.text
            if op not in _COMPARE:
                continue
            if op == "=" and i + 2 < end:
                value_end = self.value_end(i + 2, end, depth)
                value = self.source.text[tokens[i + 2].start : tokens[value_end - 1].end]
                out.append(Param(self.ref(token), value, tokens[i + 2].start))
            else:
                out.append(Param(self.ref(token), "", nxt.end))
        return out

    def value_end(self, i: int, end: int, depth: int) -> int:
        """The token after a value: the next AND, OR or comma at the clause's depth."""
        tokens = self.tokens
        j = i
        while j < end and not (
            tokens[j].depth == depth and (tokens[j].upper in ("AND", "OR") or tokens[j].text == ",")
        ):
            j += 1
        return max(j, i + 1)

    def select_block(self, at: int) -> SelectBlock:
        tokens = self.tokens
        depth = tokens[at].depth
        from_at = next((i for i in range(at + 1, len(tokens)) if self.ends_select_list(i, depth)), len(tokens))
        columns, idents = self.select_list(at + 1, from_at, depth)
        tables, joined = self.from_clause(from_at, depth)
        where: list[Param] = []
        if from_at < len(tokens) and tokens[from_at].depth == depth:
            where = self.params(self.clause("WHERE", depth, from_at), "AND")
        idents += [p.name for p in where]
        return SelectBlock(columns, tables, joined, where, idents)

    def ends_select_list(self, i: int, depth: int) -> bool:
        token = self.tokens[i]
        return token.depth < depth or (token.depth == depth and (token.upper == "FROM" or token.upper in _CLAUSE_ENDS))

    def select_list(self, start: int, end: int, depth: int) -> tuple[list[SelectColumn], list[Ref]]:
        columns: list[SelectColumn] = []
        idents: list[Ref] = []
        item: list[Token] = []
        for token in [*self.tokens[start:end], None]:
            if token is None or (token.depth == depth and token.text == ","):
                if item:
                    columns.append(self.column(item, depth, idents))
                item = []
            else:
                item.append(token)
        return columns, idents

    def column(self, item: list[Token], depth: int, idents: list[Ref]) -> SelectColumn:
        if item[0].upper == "DISTINCT" and len(item) > 1:
            item = item[1:]
        alias: Token | None = None
        expr = item
        if len(item) >= 3 and item[-2].upper == "AS":
            alias, expr = item[-1], item[:-2]
        elif len(item) >= 2 and item[-1].depth == depth and _is_ident(item[-1]) and item[-2].text != ".":
            alias, expr = item[-1], item[:-1]
        column = expr[0].text if len(expr) == 1 and _is_ident(expr[0]) else None
        if column is not None:
            idents.append(self.ref(expr[0]))
        aggregate = expr[0].upper if len(expr) >= 3 and expr[0].kind == WORD and expr[1].text == "(" else None
        if alias is not None:
            ref, name = self.ref(alias), _unquote(alias.text)
        else:
            ref = Ref(self.source.text[expr[0].start : expr[-1].end], expr[0].start, expr[-1].end, self.source)
            name = column.rsplit(".", 1)[-1] if column else None
        return SelectColumn(name, ref, column, aggregate)

    def from_clause(self, at: int, depth: int) -> tuple[list[Ref], bool]:
        tokens, words = self.tokens, self.words
        if at >= len(tokens) or words[at] != "FROM":
            return [], False
        tables: list[Ref] = []
        sources = 0
        expect = True
        for i in range(at + 1, len(tokens)):
            token = tokens[i]
            if token.depth < depth or (token.depth == depth and words[i] in _CLAUSE_ENDS and words[i] != "ON"):
                break
            if token.depth != depth:
                continue
            if expect and token.text == "(":
                sources += 1
                expect = False
            elif expect and token.kind == WORD and words[i] not in KEYWORDS:
                tables.append(self.ref(token))
                sources += 1
                expect = False
            elif token.text == "," or words[i] == "JOIN":
                expect = True
        return tables, sources > 1


def _boundary(previous: Token, joiner: str) -> bool:
    return previous.upper in (joiner, "WHERE", "SET", "ON", "OR", "NOT") or previous.text in (",", "(")
