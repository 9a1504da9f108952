"""One lint run, from options to findings: what `lint`, `permissions`, `rules test`, the benchmarks and the
tests all go through — options → configuration → registry → project → engine.

Each stack and policy file is linted with the nearest configuration above it (`.mplint.yaml`, or
`pyproject.toml` with `[tool.mplint]`, up to the repository root), whatever folder mplint runs from;
`--config` names one for all. Files that share a configuration are one *part* of the run, with its own
rules, levels and suppressions; the parts' findings are merged into one result.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field, structs

from mplint.config import (
    COMMANDS,
    Config,
    ConfigError,
    Written,
    check_account,
    config_below,
    find_config,
    load_config,
)  # fmt: skip
from mplint.discovery import MANIFEST_NAMES, discover, display_path
from mplint.engine import Result, fails, run
from mplint.findings import Level
from mplint.limits import applied
from mplint.registry import Rule, Selection, UnknownId, load_all_rules, select
from mplint.source import Buffers, LoadProblem, SourceFile
from mplint.suppress import Suppressions, load_suppressions

if TYPE_CHECKING:
    from mplint.context import Context
    from mplint.project import Project


class UsageError(Exception):
    """A problem with what was asked (an unknown id, nothing to lint): one line, exit 2."""


class LintOptions(Struct):
    """What a lint run is asked for: the paths and the options of the command line (or the server)."""

    paths: list[Path]
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    config: Path | None = None
    envs: tuple[str, ...] = ()
    fail_level: str | None = None  # error | warning | note | never
    base: Path | None = None  # paths are shown relative to it (default: the working folder)
    engine: int | None = None
    policies: list[Path] = field(default_factory=list)  # identity policies of the default identity
    boundary: Path | None = None
    scps: list[Path] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # build | test | teardown; default: all three
    account: str | None = None
    rules_dirs: list[Path] = field(default_factory=list)  # user rule folders, beside the config's `rules-dirs`
    only: tuple[str, ...] = ()  # restrict the run to these rule prefixes (`permissions`: MPL3)
    skip_checks: frozenset[str] = frozenset()  # check modules left out of the run (the server's fast pass)
    # None: one run in this process that keeps every file's tree (each part's `ctx`, for the server and
    # `permissions`); a number: the files in chunks over that many worker processes, trees dropped as they go
    jobs: int | None = None
    cache: bool = False  # with `jobs`: reuse the results of files that did not change (`mplint.cache`)
    cache_dir: Path | None = None  # default: `.mplint_cache` beside each configuration, else in the working folder


class Part(Struct, eq=False):
    """The files that share one configuration, linted together."""

    config: Config
    rules: dict[str, Rule]
    result: Result
    failed: bool
    base: Path
    sources: dict[str, SourceFile]  # every file read
    linted: int  # stacks and policy files
    reported: bool  # something was said about a path named (a load problem other than a skipped file)
    broken: bool = False  # a check failed on some file and --fail-level is not `never`
    ctx: Context | None = None  # the run's context, with every tree: kept when `jobs` is None only

    @property
    def project(self) -> Project:
        if self.ctx is None:
            raise AttributeError("a run in chunks (`jobs`) keeps no project")
        return self.ctx.project


class Outcome(Struct):
    """A whole run's result: its parts, their findings merged, whether it failed and at which level."""

    parts: list[Part]
    result: Result  # every part's findings, merged and ordered
    failed: bool
    fail_level: str = "warning"  # the command line's, else the first part's configuration's (for reports)

    @property
    def broken(self) -> bool:
        """A check failed (a tool notification) and the fail level is not `never`: the run is not clean."""
        return any(part.broken for part in self.parts)

    @property
    def exit_code(self) -> int:
        return 2 if self.broken else 1 if self.failed else 0

    @property
    def sources(self) -> dict[str, SourceFile]:
        return {path: src for part in self.parts for path, src in part.sources.items()}

    @property
    def policies(self) -> list:
        return [policy for part in self.parts if part.ctx for policy in part.project.policies]

    @property
    def stacks(self) -> list:
        return [stack for part in self.parts if part.ctx for stack in part.project.stacks]

    def render(self, fmt: str, options: dict) -> str:
        from mplint.report import get_reporter

        base = self.parts[0].base if self.parts else None
        sources = self.sources
        options = {"fail_level": self.fail_level, **options, "files": len(sources), "base": base}
        return get_reporter(fmt)(self.result, sources, options)


