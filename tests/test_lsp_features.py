"""Hover and completion, in process: what the server answers at a place of a manifest, query file or policy."""

from __future__ import annotations

from pathlib import Path

from mplint.lsp import features
from mplint.source import Buffers
from tests.conftest import FIXTURES, ROOT

STACK = FIXTURES / "core" / "schema-values"
MANIFEST = STACK / "stackql_manifest.yml"
QUERY = STACK / "resources" / "churn_model_package.iql"


def bound(text: str | None = None) -> features.Bound:
    buffers = Buffers({MANIFEST: text} if text is not None else None)
    found = features.bind(MANIFEST.resolve(), ROOT, buffers)
    assert found is not None
    return found


def complete(line: int, new: str, col: int, insert: bool = False) -> list[str]:
    lines = MANIFEST.read_text(encoding="utf-8").split("\n")
    if insert:
        lines.insert(line - 1, new)
    else:
        lines[line - 1] = new
    edited = features.with_placeholder("\n".join(lines), line, col)
    assert edited is not None
    return [item.label for item in features.manifest_items(bound(edited[0]), edited[1])]


def test_hover_on_a_prop_its_value_and_a_nested_key() -> None:
    stack = bound()
    on_name = features.manifest_hover(stack, 22, 17)
    assert on_name == features.manifest_hover(stack, 23, 17)  # `model_approval_status` and its value
    assert on_name.startswith("**ModelApprovalStatus**: string\n\nAllowed: `Approved`, `Rejected`")
    nested = features.manifest_hover(stack, 28, 18)
    assert nested.startswith("**ModelDataUrl**: string") and "pattern `^(https|s3)://" in nested
    assert features.manifest_hover(stack, 2, 3) is None  # the stack's name: no property


def test_hover_on_an_insert_column_names_the_property_and_its_lifecycle() -> None:
    text = features.query_hover(bound(), QUERY, 9, 3)
    assert text.startswith("**ModelPackageGroupName**: string") and "create-only" in text


def test_hover_on_an_iam_action() -> None:
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sagemaker:CreateModelPackage"]}]}'
    text = features.action_hover(policy, Path("p.json"), 1, 75)
    assert text.startswith("**sagemaker:CreateModelPackage**: Write\n\nResource types: `model-package`")
    assert features.action_hover(policy, Path("p.json"), 1, 30) is None  # `Statement`, not an action
    assert features.action_text("s3:Get*").startswith("**s3:Get*** matches ")


def test_completion_of_member_names_enum_values_and_anchors() -> None:
    members = complete(30, "              Fra", 18, insert=True)
    assert "Framework" in members and "Image" not in members  # Image is already set
    assert complete(23, "        value: Appr", 20) == ["Approved", "Rejected", "PendingManualApproval"]
    assert "statecheck" in [i.label for i in features.anchor_items("/*+ st")]
    assert features.anchor_items("SELECT 1") == []


def test_completion_of_prop_names_from_the_query_file() -> None:
    text = MANIFEST.read_text(encoding="utf-8").replace("      - name: model_package_description\n", "", 1)
    text = text.replace("        value: Gradient boosted churn classifier\n", "      - name: \n", 1)
    line = text.split("\n").index("      - name: ") + 1
    edited = features.with_placeholder(text, line, 15)
    labels = [item.label for item in features.manifest_items(bound(edited[0]), edited[1])]
    assert labels == ["model_package_description"]


def test_no_disable_comment_inside_a_block_scalar() -> None:
    text = "a: 1\nb: |\n  SELECT 1\n  FROM x\nc: 2\n"
    assert features.block_scalar_lines(Path("m.yml"), text) == {3, 4}
    assert features.block_scalar_lines(Path("q.iql"), text) == set()
