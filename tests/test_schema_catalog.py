"""The bundled resource schemas, their helpers and the StackQL -> CloudFormation type map."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker

from mplint.catalog.patterns import compile_pattern
from mplint.catalog.schemas import (
    SCHEMAS_DIR,
    SchemaCatalog,
    archive_name,
    conditional_create_only,
    create_only,
    default_catalog,
    handler_permissions,
    pointer_paths,
    primary_identifier,
    read_only,
    type_name_of,
    write_only,
)
from mplint.catalog.validator import SchemaValidator, resource_validator

REFERENCE = Path("/work/shared/data/aws-sagemaker-modelpackage.schema.json")
MODEL_PACKAGE = "AWS::SageMaker::ModelPackage"
TYPE_COUNT = 1854  # us-east-1 index of cfn-lint 1.58.0
TYPE_MAP_ENTRIES = 5231
# Mapped by StackQL but absent from the us-east-1 schemas (IoTEvents is in other regions' indexes).
UNBUNDLED_MAPPED_TYPES = {
    "AWS::DataSync::StorageSystem",
    "AWS::IoTEvents::AlarmModel",
    "AWS::IoTEvents::DetectorModel",
    "AWS::IoTEvents::Input",
    "AWS::IoTFleetHub::Application",
    "AWS::LookoutMetrics::Alert",
    "AWS::LookoutMetrics::AnomalyDetector",
    "AWS::OpsWorksCM::Server",
}
# Types whose schema fails Draft 7 check_schema (with `format: regex` judged by compile_pattern). None.
EXPECTED_CHECK_SCHEMA_FAILURES: dict[str, list[str]] = {}
# What validating {} may report: missing required properties (also "exactly/at least one of"), and
# top-level *Of over required sets.
EMPTY_OBJECT_ERRORS = {"required", "requiredXor", "requiredOr", "oneOf", "anyOf", "allOf"}


# -- the production validator (ECMA-262 patterns) ------------------------------------------------------
EcmaDraft7 = SchemaValidator


def _format_checker() -> FormatChecker:
    """Standard formats; unknown ones (``AWS::KMS::Key.Arn``, ``json``, ``int64``) pass; regex is ECMA."""
    checker = FormatChecker()
    checker.checks("regex")(lambda value: not isinstance(value, str) or compile_pattern(value) is not None)
    return checker


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def catalog() -> SchemaCatalog:
    return SchemaCatalog()


@pytest.fixture(scope="module")
def schemas(catalog: SchemaCatalog) -> dict[str, dict]:
    return {name: catalog.schema(name) for name in catalog.type_names()}


# -- the zip ---------------------------------------------------------------------------------------------
def test_meta(catalog: SchemaCatalog) -> None:
    assert catalog.source_version == "cfn-lint 1.58.0"
    assert catalog.meta["types"] == TYPE_COUNT == len(catalog.type_names())
    assert catalog.meta["region"] == "us-east-1"
    assert len(catalog.meta["sha256"]) == 64


def test_every_schema_loads(schemas: dict[str, dict]) -> None:
    assert len(schemas) == TYPE_COUNT
    for name, schema in schemas.items():
        assert isinstance(schema, dict) and schema["typeName"] == name
        assert isinstance(schema["properties"], dict)


@pytest.mark.parametrize("name", ["AWS::No::Such", "AWS::SageMaker::NoSuch", "AWS::SageMaker", "ModelPackage", "::"])
def test_unknown_type_is_none(catalog: SchemaCatalog, name: str) -> None:
    assert catalog.schema(name) is None
    assert not catalog.has_type(name)


def test_each_service_has_one_archive_of_its_own_types(catalog: SchemaCatalog) -> None:
    archives = sorted(SCHEMAS_DIR.glob("*.zip"))
    services = {archive_name(name) for name in catalog.type_names()}
    assert [path.name for path in archives] == sorted(services)
    for path in archives:
        with zipfile.ZipFile(path) as archive:
            assert {archive_name(type_name_of(member)) for member in archive.namelist()} == {path.name}


def test_schema_is_cached(catalog: SchemaCatalog) -> None:
    assert catalog.schema(MODEL_PACKAGE) is catalog.schema(MODEL_PACKAGE)
    assert default_catalog() is default_catalog()


def test_opening_is_lazy(tmp_path: Path) -> None:
    missing = SchemaCatalog(schemas_dir=tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        missing.schema(MODEL_PACKAGE)


def test_import_is_light() -> None:
    heavy = "{'zipfile', 'regex', 'jsonschema'}"
    code = f"import sys, mplint.catalog.schemas; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference copy not available")
def test_model_package_equals_reference(catalog: SchemaCatalog) -> None:
    assert catalog.schema(MODEL_PACKAGE) == json.loads(REFERENCE.read_text(encoding="utf-8"))


# -- helpers ---------------------------------------------------------------------------------------------
def test_model_package_helpers(catalog: SchemaCatalog) -> None:
    schema = catalog.schema(MODEL_PACKAGE)
    assert read_only(schema) == {"ModelPackageArn", "CreationTime", "LastModifiedTime", "ModelPackageStatus"}
    assert write_only(schema) == {"ClientToken", "AdditionalInferenceSpecificationsToAdd"}
    assert {"ModelPackageGroupName", "InferenceSpecification", "SecurityConfig"} <= create_only(schema)
    assert conditional_create_only(schema) == {"ModelCard", "SourceUri"}
    assert primary_identifier(schema) == ["ModelPackageArn"]
    assert "sagemaker:CreateModelPackage" in handler_permissions(schema, "create")
    assert handler_permissions(schema, "delete") == schema["handlers"]["delete"]["permissions"]
    assert handler_permissions(schema, "list") == ["sagemaker:ListModelPackages"]
    assert handler_permissions(schema, "nope") == []


def test_nested_pointers_are_kept() -> None:
    schema = {"readOnlyProperties": ["/properties/A", "/properties/B/C", "/properties/D/*/E~1F"]}
    assert pointer_paths(schema, "readOnlyProperties") == [("A",), ("B", "C"), ("D", "*", "E/F")]
    assert read_only(schema) == {"A"}  # B and D are only partly read-only


def test_pointers_name_existing_properties(schemas: dict[str, dict]) -> None:
    keys = (
        "readOnlyProperties",
        "createOnlyProperties",
        "writeOnlyProperties",
        "conditionalCreateOnlyProperties",
        "primaryIdentifier",
    )
    dangling = [
        (name, key, path)
        for name, schema in schemas.items()
        for key in keys
        for path in pointer_paths(schema, key)
        if not path or path[0] not in schema["properties"]
    ]
    assert dangling == []


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(schema: dict, pointer: str) -> object:
    node: Any = schema
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_refs_resolve(schemas: dict[str, dict]) -> None:
    """Refs are local; handlers.list.handlerSchema also uses resource-schema.json#/properties/X (= this schema)."""
    for schema in schemas.values():
        body = {k: v for k, v in schema.items() if k != "handlers"}
        for ref in _refs(body):
            assert ref.startswith("#/"), ref
            _resolve(schema, ref[1:])
        for ref in _refs(schema.get("handlers", {})):
            assert ref.startswith(("resource-schema.json#/properties/", "#/properties/")), ref
            _resolve(schema, ref.split("#", 1)[1])


