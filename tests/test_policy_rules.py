"""MPL4xx: mplint's own policy rules and parliament's findings, mapped to rules and positions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mplint.app import LintOptions, lint_paths
from mplint.checks import parliament as wiring
from mplint.checks import policy as own
from mplint.iam import analysis
from mplint.iam.parliament_adapter import FINDING_TYPES
from mplint.model.policy import policy_from_text
from mplint.registry import builtin_rules
from mplint.source import SourceFile, load_yaml
from tests.conftest import FIXTURES, ROOT, expected_findings

POLICY_FIXTURES = FIXTURES / "policy"
COMMUNITY = POLICY_FIXTURES / "community"
MPL4 = sorted(rid for rid in builtin_rules() if rid.startswith("MPL4"))


def lint_files(tmp_path: Path, files: dict[str, str], **options) -> object:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = [tmp_path / name for name in files]
    return lint_paths(LintOptions(paths=paths, base=tmp_path, **options))


def found(outcome, rule_prefix: str = "MPL4") -> list[tuple[str, int, str]]:
    return sorted(
        (f.span.path, f.span.line, f.rule_id) for f in outcome.result.findings if f.rule_id.startswith(rule_prefix)
    )


def policy(statements: list[dict], version: str | None = "2012-10-17") -> str:
    body: dict = {"Version": version} if version else {}
    body["Statement"] = statements
    return json.dumps(body, indent=2)


# -- the rule table ---------------------------------------------------------------------------------------


def test_every_parliament_finding_type_maps_to_an_mpl4_rule() -> None:
    assert set(wiring.RULES) == set(FINDING_TYPES) - {"EXCEPTION"}
    rules = builtin_rules()
    for kind, rule_id in wiring.RULES.items():
        assert rule_id in rules, kind
        assert kind in rules[rule_id].help or kind in rules[rule_id].summary, f"{rule_id} does not name {kind}"


def test_mpl4_rules_are_complete_and_point_at_their_checks() -> None:
    rules = builtin_rules()
    checks = {"mplint.checks.policy", "mplint.checks.parliament"}
    for rule_id in MPL4:
        rule = rules[rule_id]
        assert rule.checks and set(rule.checks) <= checks, rule_id
        assert "policy" in rule.tags and "security" in rule.tags, rule_id
        assert rule.security_severity is not None and 0.1 <= float(rule.security_severity) <= 10.0, rule_id


def test_every_mpl4_rule_has_a_bad_fixture() -> None:
    marked = {rule for folder in POLICY_FIXTURES.iterdir() for _, _, rule in expected_findings(folder)}
    assert sorted(set(MPL4) - marked) == []


# -- community auditors (opt-in; the config key is still to come) -----------------------------------------


def community_settings() -> wiring.Settings:
    options = yaml.safe_load((COMMUNITY / "fixture.yaml").read_text())["parliament"]
    sensitive = {"SENSITIVE_ACCESS": {"resources": options["sensitive-access"]}}
    return wiring.Settings(community=options["community-auditors"], timeout=60.0, overrides=sensitive)


def test_community_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wiring, "settings", lambda config: community_settings())
    outcome = lint_paths(LintOptions(paths=[COMMUNITY / "bad.json", COMMUNITY / "good.json"], base=ROOT))
    assert outcome.result.notifications == []
    got = {(f.span.path, f.span.line, f.rule_id) for f in outcome.result.findings}
    assert got == expected_findings(COMMUNITY)


def test_community_auditors_are_off_by_default(tmp_path: Path) -> None:
    outcome = lint_paths(LintOptions(paths=[COMMUNITY / "bad.json"], base=ROOT))
    assert not [f for f in outcome.result.findings if f.rule_id >= "MPL430"]


# -- positions --------------------------------------------------------------------------------------------


def test_serialised_positions_map_to_the_nodes() -> None:
    source = SourceFile(
        Path("p.yaml"),
        "p.yaml",
        "Version: 2012-10-17\nStatement:\n  - Effect: Allow\n"
        "    Action: [s3:GetObject]\n    Resource: '*'\n    true: 1\n",
    )
    text, places = wiring.serialise(load_yaml(source).root)
    assert json.loads(text) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*", "true": 1}],
    }
    column = text.index('"s3:GetObject"') + 1
    assert places[column].node.span.line == 4 and places[column].statement == 0


def test_parliament_positions_in_a_yaml_policy(tmp_path: Path) -> None:
    text = (
        "Version: '2012-10-17'\n"
        "Statement:\n"
        "  - Effect: Allow\n"
        "    Action: s3:ListBucket\n"
        "    Resource: arn:aws:s3:::acme\n"
        "    Condition:\n"
        "      StringEqual:\n"
        "        aws:RequestedRegion: us-east-1\n"
    )
    outcome = lint_files(tmp_path, {"policy.yaml": text})
    assert found(outcome) == [("policy.yaml", 8, "MPL416")]


def test_a_policy_inside_a_json_string_points_at_the_string(tmp_path: Path) -> None:
    inner = policy([{"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "arn:aws:s3:::acme/*"}])
    outer = json.dumps({"PolicyVersion": {"Document": inner}}, indent=2)
    outcome = lint_files(tmp_path, {"wrapped": outer})
    assert found(outcome) == [("wrapped", 3, "MPL410")]
    assert outcome.result.notifications == []


# -- parliament's crashes and skips -----------------------------------------------------------------------

CRASHING = [
    {"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "arn:aws:s3:::acme/*"},
    {
        "Effect": "Allow",
        "Action": "sts:SetContext",
        "Resource": "arn:aws:iam::*:role/datazone_usr_role_*",
        "Condition": {
            "ForAllValues:ArnEquals": {
                "sts:RequestContextProviders": ["arn:aws:iam::aws:contextProvider/IdentityCenter"]
            }
        },
    },
]


def test_a_crash_in_parliament_is_a_notification_and_mplint_findings_stay(tmp_path: Path) -> None:
    outcome = lint_files(tmp_path, {"crash.json": policy(CRASHING)})
    notes = outcome.result.notifications
    assert len(notes) == 1 and notes[0].message.startswith("parliament crashed")
    assert notes[0].span is not None and notes[0].span.path == "crash.json"
    assert ("crash.json", 6, "MPL410") in found(outcome)  # mplint's own rules still ran


def test_the_skip_note_is_kept_only_when_the_auditors_were_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = policy([{"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "arn:aws:s3:::acme/*"}])
    assert lint_files(tmp_path, {"p.json": text}).result.notifications == []
    monkeypatch.setattr(wiring, "settings", lambda config: wiring.Settings(community=True))
    notes = lint_files(tmp_path, {"p.json": text}).result.notifications
    assert [n.message.split(":")[0] for n in notes] == [
        "parliament skipped its policy-level checks (privilege escalation, auditors)"
    ]


def test_parliament_findings_mplint_already_makes_are_not_repeated(tmp_path: Path) -> None:
    text = policy(
        [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme/*"},
            {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObjct", "Resource": "arn:aws:s3:::acme/*"},
        ],
        version=None,
    )
    rules = [rule for _, _, rule in found(lint_files(tmp_path, {"p.json": text}))]
    assert rules == ["MPL403", "MPL411", "MPL405", "MPL410"]


# -- mplint's own rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "template", "expected"),
    [
        (
            "arn:aws:secretsmanager:*:*:sqlworkbench!*",
            "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}",
            True,
        ),
        ("arn:aws:s3:::*", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", False),
        ("arn:aws:s3:::acme/*", "arn:${Partition}:s3:::${BucketName}", False),
        ("arn:aws:s3:::acme*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
        (
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
            False,
        ),
        ("arn:aws:iam::${aws:username}:role/x", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", True),
    ],
)
def test_can_match(resource: str, template: str, expected: bool) -> None:
    assert analysis.can_match(resource, template) is expected


def test_grant_rules_skip_boundaries_and_scps(tmp_path: Path) -> None:
    text = policy([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    (tmp_path / "boundary.json").write_text(text)
    outcome = lint_paths(LintOptions(paths=[], base=tmp_path, boundary=tmp_path / "boundary.json"))
    assert found(outcome) == []
    assert found(lint_files(tmp_path, {"identity.json": text})) == [("identity.json", 6, "MPL420")]


def test_an_empty_policy_file_is_mpl004(tmp_path: Path) -> None:
    outcome = lint_files(tmp_path, {"empty.json": ""})
    assert found(outcome, "MPL0") == [("empty.json", 1, "MPL004")]
    assert outcome.result.notifications == []


def test_wildcard_counts_and_what_the_stack_needs() -> None:
    from tests.test_fixtures import lint_fixture

    messages = [f.message for f in lint_fixture(POLICY_FIXTURES / "actions").result.findings if f.rule_id == "MPL424"]
    assert messages == [
        "`sagemaker:*ModelPackageGroupPolicy` allows 3 actions (1 Read, 2 Write), none of which the stacks need"
    ]
    alone = policy_from_text(policy([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::acme/*"}]))
    (finding,) = [f for f in own.policy_findings(alone) if f.rule_id == "MPL424"]
    assert finding.message.startswith("`s3:Get*` allows ") and "and any that AWS adds later" in finding.message


def test_stack_needs_that_cannot_be_told_are_said_once_and_cost_no_policy_finding(monkeypatch) -> None:
    from mplint.context import Context
    from tests.test_fixtures import lint_fixture

    def broken(self: Context) -> None:
        raise RuntimeError("no stack model")

    before = lint_fixture(POLICY_FIXTURES / "actions").result
    monkeypatch.setattr(Context, "stack_actions", broken)
    after = lint_fixture(POLICY_FIXTURES / "actions").result
    assert not before.notifications
    note = "stack needs unavailable for MPL424: RuntimeError: no stack model"
    assert [n.message for n in after.notifications] == [note]
    assert _placed(after, "MPL424") == _placed(before, "MPL424")  # said still, without what the stacks need
    assert "none of which the stacks need" not in " ".join(f.message for f in after.findings)
    assert _placed(after) == _placed(before)


def _placed(result, rule_id: str | None = None) -> list[tuple[str, int, str]]:
    return sorted((f.span.path, f.span.line, f.rule_id) for f in result.findings if rule_id in (None, f.rule_id))


def test_privilege_escalation_respects_an_explicit_deny() -> None:
    statements = [
        {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
    ]
    assert analysis.escalations(policy_from_text(policy(statements))) == {}
    assert "CreateEC2WithExistingIP" in analysis.escalations(policy_from_text(policy(statements[:1])))


# -- policy code is imported only when a policy is linted ------------------------------------------------


def _imported_by_a_stack_lint(*modules: str) -> list[str]:
    """Which of the modules a fresh interpreter has imported once it has linted the valid stack."""
    code = (
        "import sys; from pathlib import Path; from mplint.app import LintOptions, lint_paths;"
        "lint_paths(LintOptions(paths=[Path('fixtures/valid/model-package-stack')]));"
        f"print(*sorted(m for m in {modules!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_a_stack_run_imports_no_policy_check_nor_the_policy_model() -> None:
    assert _imported_by_a_stack_lint("mplint.checks.policy", "mplint.model.policy") == []


def test_parliament_is_not_imported_without_a_policy() -> None:
    assert _imported_by_a_stack_lint("parliament") == []
