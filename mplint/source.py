"""Source files and position-aware YAML/JSON loading.

Every key and value in a loaded document is a :class:`Node` that knows its
span. YAML is read as PyYAML's safe loader reads it (YAML 1.1), which is what
stackql-deploy reads; JSON is read by a small position-aware parser.
"""

from __future__ import annotations

import gc
import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from mplint.findings import Span

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 200

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader with its implicit-tag resolution memoised: keys and values recur, and the
    resolver's regular expressions are most of the cost of composing a large manifest."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            if len(_RESOLVED) > 200_000:
                _RESOLVED.clear()
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)
        return tag


_STR_TAG = "tag:yaml.org,2002:str"


class LoadProblem(NamedTuple):
    """A file that could not be read, parsed or used, as data: the rule it falls under, what, and where."""

    rule_id: str
    message: str
    span: Span


class LoadError(Exception):
    """A file that cannot be read or parsed; carries the rule id and position."""

    def __init__(self, rule_id: str, message: str, span: Span) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message
        self.span = span

    @property
    def problem(self) -> LoadProblem:
        return LoadProblem(self.rule_id, self.message, self.span)


@dataclass(slots=True)
class SourceFile:
    """The text of one input file and what it takes to turn offsets into positions."""

    path: Path  # as on disk
    display: str  # as shown to users: relative, forward slashes
    text: str
    _lines: list[str] | None = field(default=None, repr=False)
    _astral: set[int] | None = field(default=None, repr=False)  # lines holding characters beyond the BMP
    _starts: list[int] | None = field(default=None, repr=False)  # offset of each line's first character

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def utf16_col(self, line0: int, col0: int) -> int:
        """1-based UTF-16 column of a 0-based code-point column on a 0-based line."""
        if self._astral is None:
            self._astral = {i for i, text in enumerate(self.lines) if not text.isascii() and _has_astral(text)}
        if line0 not in self._astral:
            return col0 + 1
        return col0 + 1 + sum(1 for ch in self.lines[line0][:col0] if ord(ch) > 0xFFFF)

    def span(self, line0: int, col0: int, end_line0: int, end_col0: int) -> Span:
        """A span from 0-based code-point positions."""
        return Span(
            self.display,
            line0 + 1,
            self.utf16_col(line0, col0),
            end_line0 + 1,
            self.utf16_col(end_line0, end_col0),
        )

    def offset_span(self, start: int, end: int) -> Span:
        """A span from character offsets into the text."""
        l0, c0 = self.position(start)
        l1, c1 = self.position(end)
        return self.span(l0, c0, l1, c1)

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, column) of a character offset."""
        if self._starts is None:
            starts, at = [0], 0
            for text in self.lines[:-1]:
                at += len(text) + 1
                starts.append(at)
            self._starts = starts
        line = bisect_right(self._starts, offset) - 1
        return line, offset - self._starts[line]

    def offset(self, line: int, col: int) -> int:
        """The character offset of a 1-based line and 1-based UTF-16 column (clamped to the text)."""
        self.position(0)  # builds the line starts
        assert self._starts is not None
        if line > len(self._starts):
            return len(self.text)
        line0 = max(line, 1) - 1
        text = self.lines[line0]
        units = max(col, 1) - 1
        if not text.isascii():  # count UTF-16 units back into characters
            chars = 0
            while units > 0 and chars < len(text):
                units -= 2 if ord(text[chars]) > 0xFFFF else 1
                chars += 1
            units = chars
        return self._starts[line0] + min(units, len(text))

    def line_span(self, line: int) -> Span:
        """The whole of a 1-based line (at least one column)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Span(self.display, line, 1, line, max(2, self.utf16_col(line - 1, len(text))))

    def whole_span(self) -> Span:
        return Span.point(self.display)


def _has_astral(text: str) -> bool:
    return any(ord(ch) > 0xFFFF for ch in text)


