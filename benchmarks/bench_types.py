"""Benchmark: the cost of bundling every CloudFormation type, against a ModelPackage-only bundle.

    python benchmarks/bench_types.py [--repeat 10]

Builds a schemas.zip holding only AWS::SageMaker::ModelPackage (and the same
_meta.json) from the bundled one, then times, in fresh processes, `mplint
--version` and `mplint lint fixtures/valid` with each bundle, and prints the
best wall time of --repeat runs and the ratio full/ModelPackage-only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "mplint" / "data" / "schemas.zip"
KEEP = ("AWS--SageMaker--ModelPackage.json", "_meta.json")

RUN = """
import sys
from pathlib import Path
import mplint.catalog.schemas as schemas
schemas.SchemaCatalog.__init__.__defaults__ = (Path(sys.argv[1]), schemas.TYPE_MAP_JSON)
sys.argv = ["mplint", *sys.argv[2:]]
from mplint.cli import main
main()
"""


def small_bundle(path: Path) -> None:
    with zipfile.ZipFile(FULL) as full, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as small:
        for name in KEEP:
            small.writestr(full.getinfo(name), full.read(name))


def best(zip_path: Path, args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", RUN, str(zip_path), *args], stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp, "schemas.zip")
        small_bundle(small)
        print(f"bundles: full {FULL.stat().st_size:,} bytes, ModelPackage-only {small.stat().st_size:,} bytes")
        commands = (("mplint --version", ["--version"]), ("lint one stack", ["lint", str(ROOT / "fixtures/valid")]))
        for label, command in commands:
            full, only = best(FULL, command, args.repeat), best(small, command, args.repeat)
            print(f"{label:>17}: full {full:.3f} s, ModelPackage-only {only:.3f} s, ratio {full / only:.2f}")


if __name__ == "__main__":
    main()
