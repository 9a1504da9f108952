"""Checkers for the JSON Schema `format` strings the bundled resource schemas use.

A checker takes any instance and answers whether it conforms; an instance of a type the format does not
constrain conforms. A format without a checker is not checked at all (never a false finding): `FORMATS`
holds the checked ones, `UNCHECKED_FORMATS` the ones the bundle carries that are knowingly left alone.
The AWS identifier shapes are those CloudFormation's linter documents for its format keywords.
"""

from __future__ import annotations

import datetime
import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

import regex

from mplint import limits
from mplint.catalog.patterns import compile_pattern, repeat_weight

Checker = Callable[[Any], bool]

_ARN = r"^arn:aws[a-zA-Z-]*:"
_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_TIME = r"([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?"
_OFFSET = r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"
DATE_TIME_RE = re.compile(rf"^{_DATE}[Tt]{_TIME}{_OFFSET}\Z", re.ASCII)
DATE_RE = re.compile(rf"^{_DATE}\Z", re.ASCII)
TIME_RE = re.compile(rf"^{_TIME}{_OFFSET}\Z", re.ASCII)
INT64 = (-(2**63), 2**63 - 1)


def _strings(test: Callable[[str], bool]) -> Checker:
    """A checker that constrains strings only."""
    return lambda instance: not isinstance(instance, str) or test(instance)


def _shape(pattern: str) -> Checker:
    # compiled on first use (and kept by `re`): most runs meet few of the formats
    return _strings(lambda text: re.search(pattern, text, re.ASCII) is not None)


def _real_date(match: re.Match[str] | None) -> bool:
    if match is None:
        return False
    try:
        datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _network(kind: type) -> Checker:
    def test(text: str) -> bool:
        try:
            kind(text)  # strict: host bits set (10.0.0.1/16) is not a network
        except ValueError:
            return False
        return True

    return _strings(test)


def _address(kind: type) -> Checker:
    def test(text: str) -> bool:
        try:
            return not getattr(kind(text), "scope_id", None)
        except ValueError:
            return False

    return _strings(test)


def _int64(instance: Any) -> bool:
    if isinstance(instance, bool) or not isinstance(instance, int):
        return True
    return INT64[0] <= instance <= INT64[1]


def _double(instance: Any) -> bool:
    return isinstance(instance, bool) or not isinstance(instance, float) or math.isfinite(instance)


def _ami(text: str) -> bool:
    # EC2 also takes an SSM parameter that holds the AMI id (`resolve:ssm:/aws/service/...`).
    return text.startswith("resolve:ssm:") or re.search(r"^ami-([0-9a-z]{8}|[0-9a-z]{17})\Z", text) is not None


def _regex(text: str) -> bool:
    bound = limits.current().pattern_repeats
    if repeat_weight(text, bound) > bound:  # compiling it would take seconds: not judged
        return True
    try:
        if compile_pattern(text) is not None:
            return True
        regex.compile(text)  # a construct the ECMA translation does not cover is not proof of a bad expression
    except (regex.error, ValueError, OverflowError):
        return False
    except RecursionError:  # nested past what the compiler follows: not judged
        return True
    return True


