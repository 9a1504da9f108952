"""Lint a part's files in chunks: in worker processes (`--jobs`), or one chunk after another in this process,
with each unit's results taken from the cache when nothing it depends on has changed.

A *unit* is a stack (its manifest with its query files) or a file named on the command line (a policy).
Chunks of units are linted by the same engine, each with the deploying identities' policies loaded beside
its stacks; a chunk's trees are dropped once its findings are made, only the findings and the texts they
point into are kept. What belongs to no unit (the identities' own files, what is about the configuration)
is reported by one more run, the *carrier*, after the chunks (`mplint.share`). The merged result is the
one a single run over all the files gives, byte for byte.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field
from msgspec.structs import replace

from mplint.files import RealPaths
from mplint.findings import Finding, Notification
from mplint.hooks import may_apply
from mplint.share import Share, StackActions
from mplint.source import Buffers, LoadProblem, SourceFile, trees_kept

if TYPE_CHECKING:
    from mplint.app import LintOptions
    from mplint.cache import Store
    from mplint.config import Config
    from mplint.project import Project
    from mplint.registry import Rule, Selection
    from mplint.suppress import Suppressions

    Setup = tuple[dict[str, Rule], Selection, Suppressions]

CHUNK_UNITS = 64  # units per chunk at most: bounds the trees alive at once in each process
CHUNK_BYTES = 4 * 1024 * 1024
MIN_POOL_BYTES = 256 * 1024  # smaller runs are linted in this process: starting workers costs more
START_METHOD: str | None = None  # None: fork where there is one (workers start with mplint imported), else spawn


class Unit(Struct):
    """A stack or a file named on the command line, with the files of the run's list that fall to it."""

    key: Path  # the resolved manifest (a stack) or file
    files: list[Path]  # as discovered, in order
    kind: str  # manifest | query | policy | other (of the first file)
    size: int = 0  # bytes of its files, to balance the chunks


class Dependency(Struct):
    """A file a unit's findings depend on: its digest as linted, None when it did not exist."""

    path: str  # resolved
    display: str
    digest: str | None


class UnitResult(Struct):
    """What one unit's lint produced: everything a report and the cache need, without any tree."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)  # every file it read (their texts, no tree)
    linted: int = 0  # stacks and policy files linted
    reported: bool = False  # a load problem other than a skipped file
    actions: StackActions | None = None  # what the stack needs, when the part's identities are judged
    deps: list[Dependency] | None = None  # None: not to be cached


class Chunk(Struct):
    """One engine run over some units (picklable: it goes to a worker process)."""

    options: LintOptions
    config: Config
    base: Path
    units: list[Unit]
    carried: list[Path] = field(default_factory=list)  # the identities' own files named on the command line
    problems: list[LoadProblem] = field(default_factory=list)
    carries: bool = False  # the carrier: reports the identities' files and the configuration's findings
    needs: StackActions | None = None  # the part's stacks' needs, for the carrier
    want_actions: bool = False  # report each stack's needs (the carrier judges identity policies by them)
    buffers: Buffers | None = None


def resolved_path(path: Path) -> Path:
    """The path with its links followed; as it is (absolute) when they loop or cannot be read (the file's load
    problem, MPL009, says so)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def plan_units(files: list[Path], buffers: Buffers | None, carried: set[Path]) -> tuple[list[Unit], list[Path]]:
    """The units of a part's files, in file order, and the files that go to the carrier (the identities'
    own files named on the command line)."""
    from mplint.discovery import classify, manifest_of

    units: dict[Path, Unit] = {}
    to_carrier: list[Path] = []
    real = RealPaths(resolved_path)
    for path in files:
        kind = classify(path, buffers)
        resolved = real(path)
        key = resolved
        if kind == "query":
            manifest = manifest_of(path, buffers)
            key = real(manifest) if manifest is not None else resolved
        elif resolved in carried:
            to_carrier.append(path)
            continue
        unit = units.get(key)
        if unit is None:
            unit = units[key] = Unit(key, [], kind)
        unit.files.append(path)
        unit.size += _size(path, buffers)
    return list(units.values()), to_carrier


def _size(path: Path, buffers: Buffers | None) -> int:
    text = buffers.get(path) if buffers is not None else None
    if text is not None:
        return len(text)
    try:
        return path.stat().st_size
    except OSError:
        return 0


