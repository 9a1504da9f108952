#!/usr/bin/env python3
"""Benchmark: mplint's YAML loading against PyYAML's own C-backed readers of the same manifest.

    python benchmarks/bench_yaml.py [--resources 1000] [--repeat 5]

The manifest is bench_lint.py's stack of N model packages. Each reader runs in this process, the garbage
collector paused for all of them as mplint's loader pauses it, and the best wall time of --repeat runs is shown:

1. `events`: libyaml's parser through PyYAML's CParser, each event taken and dropped: what any reader built on
   PyYAML's C binding pays before it builds anything. mplint's loader is built on these events.
2. `nodes`: CSafeLoader.get_single_node, the composition into PyYAML's nodes done in C (no positions kept per
   node beyond PyYAML's marks, no limits, no duplicate keys).
3. `safe_load`: yaml.load with CSafeLoader, plain Python data with no positions: what stackql-deploy reads.
4. `mplint`: mplint.source.load_yaml, the position-aware tree with the limits and duplicate keys.

Printed: seconds, microseconds per node, and each reader's time as a multiple of `events`.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from bench_lint import write_stack

from mplint.source import SourceFile, load_yaml


def events(text: str) -> None:
    parser = yaml.CSafeLoader(text)
    get = parser.get_event
    while get() is not None:
        pass
    parser.dispose()


def nodes(text: str) -> None:
    loader = yaml.CSafeLoader(text)
    loader.get_single_node()
    loader.dispose()


def safe_load(text: str) -> None:
    yaml.load(text, Loader=yaml.CSafeLoader)


def mplint(text: str) -> None:
    load_yaml(SourceFile(Path("stackql_manifest.yml"), "stackql_manifest.yml", text))


READERS: dict[str, Callable[[str], None]] = {"events": events, "nodes": nodes, "safe_load": safe_load, "mplint": mplint}


def best(read: Callable[[str], None], text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        read(text)
        times.append(time.perf_counter() - start)
        gc.enable()
    return min(times)


def count_nodes(text: str) -> int:
    loader = yaml.CSafeLoader(text)
    kinds = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
    total = 0
    while (event := loader.get_event()) is not None:
        total += isinstance(event, kinds)
    loader.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_stack(Path(tmp) / "stack", args.resources)
        text = (Path(tmp) / "stack" / "stackql_manifest.yml").read_text()
    total = count_nodes(text)
    print(f"manifest of {args.resources:,} resources: {len(text):,} characters, {total:,} nodes")
    print(f"{'reader':12}{'wall s':>10}{'us/node':>10}{'x events':>10}")
    floor = None
    for name, read in READERS.items():
        seconds = best(read, text, args.repeat)
        floor = floor or seconds
        print(f"{name:12}{seconds:10.3f}{seconds * 1e6 / total:10.2f}{seconds / floor:10.2f}")


if __name__ == "__main__":
    main()
