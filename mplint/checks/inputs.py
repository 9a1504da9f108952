"""MPL0xx: files that cannot be read or parsed, and duplicate keys."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding, Related


def check(ctx: Context) -> Iterator[Finding]:
    yield from ctx.project.load_findings
    for doc in ctx.project.documents:
        for dup in doc.duplicates:
            yield Finding(
                "MPL003",
                f"duplicate key `{dup.key}`: the last one wins and the earlier value is silently ignored",
                dup.span,
                related=(Related(dup.first, "first defined here"),),
            )
