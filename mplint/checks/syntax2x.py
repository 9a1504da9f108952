"""MPL150, MPL151: syntax the target stackql-deploy engine cannot run.

The target is `--engine`, `engine:` in the config, or the stack's own evidence (see `mplint.stackql.target`).
"""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding
from mplint.limits import current
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.target import if_conditions, if_grammar_2x, if_python, if_too_long

R = owns(__name__, "MPL005", "MPL150", "MPL151")


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    chosen = ctx.target(stack)
    if chosen.engine == 1:
        why = "" if chosen.source == "option" else " (the stack's `if:` needs 1.x)"
        for use in ctx.uses_2x(stack):
            yield R.MPL150(
                f"{use.what} is stackql-deploy 2.x syntax: 1.x, the target engine{why}, fails on it",
                use.span,
            )
    for text, node in if_conditions(stack.manifest):
        yield from _condition(text, node.span, chosen.engine)


def _condition(text: str, span, engine: int) -> Iterator[Finding]:
    if if_too_long(text):
        limit = current().if_chars
        yield R.MPL005(f"an `if:` of {len(text):,} characters, over the {limit:,} limit (if-chars): not checked", span)
    elif engine == 2 and not if_grammar_2x(text):
        yield R.MPL151(
            f"`if: {text.strip()}` is not a condition stackql-deploy 2.x evaluates (true, false, `a == b`, `a != b`, "
            "`a in [...]`, `a not in [...]`): it stops, or compares the rest as text",
            span,
        )
    elif engine == 1 and not if_python(text):
        yield R.MPL151(
            f"`if: {text.strip()}` is not a Python expression: stackql-deploy 1.x fails to evaluate it",
            span,
        )
