"""Condition operators against a request context, per the IAM User Guide (see mplint/iam/conditions.py)."""

from __future__ import annotations

import pytest

from mplint.findings import Span
from mplint.iam.conditions import (
    NO_CONTEXT,
    UNKNOWN_VALUE,
    Truth,
    describe,
    evaluate,
    evaluate_block,
    parse_date,
    parse_operator,
)
from mplint.model.policy import ConditionEntry

SPAN = Span("p.json", 1, 1, 1, 2)


class Ctx:
    """Known keys (case-insensitive); None: absent; a key not given: unknown."""

    def __init__(self, **known: object) -> None:
        self.known = {k.replace("__", ":").replace("_S_", "/").lower(): v for k, v in known.items()}

    def values(self, key: str):
        if key.lower() not in self.known:
            return UNKNOWN_VALUE
        value = self.known[key.lower()]
        if value is None:
            return None
        return tuple(value) if isinstance(value, (list, tuple)) else (str(value),)


def entry(operator: str, key: str, *values: str) -> ConditionEntry:
    return ConditionEntry(operator, key, values, SPAN)


def truth(operator: str, key: str, values: tuple[str, ...] | str, ctx: object, variables: bool = True) -> Truth:
    vals = (values,) if isinstance(values, str) else values
    return evaluate(entry(operator, key, *vals), ctx, variables)[0]  # type: ignore[arg-type]


T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
REGION = Ctx(aws__RequestedRegion="us-east-1")
ABSENT = Ctx(aws__RequestedRegion=None)


@pytest.mark.parametrize(
    ("operator", "values", "ctx", "expected"),
    [
        ("StringEquals", "us-east-1", REGION, T),
        ("StringEquals", ("eu-west-1", "us-east-1"), REGION, T),  # several policy values: OR
        ("StringEquals", "US-EAST-1", REGION, F),  # case-sensitive
        ("StringEqualsIgnoreCase", "US-EAST-1", REGION, T),
        ("StringNotEquals", "us-east-1", REGION, F),
        ("StringNotEquals", ("eu-west-1", "eu-west-2"), REGION, T),  # negated: none of the values
        ("StringNotEqualsIgnoreCase", "US-EAST-1", REGION, F),
        ("StringLike", "us-*", REGION, T),
        ("StringLike", "us-east-?", REGION, T),
        ("StringLike", "eu-*", REGION, F),
        ("StringNotLike", "eu-*", REGION, T),
        ("StringEquals", "us-east-1", ABSENT, F),  # absent key: positive operators fail
        ("StringNotEquals", "us-east-1", ABSENT, T),  # ... negated ones hold
        ("StringNotLike", "us-*", ABSENT, T),
        ("StringEqualsIfExists", "eu-west-1", ABSENT, T),
        ("StringEqualsIfExists", "eu-west-1", REGION, F),
        ("StringNotEqualsIfExists", "us-east-1", ABSENT, T),
        ("StringEquals", "us-east-1", NO_CONTEXT, U),
    ],
)
def test_string_operators(operator: str, values, ctx, expected: Truth) -> None:
    assert truth(operator, "aws:RequestedRegion", values, ctx) is expected


def test_keys_are_case_insensitive_through_the_context() -> None:
    assert truth("StringEquals", "AWS:requestedregion", "us-east-1", REGION) is T


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("NumericEquals", "3600", T),
        ("NumericNotEquals", "3600", F),
        ("NumericLessThan", "4000", T),
        ("NumericLessThanEquals", "3600", T),
        ("NumericGreaterThan", "3600", F),
        ("NumericGreaterThanEquals", "3600.0", T),
        ("NumericLessThan", "not-a-number", F),
    ],
)
def test_numeric_operators(operator: str, value: str, expected: Truth) -> None:
    assert truth(operator, "aws:MultiFactorAuthAge", value, Ctx(aws__MultiFactorAuthAge="3600")) is expected


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("DateLessThan", "2027-01-01T00:00:00Z", T),
        ("DateGreaterThan", "2027-01-01", F),
        ("DateEquals", "2026-06-01T12:00:00+00:00", T),
        ("DateNotEquals", "2026-06-01T12:00:00Z", F),
        ("DateLessThanEquals", "1780315200", T),  # epoch seconds for 2026-06-01T12:00:00Z
        ("DateGreaterThanEquals", "1780315201", F),
    ],
)
def test_date_operators(operator: str, value: str, expected: Truth) -> None:
    ctx = Ctx(aws__TokenIssueTime="2026-06-01T12:00:00Z")
    assert truth(operator, "aws:TokenIssueTime", value, ctx) is expected


def test_parse_date_forms() -> None:
    assert parse_date("2026-06-01") == parse_date("2026-06-01T00:00:00Z")
    assert parse_date("1780315200") == parse_date("2026-06-01T12:00:00Z")
    assert parse_date("yesterday") is None


