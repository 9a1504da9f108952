"""IAM glob matching (iam.md rules 3, 5 and 9) and pattern-vs-pattern overlap."""

from __future__ import annotations

import time

import pytest

from mplint.iam import wildcard
from mplint.iam.wildcard import (
    arn_pattern_covers,
    arn_patterns_overlap,
    compile_action,
    compile_arn,
    compile_request_arn,
    match_action,
    match_arn,
)

# ---------------------------------------------------------------------------
# Rule 3: actions — case-insensitive anchored glob


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("S3:getobject", "s3:GetObject", True),  # case-insensitive both ways
        ("s3:GetObject", "S3:GETOBJECT", True),
        ("s3:Get*", "s3:GetObject", True),
        ("s3:*Object", "s3:GetObject", True),
        ("s3:*", "s3:GetObject", True),
        ("*", "sagemaker:CreateModelPackage", True),  # bare * is every action
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:Getbject", False),  # ? is exactly one character
        ("s3:Get??bject", "s3:GetObject", False),
        ("s3:Get", "s3:GetObject", False),  # anchored: no prefix match
        ("s3:GetObject", "s3:GetObjectAcl", False),  # anchored at the end too
        ("Object", "s3:GetObject", False),
        ("s3:*Obj*", "s3:PutObjectTagging", True),
        ("ec2:*", "s3:GetObject", False),
        ("s*:Get*", "s3:GetObject", True),  # a glob over the whole service:Name string
    ],
)
def test_action_glob(pattern: str, action: str, expected: bool) -> None:
    assert match_action(pattern, action) is expected


# ---------------------------------------------------------------------------
# Rule 5: resources — case-sensitive, segment rules


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("arn:aws:s3:::bucket/key", "arn:aws:s3:::bucket/key", True),
        ("arn:aws:s3:::Bucket/key", "arn:aws:s3:::bucket/key", False),  # case-sensitive
        ("arn:aws:s3:::bucket/KEY", "arn:aws:s3:::bucket/key", False),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),  # * spans /
        ("arn:aws:s3:::bucket/*/c", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::buck?t/key", "arn:aws:s3:::bucket/key", True),
        ("arn:aws:s3:::buck?t/key", "arn:aws:s3:::buckt/key", False),
        ("arn:aws:sagemaker:*:*:model-package/*", "arn:aws:sagemaker:us-east-1:1:model-package/g/1", True),
        ("arn:aws:sagemaker:us-*-1:*:model-package/*", "arn:aws:sagemaker:us-east-1:1:model-package/x", True),
        ("arn:aws:sagemaker:eu-*:*:model-package/*", "arn:aws:sagemaker:us-east-1:1:model-package/x", False),
        # A * at the end of a segment runs on across later colons.
        ("arn:aws:logs:us-east-1:1:log-group:app*", "arn:aws:logs:us-east-1:1:log-group:app:log-stream:s", True),
        ("arn:aws:iam::*", "arn:aws:iam::123456789012:role/x", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a:c", True),
        # A * inside a segment does not cross a colon; ? never matches one.
        ("arn:aws:logs:us-east-1:1:log-group:a*m:x", "arn:aws:logs:us-east-1:1:log-group:app:log-stream:x", False),
        ("arn:aws:logs:us-east-1:1:log-group:a*p:x", "arn:aws:logs:us-east-1:1:log-group:app:x", True),
        ("arn:aws:s3:::b?c", "arn:aws:s3:::b:c", False),
        ("arn:aws:sagemaker:us-*-1:*:x", "arn:aws:sagemaker:us-east:foo-1:1:x", False),
        ("*", "arn:aws:s3:::anything", True),
        ("*", "*", True),
        ("arn:*", "*", False),  # rule 7: only a pattern matching the literal * grants a wildcard-only action
        ("?", "*", True),
    ],
)
def test_arn_glob(pattern: str, arn: str, expected: bool) -> None:
    assert match_arn(pattern, arn) is expected


# ---------------------------------------------------------------------------
# Rule 9: policy variables


def test_policy_variable_is_a_wildcard_that_is_reported() -> None:
    glob = compile_arn("arn:aws:s3:::b/${aws:username}/*", variables=True)
    assert glob.variables == ("aws:username",)
    assert glob.matches("arn:aws:s3:::b/alice/x")
    assert not glob.matches("arn:aws:s3:::c/alice/x")


def test_policy_variable_with_default_value_is_named_without_it() -> None:
    glob = compile_arn("arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/*", variables=True)
    assert glob.variables == ("aws:PrincipalTag/team",)


def test_variables_are_literal_text_when_not_enabled() -> None:
    glob = compile_arn("arn:aws:s3:::b/${aws:username}/*")
    assert glob.variables == ()
    assert glob.matches("arn:aws:s3:::b/${aws:username}/x")
    assert not glob.matches("arn:aws:s3:::b/alice/x")


