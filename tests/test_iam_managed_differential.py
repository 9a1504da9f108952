"""Differential test on real policies: 201 AWS managed policies against a real stack's requests, in the
request context mplint builds, judged by mplint and by @cloud-copilot/iam-simulate.

tests/data/iam_oracle_managed.json (scripts/gen_oracle_managed.py) holds, per case, the policy's name
and the keys its conditions read, as the context mplint assumes for the request (a value, or known
absent; an unknown key is left unknown to both sides), and the simulator's answer. The policies are read
from ../shared (the test skips without them) and checked against the digests in the table. Every
disagreement is listed in KNOWN with the documentation that decides it; any other fails, and so does a
KNOWN entry that agrees again. mplint never says "granted" where the simulator says it is not.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest

from mplint.iam.conditions import UNKNOWN_VALUE
from mplint.iam.evaluator import Decision, Evaluator, Request
from mplint.model.policy import load_policy
from tests.conftest import shared_path
from tests.test_iam_differential import disagreements_in, oracle_says

TABLE = Path(__file__).parent / "data" / "iam_oracle_managed.json"

VARIABLE = (
    "IAM User Guide, Policy variables: a variable in a Resource takes the request's value; config gives the "
    "deploying principal no tags here, so `${aws:PrincipalTag/KmsKeyId}` is unknown and the grant CONDITIONAL on "
    "it; the simulator treats an unknown variable as matching nothing"
)
UNKNOWN_ABSENCE = (
    "IAM User Guide, Condition operators: a negated operator, or Null true, holds when the key is absent; the "
    "principal's tags (and the KMS encryption context SageMaker sends) are not known, so an Allow that holds when "
    "such a key is absent or differs is CONDITIONAL on it; the simulator's Discovery mode drops an Allow that an "
    "unknown key's absence would satisfy and answers not granted"
)
ABSENT_KEY = (
    "IAM User Guide, Creating a condition with multiple keys or values: ForAllValues is true when the key is "
    "absent and false when a request value is not listed; the tags an update's sagemaker:AddTags sends are the "
    "ones that changed, not known before deploying, so the Allow is CONDITIONAL; the simulator takes the unknown "
    "key as absent and grants"
)

KNOWN: dict[str, str] = {
    "SageMakerStudioProjectUserRolePermissionsBoundary#11": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectUserRolePermissionsBoundary#12": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectUserRolePermissionsBoundary#13": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectUserRolePermissionsBoundary#14": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectRoleMachineLearningPolicy#11": VARIABLE,
    "SageMakerStudioProjectRoleMachineLearningPolicy#12": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectRoleMachineLearningPolicy#14": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectUserRolePolicy#11": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectUserRolePolicy#12": UNKNOWN_ABSENCE,
    "SageMakerStudioProjectUserRolePolicy#13": VARIABLE,
    "SageMakerStudioProjectUserRolePolicy#14": UNKNOWN_ABSENCE,
    "AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy#22": ABSENT_KEY,
    "SageMakerStudioBedrockKnowledgeBaseServiceRolePolicy#12": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockKnowledgeBaseServiceRolePolicy#14": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockKnowledgeBaseServiceRolePolicy#15": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockKnowledgeBaseServiceRolePolicy#16": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockEvaluationJobServiceRolePolicy#13": VARIABLE,
    "SageMakerStudioBedrockEvaluationJobServiceRolePolicy#15": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockEvaluationJobServiceRolePolicy#16": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockAgentServiceRolePolicy#12": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockAgentServiceRolePolicy#15": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockChatAgentUserRolePolicy#15": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockChatAgentUserRolePolicy#16": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockPromptUserRolePolicy#15": UNKNOWN_ABSENCE,
    "SageMakerStudioBedrockPromptUserRolePolicy#16": UNKNOWN_ABSENCE,
    "SageMakerStudioEMRServiceRolePolicy#13": VARIABLE,
    "SageMakerStudioEMRServiceRolePolicy#14": VARIABLE,
}


@cache
def table() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


class Stated:
    """The context a case states: known values, known-absent keys; every other key unknown."""

    def __init__(self, case: dict) -> None:
        self.known = {k.lower(): tuple(v) if isinstance(v, list) else (v,) for k, v in case["context"].items()}
        self.absent = {k.lower() for k in case["absent"]}

    def values(self, key: str):
        lower = key.lower()
        if lower in self.known:
            return self.known[lower]
        return None if lower in self.absent else UNKNOWN_VALUE


@cache
def evaluators() -> dict[str, Evaluator]:
    folder = shared_path("corpus", "iam", "aws-managed", "iamtrail", "documents")
    out = {}
    for name, digest in table()["policies"].items():
        path = folder / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name} differs from the table's"
        out[name] = Evaluator([load_policy(path, name)])
    return out


def mplint_says(case: dict) -> Decision:
    name, _, number = case["id"].rpartition("#")
    ask = table()["requests"][int(number)]
    request = Request(ask["action"], ask["resource"], ask["wildcard_only"], tuple(ask["scopes"]))
    return evaluators()[f"{name}.json"].evaluate(request, Stated(case)).decision


@cache
def disagreements() -> dict[str, tuple[str, Decision]]:
    return disagreements_in(table()["cases"], mplint_says)


def test_table_covers_201_policies_with_a_context() -> None:
    cases = table()["cases"]
    assert len(table()["policies"]) == 201 and len(cases) >= 6000
    assert sum(1 for c in cases if c["context"]) >= 2000 and sum(1 for c in cases if c["absent"]) >= 300
    assert {oracle_says(c["oracle"]) for c in cases} == {"granted", "conditional", "denied", "not-granted",
                                                         "granted on some resources"}  # fmt: skip


def test_evaluator_agrees_with_the_oracle_on_managed_policies() -> None:
    unexpected = {k: v for k, v in disagreements().items() if k not in KNOWN}
    assert not unexpected, "\n".join(f"{k}: oracle {e}, mplint {g.value}" for k, (e, g) in sorted(unexpected.items()))


def test_every_known_disagreement_still_disagrees() -> None:
    stale = sorted(k for k in KNOWN if k not in disagreements())
    assert not stale, f"no longer disagree, remove from KNOWN: {stale}"


def test_never_granted_where_the_oracle_does_not_grant() -> None:
    wrong = [k for k, (e, g) in disagreements().items() if g is Decision.GRANTED and e != "granted"]
    assert wrong == []


@pytest.mark.parametrize("reason", sorted(set(KNOWN.values())))
def test_each_reason_cites_the_documentation(reason: str) -> None:
    assert reason.startswith("IAM User Guide")
