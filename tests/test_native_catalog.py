"""The bundled native `aws` provider catalog: generated from the pinned extract, and read as StackQL reads it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mplint.catalog.native import NATIVE_ZIP, VERBS, NativeCatalog, default_native_catalog, pascal
from mplint.catalog.validator import member_validator
from tests.conftest import ROOT, shared_path


@pytest.fixture(scope="module")
def catalog() -> NativeCatalog:
    return default_native_catalog()


def _generator():
    spec = importlib.util.spec_from_file_location("gen_native_catalog", ROOT / "scripts" / "gen_native_catalog.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_bundle_equals_a_rebuild_from_the_pinned_extract(tmp_path: Path) -> None:
    source = shared_path("data", "stackql-aws-native.json.gz")
    out = tmp_path / "aws-native.zip"
    assert _generator().main(["--source", str(source), "--out", str(out)]) == 0
    assert out.read_bytes() == NATIVE_ZIP.read_bytes(), "mplint/data/aws-native.zip is stale or hand-edited"
    sidecar = NATIVE_ZIP.with_name("aws-native.meta.json")
    assert out.with_name("aws-native.meta.json").read_text() == sidecar.read_text()


def test_meta_names_the_pinned_registry_commit(catalog: NativeCatalog) -> None:
    meta = catalog.meta
    assert meta["commit"].startswith("2f6fff53")
    assert meta["repo"] == "stackql/stackql-provider-registry"
    assert meta["services"] == 419 and meta["methods"] == 17385 + 800


def test_model_packages_as_the_provider_docs_describe_them(catalog: NativeCatalog) -> None:
    resource = catalog.resource("aws.sagemaker.model_packages")
    assert resource is not None and resource.certain and resource.complete
    assert resource.verbs["select"] == ("describe_model_package", "list_model_packages")
    assert resource.route("select", {"ModelPackageName"}).name == "describe_model_package"
    assert resource.route("select", set()).name == "list_model_packages"
    listing = resource.method("list_model_packages")
    assert listing.pagination.request_token.key == "NextToken"
    assert listing.response.object_key == "$.ModelPackageSummaryList"
    create = resource.bucket("insert")[0]
    assert create.op == "CreateModelPackage" and create.required == ()
    assert {"ModelPackageGroupName", "InferenceSpecification", "Tags"} <= set(create.params)
    assert set(create.columns) == {"model_package_arn"}
    approval = create.service.definitions["ModelApprovalStatus"]
    assert approval["enum"] == ["Approved", "Rejected", "PendingManualApproval"]
    assert resource.route("update", {"ModelPackageArn"}).op == "UpdateModelPackage"
    assert resource.route("update", set()) is None
    assert resource.bucket("delete")[0].required == ("ModelPackageName",)
    assert create.service.name == "sagemaker" and create.service.protocol == "json"
    assert create.service.target_prefix == "SageMaker" and not create.service.is_global


def test_security_groups_from_the_ec2_supplement(catalog: NativeCatalog) -> None:
    resource = catalog.resource("aws.ec2.security_groups")
    assert resource.grouping == "docs" and resource.complete and resource.service.rebuilt
    create = resource.route("insert", {"GroupName", "GroupDescription"})
    assert create.op == "CreateSecurityGroup"
    assert set(create.params) == {"GroupDescription", "GroupName", "VpcId", "TagSpecification", "DryRun"}
    assert set(create.required) == {"GroupDescription", "GroupName"}
    assert resource.verbs["update"] == ("authorize_security_group_egress", "authorize_security_group_ingress")
    assert resource.route("update", {"GroupId", "IpPermissions"}).name == "authorize_security_group_egress"
    assert resource.method("revoke_security_group_ingress").verbs == ()
    assert catalog.resource("aws.ec2.instances").complete is False
    vpcs = catalog.resource("aws.ec2.vpcs")
    assert vpcs.grouping == "hint" and not vpcs.certain and vpcs.verbs["insert"] == ("create_vpc",)


def test_iam_roles_and_required_members(catalog: NativeCatalog) -> None:
    roles = catalog.resource("aws.iam.roles")
    assert roles.service.is_global and roles.service.protocol == "query"
    assert roles.verbs["insert"] == ("create_role", "create_service_linked_role")
    assert roles.route("insert", {"AWSServiceName"}).name == "create_service_linked_role"
    assert roles.verbs["replace"] == ("put_role_permissions_boundary",)
    assert roles.method("delete_role_permissions_boundary").verbs == ()
    assert roles.method("update_role_description").aws_required_extra == ("Description",)
    function = catalog.resource("aws.lambda.functions").route("insert", {"FunctionName"})
    assert function.required == ("FunctionName",)
    assert {"Role", "Code"} <= set(function.all_required)


def test_snake_case_aliases_are_recased_as_stackql_does(catalog: NativeCatalog) -> None:
    create = catalog.resource("aws.ec2.security_groups").method("create_security_group")
    assert create.param("vpc_id").name == "VpcId"
    assert create.param("group_description").name == "GroupDescription"
    assert create.param("Vpc_Id") is None
    linked = catalog.resource("aws.iam.roles").method("create_service_linked_role")
    assert linked.param("aws_service_name") is None  # lossy for acronyms, as in StackQL
    assert linked.similar("aws_service_name") == "AWSServiceName"
    assert pascal("ipv_6_cidr_block") == "Ipv6CidrBlock"
    bucket = catalog.resource("aws.s3.buckets").method("create_bucket")
    assert bucket.param("bucket").location == "path" and bucket.param("x-amz-acl").location == "header"


def test_unknown_names(catalog: NativeCatalog) -> None:
    assert catalog.resource("aws.sagemaker.no_such_things") is None
    assert catalog.resource("aws.no_such_service.things") is None
    assert catalog.resource("awscc.sagemaker.model_packages") is None
    assert catalog.resource("aws.sagemaker") is None
    assert catalog.service("_meta") is None
    assert "model_packages" in catalog.resource_names("sagemaker")
    assert "sagemaker" in catalog.services() and "ec2" in catalog.services()


def test_iam_action_table(catalog: NativeCatalog) -> None:
    iam = catalog.iam
    assert iam.prefix("cloudwatch") == "cloudwatch" and iam.prefix("resourcegroupstaggingapi") == "tag"
    assert iam.prefix("sagemaker", "sagemaker") == "sagemaker"
    assert iam.actions("s3", "ListBuckets") == ("s3:ListAllMyBuckets",)
    assert iam.actions("s3", "CreateBucket") is None
    assert iam.http_verb("apigateway") and not iam.http_verb("s3")
    assert iam.no_iam("sso") and iam.no_iam("iam") is None


def test_member_values_through_the_one_validator(catalog: NativeCatalog) -> None:
    create = catalog.resource("aws.sagemaker.model_packages").method("create_model_package")
    errors = {
        (e.validator, tuple(e.absolute_path))
        for e in member_validator(create.schema).iter_errors(
            {
                "ModelApprovalStatus": "Aproved",
                "Tags": [{"key": "a", "Value": "b"}],
                "CustomerMetadataProperties": {"x": "y"},
            }
        )
    }
    assert errors == {
        ("enum", ("ModelApprovalStatus",)),
        ("required", ("Tags", 0)),
        ("additionalProperties", ("Tags", 0)),
    }
    role = catalog.resource("aws.iam.roles").method("create_role")
    form = member_validator(role.schema, form_encoded=True)
    assert not list(form.iter_errors({"MaxSessionDuration": "3600", "RoleName": "deploy"}))
    assert [e.validator for e in form.iter_errors({"MaxSessionDuration": 60})] == ["minimum"]
    assert [e.validator for e in form.iter_errors({"MaxSessionDuration": "an hour"})] == ["type"]


_KEYWORD_TYPES = {
    "minimum": (int, float), "maximum": (int, float), "minLength": int, "maxLength": int,
    "enum": list, "required": list, "pattern": str, "properties": dict, "items": dict, "$ref": str,
}  # fmt: skip
_TYPES = {"string", "object", "array", "integer", "boolean", "number"}


def _malformed(node: object, path: str, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            want = _KEYWORD_TYPES.get(key)
            if want and not isinstance(value, want):
                out.append(f"{path}.{key}={value!r}")
            if key == "type" and value not in _TYPES:
                out.append(f"{path}.type={value!r}")
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    _malformed(sub, f"{path}.{name}", out)
            elif key in ("items", "additionalProperties"):
                _malformed(value, f"{path}[]", out)


def test_every_shape_is_usable_json_schema(catalog: NativeCatalog) -> None:
    """Every keyword the validator reads has the type it expects, and every reference resolves."""
    bad: list[str] = []
    for key in catalog.services():
        service = catalog.service(key)
        definitions = service.definitions
        for name, schema in definitions.items():
            _malformed(schema, f"{key}.{name}", bad)
        for resource_name in service.resource_names:
            resource = service.resource(resource_name)
            assert set(resource.verbs) <= set(VERBS)
            for method in resource.methods.values():
                for param in method.params.values():
                    ref = param.schema.get("$ref", "#/definitions/")
                    if ref.removeprefix("#/definitions/") not in definitions and "type" not in param.schema:
                        bad.append(f"{resource.id}.{method.name}.{param.name}: {ref}")
    assert bad == []
