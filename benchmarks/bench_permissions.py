#!/usr/bin/env python3
"""Benchmark: every AWS managed policy judged on every action an AWS::SageMaker::ModelPackage needs.

    .venv/bin/python benchmarks/bench_permissions.py [--corpus DIR] [--repeat 3] [--json]

The requests are those of the valid fixture stack (fixtures/valid/model-package-stack) for all
three commands, with the ARNs mplint derives, including the handler permissions the stack does not
need, plus the list operation's actions: every action of every handler operation. Each policy is
compiled into its own Evaluator and asked every request, as the permissions check does per identity.

Reported separately (best of --repeat, each phase in the same process):
- load: reading and modelling the 1,643 documents (mplint.model.policy.load_policy);
- requirements: deriving the requests from the stack (schema, overlays, ARNs);
- evaluate: compiling each policy and answering every request; the target is under 1 s;
- peak Python heap (tracemalloc) of the load and evaluate phases, and peak RSS of the process.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mplint.app import LintOptions, resolve_config  # noqa: E402
from mplint.context import Context  # noqa: E402
from mplint.iam.evaluator import Evaluator, Request  # noqa: E402
from mplint.model.policy import PolicyFile, load_policy  # noqa: E402
from mplint.project import load_project  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"
STACK = ROOT / "fixtures" / "valid" / "model-package-stack"
LIST_OP = (Request("sagemaker:ListModelPackages", "*", True), Request("cloudformation:ListResources", "*", True))


def load(corpus: Path) -> list[PolicyFile]:
    return [load_policy(path, path.name) for path in sorted(corpus.glob("*.json"))]


def requests() -> list[Request]:
    options = LintOptions(paths=[STACK], base=ROOT)
    project = load_project(options.paths, resolve_config(options), ROOT)
    ctx = Context(project)
    needs = [n for stack in project.stacks for n in ctx.needs(stack)]
    found = {req.request for resource in needs for req in resource.requirements}
    return sorted(found | set(LIST_OP), key=lambda r: (r.action, r.resource))


def evaluate(policies: list[PolicyFile], asks: list[Request]) -> Counter:
    decisions: Counter = Counter()
    for policy in policies:
        evaluator = Evaluator([policy])
        for request in asks:
            decisions[evaluator.evaluate(request).decision.value] += 1
    return decisions


def timed(func, *args, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def heap_peak(func, *args) -> int:
    gc.collect()
    tracemalloc.start()
    func(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    load_s, policies = timed(load, args.corpus, repeat=args.repeat)
    req_s, asks = timed(requests, repeat=args.repeat)
    eval_s, decisions = timed(evaluate, policies, asks, repeat=args.repeat)
    out = {
        "policies": len(policies),
        "requests": len(asks),
        "actions": len({r.action for r in asks}),
        "evaluations": len(policies) * len(asks),
        "load_s": round(load_s, 3),
        "requirements_s": round(req_s, 3),
        "evaluate_s": round(eval_s, 3),
        "evaluate_target_met": eval_s < 1.0,
        "load_heap_peak_mb": round(heap_peak(load, args.corpus) / 2**20, 1),
        "evaluate_heap_peak_mb": round(heap_peak(evaluate, policies, asks) / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "decisions": dict(sorted(decisions.items())),
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{out['policies']} policies x {out['requests']} requests ({out['actions']} actions)"
              f" = {out['evaluations']} verdicts")  # fmt: skip
        print(f"load      {out['load_s']:.3f} s   heap peak {out['load_heap_peak_mb']} MB")
        print(f"requests  {out['requirements_s']:.3f} s")
        print(f"evaluate  {out['evaluate_s']:.3f} s   heap peak {out['evaluate_heap_peak_mb']} MB   target < 1 s: "
              f"{'met' if out['evaluate_target_met'] else 'MISSED'}")  # fmt: skip
        print(f"max RSS   {out['max_rss_mb']} MB")
        print("decisions " + ", ".join(f"{k} {v}" for k, v in out["decisions"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
