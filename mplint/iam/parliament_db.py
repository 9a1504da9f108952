"""parliament's database as `parliament_adapter` prepares it, kept in the results cache between runs.

Preparing it means parliament reading its 10 MB `iam_definition.json`, then adding the action catalog's
actions and dropping what parliament never reads: ~0.1 s and 12 MB of every run that analyses a policy,
where loading the prepared database takes ~0.03 s. The entry lives under the cache's versioned folder (named
by mplint's code and data, parliament's code and the Python version: marshal's format is the interpreter's
own) and is named by the database file's size and time. It is signed like every cache entry, so marshal
never reads bytes that this user's mplint did not write.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from mplint.cache import Store

EMPTY = b"[]"
_store: Store | None = None


def keep_in(store: Store | None) -> None:
    """Keep the prepared database in ``store`` (the run's results cache), and take it from there."""
    global _store
    _store = store


def kept_in() -> Store | None:
    return _store


class Prepared(NamedTuple):
    """The prepared database, and what preparing it added."""

    definition: list[dict[str, Any]]
    catalog_version: str
    services_added: int
    actions_added: int


def _name(definition_file: str) -> str | None:
    try:
        info = os.stat(definition_file)
    except OSError:
        return None
    return f"parliament-{info.st_size}-{info.st_mtime_ns}.marshal"


def load(store: Store, definition_file: str) -> Prepared | None:
    """The prepared database kept for this `iam_definition.json`, if any."""
    name = _name(definition_file)
    body = store.read(name) if name else None
    if body is None:
        return None
    try:
        value = marshal.loads(body)
        prepared = Prepared(*value)
    except (EOFError, ValueError, TypeError):
        return None
    return prepared if isinstance(prepared.definition, list) else None


def save(store: Store, definition_file: str, prepared: Prepared) -> None:
    name = _name(definition_file)
    if name:
        store.write(name, marshal.dumps(tuple(prepared)))


def empty_definition(store: Store) -> str | None:
    """A file holding an empty JSON list, for parliament to read instead of its database; None if none can
    be made. Its content is checked on every use: an attacker's database is never read in its place."""
    path = store.root / "parliament-empty.json"
    try:
        if path.read_bytes() == EMPTY:
            return str(path)
    except OSError:
        pass
    temp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(EMPTY)
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)
        return None
    return str(path)


def definition_file() -> str | None:
    """Where parliament's `iam_definition.json` is, found without importing parliament."""
    import importlib.util

    spec = importlib.util.find_spec("parliament")
    if spec is None or spec.origin is None:
        return None
    return str(Path(spec.origin).with_name("iam_definition.json"))
