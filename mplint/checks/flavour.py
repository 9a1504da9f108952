"""MPL160, MPL161: which flavour of the unpinned `aws` provider a stack is read as, and statements that disagree."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding, Related
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.provider import Decision, Evidence, Flavour

R = owns(__name__, "MPL160", "MPL161")

LABEL = {Flavour.AWS_NATIVE: "the native provider", Flavour.AWS_CC: "the Cloud Control era provider"}
PIN_HINT = "pin it in `providers:` (`aws::v26.07.NNNNN` or later is native, earlier versions are Cloud Control)"
MAX_RELATED = 3


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    decision = ctx.flavours(stack)
    if decision.how == "pinned" or decision.pin is None:
        return
    yield _assumed(decision, _relative_paths(stack))
    support = decision.supporting()
    for odd in decision.disagreeing():
        yield _mixed(decision, odd, support)


def _relative_paths(stack: Stack) -> dict[str, str]:
    """Each query file's shown path -> its path within the stack (messages do not depend on where mplint runs)."""
    out: dict[str, str] = {}
    root = stack.root.resolve()
    for query in stack.queries.values():
        if query.path in out:  # resources sharing a query file
            continue
        try:
            out[query.path] = query.source.path.resolve().relative_to(root).as_posix()
        except ValueError:
            out[query.path] = query.path
    return out


def _assumed(decision: Decision, paths: dict[str, str]) -> Finding:
    assert decision.pin is not None
    support = decision.supporting()
    related = tuple(Related(e.span, e.what) for e in support[:MAX_RELATED])
    if decision.how == "default":
        message = (
            "`aws` is not pinned and no statement shows which flavour the stack is written for: mplint reads "
            "`aws.*` as the native provider (one AWS API call per method), which an unpinned `aws` installs "
            f"today; {PIN_HINT}"
        )
    elif decision.aws is Flavour.AWS_NATIVE:
        message = (
            f"`aws` is not pinned: mplint reads `aws.*` as the native provider (one AWS API call per method), "
            f"as {_shown_by(decision, support, paths)}; {PIN_HINT}"
        )
    else:
        message = (
            f"`aws` is not pinned: mplint reads `aws.*` as the Cloud Control era provider, as "
            f"{_shown_by(decision, support, paths)}; an unpinned `aws` installs the native provider today, where these "
            "statements fail: pin a version before v26.07 (`aws::v26.06.NNNNN`) or move the stack to `awscc`"
        )
    return R.MPL160(message, decision.pin.node.span, related=related)


def _shown_by(decision: Decision, support: list[Evidence], paths: dict[str, str]) -> str:
    first = support[0]
    count = decision.counts.get(decision.aws, len(support))
    others = f" and {count - 1} more statement{'s' if count > 2 else ''}" if count > 1 else ""
    where = paths.get(first.span.path, first.span.path)
    return f"{first.what} at {where}:{first.span.line}{others} show{'' if count > 1 else 's'}"


def _mixed(decision: Decision, odd: Evidence, support: list[Evidence]) -> Finding:
    count = decision.counts.get(decision.aws, len(support))
    message = (
        f"{odd.what}: this statement is written for {LABEL[odd.flavour]}, but {count} statement"
        f"{'s of the stack read' if count != 1 else ' of the stack reads'} as {LABEL[decision.aws]} and an "
        "unpinned `aws` is one "
        f"flavour for the whole stack, so this one fails; rewrite it, or move it to `awscc.*`, and pin `aws`"
    )
    related = (Related(support[0].span, f"read as {LABEL[decision.aws]}: {support[0].what}"),) if support else ()
    return R.MPL161(message, odd.span, related=related)
