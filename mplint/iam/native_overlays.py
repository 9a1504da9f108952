"""Permission overlays of the native `aws` provider: which member values make a request need more actions.

The data is `rules/overlays/native.yaml` (its header documents the format); it is read once per process. The
rules are generic: they match members by name or shape at any depth of any service's request, so that a role
ARN, a KMS key, an S3 URI or a tag list asks for the same thing wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from mplint.catalog.validator import Opaque
from mplint.iam import arns
from mplint.iam.overlays import Overlay, OverlayError, known_keys, overlay_dir, rule_head, string_list

WRITE_VERBS = ("insert", "update", "replace", "exec")
VERBS = ("select", "insert", "update", "replace", "delete", "exec")
MATCHES = ("iam-role", "kms-key", "s3-uri", "ecr-image", "true")
RESOURCES = ("iam-role", "kms-key", "s3-object", "s3-bucket", "ecr-repository", "self")
RULE_KEYS = (
    "id", "when", "actions", "dependents", "names", "shapes", "not_names", "match", "verbs", "services", "not_services",
    "resource", "context", "called_by", "role_scoped", "why", "source", "precision",
)  # fmt: skip
FILE_KEYS = ("principals", "rules", "arns", "implied", "tables")
_ROLE_ARN_RE = re.compile(r"^arn:[\w*-]+:iam::(\d{12}|\*):role/.+$")
_KMS_RE = re.compile(r"^(arn:[\w*-]+:kms:[^:]*:[^:]*:(key|alias)/.+|alias/.+|[0-9a-f-]{36}|mrk-[0-9a-f]{32}|\*)$")


class MemberRule(Struct, frozen=True, eq=False):  # hashed by identity: _member caches on it
    """One native overlay rule: which request members (by name, shape, value) need which extra actions."""

    id: str
    resource: str
    why: str
    source: str
    when: str = "a matching member is set"
    precision: str = "high"
    actions: tuple[str, ...] = ()
    dependents: str | None = None  # a prefix ("kms:") or an access level ("Tagging")
    names: tuple[re.Pattern[str], ...] = ()
    shapes: tuple[re.Pattern[str], ...] = ()
    not_names: tuple[re.Pattern[str], ...] = ()
    match: str | None = None
    verbs: tuple[str, ...] = WRITE_VERBS
    services: tuple[str, ...] = ()
    not_services: tuple[str, ...] = ()
    context: tuple[tuple[str, str], ...] = ()
    called_by: str = "caller"  # "service": the service makes the calls with the caller's credentials
    role_scoped: bool = False

    @property
    def value_driven(self) -> bool:
        """Matches members of any name: only a value that passes `match` triggers it."""
        return any(p.pattern == ".*" for p in self.names)

    def applies(self, service: str, verb: str) -> bool:
        if verb not in self.verbs or service in self.not_services:
            return False
        return not self.services or service in self.services

    def member(self, name: str, shape: str | None) -> bool:
        return _member(self, name, shape)

    @property
    def overlay(self) -> Overlay:
        """The rule as a type overlay, for requirements and reports that name their trigger."""
        when = tuple(p.pattern for p in self.names) or ("*",)
        actions = self.actions or (f"{self.dependents}*",)
        return Overlay(
            self.id, actions, when, self.resource, self.why, self.source, (), self.match, (), self.precision,
            called_by=self.called_by,
        )  # fmt: skip


@lru_cache(maxsize=65536)
def _member(rule: MemberRule, name: str, shape: str | None) -> bool:
    """Does a member of this name and shape match the rule? (Asked for every member of every request.)"""
    if any(p.fullmatch(name) for p in rule.not_names):
        return False
    return any(p.fullmatch(name) for p in rule.names) or bool(shape and any(p.fullmatch(shape) for p in rule.shapes))


class NativeOverlays(Struct, frozen=True):
    """The native overlays: member rules, service principals, table actions, ARN templates, implied types."""

    rules: tuple[MemberRule, ...] = ()
    principals: dict[str, str] = field(default_factory=dict)  # service key -> service principal
    tables: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # table -> verb -> actions
    arns: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # resource id -> (when, template)
    implied: dict[str, tuple[str, ...]] = field(default_factory=dict)  # action (lower case) -> resource types

    def principal(self, service: str, signing_name: str) -> str:
        return self.principals.get(service) or f"{signing_name}.amazonaws.com"


def overlay_file(folder: Path | None = None) -> Path:
    return (folder or overlay_dir()) / "native.yaml"


@lru_cache(maxsize=8)
def load_native_overlays(folder: Path | None = None) -> NativeOverlays:
    path = overlay_file(folder)
    if not path.is_file():
        return NativeOverlays()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OverlayError(f"{path}: cannot read overlay file: {exc}") from None
    return parse_native_overlays(data, path)


def parse_native_overlays(data: Any, path: Path) -> NativeOverlays:
    where = f"{path}: "
    if not isinstance(data, dict):
        raise OverlayError(f"{where}an overlay file must be a mapping")
    known_keys(data, FILE_KEYS, where)
    rules = tuple(_rule(item, f"{where}rules[{i}]: ") for i, item in enumerate(data.get("rules") or []))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise OverlayError(f"{where}rule ids must be unique")
    principals = data.get("principals") or {}
    if not isinstance(principals, dict) or not all(isinstance(v, str) for v in principals.values()):
        raise OverlayError(f"{where}`principals` maps service keys to service principals")
    return NativeOverlays(
        rules,
        {str(k): v for k, v in principals.items()},
        _tables(data.get("tables"), where),
        _arns(data.get("arns"), where),
        _implied(data.get("implied"), where),
    )


def _implied(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OverlayError(f"{where}`implied` maps actions to resource types")
    return {str(action).lower(): string_list(types, f"implied.{action}", where) for action, types in value.items()}


def _arns(value: Any, where: str) -> dict[str, tuple[tuple[str, str], ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OverlayError(f"{where}`arns` maps StackQL resources to a list of {{when, arn}}")
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for resource, entries in value.items():
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("when"), str) and isinstance(e.get("arn"), str) for e in entries
        ):
            raise OverlayError(f"{where}arns.{resource}: each entry needs `when` (a member) and `arn` (a template)")
        out[str(resource).lower()] = tuple((e["when"], e["arn"]) for e in entries)
    return out


def _rule(item: Any, where: str) -> MemberRule:
    match, precision = rule_head(item, RULE_KEYS, MATCHES, where, "a rule")
    if item["resource"] not in RESOURCES:
        raise OverlayError(f"{where}`resource` must be one of {', '.join(RESOURCES)}")
    verbs = string_list(item.get("verbs"), "verbs", where) or WRITE_VERBS
    if set(verbs) - set(VERBS):
        raise OverlayError(f"{where}`verbs` must be among {', '.join(VERBS)}")
    actions = string_list(item.get("actions"), "actions", where)
    dependents = item.get("dependents")
    if not actions and not isinstance(dependents, str):
        raise OverlayError(f"{where}a rule needs `actions` or `dependents`")
    names, shapes = _patterns(item, "names", where), _patterns(item, "shapes", where)
    if not names and not shapes:
        raise OverlayError(f"{where}a rule needs `names` or `shapes`")
    context = item.get("context") or {}
    if not isinstance(context, dict):
        raise OverlayError(f"{where}`context` maps condition keys to values")
    called_by = str(item.get("called_by", "caller"))
    if called_by not in ("caller", "service"):
        raise OverlayError(f"{where}`called_by` must be caller or service")
    return MemberRule(
        id=item["id"],
        resource=item["resource"],
        why=item["why"].strip(),
        source=" ".join(item["source"].split()),
        when=str(item.get("when") or "a matching member is set"),
        precision=precision,
        actions=actions,
        dependents=dependents if isinstance(dependents, str) else None,
        names=names,
        shapes=shapes,
        not_names=_patterns(item, "not_names", where),
        match=match,
        verbs=verbs,
        services=string_list(item.get("services"), "services", where),
        not_services=string_list(item.get("not_services"), "not_services", where),
        context=tuple(sorted((str(k), str(v)) for k, v in context.items())),
        called_by=called_by,
        role_scoped=bool(item.get("role_scoped", False)),
    )


def _tables(value: Any, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OverlayError(f"{where}`tables` maps table names to verbs and actions")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for table, verbs in value.items():
        if not isinstance(verbs, dict) or set(verbs) - set(VERBS):
            raise OverlayError(f"{where}tables.{table}: map SQL verbs ({', '.join(VERBS)}) to actions")
        out[str(table).lower()] = {v: string_list(a, f"tables.{table}.{v}", where) for v, a in verbs.items()}
    return out


def _patterns(item: dict, key: str, where: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(p, re.IGNORECASE) for p in string_list(item.get(key), key, where))
    except re.error as exc:
        raise OverlayError(f"{where}`{key}`: {exc}") from None


# ---------------------------------------------------------------------------
# Walking a request's members


class Member(Struct, frozen=True):
    """One member value of a request, found by walking the value along the operation's schema."""

    path: tuple[str | int, ...]  # from the top-level member down
    name: str  # the member's own name
    shape: str | None  # its shape (botocore's name), when the schema names one
    value: Any  # plain data; Opaque when a template gives it
    role_above: bool  # the structure holding it, or one around it, passes a role


