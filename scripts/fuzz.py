"""The long fuzz run: the property of tests/test_fuzz.py with many more examples, as a script.

    python scripts/fuzz.py [--examples N] [--kinds manifest,query,policy,config] [--seed S]

Each example mutates a real manifest, query file, policy or configuration (fixtures/ and ../shared/corpus/) and
lints it in-process beside an untouched stack; a failure is an exception other than a one-line configuration
error, a check that crashed, a run over the guard's time, or a lost finding of the untouched stack. Prints the
examples run and the failures found per kind (hypothesis shrinks each failure to a small input); exits 1 when
there is one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings

from tests.test_fuzz import SEEDS, UNTOUCHED, check_example, good_findings, lint, mutated


def run_kind(kind: str, examples: int, base: Path, baseline: set[tuple], at_seed: int) -> tuple[int, str | None]:
    """Examples run and the first failure (shrunk), if any."""
    count = 0

    @seed(at_seed)
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=mutated(kind))
    def check(data: bytes) -> None:
        nonlocal count
        count += 1
        root = Path(tempfile.mkdtemp(dir=base))
        try:
            check_example(kind, data, root, baseline)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    try:
        check()
    except Exception as exc:  # the property's failure, shrunk by hypothesis
        return count, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return count, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000, help="examples per kind (default 2000)")
    parser.add_argument("--kinds", default=",".join(sorted(SEEDS)), help="comma-separated kinds (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shutil.copytree(UNTOUCHED, base / "baseline" / "good")
        baseline = good_findings(lint([base / "baseline" / "good"], base / "baseline"))
        for kind in (k for k in args.kinds.split(",") if k):
            start = time.perf_counter()
            count, failure = run_kind(kind, args.examples, base, baseline, args.seed)
            seconds = time.perf_counter() - start
            print(f"{kind:9} {len(SEEDS[kind]):4} seeds {count:6} examples {seconds:7.1f} s  {failure or 'no failure'}")
            failed = failed or failure is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
