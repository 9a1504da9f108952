#!/usr/bin/env python3
"""Benchmark: every AWS managed policy judged on every action an AWS::SageMaker::ModelPackage needs.

    .venv/bin/python benchmarks/bench_permissions.py [--corpus DIR] [--repeat 3] [--json]

The requests are those of the valid fixture stack (fixtures/valid/model-package-stack) for all
three commands, with the ARNs mplint derives, including the handler permissions the stack does not
need, plus the list operation's actions: every action of every handler operation, each in every
request context mplint builds for it (mplint.iam.context), as the permissions check asks them. Each
policy is compiled into its own Evaluator and asked every request, as the check does per identity.
The same requests without a context (every Condition left open) are timed too, as the peer.

Reported separately (best of --repeat, each phase in the same process):
- load: reading and modelling the 1,643 documents (mplint.model.policy.load_policy);
- requirements: deriving the requests from the stack (schema, overlays, ARNs);
- evaluate: compiling each policy and answering every request; the target is under 1 s;
- each phase's CPU time beside its wall-clock time (on a loaded machine the two part);
- peak Python heap (tracemalloc) of the load and evaluate phases, and peak RSS of the process.

The garbage collector is set as `mplint lint` sets it (mplint/cli.py): with Python's default thresholds,
collections over the 1,643 loaded trees take about two thirds of the compile time.
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
from mplint.iam.assess import asked  # noqa: E402
from mplint.iam.conditions import NO_CONTEXT, Lookup  # noqa: E402
from mplint.iam.evaluator import Evaluator, Request  # noqa: E402
from mplint.model.policy import PolicyFile, load_policy  # noqa: E402
from mplint.project import load_project  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"
STACK = ROOT / "fixtures" / "valid" / "model-package-stack"
LIST_OP = (Request("sagemaker:ListModelPackages", "*", True), Request("cloudformation:ListResources", "*", True))


def load(corpus: Path) -> list[PolicyFile]:
    return [load_policy(path, path.name) for path in sorted(corpus.glob("*.json"))]


Ask = tuple[Request, Lookup]


def requests() -> list[Ask]:
    """Every (request, context) the stack's requirements make, and the list operation's actions."""
    options = LintOptions(paths=[STACK], base=ROOT)
    project = load_project(options.paths, resolve_config(options), ROOT)
    ctx = Context(project)
    found: dict[tuple, Ask] = {}
    for stack in project.stacks:
        found.update(asked(ctx.permission_reports(stack)))
    for request in LIST_OP:
        found.setdefault((request, None), (request, NO_CONTEXT))
    return sorted(found.values(), key=lambda a: (a[0].action, a[0].resource, str(getattr(a[1], "signature", ""))))


def evaluate(policies: list[PolicyFile], asks: list[Ask]) -> Counter:
    decisions: Counter = Counter()
    for policy in policies:
        evaluator = Evaluator([policy])
        for request, context in asks:
            decisions[evaluator.evaluate(request, context).decision.value] += 1
    return decisions


def evaluate_without_context(policies: list[PolicyFile], asks: list[Ask]) -> Counter:
    return evaluate(policies, [(request, NO_CONTEXT) for request, _ in asks])


def timed(func, *args, repeat: int = 1):
    """Best wall-clock and best CPU time of `repeat` runs (CPU time tells a loaded machine from a slow phase)."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return (best, best_cpu), result


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
    gc.set_threshold(100_000, 50, 100)  # the collector settings `mplint lint` runs with (mplint/cli.py)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    (load_s, load_cpu), policies = timed(load, args.corpus, repeat=args.repeat)
    (req_s, req_cpu), asks = timed(requests, repeat=args.repeat)
    (eval_s, eval_cpu), decisions = timed(evaluate, policies, asks, repeat=args.repeat)
    (plain_s, plain_cpu), plain = timed(evaluate_without_context, policies, asks, repeat=args.repeat)
    out = {
        "policies": len(policies),
        "requests": len(asks),
        "actions": len({r.action for r, _ in asks}),
        "evaluations": len(policies) * len(asks),
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu, 3),
        "requirements_s": round(req_s, 3),
        "requirements_cpu_s": round(req_cpu, 3),
        "evaluate_s": round(eval_s, 3),
        "evaluate_cpu_s": round(eval_cpu, 3),
        "evaluate_target_met": eval_s < 1.0,
        "evaluate_without_context_s": round(plain_s, 3),
        "evaluate_without_context_cpu_s": round(plain_cpu, 3),
        "context_ratio": round(eval_s / plain_s, 2) if plain_s else None,
        "load_heap_peak_mb": round(heap_peak(load, args.corpus) / 2**20, 1),
        "evaluate_heap_peak_mb": round(heap_peak(evaluate, policies, asks) / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "decisions": dict(sorted(decisions.items())),
        "decisions_without_context": dict(sorted(plain.items())),
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{out['policies']} policies x {out['requests']} requests ({out['actions']} actions)"
              f" = {out['evaluations']} verdicts")  # fmt: skip
        print(
            f"load      {out['load_s']:.3f} s (CPU {out['load_cpu_s']:.3f} s)   heap peak {out['load_heap_peak_mb']} MB"
        )
        print(f"requests  {out['requirements_s']:.3f} s (CPU {out['requirements_cpu_s']:.3f} s)")
        print(
            f"evaluate  {out['evaluate_s']:.3f} s (CPU {out['evaluate_cpu_s']:.3f} s)   heap peak "
            f"{out['evaluate_heap_peak_mb']} MB   target < 1 s: {'met' if out['evaluate_target_met'] else 'MISSED'}"
        )
        print(
            f"peer      {out['evaluate_without_context_s']:.3f} s (CPU {out['evaluate_without_context_cpu_s']:.3f} s)"
            f" without a context (ratio {out['context_ratio']})"
        )
        print(f"max RSS   {out['max_rss_mb']} MB")
        print("decisions " + ", ".join(f"{k} {v}" for k, v in out["decisions"].items()))
        print("without   " + ", ".join(f"{k} {v}" for k, v in out["decisions_without_context"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
