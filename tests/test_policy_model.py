"""The policy model: both document forms, string/list forms, spans, and malformed input that never raises."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from mplint.findings import Span
from mplint.model.policy import ConditionEntry, PolicyFile, PolicyKind, load_policy, policy_from_text
from mplint.source import LoadError
from tests.conftest import shared_path

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Models",
      "Effect": "Allow",
      "Action": ["sagemaker:CreateModelPackage", "sagemaker:Describe*"],
      "Resource": "arn:aws:sagemaker:*:*:model-package/*",
      "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}
    },
    {
      "Effect": "Deny",
      "NotAction": "iam:*",
      "NotResource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]
    }
  ]
}
"""


def codes(text: str, name: str = "p.json") -> list[str]:
    return [p.code for p in policy_from_text(text, name).problems]


def doc(value: object) -> str:
    return json.dumps(value, indent=2)


def test_bare_document() -> None:
    policy = policy_from_text(POLICY)
    document = policy.document
    assert policy.kind is PolicyKind.IDENTITY and policy.name == "policy.json"
    assert document.version == "2012-10-17" and document.variables_enabled
    assert document.problems == []
    first, second = document.statements
    assert first.sid == "Models" and first.effect == "Allow"
    assert [p.value for p in first.actions] == ["sagemaker:CreateModelPackage", "sagemaker:Describe*"]
    assert first.not_actions is None and not first.negated_action
    assert [p.value for p in first.resources] == ["arn:aws:sagemaker:*:*:model-package/*"]
    assert first.conditions == (
        ConditionEntry("StringEquals", "aws:RequestedRegion", ("us-east-1", "eu-west-1"), first.conditions[0].span),
    )
    assert first.condition_keys == ("aws:RequestedRegion",)
    assert second.effect == "Deny" and second.negated_action and second.negated_resource
    assert [p.value for p in second.not_actions] == ["iam:*"]
    assert [p.value for p in second.not_resources] == ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]
    assert first.evaluable and second.evaluable


def test_spans_point_at_statements_actions_and_resources() -> None:
    statements = policy_from_text(POLICY, "pol.json").document.statements
    first, second = statements
    assert first.span == Span("pol.json", 4, 5, 10, 6)
    assert first.actions[0].span == Span("pol.json", 7, 18, 7, 48)
    assert first.actions[1].span.line == 7 and first.actions[1].span.col == 50
    assert first.resources[0].span == Span("pol.json", 8, 19, 8, 58)
    assert first.effect_span.line == 6 and first.sid_span.line == 5
    assert first.conditions[0].span.line == 9
    assert second.span.line == 11 and second.not_resources[1].span.line == 14


def test_single_statement_object_and_string_forms() -> None:
    text = doc({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}})
    (stmt,) = policy_from_text(text).document.statements
    assert [p.value for p in stmt.actions] == ["s3:GetObject"]
    assert [p.value for p in stmt.resources] == ["*"]


def test_condition_values_as_iam_reads_them() -> None:
    text = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}},
            },
        }
    )
    (stmt,) = policy_from_text(text).document.statements
    assert [c.values for c in stmt.conditions] == [("true",), ("10",)]


# ---------------------------------------------------------------------------
# The IAM API form


def test_policy_version_with_object_document() -> None:
    inner = json.loads(POLICY)
    policy = policy_from_text(doc({"PolicyVersion": {"Document": inner, "VersionId": "v3", "IsDefaultVersion": True}}))
    assert len(policy.document.statements) == 2
    assert policy.problems == []
    assert policy.document.statements[0].span.line > 2  # real positions in the file


@pytest.mark.parametrize("encode", [lambda t: t, quote, quote_plus], ids=["plain", "url-encoded", "url-encoded-plus"])
def test_policy_version_with_string_document(encode) -> None:
    text = doc({"PolicyVersion": {"Document": encode(POLICY), "VersionId": "v1"}})
    policy = policy_from_text(text, "api.json")
    assert policy.problems == []
    statements = policy.document.statements
    assert [s.sid for s in statements] == ["Models", None]
    # Positions inside a string cannot be mapped: everything points at the Document string.
    assert statements[1].not_resources[0].span.line == 3
    assert statements[0].span == statements[1].span


def test_policy_version_with_broken_string_document() -> None:
    text = doc({"PolicyVersion": {"Document": "%7B%22Version%22 not json"}})
    assert codes(text) == ["bad-document", "not-object"]


def test_policy_version_without_document() -> None:
    assert codes(doc({"PolicyVersion": {"VersionId": "v1"}}))[0] == "no-document"


def test_raw_iam_api_corpus_files_load() -> None:
    raw = shared_path("corpus", "iam", "aws-managed", "iamtrail", "raw")
    files = [*sorted(raw.iterdir())[:150], raw / "AWSCodePipelineFullAccess"]
    for path in files:
        try:
            policy = load_policy(path, path.name)
        except LoadError as exc:  # the two empty files
            assert path.stat().st_size == 0, exc.message
            continue
        assert policy.document.statements, path.name
        assert not [p for p in policy.problems if p.code != "unknown-key"], path.name


@cache
def _managed_policies() -> tuple[PolicyFile, ...]:
    documents = shared_path("corpus", "iam", "aws-managed", "iamtrail", "documents")
    return tuple(load_policy(path, path.name) for path in sorted(documents.glob("*.json")))


def managed_policies() -> tuple[PolicyFile, ...]:
    """The 1,643 AWS managed policies of ../shared (loaded once per test run; skips when absent)."""
    shared_path("corpus", "iam", "aws-managed", "iamtrail", "documents")
    return _managed_policies()


