"""Declarative rules: the rule format, condition evaluation, user rule folders and the example rules."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker
from typer.testing import CliRunner

from mplint.app import LintOptions, lint_paths
from mplint.cli import app
from mplint.declarative import spec as declarative
from mplint.declarative.spec import Grants, Props
from mplint.iam.evaluator import Evaluator, Request
from mplint.model.policy import PolicyFile, PolicyKind, policy_from_source
from mplint.registry import RuleFileError, builtin_rules, load_all_rules, load_rule_file
from mplint.ruletest import expected_findings, run_tests
from mplint.source import SourceFile
from mplint.stackql.binding import Opaque
from tests.conftest import FIXTURES, ROOT, shared_path, user_rule_stacks

EXAMPLES = ROOT / "examples" / "rules"
USER_FIXTURES = FIXTURES / "user-rules"
runner = CliRunner()

HEAD = """\
id: MPL950
name: test-rule
level: warning
summary: A rule under test.
help: Help.
"""


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def write_rule(folder: Path, body: str, name: str = "MPL950.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return path


def spec_of(body: str, tmp_path: Path) -> declarative.Spec:
    return load_rule_file(write_rule(tmp_path, body), user=True).extra["declarative"]


# ---------------------------------------------------------------------------
# The example rules on their fixtures


def test_the_three_example_rules_load_as_user_rules() -> None:
    rules = load_all_rules((EXAMPLES,))
    assert {"MPL901", "MPL902", "MPL903"} <= set(rules) and not {"MPL901"} & set(builtin_rules())
    assert all("declarative" in rules[r].extra for r in ("MPL901", "MPL902", "MPL903"))


def test_user_rule_fixtures_are_the_three_examples() -> None:
    names = {s.relative_to(USER_FIXTURES).as_posix() for s in user_rule_stacks()}
    assert names == {"kms-key", "dev-approval", "deploy-role"}


@pytest.mark.parametrize("stack", user_rule_stacks(), ids=lambda s: s.name)
def test_example_rules_report_exactly_what_their_fixtures_expect(stack: Path) -> None:
    rules = {rid: rule for rid, rule in load_all_rules((EXAMPLES,)).items() if rid.startswith("MPL9")}
    report = run_tests(rules, [stack], ROOT)
    assert report.passed, [f for r in report.results.values() for f in r.failures] + report.errors
    expected = {rule for _, _, rule in expected_findings(stack, ROOT)}
    assert expected & set(rules), f"{stack.name} expects no user rule finding"


def test_rules_dir_on_the_command_line() -> None:
    without = runner.invoke(app, ["lint", "fixtures/user-rules/kms-key", "-f", "json"])
    assert "MPL901" not in without.stdout
    result = runner.invoke(app, ["lint", "fixtures/user-rules/kms-key", "--rules-dir", "examples/rules", "-f", "json"])
    assert result.exit_code == 1
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "MPL901"]
    assert finding["line"] == 33 and "`fraud_model_package` does not set SecurityConfig.KmsKeyId" in finding["message"]


def test_rules_dirs_in_the_config(tmp_path: Path) -> None:
    shutil.copytree(USER_FIXTURES / "kms-key", tmp_path / "stack")
    shutil.copytree(EXAMPLES, tmp_path / "my-rules")
    (tmp_path / ".mplint.yaml").write_text("rules-dirs: [my-rules]\n", encoding="utf-8")
    outcome = lint_paths(LintOptions(paths=[tmp_path / "stack"], base=tmp_path, config=tmp_path / ".mplint.yaml"))
    assert [f.rule_id for f in outcome.result.findings] == ["MPL901"]
    assert "MPL903" in outcome.result.rules


def test_env_filter_and_the_env_option() -> None:
    base = ["lint", "fixtures/user-rules/dev-approval", "--rules-dir", "examples/rules", "-f", "json"]
    everything = json.loads(runner.invoke(app, base).stdout)["findings"]
    assert sorted((f["line"], f["message"].split(" for ")[1].split(":")[0]) for f in everything) == [
        (23, "dev"),
        (40, "every environment"),
    ]
    only_prd = json.loads(runner.invoke(app, [*base, "--env", "prd"]).stdout)["findings"]
    assert only_prd == []


def test_rules_listing_and_show_with_a_rules_dir() -> None:
    listing = runner.invoke(app, ["rules", "--rules-dir", "examples/rules"])
    assert listing.exit_code == 0 and "MPL902  error    default  no-approval-in-dev" in listing.stdout
    assert "MPL901" not in runner.invoke(app, ["rules"]).stdout
    shown = runner.invoke(app, ["rules", "--rules-dir", "examples/rules", "show", "MPL903"])
    assert shown.exit_code == 0 and "deploy-role-no-iam-admin" in shown.stdout


def test_sarif_with_user_rules_validates_against_the_schema() -> None:
    local = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
    schema = local if local.exists() else shared_path("data", "sarif-schema-2.1.0.json")
    validator = Draft4Validator(json.loads(schema.read_text(encoding="utf-8")), format_checker=FormatChecker())
    for stack in user_rule_stacks():
        options = LintOptions(paths=[stack], base=ROOT, rules_dirs=[EXAMPLES])
        if stack.name == "deploy-role":
            options.policies = [stack / "deploy-role.json"]
        log = json.loads(lint_paths(options).render("sarif", {}))
        assert [f"{e.absolute_path}: {e.message}" for e in validator.iter_errors(log)] == []
        run = log["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        user = [r for r in rules if r["id"].startswith("MPL9")]
        assert [r["id"] for r in user] == ["MPL901", "MPL902", "MPL903"]
        assert all(r["helpUri"].endswith("docs/rules/README.md") for r in user)
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


# ---------------------------------------------------------------------------
# Conditions


def props(values: dict) -> Props:
    return Props(values, {})


@pytest.mark.parametrize(
    ("test", "values", "holds"),
    [
        ({"path": "A.B", "exists": True}, {"A": {"B": 1}}, True),
        ({"path": "A.B", "exists": True}, {"A": {"C": 1}}, False),
        ({"path": "A.B", "exists": True}, {"A": {"B": None}}, False),
        ({"path": "A.B", "exists": True}, {"A": Opaque("{{ a }}")}, None),
        ({"path": "A.B", "absent": True}, {"A": {}}, True),
        ({"path": "A", "exists": False}, {"A": 1}, False),
        ({"path": "A", "equals": "x"}, {"A": "x"}, True),
        ({"path": "A", "equals": "x"}, {}, False),
        ({"path": "A", "equals": "x"}, {"A": Opaque("{{ a }}")}, None),
        ({"path": "A", "equals": {"k": 1}}, {"A": {"k": 1}}, True),
        ({"path": "A", "in": ["x", "y"]}, {"A": "y"}, True),
        ({"path": "A", "in": ["x", "y"]}, {"A": "z"}, False),
        ({"path": "A", "matches": "^arn:aws:kms:"}, {"A": "arn:aws:kms:us-east-1:1:key/k"}, True),
        ({"path": "A", "matches": "^arn:aws:kms:"}, {"A": "alias/k"}, False),
        ({"path": "A", "matches": "^arn:"}, {"A": Opaque("arn:{{ p }}")}, None),
        ({"path": "A", "gte": 2, "lt": 5}, {"A": 4}, True),
        ({"path": "A", "gte": 2, "lt": 5}, {"A": 5}, False),
        ({"path": "A", "gt": 1}, {"A": True}, False),
        ({"path": "A", "length": {"gte": 1, "lte": 2}}, {"A": ["a", Opaque("{{ b }}")]}, True),
        ({"path": "A", "length": 3}, {"A": "abcd"}, False),
        ({"path": "L.*.I", "matches": "^ecr/"}, {"L": [{"I": "ecr/a"}, {"I": "ecr/b"}]}, True),
        ({"path": "L.*.I", "matches": "^ecr/"}, {"L": [{"I": "ecr/a"}, {"I": "docker/b"}]}, False),
        ({"path": "L.1.I", "equals": "b"}, {"L": [{"I": "a"}, {"I": "b"}]}, True),
        ({"path": "M.*", "equals": "v"}, {"M": {"x": "v", "y": "v"}}, True),
    ],
)
def test_path_tests(test: dict, values: dict, holds: bool | None, tmp_path: Path) -> None:
    spec = spec_of(f"resources: [x]\nassert: {json.dumps(test)}\n", tmp_path)
    assert spec.condition.evaluate(props(values)).holds is holds


@pytest.mark.parametrize(
    ("tree", "holds"),
    [
        ("{all: [{path: A, exists: true}, {path: B, exists: true}]}", False),
        ("{any: [{path: A, exists: true}, {path: B, exists: true}]}", True),
        ("{not: {path: A, equals: 1}}", False),
        ("[{path: A, equals: 1}, {not: {path: B, exists: true}}]", True),
        ("{any: [{path: B, exists: true}, {path: C, equals: 1}]}", None),  # unknown, never a finding
        ("{all: [{path: A, equals: 2}, {path: C, equals: 1}]}", False),  # false whatever C turns out to be
        ("{not: {path: C, equals: 1}}", None),
    ],
)
def test_condition_trees_are_three_valued(tree: str, holds: bool | None, tmp_path: Path) -> None:
    spec = spec_of(f"resources: [x]\nassert: {tree}\n", tmp_path)
    assert spec.condition.evaluate(props({"A": 1, "C": Opaque("{{ c }}")})).holds is holds


def policy(statements: list[dict]) -> PolicyFile:
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    source = SourceFile(Path("p.json"), "p.json", text)
    return policy_from_source(source, PolicyKind.IDENTITY)


def grants(*statements: dict) -> Grants:
    evaluator = Evaluator([policy(list(statements))])
    return Grants(lambda a, r: evaluator.evaluate(Request(a, r)), lambda p: ["iam:PassRole", "iam:CreateRole"])


ALLOW_ALL_IAM = {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
ALLOW_PASS = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
ALLOW_IAM_IF = {**ALLOW_ALL_IAM, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}


@pytest.mark.parametrize(
    ("test", "statements", "holds"),
    [
        ({"never-granted": "iam:*"}, [ALLOW_ALL_IAM], False),
        ({"never-granted": "iam:*"}, [{**ALLOW_ALL_IAM, "Action": "*"}], False),
        ({"never-granted": "iam:*"}, [ALLOW_PASS], True),
        ({"never-granted": "iam:*"}, [ALLOW_IAM_IF], False),  # a conditional grant is a grant
        ({"never-granted": "iam:*"}, [ALLOW_ALL_IAM, {**ALLOW_ALL_IAM, "Effect": "Deny"}], True),
        ({"never-granted": "iam:*", "each": True}, [ALLOW_PASS], False),
        ({"granted": "iam:PassRole"}, [ALLOW_PASS], True),
        ({"granted": "iam:PassRole"}, [], False),
        ({"granted": "iam:PassRole"}, [ALLOW_IAM_IF], None),
        ({"granted": "iam:*", "each": True}, [ALLOW_PASS], False),
        ({"granted": "iam:PassRole", "resource": "arn:aws:iam::1:role/x"}, [ALLOW_PASS], True),
    ],
)
def test_grant_tests(test: dict, statements: list[dict], holds: bool | None, tmp_path: Path) -> None:
    spec = spec_of(f"identities: [default]\nassert: {json.dumps(test)}\n", tmp_path)
    assert spec.condition.evaluate(grants(*statements)).holds is holds


def test_grant_evidence_points_at_the_granting_action(tmp_path: Path) -> None:
    spec = spec_of(
        'identities: "*"\nassert: {never-granted: "iam:*"}\nmessage: "{action} {decision} {policy}"\n', tmp_path
    )
    outcome = spec.condition.evaluate(grants(ALLOW_PASS, ALLOW_ALL_IAM))
    assert outcome.evidence is not None and outcome.evidence.span is not None
    assert spec.format(outcome.evidence.facts) == "iam:* granted p.json"


# ---------------------------------------------------------------------------
# Filters, messages, robustness


def test_when_filters_by_manifest_name_and_resource(tmp_path: Path) -> None:
    stack = USER_FIXTURES / "kms-key"
    body = """\
        resources: [AWS::SageMaker::*]
        when: {manifest: "model-*", resource: [fraud_*, scoring_*]}
        assert: {path: ModelPackageGroupName, matches: "^churn-"}
        message: "{resource} ({type}, {stackql}) in {manifest}: {path} is {value}"
        """
    write_rule(tmp_path / "rules", body)
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, rules_dirs=[tmp_path / "rules"], select=["MPL950"]))
    messages = sorted(f.message for f in outcome.result.findings)
    assert messages == [
        "fraud_model_package (AWS::SageMaker::ModelPackage, aws.sagemaker.model_packages) in model-registry: "
        "ModelPackageGroupName is fraud-models",
        "scoring_model_package (AWS::SageMaker::ModelPackage, aws.sagemaker.model_packages) in model-registry: "
        "ModelPackageGroupName is scoring-models",
    ]
    write_rule(tmp_path / "rules", body.replace('"model-*"', '"other-*"'))
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, rules_dirs=[tmp_path / "rules"], select=["MPL950"]))
    assert outcome.result.findings == []


def test_a_crashing_rule_becomes_a_notification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self, subject):
        raise ValueError("odd data")

    monkeypatch.setattr(declarative.PathTest, "evaluate", boom)
    options = LintOptions(paths=[USER_FIXTURES / "kms-key"], base=ROOT, rules_dirs=[EXAMPLES])
    result = lint_paths(options).result
    notes = sorted(n.message for n in result.notifications)
    # one per rule and resource: the other resources are still checked, and the run goes on
    assert notes == [f"rule {rid} failed here: ValueError: odd data" for rid in ("MPL901", "MPL902") for _ in range(3)]


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        ("resources: [x]\nassert: {path: A, exist: true}\n", 7, "unknown test `exist`"),
        (
            "resources: [x]\nassert:\n  all:\n    - {path: A, exists: true}\n    - {path: A, matches: '('}\n",
            10,
            "invalid regular expression",
        ),
        ("resources: [x]\ncheck: m:f\nassert: {path: A, exists: true}\n", 7, "either `check`"),
        ("identities: [default]\nwhen: {env: dev}\nassert: {never-granted: 'iam:*'}\n", 7, "`when` filters resources"),
        ("resources: [x]\nassert: {never-granted: 'iam:*'}\n", 7, "needs `identities`"),
        ("identities: [default]\nassert: {path: A, exists: true}\n", 7, "a `path` test needs `resources`"),
        ("resources: [x]\nassert: {path: A, exists: true}\nmessage: 'bad {nope}'\n", 8, "unknown placeholder {nope}"),
        ("resources: [x]\nassert: {path: A, exists: yes-please}\n", 7, "`exists` takes true or false"),
        ("resources: [x]\nwhen: {stage: dev}\nassert: {path: A, exists: true}\n", 7, "unknown `when` key `stage`"),
        ("resources: [x]\nassert: {any: [], path: A}\n", 7, "`any` must be alone"),
        ("assert: {path: A, exists: true}\n", 1, "either `resources`"),
        ("resources: [x]\nmessage: hi\n", 6, "needs `assert`"),
        ("identities: [default]\nassert: {granted: PassRole}\n", 7, "an IAM action or pattern"),
        ("resources: [x]\nassert: {path: A, length: {between: 2}}\n", 7, "`length` takes"),
    ],
)
def test_malformed_rule_files_name_file_line_and_problem(body: str, line: int, problem: str, tmp_path: Path) -> None:
    path = write_rule(tmp_path, body)
    with pytest.raises(RuleFileError) as info:
        load_rule_file(path, user=True)
    assert (info.value.path, info.value.line) == (path, line) and problem in info.value.problem, str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_user_rule_ids_are_mpl9xx(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "resources: [x]\nassert: {path: A, exists: true}\n")
    path.write_text(path.read_text().replace("MPL950", "MPL201"))
    with pytest.raises(RuleFileError, match="not in MPL900-MPL999"):
        load_all_rules((tmp_path,))


def test_a_bad_user_rule_is_a_usage_error_on_the_command_line(tmp_path: Path) -> None:
    write_rule(tmp_path, "resources: [x]\nassert: {path: A, exist: true}\n")
    result = runner.invoke(app, ["lint", "fixtures/valid", "--rules-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'MPL950.yaml'}:7: unknown test `exist`" in result.stderr
    missing = runner.invoke(app, ["lint", "fixtures/valid", "--rules-dir", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such rules folder" in missing.stderr
