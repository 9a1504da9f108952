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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from mplint.files import LoadError, decode, normalise, read_bytes
from mplint.files import LoadProblem as LoadProblem  # re-exported: loaders and their callers share it
from mplint.findings import Span
from mplint.limits import DEFAULT, Limits

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}
_PLAIN_TAGS: dict[str, str] = {}  # the same, for plain scalars without a tag: by their text alone


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
                _PLAIN_TAGS.clear()
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)
            if implicit == (True, False):  # a plain scalar without a tag
                _PLAIN_TAGS[value] = tag
        return tag


_STR_TAG = "tag:yaml.org,2002:str"


class SourceFile(Struct):
    """The text of one input file and what it takes to turn offsets into positions."""

    path: Path  # as on disk
    display: str  # as shown to users: relative, forward slashes
    text: str
    _lines: list[str] | None = None
    _astral: set[int] | None = None  # lines holding characters beyond the BMP
    _starts: list[int] | None = None  # offset of each line's first character
    _ascii: bool | None = None  # then columns are offsets: no UTF-16 counting

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
        starts = self._starts
        assert starts is not None
        if l0 + 1 < len(starts) and end >= starts[l0 + 1]:
            l1, c1 = self.position(end)
        else:  # on the same line: most spans are
            l1, c1 = l0, c0 + end - start
        if self._ascii is None:
            self._ascii = self.text.isascii()
        if self._ascii:
            return Span(self.display, l0 + 1, c0 + 1, l1 + 1, c1 + 1)
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


def read_source(
    path: Path,
    display: str,
    limits: Limits = DEFAULT,
    *,
    roots: Iterable[str] | None = None,
    any_bom: bool = False,
    buffers: Buffers | None = None,
) -> SourceFile:
    """Read a regular file as text (see :mod:`mplint.files`); unreadable, special, oversized or undecodable
    input raises LoadError. ``any_bom`` accepts UTF-16 and UTF-32 with a byte-order mark (policies: AWS
    reads them; stackql-deploy does not read manifests and query files so).

    A path in ``buffers`` is read from there (an editor's unsaved buffer), never from disk."""
    text = buffers.get(path) if buffers is not None else None
    if text is not None:
        return source_from_text(path, display, text, limits)
    data = read_bytes(path, limits.file_bytes, Span.point(display), roots)
    return SourceFile(path, display, decode(data, display, any_bom))


