"""MPL234, MPL235: a Lambda function on a deprecated runtime, or on one that can no longer be deployed.

Dates are AWS's published runtime lifecycle (mplint/data/values.zip), compared with today's date, or
with the configuration's `as-of` date (for output that does not change from one day to the next).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from mplint.catalog import values
from mplint.catalog.schemas import schema_at
from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.props import known_text, locate, per_env

R = owns(__name__, "MPL234", "MPL235")

TYPES = ("AWS::Lambda::Function",)


def today() -> datetime.date:
    return datetime.date.today()


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    now = (ctx.config.as_of or today()).isoformat()
    for binding in ctx.bindings(stack):
        if binding.cfn_type not in TYPES:
            continue
        validator = ctx.validator(binding.cfn_type)
        listed = schema_at(validator.schema, ("Runtime",)) if validator else None
        allowed = (listed or {}).get("enum")
        for _, vals in per_env(binding):
            pv = vals.get("Runtime")
            runtime = known_text(pv.value) if pv else None
            facts = values.lambda_runtime(runtime) if runtime else None
            if facts is None or not facts["deprecated"] or facts["deprecated"] > now:
                continue
            if allowed is not None and runtime not in allowed:
                continue  # not a runtime the schema takes: MPL203 says so
            span, related = locate(["Runtime"], vals, binding)
            yield _finding(runtime or "", facts, now, span, related)


def _finding(runtime: str, facts: dict, now: str, span, related) -> Finding:
    create, update, successor = facts["create-block"], facts["update-block"], facts["successor"]
    dates = [f"was deprecated on {facts['deprecated']}"]
    if create:
        dates.append(f"creating functions {'was' if create <= now else 'will be'} blocked from {create}")
    if update:
        dates.append(f"updating them {'was' if update <= now else 'will be'} blocked from {update}")
    move = f"; move to `{successor}`" if successor else ""
    text = f"`Runtime` {runtime!r} {', '.join(dates)}{move}"
    if create and create <= now:
        return R.MPL235(text, span, related=related, key_path=("Runtime",))
    return R.MPL234(text, span, related=related, key_path=("Runtime",))
