"""One lint run, from options to an engine result: what the CLI, the benchmark and the tests all call."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mplint.config import COMMANDS, Config, ConfigError, find_config, load_config
from mplint.context import Context
from mplint.engine import Result, fails, run
from mplint.findings import Level
from mplint.project import Project, load_project
from mplint.registry import load_all_rules
from mplint.suppress import load_suppressions


@dataclass(slots=True)
class LintOptions:
    paths: list[Path]
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    config: Path | None = None
    envs: tuple[str, ...] = ()
    fail_level: str | None = None  # error | warning | note | never
    base: Path | None = None
    engine: int | None = None
    policies: list[Path] = field(default_factory=list)  # identity policies of the default identity
    boundary: Path | None = None
    scps: list[Path] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # build | test | teardown; default: all three
    account: str | None = None
    rules_dirs: list[Path] = field(default_factory=list)  # user rule folders, beside the config's `rules-dirs`


@dataclass(slots=True)
class Outcome:
    result: Result
    project: Project
    failed: bool

    def render(self, fmt: str, options: dict) -> str:
        from mplint.report import get_reporter

        return get_reporter(fmt)(self.result, self.project.sources, {**options, "files": len(self.project.sources)})


def resolve_config(options: LintOptions) -> Config:
    path = options.config or find_config((options.base or Path.cwd()).resolve())
    config = load_config(path)
    if options.select:
        config.select = tuple(options.select)
    if options.ignore:
        config.ignore = (*config.ignore, *options.ignore)
    if options.policies:
        config.identity.policies = tuple(options.policies)
    if options.boundary:
        config.identity.boundary = options.boundary
    if options.scps:
        config.identity.scps = tuple(options.scps)
    if options.commands:
        unknown = sorted(set(options.commands) - set(COMMANDS))
        if unknown:
            raise ConfigError(f"unknown command(s) {', '.join(unknown)}: commands are {', '.join(COMMANDS)}")
        config.commands = tuple(dict.fromkeys(options.commands))
    if options.account:
        config.account = options.account
    if options.rules_dirs:
        config.rules_dirs = (*config.rules_dirs, *options.rules_dirs)
    return config


def lint_paths(options: LintOptions) -> Outcome:
    config = resolve_config(options)
    rules = load_all_rules(config.rules_dirs)
    project = load_project(options.paths, config, options.base)
    suppressions = load_suppressions(config, project.base, project.display)
    ctx = Context(project, options.envs, options.engine or config.engine, rules, suppressions)
    result = run(ctx, rules)
    level = options.fail_level or config.fail_level.value
    failed = level != "never" and fails(result, Level(level))
    return Outcome(result, project, failed)
