"""The IAM evaluator, rule by rule of shared/domain/iam.md."""

from __future__ import annotations

import json
import time

import pytest

from mplint.iam.evaluator import (
    KEY_POLICY_NOTE,
    CompiledPolicy,
    Decision,
    Evaluator,
    Request,
    Strength,
    evaluate,
)
from mplint.model.policy import PolicyFile, PolicyKind, load_policy, policy_from_text
from tests.conftest import shared_path
from tests.test_policy_model import managed_policies

MODEL = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1"
OBJECT = "arn:aws:s3:::data-bucket/reports/a.csv"


def allow(action: object = "*", resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: object = "*", resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def pol(
    *statements: dict,
    name: str = "identity.json",
    kind: PolicyKind = PolicyKind.IDENTITY,
    version: str | None = "2012-10-17",
) -> PolicyFile:
    body: dict = {"Version": version} if version else {}
    body["Statement"] = list(statements)
    return policy_from_text(json.dumps(body, indent=2), name, kind)


def decide(
    policies: list[PolicyFile] | PolicyFile,
    action: str,
    resource: str = "*",
    *,
    wildcard_only: bool = False,
    boundary: PolicyFile | None = None,
    scps: tuple[PolicyFile, ...] = (),
) -> Decision:
    identity = policies if isinstance(policies, list) else [policies]
    return evaluate(Request(action, resource, wildcard_only), identity, boundary, scps).decision


COND = {"StringEquals": {"aws:PrincipalTag/team": "ml"}}


# ---------------------------------------------------------------------------
# Rule 1: default deny, explicit deny wins, order does not matter, identity policies are unioned


def test_default_deny() -> None:
    assert decide(pol(), "s3:GetObject", OBJECT) is Decision.NOT_GRANTED
    assert decide([], "s3:GetObject", OBJECT) is Decision.NOT_GRANTED


def test_explicit_deny_wins_over_allow_in_any_order() -> None:
    assert decide(pol(allow("s3:*"), deny("s3:GetObject")), "s3:GetObject", OBJECT) is Decision.DENIED
    assert decide(pol(deny("s3:GetObject"), allow("s3:*")), "s3:GetObject", OBJECT) is Decision.DENIED


def test_deny_in_another_identity_policy_wins() -> None:
    policies = [pol(allow("s3:*"), name="a.json"), pol(deny("s3:Get*"), name="b.json")]
    verdict = evaluate(Request("s3:GetObject", OBJECT), policies)
    assert verdict.decision is Decision.DENIED
    assert [m.policy.name for m in verdict.deciding] == ["b.json"]


def test_identity_policies_are_unioned() -> None:
    policies = [pol(allow("s3:PutObject"), name="a.json"), pol(allow("s3:GetObject"), name="b.json")]
    assert decide(policies, "s3:GetObject", OBJECT) is Decision.GRANTED
    assert decide(policies, "s3:PutObject", OBJECT) is Decision.GRANTED
    assert decide(policies, "s3:DeleteObject", OBJECT) is Decision.NOT_GRANTED


def test_denied_even_without_an_allow() -> None:
    assert decide(pol(deny("s3:*")), "s3:GetObject", OBJECT) is Decision.DENIED


# ---------------------------------------------------------------------------
# Rule 2: a statement applies when action, resource and condition parts all match


def test_statement_needs_action_and_resource_to_match() -> None:
    assert decide(pol(allow("s3:GetObject", "arn:aws:s3:::other/*")), "s3:GetObject", OBJECT) is Decision.NOT_GRANTED
    assert decide(pol(allow("s3:PutObject", OBJECT)), "s3:GetObject", OBJECT) is Decision.NOT_GRANTED
    assert decide(pol(allow("s3:GetObject", OBJECT)), "s3:GetObject", OBJECT) is Decision.GRANTED


def test_a_deny_whose_resource_does_not_match_does_not_apply() -> None:
    policy = pol(allow("s3:*"), deny("s3:*", "arn:aws:s3:::other/*"))
    assert decide(policy, "s3:GetObject", OBJECT) is Decision.GRANTED


# ---------------------------------------------------------------------------
# Rule 3: actions — case-insensitive anchored glob


@pytest.mark.parametrize(
    ("pattern", "granted"),
    [
        ("s3:GetObject", True),
        ("S3:GETOBJECT", True),
        ("s3:get*", True),
        ("s3:Get?bject", True),
        ("*", True),
        ("s3:*", True),
        ("s3:Get", False),
        ("s3:GetObjectAcl", False),
        ("s3:Get?Object", False),
        ("ec2:*", False),
        ("*:GetObject", True),
    ],
)
def test_action_patterns(pattern: str, granted: bool) -> None:
    expected = Decision.GRANTED if granted else Decision.NOT_GRANTED
    assert decide(pol(allow(pattern)), "s3:GetObject", OBJECT) is expected


def test_request_action_case_does_not_matter() -> None:
    assert decide(pol(allow("s3:GetObject")), "S3:getobject", OBJECT) is Decision.GRANTED


# ---------------------------------------------------------------------------
# Rule 4: NotAction


def test_not_action_allow_grants_everything_else_within_its_resources() -> None:
    policy = pol({"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"], "Resource": "arn:aws:s3:::data-bucket/*"})
    assert decide(policy, "s3:GetObject", OBJECT) is Decision.GRANTED
    assert decide(policy, "s3:DeleteObject", OBJECT) is Decision.NOT_GRANTED
    assert decide(policy, "iam:PassRole", "arn:aws:iam::123456789012:role/x") is Decision.NOT_GRANTED
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::other/x") is Decision.NOT_GRANTED


