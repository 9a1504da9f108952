"""Which files a run lints: folders searched for stack manifests, each file's kind from its name and a glance
at its start, a query file's stack, and paths as findings show them. Nothing here parses a file."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mplint.files import BOMS, RealPaths, printable, read_head
from mplint.findings import Span
from mplint.source import Buffers, LoadProblem

if TYPE_CHECKING:
    from mplint.config import Config

MANIFEST_NAMES = ("stackql_manifest.yml", "stackql_manifest.yaml")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache"}


Exclude = Callable[[Path], bool]


def discover(
    paths: list[Path], excluded: Exclude | None = None, buffers: Buffers | None = None
) -> tuple[list[Path], list[LoadProblem]]:
    """Files named by the paths: a file as given, a folder searched for stack manifests. ``excluded``
    tells which folders the search skips (each folder's own configuration decides); a file only in
    ``buffers`` (an editor's unsaved buffer) counts as there."""
    buffers = Buffers() if buffers is None else buffers
    found: dict[str, Path] = {}  # by real path: a file reached twice is linted once
    problems: list[LoadProblem] = []
    real = RealPaths(lambda path: Path(os.path.realpath(path)))
    for path in paths:
        if path.is_dir():
            found.update(_search(path, excluded or _never, problems))
        elif buffers.get(path) is not None or os.path.lexists(path):  # a file, or what is reported when read
            found[str(real(path))] = path
        else:
            where = printable(path.as_posix())
            problems.append(LoadProblem("MPL001", f"no such file or folder: {where}", Span.point(where)))
    return sorted(found.values(), key=lambda p: p.as_posix()), problems


def _never(path: Path) -> bool:
    return False


def _search(folder: Path, excluded: Exclude, problems: list[LoadProblem]) -> list[tuple[str, Path]]:
    """The manifests under the folder, each with its real path. The walk does not enter linked folders, so
    below the folder only a linked file needs its links followed."""
    out: list[tuple[str, Path]] = []
    real_top = os.path.realpath(folder)

    def unreadable(error: OSError) -> None:
        where = printable(Path(error.filename or folder).as_posix())
        problems.append(LoadProblem("MPL001", f"cannot read folder: {error.strerror or error}", Span.point(where)))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not excluded(Path(root, d)))
        for name in sorted(files):
            if name in MANIFEST_NAMES:
                path = os.path.join(root, name)
                real = os.path.join(real_top, os.path.relpath(path, folder))
                out.append((os.path.realpath(path) if os.path.islink(path) else os.path.normpath(real), Path(path)))
    return out


def excluded_by(config: Config) -> Exclude:
    return lambda path: any(path.match(pattern) for pattern in config.exclude)


def tree_roots(files: list[Path], config: Config, base: Path) -> set[str]:
    """The real paths a symlink may point into: the base folder, the configuration's, and the folders of the
    files linted and of the policies named."""
    named = [*files, *config.identity.policies, *config.identity.scps]
    named += [config.identity.boundary] if config.identity.boundary else []
    for identity in config.identities.values():
        named += [*identity.policies, *identity.scps, *([identity.boundary] if identity.boundary else [])]
    roots = {os.path.realpath(base), *([os.path.realpath(config.folder)] if config.folder else [])}
    for folder in {path if path.is_dir() else path.parent for path in named}:
        roots.add(os.path.realpath(folder))
    return roots


POLICY_MARKS = re.compile(r"[\"']?(Statement|PolicyVersion)[\"']?\s*:")
MANIFEST_MARKS = re.compile(r"^(resources|globals|providers)\s*:", re.MULTILINE)


def classify(path: Path, buffers: Buffers | None = None) -> str:
    """manifest | query | policy | other, from the name and, for other files, a glance at the content."""
    if path.name in MANIFEST_NAMES:
        return "manifest"
    if path.suffix.lower() == ".iql":
        return "query"
    head = buffers.get(path) if buffers is not None else None
    head = head[:65536] if head is not None else _head_text(path)
    if head is None:
        return "policy"  # reported as unreadable (or not a regular file) when read
    if not head.strip():
        return "policy"  # reported as empty when read
    if POLICY_MARKS.search(head):
        return "policy"
    if path.suffix.lower() in (".yml", ".yaml") and MANIFEST_MARKS.search(head):
        return "manifest"
    return "other"


def _head_text(path: Path, size: int = 65536) -> str | None:
    """The start of a file as text, decoded by its byte-order mark if it has one."""
    data = read_head(path, size)
    if data is None:
        return None
    codec = next((codec for bom, codec, _ in BOMS if data.startswith(bom)), "utf-8")
    return data.decode(codec, errors="replace")


def manifest_of(query: Path, buffers: Buffers | None = None) -> Path | None:
    """The manifest of the nearest stack folder above a file."""
    buffers = Buffers() if buffers is None else buffers
    for folder in Path(os.path.realpath(query)).parents:
        for name in MANIFEST_NAMES:
            if buffers.is_file(folder / name):
                return folder / name
    return None


def display_path(path: Path, base: Path) -> str:
    """The path as shown: relative to the base when under it, forward slashes, undecodable bytes escaped."""
    return printable(_relative(path, base))


def _relative(path: Path, base: Path) -> str:
    absolute = os.path.abspath(path)
    rel = _under(absolute, os.path.abspath(base))
    if rel is None:  # the real paths only when the path as given is not under the base
        rel = _under(os.path.realpath(path), os.path.realpath(base))
    return Path(absolute if rel is None else rel).as_posix()


def _under(path: str, folder: str) -> str | None:
    try:
        rel = os.path.relpath(path, folder)
    except ValueError:  # another drive
        return None
    return None if rel.startswith("..") else rel
