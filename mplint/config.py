"""Configuration: `.mplint.yaml`, or `[tool.mplint]` in `pyproject.toml`, merged with command-line options.

A configuration is read as a tree with positions, so every problem is reported as `FILE:LINE:COL: problem`
(in `pyproject.toml`, at the line of the key). Rule ids written in it keep their position too: they are
checked against the registry once the rules are known (`mplint.app`).
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from mplint.files import read_bytes
from mplint.findings import Level, Span
from mplint.limits import DEFAULT, Limits
from mplint.source import LoadError, Mapping, Node, Scalar, Sequence, load_yaml, read_source
from mplint.suggest import did_you_mean

CONFIG_NAMES = (".mplint.yaml", ".mplint.yml")
KEYS = (
    "select", "ignore", "levels", "resources", "fail-level", "account", "envs", "exclude", "engine",
    "policies", "boundary", "scps", "commands", "identities", "resource-identities", "parliament",
    "rules-dirs", "suppressions", "as-of", "limits", "principal", "principal-tags", "context",
)  # fmt: skip
COMMANDS = ("build", "test", "teardown")
LEVELS = ("error", "warning", "note")
ACCOUNT_RE = re.compile(r"^\d{12}$")


class ConfigError(Exception):
    pass


class Written(Struct, frozen=True):
    """A rule id or prefix as a person wrote it, and where (None: on the command line)."""

    text: str
    span: Span | None = None


class ResourceMapping(Struct):
    """How one manifest resource reaches a schema when its query file does not tell."""

    type: str | None = None  # StackQL name (aws.sagemaker.model_packages) or CloudFormation type
    props: dict[str, str] = field(default_factory=dict)  # prop name -> CloudFormation property


class IdentityConfig(Struct):
    """The policies of one deploying identity: identity policies, an optional boundary, SCPs."""

    policies: tuple[Path, ...] = ()
    boundary: Path | None = None
    scps: tuple[Path, ...] = ()
    principal: str | None = None  # the ARN the identity deploys as (aws:PrincipalArn)
    tags: dict[str, str] | None = None  # its tags, all of them (aws:PrincipalTag/*); None: not known
    context: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # request keys stated outright


class ParliamentConfig(Struct):
    """How parliament runs on the policies: community auditors are slow, so they are opt-in."""

    community_auditors: bool = False
    timeout: float = 10.0  # seconds per policy
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # parliament config, by finding type


class Config(Struct):
    """One configuration (a file's, else the defaults): rules, levels, resources, identities, limits."""

    path: Path | None = None
    select: tuple[Written, ...] = ()  # rule ids or prefixes (MPL2); empty: all
    ignore: tuple[Written, ...] = ()
    levels: dict[Written, Level] = field(default_factory=dict)  # by rule id or prefix
    resources: dict[str, ResourceMapping] = field(default_factory=dict)  # by manifest resource name
    fail_level: str | None = None  # error, warning, note or never (as on the command line); None: warning
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
    suppressions_node: Node | None = None  # the `suppressions:` entries as written, with positions
    as_of: datetime.date | None = None  # the date deprecation dates are judged against; None: today
    limits: Limits = DEFAULT  # mplint.limits, raised by `limits:`

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None


def find_config(start: Path, known: dict[Path, Path | None] | None = None) -> Path | None:
    """The nearest `.mplint.yaml`, or `pyproject.toml` with a `[tool.mplint]` table, from ``start`` upward,
    stopping at the repository root (a folder with `.git`). ``known`` holds the answers for folders already
    searched (the search from a folder below one of them stops there) and gets this search's."""
    known = {} if known is None else known
    walked: list[Path] = []
    found: Path | None = None
    for folder in (start, *start.parents):
        if folder in known:
            found = known[folder]
            break
        walked.append(folder)
        found, stop = _config_in(folder)
        if stop:
            break
    known.update(dict.fromkeys(walked, found))
    return found


def config_below(folder: Path, parents: Path | None) -> Path | None:
    """What `find_config` answers for a folder whose parent's answer is ``parents``, without the upward search."""
    found, stop = _config_in(folder)
    return found if found is not None or stop else parents


def _config_in(folder: Path) -> tuple[Path | None, bool]:
    """The configuration in ``folder``, and whether the search stops there. (Asked for every folder a search
    enters: plain strings, which cost a fraction of `Path` objects.)"""
    where = os.fspath(folder)
    for name in CONFIG_NAMES:
        if os.path.isfile(os.path.join(where, name)):
            return folder / name, True
    if os.path.isfile(os.path.join(where, "pyproject.toml")) and b"[tool.mplint" in _bytes(folder / "pyproject.toml"):
        return folder / "pyproject.toml", True
    return None, os.path.exists(os.path.join(where, ".git"))


def _bytes(path: Path) -> bytes:
    try:
        return read_bytes(path, DEFAULT.file_bytes, Span.point(path.as_posix()))
    except LoadError:
        return b""  # reported if it is read as the configuration


def load_config(path: Path | None, name: str | None = None) -> Config:
    """The configuration in ``path`` (None: the defaults); ``name`` is the path as problems show it."""
    if path is None:
        return Config()
    name = name or path.as_posix()
    try:
        source = read_source(path, name, any_bom=True)
    except LoadError as exc:  # where in the file, when the file is there but its content is not text
        where = _where(exc.span) if path.is_file() and exc.span.line else name
        raise ConfigError(f"{where}: cannot read configuration: {exc.message}") from None
    if path.name == "pyproject.toml":
        root = _toml_tree(source.text, name)
    else:
        try:
            root = load_yaml(source).root if source.text.strip() else None
        except LoadError as exc:
            raise ConfigError(f"{_where(exc.span)}: {exc.message}") from None
    if root is None:
        return Config(path=path)
    return parse_config(root, path)


def _toml_tree(text: str, name: str) -> Node | None:
    if sys.version_info >= (3, 11):  # imported here: most runs read no pyproject.toml
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text).get("tool", {}).get("mplint")
    except tomllib.TOMLDecodeError as exc:
        line, col, problem = _toml_position(exc, text)
        raise ConfigError(f"{name}:{line}:{col}: invalid TOML: {problem}") from None
    if data is None:
        return None
    lines = text.splitlines()
    return _as_node(data, name, lines, Span.point(name, _table_line(lines)))


