"""Facts about IAM policies that do not depend on any rule: action names and their expansion, ARN shapes and
what a Resource can apply to, Sids, and the privilege-escalation methods a policy grants. Shared by mplint's
policy rules (`mplint.checks.policy`) and the parliament wiring (`mplint.checks.parliament`)."""

from __future__ import annotations

import re
from functools import lru_cache

from msgspec import Struct

from mplint.catalog.actions import ActionCatalog, get_catalog, has_wildcard
from mplint.catalog.retired import retired_service
from mplint.findings import Span
from mplint.iam.wildcard import compile_arn, template_fit
from mplint.model.policy import Pattern, PolicyDocument, PolicyFile, Statement
from mplint.suggest import is_typo_of

PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})


SID_RE = re.compile(r"[0-9A-Za-z]*")


VARIABLE = re.compile(r"\$\{[^}]*\}")


_WILD = re.compile(r"[*?$]")


_UNIVERSAL_ACTIONS = ("*", "*:*")


# Privilege escalation: each method is a set of actions that together let an identity gain more
# privileges (Rhino Security Labs and Bishop Fox's catalogues; the names are parliament's, so its
# community auditor's findings can be matched to these).
ESCALATIONS: dict[str, tuple[str, ...]] = {
    "CreateAccessKey": ("iam:CreateAccessKey",),
    "CreateLoginProfile": ("iam:CreateLoginProfile",),
    "UpdateLoginProfile": ("iam:UpdateLoginProfile",),
    "CreateNewPolicyVersion": ("iam:CreatePolicyVersion",),
    "SetExistingDefaultPolicyVersion": ("iam:SetDefaultPolicyVersion",),
    "AttachUserPolicy": ("iam:AttachUserPolicy",),
    "AttachGroupPolicy": ("iam:AttachGroupPolicy",),
    "AttachRolePolicy": ("iam:AttachRolePolicy", "sts:AssumeRole"),
    "PutUserPolicy": ("iam:PutUserPolicy",),
    "PutGroupPolicy": ("iam:PutGroupPolicy",),
    "PutRolePolicy": ("iam:PutRolePolicy", "sts:AssumeRole"),
    "AddUserToGroup": ("iam:AddUserToGroup",),
    "UpdateRolePolicyToAssumeIt": ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    "CreateEC2WithExistingIP": ("iam:PassRole", "ec2:RunInstances"),
    "PassExistingRoleToNewLambdaThenInvoke": ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo": (
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
        "dynamodb:CreateTable",
        "dynamodb:PutItem",
    ),
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo": (
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
    ),
    "PassExistingRoleToNewGlueDevEndpoint": ("iam:PassRole", "glue:CreateDevEndpoint"),
    "PassExistingRoleToCloudFormation": ("iam:PassRole", "cloudformation:CreateStack"),
    "PassExistingRoleToNewDataPipeline": ("iam:PassRole", "datapipeline:CreatePipeline"),
    "PassExistingRoleToNewSageMakerNotebook": (
        "iam:PassRole",
        "sagemaker:CreateNotebookInstance",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
    ),
    "PassExistingRoleToNewSageMakerTrainingJob": ("iam:PassRole", "sagemaker:CreateTrainingJob"),
    "PassExistingRoleToNewSageMakerProcessingJob": ("iam:PassRole", "sagemaker:CreateProcessingJob"),
    "PassExistingRoleToNewCodeBuildProject": ("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"),
    "UpdateExistingGlueDevEndpoint": ("glue:UpdateDevEndpoint",),
    "EditExistingLambdaFunctionWithRole": ("lambda:UpdateFunctionCode",),
}


_ESCALATION_SERVICES = frozenset(a.partition(":")[0] for actions in ESCALATIONS.values() for a in actions)


def catalog() -> ActionCatalog:
    """The action catalog, loaded once per process."""
    return get_catalog()


def is_old_version(doc: PolicyDocument) -> bool:
    return doc.version == "2008-10-17"


def invalid_sid(sid: str) -> bool:
    return SID_RE.fullmatch(sid) is None


def duplicate_sids(doc: PolicyDocument) -> list[tuple[Statement, Statement]]:
    """(first, later) for every statement whose Sid an earlier statement already has."""
    first: dict[str, Statement] = {}
    out = []
    for stmt in doc.statements:
        if stmt.sid is None:
            continue
        if stmt.sid in first:
            out.append((first[stmt.sid], stmt))
        else:
            first[stmt.sid] = stmt
    return out


