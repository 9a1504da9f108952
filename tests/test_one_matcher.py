"""MPL411/MPL412 and the evaluator give one answer for one ARN pattern: they share one matcher.

For every ARN pattern written in the unit tests of the wildcard matcher, the evaluator and the policy
rules, and for actions of many services: the policy rules say the pattern "can apply" to the action
exactly when the evaluator, asked the action on any resource of each of its resource types (the IAM
reference's ARN templates), finds that an Allow on the pattern applies to some of them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from mplint.catalog.actions import get_catalog
from mplint.iam.analysis import can_apply, can_match
from mplint.iam.evaluator import Decision, Evaluator, Request
from mplint.model.policy import policy_from_text

TESTS = Path(__file__).parent
SOURCES = ("test_wildcard.py", "test_evaluator.py", "test_policy_rules.py", "test_iam_differential.py")
ACTIONS = (
    "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
    "s3:GetObject", "s3:ListBucket", "s3:ListAllMyBuckets", "iam:PassRole", "iam:GetRole",
    "kms:Decrypt", "kms:CreateGrant", "ecr:BatchGetImage", "logs:PutLogEvents", "dynamodb:GetItem",
    "sqs:SendMessage", "sns:Publish", "ec2:DescribeInstances", "lambda:InvokeFunction",
)  # fmt: skip


@cache
def patterns() -> tuple[str, ...]:
    found: set[str] = set()
    for name in SOURCES:
        found.update(re.findall(r"[\"'](arn:[^\"'\s]+)[\"']", (TESTS / name).read_text(encoding="utf-8")))
    return tuple(sorted(found))


def evaluator_applies(action: str, pattern: str) -> bool:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": pattern}]}
    evaluator = Evaluator([policy_from_text(json.dumps(doc))])
    info = get_catalog().action(action)
    assert info is not None, action
    requests = [Request(action, rt.arn) for rt in info.resource_types if rt.arn]
    if not info.resource_types:
        requests = [Request(action, "*", True)]
    return any(evaluator.evaluate(r).decision is not Decision.NOT_GRANTED for r in requests)


def test_the_unit_tests_hold_many_patterns() -> None:
    assert len(patterns()) >= 60


@pytest.mark.parametrize("action", ACTIONS)
def test_policy_rules_and_evaluator_agree(action: str) -> None:
    disagree = [p for p in patterns() if can_apply(action, (p,)) != evaluator_applies(action, p)]
    assert disagree == [], f"{action}: {disagree}"


T = "arn:${Partition}:"
PACKAGE = "arn:${Partition}:sagemaker:${Region}:${Account}:model-package/${ModelPackageName}"
LOG_GROUP = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"


@pytest.mark.parametrize(
    ("pattern", "template", "expected"),
    [
        ("arn:aws:sagemaker:*:*:*/churn", PACKAGE, True),
        ("arn:aws:sagemaker:US-EAST-1:*:model-package/*", PACKAGE, False),
        ("arn:aws:SageMaker:us-east-1:*:model-package/*", PACKAGE, False),
        ("arn:aws:s3:::bucket/*", "arn:${Partition}:s3:::${BucketName}", False),
        ("arn:aws:s3:::bucket*", "arn:${Partition}:s3:::${BucketName}", True),
        ("arn:aws:logs:*:*:log-group:app:*", LOG_GROUP, True),
        # a `*` ending the region runs on over the colons a resource type spells, never into a name:
        ("arn:aws:ec2:*:*:subnet/*", T + "ec2:${Region}:${Account}:network-interface/${NetworkInterfaceId}", False),
        ("arn:aws:secretsmanager:*:*:sql!*", T + "secretsmanager:${Region}:${Account}:secret:${SecretId}", True),
        ("arn:aws:rds:*:*:snapshot:awsbackup:*", T + "rds:${Region}:${Account}:snapshot:${SnapshotName}", True),
        ("arn:*:kms:*:::*", T + "kms:${Region}:${Account}:key/${KeyId}", False),
    ],
)  # fmt: skip
def test_the_cases_the_issue_names(pattern: str, template: str, expected: bool) -> None:
    assert can_match(pattern, template) is expected
    action = {
        "sagemaker": "sagemaker:DescribeModelPackage",
        "s3": "s3:ListBucket",
        "logs": "logs:DescribeLogStreams",
        "ec2": "ec2:DeleteNetworkInterface",
        "secretsmanager": "secretsmanager:GetSecretValue",
        "rds": "rds:DeleteDBSnapshot",
        "kms": "kms:DescribeKey",
    }[template.split(":")[2]]
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": pattern}]}
    verdict = Evaluator([policy_from_text(json.dumps(doc))]).evaluate(Request(action, template))
    assert (verdict.decision is not Decision.NOT_GRANTED) is expected


def lint_policy(tmp_path: Path, *statements: dict) -> list:
    from mplint.app import LintOptions, lint_paths

    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2))
    outcome = lint_paths(LintOptions(paths=[path], base=tmp_path))
    return [f for f in outcome.result.findings if f.rule_id in ("MPL411", "MPL412")]


def test_a_resource_type_wildcard_is_no_mismatch_for_either_rule(tmp_path: Path) -> None:
    stmt = {"Effect": "Allow", "Action": "sagemaker:DescribeModelPackage", "Resource": "arn:aws:sagemaker:*:*:*/churn"}
    assert lint_policy(tmp_path, stmt) == []


def test_an_upper_case_region_matches_nothing_and_a_deny_says_what_it_fails_to_deny(tmp_path: Path) -> None:
    resource = "arn:aws:sagemaker:US-EAST-1:*:model-package/*"
    allow = {"Effect": "Allow", "Action": "sagemaker:DescribeModelPackage", "Resource": resource}
    deny = {"Effect": "Deny", "Action": "sagemaker:DeleteModelPackage", "Resource": resource}
    found = lint_policy(tmp_path, allow, deny)
    assert [f.rule_id for f in found] == ["MPL411", "MPL411"]
    assert found[0].message.endswith("the grant does nothing")
    assert found[1].message.endswith("the Deny does not deny `sagemaker:DeleteModelPackage` on anything")


def test_the_transform_the_cloudformation_guide_names_is_a_resource_of_create_change_set() -> None:
    transform = ("arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31",)
    assert can_apply("cloudformation:CreateChangeSet", transform)
    assert evaluator_applies("cloudformation:CreateChangeSet", transform[0])
    assert not can_apply("cloudformation:DeleteChangeSet", transform)  # the guide names CreateChangeSet only


def test_elb_v2_resources_are_resources_of_the_actions_both_load_balancer_services_name() -> None:
    group = "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"
    assert can_apply("elasticloadbalancing:AddTags", (group,)) and evaluator_applies(
        "elasticloadbalancing:AddTags", group
    )
    alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
    assert can_apply("elasticloadbalancing:DeleteLoadBalancer", (alb,))
    assert not can_apply("elasticloadbalancing:DeleteLoadBalancer", (group,))