def source_from_text(path: Path, display: str, text: str, limits: Limits = DEFAULT) -> SourceFile:
    """A source file from text already decoded: the same limits and normalisation as a file read from disk."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > limits.file_bytes:
        message = f"text is {size:,} bytes, over the {limits.file_bytes:,} byte limit: not read"
        raise LoadError("MPL005", message, Span.point(display))
    return SourceFile(path, display, normalise(text, display))


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


class Node(Struct, eq=False):
    """A node of the position-aware tree: a key or value with its span in the file."""

    span: Span

    def to_python(self) -> Any:
        raise NotImplementedError


class Scalar(Node, eq=False):
    """A scalar value or key, with its YAML style."""

    value: Any
    style: str | None = None  # YAML style: None plain, "'" or '"' quoted, "|" or ">" block
    is_key: bool = False

    def to_python(self) -> Any:
        return self.value


class Sequence(Node, eq=False):
    """A sequence of nodes, in file order."""

    items: list[Node]
    braces: bool | None = None  # see Mapping.braces

    def to_python(self) -> list[Any]:
        return [item.to_python() for item in self.items]


class Mapping(Node, eq=False):
    """A mapping: its key and value nodes in file order, duplicates kept."""

    items: list[tuple[Scalar, Node]]  # in file order; duplicates kept (the last one wins)
    # The text, when this is an unquoted `{{ name }}` that YAML reads as a flow mapping rather than a string
    template: str | None = None
    # Whether a string under it (a key or a value, at any depth) holds `{`, or it holds an unquoted template:
    # False lets the searches for templates pass it by. None: not known (trees not built by the YAML loader).
    braces: bool | None = None
    _last: dict[Any, int] | None = None  # key -> index of its last item, once asked

    def _at(self, key: Any) -> int | None:
        """The index of the last item with this key; a large mapping indexes its keys on the first look-up."""
        items = self.items
        if len(items) < 16:
            for i in range(len(items) - 1, -1, -1):
                if items[i][0].value == key:
                    return i
            return None
        if self._last is None:  # built on the first look-up: the tree is complete by then
            self._last = {}
            for i, (k, _) in enumerate(self.items):
                self._last[_hashable(k.value)] = i
        return self._last.get(_hashable(key))

    def get(self, key: str) -> Node | None:
        at = self._at(key)
        return self.items[at][1] if at is not None else None

    def key(self, key: str) -> Scalar | None:
        at = self._at(key)
        return self.items[at][0] if at is not None else None

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


def may_hold_braces(node: Node) -> bool:
    """False when no string at or under the node (keys included) holds `{`: no template can be there. (Also
    a child's part in its parent's ``braces``.)"""
    if type(node) is Scalar:
        return type(node.value) is str and "{" in node.value
    return node.braces is not False  # type: ignore[attr-defined]


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


class Duplicate(Struct):
    """A key written again in a mapping: the key, where it is repeated and where it was written before."""

    key: str
    span: Span
    first: Span


class Document(Struct):
    """A loaded YAML or JSON file: its root node (None when empty) and load-time observations."""

    source: SourceFile
    root: Node | None
    duplicates: list[Duplicate] = field(default_factory=list)
    # Lists and mappings used as keys, other than an unquoted `{{ name }}` (MPL113): named by their text here,
    # while yaml.safe_load, stackql-deploy's loader, refuses the file ("found unhashable key")
    unhashable: list[Span] = field(default_factory=list)


def load_yaml(source: SourceFile, limits: Limits = DEFAULT) -> Document:
    """Parse YAML into a position-aware tree; syntax errors raise LoadError (MPL002), limits MPL005."""
    doc = Document(source, None)
    loader = _Loader(source.text)
    try:
        with _no_gc():
            doc.root = _Composer(source, loader, limits, doc).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = source.span(mark.line, mark.column, mark.line, mark.column + 1) if mark else source.whole_span()
        raise LoadError("MPL002", f"invalid YAML: {exc.problem or exc.context}", span) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at a character offset
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        span = source.offset_span(exc.position, exc.position + 1)
        raise LoadError("MPL002", f"invalid YAML: {exc.reason} #x{ord(char):04x}", span) from None
    except yaml.YAMLError as exc:
        raise LoadError("MPL002", f"invalid YAML: {str(exc).splitlines()[0]}", source.whole_span()) from None
    except RecursionError:
        raise LoadError("MPL005", "YAML nested too deeply", source.whole_span()) from None
    finally:
        loader.dispose()
    return doc


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
            if _keep_trees:
                gc.freeze()
            gc.enable()


_keep_trees = False  # inside `trees_kept()`


@contextmanager
def trees_kept(unfreeze: bool = True) -> Iterator[None]:
    """For a run that keeps the trees it builds until its findings are made: each finished tree is frozen out
    of the cyclic collector's reach (`gc.freeze`). Else the first collection after a load traverses every
    node of the new tree, a tenth of a 1,000-resource lint, and finds no cycle there (trees have none; a
    frozen object is still freed when its last reference goes). Leaving unfreezes, unless ``unfreeze`` is
    false: a worker forked from a frozen parent keeps its parent's objects out of reach. (The caller says
    so: `gc.get_freeze_count()` walks every frozen object, 25 ms a chunk in such a worker.)"""
    global _keep_trees
    earlier = _keep_trees
    _keep_trees = True
    try:
        yield
    finally:
        _keep_trees = earlier
        if not earlier and unfreeze:
            gc.unfreeze()


_YAML = "tag:yaml.org,2002:"
_MERGE_TAG, _VALUE_TAG = _YAML + "merge", _YAML + "value"
_TEXT_TAGS = frozenset({_STR_TAG, _MERGE_TAG, _VALUE_TAG})
_NUMBER_TAGS = frozenset({_YAML + "int", _YAML + "float"})
# What yaml.safe_load (stackql-deploy's loader) constructs; any other tag makes it fail.
_SCALAR_TAGS = {
    _YAML + name: getattr(yaml.SafeLoader, f"construct_yaml_{name}")
    for name in ("null", "bool", "int", "float", "binary", "timestamp")
}
_SEQUENCE_TAGS = frozenset({_YAML + "seq", _YAML + "omap", _YAML + "pairs"})
_MAPPING_TAGS = frozenset({_YAML + "map", _YAML + "set"})


_ScalarEvent, _AliasEvent, _SequenceStartEvent = yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent
_SequenceEndEvent, _MappingEndEvent = yaml.SequenceEndEvent, yaml.MappingEndEvent
_NO_SPAN = Span.point("")
_new_span = tuple.__new__  # Span's own constructor, without the call through its generated __new__


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


class _Composer:
    """Builds the position-aware tree straight from the parser's events, as PyYAML's composer and safe
    constructor would read them (anchors, aliases, merge keys, tags), with the limits enforced as it goes:
    distinct nodes, depth, and the size of the document with every alias expanded, so that an alias bomb
    is refused after that many nodes, never built."""

    def __init__(self, source: SourceFile, parser: Any, limits: Limits, doc: Document) -> None:
        self.source = source
        self.parser = parser
        self.limits = limits
        self.max_depth, self.max_nodes = limits.depth, limits.nodes
        self.display = source.display
        self.duplicates = doc.duplicates
        self.unhashable = doc.unhashable
        self.keys: list[Span] = []  # the non-scalar keys of the mapping being composed
        self.ascii = source.text.isascii()  # then code points are UTF-16 units: no column conversion
        self.anchors: dict[str, Node] = {}
        self.sizes: dict[int, int] = {}  # expanded size of each anchored node, by id
        self.open: set[int] = set()  # anchored nodes still being composed
        self.nodes = 0
        self.aliased = 0  # nodes that aliases add: the document expanded is nodes + aliased
        self.tag: str | None = None  # the tag of the scalar composed last
        self.extent = (0, 0)  # character offsets of the node composed last

    def span(self, start: Any, end: Any) -> Span:
        if self.ascii:
            return Span(self.source.display, start.line + 1, start.column + 1, end.line + 1, end.column + 1)
        return self.source.span(start.line, start.column, end.line, end.column)

    def fail(self, rule_id: str, message: str, mark: Any) -> LoadError:
        return LoadError(rule_id, message, self.source.span(mark.line, mark.column, mark.line, mark.column + 1))

    def document(self) -> Node | None:
        parser = self.parser
        parser.get_event()  # stream start
        if parser.check_event(yaml.StreamEndEvent):
            return None
        parser.get_event()  # document start
        root = self.node(parser.get_event(), 0)
        parser.get_event()  # document end
        if not parser.check_event(yaml.StreamEndEvent):
            event = parser.get_event()
            raise LoadError(
                "MPL002",
                "invalid YAML: expected a single document in the stream, but found another document",
                self.span(event.start_mark, event.end_mark),
            )
        return root

    def node(self, event: Any, depth: int, is_key: bool = False) -> Node:
        kind = type(event)
        if kind is _AliasEvent:
            self.extent = (event.start_mark.index, event.end_mark.index)
            return self.alias(event)
        if depth > self.max_depth:
            raise self.fail("MPL005", f"document nested deeper than {self.limits.depth} levels", event.start_mark)
        anchor = event.anchor
        if anchor is None and kind is _ScalarEvent:
            return self.leaf(event, is_key)
        self.count(event)
        if anchor is not None and anchor in self.anchors:
            raise self.fail("MPL002", f"invalid YAML: found duplicate anchor `&{anchor}`", event.start_mark)
        start = self.nodes - 1 + self.aliased
        if kind is _ScalarEvent:
            node: Node = self.leaf(event, is_key, counted=True)
            self.anchors[anchor], self.sizes[id(node)] = node, 1
            return node
        self.tag = None
        sequence = kind is _SequenceStartEvent
        self.check_tag(event, _SEQUENCE_TAGS if sequence else _MAPPING_TAGS)
        node = Sequence(_NO_SPAN, []) if sequence else Mapping(_NO_SPAN, [])
        if anchor is not None:
            self.anchors[anchor] = node
            self.open.add(id(node))
        end = self.sequence(node, depth) if sequence else self.mapping(node, event, depth)  # type: ignore[arg-type]
        node.span = self.span(event.start_mark, end.end_mark)
        self.extent = (event.start_mark.index, end.end_mark.index)
        if anchor is not None:
            self.open.discard(id(node))
            self.sizes[id(node)] = self.nodes + self.aliased - start
        return node

    def count(self, event: Any) -> None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.too_many(event)

    def too_many(self, event: Any) -> LoadError:
        return self.fail("MPL005", f"document has more than {self.limits.nodes:,} nodes", event.start_mark)

    def leaf(self, event: Any, is_key: bool, counted: bool = False) -> Scalar:
        """A scalar, the most common node: the text is its value unless its tag says otherwise."""
        if not counted:  # count() written out: this runs for most nodes
            self.nodes += 1
            if self.nodes > self.max_nodes:
                raise self.too_many(event)
        first, last = event.start_mark, event.end_mark
        if self.ascii:
            span = _new_span(Span, (self.display, first.line + 1, first.column + 1, last.line + 1, last.column + 1))
        else:
            span = self.source.span(first.line, first.column, last.line, last.column)
        value, style = event.value, event.style
        # Without a tag, a quoted or block scalar is a string; a plain one is what its text resolves to
        if event.tag is None and (style or _PLAIN_TAGS.get(value) == _STR_TAG):
            self.tag = _STR_TAG
        else:
            value = self.scalar(event)
        return Scalar(span, value, style or None, is_key)

    def alias(self, event: Any) -> Node:
        target = self.anchors.get(event.anchor)
        self.tag = None
        if target is None:
            raise self.fail("MPL002", f"invalid YAML: found undefined alias `*{event.anchor}`", event.start_mark)
        if id(target) in self.open:
            raise self.fail(
                "MPL005",
                f"alias `*{event.anchor}` is used inside its own anchor: the document expands without end",
                event.start_mark,
            )
        self.aliased += self.sizes[id(target)]
        if self.nodes + self.aliased > self.limits.expanded_nodes:
            raise self.fail(
                "MPL005",
                f"aliases expand this document past {self.limits.expanded_nodes:,} nodes: not read",
                event.start_mark,
            )
        return target

    def check_tag(self, event: Any, known: frozenset[str]) -> None:
        if event.tag is not None and event.tag != "!" and event.tag not in known:
            raise self.unknown_tag(event.tag, event.start_mark)

    def unknown_tag(self, tag: str, mark: Any) -> LoadError:
        return self.fail(
            "MPL002", f"the tag `{_short_tag(tag)}` is one stackql-deploy's YAML loader (yaml.safe_load) rejects", mark
        )

    def scalar(self, event: Any) -> Any:
        value, tag = event.value, event.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(yaml.ScalarNode, value, event.implicit)
        self.tag = tag
        if tag in _TEXT_TAGS:
            return value
        construct = _SCALAR_TAGS.get(tag)
        if construct is None:
            raise self.unknown_tag(tag, event.start_mark)
        if tag in _NUMBER_TAGS and len(value) > self.limits.number_chars:
            raise self.fail("MPL005", f"a number of {len(value):,} characters: not read", event.start_mark)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            return construct(self.parser, node)
        except (ValueError, OverflowError, TypeError, yaml.YAMLError) as exc:
            raise self.fail(
                "MPL002",
                f"invalid {_short_tag(tag)} value `{value[:40]}`: {exc} (yaml.safe_load fails on it)",
                event.start_mark,
            ) from None

    def sequence(self, node: Sequence, depth: int) -> Any:
        append, get, compose, leaf, depth = node.items.append, self.parser.get_event, self.node, self.leaf, depth + 1
        flat = depth <= self.max_depth  # then a scalar without an anchor is a leaf
        braces = False
        while type(event := get()) is not _SequenceEndEvent:
            if flat and type(event) is _ScalarEvent and event.anchor is None:
                item: Node = leaf(event, False)
            else:
                item = compose(event, depth)
            append(item)
            if not braces:  # may_hold_braces, written out: this runs for every node
                scalar = type(item) is Scalar
                braces = type(item.value) is str and "{" in item.value if scalar else item.braces is not False  # type: ignore[attr-defined]
        node.braces = braces
        return event

    def mapping(self, node: Mapping, start: Any, depth: int) -> Any:
        own: list[tuple[Scalar, Node]] = []
        merged: list[tuple[Scalar, Node]] = []
        seen: dict[Any, Span] = {}
        unhashable: list[tuple[Node, Span]] = []
        get, compose, leaf, depth = self.parser.get_event, self.node, self.leaf, depth + 1
        flat = depth <= self.max_depth  # then a scalar without an anchor is a leaf
        braces = False
        while type(event := get()) is not _MappingEndEvent:
            if flat and type(event) is _ScalarEvent and event.anchor is None:
                key: Node = leaf(event, True)
            else:
                key = compose(event, depth, True)
            key_tag = self.tag if type(key) is Scalar else None
            if type(key) is not Scalar:  # a list or map as a key: named by its text
                unhashable.append((key, key.span))
                key = Scalar(key.span, self.source.text[self.extent[0] : self.extent[1]], None, True)
            event = get()
            if flat and type(event) is _ScalarEvent and event.anchor is None:
                value: Node = leaf(event, False)
            else:
                value = compose(event, depth)
            if key_tag == _MERGE_TAG:
                self.merge(value, merged)
                continue
            if braces:
                pass
            elif type(key.value) is str and "{" in key.value:
                braces = True
            elif type(value) is Scalar:  # may_hold_braces, written out: this runs for every node
                braces = type(value.value) is str and "{" in value.value
            else:
                braces = value.braces is not False  # type: ignore[attr-defined]
            marker = key.value if type(key.value) is str else _hashable(key.value)
            if marker in seen:
                self.duplicates.append(Duplicate(str(key.value), key.span, seen[marker]))
            seen[marker] = key.span
            own.append((key, value))
        node.items = merged + own if merged else own  # the mapping's own keys override merged ones
        if unhashable:
            node.template = self.unquoted_template(start, event, node, unhashable[0][0])
            if node.template is None:
                self.unhashable.extend(span for _, span in unhashable)
        node.braces = (
            braces or node.template is not None or any(may_hold_braces(k) or may_hold_braces(v) for k, v in merged)
        )
        return event

    def unquoted_template(self, start: Any, end: Any, node: Mapping, key: Node) -> str | None:
        """`{{ name }}` written without quotes: a flow mapping whose only key is another flow mapping."""
        if not start.flow_style or len(node.items) != 1 or not isinstance(key, Mapping):
            return None
        text = self.source.text[start.start_mark.index : end.end_mark.index]
        return text if text.startswith("{{") and text.endswith("}}") else None

    def merge(self, value: Node, merged: list[tuple[Scalar, Node]]) -> None:
        """A `<<` merge key, as PyYAML's flatten_mapping reads it (the merged mappings are flat already)."""
        sources = value.items if isinstance(value, Sequence) else [value]
        taken = {id(k) for k, _ in merged}
        for source in sources:
            if not isinstance(source, Mapping):
                raise LoadError(
                    "MPL002", "invalid YAML: `<<` merges a mapping or a list of mappings, nothing else", source.span
                )
            for pair in source.items:
                if id(pair[0]) not in taken:
                    taken.add(id(pair[0]))
                    merged.append(pair)


