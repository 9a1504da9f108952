#!/usr/bin/env python3
"""Benchmark: start-up, against what no run can avoid: the interpreter and the libraries a lint imports.

    python benchmarks/bench_start.py [--repeat 10]

Rows, each a fresh process (benchmarks/measure.py: best wall time of --repeat runs, its CPU time, peak memory):
the interpreter alone (`python -c pass`); the interpreter importing the libraries a lint of a templated stack
needs (typer for the command line, PyYAML, Jinja2 for the templates, regex for the schemas' ECMA-262
patterns); `mplint --version`; the valid ModelPackage fixture cold (`--no-cache`) and warm (its results cache
filled by a first run). The ratios are mplint's wall time over the libraries' own import time: what mplint adds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from measure import HEADER, load, run

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "fixtures" / "valid" / "model-package-stack"
LIBRARIES = "import typer, yaml, jinja2, regex"


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


if __name__ == "__main__":
    main()
