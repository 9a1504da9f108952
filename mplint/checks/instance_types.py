"""MPL220-MPL230: instance types, node types and DB instance classes that the service does not offer in the region.

The facts are mplint/data/values.zip (catalog/values.py); where each rule looks is its rule file's
`targets:`. The region is the stack's literal one; without it a value is checked against every region. A
place whose schema has an enum of its own is left to the schema check (MPL203), and a region the data does
not cover is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from msgspec import Struct

from mplint.catalog import values
from mplint.catalog.schemas import schema_at
from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import builtin_rules, owns
from mplint.stackql.binding import Binding
from mplint.stackql.props import Values, known_text, locate, per_env, region_of, value_at, values_at
from mplint.suggest import did_you_mean

R = owns(__name__, *(f"MPL{n}" for n in range(220, 231)))


class Target(Struct, frozen=True):
    """One place a rule checks: the value family, the service named in messages, the property path."""

    rule: str
    family: str  # key in the data's instance_types
    service: str  # for messages
    pointer: tuple[str, ...]
    any_region: bool = False  # a list of what a thing supports, not where it runs


def _rule_targets() -> dict[str, list[Target]]:
    """Resource type -> the places checked there, from the `targets:` of the rules this module owns."""
    table: dict[str, list[Target]] = {}
    rules = builtin_rules()
    for rule in sorted(R.ids):
        for group in rules[rule].extra.get("targets", ()):
            for cfn_type, pointers in group["places"].items():
                table.setdefault(cfn_type, []).extend(
                    Target(rule, group["family"], group["service"], tuple(p.split("/")), group.get("any-region", False))
                    for p in pointers
                )
    return table


TARGETS = _rule_targets()
RDS = {"AWS::RDS::DBInstance": "DBInstanceClass", "AWS::RDS::DBCluster": "DBClusterInstanceClass"}


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    manifest = stack.manifest
    if manifest is None:
        return
    for binding in ctx.bindings(stack):
        if binding.values and (binding.cfn_type in TARGETS or binding.cfn_type in RDS):
            region = _Lazy(lambda b=binding: region_of(b, manifest))
            yield from _binding(ctx, binding, region)


class _Lazy:
    """The region, worked out only when a value needs it (it costs a scope walk)."""

    def __init__(self, compute) -> None:
        self.compute, self.done, self.value = compute, False, None

    def get(self) -> str | None:
        if not self.done:
            self.value, self.done = self.compute(), True
        return self.value


_CHECKED: dict[str, list[Target]] = {}


def _targets_of(ctx: Context, cfn_type: str) -> list[Target]:
    """The type's targets whose schema has no enum of its own there (once per type)."""
    if cfn_type not in _CHECKED:
        validator = ctx.validator(cfn_type)
        schema = validator.schema if validator is not None else {}
        targets = TARGETS.get(cfn_type, ())
        _CHECKED[cfn_type] = [t for t in targets if "enum" not in (schema_at(schema, t.pointer) or {})]
    return _CHECKED[cfn_type]


def _binding(ctx: Context, binding: Binding, region: _Lazy) -> Iterator[Finding]:
    assert binding.cfn_type is not None
    targets = _targets_of(ctx, binding.cfn_type)
    for _, vals in per_env(binding):
        for target in targets:
            if target.pointer[0] not in vals:
                continue
            where = None if target.any_region else region.get()
            allowed = values.instance_types(target.family, where)
            if allowed is not None:
                yield from _judge(vals, binding, target.pointer, allowed, target.rule, target.service, where)
        if binding.cfn_type in RDS and RDS[binding.cfn_type] in vals:
            yield from _rds(vals, binding, region.get())


def _judge(
    vals: Values, binding: Binding, pointer: tuple[str, ...], allowed: frozenset[str], rule: str, service: str,
    region: str | None,
) -> Iterator[Finding]:  # fmt: skip
    for path, value in values_at(vals, pointer):
        text = known_text(value)
        if text is None or text in allowed:
            continue
        span, related = locate(list(path), vals, binding)
        where = f"in {region}" if region else "in any region"
        yield R.emit(
            rule,
            f"`{'.'.join(map(str, path))}` is {text!r}, which {service} does not offer {where}"
            f"{did_you_mean(text, allowed)}",
            span, related=related, key_path=path,
        )  # fmt: skip


def _rds(vals: Values, binding: Binding, region: str | None) -> Iterator[Finding]:
    """An RDS class depends on the engine (and, for instances, the license model) as well as the region."""
    field = RDS[binding.cfn_type or ""]
    instance = {name: pv.value for name, pv in vals.items()}
    engine = known_text(instance.get("Engine"))
    license_model = known_text(value_at(instance, ("LicenseModel",)))
    if engine is None or (license_model is None and "LicenseModel" in instance):
        return
    engine = engine.lower()
    if field == "DBInstanceClass":
        allowed = values.rds_instance_classes(engine, license_model, region)
    else:
        allowed = values.rds_cluster_instance_classes(engine, region)
    if allowed is not None:
        service = f"RDS for {engine}" + (f" ({license_model})" if license_model else "")
        yield from _judge(vals, binding, (field,), allowed, "MPL221", service, region)
