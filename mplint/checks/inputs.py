"""MPL0xx: files that cannot be read, parsed or used (the loader's problems), duplicate keys, expired suppressions."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding, Related
from mplint.registry import UnknownId, builtin_rules, expand_ids, owns

R = owns(__name__, "MPL001", "MPL002", "MPL003", "MPL004", "MPL005", "MPL006", "MPL007", "MPL008", "MPL009")


def check_project(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.project.problems:
        yield R.emit(problem.rule_id, problem.message, problem.span)
    for entry in ctx.suppressions.expired(ctx.today):
        yield R.MPL007(
            f"the suppression of {', '.join(entry.rules)} for `{entry.path}` expired on {entry.expires}: fix the "
            f"findings it hid, or give it a new date (its reason: {entry.reason})",
            entry.expires_span or entry.span,
        )
    yield from _unknown_inline_ids(ctx)
    for doc in ctx.project.documents:
        for dup in doc.duplicates:
            yield R.MPL003(
                f"duplicate key `{dup.key}`: the last one wins and the earlier value is silently ignored",
                dup.span,
                related=(Related(dup.first, "first defined here"),),
            )
        for span in doc.unhashable:
            yield R.MPL002(
                "invalid YAML: a list or mapping as a key: yaml.safe_load, stackql-deploy's loader, refuses the file "
                '("found unhashable key")',
                span,
            )


def _unknown_inline_ids(ctx: Context) -> Iterator[Finding]:
    known = ctx.rules or builtin_rules()
    for comment in ctx.inline_comments():
        for written in comment.ids:
            if written.upper() == "ALL":
                continue
            try:
                expand_ids(written, known)
            except UnknownId as exc:
                yield R.MPL008(f"{exc}; this comment suppresses nothing for it", comment.span)
