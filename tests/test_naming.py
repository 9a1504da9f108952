"""The PascalCase property -> snake_case column rule, against hand-picked names, the seed and the corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mplint.catalog.schemas import SchemaCatalog
from mplint.model.query import parse_query_file
from mplint.source import read_source
from mplint.stackql.columns import alternate_name, column_name
from mplint.stackql.provider import Decision, Flavour, params, pinned_flavour
from tests.conftest import shared_path

EXTRA_COLUMNS = {"region", "data__identifier", "identifier", "tag_key", "tag_value"}


@pytest.mark.parametrize(
    ("prop", "column"),
    [
        ("ModelPackageArn", "model_package_arn"),
        ("ModelPackageGroupName", "model_package_group_name"),
        ("SupportedResponseMIMETypes", "supported_response_mime_types"),
        ("KMSKeyId", "kms_key_id"),
        ("DBInstanceIdentifier", "db_instance_identifier"),
        ("VPCSecurityGroups", "vpc_security_groups"),
        ("MultiAZ", "multi_az"),
        ("S3Uri", "s3_uri"),
        ("SourceURI", "source_uri"),
        ("RoleARN", "role_arn"),
        ("IAMRoleArn", "iam_role_arn"),
        ("Ipv6CidrBlock", "ipv6_cidr_block"),
        ("Tags", "tags"),
        ("Values", "_values"),
        ("Schema", "_schema"),
        ("Format", "_format"),
    ],
)
def test_column_name(prop: str, column: str) -> None:
    assert column_name(prop) == column


def test_ambiguous_acronyms_have_a_second_spelling() -> None:
    assert alternate_name("AllowedOAuthFlows") == "allowed_oauth_flows"
    assert alternate_name("StorageSizeInGBs") == "storage_size_in_gbs"


def test_seed_fields_are_the_schema_properties_in_snake_case() -> None:
    text = shared_path("domain", "seed-aws.sagemaker.model_packages.txt").read_text(encoding="utf-8")
    fields = text.split("Fields", 1)[1].split("For more information", 1)[0]
    columns = {line.split(" | ", 1)[0] for line in fields.splitlines() if " | " in line} - {"Name", "region"}
    props = SchemaCatalog().schema("AWS::SageMaker::ModelPackage")["properties"]
    assert columns == {column_name(p) for p in props}


def corpus_columns() -> list[tuple[str, str, str]]:
    """(table, column, where) for every bare column read from a single aws/awscc table in the corpus."""
    catalog = SchemaCatalog()
    found = []
    for path in sorted(shared_path("corpus", "stackql-deploy").rglob("*.iql")):
        query = parse_query_file(read_source(path, path.as_posix()))
        for anchor in query.anchors:
            for statement in anchor.statements(query.source):
                for block in statement.blocks:
                    if len(block.tables) != 1 or block.joined or not catalog.cfn_type(block.tables[0].name):
                        continue
                    aliases = {c.name for c in block.columns if c.name and c.name != c.column}
                    for ref in block.idents:
                        name = ref.name.rsplit(".", 1)[-1]
                        if name not in aliases:
                            found.append((block.tables[0].name, name, f"{path.name}:{ref.span.line}"))
    return found


def test_the_rule_reproduces_the_corpus_columns() -> None:
    catalog = SchemaCatalog()
    columns = corpus_columns()
    assert len(columns) > 400, "the corpus should read hundreds of columns"
    unknown = []
    for table, column, where in columns:
        props = catalog.schema(catalog.cfn_type(table))["properties"]
        if column.lower() not in {column_name(p) for p in props} | EXTRA_COLUMNS:
            unknown.append((table, column, where))
    assert unknown == []


def test_corpus_columns_are_snake_case() -> None:
    assert all(re.fullmatch(r"[a-z0-9_]+|data__Identifier|Identifier", c) for _, c, _ in corpus_columns())


def test_flavour_and_parameter_names() -> None:
    decision = Decision({}, Flavour.AWS_CC, "evidence")
    assert decision.flavour("awscc.s3.buckets") is Flavour.AWSCC
    assert decision.flavour("aws.s3.buckets") is Flavour.AWS_CC
    assert decision.flavour("google.compute.instances") is None
    assert params(Flavour.AWS_CC).identifier == "data__Identifier"
    assert params(Flavour.AWSCC).patch == "PatchDocument"


def test_pinned_native_aws() -> None:
    from mplint.model.manifest import build_manifest
    from mplint.source import SourceFile, load_yaml
    from mplint.stackql.provider import pins

    text = "name: s\nproviders:\n  - aws::v26.07.00001\nresources: []\n"
    manifest = build_manifest(load_yaml(SourceFile(Path("m.yml"), "m.yml", text)))
    assert manifest is not None
    assert pinned_flavour(pins(manifest)["aws"]) is Flavour.AWS_NATIVE
    early = pins(build_manifest(load_yaml(SourceFile(Path("m.yml"), "m.yml", text.replace("26.07", "26.06")))))
    assert pinned_flavour(early["aws"]) is Flavour.AWS_CC
    unpinned = pins(build_manifest(load_yaml(SourceFile(Path("m.yml"), "m.yml", text.replace("::v26.07.00001", "")))))
    assert pinned_flavour(unpinned["aws"]) is None
