"""Permission overlays: which handler permissions of a resource type depend on which properties.

The data is one YAML file per CloudFormation type in `rules/overlays/` (the format is documented in the
header of `rules/overlays/AWS--SageMaker--ModelPackage.yaml`). Each file is read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct

from mplint.catalog.schemas import HANDLER_OPS
from mplint.registry import builtin_rules_dir

RESOURCE_KINDS = ("kms-key", "iam-role", "s3-object", "s3-bucket", "ecr-repository", "self", "wildcard")
MATCHES = ("s3-uri", "ecr-image", "true")
PRECISIONS = ("high", "medium", "low")
OVERLAY_KEYS = (
    "id", "actions", "ops", "when", "match", "resource", "resource_from", "why", "source", "precision",
    "called_by", "context",
)  # fmt: skip
CALLERS = ("caller", "service")
FILE_KEYS = ("type", "self", "native", "wildcard", "overlays")


class OverlayError(Exception):
    """An overlay file that cannot be used: names the file and the problem."""


class Overlay(Struct, frozen=True):
    """Actions that an operation needs only when one of the `when` properties is set."""

    id: str
    actions: tuple[str, ...]
    when: tuple[str, ...]
    resource: str
    why: str
    source: str
    ops: tuple[str, ...] = ()  # empty: every operation whose handler lists the action
    match: str | None = None
    resource_from: tuple[str, ...] = ()
    precision: str = "high"
    called_by: str = "caller"  # "service": the resource's service makes the call on the caller's behalf
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()  # request keys these calls carry (templates)

    @property
    def never(self) -> bool:
        """No property calls for the actions: the handler lists them but never calls them for `ops`."""
        return not self.when

    def claims(self, action: str, op: str) -> bool:
        return action.lower() in {a.lower() for a in self.actions} and (not self.ops or op in self.ops)


class SelfArn(Struct, frozen=True):
    """One way to name the resource itself: an ARN template, used when the `when` property is set."""

    arn: str
    when: str | None = None


class TypeOverlays(Struct, frozen=True):
    """One type's overlay file: how to name the resource, native and wildcard actions, the overlays."""

    type: str
    self_arns: tuple[SelfArn, ...] = ()
    native: dict[str, tuple[str, ...]] | None = None
    wildcard: frozenset[str] = frozenset()  # lower-case actions authorised against "*"
    overlays: tuple[Overlay, ...] = ()
    path: Path | None = None

    def claiming(self, action: str, op: str) -> list[Overlay]:
        return [o for o in self.overlays if o.claims(action, op)]

    def native_actions(self, op: str) -> tuple[str, ...]:
        return (self.native or {}).get(op, ())


def overlay_dir() -> Path:
    return builtin_rules_dir() / "overlays"


def overlay_path(type_name: str, folder: Path | None = None) -> Path:
    return (folder or overlay_dir()) / (type_name.replace("::", "--") + ".yaml")


