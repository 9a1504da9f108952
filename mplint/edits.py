"""Edits that fixes are made of: a scalar rewritten in its own quoting, a dead template namespace removed.

Each edit replaces text at a span of the file as written, so nothing else in the file moves.
"""

from __future__ import annotations

import re

import yaml

from mplint.findings import Edit
from mplint.source import Scalar, SourceFile
from mplint.stackql.templates import blocks

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def replace_scalar(node: Scalar, value: str) -> Edit | None:
    """Write ``value`` where ``node`` is, quoted as the node is (a SQL literal in a query file); None for
    block scalars, whose layout an edit could not keep."""
    if node.span.path.endswith(".iql"):
        return Edit(node.span, "'" + value.replace("'", "''") + "'")
    if node.style == "'":
        return Edit(node.span, "'" + value.replace("'", "''") + "'")
    if node.style == '"':
        return Edit(node.span, '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if node.style is None:
        return Edit(node.span, value if _plain_reads_back(value) else "'" + value.replace("'", "''") + "'")
    return None


def _plain_reads_back(value: str) -> bool:
    """Whether ``value`` unquoted is read as that same string (not a number, boolean, null or syntax)."""
    try:
        return yaml.load(f"k: {value}\n", Loader=_Loader) == {"k": value}
    except yaml.YAMLError:
        return False


def dead_namespace_edits(source: SourceFile, start: int, end: int, base: str, attr: str) -> tuple[Edit, ...]:
    """Edits removing `base.` from every `{{ base.attr }}` read between two offsets of the source."""
    prefix = re.compile(r"(?<![\w.])" + re.escape(base) + r"\s*\.\s*(?=" + re.escape(attr) + r"\b)")
    edits: list[Edit] = []
    for begin, stop in blocks(source.text, start, end):
        for found in prefix.finditer(source.text, begin, stop):
            edits.append(Edit(source.offset_span(found.start(), found.end()), ""))
    return tuple(edits)
