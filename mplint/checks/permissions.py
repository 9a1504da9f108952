"""MPL3xx: can the deploying identity do what each stackql-deploy command needs?

The requirements come from mplint.iam.requirements (operations, handler permissions, overlays, ARNs);
each needed action is judged by the identity's compiled policies (mplint.iam.evaluator). No policy
given: no finding at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from mplint.context import Context
from mplint.findings import Finding, Level, Related
from mplint.iam.evaluator import Decision, Evaluator, Request, StatementMatch, Verdict
from mplint.iam.requirements import Origin, Requirement, ResourceNeeds, State, stack_needs
from mplint.model.manifest import Resource
from mplint.model.policy import PolicyKind
from mplint.project import Identity, Stack
from mplint.registry import builtin_rules

NOT_GRANTED = "MPL301"
DENIED = "MPL302"
CONDITIONAL = "MPL303"
OTHER_RESOURCES = "MPL304"
UNKNOWN_RESOURCE = "MPL305"
PROPERTY_NOT_GRANTED = "MPL306"
BOUNDARY = "MPL307"
SCP = "MPL308"
UNCHECKED_IDENTITY = "MPL309"
LOWER = {Level.ERROR: Level.WARNING, Level.WARNING: Level.NOTE, Level.NOTE: Level.NOTE}
FAILS = {
    Origin.HANDLER: "Cloud Control runs the handler with the caller's credentials, so the operation fails at "
    "deploy time and stackql-deploy 1.x reports it only as a statecheck timeout",
    Origin.CLOUD_CONTROL: "Cloud Control refuses the request, so stackql-deploy stops with an access-denied error",
    Origin.NATIVE: "the API call is refused at deploy time",
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict on one requirement and the rule it falls under (None: granted)."""

    requirement: Requirement
    verdict: Verdict
    rule: str | None
    probe: Verdict | None = None  # the action on any resource, when not granted on the manifest's


def check(ctx: Context) -> Iterator[Finding]:
    identities = ctx.project.identities
    if not any(identity.given for identity in identities.values()):
        return
    evaluators: dict[str, Evaluator] = {}
    for stack in ctx.project.stacks:
        for needs in resource_needs(ctx, stack):
            identity, problem = identity_for(needs.resource, ctx, identities)
            if problem is not None:
                yield problem
            if identity is not None and identity.given:
                yield from _findings(needs, evaluator_for(identity, evaluators), identity)


def _findings(needs: ResourceNeeds, evaluator: Evaluator, identity: Identity) -> Iterator[Finding]:
    """One finding per rule, place and action (an action needed on several ARNs is one finding)."""
    groups: dict[tuple, list[Assessment]] = {}
    for requirement in needs.needed:
        assessment = assess(requirement, evaluator)
        if assessment.rule is not None:
            maybe = requirement.state is State.MAYBE
            key = (assessment.rule, requirement.span, requirement.action.lower(), maybe)
            groups.setdefault(key, []).append(assessment)
    for group in groups.values():
        yield finding(group, identity)


def evaluator_for(identity: Identity, cache: dict[str, Evaluator]) -> Evaluator:
    """The identity's policies, compiled once per run."""
    if identity.name not in cache:
        cache[identity.name] = Evaluator(identity.policies, identity.boundary, identity.scps)
    return cache[identity.name]


def resource_needs(ctx: Context, stack: Stack) -> list[ResourceNeeds]:
    if stack.manifest is None:
        return []
    config = ctx.config
    bindings = ctx.bindings(stack)
    return stack_needs(bindings, stack.manifest, stack.queries, ctx.schemas.schema, config.commands, config.account)


def identity_for(
    resource: Resource, ctx: Context, identities: dict[str, Identity]
) -> tuple[Identity | None, Finding | None]:
    """The identity that deploys the resource: `resource-identities` in config, else the default one."""
    name = ctx.config.resource_identities.get(resource.name or "")
    if name is not None:
        identity = identities.get(name)
        if identity is None:
            message = (
                f"`resource-identities` maps `{resource.name}` to the identity `{name}`, which `identities` "
                "does not define, so its permissions are not checked"
            )
            return None, Finding(UNCHECKED_IDENTITY, message, resource.anchor_span, key_path=(resource.name or "",))
        return identity, None
    default = identities.get("default")
    auth = resource.node.key("auth")
    if auth is not None and default is not None and default.given:
        message = (
            f"`{resource.name}` deploys with its own `auth:` credentials and `resource-identities` does not "
            "name their identity, so its permissions are not checked against the default identity's policies"
        )
        return None, Finding(UNCHECKED_IDENTITY, message, auth.span, key_path=(resource.name or "",))
    return default, None


# ---------------------------------------------------------------------------
# Judging one requirement


