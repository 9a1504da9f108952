"""Permissions on the native `aws` provider: operation -> IAM action, ARNs from members, member rules, generation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.app import LintOptions, lint_paths, resolve_config
from mplint.catalog.actions import get_catalog
from mplint.catalog.dependent import dependent_actions
from mplint.catalog.native import default_native_catalog
from mplint.cli import app
from mplint.context import Context
from mplint.iam.generate import policy
from mplint.iam.native_actions import How, operation_actions
from mplint.iam.native_overlays import OverlayError, load_native_overlays, parse_native_overlays
from mplint.iam.requirements import Requirement, ResourceNeeds, State
from mplint.project import load_project
from tests.conftest import FIXTURES, ROOT

MODEL_PACKAGE = FIXTURES / "permissions" / "native-model-package"
IAM_ROLE = FIXTURES / "permissions" / "native-iam-role"
ACCOUNT = "123456789012"


def stack_needs(stack: Path, account: str | None = ACCOUNT, commands: tuple[str, ...] = ()) -> list[ResourceNeeds]:
    options = LintOptions(paths=[stack], base=ROOT, account=account, commands=list(commands))
    project = load_project(options.paths, resolve_config(options), ROOT)
    return Context(project).needs(project.stacks[0])


def by_name(needs: list[ResourceNeeds], name: str) -> ResourceNeeds:
    return next(n for n in needs if n.resource.name == name)


def find(needs: ResourceNeeds, action: str) -> list[Requirement]:
    return [r for r in needs.requirements if r.action == action]


def per_command(needs: ResourceNeeds) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for req in needs.requirements:
        if req.state is not State.ABSENT:
            for need in req.needs:
                out.setdefault(need.command, set()).add(req.action)
    return out


# ---------------------------------------------------------------------------
# Operation -> action


def action_of(service: str, op: str, method: str | None = None) -> tuple[tuple[str, ...], str]:
    native = default_native_catalog()
    info = native.service(service)
    assert info is not None
    derived = operation_actions(service, info.name, op, native.iam, get_catalog(), method)
    return derived.actions, derived.how


@pytest.mark.parametrize(
    ("service", "op", "actions", "how"),
    [
        ("sagemaker", "CreateModelPackage", ("sagemaker:CreateModelPackage",), How.DIRECT),
        ("s3", "ListObjectsV2", ("s3:ListBucket",), How.TABLE),  # the provider data's exception table
        ("resourcegroupstaggingapi", "GetResources", ("tag:GetResources",), How.DIRECT),  # prefix `tag`, not `tagging`
        ("cloudwatch", "PutMetricAlarm", ("cloudwatch:PutMetricAlarm",), How.DIRECT),  # signing name `monitoring`
        ("lambda", "Invoke", ("lambda:InvokeFunction",), How.TABLE),
        ("sso", "GetRoleCredentials", (), How.NO_IAM),
    ],
)
def test_operations_are_authorised_as_the_rule_and_its_exceptions_say(service, op, actions, how) -> None:
    assert action_of(service, op) == (actions, how)


def test_http_verb_services_are_authorised_by_the_request_method() -> None:
    assert action_of("apigateway", "GetRestApis", "GET") == (("apigateway:GET",), How.HTTP_VERB)


def test_an_operation_that_is_no_action_in_the_catalog_says_so_instead_of_inventing_one() -> None:
    actions, how = action_of("glue", "ThisOperationDoesNotExist")
    assert how == How.UNKNOWN and actions == ("glue:ThisOperationDoesNotExist",)


def test_the_rule_covers_the_operations_of_the_provider_as_measured() -> None:
    """All operations of the bundled provider: at least 98.5 % resolve to an action the catalog knows (the provider
    data measured 98.5 % with its exception table against the same catalog version)."""
    native, catalog = default_native_catalog(), get_catalog()
    total = known = 0
    for key in native.services():
        service = native.service(key)
        assert service is not None
        ops: dict[str, str | None] = {}
        for name in service.resource_names:
            resource = service.resource(name)
            for method in resource.methods.values() if resource else ():
                ops.setdefault(method.op, method.http[0] if method.http else None)
        for op, verb in ops.items():
            total += 1
            derived = operation_actions(key, service.name, op, native.iam, catalog, verb)
            known += derived.known or derived.how == How.NO_IAM
    assert total > 15000 and known / total >= 0.985


def test_dependent_actions_come_from_the_reference() -> None:
    assert dependent_actions("lambda:CreateFunction") == ("iam:PassRole", "lambda:PassCapacityProvider")
    assert dependent_actions("EC2:createsecuritygroup") == ("ec2:CreateTags",)
    assert dependent_actions("s3:GetObject") == ()


# ---------------------------------------------------------------------------
# The native ModelPackage stack


def test_model_package_commands_need_the_service_actions_not_cloud_control() -> None:
    package = by_name(stack_needs(MODEL_PACKAGE), "churn_model_package")
    assert package.flavour == "native"
    assert not [r for r in package.requirements if r.action.startswith("cloudformation:")]
    commands = per_command(package)
    assert {"sagemaker:ListModelPackages", "sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"} <= commands[
        "build"
    ]
    assert (
        "sagemaker:DescribeModelPackage" in commands["build"] and "sagemaker:DescribeModelPackage" in commands["test"]
    )
    assert {"sagemaker:DeleteModelPackage", "sagemaker:ListModelPackages"} <= commands["teardown"]
    assert "sagemaker:DeleteModelPackage" not in commands["build"]


def test_model_package_arns_come_from_the_members() -> None:
    package = by_name(stack_needs(MODEL_PACKAGE), "churn_model_package")
    version = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn-models/1"
    assert {r.arn for r in find(package, "sagemaker:DescribeModelPackage")} == {version}  # ModelPackageName holds it
    assert {r.arn for r in find(package, "sagemaker:UpdateModelPackage")} == {version}  # ModelPackageArn holds it
    (create,) = find(package, "sagemaker:CreateModelPackage")  # a versioned package: the version is not known yet
    assert create.arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn-models/*"
    (listing,) = find(package, "sagemaker:ListModelPackages")
    assert listing.wildcard_only


def test_model_package_values_add_role_key_artifacts_images_and_tags() -> None:
    package = by_name(stack_needs(MODEL_PACKAGE), "churn_model_package")
    (role,) = find(package, "iam:PassRole")
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/model-validation" and role.state is State.PROPERTY
    assert role.trigger is not None and role.trigger.path == "ValidationSpecification.ValidationRole"
    assert ("iam:PassedToService", "sagemaker.amazonaws.com") in role.context
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert {r.action for r in package.requirements if r.arn == key} == {
        "kms:CreateGrant",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    }
    (obj,) = find(package, "s3:GetObject")
    assert obj.arn == "arn:aws:s3:::acme-ml-artifacts/churn/2026-q3/model.tar.gz"  # the model, not the validation data
    assert {r.arn for r in find(package, "ecr:BatchGetImage")} == {
        f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/churn-xgboost"
    }
    (tags,) = find(package, "sagemaker:AddTags")
    assert tags.arn == create_arn(package) and tags.state is State.PROPERTY


def create_arn(needs: ResourceNeeds) -> str:
    return find(needs, "sagemaker:CreateModelPackage")[0].arn


def test_s3_uris_that_a_passed_role_reads_are_not_the_callers() -> None:
    """The validation data sits under ValidationSpecification, beside ValidationRole: the role reads it."""
    package = by_name(stack_needs(MODEL_PACKAGE), "churn_model_package")
    assert not [r for r in package.requirements if "validation" in r.arn and r.action.startswith("s3:")]


def test_commands_limit_what_is_needed() -> None:
    package = by_name(stack_needs(MODEL_PACKAGE, commands=("teardown",)), "churn_model_package")
    assert {r.action for r in package.requirements} == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:DeleteModelPackage",
    }


# ---------------------------------------------------------------------------
# IAM role: ARNs with paths, tags as Tag<Type>, resources of other manifest resources


def test_role_arns_carry_the_path_the_insert_gives_it() -> None:
    needs = stack_needs(IAM_ROLE)
    role = by_name(needs, "reporting_role")
    arn = f"arn:aws:iam::{ACCOUNT}:role/service-role/reporting-lambda-role-*-reporting"  # stack_name is `name`
    for action in ("iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:DeleteRole", "iam:TagRole"):
        assert {r.arn for r in find(role, action)} == {arn}, action
    attachment = by_name(needs, "reporting_role_basic_execution")
    assert {r.arn for r in find(attachment, "iam:AttachRolePolicy")} == {arn}  # the role another resource created
    assert [n.operation for r in find(attachment, "iam:DetachRolePolicy") for n in r.needs] == ["detach_role_policy"]


def test_a_role_acted_on_but_not_created_in_the_stack_may_have_any_path(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(IAM_ROLE, stack)
    manifest = stack / "stackql_manifest.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text[: text.index("  - name: reporting_role\n")] + text[text.index("  - name: reporting_role_b") :]
    )
    (stack / "resources" / "reporting_role.iql").unlink()
    (attachment,) = stack_needs(stack)
    (attach,) = find(attachment, "iam:AttachRolePolicy")
    assert attach.arn == f"arn:aws:iam::{ACCOUNT}:role/*reporting-lambda-role-*-reporting" and "path" in attach.unknown


# ---------------------------------------------------------------------------
# The overlay data


def test_every_native_rule_has_its_reason_and_source() -> None:
    overlays = load_native_overlays()
    assert {r.id for r in overlays.rules} >= {"pass-role", "kms-key-dependents", "s3-object-reads", "tag-on-create"}
    catalog = get_catalog()
    for rule in overlays.rules:
        assert rule.why and rule.source and rule.when
        for action in rule.actions:
            if "${" not in action:
                assert catalog.action(action) is not None, (rule.id, action)
    assert overlays.tables["awscc.tagging.tagged_resources"]["select"] == ("tag:GetResources",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": [{"id": "x", "resource": "self", "why": "w", "source": "s", "names": ["A"]}]}, "`actions` or"),
        ({"rules": [{"id": "x", "resource": "self", "why": "w", "source": "s", "actions": ["a:B"]}]}, "`names` or"),
        ({"rules": [{"id": "x", "resource": "disk", "why": "w", "source": "s"}]}, "`resource` must be"),
        ({"rules": [], "extra": 1}, "unknown key"),
        (
            {"rules": [{"id": "x", "resource": "self", "why": "w", "source": "s", "names": ["("], "actions": ["a:B"]}]},
            "names",
        ),
    ],
)
def test_a_broken_native_overlay_file_is_named_with_its_problem(data, message) -> None:
    with pytest.raises(OverlayError, match=message):
        parse_native_overlays(data, Path("native.yaml"))


# ---------------------------------------------------------------------------
# Generated policies


NATIVE_STACKS = sorted([*(FIXTURES / "valid").glob("native-*"), *(FIXTURES / "permissions").glob("native-*")])
# Hygiene findings a stack's own needs make unavoidable, true of every policy that deploys it: a stack that
# writes a bucket policy needs s3:PutBucketPolicy, with which the identity could grant itself the bucket's
# objects; one that launches an instance with a profile passes a role the profile does not name, to EC2.
INHERENT = {"MPL425": "`s3:PutBucketPolicy`", "MPL423": "(iam:PassRole + ec2:RunInstances)"}
# A key or bucket a stack uses without declaring it gets a note that its own policy is not checked.
UNDECLARED = {"valid/native-model-package": 2, "permissions/native-model-package": 2}


@pytest.mark.parametrize("stack", NATIVE_STACKS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_the_generated_policy_is_enough_and_lints_clean(
    stack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "generated.json"
    monkeypatch.chdir(ROOT)
    args = ["permissions", str(stack.relative_to(ROOT)), "--generate", "--account", ACCOUNT, "-o", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(path.read_text(encoding="utf-8"))
    outcome = lint_paths(LintOptions(paths=[stack, path], base=ROOT, policies=[path], account=ACCOUNT))
    assert not outcome.result.notifications
    found = [f for f in outcome.result.findings if f.rule_id.startswith(("MPL3", "MPL4"))]
    notes = [f for f in found if f.rule_id == "MPL311"]
    assert len(notes) == UNDECLARED.get(stack.relative_to(FIXTURES).as_posix(), 0), [f.message for f in notes]
    found = [f for f in found if f.rule_id != "MPL311"]
    assert [f.message for f in found if INHERENT.get(f.rule_id, "\0") not in f.message] == []
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert not any(a.startswith("cloudformation:") for a in actions)
    assert not any(s["Resource"] == "*" and "iam:PassRole" in s["Action"] for s in doc["Statement"])


def test_pass_role_on_a_pattern_carries_the_service_it_is_passed_to(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(MODEL_PACKAGE, stack)
    manifest = stack / "stackql_manifest.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("arn:aws:iam::123456789012:role/model-validation", "'{{ validation_role_arn }}'"))
    doc = policy(stack_needs(stack))
    (statement,) = [s for s in doc["Statement"] if "iam:PassRole" in s["Action"]]
    assert statement["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/*"
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, policies=[path], account=ACCOUNT))
    found = [f.message for f in outcome.result.findings if f.rule_id.startswith("MPL3") and f.rule_id != "MPL311"]
    assert found == []  # the condition holds (MPL311: the artifact bucket and the KMS key are not in the stack)


def test_an_action_the_catalog_does_not_know_is_left_out_of_the_policy(tmp_path: Path) -> None:
    from mplint.iam.generate import left_out

    needs = stack_needs(MODEL_PACKAGE)
    needs[0].requirements[0].action = "sagemaker:NoSuchAction"
    assert left_out(needs) == ["sagemaker:NoSuchAction"]
    assert "sagemaker:NoSuchAction" not in {a for s in policy(needs)["Statement"] for a in s["Action"]}


def test_handler_permissions_that_name_api_operations_are_authorised_as_their_actions() -> None:
    from mplint.iam.native_actions import handler_action

    table, catalog = (lambda: default_native_catalog().iam), get_catalog()
    assert handler_action("s3:GetObject", table, catalog) == (("s3:GetObject",), "")
    actions, note = handler_action("s3:DeleteBucketCors", table, catalog)
    assert actions == ("s3:PutBucketCORS",) and "s3:DeleteBucketCors" in note
    assert handler_action("s3:NoSuchThing", table, catalog)[0] == ()


def test_a_lambda_function_passes_its_role_and_is_named_by_its_path_param(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    (stack / "resources").mkdir(parents=True)
    (stack / "stackql_manifest.yml").write_text(
        "version: 1\nname: fn\nproviders:\n  - aws::v26.08.00412\nglobals:\n  - name: region\n    value: us-east-1\n"
        "resources:\n  - name: report\n    props:\n      - name: function_name\n        value: nightly-report\n"
        "      - name: role_arn\n        value: arn:aws:iam::123456789012:role/service-role/reporting\n",
        encoding="utf-8",
    )
    (stack / "resources" / "report.iql").write_text(
        "/*+ exists */\nSELECT COUNT(*) as count FROM aws.lambda.functions\n"
        "WHERE region = '{{ region }}' AND function_name = '{{ function_name }}';\n\n"
        "/*+ create */\nINSERT INTO aws.lambda.functions (FunctionName, Role, Runtime, Handler, region)\n"
        "SELECT '{{ function_name }}', '{{ role_arn }}', 'python3.12', 'report.handler', '{{ region }}';\n\n"
        "/*+ delete */\nDELETE FROM aws.lambda.functions WHERE region = '{{ region }}' "
        "AND function_name = '{{ function_name }}';\n",
        encoding="utf-8",
    )
    (needs,) = stack_needs(stack)
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nightly-report"
    for action in ("lambda:CreateFunction", "lambda:GetFunction", "lambda:DeleteFunction"):
        assert {r.arn for r in find(needs, action)} == {function}, action
    (role,) = find(needs, "iam:PassRole")
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/service-role/reporting"
    assert role.context == (("iam:PassedToService", "lambda.amazonaws.com"),)
    (capacity,) = find(needs, "lambda:PassCapacityProvider")  # a dependent action nothing in the request calls for
    assert capacity.state is State.ABSENT and "dependent action" in capacity.note


def test_an_instance_needs_its_volume_its_role_and_tags_on_itself() -> None:
    needs = {n.resource.name: n for n in stack_needs(FIXTURES / "valid" / "native-web-vpc")}
    server = needs["web_server"]
    place = f"arn:aws:ec2:us-east-1:{ACCOUNT}"
    assert {r.arn for r in find(server, "ec2:RunInstances")} == {
        *(f"{place}:{kind}/*" for kind in ("instance", "network-interface", "security-group", "subnet", "volume")),
        "arn:aws:ec2:us-east-1::image/ami-0c02fb55956c7d316",
    }
    (tags,) = find(server, "ec2:CreateTags")
    assert tags.arn == f"{place}:instance/*"  # what the TagSpecification tags, not the image
    (role,) = find(server, "iam:PassRole")
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/*"
    assert role.context == (("iam:PassedToService", "ec2.amazonaws.com"),)
    # the request names the route table and the subnet only: not the gateway of a route made beside it
    associate = find(needs["web_route_table"], "ec2:AssociateRouteTable")
    assert {r.arn for r in associate} == {f"{place}:route-table/*", f"{place}:subnet/*"}
