"""MPL109, MPL162-MPL168, MPL240-MPL244: statements on native `aws.*` resources against the methods they call.

Each statement is bound (stackql/calls.py) to the method StackQL routes it to; its names are checked against
that method's request members and response columns, its literal values against the members' shapes with the
one validator. On ec2 resources whose grouping is rebuilt rather than documented, findings are notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mplint.catalog.errors import describe, template_caused
from mplint.catalog.validator import Opaque, RequestValidator, extra_keys
from mplint.context import Context
from mplint.findings import Finding, Level, Related
from mplint.project import Stack
from mplint.registry import owns
from mplint.stackql.binding import Binding, PropertyValue, locate
from mplint.stackql.provider import CC_PARAMS, CC_VIEWS
from mplint.suggest import closest

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from mplint.catalog.native import Method
    from mplint.catalog.native import Resource as NativeResource
    from mplint.stackql.calls import Arg, Call

R = owns(
    __name__,
    "MPL109", "MPL162", "MPL163", "MPL164", "MPL165", "MPL166", "MPL167", "MPL168",
    "MPL240", "MPL241", "MPL242", "MPL243", "MPL244",
)  # fmt: skip

VALUE_RULES = {"type": "MPL240", "enum": "MPL241", "pattern": "MPL242", "range": "MPL243", "required": "MPL244"}
FORM_ENCODED = ("query", "ec2")  # protocols that send every value as text
STATEMENT = {"select": "SELECT", "insert": "INSERT", "update": "UPDATE", "replace": "REPLACE", "delete": "DELETE"}


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if stack.manifest is None:
        return
    checker = _Checker(ctx)
    for call in ctx.calls(stack):
        yield from checker.call(call)
    for binding in ctx.bindings(stack):
        if binding.is_native and binding.via in ("config", "comment") and binding.method is not None:
            yield from checker.props(binding)


class _Checker:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def level(self, resource: NativeResource | None) -> Level | None:
        return Level.NOTE if resource is not None and not resource.certain else None

    # -- one statement ----------------------------------------------------------------------------------
    def call(self, call: Call) -> Iterator[Finding]:
        if call.native is None:
            yield self.unknown_resource(call)
            return
        level = self.level(call.native)
        if call.verb == "exec" and call.method is None:
            yield self.unknown_method(call, level)
            return
        if call.verb != "exec" and not call.native.bucket(call.verb):
            yield self.no_bucket(call, level)
            return
        if call.region is None and not call.native.service.is_global:
            yield R.MPL167(
                f"the {self.what(call)} on `{call.table.name}` has no `region`: StackQL calls the us-east-1 "
                f"endpoint of {call.native.service.name}, whatever region the stack deploys to",
                call.table.span,
            )
        if call.joined:
            return
        yield from self.required(call, level)
        yield from self.ambiguous(call, level)
        read = call.routing.read if call.routing else None
        for arg in call.args:
            if arg.member is None:
                yield self.unknown_arg(call, arg, read, level)
        yield from self.filters(call, level)
        yield from self.columns(call, level)
        if read is not None:
            yield from self.values(read, [(a.member.name, a) for a in call.args if a.member], level)

    def what(self, call: Call) -> str:
        return "EXEC" if call.verb == "exec" else STATEMENT[call.verb]

    def unknown_resource(self, call: Call) -> Finding:
        service = call.name.split(".")[1] if call.name.count(".") == 2 else ""
        names = self.ctx.native.resource_names(service)
        found = self.ctx.native.service(service) if names else None
        short = call.name.rsplit(".", 1)[-1]
        if call.name.count(".") != 2:
            return R.MPL109(
                f"`{call.table.name}` does not name a resource: tables are `aws.<service>.<resource>`", call.table.span
            )
        if short.endswith(CC_VIEWS):
            hint = (
                " (a Cloud Control view: the native provider has no `_list_only` or `_tags` views; "
                "for Cloud Control use `awscc.*`)"
            )
        elif not names:
            hint = f" (no service `{service}`)"
        else:
            best = closest(short, names)
            hint = f" (did you mean `aws.{service}.{best}`?)" if best else ""
        rebuilt = found is not None and found.rebuilt and not short.endswith(CC_VIEWS)
        return R.MPL109(
            f"`{call.name}` is not a resource of the native `aws` provider{hint}",
            call.table.span,
            level=Level.NOTE if rebuilt else None,  # ec2's resource list is rebuilt, not the registry's
        )

    def unknown_method(self, call: Call, level: Level | None) -> Finding:
        assert call.native is not None
        if call.method_name is None:
            message = f"`EXEC {call.table.name}` names no method: EXEC takes `aws.<service>.<resource>.<method>`"
        else:
            owner = _owner_of(call.native, call.method_name)
            best = closest(call.method_name, call.native.methods, cutoff=0.5)
            hint = f" (it is a method of `{owner}`)" if owner else f" (did you mean `{best}`?)" if best else ""
            message = f"`{call.native.id}` has no method `{call.method_name}`{hint}: the EXEC fails"
        if not call.native.complete:
            level = Level.NOTE  # the method list of this resource is partial
        return R.MPL162(message, call.table.span, level=level)

    def no_bucket(self, call: Call, level: Level | None) -> Finding:
        assert call.native is not None
        verbs = ", ".join(f"{STATEMENT[v]} ({', '.join(call.native.verbs[v])})" for v in call.native.verbs)
        how = f"it takes {verbs}" if verbs else "it is reachable only by EXEC"
        hint = ""
        if call.verb == "insert" and "replace" in call.native.verbs:
            hint = "; `REPLACE ... SET ... WHERE ...` writes it"
        return R.MPL162(
            f"`{call.native.id}` has no {call.verb} method, so this {STATEMENT[call.verb]} fails: {how}{hint}",
            call.table.span,
            level=level,
        )

    def required(self, call: Call, level: Level | None) -> Iterator[Finding]:
        routing, native = call.routing, call.native
        assert routing is not None and native is not None
        if routing.method is None:
            if call.verb == "exec" or _misspelt_only(call):
                return
            needs = "; ".join(
                f"{m.name} needs {_names(routing.missing(m))}" for m in native.bucket(call.verb) if routing.missing(m)
            )
            yield R.MPL165(
                f"no {call.verb} method of `{native.id}` can run with what this {STATEMENT[call.verb]} supplies: "
                f"{needs}",
                call.table.span,
                level=level,
            )
            return
        method = routing.method
        missing = routing.missing(method, strict=True)
        if not missing:
            return
        only_aws = [m for m in missing if m not in method.required]
        if call.verb == "exec" and len(only_aws) < len(missing):
            reason = "StackQL cannot call it without them"
        else:
            reason = "StackQL routes the call without them, but AWS rejects the request"
        yield R.MPL165(
            f"this {self.what(call)} calls {method.op} (`{method.name}`), which also needs {_names(missing)}: {reason}",
            call.table.span,
            level=level,
        )

    def ambiguous(self, call: Call, level: Level | None) -> Iterator[Finding]:
        """A later method of the bucket that is runnable with, and takes, every member the statement gives."""
        routing, native = call.routing, call.native
        if routing is None or routing.method is None or native is None or call.verb in ("exec", "select"):
            return
        routed = routing.method
        names = [a.name for a in call.args]
        if not names or any(routed.param(n) is None for n in names):
            return
        bucket = native.bucket(call.verb)
        for other in bucket[bucket.index(routed) + 1 :]:
            if not routing.missing(other) and all(other.param(n) is not None for n in names):
                yield R.MPL168(
                    f"this {STATEMENT[call.verb]} runs {routed.op} (`{routed.name}`), the first {call.verb} method "
                    f"whose required members it gives; {other.op} takes the same members: to call it, use "
                    f"`EXEC {native.id}.{other.name}`",
                    call.table.span,
                    level=level,
                )
                return

    def unknown_arg(self, call: Call, arg: Arg, read: Method | None, level: Level | None) -> Finding:
        assert call.native is not None
        if read is None:
            where = f"any {call.verb} method of `{call.native.id}`"
        else:
            where = f"{read.op} (`{read.name}`), the operation this {self.what(call)} calls"
        hint = self.member_hint(call, arg.name, read)
        if arg.role == "where":
            return R.MPL166(f"`{arg.name}` is not a request member of {where}{hint}", arg.span, level=level)
        return R.MPL163(f"`{arg.name}` is not a request member of {where}{hint}", arg.span, level=level)

    def member_hint(self, call: Call, name: str, read: Method | None) -> str:
        """Did you mean, the method that does take it, or the Cloud Control twin that has it as a property."""
        assert call.native is not None
        if name.lower() in CC_PARAMS:
            return " (a Cloud Control parameter: the native provider has none; for Cloud Control use `awscc.*`)"
        hints: list[str] = []
        specific = False
        for method in [read, *(m for m in call.native.bucket(call.verb) if m is not read)]:
            if method is None:
                continue
            spelled = method.param(name)
            wire = spelled.name if spelled is not None else method.similar(name)
            if wire is None:
                continue
            if wire != name:
                hints.append(f"did you mean `{wire}`?{_recasing(name, wire)}")
                specific = True
            if method is not read:
                missing = call.routing.missing(method) if call.routing else ()
                why = f", which needs {_names(missing)}" if missing else ""
                hints.append(f"it is a member of {method.op}{why}: StackQL does not route this statement to it")
            break
        if not hints and read is not None:
            best = closest(name, read.params, cutoff=0.7)
            hints += [f"did you mean `{best}`?"] if best else []
        twin = self.twin(call.native)
        if twin is not None and name in twin[1] and not specific:
            hints.append(
                f"`{name}` is a CloudFormation property of {twin[0]}: if the stack is written for Cloud Control, "
                f"use `awscc.{call.native.service.key}.{call.native.name}`"
            )
        return f" ({'; '.join(hints)})" if hints else ""

    def twin(self, resource: NativeResource) -> tuple[str, set[str]] | None:
        """The Cloud Control twin's type and properties."""
        schemas = self.ctx.schemas
        cfn = schemas.cfn_type(f"awscc.{resource.service.key}.{resource.name}") or schemas.cfn_type(resource.id)
        schema = schemas.schema(cfn) if cfn else None
        return (cfn, set(schema.get("properties", {}))) if cfn and schema else None

    def filters(self, call: Call, level: Level | None) -> Iterator[Finding]:
        method = call.method
        if call.verb != "select" or method is None or method.response is None or not method.response.known:
            return
        for arg in call.filters:
            if arg.name in method.columns:
                continue
            hint = self.member_hint(call, arg.name, method)
            if not hint:
                best = closest(arg.name, method.columns)
                hint = f" (did you mean `{best}`?)" if best else ""
            yield R.MPL166(
                f"`{arg.name}` is neither a request member of {method.op} (`{method.name}`, the method this SELECT "
                f"calls) nor one of its columns{hint}",
                arg.span,
                level=level,
            )

    def columns(self, call: Call, level: Level | None) -> Iterator[Finding]:
        method = call.method
        if method is None or method.response is None or not method.response.known:
            return
        block = call.block
        aliases = {c.name for c in block.columns if c.name and c.name != c.column} if block else set()
        for ref in call.columns:
            name = ref.name.rsplit(".", 1)[-1]
            if name in method.columns or name in aliases or name == "*":
                continue
            best = closest(name, method.columns)
            hint = f" (did you mean `{best}`?)" if best else ""
            yield R.MPL164(
                f"`{name}` is not a column of {method.op} (`{method.name}`, the method this {self.what(call)} "
                f"calls){hint}: columns are the snake_case names of the returned fields",
                ref.span,
                level=level,
            )

    # -- values -------------------------------------------------------------------------------------------
    def props(self, binding: Binding) -> Iterator[Finding]:
        """A native resource bound by name (config or comment): its props are the insert method's members."""
        from mplint.stackql.calls import Arg

        method, native = binding.method, binding.native
        assert method is not None and native is not None
        level = self.level(native)
        known: list[tuple[str, Arg]] = []
        for pv in binding.values:
            param = method.param(pv.property)
            span = pv.key_span or pv.node.span
            if param is None:
                best = method.similar(pv.property) or closest(pv.property, method.params, cutoff=0.7)
                hint = f" (did you mean `{best}`?)" if best else ""
                yield R.MPL163(f"`{pv.property}` is not a request member of {method.op}{hint}", span, level=level)
            else:
                known.append((param.name, Arg(pv.property, span, "column", param, [pv])))
        yield from self.values(method, known, level)

    def validator(self, method: Method) -> RequestValidator:
        return self.ctx.request_validator(method, method.service.protocol in FORM_ENCODED)

    def values(self, method: Method, args: list[tuple[str, Arg]], level: Level | None) -> Iterator[Finding]:
        envs = sorted({pv.env for _, arg in args for pv in arg.values if pv.env}) or [None]
        validator = self.validator(method)
        for env in envs:
            given: dict[str, tuple[PropertyValue, Arg]] = {}
            for member, arg in args:
                for pv in arg.values:
                    if pv.env in (None, env):
                        given[member] = (pv, arg)
            instance = {member: pv.value for member, (pv, _) in given.items()}
            if all(isinstance(value, Opaque) for value in instance.values()):
                continue  # nothing known before deployment
            for error in validator.iter_errors(instance):
                if not template_caused(error):
                    yield from self.value_error(error, given, method, level)

    def value_error(
        self, error: ValidationError, given: dict[str, tuple[PropertyValue, Arg]], method: Method, level: Level | None
    ) -> Iterator[Finding]:
        path = list(error.absolute_path)
        if not path or path[0] not in given:
            return  # top-level names are checked against the members before
        pv, arg = given[path[0]]
        related = _passed_by(pv, arg)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for extra in sorted(extra_keys(error.schema, error.instance)):
                span, via = locate(pv, [*path[1:], extra], key=True)
                best = closest(extra, known)
                hint = f" (did you mean `{best}`?)" if best else ""
                yield R.MPL163(
                    f"`{_where(path)}` has no member `{extra}`{hint}",
                    span,
                    level=level,
                    related=via + related,
                    key_path=(*path, extra),
                )
            return
        kind, message = describe(error, _where(path))
        rule = VALUE_RULES.get(kind)
        if rule is None:
            return  # a pattern the regex engine cannot compile: not the stack's fault
        span, via = locate(pv, path[1:])
        yield R.emit(rule, message, span, level=level, related=via + related, key_path=tuple(path))


