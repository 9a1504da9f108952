"""The property values of a bound resource: per environment, where a value at a path is written, and the region.

Shared by the checks that judge values (the schema check, the value checks).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mplint.catalog.schemas import KeyPath, pointer_hits
from mplint.findings import Span
from mplint.stackql.binding import Binding, Opaque, PropertyValue
from mplint.stackql.binding import locate as locate_in

if TYPE_CHECKING:
    from mplint.model.manifest import Manifest


Values = dict[str, PropertyValue]


def per_env(binding: Binding, exclude: frozenset[str] = frozenset()) -> Iterator[tuple[str | None, Values]]:
    """The resource's values as each environment gets them (values for all environments belong to each;
    they are judged alone only when no value is per environment)."""
    for env in [e for e in binding.envs() if e is not None] or [None]:
        yield env, {pv.property: pv for pv in binding.values if pv.env in (None, env) and pv.property not in exclude}


def value_at(value: Any, path: tuple) -> Any:
    """The part of plain data at ``path`` (keys and indices), or None."""
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def values_at(values: Values, pointer: tuple[str, ...]) -> Iterator[tuple[KeyPath, Any]]:
    """Each place the pointer (`("Overrides", "*", "InstanceType")`) names in the values, with its value."""
    pv = values.get(pointer[0])
    if pv is None:
        return
    for path in pointer_hits([pointer], pointer[0], pv.value):
        yield path, value_at(pv.value, path[1:])


def known_text(value: Any) -> str | None:
    """The value as text when it is a literal string (not a template), else None."""
    return str(value) if isinstance(value, str) and not isinstance(value, Opaque) else None


def region_of(binding: Binding, manifest: Manifest) -> str | None:
    """The region the resource is deployed to, when the manifest says it literally (INSERT column or global)."""
    from mplint.iam import arns
    from mplint.iam.requirements import find_place
    from mplint.stackql.scope import query_scope

    resolve = arns.scope_resolver(query_scope(manifest, binding.resource))
    return find_place(binding, manifest, resolve, None, None).region


def locate(path: list, values: dict[str, PropertyValue], binding: Binding, key: bool = False) -> tuple[Span, tuple]:
    """The span of the value (or key) at ``path`` inside the resource, and where a substituted value came from."""
    if not path or path[0] not in values:
        return binding.resource.anchor_span, ()
    pv = values[path[0]]
    if key and len(path) == 1:
        return pv.key_span or pv.node.span, ()
    return locate_in(pv, path[1:], key)
