"""The results cache: each unit's findings (a stack, a policy file), reused while nothing they depend on changed.

An entry is found by the part's key and the unit's file. The part's key covers what every unit of a part
depends on: mplint's code, rules and bundled data, the libraries that read the inputs, the configuration
and the command line's settings, the user rules, the suppressions, the deploying identities' policies and
the date (suppressions expire). The entry holds the digest of every file the unit read, or looked for and
did not find (a query file not written yet), and is used only when each is unchanged.

An entry is written whole (a temporary file, then a rename), so a concurrent run reads an entry or none.
Each is signed with a key kept in the user's cache folder: an entry this user's mplint did not write (a
damaged file, one from another version, one checked into the repository under review) is a miss, never a
result. When no key can be kept there, nothing is cached.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mplint import __version__
from mplint.findings import Edit, Finding, Fix, Level, Notification, Related, Span
from mplint.share import StackActions

if TYPE_CHECKING:
    from mplint.app import LintOptions
    from mplint.batch import UnitResult
    from mplint.config import Config
    from mplint.source import SourceFile
    from mplint.suppress import Suppressions

FOLDER = ".mplint_cache"
FORMAT = "1"
LIBRARIES = ("yaml", "jsonschema", "jinja2", "regex", "parliament")  # what reads the inputs and judges them
KEY_FILE = "cache-key"


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _hash(*parts: object) -> str:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """mplint's version, code, rules and bundled data, and the libraries it reads inputs with."""
    from mplint.registry import builtin_rules_dir

    return stamp((Path(__file__).parent, builtin_rules_dir()), LIBRARIES)


def stamp(folders: Iterable[Path], libraries: Iterable[str] = ()) -> str:
    """A digest of the files under the folders and of the libraries' modules, by name, size and time."""
    rows = [FORMAT, __version__, sys.version]
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if not name.endswith((".pyc", ".pyo")):
                    path = os.path.join(root, name)
                    info = os.stat(path)
                    rows.append(f"{os.path.relpath(path, folder)} {info.st_size} {info.st_mtime_ns}")
    for name in libraries:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            info = os.stat(spec.origin)
            rows.append(f"{name} {spec.origin} {info.st_size} {info.st_mtime_ns}")
    return _hash(*rows)


def _user_cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    return Path.home() / ".cache"


@lru_cache(maxsize=1)
def signing_key() -> bytes | None:
    """This user's key for signing entries, made on first use; None when it cannot be kept."""
    path = _user_cache_home() / "mplint" / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
    except FileExistsError:
        pass  # another run made it first: use theirs
    except OSError:
        return None
    try:
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) >= 32 else None


def file_digest(path: Path, display: str) -> str:
    """The digest of a file's text as mplint reads it, or what kept it from being read."""
    from mplint.source import LoadError, read_source

    try:
        return digest(read_source(path, display).text)
    except LoadError as exc:
        return f"unreadable {exc.rule_id} {exc.message}"


def part_key(
    options: LintOptions,
    config: Config,
    base: Path,
    suppressions: Suppressions,
    today: datetime.date,
) -> str:
    """What every unit of the part depends on besides its own files."""
    from mplint.batch import resolved_path

    rows: list[object] = [code_stamp(), resolved_path(base), today.isoformat()]
    rows += [
        repr(value)
        for name, value in sorted(_fields(options).items())
        if name not in ("paths", "fail_level", "jobs", "cache", "cache_dir", "base")
    ]
    if config.path is not None:
        rows += [resolved_path(config.path), file_digest(config.path, str(config.path))]
    for folder in config.rules_dirs:
        rows.append(resolved_path(folder))
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else ():
            rows += [path.name, file_digest(path, str(path))]
    rows.append(repr(suppressions.entries))
    for path in identity_files(config):
        rows += [resolved_path(path), file_digest(path, str(path))]
    return _hash(*rows)


def _fields(options: LintOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in options.__struct_fields__}


def identity_files(config: Config) -> list[Path]:
    """The policies, boundaries and SCPs of every deploying identity the configuration names."""
    out: list[Path] = []
    for identity in [config.identity, *(config.identities[name] for name in sorted(config.identities))]:
        out += [*identity.policies, *([identity.boundary] if identity.boundary else []), *identity.scps]
    return out


