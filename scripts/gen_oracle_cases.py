"""Generate the differential test table for mplint's IAM evaluator.

Builds deterministic (policies, action, resource) cases from a fixed seed —
wildcards and ``?`` in actions and ARNs, NotAction, NotResource, conditions,
denies, permissions boundaries, SCPs, partly unknown request resources — plus a
few hand-written edge cases, asks the independent simulator
``@cloud-copilot/iam-simulate`` (scripts/oracle, npm, AGPL: a test tool only)
for its verdicts, and writes both to ``tests/data/iam_oracle_cases.json``.

    cd scripts/oracle && npm ci && cd ../..
    python scripts/gen_oracle_cases.py

CI never runs node: tests/test_iam_differential.py reads the checked-in table.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORACLE = ROOT / "scripts" / "oracle" / "simulate.js"
OUT = ROOT / "tests" / "data" / "iam_oracle_cases.json"
SEED = 20260227
RANDOM_CASES = 560
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:user/alice"
REGIONS = ("us-east-1", "eu-west-1")

Policy = dict
Statement = dict


@dataclass(frozen=True)
class ActionSpec:
    action: str
    wildcard_only: bool
    resources: tuple[str, ...] = ()  # concrete ARNs this action applies to


def _arns(template: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(template.format(region=r, account=ACCOUNT, name=n) for r in REGIONS for n in names)


_MODEL = _arns("arn:aws:sagemaker:{region}:{account}:model-package/{name}", ("churn/1", "fraud-model/12"))
_OBJECT = (
    "arn:aws:s3:::data-bucket/reports/2024/a.csv",
    "arn:aws:s3:::data-bucket/tmp/x.json",
    "arn:aws:s3:::logs-bucket/app/y.log",
)
_BUCKET = ("arn:aws:s3:::data-bucket", "arn:aws:s3:::logs-bucket")
_ROLE = (f"arn:aws:iam::{ACCOUNT}:role/deploy-role", f"arn:aws:iam::{ACCOUNT}:role/service/sagemaker-exec")
_KEY = _arns(
    "arn:aws:kms:{region}:{account}:key/{name}",
    ("1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321"),
)
_REPO = _arns("arn:aws:ecr:{region}:{account}:repository/{name}", ("models/churn", "base"))
_LOGS = _arns(
    "arn:aws:logs:{region}:{account}:log-group:{name}", ("/aws/sagemaker/jobs:log-stream:s1", "app:log-stream:x")
)
_TABLE = _arns("arn:aws:dynamodb:{region}:{account}:table/{name}", ("Orders", "orders-archive"))
_QUEUE = _arns("arn:aws:sqs:{region}:{account}:{name}", ("jobs", "jobs-dlq"))
_TOPIC = _arns("arn:aws:sns:{region}:{account}:{name}", ("alerts",))

ACTIONS = (
    ActionSpec("sagemaker:CreateModelPackage", False, _MODEL),
    ActionSpec("sagemaker:DescribeModelPackage", False, _MODEL),
    ActionSpec("sagemaker:UpdateModelPackage", False, _MODEL),
    ActionSpec("sagemaker:DeleteModelPackage", False, _MODEL),
    ActionSpec("s3:GetObject", False, _OBJECT),
    ActionSpec("s3:PutObject", False, _OBJECT),
    ActionSpec("s3:ListBucket", False, _BUCKET),
    ActionSpec("s3:ListAllMyBuckets", True),
    ActionSpec("iam:PassRole", False, _ROLE),
    ActionSpec("iam:GetRole", False, _ROLE),
    ActionSpec("iam:ListRoles", True),
    ActionSpec("kms:Decrypt", False, _KEY),
    ActionSpec("kms:GenerateDataKey", False, _KEY),
    ActionSpec("kms:CreateGrant", False, _KEY),
    ActionSpec("ecr:BatchGetImage", False, _REPO),
    ActionSpec("ecr:GetAuthorizationToken", True),
    ActionSpec("ec2:DescribeInstances", True),
    ActionSpec("logs:PutLogEvents", False, _LOGS),
    ActionSpec("dynamodb:GetItem", False, _TABLE),
    ActionSpec("sqs:SendMessage", False, _QUEUE),
    ActionSpec("sns:Publish", False, _TOPIC),
    ActionSpec("iam:ListPolicies", True),
    ActionSpec("sagemaker:ListModelPackageGroups", True),
)
# The simulator always consults a KMS key policy (iam.md rule 12), which mplint never sees: the cases give it
# the default key policy, which hands the decision to IAM policies.
KEY_POLICY: dict = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnableIAMUserPermissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
ALL_ACTIONS = tuple(a.action for a in ACTIONS)

# Conditions whose keys the simulator leaves unknown in Discovery mode (so both sides say "conditional").
CONDITIONS: tuple[tuple[str, str, object], ...] = (
    ("StringEquals", "aws:PrincipalTag/team", "ml"),
    ("StringNotEquals", "aws:RequestedRegion", "us-east-1"),
    ("StringLike", "aws:PrincipalTag/project", "churn-*"),
    ("StringEqualsIfExists", "aws:ResourceTag/env", "prod"),
    ("Bool", "aws:MultiFactorAuthPresent", "true"),
    ("Bool", "aws:SecureTransport", "false"),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
    ("NotIpAddress", "aws:SourceIp", ["192.0.2.0/24"]),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin*"),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["owner", "team"]),
    ("NumericLessThan", "aws:MultiFactorAuthAge", "3600"),
    ("Null", "aws:PrincipalTag/team", "false"),
)


# ---------------------------------------------------------------------------
# Pattern mutations


def action_patterns(rng: random.Random, action: str) -> list[str]:
    """Action patterns around ``action``: some match it, some do not."""
    service, name = action.split(":")
    same_service = [a.split(":")[1] for a in ALL_ACTIONS if a.startswith(service + ":") and a != action]
    options: list[Callable[[], str]] = [
        lambda: action,
        lambda: "".join(ch.upper() if rng.random() < 0.4 else ch.lower() for ch in action),
        lambda: f"{service}:*",
        lambda: "*",
        lambda: f"{service}:{name[: rng.randint(1, len(name) - 1)]}*",
        lambda: f"{service}:*{name[rng.randint(1, len(name) - 1) :]}",
        lambda: _question(rng, action, len(service) + 1),
        lambda: f"{service}:{rng.choice(same_service) if same_service else 'Nothing'}",
        lambda: rng.choice([a for a in ALL_ACTIONS if not a.startswith(service + ":")]),
        lambda: f"{service}:{name}?",
        lambda: f"{service}:*{name[1:4]}*",
    ]
    return [rng.choice(options)() for _ in range(rng.randint(1, 3))]


def _question(rng: random.Random, text: str, start: int) -> str:
    """Replace one character after ``start`` (not a separator) with ``?``."""
    spots = [i for i in range(start, len(text)) if text[i] not in ":/"]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + "?" + text[i + 1 :]


def _resource_id_start(arn: str) -> int:
    """Where the resource part of an ARN begins (after the fifth colon)."""
    pos = -1
    for _ in range(5):
        pos = arn.index(":", pos + 1)
    return pos + 1


def resource_patterns(rng: random.Random, spec: ActionSpec, resource: str) -> list[str]:
    """Resource patterns around the request resource: some contain it, some overlap it, some miss."""
    base = resource if "*" not in resource else rng.choice(spec.resources) if spec.resources else "*"
    if base == "*":
        return [rng.choice(["*", "arn:aws:s3:::*", f"arn:aws:iam::{ACCOUNT}:role/*"])]
    parts = base.split(":")
    start = _resource_id_start(base)
    tail = base[start:]
    options: list[Callable[[], str]] = [
        lambda: base,
        lambda: "*",
        lambda: base[: rng.randint(start, len(base) - 1)] + "*",
        lambda: ":".join([*parts[:3], "*", *parts[4:]]) if parts[3] else base,
        lambda: ":".join([*parts[:4], "*", *parts[5:]]) if parts[4] else base,
        lambda: ":".join([*parts[:4], OTHER_ACCOUNT, *parts[5:]]) if parts[4] else base + "-other",
        lambda: _question(rng, base, start),
        lambda: rng.choice(spec.resources),
        lambda: base[:start] + tail.split("/")[0] + "/*" if "/" in tail else base[:start] + "*",
        lambda: base[:start] + tail[: max(1, len(tail) // 2)] + "*" + tail[-2:],
        lambda: ":".join([*parts[:2], parts[2], "*", "*", "*"]),
        lambda: base[:start] + tail.upper(),
        lambda: "arn:aws:s3:::data-*/reports/*",
    ]
    return [rng.choice(options)() for _ in range(rng.randint(1, 2))]


def unknown_resource(rng: random.Random, spec: ActionSpec) -> str:
    """A request resource with unknown parts (``*``), as mplint builds it when the manifest does not tell."""
    base = rng.choice(spec.resources)
    parts = base.split(":")
    choices = ["*"]
    if parts[4]:
        choices.append(":".join([*parts[:4], "*", *parts[5:]]))
    if "/" in base:
        choices.append(base.rsplit("/", 1)[0] + "/*")
    return rng.choice(choices)


# ---------------------------------------------------------------------------
# Statements, policies, cases


def statement(rng: random.Random, spec: ActionSpec, resource: str, *, allow_bias: float, scp: bool) -> Statement:
    effect = "Allow" if rng.random() < allow_bias else "Deny"
    stmt: Statement = {"Effect": effect}
    if rng.random() < 0.3:
        stmt["Sid"] = f"S{rng.randint(1, 999)}"
    actions = action_patterns(rng, spec.action)
    stmt["NotAction" if rng.random() < 0.12 else "Action"] = actions if len(actions) > 1 else actions[0]
    if scp and effect == "Allow":
        stmt["Resource"] = "*"  # SCP Allow statements take Resource "*" only
        return stmt
    resources = resource_patterns(rng, spec, resource)
    stmt["NotResource" if rng.random() < 0.12 else "Resource"] = resources if len(resources) > 1 else resources[0]
    if rng.random() < 0.22:
        op, key, value = rng.choice(CONDITIONS)
        stmt["Condition"] = {op: {key: value}}
    return stmt


def policy(rng: random.Random, spec: ActionSpec, resource: str, *, allow_bias: float, scp: bool = False) -> Policy:
    count = rng.randint(1, 3)
    stmts = [statement(rng, spec, resource, allow_bias=allow_bias, scp=scp) for _ in range(count)]
    return {"Version": "2012-10-17", "Statement": stmts if len(stmts) > 1 or rng.random() < 0.5 else stmts[0]}


def scp_policy(rng: random.Random, spec: ActionSpec, resource: str) -> Policy:
    if rng.random() < 0.4:
        full = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        extra = [statement(rng, spec, resource, allow_bias=0.0, scp=True)] if rng.random() < 0.5 else []
        return {"Version": "2012-10-17", "Statement": [full, *extra]}
    return policy(rng, spec, resource, allow_bias=0.7, scp=True)


def random_case(rng: random.Random, number: int) -> dict:
    spec = rng.choice(ACTIONS)
    if spec.wildcard_only:
        resource = "*"
    elif rng.random() < 0.15:
        resource = unknown_resource(rng, spec)
    else:
        resource = rng.choice(spec.resources)
    identity = [policy(rng, spec, resource, allow_bias=0.8) for _ in range(rng.choice((1, 1, 2)))]
    boundary = policy(rng, spec, resource, allow_bias=0.85) if rng.random() < 0.2 else None
    scps = [scp_policy(rng, spec, resource) for _ in range(rng.choice((1, 2)))] if rng.random() < 0.2 else []
    return {
        "id": f"r{number:04d}",
        "action": spec.action,
        "resource": resource,
        "wildcard_only": spec.wildcard_only,
        "identity": identity,
        "boundary": boundary,
        "scps": scps,
        "resource_policy": KEY_POLICY if spec.action.startswith("kms:") else None,
    }


def instances(case: dict, rng: random.Random) -> list[dict]:
    """Concrete resources behind a partly unknown request: checks what mplint calls GRANTED there."""
    if "*" not in case["resource"] or case["wildcard_only"]:
        return []
    spec = next(a for a in ACTIONS if a.action == case["action"])
    fits = [r for r in spec.resources if _fits(case["resource"], r)]
    picks = rng.sample(fits, min(2, len(fits)))
    return [{**case, "id": f"{case['id']}-i{i}", "resource": r} for i, r in enumerate(picks)]


def _fits(pattern: str, arn: str) -> bool:
    """Does ``arn`` fit a request pattern with one ``*``?"""
    head, _, tail = pattern.partition("*")
    return arn.startswith(head) and arn.endswith(tail) and len(arn) >= len(head) + len(tail)


def _allow(action: str, resource: object = "*", **extra: object) -> Statement:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _doc(*stmts: Statement, version: str | None = "2012-10-17") -> Policy:
    return {"Version": version, "Statement": list(stmts)} if version else {"Statement": list(stmts)}


def edge_cases() -> list[dict]:
    """Hand-written cases for the places where iam.md and the simulator part ways (and a few that agree)."""
    obj = "arn:aws:s3:::data-bucket/alice/report.csv"
    model = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn/1"
    raw: list[tuple[str, str, str, list[Policy]]] = [
        (
            "edge-variable",
            "s3:GetObject",
            obj,
            [_doc(_allow("s3:GetObject", "arn:aws:s3:::data-bucket/${aws:username}/*"))],
        ),
        (
            "edge-variable-deny",
            "s3:GetObject",
            obj,
            [
                _doc(
                    _allow("s3:*"),
                    {
                        "Effect": "Deny",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::data-bucket/${aws:username}/*",
                    },
                )
            ],
        ),
        (
            "edge-variable-2008",
            "s3:GetObject",
            "arn:aws:s3:::data-bucket/${aws:username}/x",
            [_doc(_allow("s3:GetObject", "arn:aws:s3:::data-bucket/${aws:username}/*"), version="2008-10-17")],
        ),
        (
            "edge-variable-escape",
            "s3:GetObject",
            "arn:aws:s3:::data-bucket/a?b",
            [_doc(_allow("s3:GetObject", "arn:aws:s3:::data-bucket/a${?}b"))],
        ),
        (
            "edge-null-true",
            "s3:GetObject",
            obj,
            [_doc(_allow("s3:GetObject", Condition={"Null": {"aws:PrincipalTag/team": "true"}}))],
        ),
        (
            "edge-forallvalues",
            "s3:GetObject",
            obj,
            [_doc(_allow("s3:GetObject", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}))],
        ),
        (
            "edge-ifexists-deny",
            "s3:GetObject",
            obj,
            [
                _doc(
                    _allow("s3:*"),
                    {
                        "Effect": "Deny",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}},
                    },
                )
            ],
        ),
        (
            "edge-region-case",
            "sagemaker:CreateModelPackage",
            model,
            [_doc(_allow("sagemaker:*", "arn:aws:sagemaker:US-EAST-1:*:model-package/*"))],
        ),
        (
            "edge-question-colon",
            "logs:PutLogEvents",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app:log-stream:x",
            [_doc(_allow("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app?log-stream:x"))],
        ),
        (
            "edge-star-mid-colon",
            "logs:PutLogEvents",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app:log-stream:x",
            [_doc(_allow("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:a*m:x"))],
        ),
        (
            "edge-star-crosses-colon",
            "logs:PutLogEvents",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app:log-stream:x",
            [_doc(_allow("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:a*"))],
        ),
        ("edge-no-permission-needed", "sts:GetCallerIdentity", "*", [_doc(_allow("s3:*"))]),
        ("edge-short-arn", "sagemaker:CreateModelPackage", model, [_doc(_allow("sagemaker:*", "arn:aws:sagemaker:*"))]),
        ("edge-list-star", "s3:ListBucket", "*", [_doc(_allow("s3:ListBucket", "arn:aws:s3:::data-bucket"))]),
        ("edge-wildcard-only-arn", "s3:ListAllMyBuckets", "*", [_doc(_allow("s3:ListAllMyBuckets", "arn:aws:s3:::*"))]),
        (
            "edge-notresource-star",
            "s3:GetObject",
            "*",
            [_doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})],
        ),
        (
            "edge-deny-notaction",
            "s3:GetObject",
            obj,
            [_doc(_allow("*"), {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"})],
        ),
        (
            "edge-account-unknown",
            "sagemaker:CreateModelPackage",
            "arn:aws:sagemaker:us-east-1:*:model-package/churn/1",
            [_doc(_allow("sagemaker:CreateModelPackage", "arn:aws:sagemaker:*:*:model-package/*"))],
        ),
    ]
    return [
        {
            "id": i,
            "action": a,
            "resource": r,
            "wildcard_only": a in ("s3:ListAllMyBuckets", "sts:GetCallerIdentity"),
            "identity": ident,
            "boundary": None,
            "scps": [],
            "resource_policy": None,
        }
        for i, a, r, ident in raw
    ]


def run_oracle(cases: list[dict]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "cases.json", Path(tmp) / "answers.json"
        src.write_text(json.dumps({"account": ACCOUNT, "principal": PRINCIPAL, "cases": cases}))
        subprocess.run(["node", str(ORACLE), str(src), str(dst)], check=True, cwd=ORACLE.parent)
        return json.loads(dst.read_text())


def _dump(table: dict) -> str:
    """JSON with one case per line, so that a regenerated table diffs case by case."""
    head = {k: v for k, v in table.items() if k != "cases"}
    lines = [f"{json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    cases = ",\n".join(json.dumps(case) for case in table["cases"])
    return "{\n" + "\n".join(lines) + '\n"cases": [\n' + cases + "\n]\n}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=RANDOM_CASES, help="random cases before instances")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rng = random.Random(SEED)
    cases: list[dict] = []
    for number in range(args.count):
        case = random_case(rng, number)
        cases += [case, *instances(case, rng)]
    cases += edge_cases()
    oracle = run_oracle(cases)
    kept, dropped = [], 0
    for case in cases:
        answer = oracle["answers"][case["id"]]
        if answer["wildcard_only"] != case["wildcard_only"]:
            sys.exit(f"{case['id']}: the oracle says wildcard_only={answer['wildcard_only']} for {case['action']}")
        if answer["result_type"] == "error":
            dropped += 1  # a policy the simulator's validator refuses; not a comparison
            continue
        kept.append({**case, "oracle": {k: v for k, v in answer.items() if k != "wildcard_only"}})
    table = {
        "generator": "scripts/gen_oracle_cases.py",
        "seed": SEED,
        "simulator": oracle["simulator"],
        "account": ACCOUNT,
        "principal": PRINCIPAL,
        "cases": kept,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(_dump(table))
    print(f"{len(kept)} cases written to {args.out.relative_to(ROOT)} ({dropped} refused by the simulator)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
