"""Which stackql-deploy major version a stack is checked for, and the 2.x-only syntax it uses.

The target is `--engine` (or `engine:` in the config); without it, a stack that uses 2.x-only
syntax targets 2, one whose `if:` needs 1.x's Python `eval()` targets 1, and any other targets 2.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from msgspec import Struct

from mplint.findings import Span
from mplint.limits import current
from mplint.model.manifest import Manifest
from mplint.project import Stack
from mplint.source import Scalar, SourceFile
from mplint.stackql.templates import facts, locate, name_span, string_scalars, sub_blocks

TWO_X_FILTERS = ("to_aws_tag_filters", "merge_objects")
TWO_X_NAMES = ("resource_name", "idempotency_token")  # built-ins of 2.x only
TWO_X_ANCHORS = ("callback", "troubleshoot")
FILE_RE = re.compile(r"^\s*file\([^)]*\)\s*$")
_IF_TOKEN = re.compile(r"""\s*(?:(?P<operand>'[^']*'|"[^"]*"|[^\s'"=!\[\],]+)|(?P<op>==|!=)|(?P<punct>[\[\],]))""")
_LITERALS = ("true", "false", "True", "False", "X")


class Use(Struct, frozen=True):
    """One use of syntax that stackql-deploy 1.x does not know."""

    what: str  # e.g. "`this.vpc_id`"
    span: Span


class Target(Struct, frozen=True):
    """The stackql-deploy major version a stack is checked for, and what decided it."""

    engine: int  # 1 or 2
    source: str  # "option" | "evidence" | "default"


def decide(stack: Stack, engine: int | None, uses: list[Use]) -> Target:
    """The engine asked for, else the one the stack's syntax (``uses``: its 2.x-only uses) calls for, else 2."""
    if engine in (1, 2):
        return Target(engine, "option")
    if uses:
        return Target(2, "evidence")
    if stack.manifest is not None and any(not if_grammar_2x(text) for text, _ in if_conditions(stack.manifest)):
        return Target(1, "evidence")
    return Target(2, "default")


def find_uses(stack: Stack) -> list[Use]:
    """Every use of 2.x-only syntax in the stack, in file order."""
    manifest = stack.manifest
    if manifest is None:
        return []
    source = manifest.doc.source
    resources = frozenset(r.name for r in manifest.resources if r.name)
    uses: list[Use] = []
    for resource in manifest.resources:
        key = resource.node.key("return_vals")
        if key is not None:
            uses.append(Use("`return_vals`", key.span))
    for scalar in manifest_strings(manifest):
        uses.extend(_scalar_uses(source, scalar, resources))
    seen: set[str] = set()
    for query in stack.queries.values():
        if query.path not in seen:
            seen.add(query.path)
            uses.extend(_query_uses(query, resources))
    return uses


def manifest_strings(manifest: Manifest) -> Iterator[Scalar]:
    """Every string that stackql-deploy renders: global and prop values, `sql`, `run` and `if`."""
    for glob in manifest.globals:
        yield from string_scalars(glob.value)
    for resource in manifest.resources:
        for prop in resource.props:
            yield from string_scalars(prop.value)
            yield from string_scalars(prop.values)
        for key in ("sql", "run", "if"):
            yield from string_scalars(resource.node.get(key))


def _scalar_uses(source: SourceFile, scalar: Scalar, resources: frozenset[str]) -> Iterator[Use]:
    text = scalar.value
    if FILE_RE.match(text):
        yield Use(f"`{text.strip()}`", scalar.span)
        return
    if "{" not in text or not _may_use_2x(text, resources):
        return
    for what, needle in template_uses(text, resources):
        yield Use(what, locate(source, scalar, needle))


