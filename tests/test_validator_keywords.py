"""The validator's keywords on plain JSON Schemas: one test per keyword beyond Draft 7, formats, faults()."""

from __future__ import annotations

import pytest

from mplint.catalog import formats
from mplint.catalog.validator import JavaText, Opaque, SchemaValidator, faults, names_key


def errors(schema: dict, instance: object) -> list[tuple[str, tuple, str]]:
    return [(e.validator, tuple(e.absolute_path), e.message) for e in faults(SchemaValidator(schema), instance)]


def kinds(schema: dict, instance: object) -> list[tuple[str, tuple]]:
    return [(kind, path) for kind, path, _ in errors(schema, instance)]


def test_required_xor() -> None:
    schema = {"requiredXor": ["A", "B", "C"]}
    assert kinds(schema, {"A": 1}) == []
    assert kinds(schema, {}) == [("requiredXor", ())]
    assert kinds(schema, {"C": 1, "A": 2, "B": 3}) == [("requiredXor", ("A",)), ("requiredXor", ("B",))]
    assert kinds(schema, "not an object") == []


def test_required_or() -> None:
    schema = {"requiredOr": ["A", "B"]}
    assert kinds(schema, {"A": 1, "B": 2}) == []
    assert kinds(schema, {"C": 1}) == [("requiredOr", ())]


def test_dependent_required_reports_at_the_key_that_needs() -> None:
    schema = {"dependentRequired": {"A": ["B", "C"]}}
    assert kinds(schema, {"B": 1}) == []
    found = list(faults(SchemaValidator(schema), {"A": 1, "B": 2}))
    assert [(e.validator, list(e.path), names_key(e)) for e in found] == [("dependentRequired", ["A"], True)]
    assert "`A` requires `C`, which is not set" in found[0].message


def test_dependencies_array_form_is_dependent_required_and_schema_form_descends() -> None:
    schema = {"dependencies": {"A": ["B"], "C": {"required": ["D"]}}}
    assert kinds(schema, {"A": 1}) == [("dependencies", ("A",))]
    assert kinds(schema, {"C": 1}) == [("required", ())]
    assert kinds(schema, {"A": 1, "B": 1, "C": 1, "D": 1}) == []


def test_dependent_excluded_once_per_pair_at_the_later_key() -> None:
    schema = {"dependentExcluded": {"A": ["B"], "B": ["A"], "C": ["A"]}}
    assert kinds(schema, {"B": 1, "A": 1}) == [("dependentExcluded", ("A",))]
    assert kinds(schema, {"A": 1, "C": 1}) == [("dependentExcluded", ("C",))]
    assert kinds(schema, {"A": 1}) == []


def test_enum_case_insensitive() -> None:
    schema = {"type": "string", "enumCaseInsensitive": ["gp3", "io2"]}
    assert kinds(schema, "GP3") == []
    assert kinds(schema, "Io2") == []
    assert kinds(schema, "gp4") == [("enumCaseInsensitive", ())]
    assert kinds(schema, Opaque("{{ volume_type }}")) == []


def test_prefix_items_with_items_for_the_rest() -> None:
    schema = {"type": "array", "prefixItems": [{"const": "HASH"}, {"const": "RANGE"}], "items": {"type": "integer"}}
    assert kinds(schema, ["HASH", "RANGE", 3]) == []
    assert kinds(schema, ["RANGE"]) == [("const", (0,))]
    assert kinds(schema, ["HASH", "RANGE", "x"]) == [("type", (2,))]  # items does not apply to the prefix


def test_draft7_tuple_items_still_work() -> None:
    assert kinds({"items": [{"type": "string"}, {"type": "integer"}]}, ["a", "b"]) == [("type", (1,))]


def test_unique_keys_at_the_second_item() -> None:
    schema = {"type": "array", "uniqueKeys": ["Name"]}
    assert kinds(schema, [{"Name": "a", "V": 1}, {"Name": "b", "V": 1}]) == []
    assert kinds(schema, [{"Name": "a", "V": 1}, {"Name": "a", "V": 2}]) == [("uniqueKeys", (1,))]
    assert kinds(schema, [{"Name": Opaque("{{ n }}")}, {"Name": Opaque("{{ n }}")}]) == []  # cannot tell
    assert kinds(schema, [{"N": 1}, {"N": 1}]) == []  # items without the key are not compared


