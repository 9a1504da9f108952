#!/usr/bin/env python3
"""Benchmark: start-up in instructions executed, counted by valgrind's callgrind: the same count for the same
code and inputs however busy the machine is, where wall time on a shared VM drifts by 20-50 % between runs.

    python benchmarks/bench_instructions.py [--base TREE]

Rows, each one process under `valgrind --tool=callgrind`: the interpreter alone, the interpreter importing the
libraries a lint of a templated stack needs (typer, PyYAML, Jinja2, regex: the peer, as in bench_start.py),
`mplint --version`, the valid ModelPackage fixture and the seed stack (findings, identity policies), both cold.
The ratio is a row's count over the libraries' import. With `--base TREE` (another checkout of mplint, say
`git worktree add /tmp/base main`), each mplint row runs with that tree's package too, and the change is
printed: a way to tell a 2 % start-up gain from noise in one run. Counts are not times: a cache miss costs
more than an instruction, so a change in memory traffic shows less here than on the clock.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LIBRARIES = "import typer, yaml, jinja2, regex"
COLLECTED = re.compile(r"Collected : (\d+)")


def count(cmd: list[str], tree: Path | None = None) -> int:
    """Instructions the command executes (every process it starts included)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--trace-children=yes", *cmd]
    # Not in the checkout: `python -m` puts the working folder first on the path, where this tree's package
    # would hide the --base one.
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    found = [int(n) for n in COLLECTED.findall(done.stderr)]
    if not found:
        raise SystemExit(f"valgrind counted nothing for {' '.join(cmd)}:\n{done.stderr[-2000:]}")
    return sum(found)


def compile_tree(tree: Path) -> None:
    """As `pip install` leaves a package: else, with PYTHONDONTWRITEBYTECODE set, every run compiles anew."""
    import compileall

    compileall.compile_dir(tree / "mplint", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, help="another checkout of mplint to compare each mplint row with")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.base is not None and not (args.base / "mplint" / "__init__.py").is_file():
        raise SystemExit(f"{args.base} holds no mplint package")
    for tree in (ROOT, args.base):
        if tree is not None:
            compile_tree(tree)
    python = [sys.executable]
    floor = count([*python, "-c", LIBRARIES])
    print(f"{'':44}{'instructions':>14}{'':14}")
    print(f"{'python -c pass':44}{count([*python, '-c', 'pass']):14,}")
    print(f"{'python -c ' + repr(LIBRARIES):44}{floor:14,}")
    mplint = [*python, "-m", "mplint"]
    rows = {
        "mplint --version": [*mplint, "--version"],
        "mplint lint <model package stack> (cold)": [
            *mplint, "lint", str(FIXTURES / "valid" / "model-package-stack"), "--no-cache",
        ],
        "mplint lint <seed stack> (cold)": [*mplint, "lint", str(FIXTURES / "seed"), "--no-cache"],
    }  # fmt: skip
    for label, cmd in rows.items():
        here = count(cmd, ROOT)
        line = f"{label:44}{here:14,}   {here / floor:4.2f}x the libraries' import"
        if args.base is not None:
            base = count(cmd, args.base)
            line += f"   base {base:,}: {100 * (here - base) / base:+.1f} %"
        print(line)


if __name__ == "__main__":
    main()
