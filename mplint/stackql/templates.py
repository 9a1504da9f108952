"""Jinja templates in prop values and query files: what they read, never rendered.

The blocks templates are mostly made of (`{{ name }}`, `{{ name.attr }}`, `{{ uuid() }}`, a string, a patch
document's dict, each piped to filters whose arguments are strings) are read here; anything else by jinja2's own
parser in `template_parser`, imported only then.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from msgspec import Struct

from mplint.findings import Span
from mplint.limits import current
from mplint.source import Mapping, Node, Scalar, Sequence, SourceFile

DEAD_NAMESPACES = ("vars", "globals")
# jinja2's default globals and the uuid() stackql-deploy adds: names a template reads without declaring them
GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace", "uuid"})
# stack_name and stack_env, the globals, loop, and the 2.x built-ins resource_name and idempotency_token
# (MPL150 reports those two under engine 1)
BUILTIN_NAMES = GLOBALS | {"stack_name", "stack_env", "loop", "resource_name", "idempotency_token"}

# The filters and globals stackql-deploy registers (1.x and 2.x): known to the parser, never called.
STACKQL_FILTERS = frozenset({
    "from_json", "base64_encode", "merge_lists", "merge_objects", "generate_patch_document",
    "sql_list", "sql_escape", "to_aws_tag_filters",
})  # fmt: skip
# jinja2's built-in filters (3.1): with stackql-deploy's, the filters a template can use without failing
JINJA2_FILTERS = frozenset({
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
    "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
    "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum",
    "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap",
    "xmlattr",
})  # fmt: skip
FILTERS = STACKQL_FILTERS | JINJA2_FILTERS


class TemplateInfo(Struct, frozen=True):
    """What a template reads: its names, `name.attr` reads, a bare `{{ name }}`, or its syntax error."""

    names: frozenset[str]  # undeclared names the template reads
    attributes: tuple[tuple[str, str], ...]  # (name, attribute) for every `name.attr` read
    simple_name: str | None  # the name, when the whole text is exactly `{{ name }}`
    error: str | None  # syntax error message
    error_line: int  # 1-based line within the text
    limited: bool = False  # the error is the template-chars limit: the template was not read


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


_SIMPLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Words that are not a name inside `{{ }}`: constants and operators of jinja2's grammar.
_RESERVED = frozenset({"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "self"})


def analyse(text: str) -> TemplateInfo:
    """What a template string reads (cached: the same text recurs), by jinja2's parser unless its blocks are
    common ones (`common_facts`). The commonest template, exactly `{{ name }}`, is not cached: it reads that
    one name."""
    simple = _SIMPLE.fullmatch(text)
    if simple and simple.group(1) not in _RESERVED and simple.group(1) not in GLOBALS:
        name = simple.group(1)
        return TemplateInfo(frozenset({name}), (), name, None, 0)
    return _parsed(text, current().template_chars)


@lru_cache(maxsize=65536)
def _parsed(text: str, limit: int) -> TemplateInfo:  # the limit in the key: what is read depends on it
    # one block and whitespace is left to the parser, which decides whether it is a bare `{{ name }}`
    alone = _SIMPLE.fullmatch(text.strip()) is not None
    read = common_facts(text) if len(text) <= limit and not alone else None
    # an unknown filter is left to jinja2's code generator, which reports it as rendering would
    if read is not None and read.filters <= FILTERS:
        return TemplateInfo(read.names - GLOBALS, read.attributes, None, None, 0)
    from mplint.stackql import template_parser

    return template_parser.template_info(text)


def string_scalars(node: Node | None) -> Iterator[Scalar]:
    """Every string scalar under a node (keys excluded)."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, Scalar):
            if isinstance(current.value, str):
                yield current
        elif isinstance(current, Mapping):
            stack.extend(v for _, v in reversed(current.items))
        elif isinstance(current, Sequence):
            stack.extend(reversed(current.items))


def locate(source: SourceFile, scalar: Scalar, needle: str) -> Span:
    """The span of the first `{{`/`{%` block reading ``needle`` inside a scalar, else the scalar itself."""
    span = scalar.span
    lines = source.lines
    pattern = re.compile(r"\b(" + re.escape(needle) + r")\b")
    for line0 in range(span.line - 1, min(span.end_line, len(lines))):
        text = lines[line0]
        start = span.col - 1 if line0 == span.line - 1 else 0
        match = _read_in_block(text, pattern, start)
        if match and (line0 < span.end_line - 1 or match.end(1) <= span.end_col - 1 or span.end_line == span.line):
            return source.span(line0, match.start(1), line0, match.end(1))
    return span


