"""Query files (`resources/<name>.iql`): anchors, the statement under each, and the INSERT's columns and values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mplint.findings import Span
from mplint.source import SourceFile

ANCHOR_RE = re.compile(r"^(?P<indent>[ \t]*)/\*\+(?P<body>[^\n]*?)\*/", re.MULTILINE)
INSERT_RE = re.compile(r"\bINSERT\s+INTO\s+(?P<target>[A-Za-z0-9_.]+)\s*\(", re.IGNORECASE)
SELECT_RE = re.compile(r"\s*SELECT\b", re.IGNORECASE)


@dataclass(slots=True, eq=False)
class Anchor:
    key: str  # e.g. "create", "callback:delete"
    options: dict[str, str]
    span: Span  # the whole `/*+ ... */` comment
    indented: bool  # not at column 0: stackql-deploy does not see it
    body_start: int  # offset of the statement text
    body_end: int
    statement: str


@dataclass(slots=True, eq=False)
class Item:
    """One column name or one SELECT value, with its place."""

    text: str
    span: Span
    start: int  # offset in the file


@dataclass(slots=True, eq=False)
class Insert:
    anchor: Anchor
    target: Item  # e.g. aws.sagemaker.model_packages
    columns: list[Item]
    values: list[Item]  # SELECT expressions, paired by position with the columns


@dataclass(slots=True, eq=False)
class QueryFile:
    source: SourceFile
    anchors: list[Anchor] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.source.display

    def anchor(self, *keys: str) -> Anchor | None:
        for anchor in self.anchors:
            if anchor.key in keys and not anchor.indented:
                return anchor
        return None

    def insert(self) -> Insert | None:
        """The INSERT of the `create` (or `createorupdate`) query, when there is one."""
        anchor = self.anchor("create", "createorupdate")
        return parse_insert(self.source, anchor) if anchor else None


def parse_query_file(source: SourceFile) -> QueryFile:
    query = QueryFile(source)
    matches = list(ANCHOR_RE.finditer(source.text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(source.text)
        key, options = _anchor_body(match.group("body"))
        query.anchors.append(
            Anchor(
                key=key,
                options=options,
                span=source.offset_span(match.start() + len(match.group("indent")), match.end()),
                indented=bool(match.group("indent")),
                body_start=match.end(),
                body_end=end,
                statement=source.text[match.end() : end],
            )
        )
    return query


def _anchor_body(body: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in body.split(",")]
    options: dict[str, str] = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        if name:
            options[name.strip()] = value.strip()
    return parts[0], options


def parse_insert(source: SourceFile, anchor: Anchor) -> Insert | None:
    text = source.text
    match = INSERT_RE.search(text, anchor.body_start, anchor.body_end)
    if match is None:
        return None
    target = Item(match.group("target"), source.offset_span(match.start("target"), match.end("target")), match.start("target"))
    columns, close = split_list(source, match.end(), anchor.body_end, closer=")")
    select = SELECT_RE.match(text, close + 1) if close >= 0 else None
    values: list[Item] = []
    if select is not None:
        values, _ = split_list(source, select.end(), anchor.body_end, closer=";")
    return Insert(anchor, target, columns, values)


_OPEN = {"(": ")", "[": "]", "{": "}"}


def split_list(source: SourceFile, start: int, end: int, closer: str) -> tuple[list[Item], int]:
    """Split a comma-separated list at top level, from ``start`` up to ``closer`` (or ``end``).

    Quotes ('...' with '' escapes, "..."), brackets and Jinja blocks are kept whole.
    Returns the items and the offset of the closer (-1 when not found).
    """
    text = source.text
    items: list[Item] = []
    depth: list[str] = []
    item_start = start
    i = start
    while i < end:
        ch = text[i]
        if ch in "'\"":
            i = _skip_quoted(text, i, end)
            continue
        if text.startswith(("{{", "{%", "{#"), i):
            close = {"{{": "}}", "{%": "%}", "{#": "#}"}[text[i : i + 2]]
            found = text.find(close, i + 2, end)
            i = end if found < 0 else found + 2
            continue
        if text.startswith("--", i):
            found = text.find("\n", i, end)
            i = end if found < 0 else found
            continue
        if ch in _OPEN:
            depth.append(_OPEN[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        elif not depth and ch == closer:
            _append(source, items, item_start, i)
            return items, i
        elif not depth and ch == ",":
            _append(source, items, item_start, i)
            item_start = i + 1
        i += 1
    _append(source, items, item_start, end)
    return items, -1


def _skip_quoted(text: str, i: int, end: int) -> int:
    quote = text[i]
    i += 1
    while i < end:
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return end


def _append(source: SourceFile, items: list[Item], start: int, end: int) -> None:
    raw = source.text[start:end]
    stripped = raw.strip()
    if not stripped:
        return
    lead = len(raw) - len(raw.lstrip())
    begin = start + lead
    items.append(Item(stripped, source.offset_span(begin, begin + len(stripped)), begin))
