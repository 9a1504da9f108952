"""Judging what a stack needs against the deploying identity's policies, and saying so.

The requirements come from mplint.iam.requirements (operations, handler permissions, overlays, ARNs);
each is judged by the identity's compiled policies (mplint.iam.evaluator). The verdict kinds are the
MPL3xx rule ids that `mplint.checks.permissions` reports and `mplint permissions` shows.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from msgspec import Struct, structs

from mplint.catalog.actions import get_catalog
from mplint.findings import Level, Related, Span
from mplint.iam import arns
from mplint.iam.conditions import NO_CONTEXT
from mplint.iam.conditions import describe as describe_test
from mplint.iam.context import RequestContext, Stage, contexts
from mplint.iam.evaluator import KEY_POLICY_NOTE, Decision, Evaluator, Request, StatementMatch, Verdict
from mplint.iam.overlays import load_overlays
from mplint.iam.requirements import Origin, Requirement, ResourceNeeds, State
from mplint.iam.resource_policies import ROLE, Caller, Declared, StackPolicies, trust_allows, value_text
from mplint.iam.resource_policies import judge as judge_resource
from mplint.model.policy import PolicyKind
from mplint.project import Identity

NOT_GRANTED = "MPL301"
DENIED = "MPL302"
CONDITIONAL = "MPL303"
OTHER_RESOURCES = "MPL304"
UNKNOWN_RESOURCE = "MPL305"
PROPERTY_NOT_GRANTED = "MPL306"
BOUNDARY = "MPL307"
SCP = "MPL308"
UNCHECKED_IDENTITY = "MPL309"
RESOURCE_POLICY = "MPL310"
RESOURCE_POLICY_UNCHECKED = "MPL311"
LOWER = {Level.ERROR: Level.WARNING, Level.WARNING: Level.NOTE, Level.NOTE: Level.NOTE}
FAILS = {
    Origin.HANDLER: "Cloud Control runs the handler with the caller's credentials, so the operation fails at "
    "deploy time and stackql-deploy 1.x reports it only as a statecheck timeout",
    Origin.CLOUD_CONTROL: "Cloud Control refuses the request, so stackql-deploy stops with an access-denied error",
    Origin.NATIVE: "the API call is refused at deploy time",
}


class Assessment(Struct, frozen=True):
    """The verdict on one requirement and the rule it falls under (None: granted)."""

    requirement: Requirement
    verdict: Verdict
    rule: str | None
    probe: Verdict | None = None  # the action on any resource, when not granted on the manifest's
    context: RequestContext | None = None  # the request context of the verdict (the worst of its calls)
    resource_policy: Declared | None = None  # the resource policy the stack declares for it
    refusal: str | None = None  # why that policy refuses what the identity's policies allow (MPL310)


class Unchecked(Struct, frozen=True):
    """Why a resource's permissions are not checked (MPL309), and where."""

    message: str
    span: Span


class ResourceReport(Struct, eq=False):
    """One resource's requirements and, when its identity is known and has policies, the verdict on each."""

    stack: str
    needs: ResourceNeeds
    identity: Identity | None = None
    unchecked: Unchecked | None = None
    assessments: tuple[Assessment, ...] = ()  # aligned with needs.requirements, empty when not judged
    contexts: tuple[tuple[RequestContext, ...], ...] = ()  # aligned with needs.requirements


def identity_for(
    resource_name: str, auth: object, mapping: dict[str, str], identities: dict[str, Identity], span: Span
) -> tuple[Identity | None, Unchecked | None]:
    """The identity that deploys the resource: `resource-identities` in config, else the default one.
    ``auth`` is the resource's `auth:` key node (or None), ``span`` where to report a mapping problem."""
    name = mapping.get(resource_name)
    if name is not None:
        identity = identities.get(name)
        if identity is None:
            message = (
                f"`resource-identities` maps `{resource_name}` to the identity `{name}`, which `identities` "
                "does not define, so its permissions are not checked"
            )
            return None, Unchecked(message, span)
        return identity, None
    default = identities.get("default")
    if auth is not None and default is not None and default.given:
        message = (
            f"`{resource_name}` deploys with its own `auth:` credentials and `resource-identities` does not "
            "name their identity, so its permissions are not checked against the default identity's policies"
        )
        return None, Unchecked(message, auth.span)  # type: ignore[attr-defined]
    return default, None


def compile_identity(identity: Identity) -> Evaluator:
    return Evaluator(identity.policies, identity.boundary, identity.scps)


RANK = {
    Decision.DENIED: 0,
    Decision.NOT_GRANTED: 1,
    Decision.UNKNOWN_RESOURCE: 2,
    Decision.CONDITIONAL: 3,
    Decision.GRANTED: 4,
}


