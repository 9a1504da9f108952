"""What a check sees: the loaded project, the configuration and the catalogs, with shared analyses computed once."""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec import Struct, field

from mplint.catalog.schemas import SchemaCatalog, default_catalog
from mplint.config import Config
from mplint.findings import Level
from mplint.project import Identity, Project, Stack
from mplint.share import Share, StackActions
from mplint.suppress import Inline, Suppressions

if TYPE_CHECKING:
    from mplint.catalog.native import Method, NativeCatalog
    from mplint.catalog.validator import RequestValidator, TypeValidator
    from mplint.iam.assess import ResourceReport
    from mplint.iam.evaluator import Evaluator
    from mplint.iam.requirements import ResourceNeeds
    from mplint.iam.resource_policies import StackPolicies
    from mplint.registry import Rule, Selection
    from mplint.stackql.binding import Binding
    from mplint.stackql.calls import Call
    from mplint.stackql.provider import Decision
    from mplint.stackql.target import Target, Use

T = TypeVar("T")
_VALIDATORS: weakref.WeakKeyDictionary[SchemaCatalog, dict[str, TypeValidator | None]] = weakref.WeakKeyDictionary()
_REQUESTS: weakref.WeakKeyDictionary[Method, dict[bool, RequestValidator]] = weakref.WeakKeyDictionary()


