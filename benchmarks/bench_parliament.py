#!/usr/bin/env python3
"""Measure the IAM action catalog and the parliament adapter over the AWS managed policies corpus.

    .venv/bin/python benchmarks/bench_parliament.py [--corpus DIR] [--community] [--tracemalloc] [--json]

Reports, in one run:
1. actions used in the policies (Action and NotAction) that are unknown to mplint's bundled catalog
   vs unknown to parliament's own database (its iam_definition.json as shipped); a wildcard counts
   as known when it matches at least one action;
2. time and peak memory to analyse every document with plain `parliament.analyze_policy_string`
   vs `mplint.iam.parliament_adapter.analyze_policy`; each mode runs in a fresh child process, so
   peak RSS (from wait4) is per mode; `--tracemalloc` adds Python-heap peaks (slower run);
3. catalog file size and load time.

The corpus defaults to ../shared/corpus/iam/aws-managed/iamtrail/documents (1,643 files).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "iam" / "aws-managed" / "iamtrail" / "documents"


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("*.json"))


# -- 1. unknown actions -------------------------------------------------------------------------------------


def policy_actions(document: Any) -> list[str]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    out: list[str] = []
    for stmt in statements:
        for element in ("Action", "NotAction"):
            value = stmt.get(element, []) if isinstance(stmt, dict) else []
            out.extend(v for v in ([value] if isinstance(value, str) else value) if isinstance(v, str))
    return out


def parliament_action_names() -> dict[str, set[str]]:
    """prefix -> lower-case action names, from parliament's iam_definition.json as shipped (not imported)."""
    spec = importlib.util.find_spec("parliament")
    assert spec and spec.origin
    definition = json.loads((Path(spec.origin).parent / "iam_definition.json").read_text())
    names: dict[str, set[str]] = {}
    for entry in definition:
        names.setdefault(entry["prefix"], set()).update(p["privilege"].lower() for p in entry["privileges"])
    return names


def catalog_action_names() -> dict[str, set[str]]:
    from mplint.catalog.actions import get_catalog

    catalog = get_catalog()
    return {p: {a.lower() for a in catalog.service(p).actions} for p in catalog.prefixes}


def is_known(action: str, names: dict[str, set[str]]) -> bool:
    from mplint.catalog.actions import glob_to_regex, has_wildcard

    action = action.strip().lower()
    if action in ("*", "*:*"):
        return True
    prefix, sep, name = action.partition(":")
    if not sep:
        return False
    prefixes = [p for p in names if glob_to_regex(prefix).fullmatch(p)] if has_wildcard(prefix) else [prefix]
    if not has_wildcard(name):
        return any(name in names.get(p, ()) for p in prefixes)
    matcher = glob_to_regex(name)
    return any(matcher.fullmatch(n) for p in prefixes for n in names.get(p, ()))


def unknown_actions(files: list[Path]) -> dict[str, Any]:
    occurrences: Counter[str] = Counter()
    for path in files:
        occurrences.update(a.strip().lower() for a in policy_actions(json.loads(path.read_text())))
    sources = {"catalog": catalog_action_names(), "parliament": parliament_action_names()}
    report: dict[str, Any] = {"distinct_actions": len(occurrences), "occurrences": sum(occurrences.values())}
    unknown = {}
    for label, names in sources.items():
        unknown[label] = {a for a in occurrences if not is_known(a, names)}
        report[label] = {
            "unknown_distinct": len(unknown[label]),
            "unknown_occurrences": sum(occurrences[a] for a in unknown[label]),
        }
    report["unknown_to_catalog"] = sorted(unknown["catalog"])
    report["unknown_to_parliament_sample"] = sorted(unknown["parliament"])[:15]
    report["unknown_to_parliament_only"] = len(unknown["parliament"] - unknown["catalog"])
    both = unknown["parliament"] & unknown["catalog"]  # what the patched parliament still does not know
    report["unknown_to_both"] = {"distinct": len(both), "occurrences": sum(occurrences[a] for a in both)}
    return report


# -- 2. parliament, plain vs adapter (child processes) ---------------------------------------------------


def child(mode: str, corpus: Path, community: bool, trace: bool) -> dict[str, Any]:
    import tracemalloc

    from mplint.iam import parliament_adapter as adapter

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    parliament = adapter._import_parliament()
    if mode == "adapter":
        adapter.prepare()
    elif community:  # as parliament's cli does; without it enhance_finding rejects the community findings
        override = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"
        parliament.override_config(str(override))
    setup = time.perf_counter() - started
    files = corpus_files(corpus)
    counts: Counter[str] = Counter()
    crashes: dict[str, str] = {}
    skipped = 0
    slowest = (0.0, "")
    loop_started = time.perf_counter()
    for path in files:
        text = path.read_text()
        t0 = time.perf_counter()
        if mode == "plain":
            issues, ran, crash = run_plain(parliament, text, community)
        else:
            issues, ran, crash = run_adapter(adapter, text, path.name, community)
        skipped += not ran
        slowest = max(slowest, (time.perf_counter() - t0, path.name))
        counts.update(issues)
        if crash:
            crashes[path.name] = crash
    loop = time.perf_counter() - loop_started
    result = {
        "mode": mode,
        "files": len(files),
        "setup_s": round(setup, 3),
        "analyze_s": round(loop, 3),
        "slowest": [round(slowest[0], 3), slowest[1]],
        "crashes": crashes,
        "policy_checks_skipped": skipped,
        "issues": dict(sorted(counts.items())),
    }
    if trace:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    return result


