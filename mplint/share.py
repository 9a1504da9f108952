"""One engine run's share of a part, when a part's files are linted in several runs (worker processes,
results taken from the cache), and what that run reports.

A run lints its own files (stacks with their query files, policy files) with the deploying identities'
policies loaded beside them for the permission checks. What is about the identities' own files (their
hygiene, their load problems) and what is about the configuration rather than a linted file (an expired
suppression, a path that does not exist) is reported by exactly one run: the one that `carries` them.
MPL424 judges identity policies against what every stack of the part needs; when the stacks are linted in
other runs, the union of their needs is handed to the carrying run as `needs`.
"""

from __future__ import annotations

from msgspec import Struct


class StackActions(Struct, frozen=True):
    """The actions (lower case) the stacks need, or why they could not be worked out."""

    actions: frozenset[str] | None  # None: no stack with a manifest
    error: str | None = None  # `Type: message` of the failure

    @staticmethod
    def union(parts: list[StackActions]) -> StackActions:
        """The needs of all the stacks of several runs, as one run over all of them would find them: the
        first failure in stack order stands for the whole."""
        for part in parts:
            if part.error is not None:
                return StackActions(None, part.error)
        known = [part.actions for part in parts if part.actions is not None]
        return StackActions(frozenset().union(*known) if known else None)


class Share(Struct, frozen=True):
    """One run's share of a part: the files it reports on, whether it carries the rest, the stacks' needs."""

    own: frozenset[str]  # display paths of the files this run lints and reports on
    carries: bool  # this run also reports the identities' files and what is about the configuration
    needs: StackActions | None = None  # what the part's stacks need, when they are linted in other runs

    def reports(self, path: str | None) -> bool:
        """Whether a finding or notification at ``path`` (None: at no file) belongs to this run."""
        return self.carries or path is None or path in self.own