@pytest.mark.parametrize(("escape", "char"), [("${*}", "*"), ("${?}", "?"), ("${$}", "$")])
def test_variable_escapes_stand_for_literal_characters(escape: str, char: str) -> None:
    glob = compile_arn(f"arn:aws:s3:::b/a{escape}b", variables=True)
    assert glob.variables == ()
    assert glob.matches(f"arn:aws:s3:::b/a{char}b")
    assert not glob.matches("arn:aws:s3:::b/axb")


# ---------------------------------------------------------------------------
# Pattern vs pattern


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("arn:aws:s3:::b/a*", "arn:aws:s3:::b/*z", True),  # b/az
        ("arn:aws:s3:::b/a*", "arn:aws:s3:::c/*", False),
        ("arn:aws:sagemaker:*:1:model-package/*", "arn:aws:sagemaker:us-east-1:*:model-package/x", True),
        ("arn:aws:sagemaker:*:1:model-package/*", "arn:aws:sagemaker:us-east-1:2:model-package/x", False),
        ("arn:aws:s3:::*", "*", True),
        ("arn:aws:s3:::b?", "arn:aws:s3:::b:", False),  # ? never takes a colon
        ("arn:aws:s3:::a*b", "arn:aws:s3:::a:b", False),  # nor does a * inside a segment
        ("arn:aws:s3:::a*", "arn:aws:s3:::a:b", True),  # a * at a segment's end does
    ],
)
def test_overlap(a: str, b: str, expected: bool) -> None:
    assert arn_patterns_overlap(a, b) is expected
    assert arn_patterns_overlap(b, a) is expected


@pytest.mark.parametrize(
    ("pattern", "wanted", "expected"),
    [
        ("arn:aws:sagemaker:*:*:model-package/*", "arn:aws:sagemaker:us-east-1:*:model-package/x", True),
        ("arn:aws:sagemaker:*:123:model-package/*", "arn:aws:sagemaker:us-east-1:*:model-package/x", False),
        ("*", "*", True),
        ("arn:aws:s3:::*", "*", False),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/*", True),
        ("arn:aws:s3:::b/a*", "arn:aws:s3:::b/*", False),
        ("arn:aws:s3:::b/*/x", "arn:aws:s3:::b/*", False),
        ("arn:aws:iam::*:role/*", "arn:aws:iam::*:role/deploy", True),
        ("arn:aws:iam::?:role/x", "arn:aws:iam::*:role/x", False),  # ? is one character, * any number
    ],
)
def test_covers(pattern: str, wanted: str, expected: bool) -> None:
    assert arn_pattern_covers(pattern, wanted) is expected


def test_request_question_mark_is_literal() -> None:
    assert compile_request_arn("arn:aws:s3:::b/?").literal == "arn:aws:s3:::b/?"


def test_compiled_patterns_are_cached() -> None:
    assert compile_action("s3:Get*") is compile_action("s3:Get*")
    assert compile_arn("arn:aws:s3:::b/*", True) is compile_arn("arn:aws:s3:::b/*", True)


# ---------------------------------------------------------------------------
# No backtracking blow-up


def test_matching_is_not_exponential() -> None:
    pattern = "a*" * 40 + "b"
    text = "a" * 3000
    start = time.perf_counter()
    assert not match_action(pattern, text)
    assert not match_arn(pattern, text)
    assert not arn_patterns_overlap(pattern, "a" * 200 + "c")
    assert time.perf_counter() - start < 2.0


def test_unknown_request_fields_stay_within_their_field() -> None:
    """An unknown region, account or version never holds a colon, so a NotResource list of other resource
    types cannot exclude it (AmazonSageMakerFullAccess allows sagemaker:* except on domain/*, app/*, ...)."""
    request = compile_request_arn("arn:aws:sagemaker:*:*:model-package/churn-models/*")
    assert not compile_arn("arn:aws:sagemaker:*:*:domain/*").overlaps(request)
    assert compile_arn("arn:aws:sagemaker:*:*:model-package/*").overlaps(request)
    assert compile_request_arn("*").overlaps(compile_arn("arn:aws:s3:::other-bucket/*"))


@pytest.mark.parametrize(
    ("arn", "parts"),
    [
        ("arn:aws:s3:::bucket/key:with:colons", ["arn", "aws", "s3", "", "", "bucket/key:with:colons"]),
        (
            "arn:aws:iam::123456789012:role/${aws:username}",
            ["arn", "aws", "iam", "", "123456789012", "role/${aws:username}"],
        ),
        ("arn:${aws:partition}:s3:::b", ["arn", "${aws:partition}", "s3", "", "", "b"]),
        ("arn:aws:sns", ["arn", "aws", "sns"]),
        ("*", ["*"]),
    ],
)
def test_an_arn_splits_into_its_six_parts_never_inside_a_variable(arn: str, parts: list[str]) -> None:
    assert wildcard._fields(arn) == parts