def _read_in_block(text: str, pattern: re.Pattern[str], start: int) -> re.Match[str] | None:
    """The first match of ``pattern`` between an opening `{{` or `{%` and the next `}` of one line. Openers
    before the same `}` share the tail of the first one's text, so each `}` ends a search: linear time."""
    pos = start
    while True:
        found = [at for at in (text.find("{{", pos), text.find("{%", pos)) if at >= 0]
        if not found:
            return None
        at = min(found)
        close = text.find("}", at + 2)
        match = pattern.search(text, at + 2, len(text) if close < 0 else close)
        if match or close < 0:
            return match
        pos = close + 1


# ---------------------------------------------------------------------------
# What a template uses, for the query-file, scope and 2.x-syntax checks: parsed only, never compiled, so an
# unknown filter does not fail here (analyse() above reports it in manifest values).

PATCH_FILTER = "generate_patch_document"


class Facts(Struct, frozen=True):
    """What a template reads and calls: names, attributes, filters, functions, patch keys, or its error."""

    error: str | None  # syntax error message
    error_line: int  # 1-based line of the error within the text
    names: frozenset[str]  # names read and not assigned inside the template
    attributes: tuple[tuple[str, str], ...]  # (name, attribute) for every `name.attr` read
    filters: frozenset[str]
    calls: frozenset[str]  # global functions called: uuid(), file(), ...
    patch_keys: tuple[str, ...]  # literal keys of a dict piped to generate_patch_document
    patch_names: tuple[tuple[str, str], ...] = ()  # (key, name) where the key's value is a bare `name`
    limited: bool = False  # the error is the template-chars limit: the template was not read


def facts(text: str) -> Facts:
    """What a query-file statement's template reads and calls (cached: the same text recurs)."""
    return _facts_of(text, current().template_chars)


@lru_cache(maxsize=65536)
def _facts_of(text: str, limit: int) -> Facts:  # the limit in the key: what is read depends on it
    read = common_facts(text) if len(text) <= limit else None
    if read is not None:
        return read
    from mplint.stackql import template_parser

    return template_parser.facts(text)


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEY = r"\"[A-Za-z0-9_.:/-]*\"|'[A-Za-z0-9_.:/-]*'"
_PAIR = rf"(?:{_KEY})\s*:\s*{_NAME}"
_STRING = r"'[^'\\]*'|\"[^\"\\]*\""  # a string literal without escapes
_KWARG = rf"{_NAME}\s*=\s*(?:{_STRING})"
_ARGS = rf"(?:{_STRING})(?:\s*,\s*(?:{_STRING}))*(?:\s*,\s*{_KWARG})*|{_KWARG}(?:\s*,\s*{_KWARG})*"
_FILTER = rf"\|\s*{_NAME}(?:\s*\(\s*(?:{_ARGS})?\s*\))?"
# The blocks query files are mostly made of: `{{ name }}`, `{{ name.attr }}`, a global called without
# arguments (`{{ uuid() }}`), a string, and a dict of literal keys and bare names (stackql-deploy's patch
# document); each piped to any number of filters whose arguments are strings (`| replace('-', '_')`).
_COMMON = re.compile(
    rf"""\{{\{{\s*(?:
        (?P<call>{_NAME})\s*\(\s*\)
      | (?P<name>{_NAME})(?:\s*\.\s*(?P<attr>{_NAME}))?
      | (?:{_STRING})
      | \{{\s*(?P<pairs>{_PAIR}(?:\s*,\s*{_PAIR})*)\s*\}}
    )(?P<filters>(?:\s*{_FILTER})*)\s*\}}\}}""",
    re.X,
)
_FILTER_NAMES = re.compile(rf"{_STRING}|\|\s*({_NAME})")  # strings passed over: a `|` in one is no filter
_PAIRS = re.compile(rf"(?:\"([^\"]*)\"|'([^']*)')\s*:\s*({_NAME})")


