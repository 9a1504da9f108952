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
