"""What the Cloud Control flavour's reads of other tables need: every FROM and JOIN target of a resource's queries.

A resource's own table is read as its operations say (mplint.iam.requirements). Its queries may also read other
tables: another type's view (`awscc.ec2.vpcs_list_only` in a CTE), or a table of the `awscc` provider that is no
CloudFormation type (`awscc.tagging.tagged_resources`, authorised as `tag:GetResources`, from
rules/overlays/native.yaml `tables`). A `type: query` resource has only such reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from mplint.catalog.actions import ActionCatalog, get_catalog
from mplint.catalog.schemas import handler_permissions
from mplint.findings import Span
from mplint.iam import arns
from mplint.iam.arns import Derived
from mplint.iam.native_overlays import load_native_overlays
from mplint.iam.requirements import (
    CLOUD_CONTROL,
    COMMANDS,
    IDENTIFIER_PARAMS,
    Need,
    Origin,
    Requirement,
    State,
    command_anchors,
)
from mplint.model.manifest import Resource
from mplint.model.query import QueryFile
from mplint.stackql.provider import Decision, Flavour
from mplint.stackql.templates import facts

LIST_SUFFIX = "_list_only"


class Read(NamedTuple):
    """One table a SELECT reads (a FROM or JOIN target, in a CTE or subquery too) and its WHERE keys."""

    table: str  # lower case
    keys: tuple[str, ...]
    span: Span


def table_reads(
    resource: Resource,
    decision: Decision,
    query: QueryFile,
    commands: tuple[str, ...],
    own: str | None,
    type_of: Callable[[str], str | None],
    schema_of: Callable[[str], dict | None],
    catalog: ActionCatalog | None = None,
) -> tuple[list[Requirement], tuple[str, ...]]:
    """The requirements of the resource's reads of tables other than its own (``own``, lower case), and the
    tables read."""
    catalog = catalog or get_catalog()
    out: dict[tuple, Requirement] = {}
    tables: dict[str, None] = {}
    for command, use in _reads(resource, decision, query, commands, own):
        for action, op, origin in _actions(use, type_of, schema_of):
            tables[use.table] = None
            info = catalog.action(action)
            wildcard = info is not None and not info.has_resource_level
            target = Derived(arns.UNKNOWN) if wildcard else Derived(arns.UNKNOWN, ("resource",))
            key = (action.lower(), wildcard)
            req = out.get(key)
            if req is None:
                req = out[key] = Requirement(resource, action, target.arn, wildcard, State.BASE, use.span)
                req.unknown = target.unknown
            need = Need(command, op, origin)
            if need not in req.needs:
                req.needs.append(need)
    return list(out.values()), tuple(tables)


def _reads(resource, decision: Decision, query: QueryFile, commands, own) -> Iterator[tuple[str, Read]]:
    for command in COMMANDS:
        if command not in commands:
            continue
        for anchor in command_anchors(resource, query, command):
            if anchor.indented or facts(anchor.statement).error:
                continue  # a template that does not parse is MPL111; its SQL cannot be read reliably
            for read in _selected(query, anchor):
                if read.table in (own, f"{own}{LIST_SUFFIX}"):
                    continue
                if decision.flavour(read.table) in (Flavour.AWSCC, Flavour.AWS_CC):
                    yield command, read


def _selected(query: QueryFile, anchor) -> Iterator[Read]:
    for statement in anchor.statements(query.source):
        for block in statement.blocks:
            keys = tuple(p.name.name.rsplit(".", 1)[-1] for p in block.where)
            for table in block.tables:
                if "." in table.name:  # not a CTE's name or an alias
                    yield Read(table.name.lower(), keys, table.span)


def _actions(use: Read, type_of, schema_of) -> list[tuple[str, str, Origin]]:
    listed = load_native_overlays().tables.get(use.table, {}).get("select")
    if listed:
        return [(action, f"select {use.table}", Origin.NATIVE) for action in listed]
    cfn_type = type_of(use.table)
    if cfn_type is None:
        return []
    if use.table.endswith(LIST_SUFFIX) or not {k.lower() for k in use.keys} & set(IDENTIFIER_PARAMS):
        op = "list"
    else:
        op = "read"
    label = f"{op} {cfn_type}"
    found = [(action, label, Origin.CLOUD_CONTROL) for action in CLOUD_CONTROL[op]]
    return found + [(action, label, Origin.HANDLER) for action in handler_permissions(schema_of(cfn_type) or {}, op)]
