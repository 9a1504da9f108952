"""Benchmark: every hostile case of tests/hostile.py as a `mplint` subprocess, with its wall and CPU time and
peak memory against the budget (10 s, 500 MB), and the growth of the inputs that once took minutes.

    python benchmarks/bench_hostile.py [--cases NAME,...] [--growth-only] [--no-growth]

Each case is linted beside the two known-bad stacks, as in the test; the peer of each run is the same
command on the good stacks alone, measured in the same run. Growth: a policy of N distinct statements
and a query file of N columns, for N = 1k, 10k, 100k (with the limits raised for the biggest, and parliament
without its time limit), the CPU time above that of one item divided by N, which stays flat when the work
is linear.

The budget is judged on CPU time (user + system), what the run costs on a free core: on a shared, loaded
machine the wall time adds the wait for one and is printed beside it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile import CASES, MB, VALID, columns, prepare, stack, statements

BUDGET_SECONDS = 10.0
BUDGET_MB = 500


def measure(args: list[str], cwd: Path) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak MiB of the child, exit code, and the last line of
    standard error. On a loaded machine the wall time is the CPU time plus the wait for a core."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "t = time.perf_counter() - t\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "cpu, peak = use.ru_utime + use.ru_stime, use.ru_maxrss / 1024\n"
        "err = (p.stderr.strip().splitlines() or [''])[-1]\n"
        "print(f'{t}\\t{cpu}\\t{peak}\\t{p.returncode}\\t{err}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "mplint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.rstrip("\n")
    seconds, cpu, peak, rc, err = out.split("\t", 4)
    return float(seconds), float(cpu), float(peak), int(rc), err


def run_cases(names: set[str] | None) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        peer_root = Path(tmp, "peer")
        peer_root.mkdir()
        peer = measure(prepare(peer_root), peer_root)
        print(f"peer (good stacks alone): {peer[0]:.2f} s wall, {peer[1]:.2f} s CPU, {peer[2]:.0f} MiB")
        print(f"{'case':32} {'wall s':>7} {'CPU s':>6} {'MiB':>6} {'exit':>4} {'CPU x peer':>10}  verdict")
        for case in CASES:
            if names and case.name not in names:
                continue
            if case.posix and sys.platform == "win32":
                continue
            root = Path(tmp, case.name)
            root.mkdir()
            args = prepare(root) + case.build(root)
            seconds, cpu, peak, rc, err = measure(args, root)
            good = cpu <= BUDGET_SECONDS and peak <= BUDGET_MB and "Traceback" not in err
            good = good and (rc == 2 if case.usage_error else rc == 1)
            ok = ok and good
            verdict = "ok" if good else f"OVER: {err[:60]}"
            print(f"{case.name:32} {seconds:7.2f} {cpu:6.2f} {peak:6.0f} {rc:4} {cpu / peer[1]:10.1f}  {verdict}")
    return ok


GROWTH = (1_000, 10_000, 100_000)


def run_growth() -> None:
    print("\ngrowth: CPU microseconds per item above the run of 1 item (flat when the work is linear)")
    print(f"{'input':24} {'N':>7} {'wall s':>7} {'CPU s':>6} {'MiB':>6} {'us/item':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for n in (1, *GROWTH):
            root = Path(tmp, f"policy-{n}")
            root.mkdir()
            (root / "policy.json").write_text(statements(n))
            row = measure(["lint", "policy.json", "--config", _raised(root), "-f", "json"], root)
            base = _growth_row("policy statements", n, row, base)
        base = None
        for n in (1, *GROWTH):
            root = Path(tmp, f"columns-{n}")
            root.mkdir()
            stack(root, query=columns(n)((VALID / "resources/churn_model_package.iql").read_text()))
            row = measure(["lint", "bad", "--config", _raised(root), "-f", "json"], root)
            base = _growth_row("query-file columns", n, row, base)


def _growth_row(name: str, n: int, row: tuple[float, float, float, int, str], base: float | None) -> float:
    seconds, cpu, peak, _, _ = row
    per_item = f"{(cpu - base) / n * 1e6:8.1f}" if base is not None else f"{'(base)':>8}"
    print(f"{name:24} {n:7} {seconds:7.2f} {cpu:6.2f} {peak:6.0f} {per_item}")
    return cpu if base is None else base


def _raised(root: Path) -> str:
    """Limits raised for the biggest inputs, and parliament given all the time it takes, so that the whole
    work is measured."""
    path = root / "limits.yaml"
    path.write_text(
        f"limits:\n  file-bytes: {40 * MB}\n  template-chars: {40 * MB}\n  nodes: 5000000\n"
        "  policy-statements: 1000000\n  policy-actions: 5000000\nparliament:\n  timeout: 600\n"
    )
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--growth-only", action="store_true")
    parser.add_argument("--no-growth", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.growth_only:
        ok = run_cases({n for n in args.cases.split(",") if n} or None)
    if not args.no_growth:
        run_growth()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