@pytest.mark.parametrize(
    ("value", "ctx", "expected"),
    [
        ("true", Ctx(aws__SecureTransport="true"), T),
        ("TRUE", Ctx(aws__SecureTransport="true"), T),
        ("false", Ctx(aws__SecureTransport="true"), F),
        ("false", Ctx(aws__SecureTransport=None), F),
        ("yes", Ctx(aws__SecureTransport="true"), F),
    ],
)
def test_bool(value: str, ctx, expected: Truth) -> None:
    assert truth("Bool", "aws:SecureTransport", value, ctx) is expected


def test_binary_compares_bytes() -> None:
    ctx = Ctx(s3__x="QmluYXJ5VmFsdWVJbkJhc2U2NA==")
    assert truth("BinaryEquals", "s3:x", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", ctx) is T
    assert truth("BinaryEquals", "s3:x", "QmluYXJ5", ctx) is F


@pytest.mark.parametrize(
    ("operator", "network", "ip", "expected"),
    [
        ("IpAddress", "203.0.113.0/24", "203.0.113.7", T),
        ("IpAddress", "203.0.113.7", "203.0.113.7", T),  # no prefix: /32
        ("IpAddress", "203.0.113.0/24", "198.51.100.1", F),
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", T),
        ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", T),
        ("IpAddress", "2001:DB8::/32", "203.0.113.7", F),
        ("IpAddress", "bogus", "203.0.113.7", F),
    ],
)
def test_ip_address(operator: str, network: str, ip: str, expected: Truth) -> None:
    assert truth(operator, "aws:SourceIp", network, Ctx(aws__SourceIp=ip)) is expected


@pytest.mark.parametrize(
    ("operator", "pattern", "expected"),
    [
        ("ArnLike", "arn:aws:iam::123456789012:role/deploy*", T),
        ("ArnEquals", "arn:aws:iam::*:role/*", T),  # ArnEquals takes wildcards too
        ("ArnLike", "arn:aws:iam::*:user/*", F),
        ("ArnNotLike", "arn:aws:iam::*:user/*", T),
        ("ArnNotEquals", "arn:aws:iam::123456789012:role/deploy-ci", F),
        ("ArnLike", "arn:aws:iam::*", F),  # fewer than six parts
    ],
)
def test_arn_operators(operator: str, pattern: str, expected: Truth) -> None:
    ctx = Ctx(aws__PrincipalArn="arn:aws:iam::123456789012:role/deploy-ci")
    assert truth(operator, "aws:PrincipalArn", pattern, ctx) is expected


def test_arn_parts_are_matched_one_by_one_unlike_string_like() -> None:
    """The User Guide's example: StringLike's `*` runs over colons, ArnLike's stays in its part."""
    arn = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    ctx = Ctx(aws__SourceArn=arn)
    assert truth("StringLike", "aws:SourceArn", pattern, ctx) is T
    assert truth("ArnLike", "aws:SourceArn", pattern, ctx) is F


@pytest.mark.parametrize(
    ("value", "ctx", "expected"),
    [
        ("true", Ctx(aws__TokenIssueTime=None), T),
        ("true", Ctx(aws__TokenIssueTime="2026-01-01"), F),
        ("false", Ctx(aws__TokenIssueTime="2026-01-01"), T),
        ("false", Ctx(aws__TokenIssueTime=None), F),
        ("true", NO_CONTEXT, U),
    ],
)
def test_null(value: str, ctx, expected: Truth) -> None:
    assert truth("Null", "aws:TokenIssueTime", value, ctx) is expected


CALLED_VIA = Ctx(aws__CalledVia=["cloudformation.amazonaws.com", "dynamodb.amazonaws.com"])
NO_CALLS = Ctx(aws__CalledVia=None)
EMPTY = Ctx(aws__CalledVia=[])


@pytest.mark.parametrize(
    ("operator", "values", "ctx", "expected"),
    [
        ("ForAnyValue:StringEquals", "dynamodb.amazonaws.com", CALLED_VIA, T),
        ("ForAnyValue:StringEquals", "athena.amazonaws.com", CALLED_VIA, F),
        ("ForAllValues:StringEquals", "dynamodb.amazonaws.com", CALLED_VIA, F),
        ("ForAllValues:StringEquals", ("dynamodb.amazonaws.com", "cloudformation.amazonaws.com"), CALLED_VIA, T),
        ("ForAllValues:StringLike", "*.amazonaws.com", CALLED_VIA, T),
        ("ForAnyValue:StringNotEquals", "dynamodb.amazonaws.com", CALLED_VIA, T),  # one value differs
        ("ForAllValues:StringNotEquals", "athena.amazonaws.com", CALLED_VIA, T),
        ("ForAllValues:StringNotEquals", "dynamodb.amazonaws.com", CALLED_VIA, F),
        ("ForAnyValue:StringEquals", "dynamodb.amazonaws.com", NO_CALLS, F),  # absent: ForAnyValue false
        ("ForAllValues:StringEquals", "dynamodb.amazonaws.com", NO_CALLS, T),  # ... ForAllValues true
        ("ForAnyValue:StringEquals", "dynamodb.amazonaws.com", EMPTY, F),
        ("ForAllValues:StringEquals", "dynamodb.amazonaws.com", EMPTY, T),
        ("StringEquals", "dynamodb.amazonaws.com", CALLED_VIA, T),  # no qualifier on several values: any
        ("StringNotEquals", "dynamodb.amazonaws.com", CALLED_VIA, F),
    ],
)
def test_set_operators(operator: str, values, ctx, expected: Truth) -> None:
    assert truth(operator, "aws:CalledVia", values, ctx) is expected


PRINCIPAL = Ctx(aws__PrincipalAccount="123456789012", aws__ResourceAccount="123456789012", aws__username=None)


@pytest.mark.parametrize(
    ("operator", "key", "value", "ctx", "expected"),
    [
        ("StringEquals", "aws:ResourceAccount", "${aws:PrincipalAccount}", PRINCIPAL, T),
        ("StringNotEquals", "aws:ResourceAccount", "${aws:PrincipalAccount}", PRINCIPAL, F),
        ("StringEquals", "aws:ResourceAccount", "${aws:PrincipalOrgID}", PRINCIPAL, U),  # the variable unknown
        ("StringEquals", "aws:ResourceAccount", "${aws:username, '123456789012'}", PRINCIPAL, T),  # its default
        ("StringEquals", "aws:ResourceAccount", "${aws:username}", PRINCIPAL, F),  # absent, no default: invalid
        ("StringLike", "aws:ResourceAccount", "${aws:PrincipalAccount}", PRINCIPAL, T),
        ("StringLike", "aws:ResourceAccount", "12345678901${?}", Ctx(aws__ResourceAccount="12345678901?"), T),
        ("StringLike", "aws:ResourceAccount", "12345678901${?}", Ctx(aws__ResourceAccount="123456789012"), F),
        ("NumericEquals", "aws:ResourceAccount", "${aws:PrincipalAccount}", PRINCIPAL, F),  # no variables there
    ],
)
def test_policy_variables_in_values(operator: str, key: str, value: str, ctx, expected: Truth) -> None:
    assert truth(operator, key, value, ctx) is expected


def test_variables_are_literal_text_under_the_old_version() -> None:
    ctx = Ctx(aws__ResourceAccount="${aws:PrincipalAccount}", aws__PrincipalAccount="123456789012")
    assert truth("StringEquals", "aws:ResourceAccount", "${aws:PrincipalAccount}", ctx, variables=False) is T


def test_unknown_operator_is_unknown() -> None:
    assert truth("StringSortOf", "aws:RequestedRegion", "us-east-1", REGION) is U
    assert parse_operator("NullIfExists") is None and parse_operator("ForSomeValues:StringEquals") is None


def test_a_block_is_false_when_any_test_is_false_and_names_the_open_keys() -> None:
    entries = (
        entry("StringEquals", "aws:RequestedRegion", "us-east-1"),
        entry("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
    )
    outcome = evaluate_block(entries, REGION, True)
    assert outcome.truth is U and outcome.keys == ("aws:SourceIp",) and outcome.open == entries[1:]
    assert evaluate_block(entries, Ctx(aws__RequestedRegion="eu-west-1"), True).truth is F
    assert evaluate_block(entries[:1], REGION, True).truth is T


def test_describe_says_what_would_pass() -> None:
    assert describe(entry("IpAddress", "aws:SourceIp", "10.0.0.0/8")) == "`aws:SourceIp` is within `10.0.0.0/8`"
    assert describe(entry("StringNotEquals", "aws:RequestedRegion", "us-east-1")) == (
        "`aws:RequestedRegion` does not equal `us-east-1`"
    )
    assert (
        describe(entry("ForAnyValue:StringEquals", "aws:CalledVia", "a")) == "some value of `aws:CalledVia` equals `a`"
    )
    assert describe(entry("Null", "aws:TokenIssueTime", "true")) == "the request has no `aws:TokenIssueTime`"
    assert "(or the request has none)" in describe(entry("BoolIfExists", "aws:MultiFactorAuthPresent", "true"))


def test_a_partly_known_value_decides_what_it_can() -> None:
    from mplint.iam.conditions import Partial

    ctx = Ctx(kms__ViaService=[Partial("sagemaker.*.amazonaws.com")])
    assert truth("StringLike", "kms:ViaService", "sagemaker.*.amazonaws.com", ctx) is T  # any region passes
    assert truth("StringLike", "kms:ViaService", "s3.*.amazonaws.com", ctx) is F
    assert truth("StringEquals", "kms:ViaService", "sagemaker.us-east-1.amazonaws.com", ctx) is U
    assert truth("StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com", ctx) is F
    assert truth("StringNotEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com", ctx) is T
    assert truth("StringLike", "kms:ViaService", "sagemaker.us-*.amazonaws.com", ctx) is U
    assert truth("ForAnyValue:StringLike", "kms:ViaService", "sagemaker.*", ctx) is T
