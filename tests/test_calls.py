"""Statements on native resources bound to the method StackQL routes them to, with their members and values."""

from __future__ import annotations

from pathlib import Path

from mplint.catalog.validator import Opaque
from mplint.config import Config
from mplint.context import Context
from mplint.project import load_project
from mplint.stackql.calls import Call
from tests.conftest import FIXTURES


def calls_of(path: Path, envs: tuple[str, ...] = ()) -> tuple[Context, list[Call]]:
    project = load_project([path], Config())
    ctx = Context(project, envs=envs)
    (stack,) = project.stacks
    return ctx, ctx.calls(stack)


def test_model_package_statements_route_as_stackql_does() -> None:
    _, calls = calls_of(FIXTURES / "valid" / "native-model-package")
    routed = [(c.anchor.key, c.verb, c.method.name) for c in calls]
    assert routed == [
        ("exists", "select", "list_model_packages"),  # no ModelPackageName: the list method
        ("create", "insert", "create_model_package"),
        ("update", "update", "update_model_package"),
        ("statecheck", "select", "describe_model_package"),
        ("exports", "select", "describe_model_package"),
        ("delete", "delete", "delete_model_package"),
    ]
    assert all(c.region is not None and all(a.name != "region" for a in c.args) for c in calls)
    statecheck = calls[3]
    assert [f.name for f in statecheck.filters] == ["model_approval_status"]  # a column, filtered client-side
    assert [r.name for r in calls[1].columns] == ["model_package_arn"]  # RETURNING
    approval = next(a for a in calls[2].args if a.name == "ModelApprovalStatus")
    assert approval.role == "set" and {(v.env, v.value) for v in approval.values} == {
        ("dev", "PendingManualApproval"),
        ("prd", "Approved"),
    }
    arn = next(a for a in calls[2].args if a.name == "ModelPackageArn")
    assert arn.role == "where" and isinstance(arn.values[0].value, Opaque)


def test_the_binding_names_values_by_member() -> None:
    project = load_project([FIXTURES / "valid" / "native-model-package"], Config())
    ctx = Context(project)
    (binding,) = ctx.bindings(project.stacks[0])
    assert binding.is_native and binding.native.id == "aws.sagemaker.model_packages"
    assert binding.method.op == "CreateModelPackage"
    assert binding.cfn_type == "AWS::SageMaker::ModelPackage"  # the Cloud Control twin, for overlays
    tags = next(v for v in binding.values if v.property == "Tags")
    assert [t["Key"] for t in tags.value] == ["team", "Provisioner", "StackName", "StackEnv"]  # merge applied


MANIFEST = """version: 1
name: sg
providers:
  - aws::v26.07.00001
globals:
  - name: region
    value: eu-west-1
resources:
  - name: web_sg
    props:
      - name: vpc_id
        value: vpc-0abc
      - name: ingress
        value:
          - IpProtocol: tcp
            FromPort: 443
            ToPort: 443
            IpRanges:
              - CidrIp: 0.0.0.0/0
"""
QUERY = """/*+ create */
INSERT INTO aws.ec2.security_groups (group_name, GroupDescription, vpc_id, region)
SELECT 'web', 'web tier', '{{ vpc_id }}', '{{ region }}';

/*+ update */
EXEC aws.ec2.security_groups.authorize_security_group_ingress
@GroupName = 'web', @IpPermissions = '{{ ingress }}', @region = '{{ region }}';

/*+ delete */
EXEC aws.ec2.security_groups.revoke_security_group_ingress @@json = '{"GroupName": "web", "DryRun": true}';
"""


def test_snake_aliases_exec_arguments_and_json_bodies(tmp_path: Path) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "stackql_manifest.yml").write_text(MANIFEST)
    (tmp_path / "resources" / "web_sg.iql").write_text(QUERY)
    _, (insert, authorize, revoke) = calls_of(tmp_path)
    assert insert.method.op == "CreateSecurityGroup"
    assert [(a.name, a.member.name) for a in insert.args] == [
        ("group_name", "GroupName"),
        ("GroupDescription", "GroupDescription"),
        ("vpc_id", "VpcId"),
    ]
    assert insert.args[2].values[0].value == "vpc-0abc"
    assert (authorize.verb, authorize.method.op, authorize.method_name) == (
        "exec",
        "AuthorizeSecurityGroupIngress",
        "authorize_security_group_ingress",
    )
    permissions = next(a for a in authorize.args if a.name == "IpPermissions")
    assert permissions.values[0].value[0]["FromPort"] == 443 and authorize.region is not None
    assert [(a.name, a.member.name, a.values[0].value) for a in revoke.args] == [
        ("GroupName", "GroupName", "web"),
        ("DryRun", "DryRun", True),
    ]


def test_cloud_control_stacks_have_no_native_calls() -> None:
    _, calls = calls_of(FIXTURES / "valid" / "model-package-stack")
    assert calls == []


ROUTE_QUERY = """/*+ create */
INSERT INTO aws.ec2.route_tables (VpcId, region)
SELECT '{{ vpc_id }}', '{{ region }}';

INSERT INTO aws.ec2.routes (RouteTableId, DestinationCidrBlock, GatewayId, region)
SELECT 'rtb-0abc', '0.0.0.0/0', 'igw-0abc', '{{ region }}';
"""


def test_each_insert_of_an_anchor_passes_its_own_columns(tmp_path: Path) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "stackql_manifest.yml").write_text(MANIFEST.replace("web_sg", "web_routes"))
    (tmp_path / "resources" / "web_routes.iql").write_text(ROUTE_QUERY)
    _, (table, route) = calls_of(tmp_path)
    assert (table.method.op, [a.name for a in table.args]) == ("CreateRouteTable", ["VpcId"])
    assert table.args[0].values[0].value == "vpc-0abc"  # the props still reach the first INSERT
    assert route.method.op == "CreateRoute"
    assert [(a.name, a.values[0].value) for a in route.args] == [
        ("RouteTableId", "rtb-0abc"),
        ("DestinationCidrBlock", "0.0.0.0/0"),
        ("GatewayId", "igw-0abc"),
    ]