def members(name: str, value: Any, schema: dict | None, definitions: dict, role: MemberRule | None) -> Iterator[Member]:
    """Every member value under a top-level member ``name`` (itself included), in document order."""
    yield from _walk((name,), name, value, schema, definitions, False, role, 0)


def _walk(path, name, value, schema, definitions, role_above, role, depth) -> Iterator[Member]:
    shape, schema = _resolve(schema, definitions)
    yield Member(path, name, shape, value, role_above)
    if depth > 24 or isinstance(value, Opaque):
        return
    if isinstance(value, dict):
        props = (schema or {}).get("properties")
        if schema is not None and props is None:
            return  # a map: its keys are data, not members
        here = role_above or (
            role is not None and any(_is_role(role, k, props, v, definitions) for k, v in value.items())
        )
        for key, child in value.items():
            sub = props.get(key) if props else None
            yield from _walk((*path, key), str(key), child, sub, definitions, here, role, depth + 1)
    elif isinstance(value, list):
        items = (schema or {}).get("items")
        for i, child in enumerate(value):
            yield from _walk((*path, i), name, child, items, definitions, role_above, role, depth + 1)


def _is_role(role: MemberRule, key: str, props: dict | None, value: Any, definitions: dict) -> bool:
    shape, _ = _resolve((props or {}).get(key), definitions)
    return role.member(str(key), shape) and value not in (None, "", [], {})


