"""The rule registry: every rule's metadata, read from one YAML file per rule (the built-in `rules/` folder and
user folders), and the ownership of ids — each check module declares the ids it emits with `owns()` and emits
only through the handle it gets, so an id is never written as a bare string in a check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from mplint.config import Written
from mplint.findings import Finding, Fix, Level, Related, Span
from mplint.suggest import did_you_mean

RULE_ID_RE = re.compile(r"^MPL\d{3}$")
ID_PREFIX_RE = re.compile(r"^MPL\d{0,3}$")
MODULE_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
USER_RULE_ID_RE = re.compile(r"^MPL9\d{2}$")  # MPL900-MPL999: user rules
REQUIRED = ("id", "name", "level", "summary", "help")
DECLARATIVE_KEYS = ("resources", "identities", "when", "assert", "message")  # see mplint/declarative/spec.py
KNOWN = (
    *REQUIRED, "tags", "check", "precision", "security_severity", "examples", "overlay", "parliament", "targets",
    "default",
    *DECLARATIVE_KEYS,
)  # fmt: skip
# `default: off` makes a rule opt-in: it runs only when `select` names it by its full id (prefixes and ALL do
# not), so a rule that fires on most well-made inputs stays out of the default run, and adding an opt-in rule
# never changes what an existing configuration reports.
DEFAULTS = {True: True, False: False, "on": True, "off": False}


class RuleFileError(Exception):
    """A rule file that cannot be used: names the file, line and problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
        self.path, self.line, self.problem = path, line, problem


class Rule(Struct, frozen=True):
    """One rule as its YAML file describes it: id, name, level, summary, help, tags and checks."""

    id: str
    name: str
    level: Level
    summary: str
    help: str
    tags: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # the modules that emit findings of this rule (`check:` in the YAML)
    precision: str = "high"
    security_severity: str | None = None
    path: Path | None = None
    default: bool = True  # False: opt-in (`default: off`), run only when selected by its full id
    extra: dict[str, Any] = field(default_factory=dict)  # not compared: see __eq__

    def _compared(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__struct_fields__ if name != "extra")

    def __eq__(self, other: object) -> bool:
        """The same rule whatever its extra data (examples, overlays, a declarative spec)."""
        return self._compared() == other._compared() if type(other) is Rule else NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RULE_INDEX = Path(__file__).parent / "data" / "rules-index.json"  # scripts/gen_rule_index.py


def builtin_rules_dir() -> Path:
    """`rules/` beside the package in a checkout, or `mplint/_rules` in an installed wheel."""
    packaged = Path(__file__).parent / "_rules"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


def load_rule_file(path: Path, user: bool = False) -> Rule:
    data, node = _parse_rule_file(path, user)
    return rule_from(path, data, node, user)