def judge(report: ResourceReport, evaluator: Evaluator | None, declared: StackPolicies | None = None) -> None:
    """Fill the report's request contexts and, given the identity's policies, its assessments (with the
    resource policies the stack declares)."""
    needs = report.needs
    stage = Stage.of(needs, load_overlays(needs.binding.cfn_type or ""), report.identity)
    report.contexts = tuple(tuple(contexts(req, stage)) for req in needs.requirements)
    if evaluator is None:
        return
    out = []
    for req, ctxs in zip(needs.requirements, report.contexts, strict=True):
        text = value_text(needs.binding, req.trigger.path) if req.trigger else None
        found = declared.find(req, needs, text) if declared is not None else None
        out.append(assess(req, evaluator, ctxs, needs, found))
    report.assessments = tuple(out)


def request_of(requirement: Requirement, needs: ResourceNeeds | None = None) -> Request:
    """The request to judge: an action on no particular resource is also granted by a policy resource that
    covers a whole optional resource type of it (ListModelPackages on `model-package/*`)."""
    carried = requirement.context
    if not requirement.wildcard_only:
        return Request(requirement.action, requirement.arn, context=carried)
    info = get_catalog().action(requirement.action)
    if info is None or not info.resource_types or any(rt.required for rt in info.resource_types):
        return Request(requirement.action, "*", True, carried)
    values = needs.place.values() if needs is not None else {}
    scopes = tuple(arns.fill(rt.arn, values).arn for rt in info.resource_types if rt.arn)
    return Request(requirement.action, "*", True, carried, scopes)


def asked(reports: list[ResourceReport]) -> dict[tuple, tuple[Request, RequestContext]]:
    """Every distinct (request, context) the reports' requirements make, in requirement order."""
    out: dict[tuple, tuple[Request, RequestContext]] = {}
    for report in reports:
        for req, group in zip(report.needs.requirements, report.contexts, strict=True):
            request = request_of(req, report.needs)
            for context in group:
                out.setdefault((request, context.signature), (request, context))
    return out


def assess(
    requirement: Requirement,
    evaluator: Evaluator,
    ctxs: tuple[RequestContext, ...] = (),
    needs: ResourceNeeds | None = None,
    declared: Declared | None = None,
) -> Assessment:
    """The verdict on one requirement: the worst over the contexts it is requested in."""
    request = request_of(requirement, needs)
    judged = [_verdict(evaluator, request, c, declared) for c in ctxs or (None,)]
    verdict, context, refused = min(judged, key=lambda vcr: RANK[vcr[0].decision])
    rule, probe = _rule(requirement, verdict, context, evaluator, refused)
    return Assessment(requirement, verdict, rule, probe, context, declared, refused)


def _rule(
    requirement: Requirement,
    verdict: Verdict,
    context: RequestContext | None,
    evaluator: Evaluator,
    refused: str | None,
) -> tuple[str | None, Verdict | None]:
    """The rule a verdict falls under (None: granted), and the probe on any resource for MPL304."""
    decision = verdict.decision
    if refused is not None:
        return RESOURCE_POLICY, None
    if decision is Decision.GRANTED:
        return None, None
    if decision is not Decision.NOT_GRANTED:
        return {Decision.DENIED: DENIED, Decision.CONDITIONAL: CONDITIONAL}.get(decision, UNKNOWN_RESOURCE), None
    if "identity" not in verdict.missing:
        return (BOUNDARY if "boundary" in verdict.missing else SCP), None
    probe = evaluator.evaluate(Request(requirement.action, "*"), context or NO_CONTEXT)
    if _identity_allows(probe):
        return OTHER_RESOURCES, probe
    return (NOT_GRANTED if requirement.state is State.BASE else PROPERTY_NOT_GRANTED), None


def _verdict(
    evaluator: Evaluator, request: Request, context: RequestContext | None, declared: Declared | None
) -> tuple[Verdict, RequestContext | None, str | None]:
    """The verdict in one context, with the stack's resource policy; the third item says why the resource
    policy refuses what the identity's policies allow (None: it does not)."""
    lookup = context or NO_CONTEXT
    alone = evaluator.evaluate(request, lookup)
    if declared is None:
        return alone, context, None
    if declared.kind == ROLE:
        service = context.values("iam:PassedToService") if context else None
        allowed = alone.decision not in (Decision.NOT_GRANTED, Decision.DENIED)
        if allowed and isinstance(service, tuple) and service and trust_allows(declared, service[0]) is False:
            return alone, context, f"does not let `{service[0]}` assume the role"
        return alone, context, None
    caller = Caller(_one(lookup.values("aws:PrincipalArn")), _one(lookup.values("aws:PrincipalAccount")))
    combined, delegates = judge_resource(evaluator, request, lookup, declared, caller)
    combined = structs.replace(combined, notes=tuple(n for n in combined.notes if n != KEY_POLICY_NOTE))
    identity_allows = RANK[alone.decision] > RANK[Decision.NOT_GRANTED]
    if combined.decision is Decision.NOT_GRANTED and not delegates and identity_allows:
        return combined, context, "neither allows the deploying principal nor lets IAM policies allow it"
    return combined, context, None


