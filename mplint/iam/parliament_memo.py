"""Memoised equivalents of parliament's per-statement helpers: same results, same exceptions.

parliament works out, for every statement of every policy, which ARN format each action needs and whether
each Resource matches it (`get_arn_format`, `is_arn_match`, `is_arn_strictly_valid`: pure functions of a
few strings, asked again and again across policies), and its policy-level checks ask a statement whether
it allows an action seven times per action (`Statement.in_actions`, which expands every action pattern of
the statement each time). `install` swaps in versions that remember: the ARN helpers per string triple
(bounded caches; exceptions are never cached, so they are raised again as before), `in_actions` per
statement, falling back to parliament's own method whenever working the answer out in one go raises.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

ARN_CACHE = 16384  # (resource type, ARN format, resource) triples per helper

# parliament's own functions, kept for the equivalence tests
ORIGINALS: dict[str, Callable[..., Any]] = {}


def install(statement: types.ModuleType, definition: list[dict[str, Any]]) -> None:
    """Rebind the helpers in `parliament.statement` (which imported them by name) to the memoised ones."""
    ORIGINALS.update(
        get_arn_format=statement.get_arn_format,
        is_arn_match=statement.is_arn_match,
        is_arn_strictly_valid=statement.is_arn_strictly_valid,
        in_actions=statement.Statement.in_actions,
    )
    statement.get_arn_format = _arn_format(statement.get_arn_format, definition)
    statement.is_arn_match = _on_strings(statement.is_arn_match)
    statement.is_arn_strictly_valid = _on_strings(statement.is_arn_strictly_valid)
    statement.Statement.in_actions = _in_actions(statement.Statement.in_actions, statement)


def _on_strings(original: Callable[[str, str, str], bool]) -> Callable[[Any, Any, Any], bool]:
    cached = functools.lru_cache(maxsize=ARN_CACHE)(original)

    @functools.wraps(original)
    def helper(resource_type: Any, arn_format: Any, resource: Any) -> bool:
        if type(resource_type) is str and type(arn_format) is str and type(resource) is str:
            return cached(resource_type, arn_format, resource)
        return original(resource_type, arn_format, resource)  # a number, a node: as parliament treats it

    return helper


def _arn_format(original: Callable[[str, list], str], definition: list[dict[str, Any]]) -> Callable[[Any, Any], str]:
    """`get_arn_format(resource_type, service_resources)` for the resource lists of parliament's database
    (which live as long as the process), keyed by the list's identity; any other list as before."""
    known = {id(entry["resources"]): entry["resources"] for entry in definition}
    found: dict[tuple[str, int], str] = {}

    @functools.wraps(original)
    def get_arn_format(resource_type: Any, service_resources: Any) -> str:
        if type(resource_type) is not str or known.get(id(service_resources)) is not service_resources:
            return original(resource_type, service_resources)
        key = (resource_type, id(service_resources))
        if key not in found:
            found[key] = original(resource_type, service_resources)  # raises, uncached, for an unknown type
        return found[key]

    return get_arn_format


def _in_actions(original: Callable[..., bool], statement: types.ModuleType) -> Callable[..., bool]:
    def in_actions(self: Any, privilege_prefix: str, privilege_name: str) -> bool:
        names = self.__dict__.get("_mplint_actions")
        if names is None:
            try:
                names = self.__dict__["_mplint_actions"] = _named(self, statement)
            except Exception:
                names = self.__dict__["_mplint_actions"] = False
        if names is False:  # something in the statement makes parliament's walk raise: let it
            return original(self, privilege_prefix, privilege_name)
        negated, star, pairs = names
        found = (privilege_prefix, privilege_name) in pairs
        return not found if negated else star or found

    functools.update_wrapper(in_actions, original)
    return in_actions


def _named(stmt: Any, statement: types.ModuleType) -> tuple[bool, bool, frozenset[tuple[str, str]]]:
    """What `in_actions` walks, all at once: NotAction or not, a `*` action, every (service, action) named."""
    negated = "Action" not in stmt.stmt
    actions = statement.make_list(stmt.stmt["NotAction" if negated else "Action"])
    star = False
    pairs: set[tuple[str, str]] = set()
    for action in actions:
        if not negated and action.value in ("*", "*:*"):
            star = True  # parliament stops here; whatever the later actions are, the answer is True
            continue
        pairs.update((a["service"], a["action"]) for a in statement.expand_action(action.value, raise_exceptions=False))
    return negated, star, frozenset(pairs)
