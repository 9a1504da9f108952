"""Timing and memory of one command, for the benchmarks: each run in a fresh process, measured from outside.

For every run: the wall time, the CPU time of the process and every process it started (user + system, from
wait4 of the whole tree), the peak resident memory of its largest process (ru_maxrss, the usual figure) and
of all its processes at once (summed from /proc every few milliseconds, on Linux; a sampled lower bound).
A figure is the best of the runs: the least disturbed by whatever else the machine is doing.

mplint's modules are byte-compiled before the first run, as `pip install` leaves them: on a machine that sets
PYTHONDONTWRITEBYTECODE, an edited module would otherwise be compiled again in every run.
"""

from __future__ import annotations

import compileall
import functools
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measure:
    wall: float  # seconds
    cpu: float  # seconds, user + system, every process of the run
    peak: float  # MiB, the largest process
    peak_all: float | None  # MiB, every process at once (None: not on Linux)
    code: int

    def row(self) -> str:
        every = f"{self.peak_all:6.0f}" if self.peak_all is not None else "     -"
        return f"{self.wall:8.3f} {self.cpu:8.3f} {self.peak:6.0f} {every}"


HEADER = "  wall s    cpu s   MiB  MiB(all)"


@functools.cache
def _byte_compiled() -> None:
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "mplint", quiet=1)


def run(
    cmd: list[str],
    repeat: int = 3,
    cwd: Path | None = None,
    env: dict | None = None,
    before: Callable[[], None] | None = None,
) -> Measure:
    """The best of ``repeat`` runs of ``cmd``: the least wall time, with that run's CPU time and the highest peaks.
    ``before`` is called before each run (to put the files back as the run must find them)."""
    _byte_compiled()
    runs = []
    for _ in range(max(1, repeat)):
        if before is not None:
            before()
        runs.append(_once(cmd, cwd, env))
    return best(runs)


def run_interleaved(cmds: dict[str, list[str]], repeat: int = 3, cwd: Path | None = None) -> dict[str, Measure]:
    """Each command's best of ``repeat`` runs, the runs taken in turns (a, b, c, a, b, c, ...): when the
    machine's speed drifts, every command meets the same drift, and a ratio between them stays fair."""
    _byte_compiled()
    runs: dict[str, list[Measure]] = {label: [] for label in cmds}
    for _ in range(max(1, repeat)):
        for label, cmd in cmds.items():
            runs[label].append(_once(cmd, cwd, None))
    return {label: best(measured) for label, measured in runs.items()}


def best(runs: list[Measure]) -> Measure:
    """The run with the least wall time, with the highest peaks of them all."""
    least = min(runs, key=lambda m: m.wall)
    alls = [m.peak_all for m in runs if m.peak_all is not None]
    return Measure(least.wall, least.cpu, max(m.peak for m in runs), max(alls) if alls else None, least.code)


def _once(cmd: list[str], cwd: Path | None, env: dict | None) -> Measure:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Measure(wall, cpu, usage.ru_maxrss / 1024, sampler.peak_mib, proc.returncode)


class _TreeSampler(threading.Thread):
    """The summed resident memory of a process and its descendants, sampled until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.linux = Path("/proc/self/status").exists()
        self._done = threading.Event()

    @property
    def peak_mib(self) -> float | None:
        return self.peak / 1024 if self.linux else None

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while self.linux and not self._done.is_set():
            self.peak = max(self.peak, sum(_rss_kib(pid) for pid in _tree(self.pid)))
            self._done.wait(0.005)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def load() -> str:
    """The machine's load averages, printed beside the figures (a busy machine slows every wall time)."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"
