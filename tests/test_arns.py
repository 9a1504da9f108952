"""ARNs derived from manifest values: what is known is spelled out, what is not becomes `*` and is named."""

from __future__ import annotations

import pytest

from mplint.iam import arns
from mplint.iam.arns import Derived, Place, Rendered

PLACE = Place("aws", "us-east-1", "123456789012")
NOWHERE = Place()


def lit(text: str) -> Rendered:
    return Rendered(text)


def resolver(values: dict[str, str]):
    def resolve(name: str, depth: int) -> Rendered | None:
        if name not in values:
            return None
        return arns.render(values[name], resolve, depth + 1)

    return resolve


def test_render_fills_literals_and_marks_the_rest_unknown() -> None:
    resolve = resolver({"bucket": "acme-ml", "env_bucket": "{{ stack_env }}-ml"})
    assert arns.render("s3://{{ bucket }}/model.tar.gz", resolve) == Rendered("s3://acme-ml/model.tar.gz")
    assert arns.render("s3://{{ env_bucket }}/m", resolve) == Rendered("s3://*-ml/m", ("stack_env",))
    assert arns.render("{{ AWS_REGION }}", resolve) == Rendered("*", ("AWS_REGION",))
    assert arns.render("{{ a | upper }}", resolve).text == "*"
    assert arns.render("plain", resolve) == Rendered("plain")


def test_render_stops_on_names_that_refer_to_each_other() -> None:
    resolve = resolver({"a": "{{ b }}", "b": "{{ a }}"})
    assert arns.render("{{ a }}", resolve).text == "*"


def test_fill_names_the_parts_it_does_not_know() -> None:
    template = "arn:${Partition}:sagemaker:${Region}:${Account}:model-package/${Name}/*"
    assert arns.fill(template, {"Partition": "aws", "Region": None, "Account": None, "Name": "churn"}) == Derived(
        "arn:aws:sagemaker:*:*:model-package/churn/*", ("region", "account")
    )


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), (None, "aws")],
)
def test_partition_of_region(region: str | None, partition: str) -> None:
    assert arns.partition_of(region) == partition


@pytest.mark.parametrize(
    ("uri", "obj", "bucket"),
    [
        ("s3://acme/churn/model.tar.gz", "arn:aws:s3:::acme/churn/model.tar.gz", "arn:aws:s3:::acme"),
        ("s3://acme/churn/", "arn:aws:s3:::acme/churn/*", "arn:aws:s3:::acme"),
        ("s3://acme", "arn:aws:s3:::acme/*", "arn:aws:s3:::acme"),
        ("https://acme.s3.us-east-1.amazonaws.com/a/b.csv", "arn:aws:s3:::acme/a/b.csv", "arn:aws:s3:::acme"),
        ("https://acme.s3.amazonaws.com/a/b.csv", "arn:aws:s3:::acme/a/b.csv", "arn:aws:s3:::acme"),
        ("https://s3.eu-west-1.amazonaws.com/acme/a/b.csv", "arn:aws:s3:::acme/a/b.csv", "arn:aws:s3:::acme"),
    ],
)
def test_s3_uris(uri: str, obj: str, bucket: str) -> None:
    assert arns.s3_object(lit(uri), "aws").arn == obj
    assert arns.s3_bucket(lit(uri), "aws").arn == bucket


def test_s3_prefix_and_non_s3_urls() -> None:
    assert (
        arns.s3_object(lit("s3://acme/validation/input"), "aws", prefix=True).arn
        == "arn:aws:s3:::acme/validation/input*"
    )
    assert arns.s3_object(lit("https://example.com/model.tar.gz"), "aws") is None
    assert not arns.is_s3_uri("https://git.example.com/ml/churn")


def test_s3_uri_with_an_unknown_bucket() -> None:
    derived = arns.s3_bucket(Rendered("s3://*/model.tar.gz", ("bucket",)), "aws")
    assert derived == Derived("arn:aws:s3:::*", ("bucket",))
    assert not derived.known


@pytest.mark.parametrize(
    ("image", "arn"),
    [
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn-xgboost:1.7-1",
            "arn:aws:ecr:us-east-1:123456789012:repository/churn-xgboost",
        ),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model@sha256:abc",
            "arn:aws:ecr:eu-west-1:123456789012:repository/team/model",
        ),
        (
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/model",
            "arn:aws-cn:ecr:cn-north-1:123456789012:repository/model",
        ),
        ("*.dkr.ecr.*.amazonaws.com/model:latest", "arn:aws:ecr:*:*:repository/model"),
    ],
)
def test_ecr_images(image: str, arn: str) -> None:
    assert arns.ecr_repository(lit(image)).arn == arn


def test_images_from_other_registries_are_not_ecr() -> None:
    for image in ("docker.io/library/python:3.12", "ghcr.io/acme/model:1", "public.ecr.aws/acme/model:1"):
        assert arns.ecr_repository(lit(image)) is None
        assert not arns.is_ecr_image(image)


def test_kms_key_forms() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert arns.kms_key(lit(key), NOWHERE) == Derived(key)
    assert arns.kms_key(lit("1234abcd-12ab-34cd-56ef-1234567890ab"), PLACE).arn == key
    by_id = arns.kms_key(lit("1234abcd-12ab-34cd-56ef-1234567890ab"), NOWHERE)
    assert by_id == Derived("arn:aws:kms:*:*:key/1234abcd-12ab-34cd-56ef-1234567890ab", ("region", "account"))


def test_a_kms_alias_leaves_the_key_unknown() -> None:
    alias = arns.kms_key(lit("alias/ml-models"), PLACE)
    assert alias.arn == "arn:aws:kms:us-east-1:123456789012:key/*"
    assert "key the alias names" in alias.unknown
    alias_arn = arns.kms_key(lit("arn:aws:kms:eu-west-1:210987654321:alias/ml"), NOWHERE)
    assert alias_arn.arn == "arn:aws:kms:eu-west-1:210987654321:key/*"


def test_no_kms_value_at_all() -> None:
    assert arns.kms_key(None, NOWHERE).arn == "arn:aws:kms:*:*:key/*"


def test_roles() -> None:
    role = "arn:aws:iam::123456789012:role/model-validation"
    assert arns.iam_role(lit(role), NOWHERE) == Derived(role)
    assert arns.iam_role(lit("model-validation"), PLACE).arn == role
    assert arns.iam_role(lit("model-validation"), NOWHERE) == Derived(
        "arn:aws:iam::*:role/model-validation", ("account",)
    )
    assert arns.iam_role(None, NOWHERE).arn == "arn:aws:iam::*:role/*"


def test_parse_arn() -> None:
    parts = arns.parse_arn("arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1")
    assert parts is not None and (parts.service, parts.region, parts.resource) == (
        "sagemaker",
        "us-east-1",
        "model-package/churn/1",
    )
    assert arns.parse_arn("not-an-arn") is None


def test_describe_unknown() -> None:
    assert arns.describe_unknown(("region", "account")) == "region and account"
    assert arns.describe_unknown(("AWS_REGION",)) == "`AWS_REGION`"
