"""Runs one declarative rule (rules/*.yaml or a user rule folder with `assert:`) over the project.

A resource rule is evaluated once per manifest resource of its types and per environment; an identity
rule once per deploying identity that has policies. A subject the rule cannot evaluate becomes a tool
notification; the other subjects are still checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from mplint.catalog.actions import get_catalog
from mplint.context import Context
from mplint.declarative.spec import Evidence, Grants, Props, Spec
from mplint.findings import Finding, Notification, Span
from mplint.iam.evaluator import Evaluator, Request
from mplint.project import Identity, Stack
from mplint.registry import Rule
from mplint.stackql.binding import Binding

Item = Finding | Notification


def check_rule(ctx: Context, rule: Rule) -> Iterator[Item]:
    spec: Spec = rule.extra["declarative"]
    if spec.resources:
        yield from _resource_rule(ctx, rule, spec)
    else:
        yield from _identity_rule(ctx, rule, spec)


# ---------------------------------------------------------------------------
# Resources


def _resource_rule(ctx: Context, rule: Rule, spec: Spec) -> Iterator[Item]:
    types = _types(ctx, spec.resources)
    for stack in ctx.project.stacks:
        manifest = stack.manifest
        if manifest is None or not spec.when.stack(manifest.name, stack.path):
            continue
        for binding in ctx.bindings(stack):
            if not spec.when.names(binding.resource.name) or not _of_type(binding, spec.resources, types):
                continue
            try:
                yield from _binding(ctx, rule, spec, stack, binding)
            except Exception as exc:  # odd data must not stop the other resources
                yield _crash(rule, exc, binding.resource.anchor_span)


def _types(ctx: Context, names: tuple[str, ...]) -> set[str]:
    """The CloudFormation types the rule names, directly or by a StackQL name of any provider flavour."""
    out = set()
    for name in names:
        cfn = name if "::" in name else ctx.schemas.cfn_type(name.lower())
        if cfn:
            out.add(cfn)
    return out


def _of_type(binding: Binding, names: tuple[str, ...], types: set[str]) -> bool:
    if binding.cfn_type is None:
        return False
    if binding.cfn_type in types:
        return True
    stackql = (binding.stackql_name or "").lower()
    return any(fnmatchcase(binding.cfn_type, n) or fnmatchcase(stackql, n.lower()) for n in names)


def _binding(ctx: Context, rule: Rule, spec: Spec, stack: Stack, binding: Binding) -> Iterator[Finding]:
    envs = sorted({v.env for v in binding.values if v.env}) or list(ctx.envs or ctx.config.envs) or [None]
    resource = binding.resource
    for env in envs:
        if not spec.when.environment(env):
            continue
        props = Props({}, {})
        for value in binding.values:
            if value.env in (None, env):
                props.values[value.property] = value.value
                props.nodes[value.property] = value.node
        outcome = spec.condition.evaluate(props)
        if outcome.holds is not False:
            continue
        facts = {
            "id": rule.id, "name": rule.name, "resource": resource.name or f"#{resource.index + 1}",
            "type": binding.cfn_type or "", "stackql": binding.stackql_name or "", "env": env or "every environment",
            "manifest": stack.manifest.name if stack.manifest and stack.manifest.name else stack.path,
        }  # fmt: skip
        yield _finding(rule, spec, outcome.evidence, facts, resource.anchor_span, ("resources", resource.index))


# ---------------------------------------------------------------------------
# Identities


def _identity_rule(ctx: Context, rule: Rule, spec: Spec) -> Iterator[Item]:
    for name, identity in sorted(ctx.project.identities.items()):
        if not identity.given or not any(fnmatchcase(name, p) for p in spec.identities):
            continue
        try:
            outcome = spec.condition.evaluate(_grants(identity))
        except Exception as exc:
            yield _crash(rule, exc, identity.policies[0].document.span)
            continue
        if outcome.holds is False:
            facts = {"id": rule.id, "name": rule.name, "identity": name, "policy": identity.policies[0].name}
            yield _finding(
                rule, spec, outcome.evidence, facts, identity.policies[0].document.span, ("identities", name)
            )


def _grants(identity: Identity) -> Grants:
    evaluator = Evaluator(identity.policies, identity.boundary, identity.scps)
    return Grants(lambda action, resource: evaluator.evaluate(Request(action, resource)), _expand)


def _expand(pattern: str) -> list[str]:
    return get_catalog().expand(pattern)


# ---------------------------------------------------------------------------


def _finding(
    rule: Rule, spec: Spec, evidence: Evidence | None, facts: dict[str, str], anchor: Span, key: tuple
) -> Finding:
    if evidence is not None:
        facts = {**facts, **evidence.facts}
    span = evidence.span if evidence is not None and evidence.span is not None else anchor
    return Finding(rule.id, spec.format(facts), span, key_path=key)


def _crash(rule: Rule, exc: Exception, span: Span) -> Notification:
    return Notification(f"rule {rule.id} failed here: {type(exc).__name__}: {exc}", span=span, rule_id=rule.id)
