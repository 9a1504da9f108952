"""Resource policies the stack declares, judged with the identity's: KMS key policies, bucket policies, trust."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from mplint.app import LintOptions, lint_paths
from mplint.findings import Span
from mplint.iam.conditions import NO_CONTEXT
from mplint.iam.evaluator import Decision, Evaluator, Request
from mplint.iam.resource_policies import BUCKET, KEY, ROLE, Caller, Declared, judge, trust_allows, who
from mplint.model.policy import PolicyKind, Principal, policy_from_text
from tests.conftest import FIXTURES, ROOT

ACCOUNT = "123456789012"
DEPLOY = f"arn:aws:iam::{ACCOUNT}:role/deploy"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"
CALLER = Caller(DEPLOY, ACCOUNT)
SPAN = Span("p.json", 1, 1, 1, 2)


def policy(*statements: dict, kind: PolicyKind = PolicyKind.IDENTITY, name: str = "p.json"):
    return policy_from_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), name, kind)


def declared(kind: str, *statements: dict, default: bool = False) -> Declared:
    resource = SimpleNamespace(name="thing", anchor_span=SPAN)
    file = policy(*statements, kind=PolicyKind.RESOURCE, name="the policy of `thing`")
    return Declared(kind, resource, file, default)  # type: ignore[arg-type]


def root(effect: str = "Allow", action: str = "kms:*") -> dict:
    return {"Effect": effect, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": action, "Resource": "*"}


IDENTITY_KMS = Evaluator([policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})])
NOTHING = Evaluator([policy({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})])


def decide(evaluator: Evaluator, found: Declared, action: str = "kms:Decrypt", resource: str = KEY_ARN):
    return judge(evaluator, Request(action, resource), NO_CONTEXT, found, CALLER)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("*", "*", "caller"),
        ("AWS", "*", "caller"),
        ("AWS", ACCOUNT, "account"),
        ("AWS", f"arn:aws:iam::{ACCOUNT}:root", "account"),
        ("AWS", "210987654321", "other"),
        ("AWS", DEPLOY, "caller"),
        ("AWS", f"arn:aws:iam::{ACCOUNT}:role/key-admin", "other"),
        ("AWS", "arn:aws:iam::*:root", "unknown"),  # a template mplint could not fill
        ("Service", "sagemaker.amazonaws.com", "other"),
    ],
)
def test_whom_a_principal_names(kind: str, value: str, expected: str) -> None:
    assert who(Principal(kind, value, SPAN), CALLER) == expected


def test_an_unknown_deployer_cannot_be_matched_to_a_named_role() -> None:
    assert who(Principal("AWS", DEPLOY, SPAN), Caller(None, ACCOUNT)) == "unknown"


def test_a_key_policy_that_delegates_lets_iam_policies_decide() -> None:
    verdict, delegates = decide(IDENTITY_KMS, declared(KEY, root()))
    assert verdict.decision is Decision.GRANTED and delegates
    assert decide(NOTHING, declared(KEY, root()))[0].decision is Decision.NOT_GRANTED


def test_a_key_policy_that_does_not_delegate_grants_only_what_it_names() -> None:
    admin = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/key-admin"}, "Action": "kms:*",
             "Resource": "*"}  # fmt: skip
    verdict, delegates = decide(IDENTITY_KMS, declared(KEY, admin))
    assert verdict.decision is Decision.NOT_GRANTED and not delegates
    mine = {**admin, "Principal": {"AWS": DEPLOY}}
    assert decide(NOTHING, declared(KEY, mine))[0].decision is Decision.GRANTED  # the key policy alone grants


def test_the_default_key_policy_delegates_to_the_account() -> None:
    from mplint.iam.resource_policies import _default_key_policy

    resource = SimpleNamespace(name="key", anchor_span=SPAN)
    default = Declared(KEY, resource, _default_key_policy(resource), True)  # type: ignore[arg-type]
    assert decide(IDENTITY_KMS, default)[0].decision is Decision.GRANTED
    assert default.label == "the KMS key policy of `key` (the default key policy)"


def test_a_deny_in_a_resource_policy_wins() -> None:
    found = declared(KEY, root(), root("Deny", "kms:Decrypt"))
    verdict, _ = decide(IDENTITY_KMS, found)
    assert verdict.decision is Decision.DENIED and verdict.deciding[0].policy.name == "the policy of `thing`"


def test_a_key_policy_statement_for_an_unknown_deployer_is_conditional_on_the_principal() -> None:
    named = {"Effect": "Allow", "Principal": {"AWS": DEPLOY}, "Action": "kms:*", "Resource": "*"}
    verdict, _ = judge(
        NOTHING, Request("kms:Decrypt", KEY_ARN), NO_CONTEXT, declared(KEY, named), Caller(None, ACCOUNT)
    )
    assert verdict.decision is Decision.CONDITIONAL and verdict.condition_keys == ("aws:PrincipalArn",)


BUCKET_OBJECT = "arn:aws:s3:::artifacts/model.tar.gz"


def test_a_bucket_policy_may_allow_what_the_identity_does_not_and_may_deny() -> None:
    grant = {"Effect": "Allow", "Principal": {"AWS": DEPLOY}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::artifacts/*"}  # fmt: skip
    assert decide(NOTHING, declared(BUCKET, grant), "s3:GetObject", BUCKET_OBJECT)[0].decision is Decision.GRANTED
    everyone = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*"}
    identity = Evaluator([policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})])
    verdict, _ = decide(identity, declared(BUCKET, everyone), "s3:GetObject", BUCKET_OBJECT)
    assert verdict.decision is Decision.DENIED
    account_only = {**grant, "Principal": {"AWS": ACCOUNT}}  # the account: IAM policies must still allow
    verdict, _ = decide(NOTHING, declared(BUCKET, account_only), "s3:GetObject", BUCKET_OBJECT)
    assert verdict.decision is Decision.NOT_GRANTED


def test_not_principal_applies_to_everyone_else() -> None:
    others = {"Effect": "Deny", "NotPrincipal": {"AWS": DEPLOY}, "Action": "kms:*", "Resource": "*"}
    assert decide(IDENTITY_KMS, declared(KEY, root(), others))[0].decision is Decision.GRANTED
    admins = {**others, "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/key-admin"}}
    assert decide(IDENTITY_KMS, declared(KEY, root(), admins))[0].decision is Decision.DENIED


def trust(*services: str, condition: dict | None = None) -> Declared:
    stmt: dict = {"Effect": "Allow", "Principal": {"Service": list(services)}, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    file = policy_from_text(json.dumps({"Version": "2012-10-17", "Statement": [stmt]}), "t", PolicyKind.RESOURCE)
    return Declared(ROLE, SimpleNamespace(name="role", anchor_span=SPAN), file)  # type: ignore[arg-type]


def test_a_trust_policy_must_let_the_service_assume_the_role() -> None:
    assert trust_allows(trust("sagemaker.amazonaws.com"), "sagemaker.amazonaws.com") is True
    assert trust_allows(trust("lambda.amazonaws.com"), "sagemaker.amazonaws.com") is False
    cond = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert trust_allows(trust("sagemaker.amazonaws.com", condition=cond), "sagemaker.amazonaws.com") is None


# ---------------------------------------------------------------------------
# Through the stack


def copied(fixture: Path, tmp_path: Path) -> tuple[Path, Path, str]:
    """A fixture stack copied to edit: the stack, its manifest and the manifest's text."""
    stack = tmp_path / "stack"
    shutil.copytree(fixture, stack)
    manifest = stack / "stackql_manifest.yml"
    return stack, manifest, manifest.read_text()


