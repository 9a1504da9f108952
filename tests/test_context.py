"""The request context of each required action: what the stack, config and the way calls are made tell."""

from __future__ import annotations

from pathlib import Path

import pytest
from msgspec import structs

from mplint.app import LintOptions, resolve_config
from mplint.config import ConfigError
from mplint.context import Context
from mplint.iam.conditions import UNKNOWN_VALUE, Partial
from mplint.iam.context import RequestContext, Stage, contexts
from mplint.iam.overlays import load_overlays
from mplint.iam.requirements import Need, Origin, Requirement
from mplint.project import load_project
from tests.conftest import FIXTURES, ROOT

VALID = FIXTURES / "valid" / "model-package-stack"
US_EAST = FIXTURES / "valid" / "sagemaker-region-scp"


def reports(stack: Path, config: Path | None = None, **options):
    opts = LintOptions(paths=[stack], base=ROOT, config=config, **options)
    project = load_project(opts.paths, resolve_config(opts), ROOT)
    ctx = Context(project)
    return [r for s in project.stacks for r in ctx.permission_reports(s)]


def contexts_of(stack: Path, action: str, config: Path | None = None, **options) -> list[RequestContext]:
    (report,) = reports(stack, config, **options)
    found = [
        c
        for req, group in zip(report.needs.requirements, report.contexts, strict=True)
        if req.action == action
        for c in group
    ]
    assert found, action
    return found


def requirement(stack: Path, action: str) -> Requirement:
    (report,) = reports(stack)
    return next(r for r in report.needs.requirements if r.action == action)


def test_cloud_control_requests_are_direct_and_over_https() -> None:
    (ctx,) = contexts_of(US_EAST, "cloudformation:CreateResource")
    assert ctx.values("aws:ViaAWSService") == ("false",)
    assert ctx.values("aws:CalledVia") is None and ctx.values("aws:CalledViaFirst") is None
    assert ctx.values("aws:SecureTransport") == ("true",)
    assert ctx.values("aws:RequestedRegion") == ("us-east-1",)
    assert ctx.fact("aws:RequestedRegion").source == "the stack's region"
    assert ctx.values("aws:CurrentTime") is UNKNOWN_VALUE and ctx.values("aws:SourceIp") is UNKNOWN_VALUE


def test_handler_calls_are_forward_access_sessions_from_cloudformation() -> None:
    (ctx,) = contexts_of(US_EAST, "sagemaker:CreateModelPackage")
    assert ctx.values("aws:ViaAWSService") == ("true",)
    for key in ("aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"):
        assert ctx.values(key) == ("cloudformation.amazonaws.com",)
    assert "forward access session" in ctx.fact("aws:CalledVia").source


def test_the_stack_region_unknown_is_unknown_and_partial_values_say_so() -> None:
    (ctx,) = contexts_of(VALID, "kms:Decrypt")  # region `{{ AWS_REGION }}`
    assert ctx.values("aws:RequestedRegion") is UNKNOWN_VALUE
    (via,) = ctx.values("kms:ViaService")
    assert isinstance(via, Partial) and via == "sagemaker.*.amazonaws.com"


def test_overlay_keys_reach_only_the_actions_that_take_them() -> None:
    (grant,) = contexts_of(US_EAST, "kms:CreateGrant")
    assert grant.values("kms:ViaService") == ("sagemaker.us-east-1.amazonaws.com",)
    assert grant.values("kms:GrantIsForAWSResource") == ("true",)
    assert grant.values("kms:CallerAccount") == ("123456789012",)
    (decrypt,) = contexts_of(US_EAST, "kms:Decrypt")
    assert decrypt.values("kms:GrantIsForAWSResource") is None  # the IAM reference lists it for CreateGrant only
    assert "lists no `kms:GrantIsForAWSResource`" in decrypt.fact("kms:GrantIsForAWSResource").source
    assert decrypt.values("kms:EncryptionContextKeys") is UNKNOWN_VALUE  # listed, and SageMaker's is unknown


