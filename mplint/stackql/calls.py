"""Statements on native `aws.*` resources, each bound to the method StackQL routes it to.

In the native flavour every statement is one AWS API call. StackQL picks the method from the statement's verb
bucket (INSERT -> insert, UPDATE -> update, REPLACE -> replace, DELETE -> delete, SELECT -> select; EXEC names
it): the first method whose required params are all supplied. What the statement supplies is its INSERT
columns, SET targets, WHERE keys and `@` arguments, named by wire name or by a snake_case alias StackQL
re-cases; `region` is the server variable, never a member. A SELECT's WHERE key that is not a request member is
a filter on a column. Values reach members as they reach CloudFormation properties (binding.column_values):
`'{{ prop }}'` is the prop's value, a literal is itself, anything else is Opaque.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from mplint.catalog.native import REGION, Method, NativeCatalog, Param, Routing
from mplint.catalog.native import Resource as NativeResource
from mplint.findings import Span
from mplint.model.manifest import Manifest
from mplint.model.manifest import Resource as ManifestResource
from mplint.model.query import Anchor, Item, QueryFile, Ref, SelectBlock, Statement, parse_insert
from mplint.stackql.binding import Binding, PropertyValue, column_values
from mplint.stackql.provider import Decision, Flavour
from mplint.stackql.scope import Scope, query_scope
from mplint.stackql.templates import facts

VERBS = {"insert": "insert", "update": "update", "replace": "replace", "delete": "delete", "select": "select"}
JSON_BODY = "@json"


class Arg(Struct, eq=False):
    """One name a statement gives the call: an INSERT column, a SET target, a WHERE key or an `@` argument."""

    name: str  # as written (without `@`)
    span: Span  # where the name is written
    role: str  # "column" | "set" | "where" | "arg"
    member: Param | None = None  # the request member it names (None: not a member of the method read against)
    values: list[PropertyValue] = field(default_factory=list)  # what it is given, per environment


class Call(Struct, eq=False):
    """One statement on a native `aws.*` table, bound to the method StackQL routes it to."""

    resource: ManifestResource  # the manifest resource whose query file holds the statement
    query: QueryFile
    anchor: Anchor
    statement: Statement
    verb: str  # select | insert | update | replace | delete | exec
    table: Ref  # the StackQL resource as written (EXEC: `<resource>.<method>`)
    name: str  # aws.<service>.<resource>, lower-cased
    native: NativeResource | None  # None: the native provider has no such resource
    routing: Routing | None = None
    method_name: str | None = None  # EXEC: the method as written
    args: list[Arg] = field(default_factory=list)  # request members (and names that are not members)
    region: Arg | None = None  # the server variable, with its values (never a member)
    filters: list[Arg] = field(default_factory=list)  # SELECT WHERE keys that are not request members
    columns: list[Ref] = field(default_factory=list)  # columns read: the SELECT list, RETURNING
    block: SelectBlock | None = None
    joined: bool = False  # a SELECT block over several sources: its columns and keys are not attributed

    @property
    def method(self) -> Method | None:
        """The method StackQL runs (EXEC: the method named, when the resource has it)."""
        return self.routing.method if self.routing else None


def stack_calls(
    manifest: Manifest,
    queries: dict[int, QueryFile],
    decision: Decision,
    native: NativeCatalog,
    envs: tuple[str, ...],
    bindings: list[Binding] | None = None,
) -> list[Call]:
    """Every statement on a native `aws.*` table in the stack's query files, resource by resource. The
    resources' ``bindings`` (when given) lend their INSERT values, paired once."""
    if decision.aws is not Flavour.AWS_NATIVE:
        return []
    out: list[Call] = []
    for i, resource in enumerate(manifest.resources):
        query = queries.get(resource.index)
        if query is not None:
            binder = _Binder(manifest, resource, query, decision, native, envs)
            binder.binding = bindings[i] if bindings and i < len(bindings) else None
            out.extend(binder.calls())
    return out