def _query_uses(query, resources: frozenset[str]) -> Iterator[Use]:
    source = query.source
    for anchor in query.anchors:
        if anchor.base in TWO_X_ANCHORS:
            yield Use(f"the `{anchor.key}` anchor", anchor.span)
        text = anchor.statement
        if "{" not in text or not _may_use_2x(text, resources):
            continue
        for what, needle in template_uses(text, resources):
            base, _, attr = needle.partition(".")
            span = name_span(source, anchor.body_start, anchor.body_end, base, attr or None)
            yield Use(what, span or anchor.span)


def _may_use_2x(text: str, resources: frozenset[str]) -> bool:
    """A cheap test before parsing: only texts that might hold 2.x syntax are parsed."""
    return (
        "this." in text or ("." in text and bool(resources))
        or any(word in text for word in (*TWO_X_FILTERS, *TWO_X_NAMES))
    )  # fmt: skip


def template_uses(text: str, resources: frozenset[str]) -> Iterator[tuple[str, str]]:
    """(description, needle to locate) for each 2.x-only construct in one template text."""
    info = facts(text)
    if info.error:
        return
    for base, attr in info.attributes:
        if base == "this":
            yield f"`this.{attr}`", f"this.{attr}"
        elif base in resources and base not in ("vars", "globals"):
            yield f"`{base}.{attr}` (another resource's export)", f"{base}.{attr}"
    for name in TWO_X_FILTERS:
        if name in info.filters:
            yield f"the `{name}` filter", name
    for name in TWO_X_NAMES:
        if name in info.names:
            yield f"the `{name}` built-in", name


def if_conditions(manifest: Manifest) -> Iterator[tuple[str, Scalar]]:
    for resource in manifest.resources:
        node = resource.node.get("if")
        if isinstance(node, Scalar) and isinstance(node.value, str):
            yield node.value, node


def if_too_long(text: str) -> bool:
    """Over the `if-chars` limit: such a condition is not judged (MPL005)."""
    return len(text) > current().if_chars


def if_grammar_2x(text: str) -> bool:
    """Whether 2.x can evaluate the condition: `true`/`false`, `a == b`, `a != b`, `a [not] in [...]`.

    Read by a tokenizer and a three-shape grammar (linear time); a condition over the length limit is not
    judged (True)."""
    if if_too_long(text):
        return True
    tokens = _if_tokens(sub_blocks(text, "X", ("{{",)))
    if tokens is None:
        return False
    kinds = [kind for kind, _, _ in tokens]
    if kinds == ["operand"]:
        return tokens[0][1] in _LITERALS
    return kinds == ["operand", "op", "operand"] or _membership(tokens)


def _if_tokens(text: str) -> list[tuple[str, str, bool]] | None:
    """(kind, text, preceded by white space) of each token, or None when something is not a token."""
    out: list[tuple[str, str, bool]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _IF_TOKEN.match(text, pos)
        if match is None:
            return None
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind), match.start(kind) > pos))
        pos = match.end()
    return out


def _membership(tokens: list[tuple[str, str, bool]]) -> bool:
    """`a in [b, c]` or `a not in [...]`, with white space before `not`/`in` and between `in` and `[`."""
    at = 2 if len(tokens) > 2 and tokens[1][1] == "not" and tokens[1][0] == "operand" else 1
    if len(tokens) < at + 3 or tokens[0][0] != "operand" or tokens[at][1] != "in" or tokens[at][0] != "operand":
        return False
    if not all(spaced for _, _, spaced in tokens[1 : at + 2]) or tokens[at + 1][1] != "[" or tokens[-1][1] != "]":
        return False
    items = tokens[at + 2 : -1]
    if not items:
        return True
    return (
        all((kind == "operand") if i % 2 == 0 else (value == ",") for i, (kind, value, _) in enumerate(items))
        and len(items) % 2 == 1
    )


def if_python(text: str) -> bool:
    """Whether 1.x's `eval()` can parse the condition, with every `{{ }}` as a plain word. Parsed by Python's
    own parser, never compiled or run; a condition over the length limit is not judged (True)."""
    if if_too_long(text):
        return True
    try:
        ast.parse(sub_blocks(text, "X", ("{{",)).strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
