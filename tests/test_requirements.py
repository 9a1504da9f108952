"""What each command needs: operations from the query file, actions per operation, overlays, ARNs, reasons."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mplint.app import LintOptions, resolve_config
from mplint.catalog.schemas import handler_permissions
from mplint.context import Context
from mplint.iam.overlays import OverlayError, load_overlays, parse_overlays
from mplint.iam.requirements import Origin, Requirement, ResourceNeeds, State
from mplint.project import load_project
from tests.conftest import FIXTURES, ROOT

VALID = FIXTURES / "valid" / "model-package-stack"
TYPE = "AWS::SageMaker::ModelPackage"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def needs_of(stack: Path, commands: tuple[str, ...] = (), account: str | None = None) -> ResourceNeeds:
    options = LintOptions(paths=[stack], base=ROOT, commands=list(commands), account=account)
    config = resolve_config(options)
    project = load_project(options.paths, config, ROOT)
    found = Context(project).needs(project.stacks[0])
    assert len(found) == 1
    return found[0]


def copy_valid(tmp_path: Path, manifest_edit=None, query_edit=None) -> Path:
    stack = tmp_path / "stack"
    shutil.copytree(VALID, stack)
    for name, edit in (("stackql_manifest.yml", manifest_edit), ("resources/churn_model_package.iql", query_edit)):
        if edit is not None:
            path = stack / name
            path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return stack


def find(needs: ResourceNeeds, action: str, state: State | None = None) -> list[Requirement]:
    return [r for r in needs.requirements if r.action == action and (state is None or r.state is state)]


def ops(req: Requirement) -> set[tuple[str, str]]:
    return {(n.command, n.operation) for n in req.needs}


# ---------------------------------------------------------------------------
# Operations


def test_operations_of_the_valid_stack() -> None:
    needs = needs_of(VALID)
    all_ops = {(n.command, n.operation) for r in needs.requirements for n in r.needs}
    assert all_ops == {
        ("build", "read"),
        ("build", "create"),
        ("build", "update"),
        ("test", "read"),
        ("teardown", "read"),
        ("teardown", "delete"),
    }


def test_only_the_selected_commands() -> None:
    needs = needs_of(VALID, commands=("test",))
    assert {n.command for r in needs.requirements for n in r.needs} == {"test"}
    assert not find(needs, "cloudformation:CreateResource")
    assert find(needs, "cloudformation:GetResource")


def test_an_exists_query_on_the_list_view_needs_list(tmp_path: Path) -> None:
    def to_list(text: str) -> str:
        head, rest = text.split("/*+ create */", 1)
        head = (
            "/*+ exists */\nSELECT COUNT(*) as count\n"
            "FROM aws.sagemaker.model_packages_list_only\nWHERE region = '{{ region }}';\n\n"
        )
        return head + "/*+ create */" + rest

    needs = needs_of(copy_valid(tmp_path, query_edit=to_list))
    listing = find(needs, "sagemaker:ListModelPackages")
    assert len(listing) == 1 and listing[0].wildcard_only and ("build", "list") in ops(listing[0])
    assert ("build", "list") in ops(find(needs, "cloudformation:ListResources")[0])


def test_a_select_without_identifier_lists_then_reads(tmp_path: Path) -> None:
    def no_identifier(text: str) -> str:
        return text.replace(
            "WHERE region = '{{ region }}'\nAND data__Identifier = 'arn:aws:sagemaker:{{ region }}:{{ account_id }}:"
            "model-package/{{ model_package_group_name }}/1'\nAND model_approval_status",
            "WHERE region = '{{ region }}'\nAND model_approval_status",
        )

    needs = needs_of(copy_valid(tmp_path, query_edit=no_identifier), commands=("test",))
    assert {n.operation for r in needs.requirements for n in r.needs} == {"list", "read"}


def test_without_a_query_file_every_operation_of_the_command(tmp_path: Path) -> None:
    stack = copy_valid(tmp_path)
    (stack / "resources" / "churn_model_package.iql").unlink()
    config = stack / ".mplint.yaml"
    config.write_text("resources:\n  churn_model_package: aws.sagemaker.model_packages\n", encoding="utf-8")
    options = LintOptions(paths=[stack], base=tmp_path, config=config)
    project = load_project(options.paths, resolve_config(options), tmp_path)
    needs = Context(project).needs(project.stacks[0])[0]
    assert {(n.command, n.operation) for r in needs.requirements for n in r.needs} >= {
        ("build", "create"),
        ("build", "update"),
        ("teardown", "delete"),
        ("test", "read"),
    }


# ---------------------------------------------------------------------------
# Actions and reasons


def test_cloud_control_actions_are_wildcard_only() -> None:
    needs = needs_of(VALID)
    for action in (
        "cloudformation:CreateResource",
        "cloudformation:GetResourceRequestStatus",
        "cloudformation:GetResource",
    ):
        (req,) = find(needs, action)
        assert req.wildcard_only and req.state is State.BASE and req.origins == {Origin.CLOUD_CONTROL}
    assert ops(find(needs, "cloudformation:GetResourceRequestStatus")[0]) == {
        ("build", "create"),
        ("build", "update"),
        ("teardown", "delete"),
    }


def test_every_handler_permission_is_accounted_for() -> None:
    needs = needs_of(VALID)
    schema = Context(load_project([VALID], resolve_config(LintOptions(paths=[VALID])), ROOT)).schemas.schema(TYPE)
    for op in ("create", "read", "update", "delete"):
        for action in handler_permissions(schema, op):
            assert any(n.operation == op for r in find(needs, action) for n in r.needs), (op, action)


def test_the_kms_key_triggers_the_kms_actions_on_that_key() -> None:
    needs = needs_of(VALID)
    (grant,) = find(needs, "kms:CreateGrant")
    assert grant.state is State.PROPERTY and grant.arn == KEY
    assert grant.trigger is not None and grant.trigger.path == "SecurityConfig.KmsKeyId"
    assert grant.span.line == 55 and grant.trigger.prop_span.line == 53
    assert ops(grant) == {("build", "create"), ("build", "update")}
    (decrypt,) = find(needs, "kms:Decrypt")
    assert ("teardown", "delete") in ops(decrypt) and ("test", "read") in ops(decrypt)


def test_images_and_s3_uris_name_their_resources() -> None:
    needs = needs_of(VALID)
    assert find(needs, "ecr:BatchGetImage")[0].arn == "arn:aws:ecr:us-east-1:123456789012:repository/churn-xgboost"
    assert find(needs, "s3:GetObject")[0].arn == "arn:aws:s3:::acme-ml-artifacts/churn/2026-q3/model.tar.gz"
    assert find(needs, "s3:ListBucket")[0].arn == "arn:aws:s3:::acme-ml-artifacts"
    assert find(needs, "s3:GetObject")[0].trigger.path == "InferenceSpecification.Containers[0].ModelDataUrl"


def test_handler_permissions_whose_trigger_is_absent_are_not_needed() -> None:
    needs = needs_of(VALID)
    for action in ("iam:PassRole", "sagemaker:CreateTransformJob", "sagemaker:CreateModel", "ecr:StartImageScan"):
        reqs = find(needs, action)
        assert reqs and all(r.state is State.ABSENT for r in reqs), action
        assert all(r not in needs.needed for r in reqs)
    assert find(needs, "sagemaker:AddTags", State.PROPERTY)[0].trigger.path == "Tags"


def unversion(text: str) -> str:
    """The valid stack as an unversioned package: ModelPackageName instead of ModelPackageGroupName."""
    return text.replace("model_package_group_name", "model_package_name").replace(
        "ModelPackageGroupName", "ModelPackageName"
    )


def test_update_model_package_only_where_the_handlers_call_it(tmp_path: Path) -> None:
    needs = needs_of(VALID)  # a versioned package: ModelPackageGroupName is set
    (needed,) = find(needs, "sagemaker:UpdateModelPackage", State.PROPERTY)
    assert ops(needed) == {("build", "update")} and needed.trigger.path == "ModelPackageGroupName"
    (never,) = find(needs, "sagemaker:UpdateModelPackage", State.ABSENT)
    assert ops(never) == {("build", "create")}
    assert [o.id for o in never.overlays] == ["update-call-on-create"] and never.overlays[0].never
    unversioned = copy_valid(tmp_path, manifest_edit=unversion, query_edit=unversion)
    assert all(r.state is State.ABSENT for r in find(needs_of(unversioned), "sagemaker:UpdateModelPackage"))


def test_list_tags_only_for_an_unversioned_package(tmp_path: Path) -> None:
    assert all(r.state is State.ABSENT for r in find(needs_of(VALID), "sagemaker:ListTags"))
    unversioned = copy_valid(tmp_path, manifest_edit=unversion, query_edit=unversion)
    found = find(needs_of(unversioned), "sagemaker:ListTags", State.PROPERTY)
    assert found and all(r.trigger.path == "ModelPackageName" for r in found)
    assert {op for r in found for _, op in ops(r)} == {"create", "read", "update"}


def test_the_model_package_arn() -> None:
    needs = needs_of(VALID)
    create = find(needs, "sagemaker:CreateModelPackage")[0]
    assert create.arn == "arn:aws:sagemaker:*:*:model-package/churn-models/*"
    assert set(create.unknown) == {"region", "account"}
    (delete,) = find(needs, "sagemaker:DeleteModelPackage")
    assert delete.arn == "arn:aws:sagemaker:*:*:model-package/churn-models/1"  # from the query's identifier


def test_account_from_config_and_region_from_a_literal(tmp_path: Path) -> None:
    stack = copy_valid(tmp_path, manifest_edit=lambda t: t.replace('value: "{{ AWS_REGION }}"', "value: eu-west-1"))
    needs = needs_of(stack, account="210987654321")
    assert needs.place.region == "eu-west-1" and needs.place.account == "210987654321"
    assert (
        find(needs, "sagemaker:CreateModelPackage")[0].arn
        == "arn:aws:sagemaker:eu-west-1:210987654321:model-package/churn-models/*"
    )
    assert (
        find(needs, "sagemaker:DeleteModelPackage")[0].arn
        == "arn:aws:sagemaker:eu-west-1:210987654321:model-package/churn-models/1"
    )


def test_a_template_hiding_the_trigger_makes_it_maybe(tmp_path: Path) -> None:
    def templated(text: str) -> str:
        return text.replace(
            "        value:\n          KmsKeyId: " + KEY,
            "        value: '{{ SECURITY_CONFIG }}'",
        )

    needs = needs_of(copy_valid(tmp_path, manifest_edit=templated))
    (grant,) = find(needs, "kms:CreateGrant")
    assert grant.state is State.MAYBE and grant.arn == "arn:aws:kms:*:*:key/*"


def test_a_templated_role_is_needed_with_an_unknown_arn(tmp_path: Path) -> None:
    stack = copy_valid(tmp_path)
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text(
        manifest.read_text().replace(
            "      - name: metadata_properties\n",
            "      - name: validation_specification\n        value:\n"
            "          ValidationRole: '{{ VALIDATION_ROLE }}'\n"
            "          ValidationProfiles: []\n      - name: metadata_properties\n",
        )
    )
    query = stack / "resources" / "churn_model_package.iql"
    query.write_text(
        query.read_text()
        .replace(" SecurityConfig,\n", " SecurityConfig,\n ValidationSpecification,\n")
        .replace(" '{{ security_config }}',\n", " '{{ security_config }}',\n '{{ validation_specification }}',\n")
    )
    needs = needs_of(stack)
    (role,) = find(needs, "iam:PassRole")
    assert role.state is State.PROPERTY and role.arn == "arn:aws:iam::*:role/*"
    assert find(needs, "sagemaker:CreateTransformJob")[0].state is State.PROPERTY


def test_native_flavour_calls_the_service_api(tmp_path: Path) -> None:
    stack = copy_valid(tmp_path, manifest_edit=lambda t: t.replace("aws::v26.06.00301", "aws::v26.07.00100"))
    needs = needs_of(stack)
    assert needs.flavour == "native"
    assert not [r for r in needs.requirements if r.action.startswith("cloudformation:")]
    (create,) = find(needs, "sagemaker:CreateModelPackage")
    assert create.origins == {Origin.NATIVE} and ops(create) == {("build", "create_model_package")}
    assert find(needs, "kms:CreateGrant")[0].state is State.PROPERTY
    assert not [r for r in needs.requirements if r.state is State.ABSENT]


# ---------------------------------------------------------------------------
# Overlay data


def test_overlay_actions_are_handler_permissions_of_their_operations() -> None:
    overlays = load_overlays(TYPE)
    schema = Context(load_project([VALID], resolve_config(LintOptions(paths=[VALID])), ROOT)).schemas.schema(TYPE)
    assert overlays.overlays and overlays.native
    for overlay in overlays.overlays:
        assert overlay.source and overlay.why
        for action in overlay.actions:
            listed = [
                op
                for op in (overlay.ops or ("create", "read", "update", "delete", "list"))
                if action in handler_permissions(schema, op)
            ]
            assert listed, (overlay.id, action)


def test_a_type_without_overlay_file_has_none() -> None:
    assert load_overlays("AWS::S3::Bucket").overlays == ()


BAD_OVERLAY = {"id": "x", "actions": ["a:B"], "when": ["P"], "resource": "self", "why": "w", "source": "s"}


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"type": "AWS::Other::Type"},
        {"type": TYPE, "unknown": 1},
        {"type": TYPE, "overlays": [{**BAD_OVERLAY, "resource": "moon"}]},
        {"type": TYPE, "overlays": [{**BAD_OVERLAY, "when": []}]},
        {"type": TYPE, "overlays": [{**BAD_OVERLAY, "ops": ["fly"]}]},
        {"type": TYPE, "overlays": [{**BAD_OVERLAY, "called_by": "nobody"}]},
        {"type": TYPE, "overlays": [{**BAD_OVERLAY, "context": {"NoColon": "x"}}]},
    ],
)
def test_bad_overlay_files_are_refused_with_the_reason(data: object) -> None:
    with pytest.raises(OverlayError):
        parse_overlays(data, Path("x.yaml"), TYPE)


def test_a_group_given_by_arn_names_the_group(tmp_path: Path) -> None:
    group = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-models"
    stack = copy_valid(tmp_path, manifest_edit=lambda t: t.replace("value: churn-models", f"value: {group}"))
    create = find(needs_of(stack), "sagemaker:CreateModelPackage")[0]
    assert create.arn == "arn:aws:sagemaker:*:*:model-package/churn-models/*"