def _misspelt_only(call: Call) -> bool:
    """What the read method misses is only names written in another spelling (reported as unknown, with the
    right spelling): one finding for one mistake."""
    read = call.routing.read if call.routing else None
    if read is None:
        return False
    missing = set(call.routing.missing(read)) if call.routing else set()
    respelt = {read.similar(a.name) for a in call.args if a.member is None}
    return bool(missing) and missing <= respelt


def _owner_of(resource: NativeResource, method: str) -> str | None:
    """The resource of the same service that has ``method``, if one does."""
    service = resource.service
    for name in service.resource_names:
        other = service.resource(name)
        if other is not None and other is not resource and other.method(method) is not None:
            return other.id
    return None


def _passed_by(pv: PropertyValue, arg: Arg) -> tuple[Related, ...]:
    """The statement's name for the member, when the value is written elsewhere (a prop in the manifest)."""
    if pv.node.span.path != arg.span.path:
        return (Related(arg.span, f"passed to `{arg.name}` here"),)
    return ()


def _where(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _recasing(name: str, wire: str) -> str:
    if name.islower() and "_" in name and wire[:1].islower():
        return " (StackQL re-cases snake_case names to PascalCase; this service's members are camelCase)"
    if name.islower() and "_" in name and wire[:1].isupper():
        return " (StackQL re-cases snake_case names, but not acronyms)"
    if wire.islower() and not name.islower():
        return " (path parameters are snake_case)"
    return ""


def _names(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)
