"""MPL3xx: can the deploying identity do what each stackql-deploy command needs?

The judging (requirements against the identity's policies) is `Context.permission_reports`, shared
with `mplint permissions`; this module turns its verdicts into findings. No policy given: no finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mplint.findings import Finding, Level
from mplint.registry import owns

if TYPE_CHECKING:  # the IAM model is imported once a policy is given: most runs judge no identity
    from mplint.context import Context
    from mplint.iam.assess import Assessment
    from mplint.project import Identity, Stack

R = owns(
    __name__,
    "MPL301", "MPL302", "MPL303", "MPL304", "MPL305", "MPL306", "MPL307", "MPL308", "MPL309", "MPL310", "MPL311",
)  # fmt: skip


def check_stack(ctx: Context, stack: Stack) -> Iterator[Finding]:
    if not any(identity.given for identity in ctx.project.identities.values()):
        return
    from mplint.iam.assess import UNCHECKED_IDENTITY

    noted: set[str] = set()
    for report in ctx.permission_reports(stack):
        resource = report.needs.resource
        if report.unchecked is not None:
            key = (resource.name or "",)
            yield R.emit(UNCHECKED_IDENTITY, report.unchecked.message, report.unchecked.span, key_path=key)
        if report.identity is not None and report.assessments:
            yield from _findings(ctx, report.assessments, report.identity)
            yield from _unchecked_policies(report.assessments, noted)


def _unchecked_policies(assessments: tuple[Assessment, ...], noted: set[str]) -> Iterator[Finding]:
    """MPL311 once per KMS key and bucket of the stack whose own policy is not in the stack."""
    from mplint.iam.assess import RESOURCE_POLICY_UNCHECKED
    from mplint.iam.requirements import State
    from mplint.iam.resource_policies import BUCKET, KEY, bucket_of, policy_kind

    for assessment in assessments:
        req = assessment.requirement
        kind = policy_kind(req)
        if req.state is State.ABSENT or assessment.resource_policy is not None or kind not in (KEY, BUCKET):
            continue
        name = bucket_of(req.arn) if kind == BUCKET else req.arn
        if name is None or name in noted or name == "*":
            continue
        noted.add(name)
        what = f"the KMS key `{name}`" if kind == KEY else f"the bucket `{name}`"
        policy = "key policy" if kind == KEY else "bucket policy"
        message = (
            f"{what} is not declared in this stack, so its {policy}, which AWS consults as well, is not checked: "
            f"the verdicts on `{req.action}` and the other actions on it come from the identity's policies alone"
        )
        yield R.emit(RESOURCE_POLICY_UNCHECKED, message, req.span, key_path=(req.resource.name or "", name))


def _findings(ctx: Context, assessments: tuple[Assessment, ...], identity: Identity) -> Iterator[Finding]:
    """One finding per rule, place and action (an action needed on several ARNs is one finding)."""
    from mplint.iam.requirements import State

    groups: dict[tuple, list[Assessment]] = {}
    for assessment in assessments:
        requirement = assessment.requirement
        if assessment.rule is not None and requirement.state is not State.ABSENT:
            maybe = requirement.state is State.MAYBE
            key = (assessment.rule, requirement.span, requirement.action.lower(), maybe)
            groups.setdefault(key, []).append(assessment)
    for (rule, *_), group in groups.items():
        yield finding(group, identity, ctx.level(rule))


def finding(group: list[Assessment], identity: Identity, base: Level) -> Finding:
    """One finding for the assessments of one action at one place under one rule (one ARN or several)."""
    from mplint.iam.assess import NOT_GRANTED, level_of, message, related
    from mplint.iam.requirements import State

    assessment = _merged(group)
    req = assessment.requirement
    level = level_of(assessment, base) if req.state is State.MAYBE else None
    related_spans = tuple(dict.fromkeys(r for a in group for r in related(a, identity)))
    return R.emit(
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
    from mplint.iam.assess import Assessment
    from mplint.iam.requirements import Requirement

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