@lru_cache(maxsize=16384)
def unknown_action(value: str) -> str | None:
    """Why an action pattern names no action of the catalog (with the closest real names), or None."""
    text = value.strip()
    if text in _UNIVERSAL_ACTIONS or ":" not in text:  # without a colon: a malformed-policy problem
        return None
    cat = catalog()
    if cat.matches_any(text):
        return None
    prefix = text.partition(":")[0].lower()
    if not has_wildcard(prefix) and cat.service(prefix) is None:
        gone = retired_service(prefix)
        if gone is not None:
            # "retired from the reference": what the data shows (a discontinued service, now and then a renamed one)
            when = f"last listed on {gone.last_listed}"
            return f"`{text}` grants nothing: {gone.name} was retired from AWS's IAM reference ({when})"
        return f"unknown service prefix `{prefix}` in `{text}`{_hint(text, cat.closest(text))}"
    if has_wildcard(text):
        return f"`{text}` matches no action of the IAM action catalog"
    return f"unknown action `{text}`{_hint(text, cat.closest(text))}"


def _hint(typed: str, names: list[str]) -> str:
    """A "did you mean" for the closest name, when it is close enough to be what was meant."""
    if not names:
        return ""
    prefix, _, action = typed.partition(":")
    best_prefix, _, best_action = names[0].partition(":")
    if prefix.lower() == best_prefix.lower():
        near = is_typo_of(action, best_action)
    else:
        near = is_typo_of(prefix, best_prefix) and (not best_action or action.lower() == best_action.lower())
    return f" (did you mean `{names[0]}`?)" if near else ""


@lru_cache(maxsize=8192)
def expand(pattern: str) -> tuple[str, ...]:
    """The catalog actions an action pattern matches."""
    text = pattern.strip()
    if not has_wildcard(text):
        info = catalog().action(text)
        return (info.full_name,) if info else ()
    return tuple(catalog().expand(text))


def is_universal_action(value: str) -> bool:
    text = value.strip()
    return text == "*:*" or (bool(text) and set(text) <= {"*"})


def arn_segments(text: str) -> tuple[str, ...] | None:
    """The six parts of an ARN pattern or template, policy variables and `${...}` placeholders as `*`.
    A pattern with fewer parts whose last part ends in `*` has that `*` run on over the missing parts.
    None when the text is not an ARN."""
    text = VARIABLE.sub("*", text)
    if not text.startswith("arn:"):
        return None
    parts = text.split(":", 5)
    if len(parts) < 6:
        if not parts[-1].endswith("*"):
            return None
        parts += ["*"] * (6 - len(parts))
    return tuple(parts)


@lru_cache(maxsize=16384)
def arn_problem(value: str) -> str | None:
    """Why a Resource pattern is not a usable ARN, or None."""
    text = VARIABLE.sub("*", value)
    if set(text) <= {"*"}:
        return None
    if not text.startswith("arn:"):
        return "is not an ARN: a Resource is `*` or `arn:partition:service:region:account:resource`"
    parts = text.split(":", 5)
    if len(parts) < 6:
        return f"has {len(parts)} of the 6 parts of an ARN (`arn:partition:service:region:account:resource`)"
    if parts[1] and not has_wildcard(parts[1]) and parts[1] not in PARTITIONS:
        return f"has an unknown partition `{parts[1]}`"
    return None


class Applies(Struct, frozen=True):
    """What an action pattern can apply to: Resource `*` (an action without resource types), ARN templates."""

    star: bool
    templates: tuple[str, ...]
    types: tuple[str, ...]  # resource type names, for messages
    unknowable: bool  # an action with resource types but no ARN template


@lru_cache(maxsize=8192)
def applicability(pattern: str) -> Applies:
    cat = catalog()
    star = unknowable = False
    templates: dict[str, None] = {}
    types: dict[str, None] = {}
    for name in expand(pattern):
        info = cat.action(name)
        if info is None:
            continue
        if not info.resource_types:
            star = True
        for rt in info.resource_types:
            if rt.arn:
                templates[rt.arn] = None
                types[rt.name] = None
            else:
                unknowable = True
    return Applies(star, tuple(templates), tuple(types), unknowable)


def mismatched_patterns(stmt: Statement) -> list[Pattern]:
    """The Action patterns of a statement that cannot apply to any of its Resource patterns."""
    if not stmt.actions or not stmt.resources:
        return []
    resources = tuple(p.value for p in stmt.resources)
    if any(arn_problem(r) is not None or set(r) <= {"*"} for r in resources):
        return []
    return [
        p for p in stmt.actions
        if not is_universal_action(p.value) and unknown_action(p.value) is None and not can_apply(p.value, resources)
    ]  # fmt: skip


@lru_cache(maxsize=16384)
def can_apply(pattern: str, resources: tuple[str, ...]) -> bool:
    """Can some action of the pattern apply to some of the resources?"""
    applies = applicability(pattern.strip().lower())
    if applies.unknowable or not (applies.star or applies.templates):
        return True
    if applies.star and any(compile_arn(r).matches("*") for r in resources):
        return True
    return any(can_match(r, t) for r in resources for t in applies.templates)