def common_facts(text: str) -> Facts | None:
    """What ``text`` reads and calls, when every block is one of the common ones (see `_COMMON`), else None.
    Blocks are found as jinja2's lexer finds them: from the first `{{` after the last block."""
    if "{%" in text or "{#" in text:
        return None
    names: set[str] = set()
    attributes: list[tuple[str, str]] = []
    filters: set[str] = set()
    calls: set[str] = set()
    patch: list[tuple[str, str]] = []
    at = text.find("{{")
    while at >= 0:
        block = _COMMON.match(text, at)
        if block is None:
            return None
        call, name, attr, pairs, piped = block.group("call", "name", "attr", "pairs", "filters")
        found = [(k1 or k2, v) for k1, k2, v in _PAIRS.findall(pairs)] if pairs else []
        read = [call or name] if call or name else [v for _, v in found]
        used = [word for word in _FILTER_NAMES.findall(piped) if word] if piped else []
        # not filters: after `|`, jinja2 reads any word, `not` too, as a filter's name
        if any(word in _RESERVED for word in (*read, attr) if word):
            return None
        names.update(read)
        if call:
            calls.add(call)
        if attr:
            attributes.append((name, attr))
        filters.update(used)
        if used and used[0] == PATCH_FILTER:  # the filter the dict itself is piped to
            patch.extend(found)
        at = text.find("{{", block.end())
    keys = tuple(k for k, _ in patch)
    return Facts(None, 0, frozenset(names), tuple(attributes), frozenset(filters), frozenset(calls), keys, tuple(patch))


CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def blocks(
    text: str, start: int = 0, end: int | None = None, kinds: tuple[str, ...] = ("{{", "{%")
) -> Iterator[tuple[int, int]]:
    """(start, end) of each Jinja block of the given kinds, as a lazy `{{.*?}}` regular expression finds them,
    in time linear in the text: an opener without a closer after it ends that kind for good, where the
    regular expression would scan to the end again from every later opener."""
    end = len(text) if end is None else end
    following = {kind: text.find(kind, start, end) for kind in kinds}
    pos = start
    while True:
        live = [(at, kind) for kind, at in following.items() if at >= 0]
        if not live:
            return
        at, kind = min(live)
        close = text.find(CLOSERS[kind], at + 2, end)
        if close < 0:
            del following[kind]
            continue
        yield at, close + 2
        pos = close + 2
        for other, found in following.items():
            if 0 <= found < pos:
                following[other] = text.find(other, pos, end)


def sub_blocks(text: str, replace: str | Callable[[str], str], kinds: tuple[str, ...] = ("{{", "{%")) -> str:
    """``text`` with each block (see :func:`blocks`) replaced by ``replace`` or what it returns for the block."""
    out: list[str] = []
    at = 0
    for start, end in blocks(text, kinds=kinds):
        out.append(text[at:start])
        out.append(replace if isinstance(replace, str) else replace(text[start:end]))
        at = end
    out.append(text[at:])
    return "".join(out)


def find_name(text: str, name: str, start: int = 0, end: int | None = None, attr: str | None = None) -> int:
    """Offset of the first read of ``name`` (or ``name.attr``) inside a `{{ }}`/`{% %}` block of ``text``, else -1."""
    return _first_reads(text, start, len(text) if end is None else end).get((name, attr), -1)


_READ = re.compile(r"(?<![\w.])([^\W\d]\w*)(?:(?=\s*\.\s*(\w+)))?")  # the attribute read ahead, not consumed


@lru_cache(maxsize=64)
def _first_reads(text: str, start: int, end: int) -> dict[tuple[str, str | None], int]:
    """(name, None) and (name, attr) -> the offset of their first read in the blocks of ``text[start:end]``: one
    pass for all the names of a query, which a search per name made quadratic in a query of many columns."""
    reads: dict[tuple[str, str | None], int] = {}
    for begin, stop in blocks(text, start, end):
        for found in _READ.finditer(text, begin, stop):
            reads.setdefault((found[1], None), found.start())
            if found[2] is not None:
                reads.setdefault((found[1], found[2]), found.start())
    return reads


def name_span(source: SourceFile, start: int, end: int, name: str, attr: str | None = None):
    """The span of ``name`` (or ``name.attr``) read in ``source.text[start:end]``, or None."""
    at = find_name(source.text, name, start, end, attr)
    if at < 0:
        return None
    width = len(name) if attr is None else len(source.text[at:end].split(attr, 1)[0]) + len(attr)
    return source.offset_span(at, at + width)
