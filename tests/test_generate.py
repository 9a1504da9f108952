"""`mplint permissions --generate`: a least-privilege policy that mplint itself finds sufficient, and no more."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.app import LintOptions, lint_paths, resolve_config
from mplint.cli import app
from mplint.context import Context
from mplint.iam.generate import policy
from mplint.model.policy import policy_from_text
from mplint.project import load_project
from tests.conftest import FIXTURES, ROOT

VALID = FIXTURES / "valid" / "model-package-stack"
PERMISSION_RULES = tuple(f"MPL3{n:02d}" for n in range(1, 20) if n != 11)  # verdicts; MPL311 is about the stack
runner = CliRunner()


def generated(stack: Path = VALID) -> dict:
    options = LintOptions(paths=[stack], base=ROOT)
    project = load_project(options.paths, resolve_config(options), ROOT)
    ctx = Context(project)
    return policy(needs for s in project.stacks for needs in ctx.needs(s))


def permission_findings(policy_doc: dict, tmp_path: Path, stack: Path = VALID) -> list:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy_doc, indent=2), encoding="utf-8")
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, policies=[path]))
    assert not outcome.result.notifications, [n.message for n in outcome.result.notifications]
    return [f for f in outcome.result.findings if f.rule_id in PERMISSION_RULES]


def without(doc: dict, action: str) -> dict:
    doc = copy.deepcopy(doc)
    for statement in doc["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action]
    doc["Statement"] = [s for s in doc["Statement"] if s["Action"]]
    return doc


def actions(doc: dict) -> list[str]:
    return sorted(a for s in doc["Statement"] for a in s["Action"])


def test_the_generated_policy_is_a_valid_policy_document() -> None:
    doc = generated()
    parsed = policy_from_text(json.dumps(doc, indent=2))
    assert parsed.problems == []
    assert doc["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in doc["Statement"]]
    assert len(sids) == len(set(sids)) and all(sid.isalnum() for sid in sids)


def test_the_generated_policy_is_enough_for_the_stack(tmp_path: Path) -> None:
    assert permission_findings(generated(), tmp_path) == []


@pytest.mark.parametrize("action", actions(generated()))
def test_removing_one_action_gives_exactly_that_finding(action: str, tmp_path: Path) -> None:
    found = permission_findings(without(generated(), action), tmp_path)
    assert len(found) == 1, [f.message for f in found]
    assert found[0].properties["action"] == action and found[0].rule_id in ("MPL301", "MPL306")


def test_resource_star_only_where_nothing_narrower_is_supported() -> None:
    doc = generated()
    star = [a for s in doc["Statement"] if s["Resource"] == "*" for a in s["Action"]]
    assert star and all(a.startswith("cloudformation:") for a in star)
    resources = {a: s["Resource"] for s in doc["Statement"] for a in s["Action"]}
    assert resources["kms:CreateGrant"] == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert resources["s3:ListBucket"] == "arn:aws:s3:::acme-ml-artifacts"
    assert resources["sagemaker:CreateModelPackage"] == "arn:aws:sagemaker:*:*:model-package/churn-models/*"


def test_actions_the_manifest_does_not_need_are_left_out() -> None:
    granted = set(actions(generated()))
    assert "iam:PassRole" not in granted and "sagemaker:CreateTransformJob" not in granted
    assert "ecr:StartImageScan" not in granted and "sagemaker:ListTags" not in granted


def test_a_resource_pattern_that_another_covers_is_dropped() -> None:
    resources = {a: s["Resource"] for s in generated()["Statement"] for a in s["Action"]}
    # DescribeModelPackage is needed on churn-models/* (create) and churn-models/1 (read): one pattern covers both
    assert resources["sagemaker:DescribeModelPackage"] == "arn:aws:sagemaker:*:*:model-package/churn-models/*"


def test_every_fixture_stack_with_a_known_type_is_satisfied_by_its_own_policy(tmp_path: Path) -> None:
    for stack in sorted((FIXTURES / "permissions").iterdir()):
        found = permission_findings(generated(stack), tmp_path, stack)
        if stack.name == "key-policy-refuses":  # no identity policy can do what the key policy refuses
            assert found and all("the KMS key policy of `model_key`" in f.message for f in found)
            continue
        assert found == [], stack.name


def test_cli_generate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["permissions", "fixtures/valid/model-package-stack", "--generate"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == generated()


def test_generation_is_deterministic() -> None:
    assert json.dumps(generated()) == json.dumps(generated())
