"""Which StackQL AWS provider flavour a table belongs to: from the `providers:` pin, else from the stack's evidence.

- ``awscc``: Cloud Control, parameters `Identifier` and `PatchDocument`.
- ``aws`` pinned before v26.07: Cloud Control era, parameters `data__Identifier` and `data__PatchDocument`.
- ``aws`` pinned at v26.07 or later: native, one AWS API operation per method (catalog/native.py).
- ``aws`` unpinned: what the stack's statements show. `data__Identifier`/`data__PatchDocument`, `_list_only` and
  `_tags` views, CloudFormation property names that are not request members, or an INSERT into a resource that
  has no insert method natively mean the Cloud Control era; native method names in EXEC, REPLACE, request members
  that are not CloudFormation properties, or resources only the native provider has mean native. Statements are
  counted, not names: the side with more statements wins, a tie or no evidence gives native (what an unpinned
  `aws` installs today). Evidence for the losing side is kept so that it can be reported where it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import Enum
from typing import TYPE_CHECKING

from msgspec import Struct, field

from mplint.findings import Span
from mplint.model.manifest import Manifest
from mplint.model.query import Param, QueryFile, Ref, Statement, parse_insert
from mplint.source import Node

if TYPE_CHECKING:
    from mplint.catalog.native import NativeCatalog, Resource
    from mplint.catalog.schemas import SchemaCatalog
    from mplint.model.query import Anchor

PIN_RE = re.compile(r"^(?P<name>[A-Za-z0-9_]+)(?:::v(?P<yy>\d{2})\.(?P<mm>\d{2})\.(?P<build>\d+))?$")
NATIVE_FROM = (26, 7)  # aws::v26.07.* and later are the native flavour
CC_VIEWS = ("_list_only", "_tags")
CC_PARAMS = ("data__identifier", "data__patchdocument")


class Flavour(str, Enum):
    AWS_CC = "aws"  # Cloud Control era of the `aws` provider
    AWSCC = "awscc"
    AWS_NATIVE = "aws-native"


class Pin(Struct, frozen=True):
    """A `providers:` entry: the provider's name, its pinned version (None: unpinned) and its node."""

    name: str
    version: tuple[int, int, int] | None  # (yy, mm, build), None when unpinned
    node: Node

    @property
    def text(self) -> str:
        return str(getattr(self.node, "value", self.name))


class Params(Struct, frozen=True):
    """A Cloud Control flavour's names of the identifier and patch document parameters."""

    identifier: str
    patch: str


PARAMS = {
    Flavour.AWS_CC: Params("data__Identifier", "data__PatchDocument"),
    Flavour.AWSCC: Params("Identifier", "PatchDocument"),
}


class Evidence(Struct, frozen=True):
    """One sign in a statement that the stack is written for one flavour of `aws`."""

    flavour: Flavour  # AWS_CC or AWS_NATIVE
    what: str  # e.g. "`data__Identifier`", "the request member `GroupDescription` of CreateSecurityGroup"
    span: Span
    statement: tuple[str, int]  # (path, offset): which statement it is in


class Decision(Struct):
    """The flavour of `aws.*` tables in one stack, and how it was decided."""

    pins: dict[str, Pin]
    aws: Flavour  # AWS_CC or AWS_NATIVE
    how: str  # "pinned" | "evidence" | "default"
    evidence: tuple[Evidence, ...] = ()
    counts: dict[Flavour, int] = field(default_factory=dict)  # statements showing each flavour

    @property
    def native(self) -> bool:
        """`aws.*` is the native provider in this stack."""
        return self.aws is Flavour.AWS_NATIVE

    @property
    def pin(self) -> Pin | None:
        return self.pins.get("aws")

    def flavour(self, table: str) -> Flavour | None:
        """The flavour of a StackQL table name (`aws.s3.buckets`), or None for other providers."""
        provider = table.split(".", 1)[0].lower()
        if provider == "awscc":
            return Flavour.AWSCC
        return self.aws if provider == "aws" else None

    def supporting(self) -> list[Evidence]:
        """The first evidence of each statement that agrees with the decision."""
        return _first_per_statement(e for e in self.evidence if e.flavour is self.aws)

    def disagreeing(self) -> list[Evidence]:
        """The first evidence of each statement that points to the other flavour (unpinned stacks only)."""
        return _first_per_statement(e for e in self.evidence if e.flavour is not self.aws)