def test_max_unique_items_counts_different_values() -> None:
    schema = {"maxUniqueItems": 2}
    assert kinds(schema, ["a", "a", "b", "b"]) == []
    assert kinds(schema, ["a", "b", "c"]) == [("maxUniqueItems", ())]
    assert kinds(schema, [1, 1.0, True]) == []  # 1 and 1.0 are one number; true is a boolean


def test_format_checked_and_unknown_formats_skipped() -> None:
    assert kinds({"format": "AWS::EC2::VPC.Id"}, "vpc-0123abcd") == []
    assert kinds({"format": "AWS::EC2::VPC.Id"}, "vpc-123") == [("format", ())]
    assert kinds({"format": "AWS::EC2::VPC.Id"}, 42) == []  # a format constrains its own type only
    assert kinds({"format": "no-such-format"}, "anything") == []
    assert kinds({"format": "json"}, "{not json") == []  # knowingly unchecked
    assert kinds({"format": "AWS::EC2::VPC.Id"}, Opaque("{{ vpc_id }}")) == []


def test_list_format_checks_items_unless_the_items_name_a_format() -> None:
    plain = {"type": "array", "format": "AWS::EC2::Subnet.Ids", "items": {"type": "string"}}
    assert kinds(plain, ["subnet-0123abcd", "subnet-x"]) == [("format", (1,))]
    itemised = {"type": "array", "format": "AWS::EC2::Subnet.Ids", "items": {"format": "AWS::EC2::Subnet.Id"}}
    assert kinds(itemised, ["subnet-x"]) == [("format", (0,))]  # once, from the item's own format


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("date-time", ["2024-05-01T12:00:00Z", "2024-05-01t12:00:00.5+02:00"], ["2024-05-01", "2024-02-30T00:00:00Z"]),
        ("date", ["2024-02-29"], ["2023-02-29", "2024-5-1"]),
        ("time", ["12:00:00Z"], ["12:00"]),
        ("ipv4-network", ["10.0.0.0/16", "0.0.0.0/0", "10.1.2.3"], ["10.0.0.1/16", "10.0.0.0/33", "300.0.0.0/8"]),
        ("ipv6-network", ["2001:db8::/56", "::/0"], ["2001:db8::1/56", "2001:db8::/129"]),
        ("ipv4", ["192.0.2.1"], ["192.0.2.256"]),
        ("ipv6", ["2001:db8::1"], ["2001:db8::1%eth0", "g::1"]),
        ("int64", [2**63 - 1, -(2**63), "text"], [2**63]),
        ("double", [1.5, 1], [float("inf"), float("nan")]),
        ("regex", ["^[a-z]+$", "\\p{L}+"], ["(unclosed"]),
        ("uri", ["https://example.com/a"], ["example.com", "http://a b"]),
        ("AWS::EC2::Image.Id", ["ami-0123abcd", "ami-0123456789abcdef0", "resolve:ssm:/aws/service/ami"], ["ami-1"]),
        ("AWS::EC2::SecurityGroup.Id", ["sg-0123abcd"], ["sg-0123abcg", "sg-01234"]),
        ("AWS::EC2::Subnet.Id", ["subnet-0123456789abcdef0"], ["subnet-0123"]),
        ("AWS::EC2::VPC.Id", ["vpc-0123ABCD"], ["vpc-"]),
        ("AWS::IAM::Role.Arn", ["arn:aws-cn:iam::123456789012:role/x"], ["arn:aws:iam::123456789012:user/x"]),
        ("AWS::KMS::Key.Arn", ["arn:aws:kms:us-east-1:123456789012:alias/a"], ["alias/a"]),
        ("AWS::KMS::Key.Id", ["1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-" + "a" * 32, "alias/x"], ["1234"]),
        ("AWS::KMS::Alias.AliasName", ["alias/aws/s3"], ["aws/s3"]),
        ("AWS::S3::Bucket.Name", ["my.bucket-1"], ["My_Bucket", "a..b", "ab", "-ab"]),
        ("AWS::Logs::LogGroup.Name", ["/aws/lambda/fn"], ["has space"]),
        ("AWS::Lambda::Function.Arn", ["arn:aws:lambda:us-east-1:123456789012:function:f:1"], ["f"]),
        ("AWS::SNS::Topic.Arn", ["arn:aws:sns:us-east-1:123456789012:t"], ["arn:aws:sqs:us-east-1:123456789012:t"]),
        ("AWS::SQS::Queue.Arn", ["arn:aws:sqs:us-east-1:123456789012:q"], ["https://sqs.us-east-1/q"]),
        ("AWS::ACM::Certificate.Arn", ["arn:aws:acm:us-east-1:123456789012:certificate/x"], ["x"]),
        ("AWS::EC2::SecurityGroup.Name", ["web (prod)"], ["tab\there"]),
    ],
)
def test_format_checker(name: str, good: list, bad: list) -> None:
    check = formats.checker(name)
    assert check is not None
    assert [v for v in good if not check(v)] == []
    assert [v for v in bad if check(v)] == []


