"""Suppressions kept outside the linted files: `.mplint-suppressions.yaml`, or `suppressions:` in the config.

Each entry names a rule (or several), a path glob and optionally a manifest resource, with a required
reason and an optional expiry date. A suppressed finding is not dropped: it is reported as suppressed
(SARIF `suppressions`, text with --show-suppressed). An entry past its expiry date suppresses nothing
and is itself a finding (MPL007).
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from mplint.config import Config, ConfigError
from mplint.findings import Finding, Span
from mplint.source import LoadError, Mapping, Node, Scalar, Sequence, SourceFile, load_yaml, read_source

if TYPE_CHECKING:
    from mplint.project import Project

SUPPRESSIONS_FILE = ".mplint-suppressions.yaml"
ENTRY_KEYS = ("rule", "path", "resource", "reason", "expires")

Display = Callable[[Path], str]


_LITERAL, _ONE, _STAR, _ANY, _FOLDERS = range(5)


@lru_cache(maxsize=512)
def _glob_tokens(pattern: str) -> tuple[tuple[int, str], ...]:
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append((_FOLDERS, ""))  # any number of folders: empty, or anything ending in `/`
            i += 3
        elif pattern.startswith("**", i):
            out.append((_ANY, ""))
            i += 2
        else:
            ch = pattern[i]
            out.append((_STAR, "") if ch == "*" else (_ONE, "") if ch == "?" else (_LITERAL, ch))
            i += 1
    return tuple(out)


@lru_cache(maxsize=4096)
def glob_match(pattern: str, path: str) -> bool:
    """A path glob: `*` and `?` stay within a folder name, `**/` is any number of folders, `**` anything.

    Matched by running the pattern as a set of states over the path once (time linear in the path for a
    given pattern), never by a backtracking regular expression."""
    tokens = _glob_tokens(pattern.removeprefix("./"))
    end = len(tokens)
    states = _closure(tokens, {(0, False)})
    for ch in path.removeprefix("./"):
        following: set[tuple[int, bool]] = set()
        for at, _ in states:
            if at == end:
                continue
            kind, literal = tokens[at]
            if kind == _LITERAL:
                if ch == literal:
                    following.add((at + 1, False))
            elif kind in (_ONE, _STAR):
                if ch != "/":
                    following.add((at + 1, False) if kind == _ONE else (at, False))
            elif kind == _ANY:
                following.add((at, False))
            else:  # _FOLDERS: inside it, a `/` may end it
                following.add((at, True))
                if ch == "/":
                    following.add((at + 1, False))
        if not following:
            return False
        states = _closure(tokens, following)
    return (end, False) in states


def _closure(tokens: tuple[tuple[int, str], ...], states: set[tuple[int, bool]]) -> set[tuple[int, bool]]:
    """Add the states reached without reading: past a star, or past `**/` before it has read anything."""
    todo = list(states)
    while todo:
        at, inside = todo.pop()
        if at < len(tokens) and tokens[at][0] in (_STAR, _ANY, _FOLDERS) and not inside:
            state = (at + 1, False)
            if state not in states:
                states.add(state)
                todo.append(state)
    return states


class Suppression(Struct):
    """One suppression entry: the rules, path glob and resource it covers, its reason, expiry and place."""

    rules: tuple[str, ...]  # as written (ids or prefixes) until `Suppressions.expand` resolves them
    path: str  # glob, relative to `base`
    reason: str
    span: Span  # the entry
    base: Path  # the folder of the file that holds the entry
    resource: str | None = None  # manifest resource name (glob)
    expires: datetime.date | None = None
    expires_span: Span | None = None
    rules_span: Span | None = None

    def active(self, today: datetime.date) -> bool:
        return self.expires is None or today <= self.expires


class Suppressions(Struct):
    """The suppression entries kept outside the linted files, and how they apply to findings."""

    entries: list[Suppression] = field(default_factory=list)

    def expand(self, rules: Iterable[str]) -> None:
        """Resolve each entry's ids and prefixes against the run's rules; an unknown one is a ConfigError
        at its line."""
        from mplint.registry import UnknownId, expand_ids

        known = list(rules)
        for entry in self.entries:
            ids: list[str] = []
            for written in entry.rules:
                try:
                    ids += expand_ids(written, known)
                except UnknownId as exc:
                    span = entry.rules_span or entry.span
                    raise ConfigError(f"{span.path}:{span.line}:{span.col}: {exc}") from None
            entry.rules = tuple(dict.fromkeys(ids))

    def expired(self, today: datetime.date) -> list[Suppression]:
        """The entries past their date (MPL007, `mplint.checks.inputs`)."""
        return [e for e in self.entries if not e.active(today)]

    def matcher(self, project: Project, today: datetime.date) -> Callable[[Finding], str | None]:
        """finding -> the reason of the first active entry that covers it, else None."""
        active = [e for e in self.entries if e.active(today)]
        if not active:
            return lambda finding: None
        where = _Locator(project)
        return lambda finding: next((e.reason for e in active if where.covers(e, finding)), None)


class _Locator:
    """Finding paths relative to each entry's folder, and the manifest resources a finding is in."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._index: dict[str, list[tuple[str, Span | None]]] | None = None

    def covers(self, entry: Suppression, finding: Finding) -> bool:
        if finding.rule_id not in entry.rules:
            return False
        if not glob_match(entry.path, self.relative(finding.span.path, entry.base)):
            return False
        return entry.resource is None or any(fnmatchcase(n, entry.resource) for n in self.resources(finding.span))

    def relative(self, path: str, base: Path) -> str:
        absolute = Path(path) if os.path.isabs(path) else self.project.base / path
        try:
            rel = os.path.relpath(absolute.resolve(), base.resolve())
        except ValueError:  # another drive
            return path
        return path if rel.startswith("..") else Path(rel).as_posix()

    def resources(self, span: Span) -> list[str]:
        if self._index is None:
            self._index = _resource_index(self.project)
        return [name for name, where in self._index.get(span.path, []) if where is None or _inside(span, where)]