@lru_cache(maxsize=256)
def load_overlays(type_name: str, folder: Path | None = None) -> TypeOverlays:
    """The overlays of a type; a type without a file has none (every handler permission is always needed)."""
    path = overlay_path(type_name, folder)
    if not path.is_file():
        return TypeOverlays(type_name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OverlayError(f"{path}: cannot read overlay file: {exc}") from None
    return parse_overlays(data, path, type_name)


def parse_overlays(data: Any, path: Path, type_name: str) -> TypeOverlays:
    where = f"{path}: "
    if not isinstance(data, dict):
        raise OverlayError(f"{where}an overlay file must be a mapping")
    known_keys(data, FILE_KEYS, where)
    if data.get("type") != type_name:
        raise OverlayError(f"{where}`type` must be {type_name!r}, the type the file name stands for")
    overlays = tuple(_overlay(item, f"{where}overlays[{i}]: ") for i, item in enumerate(data.get("overlays") or []))
    ids = [o.id for o in overlays]
    if len(ids) != len(set(ids)):
        raise OverlayError(f"{where}overlay ids must be unique")
    return TypeOverlays(
        type=type_name,
        self_arns=tuple(_self_arn(item, where) for item in data.get("self") or []),
        native=_native(data.get("native"), where),
        wildcard=frozenset(a.lower() for a in string_list(data.get("wildcard"), "wildcard", where)),
        overlays=overlays,
        path=path,
    )


def rule_head(
    item: Any, keys: tuple[str, ...], matches: tuple[str, ...], where: str, what: str
) -> tuple[str | None, str]:
    """Check what every overlay rule has (a mapping of known keys; `id`, `resource`, `why`, `source`; `match`,
    `precision`) and return its match and precision."""
    if not isinstance(item, dict):
        raise OverlayError(f"{where}{what} must be a mapping")
    known_keys(item, keys, where)
    for key in ("id", "resource", "why", "source"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise OverlayError(f"{where}`{key}` is required and must be a non-empty string")
    match = item.get("match")
    if match is not None and str(match) not in matches:
        raise OverlayError(f"{where}`match` must be one of {', '.join(matches)}")
    precision = item.get("precision", "high")
    if precision not in PRECISIONS:
        raise OverlayError(f"{where}`precision` must be one of {', '.join(PRECISIONS)}")
    return (str(match) if match is not None else None), precision


def _overlay(item: Any, where: str) -> Overlay:
    match, precision = rule_head(item, OVERLAY_KEYS, MATCHES, where, "an overlay")
    resource = item["resource"]
    if resource not in RESOURCE_KINDS and not resource.startswith("arn:"):
        raise OverlayError(f"{where}`resource` must be one of {', '.join(RESOURCE_KINDS)} or an ARN template")
    ops = string_list(item.get("ops"), "ops", where)
    if set(ops) - set(HANDLER_OPS):
        raise OverlayError(f"{where}`ops` must be among {', '.join(HANDLER_OPS)}")
    actions = string_list(item.get("actions"), "actions", where)
    when = string_list(item.get("when"), "when", where)
    if not actions or not isinstance(item.get("when"), list):
        raise OverlayError(f"{where}`actions` must not be empty and `when` must be a list")
    if not when and not ops:
        raise OverlayError(f"{where}an empty `when` (never needed) must name the `ops` it is true for")
    called_by = str(item.get("called_by", "caller"))
    if called_by not in CALLERS:
        raise OverlayError(f"{where}`called_by` must be one of {', '.join(CALLERS)}")
    return Overlay(
        id=item["id"],
        actions=actions,
        when=when,
        resource=resource,
        why=item["why"].strip(),
        source=" ".join(item["source"].split()),
        ops=ops,
        match=match,
        resource_from=string_list(item.get("resource_from"), "resource_from", where),
        precision=precision,
        called_by=called_by,
        context=_overlay_context(item.get("context"), where),
    )


def _overlay_context(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise OverlayError(f"{where}`context` maps condition keys to a value or a list of values")
    out = []
    for key, item in value.items():
        values = (item,) if isinstance(item, str) else item
        if ":" not in str(key) or not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise OverlayError(f"{where}`context.{key}` must be a condition key with a string or a list of strings")
        out.append((str(key), tuple(values)))
    return tuple(out)


def _self_arn(item: Any, where: str) -> SelfArn:
    if not isinstance(item, dict) or not isinstance(item.get("arn"), str):
        raise OverlayError(f"{where}each `self` entry needs an `arn` template")
    when = item.get("when")
    return SelfArn(item["arn"], str(when) if when is not None else None)


def _native(value: Any, where: str) -> dict[str, tuple[str, ...]] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - set(HANDLER_OPS):
        raise OverlayError(f"{where}`native` maps operations ({', '.join(HANDLER_OPS)}) to actions")
    return {str(op): string_list(actions, f"native.{op}", where) for op, actions in value.items()}


def known_keys(data: dict, keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(map(str, data)) - set(keys))
    if unknown:
        raise OverlayError(f"{where}unknown key(s) {', '.join(unknown)} (known: {', '.join(keys)})")


def string_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise OverlayError(f"{where}`{key}` must be a list of strings")