def read_source(path: Path, display: str, buffers: Buffers | None = None) -> SourceFile:
    """Read a file as UTF-8 text; unreadable, binary, oversized or non-UTF-8 input raises LoadError.

    A path in ``buffers`` is read from there (an editor's unsaved buffer), never from disk."""
    if buffers is not None:
        text = buffers.get(path)
        if text is not None:
            return source_from_text(path, display, text)
    where = Span.point(display)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError("MPL005", f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit", where)
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError("MPL001", f"cannot read file: {exc.strerror or exc}", where) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            "MPL001", f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", Span.point(display, line, col)
        ) from None
    return source_from_text(path, display, text)


def source_from_text(path: Path, display: str, text: str) -> SourceFile:
    """A source file from text already decoded: the same limits and normalisation as a file read from disk."""
    if len(text) > MAX_FILE_BYTES:  # characters, at most the bytes they take
        raise LoadError("MPL005", f"text is over the {MAX_FILE_BYTES} byte limit", Span.point(display))
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise LoadError("MPL001", "file holds NUL bytes: not a text file", Span.point(display))
    return SourceFile(path, display, text.replace("\r\n", "\n"))


class Buffers:
    """Texts that stand in for files on disk, by absolute path: an editor's unsaved buffers.

    Paths are compared resolved, so a buffer is found whichever way a stack names its file."""

    def __init__(self, texts: dict[Path, str] | None = None) -> None:
        self._texts = {path.resolve(): text for path, text in (texts or {}).items()}

    def get(self, path: Path) -> str | None:
        if not self._texts:
            return None
        return self._texts.get(path.resolve())

    def set(self, path: Path, text: str) -> None:
        self._texts[path.resolve()] = text

    def discard(self, path: Path) -> None:
        self._texts.pop(path.resolve(), None)

    def is_file(self, path: Path) -> bool:
        """A buffer, or a file on disk."""
        return self.get(path) is not None or path.is_file()

    def paths(self) -> list[Path]:
        return sorted(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


# ---------------------------------------------------------------------------
# The position-aware tree


@dataclass(slots=True, eq=False)
class Node:
    span: Span

    def to_python(self) -> Any:
        raise NotImplementedError


@dataclass(slots=True, eq=False)
class Scalar(Node):
    value: Any
    style: str | None = None  # YAML style: None plain, "'" or '"' quoted, "|" or ">" block
    is_key: bool = False

    def to_python(self) -> Any:
        return self.value


@dataclass(slots=True, eq=False)
class Sequence(Node):
    items: list[Node]

    def to_python(self) -> list[Any]:
        return [item.to_python() for item in self.items]


@dataclass(slots=True, eq=False)
class Mapping(Node):
    items: list[tuple[Scalar, Node]]  # in file order; duplicates kept (the last one wins)
    # The text, when this is an unquoted `{{ name }}` that YAML reads as a flow mapping rather than a string
    template: str | None = None

    def get(self, key: str) -> Node | None:
        found = None
        for k, v in self.items:
            if k.value == key:
                found = v
        return found

    def key(self, key: str) -> Scalar | None:
        found = None
        for k, _ in self.items:
            if k.value == key:
                found = k
        return found

    def keys(self) -> list[Any]:
        return [k.value for k, _ in self.items]

    def to_python(self) -> dict[Any, Any]:
        return {_hashable(k.value): v.to_python() for k, v in self.items}


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def walk(node: Node, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Node]]:
    """Every node under ``node`` with its key path, depth first."""
    yield path, node
    if isinstance(node, Mapping):
        for k, v in node.items:
            yield from walk(v, (*path, str(k.value)))
    elif isinstance(node, Sequence):
        for i, v in enumerate(node.items):
            yield from walk(v, (*path, i))


def find(node: Node, path: tuple[str | int, ...]) -> tuple[Node, Scalar | None]:
    """The deepest node along ``path`` and the key naming it (None for list items or the root)."""
    key: Scalar | None = None
    for part in path:
        if isinstance(node, Mapping) and isinstance(part, str):
            child = node.get(part)
            if child is None:
                break
            key = node.key(part)
            node = child
        elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
            node, key = node.items[part], None
        else:
            break
    return node, key