@lru_cache(maxsize=65536)
def can_match(resource: str, template: str) -> bool:
    """Can an ARN pattern (IAM's wildcard rules) name a resource of an ARN template? The evaluator's own
    matching: the pattern compiled as a policy resource, the template as a request for any such resource."""
    got, want = VARIABLE.sub("*", resource).split(":", 5), VARIABLE.sub("*", template).split(":", 5)
    if _literally_apart(got, want):
        return False
    return template_fit(resource, True, template) != "none"


def _literally_apart(got: list[str], want: list[str]) -> bool:
    """A quick no: literal partition, service, region or account parts that differ, or resource parts whose
    literal beginnings differ, before any `*` of the pattern that could run across colons."""
    if len(got) < 6 or len(want) < 6:
        return False
    for a, b in zip(got[1:5], want[1:5], strict=True):
        if _WILD.search(a):
            if a.endswith("*"):
                return False  # runs on over the later parts
            continue
        if not _WILD.search(b) and a != b:
            return True
    head_a, head_b = _WILD.split(got[5], 1)[0], _WILD.split(want[5], 1)[0]
    return not (head_a.startswith(head_b) or head_b.startswith(head_a))


class Grants:
    """Which actions one identity policy allows on some resource, and where."""

    def __init__(self, policy: PolicyFile) -> None:
        from mplint.iam.evaluator import Evaluator

        self.evaluator = Evaluator([policy])
        self._spans: dict[str, Span | None] = {}
        self._services = allowed_services(policy)

    def span(self, action: str, resource: str | None = None, wildcard_only: bool = False) -> Span | None:
        """The action pattern (or statement) of the first Allow that grants the action, on the resource when
        one is given (an ARN pattern: `*` marks unknown parts; with ``wildcard_only``, `*` is every resource,
        as for an action without resource types), else on some resource. None: not granted."""
        key = f"{action.lower()} {resource} {wildcard_only}"
        if key not in self._spans:
            self._spans[key] = self._find(action, resource, wildcard_only)
        return self._spans[key]

    def _find(self, action: str, resource: str | None, wildcard_only: bool = False) -> Span | None:
        from mplint.iam.evaluator import Decision, Request

        info = catalog().action(action)
        if info is None or (self._services is not None and info.service not in self._services):
            return None
        if resource is not None:
            requests = [Request(info.full_name, VARIABLE.sub("*", resource), wildcard_only)]
        else:
            requests = [Request(info.full_name, rt.arn) for rt in info.resource_types if rt.arn]
        for request in requests or [Request(info.full_name, "*", wildcard_only=True)]:
            verdict = self.evaluator.evaluate(request)
            if verdict.decision not in (Decision.DENIED, Decision.NOT_GRANTED):
                allow = next(m for m in verdict.allowed_by if m.effect == "Allow")
                return allow.action_span or allow.span
        return None


def allowed_services(policy: PolicyFile) -> frozenset[str] | None:
    """The service prefixes that the policy's Allow statements name; None when any service may be allowed
    (NotAction, or a wildcard in a prefix)."""
    out: set[str] = set()
    for stmt in policy.document.statements:
        if stmt.effect != "Allow":
            continue
        if stmt.negated_action:
            return None
        for pattern in stmt.actions or ():
            prefix = pattern.value.strip().partition(":")[0].lower()
            if has_wildcard(prefix):
                return None
            out.add(prefix)
    return frozenset(out)


def escalations(policy: PolicyFile, grants: Grants | None = None) -> dict[str, list[Span]]:
    """Each escalation method the policy allows, with the spans granting its actions."""
    grants = grants or Grants(policy)
    out: dict[str, list[Span]] = {}
    for method, actions in ESCALATIONS.items():
        spans: list[Span] = []
        for action in actions:
            span = grants.span(action)
            if span is None:
                break
            spans.append(span)
        else:
            out[method] = spans
    return out


def may_escalate(policy: PolicyFile) -> bool:
    """A cheap pre-filter: may an Allow name a service that an escalation method uses?"""
    services = allowed_services(policy)
    return services is None or not services.isdisjoint(_ESCALATION_SERVICES)


def universal_grant(stmt: Statement) -> tuple[list[Pattern], list[Pattern]]:
    """The statement's `*` actions and `*` resources: both non-empty means every action on every resource."""
    actions = [p for p in stmt.actions or () if is_universal_action(p.value)]
    resources = [p for p in stmt.resources or () if set(p.value) <= {"*"}]
    return actions, resources


def allows_everything(policy: PolicyFile) -> bool:
    return any(stmt.effect == "Allow" and all(universal_grant(stmt)) for stmt in policy.document.statements)