def assess(requirement: Requirement, evaluator: Evaluator) -> Assessment:
    verdict = evaluator.evaluate(requirement.request)
    decision = verdict.decision
    if decision is Decision.GRANTED:
        return Assessment(requirement, verdict, None)
    if decision is not Decision.NOT_GRANTED:
        rule = {Decision.DENIED: DENIED, Decision.CONDITIONAL: CONDITIONAL}.get(decision, UNKNOWN_RESOURCE)
        return Assessment(requirement, verdict, rule)
    if "identity" not in verdict.missing:
        return Assessment(requirement, verdict, BOUNDARY if "boundary" in verdict.missing else SCP)
    probe = evaluator.evaluate(Request(requirement.action, "*"))
    if _identity_allows(probe):
        return Assessment(requirement, verdict, OTHER_RESOURCES, probe)
    return Assessment(requirement, verdict, NOT_GRANTED if requirement.state is State.BASE else PROPERTY_NOT_GRANTED)


def _identity_allows(probe: Verdict) -> bool:
    return any(m.policy.kind is PolicyKind.IDENTITY for m in probe.allowed_by)


def level_of(assessment: Assessment) -> Level | None:
    """The rule's level, one lower when the action is needed only if a property turns out to be set."""
    if assessment.rule is None:
        return None
    rule = builtin_rules().get(assessment.rule)
    level = rule.level if rule else Level.ERROR
    return LOWER[level] if assessment.requirement.state is State.MAYBE else level


def finding(group: list[Assessment], identity: Identity) -> Finding:
    """One finding for the assessments of one action at one place under one rule (one ARN or several)."""
    assessment = _merged(group)
    req = assessment.requirement
    level = level_of(assessment) if req.state is State.MAYBE else None
    related_spans = tuple(dict.fromkeys(r for a in group for r in related(a, identity)))
    return Finding(
        assessment.rule or NOT_GRANTED,
        message(assessment, identity),
        req.span,
        level=level,
        related=related_spans,
        key_path=(req.resource.name or str(req.resource.index), req.action),
        properties={
            "action": req.action,
            "resources": [a.requirement.arn for a in group],
            "decision": assessment.verdict.decision.value,
        },
    )


def _merged(group: list[Assessment]) -> Assessment:
    """The first assessment, its requirement standing for all: every ARN, every command and operation."""
    first = group[0]
    if len(group) == 1:
        return first
    req = first.requirement
    arns = list(dict.fromkeys(a.requirement.arn for a in group))
    needs = list(dict.fromkeys(n for a in group for n in a.requirement.needs))
    unknown = tuple(dict.fromkeys(u for a in group for u in a.requirement.unknown))
    merged = Requirement(
        req.resource,
        req.action,
        "` and `".join(arns),
        req.wildcard_only,
        req.state,
        req.span,
        req.trigger,
        req.overlays,
        unknown,
        needs,
    )
    return Assessment(merged, first.verdict, first.rule, first.probe)


# ---------------------------------------------------------------------------
# Messages


def message(assessment: Assessment, identity: Identity) -> str:
    req = assessment.requirement
    subject, plural = who(req)
    text = (
        f"{subject} need{'' if plural else 's'} `{req.action}`{on(req)}{because(req)}, {problem(assessment, identity)}"
    )
    return f"{text[0].upper()}{text[1:]}: {consequence(assessment)}."


def who(req: Requirement) -> tuple[str, bool]:
    """`the create and update handlers that `build` runs`, and whether that is plural."""
    parts: list[str] = []
    plural = False
    for origin in (Origin.HANDLER, Origin.CLOUD_CONTROL, Origin.NATIVE):
        by_command: dict[str, list[str]] = {}
        for need in req.needs:
            if need.origin is origin:
                by_command.setdefault(need.command, [])
                if need.operation not in by_command[need.command]:
                    by_command[need.command].append(need.operation)
        if not by_command:
            continue
        ops = list(dict.fromkeys(op for group in by_command.values() for op in group))
        many = len(ops) > 1 or len(by_command) > 1
        plural = plural or many
        if len(by_command) == 1:  # `the create and update handlers that `build` runs`
            kind = join_and(ops) + " "
            commands = f"`{next(iter(by_command))}`"
        else:  # `the handlers that `build` (create, update) and `teardown` (delete) run`
            kind = ""
            commands = join_and([f"`{c}` ({', '.join(group)})" for c, group in by_command.items()])
        if origin is Origin.HANDLER:
            verb = "run" if len(by_command) > 1 else "runs"
            parts.append(f"the {kind}handler{'s' if many else ''} that {commands} {verb}")
        elif origin is Origin.CLOUD_CONTROL:
            parts.append(f"Cloud Control's {kind}request{'s' if many else ''} from {commands}")
        else:
            parts.append(f"the {kind}API call{'s' if many else ''} of {commands}")
    return " and ".join(parts), plural or len(parts) > 1


def on(req: Requirement) -> str:
    if req.wildcard_only:
        return ""
    if req.arn == "*":
        return " on a resource the manifest does not name"
    return f" on `{req.arn}`"


def because(req: Requirement) -> str:
    trigger = req.trigger
    if trigger is None:
        return ""
    where = f" for `{trigger.env}`" if trigger.env else ""
    if req.state is State.MAYBE:
        return f" if `{trigger.path}`{where} calls for it (its value is not known before deployment)"
    return f" because `{trigger.path}` is set{where}"


