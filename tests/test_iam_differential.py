"""Differential test: mplint's evaluator against @cloud-copilot/iam-simulate.

The table tests/data/iam_oracle_cases.json holds generated cases and the
simulator's answers (scripts/gen_oracle_cases.py writes it; CI never runs
node). Every disagreement is listed in KNOWN with the rule of iam.md that
explains it; any other disagreement fails, and so does a KNOWN entry that
no longer disagrees (the list stays exact).

Mapping the simulator's Discovery-mode answers:
- one resource: Allowed → granted, or conditional when it reports conditions;
  ExplicitlyDenied → denied; ImplicitlyDenied → not-granted;
- a resource with unknown parts (``*``): the simulator tries the policies'
  resource patterns and says Allowed when some of them is allowed, which is
  mplint's granted, conditional or unknown-resource ("granted on some
  resources"). What mplint calls granted there is checked exactly by the
  ``-iN`` cases, concrete resources drawn from the same pattern.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from mplint.iam.evaluator import Decision, Evaluator, Request
from mplint.model.policy import PolicyFile, PolicyKind, policy_from_text

TABLE = Path(__file__).parent / "data" / "iam_oracle_cases.json"

RESOURCE_TYPE_WILDCARD = (
    "iam.md rule 5: `*` and `?` match within any ARN segment, the resource-type word (`model-package`, `role`, "
    "`log-group`) included; the simulator reads the resource-type part of the ARN literally (the User Guide calls "
    "wildcards there incorrect usage, a policy-hygiene matter)"
)
MID_SEGMENT_STAR = (
    "iam.md rule 5: only a `*` that ends a segment runs on across later colons; the simulator lets every `*` of "
    "the resource part cross colons"
)
QUESTION_COLON = "iam.md rule 5: `?` is one character within a segment, never a colon; the simulator's `?` takes one"
ARN_CASE = (
    "iam.md rule 5: ARN patterns match case-sensitively; the simulator compares partition, service, region and "
    "account case-insensitively"
)
VARIABLE = (
    "iam.md rule 9: a policy variable in a resource pattern makes the answer CONDITIONAL; the simulator resolves "
    "variables only from the request context it is given and treats a missing one as no match"
)
VARIABLE_2008 = (
    "iam.md rule 9: under Version 2008-10-17 `${...}` is literal text; the simulator substitutes variables whatever "
    "the Version"
)
ABSENT_KEY = (
    "iam.md rule 8: the request context is unknown at lint time, so an Allow under a condition that holds when the "
    "key is absent (Null: true, ForAllValues:) is still CONDITIONAL; the simulator takes the key as absent"
)
UNKNOWN_PART = (
    "iam.md 'Resource ARNs' and rule 5: `arn:aws:iam:*:*:*` covers every role (its `*` matches the empty region), "
    "so the Allow applies to part of the unknown resource; the simulator's wildcard-request mode only tries policy "
    "resource strings shaped like the action's resource type and finds none (for a concrete role it does allow)"
)
NO_PERMISSION_NEEDED = (
    "iam.md rules 1-2 judge what the policies grant; AWS lets sts:GetCallerIdentity through with no permission at "
    "all (even when denied), which the simulator models and iam.md does not"
)

KNOWN: dict[str, str] = {
    "r0003": RESOURCE_TYPE_WILDCARD,
    "r0071": RESOURCE_TYPE_WILDCARD,
    "r0161": RESOURCE_TYPE_WILDCARD,
    "r0176": RESOURCE_TYPE_WILDCARD,
    "r0258": RESOURCE_TYPE_WILDCARD,
    "r0275": RESOURCE_TYPE_WILDCARD,
    "r0286": RESOURCE_TYPE_WILDCARD,
    "r0433": RESOURCE_TYPE_WILDCARD,
    "r0238-i0": MID_SEGMENT_STAR,
    "edge-star-mid-colon": MID_SEGMENT_STAR,
    "edge-question-colon": QUESTION_COLON,
    "edge-region-case": ARN_CASE,
    "edge-variable": VARIABLE,
    "edge-variable-deny": VARIABLE,
    "edge-variable-2008": VARIABLE_2008,
    "edge-null-true": ABSENT_KEY,
    "edge-forallvalues": ABSENT_KEY,
    "r0040": UNKNOWN_PART,
    "edge-no-permission-needed": NO_PERMISSION_NEEDED,
}

SOME = "granted on some resources"
_SINGLE = {"ExplicitlyDenied": "denied", "ImplicitlyDenied": "not-granted"}
_ACCEPTS = {
    SOME: {Decision.GRANTED, Decision.CONDITIONAL, Decision.UNKNOWN_RESOURCE},
    "granted": {Decision.GRANTED},
    "conditional": {Decision.CONDITIONAL},
    "denied": {Decision.DENIED},
    "not-granted": {Decision.NOT_GRANTED},
}


@cache
def table() -> dict:
    return json.loads(TABLE.read_text())


def oracle_says(answer: dict) -> str:
    if answer["overall"] != "Allowed":
        return _SINGLE[answer["overall"]]
    if answer["result_type"] == "wildcard":
        return SOME
    return "conditional" if answer["conditional"] else "granted"


def _policy(document: dict, name: str, kind: PolicyKind) -> PolicyFile:
    return policy_from_text(json.dumps(document, indent=1), name, kind)


def mplint_says(case: dict) -> Decision:
    identity = [_policy(p, f"identity{i}.json", PolicyKind.IDENTITY) for i, p in enumerate(case["identity"])]
    boundary = _policy(case["boundary"], "boundary.json", PolicyKind.BOUNDARY) if case["boundary"] else None
    scps = [_policy(p, f"scp{i}.json", PolicyKind.SCP) for i, p in enumerate(case["scps"])]
    request = Request(case["action"], case["resource"], case["wildcard_only"])
    return Evaluator(identity, boundary, scps).evaluate(request).decision


def disagreements_in(cases: list[dict], says) -> dict[str, tuple[str, Decision]]:
    """Each case where mplint's decision (``says``) is not one the simulator's answer accepts."""
    out = {}
    for case in cases:
        expected, got = oracle_says(case["oracle"]), says(case)
        if got not in _ACCEPTS[expected]:
            out[case["id"]] = (expected, got)
    return out


def disagreements() -> dict[str, tuple[str, Decision]]:
    return disagreements_in(table()["cases"], mplint_says)


def test_table_is_large_and_varied() -> None:
    cases = table()["cases"]
    assert len(cases) >= 500
    text = json.dumps(cases)
    for feature in ('"NotAction"', '"NotResource"', '"Condition"', '"Deny"', "?", "${aws:username}", "2008-10-17"):
        assert feature in text, feature
    assert sum(1 for c in cases if c["boundary"]) >= 50
    assert sum(1 for c in cases if c["scps"]) >= 50
    assert sum(1 for c in cases if c["wildcard_only"]) >= 50
    assert sum(1 for c in cases if "*" in c["resource"] and not c["wildcard_only"]) >= 30
    outcomes = {oracle_says(c["oracle"]) for c in cases}
    assert outcomes == {"granted", "conditional", "denied", "not-granted", SOME}


def test_evaluator_agrees_with_the_oracle() -> None:
    unexpected = {k: v for k, v in disagreements().items() if k not in KNOWN}
    assert not unexpected, "\n".join(f"{k}: oracle {e}, mplint {g.value}" for k, (e, g) in sorted(unexpected.items()))


def test_every_known_disagreement_still_disagrees() -> None:
    ids = {case["id"] for case in table()["cases"]}
    assert set(KNOWN) <= ids, sorted(set(KNOWN) - ids)
    found = disagreements()
    stale = sorted(k for k in KNOWN if k not in found)
    assert not stale, f"no longer disagree, remove from KNOWN: {stale}"


@pytest.mark.parametrize("case_id", sorted(KNOWN))
def test_known_disagreement_has_a_reason(case_id: str) -> None:
    assert KNOWN[case_id].startswith("iam.md")
