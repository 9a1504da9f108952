"""What a Jinja template uses, found by jinja2's parser without compiling (so unknown filters do not fail).

Shared by the query-file, scope and 2.x-syntax checks; cached per text, like `mplint.templates.analyse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, nodes

from mplint.source import SourceFile

_env = Environment(autoescape=False)
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
    return Facts(
        None,
        0,
        frozenset(loaded - stored),
        attributes,
        frozenset(f.name for f in filters),
        frozenset(calls),
        patch_keys,
    )


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


_BLOCK_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def find_name(text: str, name: str, start: int = 0, end: int | None = None, attr: str | None = None) -> int:
    """Offset of the first read of ``name`` (or ``name.attr``) inside a `{{ }}`/`{% %}` block of ``text``, else -1."""
    needle = re.compile(r"(?<![\w.])" + re.escape(name) + (r"\s*\.\s*" + re.escape(attr) if attr else "") + r"\b")
    for block in _BLOCK_RE.finditer(text, start, len(text) if end is None else end):
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
