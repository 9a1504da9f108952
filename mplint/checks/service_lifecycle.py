"""MPL236, MPL237: a resource type whose AWS service is shut down, sunsetting or in maintenance.

The resource schema says so in its `lifecycle` (status and date).
"""

from __future__ import annotations

from collections.abc import Iterator

from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import owns

R = owns(__name__, "MPL236", "MPL237")

SAYS = {
    "shutdown": ("MPL236", "is from a service that was shut down{on}: creating it fails"),
    "sunset": ("MPL237", "is from a service that is sunsetting{until}: plan a migration"),
    "maintenance": ("MPL237", "is from a service in maintenance mode{since}: no new features; consider migrating"),
}


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    for binding in ctx.bindings(stack):
        schema = ctx.schemas.schema(binding.cfn_type) if binding.cfn_type else None
        lifecycle = schema.get("lifecycle") if schema else None
        if not isinstance(lifecycle, dict) or lifecycle.get("status") not in SAYS:
            continue
        rule, says = SAYS[lifecycle["status"]]
        date = lifecycle.get("date")
        text = says.format(
            on=f" on {date}" if date else "",
            until=f" (its shutdown date is {date})" if date else "",
            since=f" since {date}" if date else "",
        )
        span = binding.stackql_span or binding.resource.anchor_span
        yield R.emit(rule, f"{binding.cfn_type} {text}", span, key_path=("resources", binding.resource.index))
