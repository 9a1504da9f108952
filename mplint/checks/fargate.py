"""MPL238: a Fargate task definition whose CPU and memory sizes are not a combination Fargate runs."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from mplint.catalog import values
from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.binding import Opaque
from mplint.stackql.props import Values, locate, per_env

R = owns(__name__, "MPL238")

UNITS_RE = re.compile(r"^\s*(\d*\.?\d+)\s*(vcpu|gb)?\s*$", re.IGNORECASE)


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    for binding in ctx.bindings(stack):
        if binding.cfn_type != "AWS::ECS::TaskDefinition":
            continue
        for _, vals in per_env(binding):
            if _on_fargate(vals):
                yield from _judge(vals, binding)


def _on_fargate(vals: Values) -> bool:
    pv = vals.get("RequiresCompatibilities")
    return pv is not None and isinstance(pv.value, list) and "FARGATE" in pv.value


def _judge(vals: Values, binding) -> Iterator[Finding]:
    cpu_pv, memory_pv = vals.get("Cpu"), vals.get("Memory")
    cpu = _size(cpu_pv.value if cpu_pv else None, "vcpu")
    memory = _size(memory_pv.value if memory_pv else None, "gb")
    if cpu is None:
        return
    sizes = values.fargate_memory(cpu)
    if sizes is None:
        span, related = locate(["Cpu"], vals, binding)
        listed = ", ".join(map(str, values.fargate_cpus()))
        yield R.MPL238(f"`Cpu` is {cpu} units, not a Fargate CPU size ({listed})", span, related=related,
                       key_path=("Cpu",))  # fmt: skip
    elif memory is not None and memory not in sizes:
        span, related = locate(["Memory"], vals, binding)
        yield R.MPL238(
            f"`Memory` is {memory} MiB, which Fargate does not run with {cpu} CPU units ({_ranges(sizes)} MiB)",
            span, related=related, key_path=("Memory",),
        )  # fmt: skip


def _size(value: Any, unit: str) -> int | None:
    """CPU units or MiB from `1024`, `"1024"`, `"1 vCPU"`, `"2 GB"`; None when it cannot be read."""
    if isinstance(value, bool) or value is None or isinstance(value, Opaque):
        return None
    if isinstance(value, int):
        return value
    match = UNITS_RE.match(str(value))
    if match is None:
        return None
    number = float(match[1])
    if match[2] and match[2].lower() == unit:
        number *= 1024
    elif match[2] or not number.is_integer():
        return None
    return int(number)


def _ranges(sizes: list[int]) -> str:
    if len(sizes) > 3 and len({b - a for a, b in itertools.pairwise(sizes)}) == 1:
        return f"{sizes[0]} to {sizes[-1]} in steps of {sizes[1] - sizes[0]}"
    return ", ".join(map(str, sizes))
