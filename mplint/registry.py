"""Rule metadata, read from one YAML file per rule (the built-in `rules/` folder and user folders)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mplint.findings import Level

RULE_ID_RE = re.compile(r"^MPL\d{3}$")
USER_RULE_ID_RE = re.compile(r"^MPL9\d{2}$")  # MPL900-MPL999: user rules
REQUIRED = ("id", "name", "level", "summary", "help")
DECLARATIVE_KEYS = ("resources", "identities", "when", "assert", "message")  # see mplint/declarative/spec.py
KNOWN = (*REQUIRED, "tags", "check", "precision", "security_severity", "examples", "overlay", *DECLARATIVE_KEYS)


class RuleFileError(Exception):
    """A rule file that cannot be used: names the file, line and problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    level: Level
    summary: str
    help: str
    tags: tuple[str, ...] = ()
    check: str | None = None  # "module:function" yielding findings for this rule (and maybe others)
    precision: str = "high"
    security_severity: str | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def builtin_rules_dir() -> Path:
    """`rules/` beside the package in a checkout, or `mplint/_rules` in an installed wheel."""
    packaged = Path(__file__).parent / "_rules"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


def load_rule_file(path: Path, user: bool = False) -> Rule:
    try:
        text = path.read_text(encoding="utf-8")
        loader = _Loader(text)
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
    extra: dict[str, Any] = {k: data[k] for k in ("examples", "overlay") if k in data}
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
        check=data.get("check"),
        precision=data.get("precision", "high"),
        security_severity=str(sev) if sev is not None else None,
        path=path,
        extra=extra,
    )


def _declarative(path: Path, data: dict[str, Any], node: Any) -> Any:
    from mplint.declarative.spec import SpecError, parse_spec

    try:
        return parse_spec(data, node, data["summary"])
    except SpecError as exc:
        raise RuleFileError(path, exc.line, exc.problem) from None


def load_rules(dirs: tuple[Path, ...], user: bool = False) -> dict[str, Rule]:
    """Every rule in the given folders, by id; a duplicate id is an error."""
    rules: dict[str, Rule] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            rule = load_rule_file(path, user)
            if rule.id in rules:
                raise RuleFileError(path, 1, f"rule id {rule.id} is already defined in {rules[rule.id].path}")
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


@lru_cache(maxsize=1)
def builtin_rules() -> dict[str, Rule]:
    return load_rules((builtin_rules_dir(),))


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