def test_not_action_deny_denies_everything_not_listed() -> None:
    policy = pol(allow("*"), {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"})
    assert decide(policy, "s3:GetObject", OBJECT) is Decision.DENIED
    assert decide(policy, "iam:GetRole", "arn:aws:iam::123456789012:role/x") is Decision.GRANTED


def test_not_action_match_reports_no_action_span() -> None:
    verdict = evaluate(
        Request("s3:GetObject", OBJECT), [pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
    )
    assert verdict.decision is Decision.GRANTED
    assert verdict.deciding[0].action_span is None


# ---------------------------------------------------------------------------
# Rule 5: resources — case-sensitive ARN patterns with segment rules


@pytest.mark.parametrize(
    ("pattern", "granted"),
    [
        (MODEL, True),
        ("arn:aws:sagemaker:*:*:model-package/*", True),
        ("arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/?", True),
        ("arn:aws:sagemaker:us-east-1:123456789012:model-package/*", True),  # * spans /
        ("arn:aws:sagemaker:us-east-1:123456789012:*", True),
        ("arn:aws:sagemaker:*", True),  # a * ending a segment runs on across colons
        ("arn:aws:sagemaker:us-east-1:123456789012:model-package/Churn/1", False),  # case-sensitive
        ("arn:aws:sagemaker:US-EAST-1:123456789012:model-package/churn/1", False),
        ("arn:aws:sagemaker:eu-west-1:123456789012:model-package/*", False),
        ("arn:aws:sagemaker:us-east-1:210987654321:model-package/*", False),
        ("arn:aws:sagemaker:us-east-1:123456789012:model-package/churn", False),  # anchored
    ],
)
def test_resource_patterns(pattern: str, granted: bool) -> None:
    expected = Decision.GRANTED if granted else Decision.NOT_GRANTED
    assert decide(pol(allow("sagemaker:*", pattern)), "sagemaker:CreateModelPackage", MODEL) is expected


def test_star_inside_a_segment_does_not_cross_colons() -> None:
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:x"
    assert decide(pol(allow("logs:*", "arn:aws:logs:*:*:log-group:a*m:x")), "logs:PutLogEvents", arn) is (
        Decision.NOT_GRANTED
    )
    assert decide(pol(allow("logs:*", "arn:aws:logs:*:*:log-group:app:*")), "logs:PutLogEvents", arn) is (
        Decision.GRANTED
    )


def test_resource_list_any_pattern_grants() -> None:
    policy = pol(allow("s3:GetObject", ["arn:aws:s3:::other/*", "arn:aws:s3:::data-bucket/*"]))
    verdict = evaluate(Request("s3:GetObject", OBJECT), [policy])
    assert verdict.decision is Decision.GRANTED
    resource = verdict.deciding[0].statement.resources[1]
    assert verdict.deciding[0].resource_span == resource.span
    assert verdict.deciding[0].resource == "arn:aws:s3:::data-bucket/*"


# ---------------------------------------------------------------------------
# Rule 6: NotResource


def test_not_resource_allow_matches_every_resource_except_those_listed() -> None:
    policy = pol({"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::secret/*", "arn:aws:s3:::x"]})
    assert decide(policy, "s3:GetObject", OBJECT) is Decision.GRANTED
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::secret/key") is Decision.NOT_GRANTED
    assert decide(policy, "s3:ListBucket", "arn:aws:s3:::x") is Decision.NOT_GRANTED


def test_not_resource_deny() -> None:
    policy = pol(allow("s3:*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::data-bucket/*"})
    assert decide(policy, "s3:GetObject", OBJECT) is Decision.GRANTED
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::other/key") is Decision.DENIED


# ---------------------------------------------------------------------------
# Rule 7: actions without resource-level permissions


def test_wildcard_only_action_is_granted_only_by_resource_star() -> None:
    assert decide(pol(allow("s3:ListAllMyBuckets")), "s3:ListAllMyBuckets", wildcard_only=True) is Decision.GRANTED
    specific = pol(allow("s3:ListAllMyBuckets", "arn:aws:s3:::*"))
    assert decide(specific, "s3:ListAllMyBuckets", wildcard_only=True) is Decision.NOT_GRANTED


def test_wildcard_only_action_ignores_a_given_arn() -> None:
    specific = pol(allow("s3:ListAllMyBuckets", "arn:aws:s3:::data-bucket"))
    arn = "arn:aws:s3:::data-bucket"
    assert decide(specific, "s3:ListAllMyBuckets", arn, wildcard_only=True) is Decision.NOT_GRANTED
    assert decide(pol(allow("s3:*")), "s3:ListAllMyBuckets", arn, wildcard_only=True) is Decision.GRANTED


def test_wildcard_only_action_and_a_pattern_that_matches_the_literal_star() -> None:
    assert decide(pol(allow("s3:*", "?")), "s3:ListAllMyBuckets", wildcard_only=True) is Decision.GRANTED
    policy = pol({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
    assert decide(policy, "s3:ListAllMyBuckets", wildcard_only=True) is Decision.GRANTED


def test_wildcard_only_deny_needs_star_too() -> None:
    policy = pol(allow("ec2:*"), deny("ec2:Describe*", "arn:aws:ec2:*:*:instance/*"))
    assert decide(policy, "ec2:DescribeInstances", wildcard_only=True) is Decision.GRANTED


# ---------------------------------------------------------------------------
# Rule 8: conditions


def test_allow_under_a_condition_is_conditional_with_its_keys() -> None:
    verdict = evaluate(Request("s3:GetObject", OBJECT), [pol(allow("s3:*", Condition=COND))])
    assert verdict.decision is Decision.CONDITIONAL
    assert verdict.condition_keys == ("aws:PrincipalTag/team",)
    assert verdict.deciding[0].strength is Strength.CONDITIONAL


def test_deny_under_a_condition_makes_the_grant_conditional() -> None:
    condition = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    verdict = evaluate(Request("s3:GetObject", OBJECT), [pol(allow("s3:*"), deny("s3:*", Condition=condition))])
    assert verdict.decision is Decision.CONDITIONAL
    assert verdict.condition_keys == ("aws:MultiFactorAuthPresent",)
    assert [m.effect for m in verdict.deciding] == ["Deny"]


def test_conditional_deny_alone_is_not_a_grant() -> None:
    assert decide(pol(deny("s3:*", Condition=COND)), "s3:GetObject", OBJECT) is Decision.NOT_GRANTED


def test_negated_and_if_exists_conditions_still_conditional_and_say_so() -> None:
    condition = {"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}, "StringEquals": {"aws:userid": "x"}}
    verdict = evaluate(Request("s3:GetObject", OBJECT), [pol(allow("s3:*", Condition=condition))])
    assert verdict.decision is Decision.CONDITIONAL
    assert [c.holds_when_key_absent for c in verdict.conditions] == [True, False]


def test_a_condition_on_what_the_request_carries_holds_or_fails() -> None:
    role = "arn:aws:iam::123456789012:role/*"
    passed = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    policy = pol(allow("iam:PassRole", role, Condition=passed))
    to_ec2 = Request("iam:PassRole", role, context=(("iam:PassedToService", "ec2.amazonaws.com"),))
    to_lambda = Request("iam:PassRole", role, context=(("iam:PassedToService", "lambda.amazonaws.com"),))
    assert evaluate(to_ec2, [policy]).decision is Decision.GRANTED
    assert evaluate(to_lambda, [policy]).decision is Decision.NOT_GRANTED
    assert evaluate(Request("iam:PassRole", role), [policy]).decision is Decision.CONDITIONAL  # nothing carried
    like = pol(allow("iam:PassRole", role, Condition={"StringLike": {"iam:PassedToService": "*.amazonaws.com"}}))
    assert evaluate(to_lambda, [like]).decision is Decision.GRANTED
    other = pol(allow("iam:PassRole", role, Condition={**passed, "Bool": {"aws:SecureTransport": "true"}}))
    assert evaluate(to_ec2, [other]).decision is Decision.CONDITIONAL  # a key the request does not say


def test_ranking_allow_beats_conditional() -> None:
    policy = pol(allow("s3:*", Condition=COND), allow("s3:GetObject"))
    verdict = evaluate(Request("s3:GetObject", OBJECT), [policy])
    assert verdict.decision is Decision.GRANTED
    assert [m.statement.index for m in verdict.deciding] == [1]
    assert verdict.condition_keys == ()


def test_ranking_deny_beats_conditional_deny() -> None:
    policy = pol(allow("s3:*"), deny("s3:*", Condition=COND), deny("s3:Get*"))
    verdict = evaluate(Request("s3:GetObject", OBJECT), [policy])
    assert verdict.decision is Decision.DENIED
    assert [m.statement.index for m in verdict.deciding] == [2]


# ---------------------------------------------------------------------------
# Rule 9: policy variables


def test_policy_variable_in_resource_is_conditional() -> None:
    policy = pol(allow("s3:GetObject", "arn:aws:s3:::data-bucket/${aws:username}/*"))
    verdict = evaluate(Request("s3:GetObject", "arn:aws:s3:::data-bucket/alice/x"), [policy])
    assert verdict.decision is Decision.CONDITIONAL
    assert verdict.condition_keys == ("aws:username",)
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::other/alice/x") is Decision.NOT_GRANTED


def test_policy_variable_in_deny_is_conditional() -> None:
    policy = pol(allow("s3:*"), deny("s3:*", "arn:aws:s3:::data-bucket/${aws:PrincipalTag/team}/*"))
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/ml/x") is Decision.CONDITIONAL


@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_policy_variables_are_literal_text_under_2008_10_17(version: str | None) -> None:
    policy = pol(allow("s3:GetObject", "arn:aws:s3:::data-bucket/${aws:username}/*"), version=version)
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/alice/x") is Decision.NOT_GRANTED
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/${aws:username}/x") is Decision.GRANTED


def test_variable_escape_is_a_literal_character() -> None:
    policy = pol(allow("s3:GetObject", "arn:aws:s3:::data-bucket/a${?}b"))
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/a?b") is Decision.GRANTED
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/axb") is Decision.NOT_GRANTED


def test_variable_in_not_resource_is_conditional() -> None:
    policy = pol({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::data-bucket/${aws:username}/*"})
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/alice/x") is Decision.CONDITIONAL
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::other/x") is Decision.GRANTED


# ---------------------------------------------------------------------------
# Rule 10: permissions boundary


def boundary(*statements: dict) -> PolicyFile:
    return pol(*statements, name="boundary.json", kind=PolicyKind.BOUNDARY)


def test_boundary_intersects() -> None:
    identity = pol(allow("s3:*"), allow("sagemaker:*"))
    bound = boundary(allow("s3:*"))
    assert decide(identity, "s3:GetObject", OBJECT, boundary=bound) is Decision.GRANTED
    verdict = evaluate(Request("sagemaker:CreateModelPackage", MODEL), [identity], bound)
    assert verdict.decision is Decision.NOT_GRANTED
    assert verdict.missing == ("boundary",)
    assert verdict.allowed_by and verdict.allowed_by[0].policy.name == "identity.json"


def test_boundary_alone_grants_nothing() -> None:
    verdict = evaluate(Request("s3:GetObject", OBJECT), [pol()], boundary(allow("*")))
    assert verdict.decision is Decision.NOT_GRANTED
    assert verdict.missing == ("identity",)


def test_deny_in_boundary_wins() -> None:
    assert decide(pol(allow("*")), "s3:GetObject", OBJECT, boundary=boundary(allow("*"), deny("s3:*"))) is (
        Decision.DENIED
    )


def test_conditional_boundary_makes_the_grant_conditional() -> None:
    bound = boundary(allow("s3:*", Condition=COND))
    verdict = evaluate(Request("s3:GetObject", OBJECT), [pol(allow("*"))], bound)
    assert verdict.decision is Decision.CONDITIONAL
    assert [m.policy.name for m in verdict.deciding] == ["boundary.json"]


# ---------------------------------------------------------------------------
# Rule 11: SCPs never grant; every one must allow; any deny wins


def scp(name: str, *statements: dict) -> PolicyFile:
    return pol(*statements, name=name, kind=PolicyKind.SCP)


def test_scp_never_grants() -> None:
    assert decide(pol(), "s3:GetObject", OBJECT, scps=(scp("full.json", allow("*")),)) is Decision.NOT_GRANTED


def test_every_scp_must_allow() -> None:
    root, ou = scp("root.json", allow("*")), scp("ou.json", allow("ec2:*"))
    verdict = evaluate(Request("s3:GetObject", OBJECT), [pol(allow("*"))], scps=(root, ou))
    assert verdict.decision is Decision.NOT_GRANTED
    assert verdict.missing == ("scp:ou.json",)
    assert decide(pol(allow("*")), "ec2:RunInstances", "*", scps=(root, ou)) is Decision.GRANTED


def test_scp_deny_wins() -> None:
    scps = (scp("root.json", allow("*"), deny("s3:Delete*")),)
    assert decide(pol(allow("*")), "s3:DeleteObject", OBJECT, scps=scps) is Decision.DENIED
    assert decide(pol(allow("*")), "s3:GetObject", OBJECT, scps=scps) is Decision.GRANTED


def test_from_policies_sorts_by_kind() -> None:
    policies = [pol(allow("*")), boundary(allow("s3:*")), scp("root.json", allow("s3:Get*"))]
    evaluator = Evaluator.from_policies(policies)
    assert evaluator.evaluate(Request("s3:GetObject", OBJECT)).decision is Decision.GRANTED
    assert evaluator.evaluate(Request("s3:PutObject", OBJECT)).missing == ("scp:root.json",)
    assert evaluator.evaluate(Request("ec2:RunInstances")).missing == ("boundary", "scp:root.json")


# ---------------------------------------------------------------------------
# Rule 12: KMS key policies are not checked


def test_kms_verdicts_say_the_key_policy_is_not_checked() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    verdict = evaluate(Request("kms:Decrypt", key), [pol(allow("kms:Decrypt"))])
    assert verdict.decision is Decision.GRANTED
    assert verdict.notes == (KEY_POLICY_NOTE,)
    assert evaluate(Request("s3:GetObject", OBJECT), [pol(allow("*"))]).notes == ()


# ---------------------------------------------------------------------------
# ARNs with unknown parts ("granted on some resources; cannot tell for this one")

UNKNOWN_ACCOUNT = "arn:aws:sagemaker:us-east-1:*:model-package/churn/1"


def test_unknown_account_covered_by_policy_is_granted() -> None:
    policy = pol(allow("sagemaker:*", "arn:aws:sagemaker:*:*:model-package/*"))
    assert decide(policy, "sagemaker:CreateModelPackage", UNKNOWN_ACCOUNT) is Decision.GRANTED


def test_unknown_account_not_assumed_to_match() -> None:
    policy = pol(allow("sagemaker:*", MODEL))
    verdict = evaluate(Request("sagemaker:CreateModelPackage", UNKNOWN_ACCOUNT), [policy])
    assert verdict.decision is Decision.UNKNOWN_RESOURCE
    assert verdict.deciding[0].strength is Strength.UNKNOWN


def test_unknown_account_with_no_overlap_is_not_granted() -> None:
    policy = pol(allow("sagemaker:*", "arn:aws:sagemaker:eu-west-1:*:model-package/*"))
    assert decide(policy, "sagemaker:CreateModelPackage", UNKNOWN_ACCOUNT) is Decision.NOT_GRANTED


def test_fully_unknown_resource() -> None:
    assert decide(pol(allow("s3:GetObject")), "s3:GetObject", "*") is Decision.GRANTED
    assert decide(pol(allow("s3:GetObject", "arn:aws:s3:::b/*")), "s3:GetObject", "*") is Decision.UNKNOWN_RESOURCE


def test_deny_on_part_of_an_unknown_resource() -> None:
    policy = pol(allow("s3:*"), deny("s3:*", "arn:aws:s3:::secret/*"))
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::*/x") is Decision.UNKNOWN_RESOURCE
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::secret/*") is Decision.DENIED


def test_allow_region_wholly_denied_is_denied() -> None:
    pattern = "arn:aws:sagemaker:*:123456789012:model-package/*"
    policy = pol(allow("sagemaker:*", pattern), deny("sagemaker:*", pattern))
    verdict = evaluate(Request("sagemaker:CreateModelPackage", UNKNOWN_ACCOUNT), [policy])
    assert verdict.decision is Decision.DENIED
    assert [m.statement.index for m in verdict.deciding] == [1]


def test_unknown_resource_with_not_resource() -> None:
    policy = pol({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data-bucket/*") is Decision.GRANTED
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::*") is Decision.UNKNOWN_RESOURCE
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::secret/*") is Decision.NOT_GRANTED


# ---------------------------------------------------------------------------
# Verdict contents, malformed statements, speed


def test_deciding_statements_carry_spans_and_policy() -> None:
    policy = pol(allow("s3:PutObject"), allow(["s3:List*", "s3:GetObject"], OBJECT), name="deploy.json")
    verdict = evaluate(Request("s3:GetObject", OBJECT), [policy])
    (match,) = verdict.deciding
    stmt = policy.document.statements[1]
    assert match.policy is policy and match.statement is stmt and match.span == stmt.span
    assert match.action_span == stmt.actions[1].span
    assert match.resource_span == stmt.resources[0].span
    assert verdict.allowed_by == (match,) and verdict.denied_by == ()


def test_malformed_statements_are_skipped_without_error() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "Action": "s3:*"},
                {"Effect": "allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Allow", "Action": [3, "s3:GetObject"], "Resource": ["*", None]},
                "junk",
            ],
        }
    )
    policy = policy_from_text(text)
    assert policy.problems
    assert decide(policy, "s3:GetObject", OBJECT) is Decision.GRANTED
    assert decide(policy, "s3:PutObject", OBJECT) is Decision.NOT_GRANTED


def test_compiled_policy_lists_its_matches() -> None:
    compiled = CompiledPolicy.compile(pol(allow("s3:Get*"), deny("s3:GetObjectAcl")))
    assert [m.effect for m in compiled.matches(Request("s3:GetObject", OBJECT))] == ["Allow"]
    assert [m.effect for m in compiled.matches(Request("s3:GetObjectAcl", OBJECT))] == ["Allow", "Deny"]


def test_all_managed_policies_evaluate_quickly() -> None:
    schema = json.loads(shared_path("data", "aws-sagemaker-modelpackage.schema.json").read_text())
    actions = schema["handlers"]["create"]["permissions"]
    policies = managed_policies()
    start = time.perf_counter()
    granted = 0
    for policy in policies:
        evaluator = Evaluator([policy])
        for action in actions:
            granted += evaluator.evaluate(Request(action, MODEL)).decision is Decision.GRANTED
    elapsed = time.perf_counter() - start
    assert granted > 100  # AdministratorAccess, SageMaker full access and friends
    assert elapsed < 5.0, f"{elapsed:.2f}s"  # about 0.3 s on a laptop; generous for CI


def test_administrator_access_grants_and_read_only_does_not() -> None:
    folder = shared_path("corpus", "iam", "aws-managed", "iamtrail", "documents")
    admin = load_policy(folder / "AdministratorAccess.json", "AdministratorAccess.json")
    read_only = load_policy(folder / "ReadOnlyAccess.json", "ReadOnlyAccess.json")
    assert decide(admin, "sagemaker:CreateModelPackage", MODEL) is Decision.GRANTED
    assert decide(read_only, "sagemaker:CreateModelPackage", MODEL) is Decision.NOT_GRANTED
    assert decide(read_only, "sagemaker:DescribeModelPackage", MODEL) is Decision.GRANTED