class Context(Struct, eq=False, dict=True, weakref=True):  # cached properties; weakref.proxy in checks.policy
    """What a check sees of one run: the project, its settings and rules, and analyses computed once."""

    project: Project
    envs: tuple[str, ...] = ()
    engine: int | None = None  # stackql-deploy major version to target (1 or 2); None: the stack's own evidence, else 2
    rules: dict[str, Rule] = field(default_factory=dict)  # the run's rules, for their levels
    suppressions: Suppressions = field(default_factory=lambda: Suppressions())  # outside the linted files
    selection: Selection | None = None  # the rules this run reports (None: every rule) and their levels
    today: datetime.date = field(default_factory=datetime.date.today)  # for suppression expiry
    share: Share | None = None  # this run's share of the part, when the part is linted in several runs

    def __post_init__(self) -> None:
        if self.selection is None:
            from mplint.registry import Selection, builtin_rules

            self.selection = Selection.every(self.rules or builtin_rules())

    _cache: dict[tuple[str, int], Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.project.config

    @cached_property
    def schemas(self) -> SchemaCatalog:
        return default_catalog()  # one per process: a server's runs share the opened archive and parsed schemas

    @property
    def native(self) -> NativeCatalog:
        """The native `aws` provider catalog (each service read on first use)."""
        from mplint.catalog.native import default_native_catalog

        return default_native_catalog()

    def level(self, rule_id: str) -> Level:
        """The level a finding of the rule gets in this run: the config's, else the rule's own."""
        configured = self.selection.levels.get(rule_id) if self.selection else None
        if configured is not None:
            return configured
        rule = self.rules.get(rule_id)
        if rule is None:
            from mplint.registry import builtin_rules

            rule = builtin_rules().get(rule_id)
        return rule.level if rule else Level.ERROR

    def validator(self, cfn_type: str) -> TypeValidator | None:
        """The type's resource schema compiled for validation, once per type and catalog in the process (a run
        in chunks, a server's runs) (None: no schema)."""
        from mplint.catalog.validator import resource_validator

        compiled = _VALIDATORS.setdefault(self.schemas, {})
        if cfn_type not in compiled:
            schema = self.schemas.schema(cfn_type)
            compiled[cfn_type] = resource_validator(schema) if schema else None
        return compiled[cfn_type]

    def request_validator(self, method: Method, form_encoded: bool) -> RequestValidator:
        """A native method's request compiled for validation, once per method in the process (as `validator`)."""
        from mplint.catalog.validator import member_validator

        compiled = _REQUESTS.setdefault(method, {})
        if form_encoded not in compiled:
            compiled[form_encoded] = member_validator(method.schema, form_encoded=form_encoded)
        return compiled[form_encoded]

    def inline_comments(self) -> list[Inline]:
        """The `# mplint: disable=...` comments of every file read."""
        from mplint.suppress import inline_comments

        return self.once("inline", self.project, lambda: inline_comments(self.project.sources))

    def once(self, kind: str, key: object, compute: Callable[[], T]) -> T:
        """``compute()``, once per run for this kind of analysis and this key object (a stack, a policy, ...)."""
        slot = (kind, id(key))
        if slot not in self._cache:
            self._cache[slot] = compute()
        return self._cache[slot]

    def flavours(self, stack: Stack) -> Decision:
        """Which flavour the stack's `aws.*` tables are: the pin, else the stack's evidence, else native."""
        from mplint.stackql.provider import decide

        if stack.manifest is None:
            raise ValueError("a stack without a manifest has no providers")
        manifest = stack.manifest
        return self.once("flavours", stack, lambda: decide(manifest, stack.queries, self.schemas, lambda: self.native))

    def bindings(self, stack: Stack) -> list[Binding]:
        """One binding per manifest resource."""
        return self.once("bindings", stack, lambda: self._bind(stack))

    def calls(self, stack: Stack) -> list[Call]:
        """Every statement on a native `aws.*` table, bound to the method StackQL routes it to."""
        if stack.manifest is None or not self.flavours(stack).native:
            return []  # the native catalog is not even imported
        from mplint.stackql.calls import stack_calls

        if stack.manifest is None:
            return []
        manifest, envs = stack.manifest, self.envs or self.config.envs
        return self.once(
            "calls",
            stack,
            lambda: stack_calls(manifest, stack.queries, self.flavours(stack), self.native, envs, self.bindings(stack)),
        )

    def uses_2x(self, stack: Stack) -> list[Use]:
        """Every use of 2.x-only syntax in the stack, in file order."""
        from mplint.stackql.target import find_uses

        return self.once("uses_2x", stack, lambda: find_uses(stack))

    def target(self, stack: Stack) -> Target:
        """The stackql-deploy major version the stack is checked for."""
        from mplint.stackql.target import decide

        return self.once("target", stack, lambda: decide(stack, self.engine, self.uses_2x(stack)))

    def needs(self, stack: Stack) -> list[ResourceNeeds]:
        """What each resource of a known type needs, per command and operation."""
        from mplint.iam.requirements import stack_needs

        if stack.manifest is None:
            return []
        config = self.config
        return self.once(
            "needs",
            stack,
            lambda: stack_needs(
                self.bindings(stack),
                stack.manifest,
                stack.queries,
                self.schemas.schema,
                config.commands,
                config.account,
                self.flavours(stack),
                self.calls(stack),
                lambda: self.native,
                self.schemas.cfn_type,
            ),
        )

    def stack_actions(self) -> frozenset[str] | None:
        """The actions the project's stacks need (lower case); None when no stack has a manifest."""
        stacks = [s for s in self.project.stacks if s.manifest is not None]
        if not stacks:
            return None
        return frozenset(r.action.lower() for stack in stacks for needs in self.needs(stack) for r in needs.needed)

    def stack_actions_summary(self) -> StackActions:
        """`stack_actions()` as data for another run of the part, a failure included."""
        try:
            return StackActions(self.stack_actions())
        except Exception as exc:  # reported where the actions are used (MPL424)
            return StackActions(None, f"{type(exc).__name__}: {exc}")

    def evaluator(self, identity: Identity) -> Evaluator:
        """The identity's policies, compiled once."""
        from mplint.iam.assess import compile_identity

        return self.once("evaluator", identity, lambda: compile_identity(identity))

    def resource_policies(self, stack: Stack) -> StackPolicies:
        """The KMS key, bucket and trust policies the stack declares."""
        from mplint.iam.resource_policies import StackPolicies

        return self.once(
            "resource-policies",
            stack,
            lambda: StackPolicies.of(self.bindings(stack), stack.manifest, self.calls(stack)),  # type: ignore[arg-type]
        )

    def permission_reports(self, stack: Stack) -> list[ResourceReport]:
        """Each resource's needs with the deploying identity's verdict on each (when policies are given)."""
        return self.once("permissions", stack, lambda: self._judge(stack))

    def _judge(self, stack: Stack) -> list[ResourceReport]:
        from mplint.iam.assess import ResourceReport, identity_for, judge

        identities = self.project.identities
        judged = any(identity.given for identity in identities.values())
        out: list[ResourceReport] = []
        for needs in self.needs(stack):
            report = ResourceReport(stack.path, needs)
            out.append(report)
            resource = needs.resource
            report.identity, report.unchecked = identity_for(
                resource.name or "",
                resource.node.key("auth"),
                self.config.resource_identities,
                identities,
                resource.anchor_span,
            )
            given = judged and report.identity is not None and report.identity.given
            evaluator = self.evaluator(report.identity) if given and report.identity else None
            judge(report, evaluator, self.resource_policies(stack) if evaluator else None)
            if not judged:
                report.identity, report.unchecked = None, None
        return out

    def _bind(self, stack: Stack) -> list[Binding]:
        from mplint.stackql.binding import bind

        manifest = stack.manifest
        if manifest is None:
            return []
        envs = self.envs or self.config.envs
        decision = self.flavours(stack)
        return [
            bind(
                manifest,
                resource,
                stack.queries.get(resource.index),
                self.schemas.cfn_type,
                self.config.resources.get(resource.name or ""),
                envs,
                decision,
                self.native if decision.native else None,
            )
            for resource in manifest.resources
        ]
