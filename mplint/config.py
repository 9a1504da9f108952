"""Configuration: `.mplint.yaml`, or `[tool.mplint]` in `pyproject.toml`, merged with command-line options."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mplint.findings import Level

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAMES = (".mplint.yaml", ".mplint.yml")
KEYS = (
    "select", "ignore", "levels", "resources", "fail-level", "account", "envs", "exclude", "engine",
    "policies", "boundary", "scps", "commands", "identities", "resource-identities", "parliament",
    "rules-dirs", "suppressions",
)  # fmt: skip
COMMANDS = ("build", "test", "teardown")


class ConfigError(Exception):
    pass


@dataclass(slots=True)
class ResourceMapping:
    """How one manifest resource reaches a schema when its query file does not tell."""

    type: str | None = None  # StackQL name (aws.sagemaker.model_packages) or CloudFormation type
    props: dict[str, str] = field(default_factory=dict)  # prop name -> CloudFormation property


@dataclass(slots=True)
class IdentityConfig:
    """The policies of one deploying identity: identity policies, an optional boundary, SCPs."""

    policies: tuple[Path, ...] = ()
    boundary: Path | None = None
    scps: tuple[Path, ...] = ()


@dataclass(slots=True)
class ParliamentConfig:
    """How parliament runs on the policies: community auditors are slow, so they are opt-in."""

    community_auditors: bool = False
    timeout: float = 10.0  # seconds per policy
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # parliament config, by finding type


@dataclass(slots=True)
class Config:
    path: Path | None = None
    select: tuple[str, ...] = ()  # rule ids or prefixes (MPL2); empty: all
    ignore: tuple[str, ...] = ()
    levels: dict[str, Level] = field(default_factory=dict)
    resources: dict[str, ResourceMapping] = field(default_factory=dict)  # by manifest resource name
    fail_level: Level = Level.WARNING
    account: str | None = None
    envs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    engine: int | None = None
    identity: IdentityConfig = field(default_factory=IdentityConfig)  # the default deploying identity
    identities: dict[str, IdentityConfig] = field(default_factory=dict)  # other identities, by name
    resource_identities: dict[str, str] = field(default_factory=dict)  # manifest resource name -> identity
    commands: tuple[str, ...] = COMMANDS
    parliament: ParliamentConfig = field(default_factory=ParliamentConfig)
    rules_dirs: tuple[Path, ...] = ()  # folders of user rules, relative to the config file
    suppressions: list[Any] | str | None = None  # entries, or the path of a suppressions file (mplint.suppress)

    def enabled(self, rule_id: str) -> bool:
        if self.select and not any(rule_id.startswith(s) for s in self.select):
            return False
        return not any(rule_id.startswith(s) for s in self.ignore)


def find_config(start: Path) -> Path | None:
    """The nearest `.mplint.yaml`, or `pyproject.toml` with a `[tool.mplint]` table, from ``start`` upward."""
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.mplint" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
        if path.name == "pyproject.toml":
            data = tomllib.loads(text).get("tool", {}).get("mplint", {})
        else:
            data = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: configuration must be a mapping")
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    where = f"{path}: " if path else ""
    base = path.parent if path else Path(".")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}unknown configuration key(s): {', '.join(unknown)} (known: {', '.join(KEYS)})")
    try:
        levels = {str(k): Level(str(v)) for k, v in (data.get("levels") or {}).items()}
        fail_level = Level(str(data.get("fail-level", "warning")))
    except ValueError as exc:
        raise ConfigError(f"{where}{exc}: levels are error, warning or note") from None
    return Config(
        path=path,
        select=_strings(data.get("select"), "select", where),
        ignore=_strings(data.get("ignore"), "ignore", where),
        levels=levels,
        resources={str(k): _mapping(v, str(k), where) for k, v in (data.get("resources") or {}).items()},
        fail_level=fail_level,
        account=str(data["account"]) if data.get("account") is not None else None,
        envs=_strings(data.get("envs"), "envs", where),
        exclude=_strings(data.get("exclude"), "exclude", where),
        engine=_engine(data.get("engine"), where),
        identity=_identity(data, base, where),
        identities={
            str(k): _identity(v, base, f"{where}identities.{k}: ") for k, v in _dict(data, "identities", where).items()
        },
        resource_identities={str(k): str(v) for k, v in _dict(data, "resource-identities", where).items()},
        commands=_commands(data.get("commands"), where),
        parliament=_parliament(data.get("parliament"), where),
        rules_dirs=tuple(base / p for p in _strings(data.get("rules-dirs"), "rules-dirs", where)),
        suppressions=_suppressions(data.get("suppressions"), where),
    )


def _suppressions(value: Any, where: str) -> list[Any] | str | None:
    if value is None or isinstance(value, (list, str)):
        return value
    raise ConfigError(f"{where}`suppressions` must be a list of entries or the path of a suppressions file")


def _dict(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}`{key}` must be a mapping")
    return value


def _identity(data: Any, base: Path, where: str) -> IdentityConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}an identity is a mapping with `policies`, `boundary` and `scps`")
    boundary = data.get("boundary")
    return IdentityConfig(
        policies=tuple(base / p for p in _strings(data.get("policies"), "policies", where)),
        boundary=base / str(boundary) if boundary else None,
        scps=tuple(base / p for p in _strings(data.get("scps"), "scps", where)),
    )


def _parliament(value: Any, where: str) -> ParliamentConfig:
    if value is None:
        return ParliamentConfig()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}`parliament` must be a mapping")
    unknown = sorted(set(value) - {"community-auditors", "timeout", "sensitive-access"})
    if unknown:
        raise ConfigError(f"{where}unknown `parliament` key(s): {', '.join(unknown)}")
    timeout = value.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{where}`parliament.timeout` must be a number of seconds above 0")
    sensitive = value.get("sensitive-access") or []
    if not isinstance(sensitive, list):
        raise ConfigError(f"{where}`parliament.sensitive-access` must be a list of {{action: [ARN patterns]}}")
    overrides = {"SENSITIVE_ACCESS": {"resources": sensitive}} if sensitive else {}
    return ParliamentConfig(bool(value.get("community-auditors", False)), float(timeout), overrides)


def _commands(value: Any, where: str) -> tuple[str, ...]:
    commands = _strings(value, "commands", where) or COMMANDS
    unknown = [c for c in commands if c not in COMMANDS]
    if unknown:
        raise ConfigError(f"{where}unknown command(s) {', '.join(unknown)}: commands are {', '.join(COMMANDS)}")
    return commands


def _engine(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if str(value) not in ("1", "2"):
        raise ConfigError(f"{where}`engine` must be 1 or 2 (the stackql-deploy major version)")
    return int(value)


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}`{key}` must be a list of strings")


def _mapping(value: Any, name: str, where: str) -> ResourceMapping:
    if isinstance(value, str):
        return ResourceMapping(type=value)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}resources.{name} must be a type name or a mapping with `type` and `props`")
    props = value.get("props") or {}
    if not isinstance(props, dict):
        raise ConfigError(f"{where}resources.{name}.props must map prop names to property names")
    return ResourceMapping(type=value.get("type"), props={str(k): str(v) for k, v in props.items()})