def lint(stack: Path, **options) -> list:
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, **options))
    return [f for f in outcome.result.findings if f.rule_id.startswith("MPL3")]


def test_the_key_fixture_is_refused_and_its_default_twin_is_not() -> None:
    refused = FIXTURES / "permissions" / "key-policy-refuses"
    found = lint(refused, policies=[refused / "deploy-policy.json"], config=refused / "mplint.yaml")
    kms = {f.properties["action"] for f in found if f.rule_id == "MPL310"}
    assert {"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:PutKeyPolicy"} <= kms
    assert not [f for f in found if f.rule_id == "MPL311"]  # the key is declared: its policy was checked
    good = FIXTURES / "valid" / "sagemaker-declared-key"
    assert lint(good, policies=[good / "deploy-policy.json"], config=good / "mplint.yaml") == []


def test_a_key_declared_without_a_key_policy_gets_the_default(tmp_path: Path) -> None:
    stack, manifest, text = copied(FIXTURES / "valid" / "sagemaker-declared-key", tmp_path)
    start = text.index("      - name: key_policy")
    end = text.index("    exports:\n      - model_key_arn")
    manifest.write_text(text[:start] + text[end:])
    query = stack / "resources" / "model_key.iql"
    query.write_text(query.read_text().replace(" KeyPolicy,\n", "").replace(" '{{ key_policy }}',\n", ""))
    assert lint(stack, policies=[stack / "deploy-policy.json"], config=stack / "mplint.yaml") == []