def lint_paths(options: LintOptions, buffers: Buffers | None = None) -> Outcome:
    """Lint the paths; files in ``buffers`` (unsaved editor texts, fixes not yet written) are read from there."""
    base = options.base or Path.cwd()
    if options.account:
        check_account(options.account)
    plan, problems = _plan(options, buffers)
    if not plan:  # only missing paths: their MPL001 findings under the default configuration
        plan = [(_configure(options, Config()), [])]
    if options.jobs is None:
        parts = [
            _lint_part(options, config, files, base, problems if i == 0 else [], buffers)
            for i, (config, files) in enumerate(plan)
        ]
    else:
        from mplint.batch import lint_parts

        parts = lint_parts(options, plan, base, problems, buffers)
    level = options.fail_level or parts[0].config.fail_level or Level.WARNING.value
    outcome = Outcome(parts, _merge([p.result for p in parts]), any(p.failed for p in parts), level)
    if not any(part.linted or part.reported for part in parts):
        raise UsageError(_nothing_to_lint(options.paths))
    return outcome


def files_to_lint(options: LintOptions) -> list[Path]:
    """The files a run of these options would lint (folders searched, each folder's `exclude:` applied)."""
    plan, _ = _plan(options)
    return [file for _, files in plan for file in files]


def _plan(
    options: LintOptions, buffers: Buffers | None = None
) -> tuple[list[tuple[Config, list[Path]]], list[LoadProblem]]:
    """Which configuration each file found is linted with, in a stable order."""
    configs: dict[Path | None, Config] = {}
    nearest: dict[Path, Path | None] = {}  # by the folder as given
    searched: dict[Path, Path | None] = {}  # by the resolved folder: `find_config` stops at a folder it knows

    def config_path(folder: Path) -> Path | None:
        if options.config is not None:
            return options.config
        if folder not in nearest:
            parent = folder.parent
            if parent in nearest and parent != folder and not folder.is_symlink():  # a folder the search entered
                nearest[folder] = config_below(folder, nearest[parent])
            else:
                nearest[folder] = find_config(folder.resolve(), searched)
        return nearest[folder]

    def config_of(folder: Path) -> Config:
        path = config_path(folder)
        if path not in configs:
            configs[path] = _configure(options, load_config(path, _shown(path, options.base)))
        return configs[path]

    def excluded(folder: Path) -> bool:
        return any(folder.match(pattern) for pattern in config_of(folder).exclude)

    files, problems = discover(options.paths, excluded, buffers)
    groups: dict[Path | None, list[Path]] = {}
    for file in files:
        path = config_path(file.parent)
        config_of(file.parent)
        groups.setdefault(path, []).append(file)
    order = sorted(groups, key=lambda p: "" if p is None else p.as_posix())
    return [(configs[p], groups[p]) for p in order], problems


def _configure(options: LintOptions, config: Config) -> Config:
    """The configuration with the command line's settings on top."""
    if options.select:
        config.select = tuple(Written(s) for s in options.select)
    if options.ignore:
        config.ignore = (*config.ignore, *(Written(s) for s in options.ignore))
    if options.policies:
        config.identity.policies = tuple(options.policies)
    if options.boundary:
        config.identity.boundary = options.boundary
    if options.scps:
        config.identity.scps = tuple(options.scps)
    if options.commands:
        unknown = sorted(set(options.commands) - set(COMMANDS))
        if unknown:
            raise UsageError(f"unknown command(s) {', '.join(unknown)}: commands are {', '.join(COMMANDS)}")
        config.commands = tuple(dict.fromkeys(options.commands))
    if options.account:
        config.account = options.account
    if options.rules_dirs:
        config.rules_dirs = (*config.rules_dirs, *options.rules_dirs)
    return config