# ---------------------------------------------------------------------------
# JSON

# The JSON grammar's tokens, shared with the quick reader (mplint/json_quick.py); the string's loop unrolled.
JSON_STRING = r'"[^"\\\x00-\x1f]*(?:\\["\\/bfnrtu][^"\\\x00-\x1f]*)*"'
JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
JSON_LITERALS = {"true": True, "false": False, "null": None}
_JSON_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\n\r]+)
  | (?P<str>{JSON_STRING})
  | (?P<num>{JSON_NUMBER})
  | (?P<lit>true|false|null)
  | (?P<punct>[{{}}\[\]:,])
    """,
    re.VERBOSE,
)
_JSON_WS = re.compile(r"[ \t\n\r]*")


def load_json(source: SourceFile, limits: Limits = DEFAULT) -> Document:
    """Parse JSON into a position-aware tree; syntax errors raise LoadError (MPL002), limits MPL005."""
    from mplint.json_quick import quick_tree

    doc = Document(source, None)
    try:
        with _no_gc():
            doc.root = quick_tree(source, limits, doc.duplicates)
            if doc.root is None:  # not well formed, or over a limit: the full reader says what and where
                doc.duplicates.clear()
                doc.root = _JsonParser(source, doc.duplicates, limits).parse()
    except RecursionError:
        raise LoadError("MPL005", "JSON nested too deeply", source.whole_span()) from None
    return doc


class _JsonParser:
    def __init__(self, source: SourceFile, duplicates: list[Duplicate], limits: Limits) -> None:
        self.source = source
        self.text = source.text
        self.duplicates = duplicates
        self.limits = limits
        self.nodes = 0
        self.pos = 0

    def limit(self, message: str) -> LoadError:
        return LoadError("MPL005", message, self.source.offset_span(self.pos, self.pos + 1))

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
        if depth > self.limits.depth:
            raise self.limit(f"document nested deeper than {self.limits.depth} levels")
        self.nodes += 1
        if self.nodes > self.limits.nodes:
            raise self.limit(f"document has more than {self.limits.nodes:,} nodes")
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
            return Scalar(span, json_string(text), '"')
        if match.lastgroup == "num":
            if len(text) > self.limits.number_chars:
                raise LoadError("MPL005", f"a number of {len(text):,} characters: not read", span)
            return Scalar(span, float(text) if any(c in text for c in ".eE") else int(text))
        return Scalar(span, JSON_LITERALS[text])

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


def json_string(token: str) -> str:
    if "\\" not in token:  # no escapes: the text between the quotes is the value
        return token[1:-1]
    try:
        return json.loads(token)
    except ValueError:  # lone surrogates and the like: keep the raw text
        return token[1:-1]
