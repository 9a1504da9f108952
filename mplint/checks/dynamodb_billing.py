"""MPL239: a DynamoDB table whose provisioned throughput does not fit its billing mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.binding import Binding, Opaque
from mplint.stackql.props import Values, locate, per_env

R = owns(__name__, "MPL239")

UNITS = ("ReadCapacityUnits", "WriteCapacityUnits")


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    for binding in ctx.bindings(stack):
        if binding.cfn_type == "AWS::DynamoDB::Table" and binding.values:
            for _, vals in per_env(binding):
                yield from _judge(vals, binding)


def _judge(vals: Values, binding: Binding) -> Iterator[Finding]:
    instance = {name: pv.value for name, pv in vals.items()}
    mode = instance.get("BillingMode", "PROVISIONED")
    if isinstance(mode, Opaque) or mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
        return  # a template, or a value the schema check reports
    indexes = instance.get("GlobalSecondaryIndexes")
    places: list[tuple[list, Any]] = [([], instance)]
    if isinstance(indexes, list):
        places += [(["GlobalSecondaryIndexes", i], index) for i, index in enumerate(indexes) if isinstance(index, dict)]
    for path, owner in places:
        throughput = owner.get("ProvisionedThroughput")
        what = "the table" if not path else f"index `{owner.get('IndexName', path[-1])}`"
        message = _mismatch(mode, throughput, what)
        if message:
            at = path if throughput is None else [*path, "ProvisionedThroughput"]
            yield _at(at, vals, binding, message)


def _mismatch(mode: str, throughput: Any, what: str) -> str | None:
    if mode == "PAY_PER_REQUEST" and isinstance(throughput, dict) and _any_above(throughput, 0):
        return f"{what} has provisioned throughput, but `BillingMode` is PAY_PER_REQUEST: remove it (or set 0)"
    if mode == "PROVISIONED" and throughput is None:
        return f"{what} has no `ProvisionedThroughput`, which `BillingMode` PROVISIONED (the default) needs"
    if mode == "PROVISIONED" and isinstance(throughput, dict) and _any_below(throughput, 1):
        return f"{what} provisions less than 1 capacity unit; PROVISIONED needs at least 1 read and 1 write"
    return None


def _numbers(throughput: dict) -> list[int | float]:
    return [v for k in UNITS if isinstance(v := throughput.get(k), (int, float)) and not isinstance(v, bool)]


def _any_above(throughput: dict, limit: int) -> bool:
    return any(v > limit for v in _numbers(throughput))


def _any_below(throughput: dict, limit: int) -> bool:
    return any(v < limit for v in _numbers(throughput))


def _at(path: list, vals: Values, binding: Binding, message: str) -> Finding:
    span, related = locate(path, vals, binding, key=bool(path))
    return R.MPL239(message, span, related=related, key_path=tuple(path))
