"""Findings: what a rule reports, where, and how serious it is."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from msgspec import Struct, field


class Level(str, Enum):
    """Severity of a finding, ordered from most to least serious."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Level) -> bool:
        return self.rank >= other.rank


_RANK = {Level.ERROR: 3, Level.WARNING: 2, Level.NOTE: 1}


class Span(NamedTuple):
    """A region of a file: 1-based lines, 1-based columns in UTF-16 code units, end exclusive.

    A named tuple: one is made for every YAML node, by `tuple.__new__` with no `__init__` to run.
    """

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, path: str, line: int = 1, col: int = 1) -> Span:
        return cls(path, line, col, line, col + 1)


class Related(Struct, frozen=True):
    """A secondary place that explains a finding ("defined here", "denied by")."""

    span: Span
    message: str


class Edit(Struct, frozen=True):
    """Replace the text of ``span`` (end exclusive) with ``text``; an empty span inserts."""

    span: Span
    text: str


class Fix(Struct, frozen=True):
    """A change that removes a finding. Safe fixes keep the meaning the author intended beyond doubt
    (`mplint lint --fix`); unsafe ones may change behaviour and are applied only with --unsafe-fixes."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


class Finding(Struct, frozen=True):
    """One problem found by one rule at one place."""

    rule_id: str
    message: str
    span: Span
    level: Level | None = None  # None: the rule's configured level
    related: tuple[Related, ...] = ()
    key_path: tuple[str | int, ...] = ()  # logical location (YAML/JSON keys), for fingerprints
    properties: dict[str, object] = field(default_factory=dict)  # not compared: see __eq__
    fixes: tuple[Fix, ...] = ()  # not compared: see __eq__

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.col, self.rule_id, self.message)

    def _compared(self) -> tuple:
        return (self.rule_id, self.message, self.span, self.level, self.related, self.key_path)

    def __eq__(self, other: object) -> bool:
        """The same finding whatever its properties and fixes: they describe it, they do not make it another."""
        return self._compared() == other._compared() if type(other) is Finding else NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())


class Notification(Struct, frozen=True):
    """A tool-level event that is not a finding (a check that crashed, a pattern not checked)."""

    message: str
    level: Level = Level.WARNING
    span: Span | None = None
    rule_id: str | None = None
    crash: bool = False  # a check or reader that failed: the run is not clean
    transient: bool = False  # may differ next run (a time limit was reached): its result is never cached
