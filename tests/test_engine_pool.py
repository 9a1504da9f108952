"""The engine's pool of findings: de-duplicated, and at most findings-per-rule kept per file and rule, the same
ones as sorting every finding would keep, in any emission order."""

from __future__ import annotations

import random

import pytest

from mplint.engine import Pool
from mplint.findings import Finding, Span


def _finding(rng: random.Random) -> Finding:
    path = rng.choice(["a.yml", "b.iql"])
    line = rng.randint(1, 40)
    return Finding(rng.choice(["MPL201", "MPL202", "MPL999"]), f"m{rng.randint(0, 2)}", Span(path, line, 1, line, 5))


def _by_sorting(findings: list[Finding], cap: int, enabled: set[str]) -> tuple[list[Finding], dict]:
    """What the engine kept before the pool: sort all, drop repeats, count each (path, rule), keep cap."""
    seen: set[tuple] = set()
    counts: dict[tuple[str, str], int] = {}
    kept = []
    for finding in sorted(findings, key=Finding.sort_key):
        key = (finding.rule_id, finding.span, finding.message)
        if finding.rule_id not in enabled or key in seen:
            continue
        seen.add(key)
        group = (finding.span.path, finding.rule_id)
        counts[group] = counts.get(group, 0) + 1
        if counts[group] <= cap:
            kept.append(finding)
    return kept, counts


@pytest.mark.parametrize("seed", range(20))
def test_the_pool_keeps_what_sorting_everything_would(seed: int) -> None:
    rng = random.Random(seed)
    findings = [_finding(rng) for _ in range(rng.randint(0, 400))]
    cap = rng.randint(1, 30)
    enabled = {"MPL201", "MPL202"}
    pool = Pool(cap, enabled)
    for finding in findings:
        pool.add(finding)
    kept, counts = _by_sorting(findings, cap, enabled)
    assert pool.findings() == kept
    assert pool.counts() == counts


def test_the_pool_holds_cap_findings_of_a_file_however_many_come() -> None:
    pool = Pool(10, {"MPL201"})
    for line in range(100_000, 0, -1):  # last first: every new one displaces a kept one
        pool.add(Finding("MPL201", "unknown property", Span("q.iql", line, 1, line, 4)))
    assert sum(len(heap) for heap in pool.kept.values()) == 10
    assert [f.span.line for f in pool.findings()] == list(range(1, 11))
    assert pool.counts() == {("q.iql", "MPL201"): 100_000}