def chunked(units: list[Unit], pieces: int) -> list[list[Unit]]:
    """Consecutive runs of units, about ``pieces`` of them, none over the chunk limits."""
    total = sum(max(unit.size, 1) for unit in units)
    target = min(CHUNK_BYTES, max(1, -(-total // max(pieces, 1))))
    out: list[list[Unit]] = []
    current: list[Unit] = []
    size = 0
    for unit in units:
        if current and (size + unit.size > target or len(current) >= CHUNK_UNITS):
            out.append(current)
            current, size = [], 0
        current.append(unit)
        size += max(unit.size, 1)
    if current:
        out.append(current)
    return out


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------------------
# One chunk


def lint_chunk(chunk: Chunk, setup: Setup | None = None) -> list[UnitResult]:
    """Lint a chunk; one result per unit, in order, then the carrier's own when the chunk carries."""
    from mplint.context import Context
    from mplint.engine import run
    from mplint.limits import applied
    from mplint.project import load_files

    rules, selection, suppressions = setup or _worker_setup(chunk)
    files = [path for unit in chunk.units for path in unit.files] + chunk.carried
    with applied(chunk.config.limits), trees_kept(unfreeze=not _inherited_frozen):
        project = load_files(files, chunk.config, chunk.base, chunk.problems, chunk.buffers)
        owners = _owners(project, chunk.units)
        share = Share(frozenset(owners), chunk.carries, chunk.needs)
        engine = chunk.options.engine or chunk.config.engine
        ctx = Context(project, chunk.options.envs, engine, rules, suppressions, selection, share=share)
        result = run(ctx, rules, chunk.options.skip_checks)
    out = [UnitResult() for _ in chunk.units]
    carrier = UnitResult()
    pick = _picker(owners, out, carrier)
    for finding in result.findings:
        pick(finding.span.path).findings.append(finding)
    for finding, reason in result.suppressed:
        pick(finding.span.path).suppressed.append((finding, reason))
    for note in result.notifications:
        for target in _notified(note, owners, out, carrier):
            target.notifications.append(note)
    _describe(project, ctx, chunk, owners, out, carrier, pick)
    return [*out, carrier] if chunk.carries else out


_SETUPS: dict[tuple, Setup] = {}  # in a worker process: each part's rules, selection and suppressions, once


def _worker_setup(chunk: Chunk) -> Setup:
    from mplint.app import part_setup

    key = (chunk.config.path, chunk.config.rules_dirs)
    if key not in _SETUPS:
        _SETUPS[key] = part_setup(chunk.options, chunk.config, chunk.base)
    return _SETUPS[key]


def _owners(project: Project, units: list[Unit]) -> dict[str, int]:
    """Display path -> index of the unit that reports on it: each unit's files and its stack's query files."""
    owners: dict[str, int] = {}
    index = {unit.key: i for i, unit in enumerate(units)}
    for i, unit in enumerate(units):
        for path in unit.files:
            owners[project.display(path)] = i
    for stack in project.stacks:
        i = index.get(resolved_path(stack.doc.source.path))
        if i is None:
            continue
        owners[stack.path] = i
        for path in stack.query_paths.values():
            owners.setdefault(project.display(path), i)
    return owners


def _picker(owners: dict[str, int], out: list[UnitResult], carrier: UnitResult):
    def pick(path: str) -> UnitResult:
        i = owners.get(path)
        return carrier if i is None else out[i]

    return pick


def _notified(note: Notification, owners: dict[str, int], out: list[UnitResult], carrier: UnitResult):
    """A notification at a file goes with its unit; one at no file with every unit (it is said once)."""
    if note.span is not None:
        i = owners.get(note.span.path)
        return [carrier if i is None else out[i]]
    return [*out, carrier]


def _describe(
    project: Project, ctx, chunk: Chunk, owners: dict[str, int], out: list[UnitResult], carrier: UnitResult, pick
) -> None:
    """What each unit read (the texts, for the reports), linted and needs, and its dependencies (when the
    results are cached)."""
    for display, source in project.sources.items():
        pick(display).sources[display] = SourceFile(source.path, display, source.text)
    reported = {p.span.path for p in project.problems if p.rule_id != "MPL006"}
    for display in reported:
        pick(display).reported = True
    stacks_by_unit: dict[int, list] = {}
    for stack in project.stacks:
        i = owners.get(stack.path)
        if i is not None:
            stacks_by_unit.setdefault(i, []).append(stack)
            out[i].linted += 1
    for policy in project.policies:
        if ctx.share.reports(policy.name):
            pick(policy.name).linted += 1
    for i, unit in enumerate(chunk.units):
        stacks = stacks_by_unit.get(i, [])
        if chunk.want_actions:
            out[i].actions = _actions(ctx, stacks) if stacks else StackActions(None)
        if chunk.options.cache:
            out[i].deps = _dependencies(project, unit, stacks)


def _actions(ctx, stacks: list) -> StackActions:
    saved = ctx.project.stacks
    ctx.project.stacks = stacks
    try:
        return ctx.stack_actions_summary()
    finally:
        ctx.project.stacks = saved


def _dependencies(project: Project, unit: Unit, stacks: list) -> list[Dependency] | None:
    """The files the unit's findings depend on, as read; None when the unit must not be cached (a file that
    could not be read, a file skipped for where it is rather than for what it holds)."""
    from mplint.cache import digest

    if unit.kind == "other" or (unit.kind == "query" and not stacks):
        return None
    paths = [*unit.files]
    for stack in stacks:
        paths += [Path(stack.doc.source.path), *stack.query_paths.values()]
    deps: dict[str, Dependency] = {}
    for path in paths:
        resolved = str(resolved_path(path))
        if resolved in deps:
            continue
        display = project.display(path)
        source = project.sources.get(display)
        if source is not None:
            deps[resolved] = Dependency(resolved, display, digest(source.text))
        elif path in unit.files or project.buffers.is_file(path):
            return None  # named or there, yet not read: an error that depends on more than the text
        else:
            deps[resolved] = Dependency(resolved, display, None)
    return list(deps.values())


# ---------------------------------------------------------------------------
# Many chunks


def run_chunks(chunks: list[Chunk], jobs: int, setups: list[Setup]) -> Iterator[list[UnitResult]]:
    """Each chunk's results, in order: in worker processes when there is enough work for them, else here
    (with each part's ``setups``, made already)."""
    if jobs <= 1 or len(chunks) <= 1 or sum(u.size for c in chunks for u in c.units) < MIN_POOL_BYTES:
        for chunk, setup in zip(chunks, setups, strict=True):
            yield lint_chunk(chunk, setup)
        return
    yield from _pooled(chunks, jobs, setups)


def _pooled(chunks: list[Chunk], jobs: int, setups: list[Setup]) -> Iterator[list[UnitResult]]:
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = START_METHOD or ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    context = multiprocessing.get_context(method)
    if method == "fork":
        _preload(chunks, setups)
        gc.freeze()  # what the workers inherit stays shared: their collector never touches (and copies) it
    try:
        forked = (method == "fork",)
        pool = ProcessPoolExecutor(min(jobs, len(chunks)), context, initializer=_worker_start, initargs=forked)
        with pool:
            yield from pool.map(lint_chunk, chunks)
    finally:
        gc.unfreeze()


def _preload(chunks: list[Chunk], setups: list[Setup]) -> None:
    """Before forking: what every worker would otherwise load for itself, once (the parts' setups, the
    selected check modules, and parliament with the action catalog when there are policies). A failure
    here is left for each worker to meet and report as it would."""
    import importlib

    modules: set[str] = set()
    for chunk, (rules, selection, suppressions) in zip(chunks, setups, strict=True):
        _SETUPS.setdefault((chunk.config.path, chunk.config.rules_dirs), (rules, selection, suppressions))
        modules.update(name for rid in selection.enabled if rid in rules for name in rules[rid].checks)
    stacks = any(u.kind != "policy" for c in chunks for u in c.units)
    policies = stacks or any(u.kind == "policy" for c in chunks for u in c.units)  # a stack may hold policies
    for name in sorted(n for n in modules if may_apply(n, stacks, policies)):
        try:
            importlib.import_module(name)
        except Exception:
            continue
    if "mplint.checks.parliament" in modules and any(u.kind == "policy" for c in chunks for u in c.units):
        from mplint.catalog.actions import get_catalog
        from mplint.iam import parliament_adapter

        with contextlib.suppress(Exception):
            parliament_adapter.prepare()
            get_catalog()  # loaded by the preparation unless it was kept in the cache


_inherited_frozen = False  # in a worker forked after `gc.freeze()`: what it inherited must stay frozen


def _worker_start(forked: bool) -> None:
    import gc

    global _inherited_frozen
    _inherited_frozen = forked
    gc.set_threshold(100_000, 50, 100)  # as the command line: many small, acyclic objects


def merged(results: Iterable[UnitResult]) -> UnitResult:
    """The units' results as one, as one run over all their files makes it: each finding and notification
    once, in the engine's order."""
    from mplint.engine import ordered_notifications

    out = UnitResult()
    seen: set[tuple] = set()
    notes: list[Notification] = []

    def first(finding: Finding) -> bool:
        key = (finding.rule_id, finding.span, finding.message)
        if key in seen:
            return False
        seen.add(key)
        return True

    for result in results:
        out.findings += [f for f in result.findings if first(f)]
        out.suppressed += [(f, reason) for f, reason in result.suppressed if first(f)]
        notes += result.notifications
        out.sources.update(result.sources)
        out.linted += result.linted
        out.reported = out.reported or result.reported
    out.findings.sort(key=Finding.sort_key)
    out.suppressed.sort(key=lambda item: item[0].sort_key())
    out.notifications = ordered_notifications(notes)
    return out


# ---------------------------------------------------------------------------
# A run's parts


class _PartPlan(Struct):
    """One part of a run in chunks: its configuration, setup, units, cache store and each unit's result."""

    config: Config
    setup: Setup
    units: list[Unit]
    to_carrier: list[Path]
    want_actions: bool
    store: Store | None
    results: list[UnitResult | None]  # one per unit: from the cache, or once its chunk is linted


def lint_parts(
    options: LintOptions,
    plan: list[tuple[Config, list[Path]]],
    base: Path,
    problems: list[LoadProblem],
    buffers: Buffers | None,
) -> list:
    """Lint each part of the plan in chunks (`LintOptions.jobs`); the parts as `mplint.app` reports them."""
    from mplint.app import part_setup
    from mplint.cache import identity_files

    jobs = max(1, options.jobs or 1)
    parts: list[_PartPlan] = []
    for config, files in plan:
        setup = part_setup(options, config, base)
        carried = {resolved_path(path) for path in identity_files(config)}
        units, to_carrier = plan_units(files, buffers, carried)
        want = bool(carried) and "MPL424" in setup[1].enabled and any(u.kind in ("manifest", "query") for u in units)
        store = _store(options, config, base, setup, buffers)
        results: list[UnitResult | None] = [None] * len(units)
        if store is not None:
            for i, unit in enumerate(units):
                hit = store.get(str(unit.key))
                if hit is not None and (not want or hit.actions is not None):
                    results[i] = hit
        parts.append(_PartPlan(config, setup, units, to_carrier, want, store, results))
    _lint_missing(options, base, buffers, parts, jobs)
    return [_finish(options, base, problems if i == 0 else [], buffers, part) for i, part in enumerate(parts)]


def _store(options: LintOptions, config: Config, base: Path, setup: Setup, buffers: Buffers | None) -> Store | None:
    if not options.cache or (buffers is not None and len(buffers)):
        return None
    import datetime

    from mplint.cache import FOLDER, Store, part_key

    folder = options.cache_dir or (config.folder or Path.cwd()) / FOLDER
    return Store.open(folder, part_key(options, config, base, setup[2], datetime.date.today()))


def _lint_missing(options: LintOptions, base: Path, buffers: Buffers | None, parts: list[_PartPlan], jobs: int) -> None:
    """Lint, in chunks, every unit the cache did not have; keep their results in the cache."""
    options = replace(options, paths=[])  # a chunk names its own files; the run's paths were pickled into each
    chunks: list[Chunk] = []
    where: list[tuple[_PartPlan, list[int]]] = []
    for part in parts:
        missing = [i for i, result in enumerate(part.results) if result is None]
        if not missing:
            continue
        pieces = jobs * 4 if jobs > 1 else 1
        index = iter(missing)
        for group in chunked([part.units[i] for i in missing], pieces):
            chunks.append(Chunk(options, part.config, base, group, want_actions=part.want_actions, buffers=buffers))
            where.append((part, [next(index) for _ in group]))
    setups = [part.setup for part, _ in where]
    if where:
        from mplint.iam import parliament_db

        parliament_db.keep_in(next((part.store for part, _ in where if part.store is not None), None))
    for (part, indexes), results in zip(where, run_chunks(chunks, jobs, setups), strict=True):
        for i, result in zip(indexes, results, strict=True):
            part.results[i] = result
            if part.store is not None:
                part.store.put(str(part.units[i].key), result)


def _finish(options: LintOptions, base: Path, problems: list[LoadProblem], buffers: Buffers | None, part: _PartPlan):
    """The carrier's run, then the part's results merged."""
    from mplint.app import Part, part_broken, part_failed
    from mplint.engine import Result

    results = [r for r in part.results if r is not None]
    needs = StackActions.union([r.actions for r in results if r.actions is not None]) if part.want_actions else None
    extra = _carrier_extra(part, problems, needs)
    carrier = part.store.get("carrier", extra) if part.store is not None else None
    if carrier is None:
        chunk = Chunk(options, part.config, base, [], part.to_carrier, problems, True, needs, buffers=buffers)
        carrier = lint_chunk(chunk, part.setup)[-1]
        carrier.deps = []  # what it depends on is in the part's key and in `extra`
        if part.store is not None:
            part.store.put("carrier", carrier, extra)
    whole = merged([*results, carrier])
    rules = part.setup[0]
    result = Result(whole.findings, whole.suppressed, whole.notifications, rules)
    failed = part_failed(options, part.config, result)
    broken = part_broken(options, part.config, result)
    return Part(part.config, rules, result, failed, base, whole.sources, whole.linted, whole.reported, broken)


def _carrier_extra(part: _PartPlan, problems: list[LoadProblem], needs: StackActions | None) -> str:
    from mplint.cache import file_digest

    rows = [repr(problems), repr(None if needs is None else (sorted(needs.actions or ()), needs.error))]
    rows += [f"{resolved_path(path)} {file_digest(path, str(path))}" for path in part.to_carrier]
    return "\n".join(rows)
