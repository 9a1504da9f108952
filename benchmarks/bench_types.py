"""Benchmark: the cost of the bundled data, against bundles that hold (almost) nothing.

    python benchmarks/bench_types.py [--repeat 10]

1. Every CloudFormation type against ModelPackage-only schemas (one archive of one member): `mplint --version`
   and the lint of one Cloud Control stack (fixtures/valid/model-package-stack), without the results cache.
2. The native `aws` provider catalog against an empty aws-native.zip (its meta only): the same two commands, for
   a stack that does not use the native data; then the native ModelPackage stack against the Cloud Control one,
   both with the full bundles (what using the native data costs).

Each in fresh processes, the two of a pair alternating; prints the best wall time of --repeat runs and the ratio.
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
FULL = ROOT / "mplint" / "data" / "schemas"
NATIVE = ROOT / "mplint" / "data" / "aws-native.zip"
KEEP = ("AWS--SageMaker.zip", "AWS--SageMaker--ModelPackage.json")  # the archive, the member
CLOUD_CONTROL_STACK = ROOT / "fixtures/valid/model-package-stack"
NATIVE_STACK = ROOT / "fixtures/valid/native-model-package"

RUN = """
import sys
from pathlib import Path
import mplint.catalog.native as native
import mplint.catalog.schemas as schemas
schemas.SchemaCatalog.__init__.__defaults__ = (Path(sys.argv[1]), schemas.TYPE_MAP_JSON)
native.NativeCatalog.__init__.__defaults__ = (Path(sys.argv[2]),)
sys.argv = ["mplint", *sys.argv[3:]]
from mplint.cli import main
main()
"""


def small_bundle(folder: Path) -> None:
    """A schemas folder of one archive holding the ModelPackage schema alone, with the same meta."""
    archive, member = KEEP
    folder.mkdir()
    with zipfile.ZipFile(FULL / archive) as full, zipfile.ZipFile(folder / archive, "w", zipfile.ZIP_DEFLATED) as small:
        small.writestr(full.getinfo(member), full.read(member))
    meta = FULL.with_name("schemas.meta.json")
    folder.with_name(meta.name).write_text(meta.read_text())


def size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*.zip"))


def empty_native(path: Path) -> None:
    """An aws-native.zip with the same meta and no service, and its sidecar."""
    with zipfile.ZipFile(NATIVE) as full, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as empty:
        empty.writestr(full.getinfo("_meta.json"), full.read("_meta.json"))
        empty.writestr("_index.json", "{}")
    sidecar = NATIVE.with_name("aws-native.meta.json")
    path.with_name(sidecar.name).write_text(sidecar.read_text())


def command(schemas: Path, args: list[str], native: Path = NATIVE) -> list[str]:
    return [sys.executable, "-c", RUN, str(schemas), str(native), *args]


def race(first: list[str], second: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time of each command, the runs alternating (a change in the machine's load touches both)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, cmd in enumerate((first, second)):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, empty = Path(tmp, "schemas"), Path(tmp, "aws-native.zip")
        small_bundle(small)
        empty_native(empty)
        print(f"schemas: full {size(FULL):,} bytes, ModelPackage-only {size(small):,} bytes")
        lint = ["lint", str(CLOUD_CONTROL_STACK), "--no-cache"]
        commands = (("mplint --version", ["--version"]), ("lint one stack", lint))
        for label, cli in commands:
            full, only = race(command(FULL, cli), command(small, cli), args.repeat)
            print(f"{label:>17}: full {full:.3f} s, ModelPackage-only {only:.3f} s, ratio {full / only:.2f}")
        print(f"native catalog: {NATIVE.stat().st_size:,} bytes, against an empty one")
        for label, cli in commands:
            full, none = race(command(FULL, cli), command(FULL, cli, empty), args.repeat)
            print(f"{label:>17}: with {full:.3f} s, empty {none:.3f} s, ratio {full / none:.2f}")
        native, cloud = race(
            command(FULL, ["lint", str(NATIVE_STACK), "--no-cache"]),
            command(FULL, ["lint", str(CLOUD_CONTROL_STACK), "--no-cache"]),
            args.repeat,
        )
        print(f"{'lint native stack':>17}: {native:.3f} s, Cloud Control {cloud:.3f} s, ratio {native / cloud:.2f}")


if __name__ == "__main__":
    main()