def _one(values: object) -> str | None:
    return values[0] if isinstance(values, tuple) and len(values) == 1 else None


def _identity_allows(probe: Verdict) -> bool:
    return any(m.policy.kind is PolicyKind.IDENTITY for m in probe.allowed_by)


def level_of(assessment: Assessment, level: Level) -> Level:
    """The rule's ``level``, one lower when the action is needed only if a property turns out to be set."""
    return LOWER[level] if assessment.requirement.state is State.MAYBE else level


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
        return f"but {deny.statement.label} of {short_name(deny.policy.name)} denies it{_because(deny, assessment)}"
    if rule == CONDITIONAL:
        denies = [m for m in verdict.deciding if m.effect == "Deny" and (m.open or m.keys)]
        if denies:
            deny = denies[0]
            return (
                f"but {deny.statement.label} of {short_name(deny.policy.name)} denies it if {_tests(deny)}, "
                f"{_unknown(verdict, identity)}"
            )
        allows = [m for m in verdict.deciding if m.effect == "Allow" and (m.open or m.keys)]
        tests = _tests(allows[0]) if allows else "conditions on the request"
        if allows and allows[0].policy.kind is PolicyKind.RESOURCE:
            return f"but {allows[0].policy.name} allows it only if {tests}, {_unknown(verdict, identity)}"
        return f"but {policy_names(identity)} allow{_s(identity)} it only if {tests}, {_unknown(verdict, identity)}"
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
    if rule == RESOURCE_POLICY and assessment.resource_policy is not None:
        names = policy_names(identity)
        return f"and {names} allow{_s(identity)} it, but {assessment.resource_policy.label} {assessment.refusal}"
    if rule == BOUNDARY and identity.boundary is not None:
        return f"but the permissions boundary {short_name(identity.boundary.name)} does not allow it"
    if rule == SCP:
        names = [s.split(":", 1)[1] for s in verdict.missing if s.startswith("scp:")]
        return f"but the SCP {join_and([short_name(n) for n in names])} does not allow it"
    return f"and no statement of {policy_names(identity)} allows it"


def _tests(match: StatementMatch) -> str:
    """The open condition tests of a statement, in words (and its unknown policy variables)."""
    words = [describe_test(c) for c in match.open[:3]]
    words += [f"`${{{v}}}` names it" for v in match.variables if v not in {c.key for c in match.open}][:1]
    return " and ".join(words) or "its conditions hold"


def _unknown(verdict: Verdict, identity: Identity) -> str:
    """Which keys mplint does not know, and how to state them."""
    keys = list(verdict.condition_keys)[:4]
    shown = join_and([f"`{k}`" for k in keys]) or "the request"
    where = "" if identity.name == "default" else f"identities.{identity.name}."
    hints: dict[str, None] = {}
    for key in keys:
        lower = key.lower()
        if lower.startswith("aws:principaltag/"):
            hints[f"`{where}{'principal-tags' if not where else 'tags'}`"] = None
        elif lower in ("aws:principalarn", "aws:username", "aws:principaltype"):
            hints[f"`{where}principal`"] = None
        else:
            hints[f"`{where}context`"] = None
    verb = "is" if len(keys) == 1 else "are"
    return f"and {shown} {verb} not known before deploying (state it in config {join_and(list(hints))})"


def _because(deny: StatementMatch, assessment: Assessment) -> str:
    """Why a conditional Deny applies: its tests with the values the request context gives them."""
    settled = deny.settled
    if not settled:
        return ""
    parts = []
    for entry in settled[:2]:
        fact = assessment.context.fact(entry.key) if assessment.context else None
        has = f" (the request has {fact.shown()}: {fact.source})" if fact else ""
        parts.append(f"{describe_test(entry)}{has}")
    return ", because " + " and ".join(parts)


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
            if m.open or m.keys
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
    elif rule == RESOURCE_POLICY and assessment.resource_policy is not None:
        out.append(Related(assessment.resource_policy.span, f"{assessment.resource_policy.label} is declared here"))
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