def problem(assessment: Assessment, identity: Identity) -> str:
    verdict, rule = assessment.verdict, assessment.rule
    if rule == DENIED:
        deny = verdict.deciding[0]
        return f"but {deny.statement.label} of {short_name(deny.policy.name)} denies it"
    if rule == CONDITIONAL:
        keys = ", ".join(verdict.condition_keys) or "the request"
        denies = [m for m in verdict.deciding if m.effect == "Deny"]
        if denies:
            deny = denies[0]
            return f"but {deny.statement.label} of {short_name(deny.policy.name)} denies it under conditions on {keys}"
        return f"but {policy_names(identity)} allow{_s(identity)} it only under conditions on {keys}"
    if rule == UNKNOWN_RESOURCE:
        patterns = _patterns(verdict.deciding)
        unknown = describe(assessment.requirement.unknown) or "resource"
        return (
            f"and the policies allow it on {patterns}, which may not include it "
            f"because the manifest does not tell the {unknown}"
        )
    if rule == OTHER_RESOURCES:
        where = _patterns(_identity_matches(assessment.probe))
        return f"but {policy_names(identity)} allow{_s(identity)} it only on {where}"
    if rule == BOUNDARY and identity.boundary is not None:
        return f"but the permissions boundary {short_name(identity.boundary.name)} does not allow it"
    if rule == SCP:
        names = [s.split(":", 1)[1] for s in verdict.missing if s.startswith("scp:")]
        return f"but the SCP {join_and([short_name(n) for n in names])} does not allow it"
    return f"and no statement of {policy_names(identity)} allows it"


def consequence(assessment: Assessment) -> str:
    origins = assessment.requirement.origins
    base = FAILS[
        Origin.HANDLER
        if Origin.HANDLER in origins
        else Origin.NATIVE
        if Origin.NATIVE in origins
        else Origin.CLOUD_CONTROL
    ]
    if assessment.rule == UNKNOWN_RESOURCE:
        return "mplint cannot tell whether the deploy is allowed"
    if assessment.rule == CONDITIONAL:
        return f"if the request does not meet them, {base}"
    return base


def describe(unknown: tuple[str, ...]) -> str:
    from mplint.iam.arns import describe_unknown

    return describe_unknown(unknown)


def _identity_matches(probe: Verdict | None) -> tuple[StatementMatch, ...]:
    if probe is None:
        return ()
    return tuple(m for m in probe.allowed_by if m.policy.kind is PolicyKind.IDENTITY)


def _patterns(matches: tuple[StatementMatch, ...]) -> str:
    texts = list(
        dict.fromkeys(
            f"`{m.resource}`" if m.resource else "every resource but those its NotResource names"
            for m in matches
            if m.effect == "Allow"
        )
    )
    if len(texts) > 3:
        texts = [*texts[:3], f"{len(texts) - 3} more"]
    return join_and(texts) or "other resources"


def policy_names(identity: Identity) -> str:
    return join_and([short_name(p.name) for p in identity.policies])


def _s(identity: Identity) -> str:
    return "" if len(identity.policies) > 1 else "s"


def short_name(name: str) -> str:
    return PurePosixPath(name).name


def join_and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------------------
# Related locations: the prop that triggered the need, and the policy statements that decide


def related(assessment: Assessment, identity: Identity) -> tuple[Related, ...]:
    req, verdict, rule = assessment.requirement, assessment.verdict, assessment.rule
    out: list[Related] = []
    if req.trigger is not None and req.trigger.prop_span is not None and req.trigger.prop_span != req.span:
        out.append(Related(req.trigger.prop_span, f"`{req.trigger.path}` is set by this prop"))
    if rule == DENIED:
        out += [Related(m.span, f"{m.statement.label} denies `{req.action}` here") for m in verdict.deciding]
    elif rule == CONDITIONAL:
        out += [
            Related(
                m.statement.condition_span or m.span,
                f"{m.statement.label}: {m.effect.lower()} only under this condition",
            )
            for m in verdict.deciding
            if m.statement.conditions
        ]
    elif rule == UNKNOWN_RESOURCE:
        out += [
            Related(m.resource_span or m.span, f"{m.statement.label} allows it on {m.resource or 'other resources'}")
            for m in verdict.deciding
            if m.effect == "Allow"
        ]
    elif rule == OTHER_RESOURCES:
        out += [
            Related(
                m.resource_span or m.span, f"{m.statement.label} allows it only on {m.resource or 'other resources'}"
            )
            for m in _identity_matches(assessment.probe)
        ]
    elif rule == BOUNDARY and identity.boundary is not None:
        out.append(Related(identity.boundary.document.span, "the permissions boundary does not allow it"))
    elif rule == SCP:
        missing = {s.split(":", 1)[1] for s in verdict.missing if s.startswith("scp:")}
        out += [Related(p.document.span, "this SCP does not allow it") for p in identity.scps if p.name in missing]
    else:
        out += [
            Related(p.document.span, f"no statement of this policy allows `{req.action}`")
            for p in identity.policies[:3]
        ]
    return tuple(dict.fromkeys(out))