def _first_per_statement(items: Iterator[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, int], Evidence] = {}
    for item in items:
        seen.setdefault(item.statement, item)
    return list(seen.values())


def pins(manifest: Manifest) -> dict[str, Pin]:
    """Provider name -> its pin (the last entry wins, as when stackql pulls them in order)."""
    out: dict[str, Pin] = {}
    for text, node in manifest.providers:
        match = PIN_RE.match(text.strip())
        if match is None:
            continue
        version = None
        if match.group("yy"):
            version = (int(match.group("yy")), int(match.group("mm")), int(match.group("build")))
        out[match.group("name")] = Pin(match.group("name"), version, node)
    return out


def pinned_flavour(pin: Pin | None) -> Flavour | None:
    """The flavour a versioned `aws` pin installs, or None when `aws` is unpinned."""
    if pin is None or pin.version is None:
        return None
    return Flavour.AWS_NATIVE if pin.version[:2] >= NATIVE_FROM else Flavour.AWS_CC


def params(kind: Flavour | None) -> Params | None:
    """The identifier and patch-document parameter names of a Cloud Control flavour."""
    return PARAMS.get(kind) if kind is not None else None


def decide(
    manifest: Manifest,
    queries: dict[int, QueryFile],
    schemas: SchemaCatalog,
    native: Callable[[], NativeCatalog],
) -> Decision:
    """The flavour of the stack's `aws.*` tables; ``native`` gives the native catalog, asked for only when the
    stack's statements must be read (an unpinned `aws`)."""
    provider_pins = pins(manifest)
    pinned = pinned_flavour(provider_pins.get("aws"))
    if pinned is not None:
        return Decision(provider_pins, pinned, "pinned")
    if not any(_is_aws(s.target.name if s.target else "") or _reads_aws(s) for s in _statements(queries)):
        return Decision(provider_pins, Flavour.AWS_NATIVE, "default", (), {})
    found = tuple(_Gatherer(schemas, native()).stack(queries))
    counts = {
        kind: len({e.statement for e in found if e.flavour is kind}) for kind in (Flavour.AWS_CC, Flavour.AWS_NATIVE)
    }
    if not found:
        return Decision(provider_pins, Flavour.AWS_NATIVE, "default", found, counts)
    winner = Flavour.AWS_CC if counts[Flavour.AWS_CC] > counts[Flavour.AWS_NATIVE] else Flavour.AWS_NATIVE
    return Decision(provider_pins, winner, "evidence", found, counts)


def _statements(queries: dict[int, QueryFile]) -> Iterator[Statement]:
    for query in {q.path: q for q in queries.values()}.values():
        for anchor in query.anchors:
            if not anchor.indented:
                yield from anchor.statements(query.source)


def _reads_aws(statement: Statement) -> bool:
    return any(_is_aws(t.name) for block in statement.blocks for t in block.tables)