# -- Draft 7 over every schema ---------------------------------------------------------------------------
def test_check_schema(schemas: dict[str, dict]) -> None:
    meta = Draft7Validator(Draft7Validator.META_SCHEMA, format_checker=_format_checker())
    failures = {name: sorted(err.message for err in meta.iter_errors(schema)) for name, schema in schemas.items()}
    assert {k: v for k, v in failures.items() if v} == EXPECTED_CHECK_SCHEMA_FAILURES


def test_validate_empty_object(schemas: dict[str, dict]) -> None:
    """The validator the schema check uses (refs inlined) judges `{}` for every type without a crash."""
    seen: set[str] = set()
    for schema in schemas.values():
        seen.update(str(err.validator) for err in resource_validator(schema).iter_errors({}))
    assert seen <= EMPTY_OBJECT_ERRORS


def test_validate_model_package_instance(catalog: SchemaCatalog) -> None:
    validator = EcmaDraft7(catalog.schema(MODEL_PACKAGE), format_checker=_format_checker())
    good = {"ModelPackageGroupName": "my-group", "Tags": [{"Key": "\u00c9quipe", "Value": "a b"}]}
    assert list(validator.iter_errors(good)) == []
    bad = {"ModelPackageGroupName": "my-group", "Tags": [{"Key": "a#b", "Value": "x"}], "Nope": 1}
    assert sorted(str(e.validator) for e in validator.iter_errors(bad)) == ["additionalProperties", "pattern"]


