"""MPL109, MPL110: a resource's query file, and the StackQL resource its INSERT targets."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import owns
from mplint.suggest import did_you_mean

R = owns(__name__, "MPL109", "MPL110")

CLOUD_CONTROL = ("aws.", "awscc.")
NEEDS_QUERY_FILE = ("resource", "multi")


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    bindings = ctx.bindings(stack)
    # A type named in the config or inline (`# mplint: type=`) is the way to lint props without query files.
    typed = {b.resource.index for b in bindings if b.via in ("config", "comment")}
    yield from _query_files(stack, typed)
    for binding in bindings:
        name = binding.stackql_name
        if name and binding.cfn_type is None and name.startswith(CLOUD_CONTROL) and binding.stackql_span:
            prefix = name.rsplit(".", 1)[0] + "."
            near = [n for n in ctx.schemas.type_map() if n.startswith(prefix)]
            yield R.MPL109(
                f"`{name}` is not a known StackQL resource{did_you_mean(name, near)}",
                binding.stackql_span,
            )


def _query_files(stack: Stack, typed: set[int]) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    for resource in stack.manifest.resources:
        if resource.index in stack.queries or resource.index in typed:
            continue
        needs = resource.type in NEEDS_QUERY_FILE or (
            resource.type in ("query", "command") and resource.node.get("sql") is None
        )
        path = stack.query_paths.get(resource.index)
        if needs and path is not None and not path.exists():
            where = f"`resources/{resource.file}`" if resource.file else f"`resources/{resource.name}.iql`"
            yield R.MPL110(
                f"resource `{resource.name}` has no query file: {where} does not exist",
                (resource.name_node or resource.node).span,
                key_path=("resources", resource.index),
            )