def _parse_rule_file(path: Path, user: bool) -> tuple[Any, Any]:
    """The file's data, and its YAML node (for the lines of what is wrong in it)."""
    from mplint.source import LoadError, load_yaml, read_source

    try:
        source = read_source(path, str(path), any_bom=True)
        if user:  # a user's rule file is input too: the limits, tags and aliases of any YAML mplint reads
            load_yaml(source)
    except LoadError as exc:
        raise RuleFileError(path, exc.span.line, f"cannot read rule file: {exc.message}") from None
    try:
        loader = _Loader(source.text)
        try:  # one parse gives both the nodes (for line numbers) and the data
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(path, 1, f"cannot read rule file: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise RuleFileError(path, line, f"invalid YAML: {exc.problem}") from None
    return data, node


def rule_from(path: Path, data: Any, node: Any = None, user: bool = False) -> Rule:
    """The rule a rule file's data describes; ``node`` (its YAML node) gives the lines of what is wrong."""
    if not isinstance(data, dict):
        raise RuleFileError(path, 1, "a rule file must be a mapping")
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if isinstance(node, yaml.MappingNode) else {}
    for key in REQUIRED:
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise RuleFileError(path, lines.get(key, 1), f"`{key}` is required and must be a non-empty string")
    for key in data:
        if key not in KNOWN:
            raise RuleFileError(path, lines.get(key, 1), f"unknown key `{key}` (known: {', '.join(KNOWN)})")
    if not RULE_ID_RE.match(data["id"]):
        raise RuleFileError(path, lines.get("id", 1), f"rule id {data['id']!r} is not of the form MPL123")
    if user and not USER_RULE_ID_RE.match(data["id"]):
        raise RuleFileError(path, lines.get("id", 1), f"user rule id {data['id']} is not in MPL900-MPL999")
    try:
        level = Level(data["level"])
    except ValueError:
        raise RuleFileError(
            path, lines.get("level", 1), f"level must be error, warning or note, not {data['level']!r}"
        ) from None
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RuleFileError(path, lines.get("tags", 1), "`tags` must be a list of strings")
    default = data.get("default", True)
    if not isinstance(default, (bool, str)) or default not in DEFAULTS:
        raise RuleFileError(path, lines.get("default", 1), f"`default` must be on or off, not {default!r}")
    extra: dict[str, Any] = {k: data[k] for k in ("examples", "overlay", "parliament", "targets") if k in data}
    if any(key in data for key in DECLARATIVE_KEYS):
        extra["declarative"] = _declarative(path, data, node)
    sev = data.get("security_severity")
    return Rule(
        id=data["id"],
        name=data["name"],
        level=level,
        summary=data["summary"].strip(),
        help=data["help"].strip(),
        tags=tuple(tags),
        checks=_checks(path, data.get("check"), lines.get("check", 1)),
        precision=data.get("precision", "high"),
        security_severity=str(sev) if sev is not None else None,
        path=path,
        default=DEFAULTS[default],
        extra=extra,
    )


def _checks(path: Path, value: Any, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and MODULE_RE.match(n) for n in names):
        raise RuleFileError(path, line, "`check` must name a module (mplint.checks.schema) or a list of modules")
    return tuple(names)


def _declarative(path: Path, data: dict[str, Any], node: Any) -> Any:
    from mplint.declarative.spec import SpecError, parse_spec

    try:
        return parse_spec(data, node, data["summary"])
    except SpecError as exc:
        raise RuleFileError(path, exc.line, exc.problem) from None


def rule_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def load_rules(dirs: tuple[Path, ...], user: bool = False) -> dict[str, Rule]:
    """Every rule in the given folders, by id; a duplicate id is an error."""
    return _by_id((path, load_rule_file(path, user)) for folder in dirs for path in rule_files(folder))


def _by_id(rules: Iterable[tuple[Path, Rule]]) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for path, rule in rules:
        if rule.id in out:
            raise RuleFileError(path, 1, f"rule id {rule.id} is already defined in {out[rule.id].path}")
        out[rule.id] = rule
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def builtin_rules() -> dict[str, Rule]:
    """The built-in rules: from the index of them when it is of these very files (a fifth of the time of
    parsing 140 YAML files, on every run), else from the files."""
    folder = builtin_rules_dir()
    paths = rule_files(folder)
    index = _read_index(paths)
    if index is None:
        return load_rules((folder,))
    return _by_id((path, rule_from(path, data)) for path, data in zip(paths, index, strict=True))


def rule_index(paths: list[Path]) -> dict[str, Any]:
    """What `mplint/data/rules-index.json` holds: each rule file's data, and the digest of the files."""
    return {"digest": _files_digest(paths), "rules": [[p.name, _parse_rule_file(p, False)[0]] for p in paths]}


def _files_digest(paths: list[Path]) -> str:
    import hashlib

    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def _read_index(paths: list[Path]) -> list[Any] | None:
    """The rule files' data from the index, when it is of exactly these files; else None."""
    import json

    try:
        index = json.loads(RULE_INDEX.read_bytes())
        names = [name for name, _ in index["rules"]]
        if names != [p.name for p in paths] or index["digest"] != _files_digest(paths):
            return None
        datas = [data for _, data in index["rules"]]
        if any(key in data for data in datas for key in DECLARATIVE_KEYS):  # their checks need the YAML nodes
            return None
        return datas
    except (OSError, ValueError, TypeError, KeyError):
        return None


def load_all_rules(user_dirs: tuple[Path, ...] = ()) -> dict[str, Rule]:
    """The built-in rules and the rules of the user rule folders (ids MPL900-MPL999), by id."""
    builtin = builtin_rules()
    seen = {builtin_rules_dir().resolve()}
    folders = []
    for folder in user_dirs:
        if not folder.is_dir():
            raise RuleFileError(folder, 0, "no such rules folder")
        if folder.resolve() not in seen:
            seen.add(folder.resolve())
            folders.append(folder)
    if not folders:
        return builtin
    return dict(sorted({**builtin, **load_rules(tuple(folders), user=True)}.items()))


class RegistryError(Exception):
    """A check module that claims an id the rule files do not give it: a defect, found at import."""


class Owner:
    """The handle through which one check module emits its findings: `R.MPL201(message, span, ...)`,
    or `R.emit(rule_id, ...)` when the id comes from a table. Emitting an id the module does not own raises."""

    __slots__ = ("ids", "module")

    def __init__(self, module: str, ids: frozenset[str]) -> None:
        self.module = module
        self.ids = ids

    def emit(
        self,
        rule_id: str,
        message: str,
        span: Span,
        level: Level | None = None,
        related: tuple[Related, ...] = (),
        key_path: tuple[str | int, ...] = (),
        properties: dict[str, object] | None = None,
        fixes: tuple[Fix, ...] = (),
    ) -> Finding:
        if rule_id not in self.ids:
            raise RegistryError(f"{self.module} emitted {rule_id}, which it does not own")
        return Finding(rule_id, message, span, level, related, key_path, properties or {}, fixes)

    def __getattr__(self, rule_id: str) -> Callable[..., Finding]:
        if rule_id not in self.ids:
            raise AttributeError(f"{self.module} does not own {rule_id}")
        return partial(self.emit, rule_id)


OWNERS: dict[str, Owner] = {}


def owns(module: str, *ids: str) -> Owner:
    """Declare the ids ``module`` emits. Each must have a built-in rule file whose `check:` names the module."""
    rules = builtin_rules()
    for rule_id in ids:
        rule = rules.get(rule_id)
        if rule is None:
            raise RegistryError(f"{module} owns {rule_id}, which has no rules/{rule_id}.yaml")
        if module not in rule.checks:
            raise RegistryError(f"{module} owns {rule_id}, but rules/{rule_id}.yaml does not name it under `check:`")
    owner = OWNERS[module] = Owner(module, frozenset(ids))
    return owner


def parliament_types() -> dict[str, str]:
    """parliament's finding type -> the rule it is reported under (`parliament:` in the rule files)."""
    return {kind: rule.id for rule in builtin_rules().values() for kind in rule.extra.get("parliament", ())}


LOOKALIKE_DIGITS = str.maketrans("OILSB", "01158")


class UnknownId(Exception):
    """A rule id or prefix that names no rule; the message says what was meant, when that is clear."""

    def __init__(self, message: str, written: Written | None = None) -> None:
        super().__init__(message)
        self.written = written


def expand_ids(written: str, known: Iterable[str]) -> list[str]:
    """The ids that ``written`` names: an id (any case), a prefix (`MPL2`, `mpl20`) or `ALL`.
    Raises UnknownId with a "did you mean" when it names none."""
    text = written.strip().upper()
    ids = sorted(known)
    if text == "ALL":
        return ids
    found = [i for i in ids if i.startswith(text)] if ID_PREFIX_RE.match(text) else []
    if found:
        return found
    digits = text.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if text[:3] != "MPL" and digits and any(i.startswith("MPL" + digits) for i in ids):
        hint = f" (did you mean `MPL{digits}`?)"  # MLP2, MPl201 typed as PML201
    elif len(text) == 6 and (lookalike := "MPL" + text[3:].translate(LOOKALIKE_DIGITS)) in ids:
        hint = f" (did you mean `{lookalike}`?)"  # MPL2O7: a letter O for a zero
    else:
        hint = did_you_mean(text, ids) if len(text) == 6 else ""
    raise UnknownId(f"unknown rule id or prefix `{written.strip()}`{hint}: `mplint rules` lists them")


class Selection(Struct, frozen=True):
    """The rules a run reports and the level of each, from `select`, `ignore` and `levels`."""

    enabled: frozenset[str]
    levels: dict[str, Level] = field(default_factory=dict)  # rule id -> configured level

    @classmethod
    def every(cls, rules: Iterable[str]) -> Selection:
        return cls(frozenset(rules))


def select(
    rules: dict[str, Rule],
    chosen: tuple[Written, ...] = (),
    ignored: tuple[Written, ...] = (),
    levels: dict[Written, Level] | None = None,
) -> Selection:
    """Resolve ids and prefixes as written against the rules; an unknown one raises UnknownId (with where).
    Without `select`, the rules that are on by default; an opt-in rule only when `select` names its full id."""
    enabled = _chosen(chosen, rules) if chosen else {i for i, rule in rules.items() if rule.default}
    enabled -= set(_expand_all(ignored, rules))
    resolved: dict[str, Level] = {}
    for written, level in sorted((levels or {}).items(), key=lambda item: len(item[0].text)):
        for rule_id in _expand_all((written,), rules):  # the longest prefix wins: applied last
            resolved[rule_id] = level
    return Selection(frozenset(enabled), resolved)


def _chosen(chosen: tuple[Written, ...], rules: dict[str, Rule]) -> set[str]:
    out: set[str] = set()
    for item in chosen:
        ids = _expand_all((item,), rules)
        named = item.text.strip().upper()
        picked = [i for i in ids if rules[i].default or i == named]
        if not picked:  # a prefix of opt-in rules only would select nothing: green by mistake
            message = f"`{item.text.strip()}` names only opt-in rules ({', '.join(ids)}): select them by full id"
            raise UnknownId(message, item)
        out.update(picked)
    return out


def _expand_all(written: tuple[Written, ...], rules: dict[str, Rule]) -> list[str]:
    out: list[str] = []
    for item in written:
        try:
            out.extend(expand_ids(item.text, rules))
        except UnknownId as exc:
            raise UnknownId(str(exc), item) from None
    return out
