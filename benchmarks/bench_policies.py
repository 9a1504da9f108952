#!/usr/bin/env python3
"""Lint the AWS managed policies end to end: mplint with and without parliament, against parliament alone.

    .venv/bin/python benchmarks/bench_policies.py [--corpus DIR] [--limit N] [--tracemalloc] [--json]

Each mode runs in a fresh child process, timed from before its first import to the end of the run;
peak RSS comes from wait4:

- parliament: plain `parliament.analyze_policy_string` on each file's text (its own IAM database);
- mplint: `mplint.app.lint_paths` over all the files at once, every rule (parliament included);
- mplint-no-parliament: the same with the rules that only parliament reports ignored, so parliament
  is not run (nor imported).

Also reported: the unknown-action findings, mplint's MPL410 (bundled catalog) against parliament's own
UNKNOWN_ACTION and UNKNOWN_PREFIX. The target: mplint, parliament included, no slower than parliament
alone. The corpus defaults to ../shared/corpus/iam/aws-managed/iamtrail/documents (1,643 files).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"
MODES = ("parliament", "mplint", "mplint-no-parliament")
PARLIAMENT_CHECK = ("mplint.checks.parliament",)


def corpus_files(corpus: Path, limit: int | None) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file())[:limit]


# -- children ---------------------------------------------------------------------------------------------


def run_parliament(files: list[Path]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from mplint.iam.parliament_adapter import _import_parliament  # only for its pkg_resources stub

    parliament = _import_parliament()
    issues: Counter[str] = Counter()
    crashes = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            continue
        try:
            policy = parliament.analyze_policy_string(text, filepath=str(path))
        except Exception:
            crashes += 1
            continue
        issues.update(f.issue for f in policy.findings)
    unknown = issues["UNKNOWN_ACTION"] + issues["UNKNOWN_PREFIX"]
    return {"findings": sum(issues.values()), "unknown_actions": unknown, "crashes": crashes, "by_type": issues}


def run_mplint(files: list[Path], with_parliament: bool) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from mplint.app import LintOptions, lint_paths
    from mplint.registry import builtin_rules

    ignore = [] if with_parliament else [r.id for r in builtin_rules().values() if r.checks == PARLIAMENT_CHECK]
    outcome = lint_paths(LintOptions(paths=files, base=files[0].parent, ignore=ignore))
    rules = Counter(f.rule_id for f in outcome.result.findings)
    return {
        "findings": sum(rules.values()),
        "unknown_actions": rules["MPL410"],
        "crashes": sum(n.message.startswith("parliament crashed") for n in outcome.result.notifications),
        "notifications": len(outcome.result.notifications),
        "parliament_imported": "parliament" in sys.modules,
        "by_type": rules,
    }


def child(mode: str, corpus: Path, limit: int | None, trace: bool) -> dict[str, Any]:
    import tracemalloc

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    files = corpus_files(corpus, limit)
    result = run_parliament(files) if mode == "parliament" else run_mplint(files, mode == "mplint")
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["files"] = len(files)
    if trace:
        result["heap_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    return result


def run_child(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--corpus", str(args.corpus)]
    cmd += ["--limit", str(args.limit)] * (args.limit is not None) + ["--tracemalloc"] * args.tracemalloc
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{mode} child failed with {os.waitstatus_to_exitcode(status)}")
    result = json.loads(out)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: KiB
    return result


# -- report -----------------------------------------------------------------------------------------------


def render(report: dict[str, dict[str, Any]]) -> str:
    lines = ["mode                    files  seconds  peak_rss_mb  heap_mb  findings  unknown_actions  crashes"]
    for mode, r in report.items():
        lines.append(
            f"  {mode:<21} {r['files']:>5}  {r['seconds']:>7}  {r['peak_rss_mb']:>11}  {r.get('heap_peak_mb', '-'):>7}"
            f"  {r['findings']:>8}  {r['unknown_actions']:>15}  {r['crashes']:>7}"
        )
    plain, full = report["parliament"]["seconds"], report["mplint"]["seconds"]
    lines.append(f"mplint (parliament included) / parliament alone: {full / plain:.2f}x the time")
    lines.append(
        f"unknown-action findings: {report['mplint']['unknown_actions']} with the bundled catalog (MPL410), "
        f"{report['parliament']['unknown_actions']} with parliament's own database (UNKNOWN_ACTION + UNKNOWN_PREFIX)"
    )
    lines.append(f"parliament imported without its rules: {report['mplint-no-parliament']['parliament_imported']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N files")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap peak (slower)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.limit, args.tracemalloc)))
        return 0
    if not corpus_files(args.corpus, args.limit):
        raise SystemExit(f"no policy documents in {args.corpus}")
    report = {mode: run_child(mode, args) for mode in MODES}
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