_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _toml_position(exc: Exception, text: str) -> tuple[int, int, str]:
    """Line, column and problem of a TOML error: tomllib gives them as attributes only from Python 3.14,
    before that inside the message (`Invalid value (at line 2, column 5)`)."""
    message = str(exc)
    match = _TOML_AT.search(message)
    problem = message[: match.start()] if match else message
    if getattr(exc, "lineno", None):
        return exc.lineno, exc.colno, getattr(exc, "msg", problem)  # type: ignore[attr-defined]
    if match and match.group(1):
        return int(match.group(1)), int(match.group(2)), problem
    lines = text.split("\n")  # at the end of the document
    return len(lines), len(lines[-1]) + 1, problem


def _table_line(lines: list[str]) -> int:
    return next((n for n, line in enumerate(lines, 1) if line.strip().startswith("[tool.mplint")), 1)


def _as_node(value: Any, name: str, lines: list[str], span: Span) -> Node:
    """TOML data as a tree; each key is placed at the first line below ``span`` that assigns it."""
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            at = _key_span(str(key), name, lines, span.line)
            items.append((Scalar(at, str(key), None, True), _as_node(item, name, lines, at)))
        return Mapping(span, items)
    if isinstance(value, list):
        return Sequence(span, [_as_node(item, name, lines, span) for item in value])
    return Scalar(span, value)


def _key_span(key: str, name: str, lines: list[str], start: int) -> Span:
    pattern = re.compile(rf"^\s*(?:\[.*\.)?[\"']?{re.escape(key)}[\"']?\s*[=\]]")
    for number in range(start, len(lines) + 1):
        if pattern.match(lines[number - 1]):
            col = lines[number - 1].find(key) + 1
            return Span(name, number, col, number, col + len(key))
    return Span.point(name, start)


def _where(span: Span) -> str:
    return f"{span.path}:{span.line}:{span.col}"


def _error(node: Node, problem: str) -> ConfigError:
    return ConfigError(f"{_where(node.span)}: {problem}")


def parse_config(root: Node, path: Path | None = None) -> Config:
    if not isinstance(root, Mapping):
        raise _error(root, "a configuration must be a mapping of keys to settings")
    base = path.parent if path else Path(".")
    seen: dict[str, Node] = {}
    first: dict[str, Node] = {}
    for key, value in root.items:
        name = str(key.value)
        if name not in KEYS:
            raise _error(key, f"unknown configuration key `{name}`{did_you_mean(name, KEYS)}")
        if name in first:
            at = first[name].span
            raise _error(key, f"`{name}` is set twice (first at line {at.line}, column {at.col})")
        seen[name], first[name] = value, key
    return Config(
        path=path,
        select=_ids(seen.get("select"), "select"),
        ignore=_ids(seen.get("ignore"), "ignore"),
        levels=_levels(seen.get("levels")),
        resources={str(k.value): _mapping(v, str(k.value)) for k, v in _items(seen.get("resources"), "resources")},
        fail_level=_fail_level(seen["fail-level"]) if "fail-level" in seen else None,
        account=_account(seen.get("account")),
        envs=_strings(seen.get("envs"), "envs"),
        exclude=_strings(seen.get("exclude"), "exclude"),
        engine=_engine(seen.get("engine")),
        identity=_identity(root, base, "principal-tags"),
        identities={str(k.value): _identity(v, base) for k, v in _items(seen.get("identities"), "identities")},
        resource_identities={
            str(k.value): _string(v, f"resource-identities.{k.value}")
            for k, v in _items(seen.get("resource-identities"), "resource-identities")
        },
        commands=_commands(seen.get("commands")),
        parliament=_parliament(seen.get("parliament")),
        rules_dirs=tuple(base / p for p in _strings(seen.get("rules-dirs"), "rules-dirs")),
        suppressions=_suppressions(seen.get("suppressions")),
        suppressions_node=seen.get("suppressions"),
        as_of=_date(seen.get("as-of"), "as-of"),
        limits=_limits(seen.get("limits")),
    )