def test_every_managed_policy_document_models_cleanly() -> None:
    policies = managed_policies()
    assert len(policies) == 1643
    for policy in policies:
        assert policy.problems == [], (policy.name, policy.problems[:3])
        assert all(s.evaluable for s in policy.document.statements), policy.name


# ---------------------------------------------------------------------------
# Malformed input never raises


def one(**fields: object) -> dict:
    """A policy holding one statement, Allow s3:* on * unless ``fields`` say otherwise (None drops a key)."""
    stmt = {"Effect": "Allow", "Action": "s3:*", "Resource": "*", **fields}
    return {"Version": "2012-10-17", "Statement": {k: v for k, v in stmt.items() if v is not None}}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (one(Effect=None), ["no-effect"]),
        (one(Effect="allow"), ["bad-effect"]),
        (one(Effect=["Allow"]), ["bad-effect"]),
        (one(NotAction="s3:Get*"), ["both-elements"]),
        (one(NotResource="arn:aws:s3:::x"), ["both-elements"]),
        (one(Action=None), ["no-action"]),
        (one(Resource=None), ["no-resource"]),
        (one(Action=["s3:Get*", 7, None]), ["bad-action", "bad-action"]),
        (one(Action="GetObject"), ["bad-action"]),
        (one(Action=[]), ["empty-action"]),
        (one(Resource={"a": 1}), ["bad-resource"]),
        (one(Sid=4), ["bad-sid"]),
        (one(Condition="x"), ["bad-condition"]),
        (one(Condition={"StringEquals": "x"}), ["bad-condition"]),
        (one(Condition={"StringEquals": {"k": {"nested": 1}}}), ["bad-condition-value"]),
        (one(Actions="s3:*", Action=None), ["unknown-key", "no-action"]),
        ({"Version": "2012-10-18", "Statement": []}, ["bad-version"]),
        ({"Version": 2012, "Statement": []}, ["bad-version"]),
        ({"Statement": []}, ["no-version"]),
        ({"Version": "2012-10-17"}, ["no-statement"]),
        ({"Version": "2012-10-17", "Statement": ["s3:*", 3]}, ["bad-statement", "bad-statement"]),
        ([1, 2], ["not-object"]),
        ("just a string", ["not-object"]),
    ],
)
def test_malformed_policies_become_problems(policy: object, expected: list[str]) -> None:
    assert codes(doc(policy)) == expected


def test_unusable_statements_are_not_evaluable() -> None:
    text = doc(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "s3:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:*"},
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": ["x"]},
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            ],
        }
    )
    assert [s.evaluable for s in policy_from_text(text).document.statements] == [False, False, False, False, True]


def test_problems_carry_spans() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": {"Effect": "Allow", "Action": [1], "Resource": "*"}\n}\n'
    (problem,) = policy_from_text(text, "x.json").problems
    assert problem.span == Span("x.json", 3, 47, 3, 48)
    assert "must be a non-empty string" in problem.message


def test_empty_file_is_a_problem() -> None:
    assert codes("", "empty.yaml") == ["empty"]


# ---------------------------------------------------------------------------
# YAML, files, kinds


def test_yaml_policy_with_unquoted_date_version() -> None:
    text = "Version: 2012-10-17\nStatement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: '*'\n"
    policy = policy_from_text(text, "policy.yaml")
    assert policy.document.version == "2012-10-17"
    assert policy.problems == []
    assert policy.document.statements[0].actions[0].span == Span("policy.yaml", 4, 13, 4, 25)


def test_load_policy_from_file(tmp_path: Path) -> None:
    path = tmp_path / "boundary.json"
    path.write_text(POLICY)
    policy = load_policy(path, "boundary.json", PolicyKind.BOUNDARY)
    assert policy.kind is PolicyKind.BOUNDARY and policy.name == "boundary.json"
    assert len(policy.document.statements) == 2


def test_unparsable_file_raises_load_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"Version": ')
    with pytest.raises(LoadError) as info:
        load_policy(path, "bad.json")
    assert info.value.rule_id == "MPL002"


# ---------------------------------------------------------------------------
# Conditions when the key is absent (iam.md rule 8)


@pytest.mark.parametrize(
    ("operator", "values", "holds"),
    [
        ("StringEquals", ("x",), False),
        ("StringNotEquals", ("x",), True),
        ("StringEqualsIfExists", ("x",), True),
        ("StringNotLikeIfExists", ("x",), True),
        ("ArnNotLike", ("arn:*",), True),
        ("Bool", ("true",), False),
        ("Null", ("true",), True),
        ("Null", ("false",), False),
        ("ForAllValues:StringEquals", ("x",), True),
        ("ForAnyValue:StringEquals", ("x",), False),
        ("ForAnyValue:StringNotEquals", ("x",), False),
    ],
)
def test_condition_outcome_when_key_is_absent(operator: str, values: tuple[str, ...], holds: bool) -> None:
    entry = ConditionEntry(operator, "aws:PrincipalTag/team", values, Span.point("p.json"))
    assert entry.holds_when_key_absent is holds


def test_condition_operator_parts() -> None:
    entry = ConditionEntry("ForAnyValue:StringNotEqualsIfExists", "k", ("v",), Span.point("p.json"))
    assert entry.set_operator == "ForAnyValue"
    assert entry.base_operator == "StringNotEquals"
    assert entry.if_exists and entry.negated
