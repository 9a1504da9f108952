"""Jinja templates in prop values and query files: parsed with jinja2's own parser, never rendered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, meta, nodes

from mplint.findings import Span
from mplint.source import Node, Scalar, SourceFile

DEAD_NAMESPACES = ("vars", "globals")
# stack_name and stack_env, Jinja's own globals, and the 2.x built-ins resource_name and idempotency_token
# (MPL150 reports those two under engine 1)
BUILTIN_NAMES = frozenset(
    {"stack_name", "stack_env", "uuid", "range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"}
    | {"resource_name", "idempotency_token"}
)

# The filters and globals stackql-deploy registers (1.x and 2.x): known to the parser, never called.
STACKQL_FILTERS = (
    "from_json", "base64_encode", "merge_lists", "merge_objects", "generate_patch_document",
    "sql_list", "sql_escape", "to_aws_tag_filters",
)  # fmt: skip
_env = Environment(autoescape=False)
_env.filters.update(dict.fromkeys(STACKQL_FILTERS, str))
_env.globals["uuid"] = str


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    names: frozenset[str]  # undeclared names the template reads
    attributes: tuple[tuple[str, str], ...]  # (name, attribute) for every `name.attr` read
    simple_name: str | None  # the name, when the whole text is exactly `{{ name }}`
    error: str | None  # syntax error message
    error_line: int  # 1-based line within the text


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


@lru_cache(maxsize=65536)
def analyse(text: str) -> TemplateInfo:
    """What a template string reads, found by jinja2's parser (cached: the same text recurs)."""
    try:
        ast = _env.parse(text)
        names = frozenset(meta.find_undeclared_variables(ast))  # also checks that every filter exists
    except TemplateSyntaxError as exc:  # includes TemplateAssertionError: an unknown filter or test
        return TemplateInfo(frozenset(), (), None, exc.message or "syntax error", exc.lineno or 1)
    attributes = tuple(
        (node.node.name, node.attr) for node in ast.find_all(nodes.Getattr) if isinstance(node.node, nodes.Name)
    )
    return TemplateInfo(names, attributes, _simple_name(ast), None, 0)


def _simple_name(ast: nodes.Template) -> str | None:
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    parts = ast.body[0].nodes
    if len(parts) == 1 and isinstance(parts[0], nodes.Name):
        return parts[0].name
    return None


def string_scalars(node: Node | None):
    """Every string scalar under a node (keys excluded)."""
    from mplint.source import Mapping, Sequence

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
    pattern = re.compile(r"\{[{%][^}]*?\b(" + re.escape(needle) + r")\b")
    for line0 in range(span.line - 1, min(span.end_line, len(lines))):
        text = lines[line0]
        start = span.col - 1 if line0 == span.line - 1 else 0
        match = pattern.search(text, start)
        if match and (line0 < span.end_line - 1 or match.end(1) <= span.end_col - 1 or span.end_line == span.line):
            return source.span(line0, match.start(1), line0, match.end(1))
    return span


# ---------------------------------------------------------------------------
# What a template uses, for the query-file, scope and 2.x-syntax checks: parsed only, never compiled, so an
# unknown filter does not fail here (analyse() above reports it in manifest values).

PATCH_FILTER = "generate_patch_document"


@dataclass(frozen=True, slots=True)
class Facts:
    error: str | None  # syntax error message
    error_line: int  # 1-based line of the error within the text
    names: frozenset[str]  # names read and not assigned inside the template
    attributes: tuple[tuple[str, str], ...]  # (name, attribute) for every `name.attr` read
    filters: frozenset[str]
    calls: frozenset[str]  # global functions called: uuid(), file(), ...
    patch_keys: tuple[str, ...]  # literal keys of a dict piped to generate_patch_document
    patch_names: tuple[tuple[str, str], ...] = ()  # (key, name) where the key's value is a bare `name`


@lru_cache(maxsize=65536)
def facts(text: str) -> Facts:
    try:
        ast = _env.parse(text)
    except TemplateSyntaxError as exc:
        return Facts(exc.message or "syntax error", exc.lineno or 1, frozenset(), (), frozenset(), frozenset(), ())
    except Exception as exc:  # jinja2 raises a few other errors on odd input
        return Facts(str(exc) or type(exc).__name__, 1, frozenset(), (), frozenset(), frozenset(), ())
    loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
    stored = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    attributes = tuple((n.node.name, n.attr) for n in ast.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name))
    filters = [n for n in ast.find_all(nodes.Filter)]
    calls = {n.node.name for n in ast.find_all(nodes.Call) if isinstance(n.node, nodes.Name)}
    patch_keys = tuple(
        pair.key.value
        for f in filters
        if f.name == PATCH_FILTER and isinstance(f.node, nodes.Dict)
        for pair in f.node.items
        if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str)
    )
    patch_names = tuple(
        (pair.key.value, pair.value.name)
        for f in filters
        if f.name == PATCH_FILTER and isinstance(f.node, nodes.Dict)
        for pair in f.node.items
        if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str) and isinstance(pair.value, nodes.Name)
    )
    return Facts(
        None,
        0,
        frozenset(loaded - stored),
        attributes,
        frozenset(f.name for f in filters),
        frozenset(calls),
        patch_keys,
        patch_names,
    )


BLOCK_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def find_name(text: str, name: str, start: int = 0, end: int | None = None, attr: str | None = None) -> int:
    """Offset of the first read of ``name`` (or ``name.attr``) inside a `{{ }}`/`{% %}` block of ``text``, else -1."""
    needle = re.compile(r"(?<![\w.])" + re.escape(name) + (r"\s*\.\s*" + re.escape(attr) if attr else "") + r"\b")
    for block in BLOCK_RE.finditer(text, start, len(text) if end is None else end):
        found = needle.search(block.group())
        if found:
            return block.start() + found.start()
    return -1


def name_span(source: SourceFile, start: int, end: int, name: str, attr: str | None = None):
    """The span of ``name`` (or ``name.attr``) read in ``source.text[start:end]``, or None."""
    at = find_name(source.text, name, start, end, attr)
    if at < 0:
        return None
    width = len(name) if attr is None else len(source.text[at:end].split(attr, 1)[0]) + len(attr)
    return source.offset_span(at, at + width)