def _limits(node: Node | None) -> Limits:
    settings: dict[str, Any] = {}
    for key, value in _items(node, "limits"):
        settings[str(key.value)] = value.value if isinstance(value, Scalar) else value.to_python()
        try:
            DEFAULT.raised({str(key.value): settings[str(key.value)]})
        except ValueError as exc:
            raise _error(key, str(exc)) from None
    return DEFAULT.raised(settings)


def _items(node: Node | None, key: str) -> list[tuple[Scalar, Node]]:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return []
    if not isinstance(node, Mapping):
        raise _error(node, f"`{key}` must be a mapping")
    return node.items


def _string(node: Node, key: str) -> str:
    if not isinstance(node, Scalar) or isinstance(node.value, (dict, list)) or node.value is None:
        raise _error(node, f"`{key}` must be a string")
    return str(node.value)


def _strings(node: Node | None, key: str) -> tuple[str, ...]:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return ()
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return tuple(v.strip() for v in node.value.split(",") if v.strip())
    if isinstance(node, Sequence):
        for item in node.items:
            if not (isinstance(item, Scalar) and isinstance(item.value, str)):
                raise _error(item, f"`{key}` must be a list of strings")
        return tuple(item.value for item in node.items)  # type: ignore[attr-defined]
    raise _error(node, f"`{key}` must be a list of strings")


def _ids(node: Node | None, key: str) -> tuple[Written, ...]:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return ()
    items = node.items if isinstance(node, Sequence) else [node]
    out: list[Written] = []
    for item in items:
        if not (isinstance(item, Scalar) and isinstance(item.value, str)):
            raise _error(item, f"`{key}` must be a list of rule ids or prefixes (MPL201, MPL2)")
        out.extend(Written(part.strip(), item.span) for part in item.value.split(",") if part.strip())
    return tuple(out)


def _level(node: Node, key: str) -> Level:
    value = node.value if isinstance(node, Scalar) else None
    if not isinstance(value, str) or value not in LEVELS:
        raise _error(node, f"`{key}` must be one of {', '.join(LEVELS)}, not {_show(node)}")
    return Level(value)


def _fail_level(node: Node) -> str:
    value = node.value if isinstance(node, Scalar) else None
    if value == "never":
        return value
    if not isinstance(value, str) or value not in LEVELS:
        raise _error(node, f"`fail-level` must be one of {', '.join(LEVELS)} or never, not {_show(node)}")
    return value


def _levels(node: Node | None) -> dict[Written, Level]:
    out: dict[Written, Level] = {}
    for key, value in _items(node, "levels"):
        out[Written(str(key.value), key.span)] = _level(value, f"levels.{key.value}")
    return out


def _show(node: Node) -> str:
    if isinstance(node, Scalar):
        return f"`{node.value}`"
    return "a mapping" if isinstance(node, Mapping) else "a list"


def _account(node: Node | None) -> str | None:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return None
    value = str(node.value) if isinstance(node, Scalar) and not isinstance(node.value, bool) else ""
    if not ACCOUNT_RE.match(value):
        raise _error(node, f"`account` must be a 12-digit AWS account id, not {_show(node)} (quote it in YAML)")
    return value


def check_account(value: str) -> str:
    """An `--account` given on the command line: 12 digits, or a usage error."""
    if not ACCOUNT_RE.match(value):
        raise ConfigError(f"--account must be a 12-digit AWS account id, not {value!r}")
    return value


def _suppressions(node: Node | None) -> list[Any] | str | None:
    if node is None:
        return None
    if isinstance(node, Sequence) or (isinstance(node, Scalar) and isinstance(node.value, str)):
        return node.to_python()
    raise _error(node, "`suppressions` must be a list of entries or the path of a suppressions file")


