"""Which flavour of the `aws` provider a stack is written for: the pin decides, else the stack's statements."""

from __future__ import annotations

from pathlib import Path

from mplint.config import Config
from mplint.context import Context
from mplint.project import load_project
from mplint.stackql.provider import Decision, Flavour

MANIFEST = """version: 1
name: flavour-test
providers:
  - {provider}
globals:
  - name: region
    value: us-east-1
resources:
{resources}"""

CC_SELECT = """/*+ exists */
SELECT COUNT(*) as count FROM aws.s3.buckets WHERE data__Identifier = 'b' AND region = '{{ region }}';
"""
CC_INSERT = """/*+ create */
INSERT INTO aws.ec2.vpcs (CidrBlock, EnableDnsSupport, region) SELECT '10.0.0.0/16', true, '{{ region }}';
"""
NATIVE_EXEC = """/*+ command */
EXEC aws.ec2.security_groups.revoke_security_group_ingress @GroupId = 'sg-1', @region = '{{ region }}';
"""
NATIVE_INSERT = """/*+ create */
INSERT INTO aws.ec2.security_groups (GroupName, GroupDescription, TagSpecification, region)
SELECT 'web', 'web tier', '[{"ResourceType": "security-group", "Tag": [{"Key": "a", "Value": "b"}]}]', 'us-east-1';
"""
NATIVE_SELECT = """/*+ exists */
SELECT COUNT(*) as count FROM aws.sagemaker.model_packages WHERE NameContains = 'churn' AND region = 'us-east-1';
"""


def decide(tmp_path: Path, provider: str, files: dict[str, str]) -> Decision:
    (tmp_path / "resources").mkdir()
    entries = ""
    for name, text in files.items():
        (tmp_path / "resources" / f"{name}.iql").write_text(text)
        entries += f"  - name: {name}\n"
    (tmp_path / "stackql_manifest.yml").write_text(MANIFEST.format(provider=provider, resources=entries or "  []"))
    project = load_project([tmp_path], Config())
    (stack,) = project.stacks
    return Context(project).flavours(stack)


def test_a_pin_decides_whatever_the_statements_say(tmp_path: Path) -> None:
    decision = decide(tmp_path, "aws::v26.07.00012", {"a": CC_SELECT})
    assert (decision.aws, decision.how, decision.evidence) == (Flavour.AWS_NATIVE, "pinned", ())


def test_an_early_pin_is_cloud_control(tmp_path: Path) -> None:
    decision = decide(tmp_path, "aws::v26.06.00001", {"a": NATIVE_EXEC})
    assert (decision.aws, decision.how) == (Flavour.AWS_CC, "pinned")
    assert decision.flavour("awscc.s3.buckets") is Flavour.AWSCC


def test_unpinned_cloud_control_era_stack(tmp_path: Path) -> None:
    decision = decide(tmp_path, "aws", {"a": CC_SELECT, "b": CC_INSERT})
    assert (decision.aws, decision.how) == (Flavour.AWS_CC, "evidence")
    whats = [e.what for e in decision.evidence]
    assert "`data__Identifier` (a Cloud Control parameter)" in whats
    assert "the CloudFormation property `EnableDnsSupport` (not a request member)" in whats
    assert not any("CidrBlock" in w for w in whats)  # a member natively and a property: no evidence either way
    assert decision.disagreeing() == []


def test_unpinned_native_stack(tmp_path: Path) -> None:
    decision = decide(tmp_path, "aws", {"a": NATIVE_EXEC, "b": NATIVE_INSERT, "c": NATIVE_SELECT})
    assert (decision.aws, decision.how) == (Flavour.AWS_NATIVE, "evidence")
    whats = {e.what for e in decision.evidence}
    assert "`EXEC aws.ec2.security_groups.revoke_security_group_ingress` (a native method)" in whats
    assert "`TagSpecification` (a request member of CreateSecurityGroup)" in whats
    assert not any("GroupDescription" in w for w in whats)  # CloudFormation's SecurityGroup has it too
    assert "`NameContains` (a request member of ListModelPackages)" in whats


def test_no_evidence_is_native(tmp_path: Path) -> None:
    plain = "/*+ exists */\nSELECT COUNT(*) as count FROM aws.s3.buckets WHERE region = 'us-east-1';\n"
    decision = decide(tmp_path, "aws", {"a": plain})
    assert (decision.aws, decision.how, decision.evidence) == (Flavour.AWS_NATIVE, "default", ())


def test_mixed_evidence_keeps_the_statements_that_disagree(tmp_path: Path) -> None:
    decision = decide(tmp_path, "aws", {"a": NATIVE_EXEC, "b": NATIVE_INSERT, "c": CC_SELECT})
    assert decision.aws is Flavour.AWS_NATIVE
    assert decision.counts == {Flavour.AWS_CC: 1, Flavour.AWS_NATIVE: 2}
    (odd,) = decision.disagreeing()
    assert odd.flavour is Flavour.AWS_CC and odd.span.path.endswith("c.iql") and odd.span.line == 2
    assert len(decision.supporting()) == 2


def test_a_tie_goes_to_native(tmp_path: Path) -> None:
    decision = decide(tmp_path, "aws", {"a": NATIVE_EXEC, "c": CC_SELECT})
    assert decision.aws is Flavour.AWS_NATIVE and len(decision.disagreeing()) == 1


def test_names_both_flavours_use_are_no_evidence(tmp_path: Path) -> None:
    """`ModelPackageName` is a CloudFormation property and a native member; a snake_case column that re-cases to
    a property is a Cloud Control mistake as much as a native spelling."""
    text = """/*+ create */
INSERT INTO aws.sagemaker.model_packages (model_package_description, region) SELECT 'd', 'us-east-1';

/*+ exists */
SELECT COUNT(*) as count FROM aws.sagemaker.model_packages WHERE ModelPackageName = 'x' AND region = 'us-east-1';
"""
    decision = decide(tmp_path, "aws", {"a": text})
    assert (decision.how, decision.evidence) == ("default", ())