def test_pass_role_is_passed_to_sagemaker(tmp_path: Path) -> None:
    stack = FIXTURES / "permissions" / "pass-role-denied"
    (ctx,) = contexts_of(stack, "iam:PassRole")
    assert ctx.values("iam:PassedToService") == ("sagemaker.amazonaws.com",)
    assert ctx.values("aws:ViaAWSService") == ("true",)


def test_iam_calls_go_to_the_global_endpoint() -> None:
    from mplint.iam.arns import Place
    from mplint.iam.context import _transport

    facts = {f.key: f.values for f in _transport("iam:GetRole", Place("aws", "eu-west-1", None))}
    assert facts["aws:RequestedRegion"] == ("us-east-1",)
    facts = {f.key: f.values for f in _transport("iam:PassRole", Place("aws", "eu-west-1", None))}
    assert facts["aws:RequestedRegion"] == ("eu-west-1",)  # checked within the call that passes it


def test_tags_on_create_are_request_tags_and_after_it_resource_tags() -> None:
    (create,) = contexts_of(US_EAST, "sagemaker:CreateModelPackage")
    assert create.values("aws:TagKeys") == ("Provisioner", "StackEnv", "StackName", "team")
    assert create.values("aws:RequestTag/team") == ("growth",)
    assert create.values("aws:RequestTag/StackName") is UNKNOWN_VALUE  # a template
    assert create.values("aws:RequestTag/other") is None
    assert create.values("aws:ResourceTag/team") is None  # the package does not exist yet
    (delete,) = contexts_of(US_EAST, "sagemaker:DeleteModelPackage")
    assert delete.values("aws:ResourceTag/team") == ("growth",)
    assert delete.values("aws:TagKeys") is None  # DeleteModelPackage takes no request tags
    (bucket,) = contexts_of(US_EAST, "s3:ListBucket")
    assert bucket.values("aws:ResourceTag/team") is UNKNOWN_VALUE  # someone else's bucket


def test_resource_account_from_the_arn_or_config() -> None:
    (ctx,) = contexts_of(US_EAST, "ecr:BatchGetImage")
    assert ctx.values("aws:ResourceAccount") == ("123456789012",)
    (s3,) = contexts_of(US_EAST, "s3:GetObject")
    assert s3.values("aws:ResourceAccount") is UNKNOWN_VALUE  # an S3 ARN has no account
    (cc,) = contexts_of(US_EAST, "cloudformation:GetResource", account="123456789012")
    assert cc.values("aws:ResourceAccount") == ("123456789012",)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".mplint.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_principal_and_its_tags_from_config(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "identities:\n  deploy:\n    principal: arn:aws:iam::123456789012:role/ci/deploy\n"
        "    tags: {team: ml, cost-center: 42}\n    context:\n      aws:SourceIp: 203.0.113.9\n"
        "      aws:MultiFactorAuthPresent: null\n      aws:PrincipalOrgPaths: [o-1/r-1/, o-1/r-2/]\n"
        "resource-identities: {churn_model_package: deploy}\n",
    )
    (ctx,) = contexts_of(US_EAST, "cloudformation:CreateResource", config)
    assert ctx.values("aws:PrincipalArn") == ("arn:aws:iam::123456789012:role/ci/deploy",)
    assert ctx.values("aws:PrincipalAccount") == ("123456789012",)
    assert ctx.values("aws:PrincipalType") == ("AssumedRole",)
    assert ctx.values("aws:username") is None
    assert ctx.values("aws:PrincipalTag/team") == ("ml",) and ctx.values("aws:PrincipalTag/cost-center") == ("42",)
    assert ctx.values("aws:PrincipalTag/owner") is None  # the tags are all of them
    assert ctx.values("aws:SourceIp") == ("203.0.113.9",)
    assert ctx.values("aws:MultiFactorAuthPresent") is None
    assert ctx.values("aws:PrincipalOrgPaths") == ("o-1/r-1/", "o-1/r-2/")
    assert ctx.fact("aws:PrincipalTag/team").source == "config `identities.deploy.tags` (all of the principal's tags)"
    assert ctx.fact("aws:SourceIp").source == "config `identities.deploy.context`"


