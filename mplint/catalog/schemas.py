"""Bundled CloudFormation resource schemas and the StackQL -> CloudFormation type map.

The schemas (built by scripts/gen_schemas.py) are one zip per service, `schemas/AWS--SageMaker.zip`, so
that reading a type opens an archive of a few members: opening one archive of all 1,854 types read its
whole central directory first, 6 % of the instructions of a one-stack lint. An archive is opened on first
use and each type is decompressed and parsed only when asked for. Returned schemas are cached and shared:
treat them as read-only.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import zipfile

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SCHEMAS_DIR = DATA_DIR / "schemas"
TYPE_MAP_JSON = DATA_DIR / "stackql-cfn-types.json"
HANDLER_OPS = ("create", "read", "update", "delete", "list")

Schema = dict[str, Any]

# The keys at the top of a resource schema besides the validation keywords, and what reads them.
RESOURCE_KEYS: dict[str, str] = {
    "typeName": "the type's name",
    "sourceUrl": "documentation link",
    "documentationUrl": "documentation link",
    "resourceLink": "console link",
    "readOnlyProperties": "MPL207 (at any depth), MPL131, MPL135",
    "writeOnlyProperties": "MPL208 (at any depth)",
    "createOnlyProperties": "MPL135 (patch documents, at any depth)",
    "conditionalCreateOnlyProperties": "not checked: a change may or may not replace the resource",
    "deprecatedProperties": "MPL217 (at any depth)",
    "primaryIdentifier": "identifiers of requests and ARNs",
    "additionalIdentifiers": "not needed: the primary identifier names the resource",
    "handlers": "the IAM actions each operation needs",
    "tagging": "the IAM actions tagging needs",
    "taggable": "superseded by `tagging`",
    "lifecycle": "MPL236, MPL237 (the service is shut down, sunset or in maintenance)",
    "propertyTransform": "not needed: how CloudFormation compares values it changed (drift)",
    "replacementStrategy": "not needed: the order of a replacement",
    "typeConfiguration": "not needed: account-level configuration of a third-party type",
}


def member_name(type_name: str) -> str:
    return type_name.replace("::", "--") + ".json"


def type_name_of(member: str) -> str:
    return member.removesuffix(".json").replace("--", "::")


def archive_name(type_name: str) -> str | None:
    """`AWS::SageMaker::ModelPackage` -> `AWS--SageMaker.zip`, the archive of its service; None for a name
    of another shape, which no archive holds."""
    parts = type_name.split("::")
    return f"{parts[0]}--{parts[1]}.zip" if len(parts) == 3 and all(parts) else None


def meta_path(schemas_dir: Path) -> Path:
    """The provenance the generator writes beside the archives' folder: `schemas.meta.json`."""
    return schemas_dir.with_name(schemas_dir.name + ".meta.json")


class SchemaCatalog:
    """Lazy access to the bundled resource schemas and the StackQL type map."""

    def __init__(self, schemas_dir: Path = SCHEMAS_DIR, type_map_path: Path = TYPE_MAP_JSON) -> None:
        self._dir = Path(schemas_dir)
        self._type_map_path = Path(type_map_path)
        self._archives: dict[str, zipfile.ZipFile | None] = {}
        self._lock = threading.Lock()
        self._schemas: dict[str, Schema | None] = {}
        self._meta: dict[str, Any] | None = None
        self._type_map: dict[str, str] | None = None
        self._reverse: dict[str, list[str]] | None = None

    # -- schemas -------------------------------------------------------------------------------
    def _archive(self, name: str) -> zipfile.ZipFile | None:
        """The service's archive, or None when there is none; a missing folder is a broken install."""
        if name not in self._archives:
            import zipfile  # deferred: ~10 ms that a plain import of this module should not pay

            path = self._dir / name
            if not path.is_file() and not self._dir.is_dir():
                raise FileNotFoundError(f"bundled resource schemas not found: {self._dir}")
            self._archives[name] = zipfile.ZipFile(path) if path.is_file() else None
        return self._archives[name]

    def _read(self, type_name: str) -> Schema | None:
        name = archive_name(type_name)
        if name is None:
            return None
        with self._lock:
            archive = self._archive(name)
            try:
                raw = archive.read(member_name(type_name)) if archive is not None else None
            except KeyError:
                return None
        return json.loads(raw) if raw is not None else None

    def schema(self, type_name: str) -> Schema | None:
        """The resource provider schema for ``AWS::Service::Resource``, or None if not bundled."""
        if type_name not in self._schemas:
            self._schemas[type_name] = self._read(type_name)
        return self._schemas[type_name]

    def type_names(self) -> list[str]:
        """Every bundled type (opens every archive: for scripts and tests, not for a lint)."""
        names: list[str] = []
        with self._lock:
            for path in sorted(self._dir.glob("*.zip")):
                archive = self._archive(path.name)
                names += archive.namelist() if archive is not None else []
        return sorted(type_name_of(n) for n in names)

    def has_type(self, type_name: str) -> bool:
        return self.schema(type_name) is not None

    @property
    def meta(self) -> dict[str, Any]:
        """Provenance of the schemas: source, version, sha256, region, schema_date, types."""
        if self._meta is None:
            sidecar = meta_path(self._dir)
            self._meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
        return self._meta

    @property
    def source_version(self) -> str:
        """e.g. ``cfn-lint 1.58.0``."""
        return f"{self.meta.get('source', '?')} {self.meta.get('version', '?')}"

    def close(self) -> None:
        with self._lock:
            for archive in self._archives.values():
                if archive is not None:
                    archive.close()
            self._archives.clear()

    # -- StackQL type map ----------------------------------------------------------------------
    def type_map(self) -> dict[str, str]:
        """StackQL resource name (``aws.x.y`` / ``awscc.x.y``, incl. ``*_list_only`` / ``*_tags``) -> CFN type."""
        if self._type_map is None:
            self._type_map = json.loads(self._type_map_path.read_text(encoding="utf-8"))
        return self._type_map

    def cfn_type(self, stackql_name: str) -> str | None:
        name = stackql_name.strip()
        mapping = self.type_map()
        return mapping.get(name) or mapping.get(name.lower())

    def stackql_names(self, cfn_type: str) -> list[str]:
        """All StackQL names (both providers, all views) for a CFN type, sorted."""
        if self._reverse is None:
            reverse: dict[str, list[str]] = {}
            for name, type_name in sorted(self.type_map().items()):
                reverse.setdefault(type_name, []).append(name)
            self._reverse = reverse
        return list(self._reverse.get(cfn_type, []))