def run_plain(parliament: Any, text: str, community: bool) -> tuple[list[str], bool, str | None]:
    from mplint.iam.parliament_adapter import _policy_checks_ran

    try:
        policy = parliament.analyze_policy_string(text, include_community_auditors=community)
    except Exception as exc:
        return [], False, f"{type(exc).__name__}: {exc}"[:200]
    return [parliament.enhance_finding(f).issue for f in policy.findings], _policy_checks_ran(policy), None


def run_adapter(adapter: Any, text: str, name: str, community: bool) -> tuple[list[str], bool, str | None]:
    result = adapter.analyze_policy(text, path=name, include_community_auditors=community)
    stopped = [n.message for n in result.notifications if "crashed" in n.message or "did not finish" in n.message]
    return [i.issue for i in result.issues], result.policy_checks_ran, "; ".join(stopped) or None


def run_child(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--corpus", str(args.corpus)]
    cmd += ["--community"] * args.community + ["--tracemalloc"] * args.tracemalloc
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{mode} child failed with {proc.returncode}")
    result = json.loads(out)
    result["process_wall_s"] = round(time.perf_counter() - started, 3)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: KiB
    return result


# -- 3. catalog -------------------------------------------------------------------------------------------


def catalog_numbers() -> dict[str, Any]:
    code = (
        "import time; t=time.perf_counter();"
        "from mplint.catalog.actions import ActionCatalog, DEFAULT_PATH; t1=time.perf_counter();"
        "c=ActionCatalog().load(); t2=time.perf_counter(); c.action('s3:GetObject'); t3=time.perf_counter();"
        "print(t1-t, t2-t1, t3-t2)"
    )
    runs = [
        [float(x) for x in subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, text=True).split()]
        for _ in range(5)
    ]
    from mplint.catalog.actions import DEFAULT_PATH, ActionCatalog

    catalog = ActionCatalog().load()
    gc.collect()
    best = min(runs, key=lambda r: r[1])
    return {
        "version": catalog.version.version,
        "updated_at": catalog.version.updated_at,
        "services": catalog.version.services,
        "actions": catalog.version.actions,
        "file_bytes": DEFAULT_PATH.stat().st_size,
        "import_ms": round(min(r[0] for r in runs) * 1e3, 1),
        "load_ms_min": round(best[1] * 1e3, 1),
        "load_ms_median": round(sorted(r[1] for r in runs)[len(runs) // 2] * 1e3, 1),
        "first_lookup_ms": round(best[2] * 1e3, 2),
    }


# -- main -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--community", action="store_true", help="also run parliament's community auditors")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap peak (slower)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", choices=["plain", "adapter"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.community, args.tracemalloc)))
        return 0
    files = corpus_files(args.corpus)
    if not files:
        raise SystemExit(f"no policy documents in {args.corpus}")
    report = {
        "corpus": {"dir": str(args.corpus), "files": len(files)},
        "unknown_actions": unknown_actions(files),
        "parliament": {mode: run_child(mode, args) for mode in ("plain", "adapter")},
        "catalog": catalog_numbers(),
    }
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


def render(report: dict[str, Any]) -> str:
    u = report["unknown_actions"]
    lines = [
        f"corpus: {report['corpus']['files']} documents, {u['distinct_actions']} distinct actions, "
        f"{u['occurrences']} occurrences",
        "unknown actions        distinct  occurrences",
    ]
    for label in ("catalog", "parliament"):
        lines.append(f"  {label:<20} {u[label]['unknown_distinct']:>8}  {u[label]['unknown_occurrences']:>11}")
    lines.append(f"  unknown to parliament only: {u['unknown_to_parliament_only']} distinct")
    both = u["unknown_to_both"]
    lines.append(f"  unknown to both: {both['distinct']} distinct, {both['occurrences']} occurrences")
    lines.append(f"  unknown to the catalog: {', '.join(u['unknown_to_catalog']) or '-'}")
    lines.append("parliament     setup_s  analyze_s  wall_s  peak_rss_mb  heap_mb  crashes  checks_skipped  slowest")
    for mode, r in report["parliament"].items():
        lines.append(
            f"  {mode:<12} {r['setup_s']:>7}  {r['analyze_s']:>9}  {r['process_wall_s']:>6}  {r['peak_rss_mb']:>11}"
            f"  {r.get('tracemalloc_peak_mb', '-'):>7}  {len(r['crashes']):>7}  {r['policy_checks_skipped']:>14}"
            f"  {r['slowest'][0]} {r['slowest'][1]}"
        )
        lines.extend(f"    crash: {name}: {why}" for name, why in r["crashes"].items())
    c = report["catalog"]
    lines.append(
        f"catalog {c['version']} ({c['updated_at']}): {c['services']} services, {c['actions']} actions, "
        f"{c['file_bytes']:,} bytes; import {c['import_ms']} ms, load {c['load_ms_min']} ms "
        f"(median {c['load_ms_median']}), first lookup {c['first_lookup_ms']} ms"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