def test_top_level_keys_are_the_default_identity(tmp_path: Path) -> None:
    config = write_config(tmp_path, "principal: arn:aws:iam::123456789012:user/ci\nprincipal-tags: {team: ml}\n")
    (ctx,) = contexts_of(US_EAST, "cloudformation:CreateResource", config)
    assert ctx.values("aws:username") == ("ci",) and ctx.values("aws:PrincipalType") == ("User",)
    assert ctx.fact("aws:PrincipalTag/team").source.startswith("config `principal-tags`")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("principal: deploy\n", "`principal` must be the ARN of an IAM user or role"),
        ("principal-tags: [a]\n", "`principal-tags` must map each tag key"),
        ("identities:\n  x:\n    tags: {a: [1]}\n", "`tags.a` must be a value"),
        ("context:\n  SourceIp: 1.2.3.4\n", "is not a condition key"),
        ("context:\n  aws:SourceIp: {a: 1}\n", "`context.aws:SourceIp` must be a value"),
    ],
)
def test_bad_identity_keys_are_refused_at_their_place(tmp_path: Path, text: str, problem: str) -> None:
    config = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=problem) as info:
        resolve_config(LintOptions(paths=[US_EAST], base=ROOT, config=config))
    assert ".mplint.yaml:" in str(info.value)


def test_a_requirement_needed_by_several_calls_gets_each_context() -> None:
    req = requirement(US_EAST, "sagemaker:DescribeModelPackage")
    assert {n.origin for n in req.needs} == {Origin.HANDLER}
    (report,) = reports(US_EAST)
    groups = [g for r, g in zip(report.needs.requirements, report.contexts, strict=True) if r.action == req.action]
    tags = {c.values("aws:ResourceTag/team") for g in groups for c in g}
    assert tags == {None, ("growth",)}  # before create it has no tags; afterwards the manifest's


NATIVE = FIXTURES / "valid" / "native-model-package"


def native_call(action: str, method: str, carried: tuple[tuple[str, str], ...] = ()) -> tuple[Requirement, Stage]:
    """A requirement as a native provider method states it: the method's name as the operation, and the
    request keys the call carries."""
    (report,) = reports(NATIVE)
    req = next(r for r in report.needs.requirements if r.action == action)
    req = structs.replace(req, needs=[Need("build", method, Origin.NATIVE)], context=carried)
    return req, Stage.of(report.needs, load_overlays(report.needs.binding.cfn_type or ""), None)


def test_a_native_create_method_sends_the_manifest_tags() -> None:
    req, stage = native_call("sagemaker:CreateModelPackage", "create_model_package")
    (ctx,) = contexts(req, stage)
    assert ctx.values("aws:ViaAWSService") == ("false",) and ctx.values("aws:CalledVia") is None
    assert ctx.values("aws:RequestTag/team") == ("growth",)
    assert ctx.values("aws:ResourceTag/team") is None  # not created yet
    req, stage = native_call("sagemaker:DescribeModelPackage", "describe_model_package")
    (ctx,) = contexts(req, stage)
    assert ctx.values("aws:ResourceTag/team") == ("growth",)


def test_the_keys_a_native_call_carries_are_in_its_context() -> None:
    carried = (("iam:PassedToService", "sagemaker.amazonaws.com"), ("kms:ViaService", "sagemaker.*.amazonaws.com"))
    req, stage = native_call("sagemaker:CreateModelPackage", "create_model_package", carried)
    (ctx,) = contexts(req, stage)
    assert ctx.values("iam:PassedToService") == ("sagemaker.amazonaws.com",)
    (via,) = ctx.values("kms:ViaService")
    assert isinstance(via, Partial) and via == "sagemaker.*.amazonaws.com"


def test_a_call_a_native_member_rule_says_the_service_makes_is_a_forward_access_session() -> None:
    found = {
        req.action: group
        for report in reports(FIXTURES / "permissions" / "native-model-package")
        for req, group in zip(report.needs.requirements, report.contexts, strict=True)
    }
    (kms,) = found["kms:Decrypt"]
    assert kms.values("aws:ViaAWSService") == ("true",)
    assert kms.values("aws:CalledVia") is None  # SageMaker is not one of the services that set aws:CalledVia
    (create,) = found["sagemaker:CreateModelPackage"]
    assert create.values("aws:ViaAWSService") == ("false",)