def _resource_index(project: Project) -> dict[str, list[tuple[str, Span | None]]]:
    """display path -> (resource name, its span in the manifest, or None for its whole query file)."""
    index: dict[str, list[tuple[str, Span | None]]] = {}
    for stack in project.stacks:
        if stack.manifest is None:
            continue
        for resource in stack.manifest.resources:
            if not resource.name:
                continue
            index.setdefault(stack.path, []).append((resource.name, resource.node.span))
            query = stack.query_paths.get(resource.index)
            if query is not None:
                index.setdefault(project.display(query), []).append((resource.name, None))
    return index


def _inside(span: Span, outer: Span) -> bool:
    start = (span.line, span.col)
    return (outer.line, outer.col) <= start < (outer.end_line, outer.end_col)


# ---------------------------------------------------------------------------
# Loading


def load_suppressions(config: Config, base: Path, display: Display) -> Suppressions:
    """The config's `suppressions:` (entries, or the path of a file of them) and `.mplint-suppressions.yaml`
    beside the config file, or, without a config file, the nearest one from ``base`` upward."""
    entries: list[Suppression] = []
    raw = config.suppressions
    folder = config.path.parent if config.path else base
    if isinstance(raw, str):
        entries += _from_file(folder / raw, display)
    else:
        if raw is not None:
            entries += _from_config(config, display)
        found = find_suppressions_file(config.path.parent if config.path else base, upward=config.path is None)
        if found is not None:
            entries += _from_file(found, display)
    return Suppressions(entries)


def find_suppressions_file(start: Path, upward: bool) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents) if upward else (start,):
        if (folder / SUPPRESSIONS_FILE).is_file():
            return folder / SUPPRESSIONS_FILE
        if (folder / ".git").exists():
            return None
    return None


def _from_file(path: Path, display: Display) -> list[Suppression]:
    root = _load(path, display)
    if isinstance(root, Mapping):
        unknown = [k.value for k, _ in root.items if k.value != "suppressions"]
        if unknown:
            raise _error(display(path), root.key(str(unknown[0])) or root, "a suppressions file is a list of entries")
        root = root.get("suppressions")
    return _entries(root, path.parent, display(path))


def _from_config(config: Config, display: Display) -> list[Suppression]:
    path = config.path
    name = display(path) if path else "configuration"
    node = config.suppressions_node or _as_node(config.suppressions, Span.point(name))
    return _entries(node, path.parent if path else Path("."), name)


def _load(path: Path, display: Display) -> Node | None:
    name = display(path)
    try:
        return load_yaml(read_source(path, name, any_bom=True)).root
    except LoadError as exc:
        raise ConfigError(f"{name}: cannot read suppressions: {exc.message}") from None


def _entries(node: Node | None, base: Path, name: str) -> list[Suppression]:
    if node is None:
        return []
    if not isinstance(node, Sequence):
        raise _error(name, node, "suppressions must be a list of entries (rule, path, reason, resource?, expires?)")
    return [_entry(item, base, name) for item in node.items]


