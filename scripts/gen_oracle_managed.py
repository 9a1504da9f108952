"""Generate the managed-policy differential table: real AWS managed policies, a real stack's requests, and the
request context mplint builds for them, judged by mplint's evaluator and by @cloud-copilot/iam-simulate.

The stack is fixtures/valid/sagemaker-region-scp (us-east-1, account 123456789012) deployed as
arn:aws:iam::123456789012:role/deploy; its requests are every requirement of every command (needed or
not), each in every request context mplint builds for it (mplint.iam.context). The policies are the 201
AWS managed policies of ../shared/corpus that apply to the most of those requests (sorted by that count,
then by name; a policy that applies to none of them says nothing about the evaluator). Each case gives
the simulator the same context: the keys the policy's conditions read, with the value mplint assumes,
or as known to be absent; a key mplint does not know is left unknown to both (Discovery mode). The key
is not declared in the stack, so the simulator (which always consults a key policy) gets the default key
policy, which leaves the decision to IAM policies as mplint does for an undeclared key.

    cd scripts/oracle && npm ci && cd ../..
    python scripts/gen_oracle_managed.py

The table (tests/data/iam_oracle_managed.json) lists the requests once and names each case
`<policy>#<request>`, with the sha256 of every policy document; the test reads the documents from
../shared and skips when they are absent. CI never runs node.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from gen_oracle_cases import KEY_POLICY, run_oracle  # noqa: E402

from mplint.app import LintOptions, resolve_config  # noqa: E402
from mplint.context import Context  # noqa: E402
from mplint.iam.assess import asked  # noqa: E402
from mplint.iam.conditions import Partial, Unknown, variable_names  # noqa: E402
from mplint.iam.context import RequestContext  # noqa: E402
from mplint.iam.evaluator import Decision, Evaluator, Request  # noqa: E402
from mplint.model.policy import PolicyFile, load_policy  # noqa: E402
from mplint.project import load_project  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"
STACK = ROOT / "fixtures" / "valid" / "sagemaker-region-scp"
OUT = ROOT / "tests" / "data" / "iam_oracle_managed.json"
ACCOUNT = "123456789012"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:role/deploy"
POLICIES = 201


def stack_requests() -> list[tuple[Request, RequestContext]]:
    """Every (request, context) the stack's requirements make, each once, in requirement order."""
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / ".mplint.yaml"
        config_path.write_text(f"principal: {PRINCIPAL}\naccount: '{ACCOUNT}'\n", encoding="utf-8")
        options = LintOptions(paths=[STACK], base=ROOT, config=config_path)
        project = load_project(options.paths, resolve_config(options), ROOT)
    ctx = Context(project)
    out: dict[tuple, tuple[Request, RequestContext]] = {}
    for stack in project.stacks:
        out.update(asked(ctx.permission_reports(stack)))
    return list(out.values())


def condition_keys(policy: PolicyFile) -> list[str]:
    keys: dict[str, None] = {}
    for stmt in policy.document.statements:
        for entry in stmt.conditions:
            keys[entry.key] = None
            for value in entry.values:
                keys.update(dict.fromkeys(variable_names(value)))
        for pattern in stmt.resource_patterns:
            keys.update(dict.fromkeys(variable_names(pattern.value)))
    return list(keys)


def oracle_context(policy: PolicyFile, context: RequestContext) -> tuple[dict, list[str]]:
    """The keys the policy reads: known values, and the keys known to be absent (unknown ones left out)."""
    known: dict[str, object] = {}
    absent: list[str] = []
    for key in condition_keys(policy):
        values = context.values(key)
        if values is None:
            absent.append(key)
        elif isinstance(values, Unknown) or any(isinstance(v, Partial) for v in values):
            continue
        else:
            known[key] = values[0] if len(values) == 1 and key.lower() not in MULTIVALUED else list(values)
    return known, absent


MULTIVALUED = {"aws:calledvia", "aws:tagkeys", "aws:principalorgpaths", "aws:resourceorgpaths"}


def relevance(policy: PolicyFile, asks: list[tuple[Request, RequestContext]]) -> int:
    evaluator = Evaluator([policy])
    return sum(evaluator.evaluate(r, c).decision is not Decision.NOT_GRANTED for r, c in asks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--policies", type=int, default=POLICIES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    asks = stack_requests()
    loaded = [load_policy(path, path.name) for path in sorted(args.corpus.glob("*.json"))]
    scored = sorted(((relevance(p, asks), p.name, p) for p in loaded), key=lambda s: (-s[0], s[1]))
    chosen = [p for score, _, p in scored[: args.policies] if score > 0]
    cases: list[dict] = []
    for policy in chosen:
        document = json.loads((args.corpus / policy.name).read_text(encoding="utf-8"))
        for number, (request, context) in enumerate(asks):
            known, absent = oracle_context(policy, context)
            cases.append(
                {
                    "id": f"{policy.name.removesuffix('.json')}#{number}",
                    "policy": policy.name,
                    "action": request.action,
                    "resource": request.resource,
                    "wildcard_only": request.wildcard_only,
                    "scopes": list(request.scopes),
                    "context": known,
                    "absent": absent,
                    "identity": [document],
                    "boundary": None,
                    "scps": [],
                    "resource_policy": KEY_POLICY if request.action.startswith("kms:") else None,
                    "principal": PRINCIPAL,
                }
            )
    oracle = run_oracle(cases)
    digests = {p.name: hashlib.sha256((args.corpus / p.name).read_bytes()).hexdigest() for p in chosen}
    kept, dropped = [], 0
    for case in cases:
        answer = oracle["answers"][case["id"]]
        if answer["result_type"] == "error":
            dropped += 1
            continue
        verdict = {k: answer[k] for k in ("result_type", "overall", "conditional")}
        kept.append({"id": case["id"], "context": case["context"], "absent": case["absent"], "oracle": verdict})
    requests = [
        {"action": r.action, "resource": r.resource, "wildcard_only": r.wildcard_only, "scopes": list(r.scopes)}
        for r, _ in asks
    ]
    table = {
        "generator": "scripts/gen_oracle_managed.py",
        "simulator": oracle["simulator"],
        "stack": STACK.relative_to(ROOT).as_posix(),
        "account": ACCOUNT,
        "principal": PRINCIPAL,
        "policies": digests,
        "requests": requests,
        "cases": kept,
    }
    head = {k: v for k, v in table.items() if k != "cases"}
    lines = [f"{json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    body = ",\n".join(json.dumps(case, sort_keys=True) for case in kept)
    args.out.write_text("{\n" + "\n".join(lines) + '\n"cases": [\n' + body + "\n]\n}\n", encoding="utf-8")
    print(f"{len(chosen)} policies, {len(asks)} requests: {len(kept)} cases ({dropped} refused by the simulator)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