class Store:
    """The entries of one part under one cache folder."""

    def __init__(self, folder: Path, key: str, secret: bytes) -> None:
        self.folder = folder
        self.root = folder / code_stamp()[:16]
        self.key = key
        self.secret = secret

    @classmethod
    def open(cls, folder: Path, key: str) -> Store | None:
        secret = signing_key()
        return cls(folder, key, secret) if secret is not None else None

    def _path(self, unit: str) -> Path:
        return self.root / f"{_hash(self.key, unit)}.json"

    def get(self, unit: str, extra: str = "") -> UnitResult | None:
        """The unit's result, when its entry is sound and every file it depends on is as it was."""
        body = self.read(self._path(unit).name)
        if body is None:
            return None
        try:
            entry = json.loads(body)
            if entry.get("extra") != extra:
                return None
            texts = _unchanged(entry["deps"])
            return None if texts is None else _result(entry, texts)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    def put(self, unit: str, result: UnitResult, extra: str = "") -> None:
        """Keep the unit's result; a folder that cannot be written is no error (the cache is a help only)."""
        if result.deps is None or not cacheable(result.notifications):
            return
        body = json.dumps(_entry(result, extra), separators=(",", ":")).encode(
            "ascii"
        )  # \u escapes: lone surrogates too
        self.write(self._path(unit).name, body)

    def read(self, name: str) -> bytes | None:
        """The body of the entry ``name``, when this user's mplint wrote it."""
        try:
            raw = (self.root / name).read_bytes()
        except OSError:
            return None
        mac, _, body = raw.partition(b"\n")
        return body if hmac.compare_digest(mac, self._sign(body)) else None

    def write(self, name: str, body: bytes) -> None:
        """Keep ``body`` signed as the entry ``name``, whole or not at all; a folder that cannot be written is
        no error."""
        path = self.root / name
        temp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        try:
            self._prepare()
            temp.write_bytes(self._sign(body) + b"\n" + body)
            os.replace(temp, path)
        except OSError:
            temp.unlink(missing_ok=True)

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest().encode()

    def _prepare(self) -> None:
        if self.root.is_dir():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.folder / ".gitignore"
        if not marker.exists():
            marker.write_text("# Made by mplint: its results cache, never to be committed.\n*\n", encoding="utf-8")
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n# mplint's results cache (https://bford.info/cachedir/)\n",
                encoding="utf-8",
            )
        for other in self.folder.iterdir():  # what earlier versions of mplint left
            if other.is_dir() and other != self.root:
                shutil.rmtree(other, ignore_errors=True)


def cacheable(notes: Iterable[Notification]) -> bool:
    """A result is kept unless a check crashed or a time limit was reached: those may differ next time. What
    parliament says of a policy it cannot read is the same every time (its version is in the key)."""
    return all(not note.crash and not note.transient for note in notes)


def _unchanged(deps: list) -> dict[str, SourceFile] | None:
    """The files as they are now, when every one is as the entry knew it (None: one changed)."""
    from mplint.source import LoadError, read_source

    texts: dict[str, SourceFile] = {}
    for path, display, known in deps:
        if not os.path.isfile(path):
            if known is not None:
                return None
            continue
        try:
            source = read_source(Path(path), str(display))
        except LoadError:
            return None
        if digest(source.text) != known:
            return None
        texts[source.display] = source
    return texts


# ---------------------------------------------------------------------------
# Entries as JSON: findings with their spans, related places and fixes


def _entry(result: UnitResult, extra: str) -> dict:
    actions = result.actions
    return {
        "extra": extra,
        "deps": [[d.path, d.display, d.digest] for d in result.deps or ()],
        "findings": [_finding(f) for f in result.findings],
        "suppressed": [[_finding(f), reason] for f, reason in result.suppressed],
        "notes": [_note(n) for n in result.notifications],
        "sources": {display: str(source.path) for display, source in result.sources.items()},
        "linted": result.linted,
        "reported": result.reported,
        "actions": None
        if actions is None
        else [None if actions.actions is None else sorted(actions.actions), actions.error],
    }


def _finding(f: Finding) -> list:
    return [
        f.rule_id,
        f.message,
        list(f.span),
        f.level.value if f.level else None,
        [[list(r.span), r.message] for r in f.related],
        list(f.key_path),
        _properties(f.properties),
        [[fix.title, [[list(e.span), e.text] for e in fix.edits], fix.safe] for fix in f.fixes],
    ]


def _properties(properties: dict[str, object]) -> dict[str, object]:
    try:
        json.dumps(properties)
        return properties
    except (TypeError, ValueError):
        return {str(k): str(v) for k, v in properties.items()}


def _note(n: Notification) -> list:
    return [n.message, n.level.value, list(n.span) if n.span else None, n.rule_id, n.crash]


def _span(raw: list) -> Span:
    path, line, col, end_line, end_col = raw
    return Span(str(path), int(line), int(col), int(end_line), int(end_col))


def _from_finding(raw: list) -> Finding:
    rule_id, message, span, level, related, key_path, properties, fixes = raw
    return Finding(
        str(rule_id),
        str(message),
        _span(span),
        Level(level) if level else None,
        tuple(Related(_span(s), str(m)) for s, m in related),
        tuple(key_path),
        dict(properties),
        tuple(
            Fix(str(title), tuple(Edit(_span(s), str(text)) for s, text in edits), bool(safe))
            for title, edits, safe in fixes
        ),
    )


def _result(entry: dict, texts: dict[str, SourceFile]) -> UnitResult | None:
    from mplint.batch import Dependency, UnitResult
    from mplint.source import LoadError, read_source

    deps = [Dependency(str(p), str(d), k) for p, d, k in entry["deps"]]
    sources = {}
    for display, path in entry["sources"].items():
        if display in texts:
            sources[display] = texts[display]
            continue
        try:  # not one of the unit's own files (the carrier's identity policies): as it is now
            sources[display] = read_source(Path(path), display)
        except LoadError:
            return None
    actions = entry["actions"]
    if actions is not None:
        actions = StackActions(None if actions[0] is None else frozenset(actions[0]), actions[1])
    return UnitResult(
        findings=[_from_finding(f) for f in entry["findings"]],
        suppressed=[(_from_finding(f), str(reason)) for f, reason in entry["suppressed"]],
        notifications=[
            Notification(str(m), Level(lv), _span(s) if s else None, r, bool(c)) for m, lv, s, r, c in entry["notes"]
        ],
        sources=sources,
        linted=int(entry["linted"]),
        reported=bool(entry["reported"]),
        actions=actions,
        deps=deps,
    )
