"""MPL231-MPL233: RDS and ElastiCache engines and engine versions that do not exist, or are deprecated."""

from __future__ import annotations

from collections.abc import Iterator

from mplint.catalog import values
from mplint.context import Context
from mplint.findings import Finding
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.binding import Binding
from mplint.stackql.props import Values, known_text, locate, per_env
from mplint.suggest import did_you_mean

R = owns(__name__, "MPL231", "MPL232", "MPL233")

# type -> (data family, rule for a wrong engine or version, service name)
FAMILIES = {
    "AWS::RDS::DBInstance": ("rds-instance", "MPL231", "RDS"),
    "AWS::RDS::DBCluster": ("rds-cluster", "MPL231", "RDS"),
    "AWS::ElastiCache::CacheCluster": ("elasticache", "MPL233", "ElastiCache"),
    "AWS::ElastiCache::ReplicationGroup": ("elasticache", "MPL233", "ElastiCache"),
}


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    for binding in ctx.bindings(stack):
        if binding.cfn_type in FAMILIES and binding.values:
            for _, vals in per_env(binding):
                yield from _judge(vals, binding, *FAMILIES[binding.cfn_type])


def _judge(vals: Values, binding: Binding, family: str, rule: str, service: str) -> Iterator[Finding]:
    engine_pv = vals.get("Engine")
    engine = known_text(engine_pv.value) if engine_pv else None
    if engine is None:
        return
    engine = engine.lower()  # RDS and ElastiCache take engine names in any case
    engines = values.engines(family)
    if engine not in engines:
        hint = did_you_mean(engine, engines)
        message = f"`Engine` is {engine!r}, not an engine of {service} for this type{hint}"
        yield _at(rule, message, "Engine", vals, binding)
        return
    version_pv = vals.get("EngineVersion")
    version = known_text(version_pv.value) if version_pv else None
    versions = values.engine_versions(family, engine)
    if version is None or versions is None:
        return
    if not _exists(version, versions):
        yield _at(
            rule,
            f"`EngineVersion` is {version!r}, which is not a version of {service} engine `{engine}`"
            f"{did_you_mean(version, versions)}",
            "EngineVersion", vals, binding,
        )  # fmt: skip
    elif version in values.deprecated_engine_versions(family, engine):
        yield _at(
            "MPL232",
            f"`EngineVersion` {version!r} of `{engine}` is deprecated: {service} no longer creates databases "
            "with it; choose a supported version",
            "EngineVersion", vals, binding,
        )  # fmt: skip


def _exists(version: str, versions: list[str]) -> bool:
    """A listed version, or a major version with listed versions below it (`16`, `8.0`, `6.x`)."""
    prefix = version.removesuffix(".x")
    return version in versions or any(v.startswith(prefix + ".") for v in versions)


def _at(rule: str, message: str, name: str, vals: Values, binding: Binding) -> Finding:
    span, related = locate([name], vals, binding)
    return R.emit(rule, message, span, related=related, key_path=(name,))
