"""Policy output a reviewer acts on: opt-in rules out of the default run, short messages, one access level per
action, retired services named as such, and suggestions only for what looks like a typo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgspec import structs
from typer.testing import CliRunner

from mplint.app import LintOptions, lint_paths
from mplint.catalog.actions import get_catalog
from mplint.catalog.retired import retired_services
from mplint.checks import policy as own
from mplint.cli import app
from mplint.config import Written
from mplint.iam.analysis import unknown_action
from mplint.model.policy import policy_from_text
from mplint.registry import RuleFileError, UnknownId, builtin_rules, load_rule_file, select
from mplint.suggest import edit_distance, is_typo_of
from mplint.wording import MAX_MESSAGE, fit, listing
from tests.conftest import ROOT

runner = CliRunner()
OPT_IN = {"MPL414", "MPL424"}
WIDE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:*", "s3:Get*", "sagemaker:ListModelPackages"], "Resource": "*"}],
}


def rules_found(tmp_path: Path, *select_: str) -> set[str]:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(WIDE), encoding="utf-8")
    outcome = lint_paths(LintOptions(paths=[path], base=tmp_path, select=list(select_)))
    return {f.rule_id for f in outcome.result.findings}


# -- opt-in rules ---------------------------------------------------------------------------------------


def test_the_opt_in_rules_are_marked_in_their_files() -> None:
    assert {rule_id for rule_id, rule in builtin_rules().items() if not rule.default} == OPT_IN


def test_opt_in_rules_run_only_when_selected_by_full_id(tmp_path: Path) -> None:
    default = rules_found(tmp_path)
    assert default and not default & OPT_IN  # the policy still gets its other findings (MPL422, MPL423)
    assert not rules_found(tmp_path, "MPL4") & OPT_IN  # a prefix leaves opt-in rules off
    assert not rules_found(tmp_path, "ALL") & OPT_IN
    assert rules_found(tmp_path, "MPL424") == {"MPL424"}
    assert rules_found(tmp_path, "mpl414") == {"MPL414"}  # any case
    assert rules_found(tmp_path, "ALL", "MPL424") == default | {"MPL424"}


def test_selection_resolves_opt_in_rules_by_id_only() -> None:
    rules = builtin_rules()
    assert not select(rules).enabled & OPT_IN
    assert select(rules, (Written("MPL42"),)).enabled == {r for r in rules if r.startswith("MPL42")} - OPT_IN
    assert select(rules, (Written("MPL424"),)).enabled == {"MPL424"}
    assert not select(rules, (Written("MPL424"),), (Written("MPL4"),)).enabled  # ignore wins


def test_a_prefix_that_names_only_opt_in_rules_is_an_error() -> None:
    rules = {rid: structs.replace(rule, default=rid != "MPL209") for rid, rule in builtin_rules().items()}
    rules["MPL2099"] = rules.pop("MPL209")  # a prefix, MPL209, that only opt-in rules start with
    with pytest.raises(UnknownId, match="names only opt-in rules"):
        select(rules, (Written("MPL209"),))


def test_an_opt_in_rule_selected_in_config_runs(tmp_path: Path) -> None:
    (tmp_path / ".mplint.yaml").write_text("select: [ALL, MPL424]\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    assert "MPL424" in rules_found(tmp_path)


def test_default_must_be_on_or_off(tmp_path: Path) -> None:
    text = (ROOT / "rules" / "MPL424.yaml").read_text(encoding="utf-8")
    good = tmp_path / "MPL424.yaml"
    good.write_text(text, encoding="utf-8")
    assert load_rule_file(good).default is False
    good.write_text(text.replace("default: off", "default: on"), encoding="utf-8")
    assert load_rule_file(good).default is True
    good.write_text(text.replace("default: off", "default: sometimes"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="`default` must be on or off"):
        load_rule_file(good)


def test_rules_listing_and_show_tell_opt_in() -> None:
    listed = runner.invoke(app, ["rules"]).stdout.split("\n")
    assert next(line for line in listed if line.startswith("MPL424")).split()[2] == "opt-in"
    assert next(line for line in listed if line.startswith("MPL201")).split()[2] == "default"
    assert "opt-in (`--select MPL424` turns it on)" in runner.invoke(app, ["rules", "show", "MPL424"]).stdout


# -- messages ---------------------------------------------------------------------------------------------


def test_listing_fits_its_room() -> None:
    items = [f"service:Action{i:03d}" for i in range(50)]
    assert listing(items, 70) == "service:Action000, service:Action001, service:Action002 and 47 more"
    assert listing(items[:2], 60) == "service:Action000, service:Action001"
    assert listing(items, 60, most=1) == "service:Action000 and 49 more"
    assert listing(["x" * 300], 10) == "x" * 9 + "…"  # the first item always, cut short
    assert listing(["`" + "x" * 300 + "`", "y"], 30) == "`" + "x" * 16 + "…` and 1 more"  # code stays closed, in 30
    assert len(fit("head: ", items, " tail")) < MAX_MESSAGE


def test_access_levels_are_one_per_action() -> None:
    message = next(f.message for f in own.policy_findings(policy_from_text(json.dumps(WIDE))) if f.rule_id == "MPL424")
    assert message.startswith("`iam:*` allows ")
    assert ", Write," not in message and "Tagging, Write" not in message
    levels = [get_catalog().action(n).access_level for n in get_catalog().expand("iam:*")]
    tagging = sum("Tagging" in level for level in levels)
    management = sum("Permissions management" in level for level in levels)
    assert tagging and management
    assert f"{tagging} Tagging" in message and f"{management} Permissions management" in message
    assert own.access_level("Permissions management, Write") == "Permissions management"
    assert own.access_level("Tagging, Write") == "Tagging"
    assert own.access_level("Read") == "Read"


# -- unknown actions: retired services and suggestions ------------------------------------------------------


def test_a_retired_service_is_named_as_retired() -> None:
    message = unknown_action("deepcomposer:GetComposition")
    assert message is not None and "qdeveloper" not in message
    assert message == (
        "`deepcomposer:GetComposition` grants nothing: AWS DeepComposer was retired from AWS's IAM reference "
        "(last listed on 2025-12-06)"
    )
    assert "iot1click" in retired_services() and "deeplens" in retired_services()


def test_retired_services_are_not_in_the_catalog_they_were_compared_with() -> None:
    data = json.loads((ROOT / "mplint" / "data" / "iam-retired.json").read_text(encoding="utf-8"))
    catalog = get_catalog()
    assert data["source"]["catalog_version"] == catalog.version.version, "run scripts/gen_retired_services.py"
    assert all(catalog.service(prefix) is None for prefix in data["services"])


@pytest.mark.parametrize(
    ("action", "suggestion"),
    [
        ("sagemkr:CreateModelPackage", "sagemaker:CreateModelPackage"),
        ("lamda:InvokeFunction", "lambda:InvokeFunction"),
        ("secretmanager:GetSecretValue", "secretsmanager:GetSecretValue"),
        ("ssm:RemoveTagsToResource", "ssm:RemoveTagsFromResource"),
        ("sagemaker:DescribeModelPackages", "sagemaker:DescribeModelPackage"),
        ("s3:GetObjct", "s3:GetObject"),
        ("builderid:CreateInvitation", None),  # not a typo of imagebuilder
        ("mobilehub:ListProjects", None),  # not a typo of iotfleethub
        ("s3:ListObjects", None),  # not a typo of s3:ListJobs
        ("budgets:UpdateBudget", None),  # not a typo of budgets:UpdateBudgetAction
    ],
)
def test_suggestions_only_for_typos(action: str, suggestion: str | None) -> None:
    message = unknown_action(action)
    assert message is not None
    if suggestion is None:
        assert "did you mean" not in message, message
    else:
        assert message.endswith(f"(did you mean `{suggestion}`?)"), message


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0
    assert is_typo_of("sagemkr", "sagemaker") and not is_typo_of("deepcomposer", "qdeveloper")


# -- the permissions table ------------------------------------------------------------------------------------

KMS = ROOT / "fixtures" / "permissions" / "kms-grant-missing"


def permissions(*args: str, columns: str = "") -> str:
    result = runner.invoke(app, ["permissions", str(KMS), "--policy", str(KMS / "deploy-policy.json"), *args],
                           env={"COLUMNS": columns})  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


@pytest.mark.parametrize("columns", [60, 80, 100, 140, 200])
def test_the_permissions_table_fits_the_terminal(columns: int) -> None:
    text = permissions(columns=str(columns))
    assert max(len(line) for line in text.split("\n")) <= columns
    for requirement in _requirements():  # every action is there, whole, and its verdict
        assert any(line.strip().startswith(requirement["action"]) for line in text.split("\n"))
    if columns >= 200:
        assert "  ACTION " in text and "WHY" in next(line for line in text.split("\n") if "  ACTION " in line)
    elif columns <= 100:  # too narrow for five columns: a block per action
        assert "      resource  " in text and "      why       " in text


def test_without_a_terminal_the_table_is_not_wrapped_and_json_has_every_text_whole() -> None:
    text = permissions()
    for requirement in _requirements():
        rows = [line for line in text.split("\n") if line.strip().startswith(requirement["action"] + " ")]
        assert any(requirement["resource"] in row and requirement["why"] in row for row in rows), requirement


def _requirements() -> list[dict]:
    doc = json.loads(permissions("-f", "json", columns="60"))
    return [r for stack in doc["stacks"] for res in stack["resources"] for r in res["requirements"]]
