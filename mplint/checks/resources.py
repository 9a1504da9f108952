"""MPL109, MPL110: a resource's query file, and the StackQL resource its INSERT targets."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding, Level
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
        if not name or not name.startswith(CLOUD_CONTROL) or binding.stackql_span is None:
            continue
        if binding.is_native and binding.native is None and binding.via != "query":
            service = name.split(".")[1] if name.count(".") == 2 else ""
            near = [f"aws.{service}.{n}" for n in ctx.native.resource_names(service)]
            yield R.MPL109(
                f"`{name}` is not a resource of the native `aws` provider{did_you_mean(name, near)}",
                binding.stackql_span,
                level=_native_level(ctx, service),
            )
        elif not binding.is_native and binding.cfn_type is None:
            prefix = name.rsplit(".", 1)[0] + "."
            near = [n for n in ctx.schemas.type_map() if n.startswith(prefix)]
            yield R.MPL109(
                f"`{name}` is not a known StackQL resource{did_you_mean(name, near)}",
                binding.stackql_span,
            )


def _native_level(ctx: Context, service: str) -> Level | None:
    """A note where the native catalog's resource list is rebuilt rather than extracted (ec2)."""
    found = ctx.native.service(service) if service else None
    return Level.NOTE if found is not None and found.rebuilt else None


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