class _Binder:
    def __init__(
        self,
        manifest: Manifest,
        resource: ManifestResource,
        query: QueryFile,
        decision: Decision,
        native: NativeCatalog,
        envs: tuple[str, ...],
    ) -> None:
        self.manifest, self.resource, self.query = manifest, resource, query
        self.decision, self.native, self.envs = decision, native, envs
        self.binding: Binding | None = None
        self._scope: Scope | None = None

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = query_scope(self.manifest, self.resource)
        return self._scope

    def is_native(self, name: str) -> bool:
        return self.decision.flavour(name) is Flavour.AWS_NATIVE

    def templated(self, ref: Ref) -> bool:
        """A table name that a template completes (`aws.{{ service }}.roles`): not known before rendering."""
        return self.query.source.text.startswith((".{{", "{{"), ref.end)

    def calls(self) -> Iterator[Call]:
        for anchor in self.query.anchors:
            if anchor.indented or facts(anchor.statement).error:
                continue  # a template that does not parse is MPL111; its SQL cannot be read reliably
            for statement in anchor.statements(self.query.source):
                yield from self.statement(anchor, statement)

    def statement(self, anchor: Anchor, statement: Statement) -> Iterator[Call]:
        target = statement.target
        if target is not None and self.templated(target):
            target = None
        if statement.kind == "exec" and target is not None and self.is_native(target.name):
            yield self.exec(anchor, statement, target)
        elif statement.kind in ("insert", "update", "replace", "delete") and target and self.is_native(target.name):
            yield self.modify(anchor, statement, target)
        for block in statement.blocks:
            for table in block.tables:
                if self.is_native(table.name) and not self.templated(table):
                    yield self.select(anchor, statement, block, table)

    def new(self, anchor: Anchor, statement: Statement, verb: str, table: Ref, name: str) -> Call:
        native = self.native.resource(name)
        return Call(self.resource, self.query, anchor, statement, verb, table, name.lower(), native)

    # -- the verbs -------------------------------------------------------------------------------------
    def modify(self, anchor: Anchor, statement: Statement, table: Ref) -> Call:
        call = self.new(anchor, statement, statement.kind, table, table.name)
        if statement.kind == "insert":
            call.args = self.insert_args(anchor, statement)
            call.columns = [r for r in statement.returning if r.name != "*"]
        else:
            sets = {id(p) for p in statement.sets}
            call.args = [self.param_arg(p, "set" if id(p) in sets else "where") for p in statement.params]
        return self.route(call)

    def select(self, anchor: Anchor, statement: Statement, block: SelectBlock, table: Ref) -> Call:
        call = self.new(anchor, statement, "select", table, table.name)
        call.block, call.joined = block, block.joined or len(block.tables) > 1
        if not call.joined:
            call.args = [self.param_arg(p, "where") for p in block.where]
            where_refs = {id(p.name) for p in block.where}
            call.columns = [ref for ref in block.idents if id(ref) not in where_refs]
        self.route(call)
        if call.native is not None:
            call.filters = [a for a in call.args if a.member is None]
            call.args = [a for a in call.args if a.member is not None]
        return call

    def exec(self, anchor: Anchor, statement: Statement, target: Ref) -> Call:
        owner, _, method = target.name.rpartition(".")
        call = self.new(anchor, statement, "exec", target, owner if owner.count(".") == 2 else target.name)
        call.method_name = method if owner.count(".") == 2 else None
        call.args = [a for p in statement.args for a in self.exec_args(p)]
        found = call.native.method(method.lower()) if call.native and call.method_name else None
        names = [a.name for a in call.args if a.name.lower() != REGION]
        supplied = frozenset(m.name for n in names if found and (m := found.param(n)) is not None)
        call.routing = Routing("exec", found, found, {n: found.param(n) if found else None for n in names}, supplied)
        self.attach(call)
        return call

    def route(self, call: Call) -> Call:
        if call.native is not None:
            verb = VERBS[call.verb]
            call.routing = call.native.routing(verb, [a.name for a in call.args])
        self.attach(call)
        return call

    def attach(self, call: Call) -> None:
        """Set each argument's member from the routing; `region` is the server variable."""
        for arg in call.args:
            if arg.name.lower() == REGION:
                call.region = arg
            elif call.routing is not None:
                arg.member = call.routing.members.get(arg.name)
        call.args = [a for a in call.args if a is not call.region]

    # -- arguments --------------------------------------------------------------------------------------
    def insert_args(self, anchor: Anchor, statement: Statement) -> list[Arg]:
        shared = self.query.insert()
        if shared is not None and shared.anchor is anchor and statement.start <= shared.target.start < statement.end:
            insert = shared  # the INSERT the binding paired with the props
        else:
            insert = parse_insert(self.query.source, anchor, statement)
        if insert is None:
            return []
        paired: dict[int, list[PropertyValue]] = {}
        if self.binding is not None and self.binding.insert is insert:
            for pv in self.binding.values:
                paired.setdefault(id(pv.column), []).append(pv)
        args = []
        for i, column in enumerate(insert.columns):
            name = column.text.strip("`\"'")
            arg = Arg(name, column.span, "column")
            if i < len(insert.values):  # the region's too: where the call goes
                arg.values = paired.get(id(column)) or column_values(column, insert.values[i], self.scope, self.envs)
            args.append(arg)
        return args

    def param_arg(self, param: Any, role: str) -> Arg:
        name = param.name.name.rsplit(".", 1)[-1]
        arg = Arg(name, param.name.span, role)
        if param.value:
            arg.values = self.values(param.name, param.value, param.value_start)
        return arg

    def exec_args(self, param: Any) -> list[Arg]:
        if not param.name.name.strip("@"):
            return []  # a bare `@`: no name to check
        if param.name.name != JSON_BODY:
            return [self.param_arg(param, "arg")]
        values = self.values(param.name, param.value, param.value_start)
        body = values[0].value if len(values) == 1 else None
        if not isinstance(body, dict):
            return []
        span = values[0].node.span
        out = []
        for key, value in body.items():
            pv = PropertyValue(str(key), value, values[0].node, column=None, key_span=span)
            out.append(Arg(str(key), span, "arg", values=[pv]))
        return out

    def values(self, name: Ref, text: str, start: int) -> list[PropertyValue]:
        source = self.query.source
        column = Item(name.name, name.span, name.start)
        item = Item(text, source.offset_span(start, start + len(text)), start)
        return column_values(column, item, self.scope, self.envs)