def resolve_config(options: LintOptions) -> Config:
    """The configuration of the first path (for callers that need one configuration, such as the benchmarks)."""
    start = options.paths[0] if options.paths else Path(".")
    folder = start if start.is_dir() else start.parent
    path = options.config or find_config(folder.resolve())
    return _configure(options, load_config(path, _shown(path, options.base)))


def _shown(path: Path | None, base: Path | None) -> str | None:
    """A configuration's path as messages show it: relative to the base folder when inside it."""
    if path is None:
        return None
    try:
        return path.resolve().relative_to((base or Path.cwd()).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _lint_part(
    options: LintOptions, config: Config, files: list[Path], base: Path, problems: list, buffers: Buffers | None = None
) -> Part:
    from mplint.context import Context
    from mplint.project import load_files

    rules, selection, suppressions = part_setup(options, config, base)
    with applied(config.limits):
        project = load_files(files, config, base, problems, buffers)
        ctx = Context(project, options.envs, options.engine or config.engine, rules, suppressions, selection)
        result = run(ctx, rules, options.skip_checks)
    linted = len(project.stacks) + len(project.policies)
    reported = any(problem.rule_id != "MPL006" for problem in project.problems)
    return Part(
        config, rules, result, part_failed(options, config, result), project.base, project.sources, linted,
        reported, part_broken(options, config, result), ctx,
    )  # fmt: skip


def part_setup(options: LintOptions, config: Config, base: Path) -> tuple[dict[str, Rule], Selection, Suppressions]:
    """A part's rules, the selection of them this run reports, and its suppressions."""
    rules = load_all_rules(config.rules_dirs)
    selection = _selection(config, rules, options.only)
    suppressions = load_suppressions(config, base, lambda path: display_path(path, base))
    suppressions.expand(rules)
    return rules, selection, suppressions


def _level(options: LintOptions, config: Config) -> str:
    return options.fail_level or config.fail_level or Level.WARNING.value


def part_failed(options: LintOptions, config: Config, result: Result) -> bool:
    level = _level(options, config)
    return level != "never" and fails(result, Level(level))


def part_broken(options: LintOptions, config: Config, result: Result) -> bool:
    """A check failed on some file (a tool notification) and the fail level is not `never`."""
    return _level(options, config) != "never" and bool(result.crashed)


def _selection(config: Config, rules: dict[str, Rule], only: tuple[str, ...]) -> Selection:
    try:
        chosen = select(rules, config.select, config.ignore, config.levels)
    except UnknownId as exc:
        span = exc.written.span if exc.written is not None else None
        if span is None:  # written on the command line
            raise UsageError(str(exc)) from None
        raise ConfigError(f"{span.path}:{span.line}:{span.col}: {exc}") from None
    if only:
        chosen = structs.replace(chosen, enabled=frozenset(i for i in chosen.enabled if i.startswith(only)))
    return chosen


def _merge(results: list[Result]) -> Result:
    if len(results) == 1:
        return results[0]
    merged = Result()
    for result in results:
        merged.findings += result.findings
        merged.suppressed += result.suppressed
        merged.notifications += result.notifications
        merged.rules.update(result.rules)
    merged.findings.sort(key=lambda f: f.sort_key())
    merged.suppressed.sort(key=lambda item: item[0].sort_key())
    return merged


def _nothing_to_lint(paths: list[Path]) -> str:
    shown = ", ".join(p.as_posix() for p in paths) or "."
    return (
        f"nothing to lint in {shown}: no stack ({' or '.join(MANIFEST_NAMES)}) and no IAM policy found "
        "(folders are searched for stacks; policies are linted when named on the command line or listed "
        "under `policies:` in the configuration)"
    )