def _resolve(schema: dict | None, definitions: dict) -> tuple[str | None, dict | None]:
    shape = None
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 16:
        shape = schema["$ref"].rsplit("/", 1)[-1]
        schema = definitions.get(shape)
        seen += 1
    return shape, schema if isinstance(schema, dict) else None


def value_matches(value: Any, match: str | None, resolve: arns.Resolver) -> tuple[bool, bool]:
    """(matches, known): does a literal (or a template, as far as the manifest tells it) pass the test?"""
    if value is None or value == "" or value == [] or value == {}:
        return False, True
    if match is None:
        return True, not isinstance(value, Opaque)
    if isinstance(value, Opaque):
        rendered = arns.render(value, resolve)
        if rendered.text.strip() in ("", arns.UNKNOWN):
            return True, False  # nothing known: it may be anything
        return _test(rendered.text, match), not rendered.unknown
    if match == "true":
        return value is True or str(value).lower() == "true", True
    return isinstance(value, str) and _test(value, match), True


def _test(text: str, match: str) -> bool:
    if match == "iam-role":
        return bool(_ROLE_ARN_RE.match(text))
    if match == "kms-key":
        return bool(_KMS_RE.match(text))
    if match == "s3-uri":
        return arns.is_s3_uri(text)
    if match == "ecr-image":
        return arns.is_ecr_image(text)
    return text.lower() == "true"