def _identity(node: Node, base: Path, tags_key: str = "tags") -> IdentityConfig:
    if not isinstance(node, Mapping):
        raise _error(
            node, f"an identity is a mapping with `policies`, `boundary`, `scps`, `principal`, `{tags_key}`, `context`"
        )
    boundary = node.get("boundary")
    return IdentityConfig(
        policies=tuple(base / p for p in _strings(node.get("policies"), "policies")),
        boundary=base / _string(boundary, "boundary") if boundary is not None else None,
        scps=tuple(base / p for p in _strings(node.get("scps"), "scps")),
        principal=_principal(node.get("principal")),
        tags=_tags(node.get(tags_key), tags_key),
        context=_context(node.get("context")),
    )


PRINCIPAL_RE = re.compile(r"^arn:[a-z-]+:(iam|sts)::\d{12}:(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)$")


def _principal(node: Node | None) -> str | None:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return None
    value = node.value if isinstance(node, Scalar) else None
    if not isinstance(value, str) or not PRINCIPAL_RE.match(value):
        raise _error(node, "`principal` must be the ARN of an IAM user or role (arn:aws:iam::123456789012:role/deploy)")
    return value


def _scalar_text(node: Node, key: str) -> str:
    value = node.value if isinstance(node, Scalar) else None
    if value is None or isinstance(value, (dict, list)):
        raise _error(node, f"`{key}` must be a value")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _tags(node: Node | None, key: str) -> dict[str, str] | None:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return None
    if not isinstance(node, Mapping):
        raise _error(node, f"`{key}` must map each tag key of the principal to its value")
    return {str(k.value): _scalar_text(v, f"{key}.{k.value}") for k, v in node.items}


def _context(node: Node | None) -> dict[str, tuple[str, ...] | None]:
    """Request context keys stated outright: a value, a list of values, or null for a key the request lacks."""
    out: dict[str, tuple[str, ...] | None] = {}
    for key, value in _items(node, "context"):
        name = str(key.value)
        if ":" not in name:
            raise _error(key, f"`context`: `{name}` is not a condition key (service:Name, e.g. aws:SourceIp)")
        if isinstance(value, Scalar) and value.value is None:
            out[name] = None
        elif isinstance(value, Sequence):
            out[name] = tuple(_scalar_text(item, f"context.{name}") for item in value.items)
        else:
            out[name] = (_scalar_text(value, f"context.{name}"),)
    return out


PARLIAMENT_KEYS = ("community-auditors", "timeout", "sensitive-access")


def _parliament(node: Node | None) -> ParliamentConfig:
    items = dict((str(k.value), (k, v)) for k, v in _items(node, "parliament"))
    for name, (key, _) in items.items():
        if name not in PARLIAMENT_KEYS:
            raise _error(key, f"unknown `parliament` key `{name}`{did_you_mean(name, PARLIAMENT_KEYS)}")
    config = ParliamentConfig()
    if "community-auditors" in items:
        value = items["community-auditors"][1]
        if not (isinstance(value, Scalar) and isinstance(value.value, bool)):
            raise _error(value, "`parliament.community-auditors` must be true or false")
        config.community_auditors = value.value
    if "timeout" in items:
        value = items["timeout"][1]
        number = value.value if isinstance(value, Scalar) else None
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number <= 0:
            raise _error(value, "`parliament.timeout` must be a number of seconds above 0")
        config.timeout = float(number)
    if "sensitive-access" in items:
        value = items["sensitive-access"][1]
        if not isinstance(value, Sequence):
            raise _error(value, "`parliament.sensitive-access` must be a list of {action: [ARN patterns]}")
        config.overrides = {"SENSITIVE_ACCESS": {"resources": value.to_python()}} if value.items else {}
    return config


def _date(node: Node | None, key: str) -> datetime.date | None:
    if node is None:
        return None
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _error(node, f"`{key}` must be a date (2026-12-01), not {_show(node)}") from None


def _commands(node: Node | None) -> tuple[str, ...]:
    commands = _strings(node, "commands") or COMMANDS
    unknown = [c for c in commands if c not in COMMANDS]
    if unknown and node is not None:
        raise _error(node, f"unknown command(s) {', '.join(unknown)}: commands are {', '.join(COMMANDS)}")
    return commands


def _engine(node: Node | None) -> int | None:
    if node is None:
        return None
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, bool) or str(value) not in ("1", "2"):
        raise _error(node, "`engine` must be 1 or 2 (the stackql-deploy major version)")
    return int(str(value))


def _mapping(node: Node, name: str) -> ResourceMapping:
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return ResourceMapping(type=node.value)
    if not isinstance(node, Mapping):
        raise _error(node, f"resources.{name} must be a type name or a mapping with `type` and `props`")
    kind = node.get("type")
    props = _items(node.get("props"), f"resources.{name}.props")
    return ResourceMapping(
        type=_string(kind, f"resources.{name}.type") if kind is not None else None,
        props={str(k.value): _string(v, f"resources.{name}.props.{k.value}") for k, v in props},
    )