def _entry(node: Node, base: Path, name: str) -> Suppression:
    if not isinstance(node, Mapping):
        raise _error(name, node, "a suppression is a mapping with rule, path and reason (resource, expires optional)")
    for key in (k.value for k, _ in node.items):
        if key not in ENTRY_KEYS:
            raise _error(name, node.key(str(key)) or node, f"unknown key `{key}` (known: {', '.join(ENTRY_KEYS)})")
    rules = _rules(node, name)
    rule_node = node.get("rule")
    path, reason = _text(node, "path", name, required=True), _text(node, "reason", name, required=True)
    expires, expires_span = _date(node, name)
    resource = _text(node, "resource", name)
    span = rule_node.span if rule_node is not None else None
    return Suppression(rules, str(path), str(reason), node.span, base, resource, expires, expires_span, span)


def _rules(node: Mapping, name: str) -> tuple[str, ...]:
    value = node.get("rule")
    items = [value] if isinstance(value, Scalar) else value.items if isinstance(value, Sequence) else []
    ids = [str(i.value).strip() for i in items if isinstance(i, Scalar) and isinstance(i.value, str)]
    if not ids or len(ids) != len(items) or not all(ids):
        raise _error(name, value or node, "`rule` is required: a rule id such as MPL201 (or a prefix), or a list")
    return tuple(ids)


def _text(node: Mapping, key: str, name: str, required: bool = False) -> str | None:
    value = node.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, Scalar) or not isinstance(value.value, str) or not value.value.strip():
        raise _error(name, value or node, f"`{key}` is required and must be a non-empty string")
    return value.value.strip()


def _date(node: Mapping, name: str) -> tuple[datetime.date | None, Span | None]:
    value = node.get("expires")
    if value is None:
        return None, None
    raw: Any = value.value if isinstance(value, Scalar) else None
    if isinstance(raw, datetime.datetime):
        return raw.date(), value.span
    if isinstance(raw, datetime.date):
        return raw, value.span
    try:
        return datetime.date.fromisoformat(str(raw)), value.span
    except ValueError:
        raise _error(name, value, "`expires` must be a date such as 2026-12-31") from None


def _error(name: str, node: Node, problem: str) -> ConfigError:
    return ConfigError(f"{name}:{node.span.line}:{node.span.col}: {problem}")


def _as_node(value: Any, span: Span) -> Node:
    """Plain data (from TOML) as a tree whose every node is at ``span``."""
    if isinstance(value, dict):
        return Mapping(span, [(Scalar(span, str(k), None, True), _as_node(v, span)) for k, v in value.items()])
    if isinstance(value, list):
        return Sequence(span, [_as_node(v, span) for v in value])
    return Scalar(span, value)


# ---------------------------------------------------------------------------
# Inline comments: `# mplint: disable=MPL201[,MPL202] reason` (`-- mplint: ...` in query files) for a line,
# `# mplint: disable-file=MPL201 reason` for the whole file

INLINE_RE = re.compile(
    r"(?:#|--)\s*mplint:\s*disable(?P<file>-file)?=(?P<ids>[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)(?P<reason>.*)$"
)


FILE_WIDE = 0  # the line of a `disable-file=` comment: every line of its file


class Inline(Struct, frozen=True):
    """One disable comment: the ids as written, the reason after them, and where the comment is."""

    ids: tuple[str, ...]
    reason: str
    span: Span
    line: int  # the line it applies to: its own, the next when the comment is alone on its line, 0: the file


def inline_comments(sources: dict[str, SourceFile]) -> list[Inline]:
    out: list[Inline] = []
    for path, source in sources.items():
        if "mplint:" not in source.text:
            continue
        for number, text in enumerate(source.lines, start=1):
            match = INLINE_RE.search(text)
            if match is None:
                continue
            ids = tuple(part.strip() for part in match.group("ids").split(",") if part.strip())
            col = match.start() + 1
            span = Span(path, number, col, number, len(text) + 1)
            alone = text.lstrip().startswith(("#", "--"))
            line = FILE_WIDE if match.group("file") else number + 1 if alone else number
            out.append(Inline(ids, match.group("reason").strip(), span, line))
    return out


def inline_index(comments: list[Inline], rules: Iterable[str]) -> dict[str, dict[int, dict[str, str]]]:
    """path -> line -> rule id (or ALL) -> the reason; ids and prefixes resolved, unknown ones left out
    (MPL008 reports them)."""
    from mplint.registry import UnknownId, expand_ids

    known = list(rules)
    out: dict[str, dict[int, dict[str, str]]] = {}
    for comment in comments:
        reason = f"inline comment: {comment.reason}" if comment.reason else "inline comment"
        at = out.setdefault(comment.span.path, {}).setdefault(comment.line, {})
        for written in comment.ids:
            if written.upper() == "ALL":
                at["ALL"] = reason
                continue
            try:
                at.update(dict.fromkeys(expand_ids(written, known), reason))
            except UnknownId:
                continue
    return out
