"""The limits that keep a run bounded on any input: every reader and parser takes them from here.

Each limit is far above what a real stack, query file or policy needs; an input over one gets an MPL005
finding at the place the limit was hit, and the rest of the run goes on. The configuration's `limits:`
mapping raises them (`.mplint.yaml`: `limits: {file-bytes: 20000000}`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

MIB = 1024 * 1024


class Limits(Struct, frozen=True):
    """How far a run goes on any input: sizes, counts, depths and times, each far above real inputs' needs."""

    file_bytes: int = 5 * MIB  # one file, checked by stat before reading and again while reading
    depth: int = 200  # nesting of a YAML or JSON document
    nodes: int = 250_000  # distinct YAML/JSON nodes (keys, values, items) in one document
    expanded_nodes: int = 1_000_000  # nodes of one YAML document with every alias expanded
    number_chars: int = 1_000  # digits of one number (Python refuses ints over 4,300 digits; the rest is slow)
    template_chars: int = 100_000  # one Jinja template (a prop value or a query)
    if_chars: int = 2_000  # one `if:` condition
    query_anchors: int = 10_000  # `/*+ ... */` anchors in one query file
    query_statements: int = 50_000  # SQL statements under one anchor
    query_items: int = 1_000_000  # comma-separated items (columns, values) under one anchor
    policy_statements: int = 50_000  # statements of one policy document
    policy_actions: int = 250_000  # Action/NotAction/Resource/NotResource entries of one policy document
    findings_per_rule: int = 1_000  # findings of one rule in one file that are listed; the rest are counted
    regex_seconds: float = 1.0  # one user-rule `matches:` test on one value
    pattern_repeats: int = 10_000  # nested counted repeats of a regular expression written in an input

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The configuration keys: `file-bytes`, `depth`, ..."""
        return tuple(name.replace("_", "-") for name in cls.__struct_fields__)

    def raised(self, settings: dict[str, Any]) -> Limits:
        """These limits with the configured ones set (keys as in :meth:`names`); raises ValueError on a bad entry."""
        known = dict(zip(self.names(), self.__struct_fields__, strict=True))
        changes: dict[str, Any] = {}
        for key, value in settings.items():
            name = known.get(str(key))
            if name is None:
                raise ValueError(f"unknown limit `{key}` (known: {', '.join(known)})")
            integral = name != "regex_seconds"
            if isinstance(value, bool) or not isinstance(value, int if integral else (int, float)) or value <= 0:
                raise ValueError(f"limit `{key}` must be a {'whole ' if integral else ''}number above 0")
            changes[name] = value
        return replace(self, **changes)


DEFAULT = Limits()
_CURRENT: ContextVar[Limits] = ContextVar("mplint_limits", default=DEFAULT)


def current() -> Limits:
    """The limits of the run in progress, for the readers that are handed text rather than a configuration:
    templates (`template-chars`), `if:` conditions (`if-chars`), user-rule patterns (`regex-seconds`) and
    regular expressions written in an input (`pattern-repeats`)."""
    return _CURRENT.get()


@contextmanager
def applied(limits: Limits) -> Iterator[None]:
    """Make ``limits`` the current ones while a run (of one configuration) goes on, in this thread."""
    token = _CURRENT.set(limits)
    try:
        yield
    finally:
        _CURRENT.reset(token)