# ---------------------------------------------------------------------------
# YAML


@dataclass(slots=True)
class Duplicate:
    key: str
    span: Span
    first: Span


@dataclass(slots=True)
class Document:
    """A loaded YAML or JSON file: its root node (None when empty) and load-time observations."""

    source: SourceFile
    root: Node | None
    duplicates: list[Duplicate] = field(default_factory=list)


def load_yaml(source: SourceFile) -> Document:
    """Parse YAML into a position-aware tree; syntax errors raise LoadError (MPL002)."""
    with _no_gc():
        return _load_yaml(source)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: building a tree allocates many objects and no cycles worth
    collecting, and collections triggered by the allocation count cost a third of the load time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_yaml(source: SourceFile) -> Document:
    try:
        composed = yaml.compose(source.text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = source.span(mark.line, mark.column, mark.line, mark.column + 1) if mark else source.whole_span()
        raise LoadError("MPL002", f"invalid YAML: {exc.problem or exc.context}", span) from None
    except yaml.YAMLError as exc:
        raise LoadError("MPL002", f"invalid YAML: {exc}", source.whole_span()) from None
    except RecursionError:
        raise LoadError("MPL005", "YAML nested too deeply", source.whole_span()) from None
    doc = Document(source, None)
    if composed is not None:
        doc.root = _YamlBuilder(source, doc.duplicates).build(composed, 0)
    return doc


class _YamlBuilder:
    def __init__(self, source: SourceFile, duplicates: list[Duplicate]) -> None:
        self.source = source
        self.duplicates = duplicates
        self.constructor = yaml.SafeLoader("")
        self.cache: dict[int, Node] = {}
        self.ascii = source.text.isascii()  # then code points are UTF-16 units: no column conversion

    def span_of(self, node: yaml.Node) -> Span:
        s, e = node.start_mark, node.end_mark
        if self.ascii:
            return Span(self.source.display, s.line + 1, s.column + 1, e.line + 1, e.column + 1)
        return self.source.span(s.line, s.column, e.line, e.column)

    def build(self, node: yaml.Node, depth: int, is_key: bool = False) -> Node:
        if depth > MAX_DEPTH:
            raise LoadError("MPL005", f"document nested deeper than {MAX_DEPTH} levels", self.span_of(node))
        cached = self.cache.get(id(node))
        if cached is not None:  # an alias: the same node again
            return cached
        if isinstance(node, yaml.ScalarNode):
            built: Node = Scalar(self.span_of(node), self.scalar_value(node), node.style or None, is_key)
            self.cache[id(node)] = built
        elif isinstance(node, yaml.SequenceNode):
            built = self.cache[id(node)] = Sequence(self.span_of(node), [])
            built.items = [self.build(item, depth + 1) for item in node.value]
        else:
            built = self.cache[id(node)] = Mapping(self.span_of(node), [], self.unquoted_template(node))
            built.items = self.mapping_items(node, depth)
        return built

    def text_of(self, node: yaml.Node) -> str:
        return self.source.text[node.start_mark.index : node.end_mark.index]

    def unquoted_template(self, node: yaml.MappingNode) -> str | None:
        """`{{ name }}` written without quotes: a flow mapping whose only key is another flow mapping."""
        if not node.flow_style or len(node.value) != 1 or not isinstance(node.value[0][0], yaml.MappingNode):
            return None
        text = self.text_of(node)
        return text if text.startswith("{{") and text.endswith("}}") else None

    def scalar_value(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR_TAG:  # the common case, without the constructor's dispatch
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value

    def mapping_items(self, node: yaml.MappingNode, depth: int) -> list[tuple[Scalar, Node]]:
        try:
            self.constructor.flatten_mapping(node)  # YAML 1.1 merge keys (<<), as safe_load does
        except yaml.YAMLError as exc:
            raise LoadError("MPL002", f"invalid YAML merge: {exc}", self.span_of(node)) from None
        items: list[tuple[Scalar, Node]] = []
        seen: dict[Any, Span] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1, is_key=True)
            if not isinstance(key, Scalar):  # a list or map as a key: named by its text
                key = Scalar(key.span, self.text_of(key_node), None, True)
            value = self.build(value_node, depth + 1)
            marker = _hashable(key.value)
            if marker in seen:
                self.duplicates.append(Duplicate(str(key.value), key.span, seen[marker]))
            seen[marker] = key.span
            items.append((key, value))
        return items


# ---------------------------------------------------------------------------
# JSON

_JSON_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\n\r]+)
  | (?P<str>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrtu])*")
  | (?P<num>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
  | (?P<lit>true|false|null)
  | (?P<punct>[{}\[\]:,])
    """,
    re.VERBOSE,
)
_LITERALS = {"true": True, "false": False, "null": None}
_JSON_WS = re.compile(r"[ \t\n\r]*")


def load_json(source: SourceFile) -> Document:
    """Parse JSON into a position-aware tree; syntax errors raise LoadError (MPL002)."""
    doc = Document(source, None)
    with _no_gc():
        doc.root = _JsonParser(source, doc.duplicates).parse()
    return doc


class _JsonParser:
    def __init__(self, source: SourceFile, duplicates: list[Duplicate]) -> None:
        self.source = source
        self.text = source.text
        self.duplicates = duplicates
        self.pos = 0

    def fail(self, message: str, at: int | None = None) -> LoadError:
        at = self.pos if at is None else at
        return LoadError("MPL002", f"invalid JSON: {message}", self.source.offset_span(at, at + 1))

    def skip_ws(self) -> None:
        self.pos = _JSON_WS.match(self.text, self.pos).end()

    def parse(self) -> Node:
        self.skip_ws()
        node = self.value(0)
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.fail("unexpected text after the document")
        return node

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise LoadError(
                "MPL005",
                f"document nested deeper than {MAX_DEPTH} levels",
                self.source.offset_span(self.pos, self.pos + 1),
            )
        self.skip_ws()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of input")
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj(depth)
        if ch == "[":
            return self.arr(depth)
        match = _JSON_TOKEN.match(self.text, self.pos)
        if match is None or match.lastgroup in ("punct", "ws"):
            raise self.fail(f"unexpected character {ch!r}")
        start, self.pos = self.pos, match.end()
        span = self.source.offset_span(start, self.pos)
        text = match.group()
        if match.lastgroup == "str":
            return Scalar(span, _json_string(text), '"')
        if match.lastgroup == "num":
            return Scalar(span, float(text) if any(c in text for c in ".eE") else int(text))
        return Scalar(span, _LITERALS[text])

    def expect(self, ch: str) -> None:
        self.skip_ws()
        if self.text.startswith(ch, self.pos):
            self.pos += 1
            return
        found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of input"
        raise self.fail(f"expected {ch!r}, found {found}")

    def obj(self, depth: int) -> Mapping:
        start = self.pos
        self.pos += 1
        items: list[tuple[Scalar, Node]] = []
        seen: dict[str, Span] = {}
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return Mapping(self.source.offset_span(start, self.pos), items)
        while True:
            self.skip_ws()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a string key")
            key = self.value(depth + 1)
            assert isinstance(key, Scalar)
            key.is_key = True
            self.expect(":")
            value = self.value(depth + 1)
            if key.value in seen:
                self.duplicates.append(Duplicate(key.value, key.span, seen[key.value]))
            seen[key.value] = key.span
            items.append((key, value))
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            self.expect("}")
            return Mapping(self.source.offset_span(start, self.pos), items)

    def arr(self, depth: int) -> Sequence:
        start = self.pos
        self.pos += 1
        items: list[Node] = []
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return Sequence(self.source.offset_span(start, self.pos), items)
        while True:
            items.append(self.value(depth + 1))
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            self.expect("]")
            return Sequence(self.source.offset_span(start, self.pos), items)


def _json_string(token: str) -> str:
    if "\\" not in token:  # no escapes: the text between the quotes is the value
        return token[1:-1]
    try:
        return json.loads(token)
    except ValueError:  # lone surrogates and the like: keep the raw text
        return token[1:-1]