FORMATS: dict[str, Checker] = {
    "date-time": _strings(lambda t: _real_date(DATE_TIME_RE.match(t))),
    "date": _strings(lambda t: _real_date(DATE_RE.match(t))),
    "time": _strings(lambda t: TIME_RE.match(t) is not None),
    "email": _strings(lambda t: "@" in t),
    "ipv4": _address(ipaddress.IPv4Address),
    "ipv6": _address(ipaddress.IPv6Address),
    "ipv4-network": _network(ipaddress.IPv4Network),
    "ipv6-network": _network(ipaddress.IPv6Network),
    "regex": _strings(_regex),
    "uri": _shape(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*\Z"),
    "int64": _int64,
    "double": _double,
    "AWS::ACM::Certificate.Arn": _shape(_ARN + r"acm:[a-z0-9-]+:\d{12}:certificate/.+\Z"),
    "AWS::EC2::Image.Id": _strings(_ami),
    "AWS::EC2::SecurityGroup.Id": _shape(r"^sg-([a-fA-F0-9]{8}|[a-fA-F0-9]{17})\Z"),
    "AWS::EC2::SecurityGroup.Name": _shape(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+\Z"),
    "AWS::EC2::Subnet.Id": _shape(r"^subnet-([0-9A-Fa-f]{8}|[0-9A-Fa-f]{17})\Z"),
    "AWS::EC2::VPC.Id": _shape(r"^vpc-([0-9A-Fa-f]{8}|[0-9A-Fa-f]{17})\Z"),
    "AWS::IAM::Role.Arn": _shape(_ARN + r"iam::\d{12}:role/.+\Z"),
    "AWS::KMS::Alias.AliasName": _shape(r"^alias/[a-zA-Z0-9:/_-]+\Z"),
    "AWS::KMS::Key.Arn": _shape(_ARN + r"kms:[a-z0-9-]+:\d{12}:(key|alias)/.+\Z"),
    "AWS::KMS::Key.Id": _shape(
        r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[a-zA-Z0-9/_-]+)\Z"
    ),
    "AWS::Lambda::Function.Arn": _shape(_ARN + r"lambda:[a-z0-9-]+:\d{12}:function:.+\Z"),
    "AWS::Logs::LogGroup.Name": _shape(r"^[.\-_/#A-Za-z0-9]{1,512}\Z"),
    "AWS::S3::Bucket.Name": _shape(r"^(?![.\-])(?!.*\.\.)(?!.*-\.)(?!.*\.-)[a-z0-9.\-]{3,63}(?<![.\-])\Z"),
    "AWS::SNS::Topic.Arn": _shape(_ARN + r"sns:[a-z0-9-]+:\d{12}:.+\Z"),
    "AWS::SQS::Queue.Arn": _shape(_ARN + r"sqs:[a-z0-9-]+:\d{12}:.+\Z"),
}

# A list format: each item has the singular format (checked here only when the items schema names none).
LIST_FORMATS = {
    "AWS::EC2::SecurityGroup.Ids": "AWS::EC2::SecurityGroup.Id",
    "AWS::EC2::SecurityGroup.Names": "AWS::EC2::SecurityGroup.Name",
    "AWS::EC2::Subnet.Ids": "AWS::EC2::Subnet.Id",
}

# Formats the bundle carries that are not checked, and why.
UNCHECKED_FORMATS = {
    "json": "an object, or a string that some services read as JSON and others as YAML or a template",
    "password": "marks a secret; it constrains nothing",
    "string": "constrains nothing",
    "timestamp": "no shape is documented (epoch seconds and date-time strings both occur)",
    "AWS::Route53::HostedZone.Id": "no documented shape",
    "AWS::Route53::AliasTarget.HostedZoneId": "no documented shape",
    # AWS::Rekognition::Collection's read-only Arn: a pattern written where a format name belongs
    r"(^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:collection\/([a-zA-Z0-9_.\-]+){1,255})": "a pattern, not a format",
}

# What a format is called in a message.
LABELS = {
    "date-time": "an RFC 3339 date-time (2024-05-01T12:00:00Z)",
    "date": "an RFC 3339 date (2024-05-01)",
    "time": "an RFC 3339 time (12:00:00Z)",
    "ipv4-network": "an IPv4 CIDR block (10.0.0.0/16, no host bits set)",
    "ipv6-network": "an IPv6 CIDR block (2001:db8::/56, no host bits set)",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "int64": "a 64-bit integer",
    "double": "a finite number",
    "regex": "a regular expression",
    "uri": "a URI",
    "email": "an email address",
    "AWS::ACM::Certificate.Arn": "an ACM certificate ARN",
    "AWS::EC2::Image.Id": "an AMI id (ami- and 8 or 17 characters)",
    "AWS::EC2::SecurityGroup.Id": "a security group id (sg- and 8 or 17 hex digits)",
    "AWS::EC2::SecurityGroup.Name": "a security group name",
    "AWS::EC2::Subnet.Id": "a subnet id (subnet- and 8 or 17 hex digits)",
    "AWS::EC2::VPC.Id": "a VPC id (vpc- and 8 or 17 hex digits)",
    "AWS::IAM::Role.Arn": "an IAM role ARN (arn:aws:iam::123456789012:role/name)",
    "AWS::KMS::Alias.AliasName": "a KMS alias name (alias/name)",
    "AWS::KMS::Key.Arn": "a KMS key or alias ARN",
    "AWS::KMS::Key.Id": "a KMS key id (a UUID, mrk-..., or alias/name)",
    "AWS::Lambda::Function.Arn": "a Lambda function ARN",
    "AWS::Logs::LogGroup.Name": "a CloudWatch Logs group name",
    "AWS::S3::Bucket.Name": "an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)",
    "AWS::SNS::Topic.Arn": "an SNS topic ARN",
    "AWS::SQS::Queue.Arn": "an SQS queue ARN",
    "AWS::EC2::SecurityGroup.Ids": "a list of security group ids",
    "AWS::EC2::SecurityGroup.Names": "a list of security group names",
    "AWS::EC2::Subnet.Ids": "a list of subnet ids",
}


def checker(name: str) -> Checker | None:
    """The checker for a format, or None when it is not checked."""
    return FORMATS.get(name)


def label(name: str) -> str:
    return LABELS.get(name, f"a `{name}`")
