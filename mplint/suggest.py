"""Closest-name suggestions for messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``name`` (case-insensitive), or None."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return lowered[name.lower()]
    size = len(name)
    # A ratio needs 2 * matches / total lengths >= cutoff: a candidate far longer or shorter cannot reach it.
    near = [c for c in lowered if 2 * min(size, len(c)) >= cutoff * (size + len(c))]
    match = difflib.get_close_matches(name.lower(), near, n=1, cutoff=cutoff) if near else []
    return lowered[match[0]] if match else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean `X`?)` or an empty string."""
    best = closest(name, candidates)
    return f" (did you mean `{best}`?)" if best else ""


def clear_match(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The one candidate ``name`` surely means: the same but for case, or the only one close to it."""
    pool = list(candidates)
    same = [c for c in pool if c.lower() == name.lower() and c != name]
    if same:
        return same[0] if len(same) == 1 else None
    lowered = {c.lower(): c for c in pool}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=2, cutoff=cutoff)
    return lowered[matches[0]] if len(matches) == 1 else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest one-character insertions, deletions and substitutions from a to b."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def is_typo_of(typed: str, name: str) -> bool:
    """Close enough to be a slip of the keyboard (case aside): at most two edits, or one in six characters.
    Above that a suggestion is a guess (`deepcomposer` is not a misspelt `qdeveloper`)."""
    a, b = typed.lower(), name.lower()
    return edit_distance(a, b) <= max(2, len(a) // 6)