class _Gatherer:
    """The evidence in a stack's query files, statement by statement."""

    def __init__(self, schemas: SchemaCatalog, native: NativeCatalog) -> None:
        self.schemas = schemas
        self.native = native
        self._props: dict[str, set[str]] = {}

    def stack(self, queries: dict[int, QueryFile]) -> Iterator[Evidence]:
        for query in {q.path: q for q in queries.values()}.values():
            for anchor in query.anchors:
                if not anchor.indented:
                    for statement in anchor.statements(query.source):
                        yield from self.statement(query, anchor, statement)

    def statement(self, query: QueryFile, anchor: Anchor, statement: Statement) -> Iterator[Evidence]:
        key = (query.path, statement.start)

        def sign(kind: Flavour, what: str, span: Span) -> Evidence:
            return Evidence(kind, what, span, key)

        refs = [b for block in statement.blocks for b in block.tables]
        if statement.target is not None:
            refs.append(statement.target)
        for ref in refs:
            yield from self.table(statement, ref, sign)
        for param in [*statement.params, *(p for block in statement.blocks for p in block.where)]:
            if param.name.name.rsplit(".", 1)[-1].lower() in CC_PARAMS:
                yield sign(Flavour.AWS_CC, f"`{param.name.name}` (a Cloud Control parameter)", param.name.span)
        target = statement.target.name if statement.target else ""
        if statement.kind in ("update", "delete", "replace") and _is_aws(target):
            yield from self.members(target, statement.params, sign)
        for block in statement.blocks:
            if len(block.tables) == 1 and _is_aws(block.tables[0].name):
                yield from self.members(block.tables[0].name, block.where, sign, "select")
        if statement.kind == "insert" and _is_aws(target):
            yield from self.insert(query, anchor, target, sign)

    def table(self, statement: Statement, ref: Ref, sign: Callable[..., Evidence]) -> Iterator[Evidence]:
        name = ref.name.lower()
        if not _is_aws(name):
            return
        if name.endswith(CC_VIEWS) and self.native.resource(name) is None:
            yield sign(Flavour.AWS_CC, f"the Cloud Control view `{ref.name}`", ref.span)
            return
        if statement.kind == "exec" and statement.target is ref:
            owner, _, method = name.rpartition(".")
            resource = self.native.resource(owner)
            if resource is not None and resource.method(method) is not None:
                yield sign(Flavour.AWS_NATIVE, f"`EXEC {ref.name}` (a native method)", ref.span)
            return
        resource = self.native.resource(name)
        if statement.kind == "replace" and statement.target is ref and resource is not None:
            yield sign(Flavour.AWS_NATIVE, f"`REPLACE {ref.name}` (only the native provider has REPLACE)", ref.span)
        elif resource is not None and resource.certain and self.schemas.cfn_type(name) is None:
            yield sign(Flavour.AWS_NATIVE, f"`{ref.name}` (a resource only the native provider has)", ref.span)

    def members(
        self, table: str, found: list[Param], sign: Callable[..., Evidence], verb: str | None = None
    ) -> Iterator[Evidence]:
        """PascalCase keys that are request members: a Cloud Control era statement names none (its keys are
        `data__*`, `region` and snake_case columns)."""
        resource = self.native.resource(table)
        if resource is None:
            return
        methods = resource.bucket(verb) if verb else tuple(resource.methods.values())
        props = self.cfn_properties(table)
        for param in found:
            name = param.name.name.rsplit(".", 1)[-1]
            if not name[:1].isupper() or name.lower().startswith("data__") or name in props:
                continue  # a CloudFormation property name is a Cloud Control mistake as much as a native member
            owner = next((m for m in methods if name in m.params), None)
            if owner is not None:
                yield sign(Flavour.AWS_NATIVE, f"`{name}` (a request member of {owner.op})", param.name.span)

    def insert(self, query: QueryFile, anchor: Anchor, table: str, sign: Callable[..., Evidence]) -> Iterator[Evidence]:
        insert = parse_insert(query.source, anchor)
        if insert is None:
            return
        resource = self.native.resource(table)
        props = self.cfn_properties(table)
        methods = _insert_methods(resource)
        if resource is not None and resource.certain and not resource.bucket("insert") and props:
            yield sign(
                Flavour.AWS_CC, f"`INSERT INTO {insert.target.text}` (no insert method natively)", insert.target.span
            )
            return
        for column in insert.columns:
            name = column.text.strip("`\"'")
            if name.lower() == "region":
                continue
            member = next((m for m in methods if m.param(name) is not None), None)
            wire = member.param(name).name if member is not None else name  # type: ignore[union-attr]
            if name in props and member is None and resource is not None:
                yield sign(Flavour.AWS_CC, f"the CloudFormation property `{name}` (not a request member)", column.span)
            elif member is not None and wire not in props and props:
                yield sign(Flavour.AWS_NATIVE, f"`{name}` (a request member of {member.op})", column.span)

    def cfn_properties(self, table: str) -> set[str]:
        """The CloudFormation properties of the table's Cloud Control type (the `aws` era name, else `awscc`)."""
        if table not in self._props:
            twin = "awscc." + table.split(".", 1)[1]
            cfn = self.schemas.cfn_type(table) or self.schemas.cfn_type(twin)
            schema = self.schemas.schema(cfn) if cfn else None
            self._props[table] = set(schema.get("properties", {})) if schema else set()
        return self._props[table]


def _is_aws(table: str) -> bool:
    return table.lower().startswith("aws.")


def _insert_methods(resource: Resource | None) -> tuple:
    """The methods an INSERT may reach; for a resource whose grouping is a guess, any of its methods."""
    if resource is None:
        return ()
    return resource.bucket("insert") if resource.certain else tuple(resource.methods.values())