def test_a_passed_role_the_stack_declares_must_trust_the_service(tmp_path: Path) -> None:
    stack, manifest, text = copied(FIXTURES / "permissions" / "pass-role-denied", tmp_path)
    role = (
        "  - name: validation_role\n    props:\n      - name: role_name\n        value: model-validation\n"
        '      - name: assume_role_policy_document\n        value:\n          Version: "2012-10-17"\n'
        "          Statement:\n            - Effect: Allow\n              Principal: {Service: lambda.amazonaws.com}\n"
        "              Action: sts:AssumeRole\n"
    )
    manifest.write_text(text.replace("resources:\n", "resources:\n" + role, 1))
    (stack / "resources" / "validation_role.iql").write_text(
        "/*+ create */\nINSERT INTO aws.iam.roles (RoleName, AssumeRolePolicyDocument, region)\n"
        "SELECT '{{ role_name }}', '{{ assume_role_policy_document }}', 'us-east-1';\n"
    )
    doc = json.loads((stack / "deploy-policy.json").read_text())
    doc["Statement"] = [s for s in doc["Statement"] if s.get("Effect") != "Deny"]
    doc["Statement"].append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
    (stack / "deploy-policy.json").write_text(json.dumps(doc))
    found = [
        f for f in lint(stack, policies=[stack / "deploy-policy.json"]) if f.properties.get("action") == "iam:PassRole"
    ]
    assert [f.rule_id for f in found] == ["MPL310"]
    assert "does not let `sagemaker.amazonaws.com` assume the role" in found[0].message


def test_a_bucket_policy_the_native_provider_puts_is_consulted(tmp_path: Path) -> None:
    stack, manifest, text = copied(FIXTURES / "valid" / "native-model-package", tmp_path)
    text = text.replace('value: "{{ AWS_REGION }}"', "value: us-east-1")
    bucket = (
        "  - name: artifact_bucket\n    props:\n      - name: bucket_name\n        value: acme-ml-artifacts\n"
        "  - name: artifact_bucket_policy\n    props:\n      - name: policy\n        value:\n"
        '          Version: "2012-10-17"\n          Statement:\n            - Sid: OnlyTheReader\n'
        "              Effect: Deny\n              Principal: '*'\n              Action: s3:GetObject\n"
        "              Resource: arn:aws:s3:::acme-ml-artifacts/*\n              Condition:\n"
        f"                ArnNotEquals: {{aws:PrincipalArn: 'arn:aws:iam::{ACCOUNT}:role/reader'}}\n"
    )
    manifest.write_text(text.replace("resources:\n", "resources:\n" + bucket, 1))
    (stack / "resources" / "artifact_bucket.iql").write_text(
        "/*+ create */\nINSERT INTO aws.s3.buckets (bucket, region)\nSELECT '{{ bucket_name }}', 'us-east-1';\n"
    )
    (stack / "resources" / "artifact_bucket_policy.iql").write_text(
        "/*+ createorupdate */\nREPLACE aws.s3.bucket_policies\nSET Policy = '{{ policy }}'\n"
        "WHERE bucket = 'acme-ml-artifacts'\nAND region = 'us-east-1';\n"
    )
    grant = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
    (stack / "deploy.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    config = stack / "mplint.yaml"
    config.write_text(f"principal: {DEPLOY}\naccount: '{ACCOUNT}'\n")
    found = [f for f in lint(stack, policies=[stack / "deploy.json"], config=config) if "s3:" in f.message]
    get = [f for f in found if f.properties.get("action") == "s3:GetObject"]
    assert [f.rule_id for f in get] == ["MPL302"]
    assert "OnlyTheReader" in get[0].message and "bucket policy of `artifact_bucket_policy`" in get[0].message
    assert not [f for f in found if f.rule_id == "MPL311"]  # the bucket is declared: its policy was checked
