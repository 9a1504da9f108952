#!/usr/bin/env python3
"""Benchmark: many files at once, over one and two worker processes, cold and with a warm results cache.

    .venv/bin/python benchmarks/bench_scale.py [--policies DIR] [--stacks 300] [--repeat 3] [--only policies|monorepo]

1. The AWS managed policies (default ../shared/corpus/iam/aws-managed/iamtrail/documents, 1,643 files), parliament
   included, against parliament alone (`parliament.analyze_policy_string` on each file, in one process): mplint
   with `--jobs 1` and `--jobs 2` without the cache, then a warm run (the cache filled by a first run).
2. A generated monorepo of --stacks stacks: copies of the valid fixture stacks (model package, schema keywords,
   value checks, native IAM role, S3 bucket, security group, model package), each with its query files,
   under one configuration; `--jobs 1`, `--jobs 2`, warm.

Every command runs in a fresh process (benchmarks/measure.py): the best wall time of --repeat runs, CPU time of
all its processes, peak memory of the largest process and of all at once. The cold runs and the peer's are
taken in turns (peer, --jobs 1, --jobs 2, peer, ...), so that a drift in the machine's speed meets them all.
Each run's JSON report is compared with the `--jobs 1` one: a figure is printed only for output that is
byte-identical.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from measure import HEADER, Measure, load, run, run_interleaved

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"
VALID = ROOT / "fixtures" / "valid"
PEER = "parliament alone"
PARLIAMENT = """
import sys
from pathlib import Path
import parliament
for path in sorted(Path(sys.argv[1]).iterdir()):
    try:
        parliament.analyze_policy_string(path.read_text(), filepath=str(path))
    except Exception:
        pass
"""


def mplint(paths: list[Path], jobs: int, cache: Path | None, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "mplint", "lint", *map(str, paths), "--jobs", str(jobs), "--format", "json"]
    cmd += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return [*cmd, "-o", str(out)]


def row(label: str, measured: Measure, peer: Measure | None = None) -> str:
    ratio = f"   {peer.wall / measured.wall:5.2f}x faster, memory {measured.peak / peer.peak:4.2f}x" if peer else ""
    return f"{label:34}{measured.row()}   exit {measured.code}{ratio}"


def compare(tmp: Path, label: str, paths: list[Path], repeat: int, cwd: Path, peer: list[str] | None = None) -> None:
    """--jobs 1 and 2 cold (and the peer, when there is one), their runs taken in turns; then warm. Each
    report is checked against the --jobs 1 one."""
    reference = tmp / f"{label}-1.json"
    cmds = {"peer": peer} if peer else {}
    for jobs in (1, 2):
        cmds[f"mplint {label} --jobs {jobs}"] = mplint(paths, jobs, None, tmp / f"{label}-{jobs}.json")
    measured = run_interleaved(cmds, repeat, cwd=cwd)
    peered = measured.pop("peer", None)
    if peered is not None:
        print(row(PEER, peered), flush=True)
    for jobs, (name, result) in zip((1, 2), measured.items(), strict=True):
        same = (tmp / f"{label}-{jobs}.json").read_bytes() == reference.read_bytes()
        print(row(name, result, peered) + ("" if same else "   OUTPUT DIFFERS"))
    cache = tmp / f"{label}-cache"
    out = tmp / f"{label}-warm.json"
    run(mplint(paths, 2, cache, out), 1, cwd=cwd)  # fills the cache
    warm = run(mplint(paths, 2, cache, out), repeat, cwd=cwd)
    same = out.read_bytes() == reference.read_bytes()
    print(row(f"mplint {label} warm cache", warm, peered) + ("" if same else "   OUTPUT DIFFERS"), flush=True)


def policies(tmp: Path, corpus: Path, repeat: int) -> None:
    count = sum(1 for p in corpus.iterdir() if p.is_file())
    print(f"\n{count} policies ({corpus})\n{'':34}{HEADER}")
    paths = sorted(p for p in corpus.iterdir() if p.is_file())
    compare(tmp, "policies", paths, repeat, tmp, peer=[sys.executable, "-c", PARLIAMENT, str(corpus)])


def write_monorepo(folder: Path, count: int) -> int:
    """``count`` stacks copied round-robin from the valid fixtures; the number of files written."""
    stacks = sorted(p for p in VALID.iterdir() if (p / "stackql_manifest.yml").is_file())
    folder.mkdir(parents=True)
    (folder / ".mplint.yaml").write_text("fail-level: error\n")
    for index in range(count):
        source = stacks[index % len(stacks)]
        target = folder / f"team{index % 12:02d}" / f"{source.name}-{index:03d}"
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("expected.*"))
    return sum(1 for p in folder.rglob("*") if p.is_file())


def monorepo(tmp: Path, count: int, repeat: int) -> None:
    folder = tmp / "monorepo"
    files = write_monorepo(folder, count)
    print(f"\nmonorepo: {count} stacks, {files} files\n{'':34}{HEADER}")
    compare(tmp, "monorepo", [folder], repeat, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=Path, default=POLICIES)
    parser.add_argument("--stacks", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("policies", "monorepo"))
    args = parser.parse_args()
    print(f"{load()}; usable cores {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.only != "monorepo":
            policies(tmp, args.policies, args.repeat)
        if args.only != "policies":
            monorepo(tmp, args.stacks, args.repeat)


if __name__ == "__main__":
    main()
