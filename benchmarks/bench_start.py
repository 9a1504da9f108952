#!/usr/bin/env python3
"""Benchmark: start-up, against what no run can avoid: the interpreter and the libraries a lint imports.

    python benchmarks/bench_start.py [--repeat 10]

Rows, each a fresh process (benchmarks/measure.py: best wall time of --repeat runs, its CPU time, peak memory):
the interpreter alone (`python -c pass`); the interpreter importing the libraries a lint of a templated stack
needs (typer for the command line, PyYAML, Jinja2 for the templates, regex for the schemas' ECMA-262
patterns); `mplint --version`; the valid ModelPackage fixture cold (`--no-cache`) and warm (its results cache
filled by a first run). The ratios are mplint's wall time over the libraries' own import time: what mplint adds.

Then one IAM policy (fixtures/policy/grants/good.json), against parliament alone on it
(`parliament.analyze_policy_string`): mplint cold (`--no-cache`), and with its results cache holding
parliament's prepared database but not the policy's result (what a pre-commit run meets after an edit).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from measure import HEADER, load, run

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "fixtures" / "valid" / "model-package-stack"
POLICY = ROOT / "fixtures" / "policy" / "grants" / "good.json"
LIBRARIES = "import typer, yaml, jinja2, regex"
PARLIAMENT = "import sys, parliament; parliament.analyze_policy_string(open(sys.argv[1]).read(), filepath=sys.argv[1])"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(f"{load()}\n{'':44}{HEADER}")
    python = run([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'python -c pass':44}{python.row()}")
    floor = run([sys.executable, "-c", LIBRARIES], args.repeat)
    print(f"{'python -c ' + repr(LIBRARIES):44}{floor.row()}")
    mplint = [sys.executable, "-m", "mplint"]
    with tempfile.TemporaryDirectory() as cache:
        rows = {
            "mplint --version": [*mplint, "--version"],
            "mplint lint <model package stack> (cold)": [*mplint, "lint", str(STACK), "--no-cache"],
            "mplint lint <model package stack> (warm)": [*mplint, "lint", str(STACK), "--cache-dir", cache],
        }
        run(rows["mplint lint <model package stack> (warm)"], 1)  # fills the cache
        for label, cmd in rows.items():
            measured = run(cmd, args.repeat)
            print(f"{label:44}{measured.row()}   {measured.wall / floor.wall:4.2f}x the libraries' import")
    policy(mplint, args.repeat)


def policy(mplint: list[str], repeat: int) -> None:
    peer = run([sys.executable, "-c", PARLIAMENT, str(POLICY)], repeat)
    print(f"\n{'parliament alone <policy>':44}{peer.row()}")
    with tempfile.TemporaryDirectory() as cache:
        kept = [*mplint, "lint", str(POLICY), "--cache-dir", cache]
        run(kept, 1)  # keeps parliament's database, and the policy's result

        def drop_results() -> None:
            for entry in Path(cache).glob("*/*.json"):
                if not entry.name.startswith("parliament-"):
                    entry.unlink()

        rows = {
            "mplint lint <policy> (cold)": (run([*mplint, "lint", str(POLICY), "--no-cache"], repeat)),
            "mplint lint <policy> (database kept)": run(kept, repeat, before=drop_results),
        }
    for label, measured in rows.items():
        print(f"{label:44}{measured.row()}   {peer.wall / measured.wall:4.2f}x faster than parliament")


if __name__ == "__main__":
    main()
