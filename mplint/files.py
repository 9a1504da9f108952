"""Reading input files safely: regular files only, symlinks only inside the linted tree and never in a loop,
a size limit checked before reading and while reading, and text decoded as the file's readers would.

Nothing here blocks: a FIFO, a device or a socket is refused from its `stat`, before it is opened.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from mplint.findings import Span

CHUNK = 1024 * 1024
# Never block on open (a FIFO swapped in after the stat), never become a terminal's controlling process.
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
# UTF-32 first: its little-endian mark starts with UTF-16's.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)


class LoadProblem(NamedTuple):
    """A file that could not be read, parsed or used, as data: the rule it falls under, what, and where."""

    rule_id: str
    message: str
    span: Span


class LoadError(Exception):
    """A file that cannot be read or parsed; carries the rule id and position."""

    def __init__(self, rule_id: str, message: str, span: Span) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message
        self.span = span

    @property
    def problem(self) -> LoadProblem:
        return LoadProblem(self.rule_id, self.message, self.span)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


class RealPaths:
    """Real paths of many files in few folders: each folder is resolved once, so a file costs one `lstat`
    instead of one per component of its path (a third of the planning time for the 1,643 managed policies).
    A file that is itself a link, or named `.` or `..`, goes the long way, so every answer is ``resolve``'s."""

    def __init__(self, resolve: Callable[[Path], Path]) -> None:
        self._resolve = resolve
        self._folders: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        if path.name in ("", ".", "..") or path.is_symlink():
            return self._resolve(path)
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = self._resolve(path.parent)
        return folder / path.name


def inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def check_path(path: Path, where: Span, roots: Iterable[str] | None = None) -> os.stat_result:
    """The `stat` of a regular file that may be read, else a LoadError saying why not.

    ``roots`` (real paths) are the linted tree: a path that symlinks out of them is refused. Without roots
    the links need not be followed one by one: `stat` follows them, and fails as `realpath` would.
    """
    if roots is None:
        try:
            info = os.stat(path)
        except OSError as exc:
            raise _unreachable(path, exc, where) from None
    else:
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as exc:
            raise _unreachable(path, exc, where) from None
        if real != os.path.abspath(path) and not inside(real, roots):
            raise LoadError("MPL009", f"a symlink to {real}, outside the linted tree: not read", where)
        try:
            info = os.stat(real)
        except OSError as exc:
            raise LoadError("MPL001", f"cannot read file: {exc.strerror or exc}", where) from None
    if not stat.S_ISREG(info.st_mode):
        raise LoadError("MPL009", f"{file_kind(info.st_mode)}, not a regular file: not read", where)
    return info


def _unreachable(path: Path, exc: OSError, where: Span) -> LoadError:
    """Why a path's links cannot be followed to a file."""
    if exc.errno == errno.ELOOP:
        return LoadError("MPL009", "a symlink loop: not read", where)
    if os.path.islink(path):
        return LoadError("MPL001", "a symlink to a file that does not exist", where)
    return LoadError("MPL001", f"cannot read file: {exc.strerror or exc}", where)


def read_bytes(path: Path, limit: int, where: Span, roots: Iterable[str] | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, read in bounded chunks."""
    info = check_path(path, where, roots)
    if info.st_size > limit:
        raise LoadError("MPL005", f"file is {info.st_size:,} bytes, over the {limit:,} byte limit: not read", where)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise LoadError("MPL001", f"cannot read file: {exc.strerror or exc}", where) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between the stat and the open
            raise LoadError("MPL009", f"{file_kind(mode)}, not a regular file: not read", where)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise LoadError("MPL005", f"file grew past the {limit:,} byte limit while read: not read", where)
    except OSError as exc:
        raise LoadError("MPL001", f"cannot read file: {exc.strerror or exc}", where) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_head(path: Path, size: int) -> bytes | None:
    """Up to ``size`` bytes of a regular file, for a glance at its content; None when it cannot be read."""
    try:
        check_path(path, Span.point(""))
        fd = os.open(path, _FLAGS)
        try:
            return os.read(fd, size)
        finally:
            os.close(fd)
    except (LoadError, OSError):
        return None


def decode(data: bytes, display: str, any_bom: bool) -> str:
    """Text as the file's readers decode it: UTF-8 (a UTF-8 mark is dropped); with ``any_bom``, also UTF-16
    and UTF-32 that start with their byte-order mark. CR LF and lone CR end lines, as in Python's text mode."""
    where = Span.point(display)
    for bom, codec, name in BOMS:
        if data.startswith(bom):
            if not any_bom:
                raise LoadError(
                    "MPL001",
                    f"file is {name} text (it starts with a byte-order mark): stackql-deploy reads UTF-8 and fails"
                    " on it; save it as UTF-8",
                    where,
                )
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise LoadError("MPL001", f"file is not valid {name} (at byte {exc.start + len(bom)})", where) from None
            break
    else:
        text = _utf8(data, display)
    return normalise(text, display)


def normalise(text: str, display: str) -> str:
    """Decoded text as it is linted: no UTF-8 mark, no NUL, CR LF and lone CR as line ends."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise LoadError("MPL001", "file holds NUL bytes: not a text file", Span.point(display))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _utf8(data: bytes, display: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            "MPL001", f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", Span.point(display, line, col)
        ) from None
    return text


def printable(text: str) -> str:
    """A path or text that can be written anywhere: bytes that were not UTF-8 in a file name (kept by Python as
    lone surrogates) and any other lone surrogate are shown as escapes such as `\\xff` and `\\ud800`."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
