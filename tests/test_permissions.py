"""MPL3xx findings: verdicts, levels, places, identities; and the `mplint permissions` command."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.app import LintOptions, lint_paths
from mplint.cli import app
from mplint.findings import Level
from mplint.registry import builtin_rules
from tests.conftest import FIXTURES, ROOT, shared_path
from tests.test_generate import PERMISSION_RULES, generated, without

VALID = FIXTURES / "valid" / "model-package-stack"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
runner = CliRunner()


def write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def lint(tmp_path: Path, stack: Path = VALID, **options) -> list:
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, **options))
    assert not outcome.result.notifications, [n.message for n in outcome.result.notifications]
    return [f for f in outcome.result.findings if f.rule_id in PERMISSION_RULES]


def statement(doc: dict, sid: str) -> dict:
    return next(s for s in doc["Statement"] if s["Sid"] == sid)


def test_permission_rules_are_security_rules_with_a_severity() -> None:
    rules = {rid: r for rid, r in builtin_rules().items() if rid.startswith("MPL3")}
    assert len(rules) >= 9
    for rule in rules.values():
        assert "security" in rule.tags and rule.checks == ("mplint.checks.permissions",)
        assert rule.security_severity is not None and 0.1 <= float(rule.security_severity) <= 10.0


def test_no_policy_no_permission_finding() -> None:
    assert lint(Path()) == []


def test_missing_triggered_action_is_reported_at_the_value_with_the_prop_related(tmp_path: Path) -> None:
    doc = without(generated(), "kms:GenerateDataKey")
    (found,) = lint(tmp_path, policies=[write(tmp_path, "p.json", doc)])
    assert found.rule_id == "MPL306" and found.level is Level.ERROR
    assert found.span.path.endswith("stackql_manifest.yml") and found.span.line == 55
    assert [r.span.line for r in found.related][:1] == [53]
    assert found.related[-1].span.path.endswith("p.json")
    for part in ("`build`", "create", "kms:GenerateDataKey", KEY, "SecurityConfig.KmsKeyId", "statecheck timeout"):
        assert part in found.message


def test_missing_base_action_is_reported_at_the_resource(tmp_path: Path) -> None:
    (found,) = lint(
        tmp_path, policies=[write(tmp_path, "p.json", without(generated(), "cloudformation:DeleteResource"))]
    )
    assert found.rule_id == "MPL301" and found.span.line == 22
    assert "`teardown`" in found.message and "Cloud Control refuses the request" in found.message


def test_explicit_deny_names_the_statement(tmp_path: Path) -> None:
    doc = generated()
    doc["Statement"].append({"Sid": "NoDeletes", "Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "*"})
    (found,) = lint(tmp_path, policies=[write(tmp_path, "p.json", doc)])
    assert found.rule_id == "MPL302" and "'NoDeletes'" in found.message
    assert any("NoDeletes" in r.message for r in found.related)


def test_deny_in_a_second_identity_policy(tmp_path: Path) -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*"}]}
    found = lint(tmp_path, policies=[write(tmp_path, "a.json", generated()), write(tmp_path, "b.json", deny)])
    assert [(f.rule_id, f.properties["action"]) for f in found] == [("MPL302", "s3:ListBucket")]


def test_conditional_grant_names_the_unknown_key_and_what_would_pass(tmp_path: Path) -> None:
    doc = generated()
    statement(doc, "EcrRepository")["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    found = lint(tmp_path, policies=[write(tmp_path, "p.json", doc)])
    assert {f.rule_id for f in found} == {"MPL303"} and len(found) == 2
    for f in found:
        assert f.level is Level.WARNING
        assert "only if `aws:SourceIp` is within `10.0.0.0/8`" in f.message
        assert "not known before deploying (state it in config `context`)" in f.message


def test_a_condition_the_context_settles_is_no_finding(tmp_path: Path) -> None:
    doc = generated()
    statement(doc, "EcrRepository")["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    assert lint(tmp_path, policies=[write(tmp_path, "p.json", doc)]) == []


def test_a_stated_context_key_settles_it(tmp_path: Path) -> None:
    doc = generated()
    statement(doc, "EcrRepository")["Condition"] = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    config = tmp_path / ".mplint.yaml"
    config.write_text(f"policies: [{write(tmp_path, 'p.json', doc)}]\ncontext:\n  aws:SourceIp: 10.1.2.3\n")
    assert lint(tmp_path, config=config) == []
    config.write_text(f"policies: [{tmp_path / 'p.json'}]\ncontext:\n  aws:SourceIp: 192.0.2.1\n")
    assert {f.rule_id for f in lint(tmp_path, config=config)} == {"MPL306"}


def test_granted_on_other_resources(tmp_path: Path) -> None:
    doc = generated()
    statement(doc, "KmsKey")["Resource"] = "arn:aws:kms:us-east-1:123456789012:key/another-key"
    found = lint(tmp_path, policies=[write(tmp_path, "p.json", doc)])
    assert {f.rule_id for f in found} == {"MPL304"} and len(found) == 4
    assert all("another-key" in f.message for f in found)


def test_unknown_region_and_account_give_a_note(tmp_path: Path) -> None:
    doc = generated()
    statement(doc, "SagemakerModelPackage2")["Resource"] = (
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/1"
    )
    found = lint(tmp_path, policies=[write(tmp_path, "p.json", doc)])
    assert {f.properties["action"] for f in found} == {"sagemaker:DeleteModelPackage", "sagemaker:UpdateModelPackage"}
    assert all(f.rule_id == "MPL305" and f.level is Level.NOTE for f in found)
    assert all("region and account" in f.message for f in found)


def test_the_account_option_settles_it(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(VALID, stack)
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text(manifest.read_text().replace('value: "{{ AWS_REGION }}"', "value: us-east-1"))
    doc = generated(stack)
    assert "arn:aws:sagemaker:us-east-1:*:model-package/churn-models/1" in json.dumps(doc)
    statement(doc, "SagemakerModelPackage2")["Resource"] = (
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/1"
    )
    assert lint(tmp_path, stack, policies=[write(tmp_path, "p.json", doc)], account="123456789012") == []
    found = lint(tmp_path, stack, policies=[write(tmp_path, "p.json", doc)], account="210987654321")
    assert sorted((f.rule_id, f.properties["action"]) for f in found) == [
        ("MPL304", "sagemaker:DeleteModelPackage"),
        ("MPL304", "sagemaker:UpdateModelPackage"),
    ]


def test_maybe_needed_is_one_level_lower(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(VALID, stack)
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text(
        manifest.read_text().replace(
            "        value:\n          KmsKeyId: " + KEY, "        value: '{{ SECURITY_CONFIG }}'"
        )
    )
    doc = {"Version": "2012-10-17", "Statement": [s for s in generated()["Statement"] if s["Sid"] != "KmsKey"]}
    found = lint(tmp_path, stack, policies=[write(tmp_path, "p.json", doc)])
    assert {f.rule_id for f in found} == {"MPL306"} and len(found) == 4
    assert all(f.level is Level.WARNING and "not known before deployment" in f.message for f in found)


def test_boundary_and_scp(tmp_path: Path) -> None:
    identity = write(tmp_path, "p.json", generated())
    boundary = copy.deepcopy(generated())
    statement(boundary, "KmsKey")["Action"].remove("kms:Decrypt")
    scp = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "NotAction": "ecr:DescribeImages", "Resource": "*"}],
    }
    found = lint(
        tmp_path,
        policies=[identity],
        boundary=write(tmp_path, "b.json", boundary),
        scps=[write(tmp_path, "s.json", scp)],
    )
    assert sorted((f.rule_id, f.properties["action"]) for f in found) == [
        ("MPL307", "kms:Decrypt"),
        ("MPL308", "ecr:DescribeImages"),
    ]
    by_rule = {f.rule_id: f for f in found}
    assert by_rule["MPL307"].related[-1].span.path.endswith("b.json")
    assert by_rule["MPL308"].related[-1].span.path.endswith("s.json")


def _with_auth(tmp_path: Path) -> Path:
    stack = tmp_path / "stack"
    shutil.copytree(VALID, stack)
    manifest = stack / "stackql_manifest.yml"
    manifest.write_text(
        manifest.read_text().replace(
            "    description: Version of the churn model",
            "    auth:\n      aws:\n        type: aws_signing_v4\n        credentialsenvvar: REGISTRY_CREDS\n"
            "    description: Version of the churn model",
        )
    )
    return stack


def test_auth_override_without_identity_is_not_checked(tmp_path: Path) -> None:
    stack = _with_auth(tmp_path)
    (found,) = lint(tmp_path, stack, policies=[write(tmp_path, "p.json", without(generated(), "kms:Decrypt"))])
    assert found.rule_id == "MPL309" and found.level is Level.NOTE and "resource-identities" in found.message


def test_resource_identities_pick_the_identity(tmp_path: Path) -> None:
    stack = _with_auth(tmp_path)
    write(tmp_path, "registry.json", without(generated(), "kms:Decrypt"))
    write(
        tmp_path,
        "deploy.json",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
    )
    config = tmp_path / ".mplint.yaml"
    config.write_text(
        "policies: [deploy.json]\nidentities:\n  registry:\n    policies: [registry.json]\n"
        "resource-identities:\n  churn_model_package: registry\n",
        encoding="utf-8",
    )
    found = lint(tmp_path, stack, config=config)
    assert [(f.rule_id, f.properties["action"]) for f in found] == [("MPL306", "kms:Decrypt")]
    config.write_text(config.read_text().replace("churn_model_package: registry", "churn_model_package: nobody"))
    assert [f.rule_id for f in lint(tmp_path, stack, config=config)] == ["MPL309"]


def test_commands_narrow_the_check(tmp_path: Path) -> None:
    doc = without(generated(), "cloudformation:DeleteResource")
    assert lint(tmp_path, policies=[write(tmp_path, "p.json", doc)], commands=["build", "test"]) == []


# ---------------------------------------------------------------------------
# The two AWS managed SageMaker policies, against the valid stack


def _verdicts(policy: Path) -> dict[str, set[str]]:
    result = runner.invoke(app, ["permissions", str(VALID), "--policy", str(policy), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    verdicts: dict[str, set[str]] = {}
    for req in doc["stacks"][0]["resources"][0]["requirements"]:
        if req["state"] != "not-needed":
            verdicts.setdefault(req["action"], set()).add(req["verdict"]["decision"])
    return verdicts


def test_model_registry_full_access() -> None:
    verdicts = _verdicts(
        shared_path("corpus", "iam", "aws-managed", "sagemaker-focus", "AmazonSageMakerModelRegistryFullAccess.json")
    )
    assert verdicts["cloudformation:CreateResource"] == {"not-granted"}  # no Cloud Control action at all
    assert verdicts["sagemaker:CreateModelPackage"] == {"granted"}
    assert verdicts["kms:CreateGrant"] == {"conditional"}  # aws:ResourceTag/sagemaker and kms:ViaService
    assert verdicts["s3:GetObject"] == {"not-granted"}  # only buckets named *sagemaker*
    assert verdicts["s3:ListBucket"] == {"granted"}
    assert verdicts["ecr:BatchGetImage"] == {"granted"}


def test_sagemaker_full_access() -> None:
    verdicts = _verdicts(
        shared_path("corpus", "iam", "aws-managed", "sagemaker-focus", "AmazonSageMakerFullAccess.json")
    )
    assert verdicts["cloudformation:CreateResource"] == {"not-granted"}
    assert verdicts["kms:DescribeKey"] == {"granted"}
    assert verdicts["kms:CreateGrant"] == {"not-granted"}
    assert verdicts["s3:GetObject"] == {"conditional"}  # s3:ExistingObjectTag/SageMaker
    assert verdicts["ecr:DescribeImages"] == {"granted"}  # ecr:Describe*


# ---------------------------------------------------------------------------
# The command


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_cli_lists_needs_with_reasons(in_root: None) -> None:
    result = runner.invoke(app, ["permissions", "fixtures/valid/model-package-stack"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "kms:CreateGrant" in out and "SecurityConfig.KmsKeyId is set (stackql_manifest.yml:55)" in out
    assert "not needed: only when `ValidationSpecification.ValidationRole` is set" in out
    assert "build:create,update" in out


def test_cli_json_with_a_policy_and_exit_code(in_root: None) -> None:
    stack = "fixtures/permissions/kms-grant-missing"
    result = runner.invoke(app, ["permissions", stack, "--policy", f"{stack}/deploy-policy.json", "-f", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    reqs = doc["stacks"][0]["resources"][0]["requirements"]
    grant = next(r for r in reqs if r["action"] == "kms:CreateGrant")
    assert grant["verdict"]["rule"] == "MPL306" and grant["trigger"]["line"] == 55
    assert grant["commands"] == {"build": ["create", "update"]}
    assert doc["commands"] == ["build", "test", "teardown"]


def test_cli_rejects_sarif(in_root: None) -> None:
    result = runner.invoke(app, ["permissions", "fixtures/valid/model-package-stack", "-f", "sarif"])
    assert result.exit_code == 2


def test_keys_and_buckets_not_in_the_stack_get_one_note_each(tmp_path: Path) -> None:
    outcome = lint_paths(LintOptions(paths=[VALID], base=ROOT, policies=[write(tmp_path, "p.json", generated())]))
    notes = [f for f in outcome.result.findings if f.rule_id == "MPL311"]
    assert sorted((f.span.line, f.level) for f in notes) == [(39, Level.NOTE), (55, Level.NOTE)]
    assert "the bucket `acme-ml-artifacts` is not declared in this stack" in notes[0].message
    assert f"the KMS key `{KEY}`" in notes[1].message and "key policy" in notes[1].message
