"""MPL115, MPL116: what a stack says that never takes effect: a prop nothing reads, a statecheck that is `exists`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from mplint.context import Context
from mplint.findings import Finding, Related
from mplint.model.manifest import Resource
from mplint.model.query import QueryFile
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.usage import unread_props

R = owns(__name__, "MPL115", "MPL116")

COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    for resource, binding in zip(stack.manifest.resources, ctx.bindings(stack), strict=True):
        query = stack.queries.get(resource.index)
        if binding.via not in ("config", "comment"):  # props named as properties for a tool mplint cannot see
            yield from _unread(resource, query, stack.root)
        if query is not None and resource.type in ("resource", "multi"):
            yield from _statecheck(query)


def _unread(resource: Resource, query: QueryFile | None, root: Path) -> Iterator[Finding]:
    unread = unread_props(resource, query)
    if not unread:
        return
    where = f"`{_within(query.source.path, root)}`" if query is not None else "the inline `sql`"
    for prop in unread:
        yield R.MPL115(
            f"prop `{prop.name}` of `{resource.name}` is never read: neither {where} nor the resource's other "
            "keys and props use it, so stackql-deploy never sends it",
            (prop.name_node or prop.node).span,
            key_path=("resources", resource.index, "props", prop.name or ""),
        )


def _within(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _statecheck(query: QueryFile) -> Iterator[Finding]:
    exists = query.anchor("exists", "preflight")
    statecheck = query.anchor("statecheck", "postdeploy")
    if exists is None or statecheck is None or query.anchor("update") is None or not _normal(statecheck.statement):
        return  # without an `update`, a statecheck like `exists` only waits for the create to show
    if _normal(statecheck.statement) == _normal(exists.statement):
        yield R.MPL116(
            "this `statecheck` asks the same as `exists`: it passes whenever the resource exists, "
            "so `build` never sees drift and never runs `update`",
            statecheck.span,
            related=(Related(exists.span, "the `exists` query"),),
        )


def _normal(statement: str) -> str:
    """The statement without comments, whitespace runs and the closing semicolon."""
    return " ".join(COMMENT_RE.sub(" ", statement).split()).rstrip("; ")