def test_every_checked_format_has_a_label() -> None:
    assert set(formats.FORMATS) | set(formats.LIST_FORMATS) <= set(formats.LABELS)


def test_wrong_type_gives_one_error() -> None:
    schema = {"properties": {"R": {"type": "integer", "enum": [1, 90]}, "S": {"type": "string", "pattern": "^a"}}}
    assert kinds(schema, {"R": "90", "S": 5}) == [("type", ("R",)), ("type", ("S",))]
    assert kinds(schema, {"R": 91}) == [("enum", ("R",))]


def test_pattern_and_format_are_two_constraints() -> None:
    """The schema's pattern and the format (cfn-lint's shape) are both reported, as cfn-lint does."""
    schema = {"type": "string", "pattern": "^[a-z0-9.-]+$", "format": "AWS::S3::Bucket.Name"}
    assert sorted(kinds(schema, "Acme_Data")) == [("format", ()), ("pattern", ())]
    assert kinds(schema, "ab") == [("format", ())]  # the pattern allows it; the format does not


def test_one_of_required_sets_beside_required_xor_is_not_repeated() -> None:
    schema = {"oneOf": [{"required": ["A"]}, {"required": ["B"]}], "requiredXor": ["A", "B"]}
    assert kinds(schema, {"A": 1, "B": 2}) == [("requiredXor", ("B",))]
    assert kinds(schema, {}) == [("requiredXor", ())]
    assert kinds({"oneOf": [{"required": ["A"]}, {"required": ["B"]}]}, {}) == [("oneOf", ())]


def test_java_dollar_for_java_text_only() -> None:
    schema = {"pattern": "^[a-z]+$"}
    assert kinds(schema, JavaText("abc\n")) == []
    assert kinds(schema, "abc\n") == [("pattern", ())]
    assert kinds(schema, JavaText("abc\ndef\n")) == [("pattern", ())]
    assert kinds(schema, JavaText("abc\n\n")) == [("pattern", ())]
    assert kinds({"pattern": "^[a-z]+\\Z"}, JavaText("abc\r\n")) == []


def test_any_json_schema_in_the_dialect() -> None:
    """The validator is not tied to resource schemas: a request shape validates the same way."""
    shape = {
        "type": "object",
        "properties": {"Name": {"type": "string", "pattern": "^\\p{L}+$"}, "Ids": {"format": "AWS::EC2::Subnet.Ids"}},
        "required": ["Name"],
        "additionalProperties": False,
    }
    assert kinds(shape, {"Name": "Größe", "Ids": ["subnet-0123abcd"]}) == []
    assert sorted(kinds(shape, {"Name": "a1", "Extra": 1})) == [("additionalProperties", ()), ("pattern", ("Name",))]