@lru_cache(maxsize=1)
def default_catalog() -> SchemaCatalog:
    return SchemaCatalog()


# -- helpers over one schema -------------------------------------------------------------------
def pointer_path(pointer: str) -> tuple[str, ...]:
    """``/properties/A/*/B`` -> ``("A", "*", "B")``; JSON pointer escapes ~1 and ~0 are undone."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    if parts and parts[0] == "properties":
        parts = parts[1:]
    return tuple(parts)


def pointer_paths(schema: Schema, key: str) -> list[tuple[str, ...]]:
    """Every pointer listed under ``key`` (e.g. ``readOnlyProperties``), nested ones included."""
    return [pointer_path(p) for p in schema.get(key, ()) if isinstance(p, str)]


def _top_level(schema: Schema, key: str) -> set[str]:
    """The properties a pointer list names whole (`/properties/X`).

    A nested pointer (`/properties/SecurityGroupIngress/*/SourceSecurityGroupName`) names a part of a
    property, not the property: taking its first segment would call all of SecurityGroupIngress write-only.
    """
    return {path[0] for path in pointer_paths(schema, key) if len(path) == 1}


KeyPath = tuple[str | int, ...]


def covers(pointer: tuple[str, ...], path: KeyPath) -> bool:
    """The pointer names ``path`` or a part above it (`*` stands for any array index)."""
    if len(path) < len(pointer):
        return False
    return all(want == "*" or str(got) == want for want, got in zip(pointer, path, strict=False))


def pointer_hits(pointers: list[tuple[str, ...]], name: str, value: Any) -> list[KeyPath]:
    """The places in property ``name``'s value (plain data) that the pointers name, e.g. ``("A", 0, "B")`` for
    ``/properties/A/*/B``. A place below a value not known yet (a template, not a list or mapping) is not."""
    hits: list[KeyPath] = []

    def walk(node: Any, rest: tuple[str, ...], at: KeyPath) -> None:
        if not rest:
            hits.append(at)
        elif isinstance(node, list) and rest[0] == "*":
            for index, item in enumerate(node):
                walk(item, rest[1:], (*at, index))
        elif isinstance(node, dict) and rest[0] in node:
            walk(node[rest[0]], rest[1:], (*at, rest[0]))

    for pointer in pointers:
        if pointer and pointer[0] == name:
            walk(value, pointer[1:], (name,))
    return hits


def schema_at(schema: Schema, pointer: tuple[str, ...]) -> Schema | None:
    """The subschema a pointer (`("A", "*", "B")`) names in a schema with inlined `$ref`s, or None."""
    node: Any = schema
    for part in pointer:
        if not isinstance(node, dict):
            return None
        node = node.get("items") if part == "*" else node.get("properties", {}).get(part)
    return node if isinstance(node, dict) else None


def read_only(schema: Schema) -> set[str]:
    return _top_level(schema, "readOnlyProperties")


def create_only(schema: Schema) -> set[str]:
    return _top_level(schema, "createOnlyProperties")


def write_only(schema: Schema) -> set[str]:
    return _top_level(schema, "writeOnlyProperties")


def conditional_create_only(schema: Schema) -> set[str]:
    return _top_level(schema, "conditionalCreateOnlyProperties")


def primary_identifier(schema: Schema) -> list[str]:
    return ["/".join(pointer_path(p)) for p in schema.get("primaryIdentifier", ())]


def handler_permissions(schema: Schema, op: str) -> list[str]:
    """IAM actions the CloudFormation handler for ``op`` (create/read/update/delete/list) needs."""
    handler = schema.get("handlers", {}).get(op.lower(), {})
    return list(handler.get("permissions", []))


def tagging_permissions(schema: Schema) -> list[str]:
    return list(schema.get("tagging", {}).get("permissions", []))
