"""The native statement checks: levels where the catalog is rebuilt, and the Cloud Control rules kept off native."""

from __future__ import annotations

from pathlib import Path

from mplint.app import LintOptions, lint_paths
from mplint.findings import Finding, Level
from tests.conftest import FIXTURES, ROOT

NATIVE = FIXTURES / "native"
CLOUD_CONTROL_ONLY = {"MPL130", "MPL131", "MPL132", "MPL133", "MPL134", "MPL135", "MPL136", "MPL137"}


def findings(path: Path, *select: str) -> list[Finding]:
    return lint_paths(LintOptions(paths=[path], base=ROOT, select=list(select))).result.findings


def test_cloud_control_rules_never_fire_on_native_statements() -> None:
    for stack in sorted(p for p in NATIVE.iterdir() if p.is_dir()):
        if stack.name in ("unpinned-cloud-control",):
            continue
        fired = {f.rule_id for f in findings(stack)} & CLOUD_CONTROL_ONLY
        assert fired == set(), stack.name
    assert {f.rule_id for f in findings(NATIVE / "cloud-control-habits")} >= {"MPL163", "MPL166"}


def test_rebuilt_ec2_grouping_gives_notes_and_documented_resources_errors() -> None:
    rebuilt = findings(NATIVE / "rebuilt-ec2", "MPL162", "MPL163")
    assert {(f.rule_id, f.level) for f in rebuilt} == {("MPL162", Level.NOTE), ("MPL163", Level.NOTE)}
    documented = findings(NATIVE / "cloud-control-habits", "MPL163")
    assert {f.level for f in documented} == {Level.ERROR} and len(documented) == 3


def test_a_cloud_control_twin_property_hints_at_awscc() -> None:
    (tags,) = [f for f in findings(NATIVE / "cloud-control-habits", "MPL163") if "`Tags`" in f.message]
    assert "CloudFormation property of AWS::EC2::SecurityGroup" in tags.message
    assert "awscc.ec2.security_groups" in tags.message


def test_values_in_the_manifest_point_back_at_the_statement() -> None:
    (enum,) = [f for f in findings(NATIVE / "member-values", "MPL241") if f.span.path.endswith(".yml")]
    assert (enum.span.line, enum.span.col) == (19, 20)
    assert [r.message for r in enum.related] == ["passed to `ModelApprovalStatus` here"]
    assert enum.related[0].span.path.endswith("churn_model_package.iql")


def test_unpinned_stacks_say_which_flavour_and_why() -> None:
    (native,) = findings(NATIVE / "unpinned-native", "MPL160")
    assert "reads `aws.*` as the native provider" in native.message and "TagSpecification" in native.message
    (cloud,) = findings(NATIVE / "unpinned-cloud-control", "MPL160")
    assert "Cloud Control era provider" in cloud.message and "move the stack to `awscc`" in cloud.message
    assert native.span.line == 5 and native.level is Level.NOTE


ODD = """/*+ create */
EXEC;
EXEC aws;
EXEC aws.ec2.security_groups.revoke_security_group_ingress @@json = 'not json', @region = 'us-east-1';
EXEC aws.ec2.security_groups.revoke_security_group_ingress @ = 1, @GroupId, @region = 'us-east-1';
REPLACE;
UPDATE aws.iam.roles;
INSERT INTO aws.{{ service }}.roles (RoleName) SELECT 'a';
SELECT * FROM aws.iam.roles r JOIN aws.iam.role_policies p ON r.role_name = p.role_name WHERE r.RoleName = 'x';
UPDATE aws.sagemaker.model_packages SET ModelApprovalStatus = WHERE ModelPackageArn = 'x' AND region = 'us-east-1';
EXEC AWS.EC2.SECURITY_GROUPS.REVOKE_SECURITY_GROUP_INGRESS @GroupId = 'x', @region = 'us-east-1';
"""


def test_odd_statements_give_findings_never_a_crash(tmp_path: Path) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "stackql_manifest.yml").write_text(
        "version: 1\nname: odd\nproviders:\n  - aws::v26.07.00100\nglobals:\n  - {name: service, value: iam}\n"
        "resources:\n  - name: odd\n"
    )
    (tmp_path / "resources" / "odd.iql").write_text(ODD)
    result = lint_paths(LintOptions(paths=[tmp_path], base=tmp_path)).result
    assert result.notifications == []
    found = sorted((f.span.line, f.rule_id) for f in result.findings if f.span.path.endswith("odd.iql"))
    assert found == [
        (3, "MPL109"),  # `aws` names no resource
        (7, "MPL165"),  # UPDATE without the role's name
        (10, "MPL242"),  # not an ARN
    ]