def test_pattern_property_keys_need_the_override(catalog: SchemaCatalog) -> None:
    """ModelPackage.CustomerMetadataProperties is keyed by ``^([\\p{L}...]*)${1,128}``: stock jsonschema
    runs patternProperties/additionalProperties keys through ``re`` and raises; the overrides work."""
    schema = catalog.schema(MODEL_PACKAGE)
    instance = {"ModelPackageGroupName": "g", "CustomerMetadataProperties": {"\u00e9tape": "un", "a#b": ""}}
    with pytest.raises(re.error):
        list(Draft7Validator(schema).iter_errors(instance))
    errors = {(tuple(e.absolute_path), str(e.validator)) for e in EcmaDraft7(schema).iter_errors(instance)}
    assert errors == {(("CustomerMetadataProperties",), "additionalProperties")}


# -- StackQL type map ------------------------------------------------------------------------------------
def test_type_map_size(catalog: SchemaCatalog) -> None:
    assert len(catalog.type_map()) == TYPE_MAP_ENTRIES


@pytest.mark.parametrize(
    "name",
    [
        "aws.sagemaker.model_packages",
        "awscc.sagemaker.model_packages",
        "awscc.sagemaker.model_packages_list_only",
        "aws.sagemaker.model_packages_list_only",
        "aws.sagemaker.model_package_tags",
    ],
)
def test_model_package_names(catalog: SchemaCatalog, name: str) -> None:
    assert catalog.cfn_type(name) == MODEL_PACKAGE


def test_type_map_lookups(catalog: SchemaCatalog) -> None:
    assert catalog.cfn_type("awscc.s3.buckets") == "AWS::S3::Bucket"
    assert catalog.cfn_type("AWSCC.S3.Buckets") == "AWS::S3::Bucket"
    assert catalog.cfn_type("awscc.s3.no_such_things") is None
    assert catalog.stackql_names(MODEL_PACKAGE) == [
        "aws.sagemaker.model_package_tags",
        "aws.sagemaker.model_packages",
        "aws.sagemaker.model_packages_list_only",
        "awscc.sagemaker.model_packages",
        "awscc.sagemaker.model_packages_list_only",
    ]
    assert catalog.stackql_names("AWS::No::Such") == []


def test_type_map_views(catalog: SchemaCatalog) -> None:
    names = catalog.type_map()
    list_only = [n for n in names if n.endswith("_list_only")]
    tags = [n for n in names if n.endswith("_tags")]
    assert len(list_only) == 2200 and len(tags) == 698
    assert all(names[n] == names.get(n.removesuffix("_list_only"), names[n]) for n in list_only)
    assert sum(n.startswith("awscc.") for n in names) == 2373


def test_mapped_types_have_schemas(catalog: SchemaCatalog) -> None:
    bundled = set(catalog.type_names())
    assert set(catalog.type_map().values()) - bundled == UNBUNDLED_MAPPED_TYPES
