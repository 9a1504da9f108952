"""What the language server lints when a file changes, and the lint runs themselves.

The unit of a run is a stack (its manifest, query files and the policies of its identities), linted through
the same pipeline as `mplint lint` with the editor's unsaved buffers in place of the files on disk. A file
belongs to the units whose last run read it; a new manifest or query file starts or joins its stack's unit.
"""

from __future__ import annotations

from pathlib import Path

from msgspec import Struct, field
from pygls import uris

from mplint.app import LintOptions, UsageError, files_to_lint, lint_paths
from mplint.config import ConfigError
from mplint.discovery import MANIFEST_NAMES, classify, manifest_of
from mplint.findings import Finding, Notification
from mplint.registry import Rule, RuleFileError
from mplint.source import Buffers

SLOW_CHECKS = frozenset({"mplint.checks.parliament"})  # run after the rest has been published
CONFIG_FILES = (".mplint.yaml", ".mplint.yml", "pyproject.toml", ".mplint-suppressions.yaml")


class Run(Struct):
    """One lint of one unit: the findings by document URI, what it read, what went wrong."""

    unit: Path
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    uris: dict[str, str] = field(default_factory=dict)  # display path -> URI, for related places and fixes
    rules: dict[str, Rule] = field(default_factory=dict)
    read: set[Path] = field(default_factory=set)
    notifications: list[Notification] = field(default_factory=list)
    error: str | None = None  # a configuration or rule file that cannot be used
    has_policies: bool = False

    def uri(self, display: str, root: Path) -> str:
        known = self.uris.get(display)
        if known is None:
            path = Path(display)
            known = uri_of(path if path.is_absolute() else (root / path).resolve())
        return known


def uri_of(path: Path) -> str:
    return uris.from_fs_path(str(path)) or path.as_uri()


def path_of(uri: str) -> Path | None:
    found = uris.to_fs_path(uri)
    return Path(found).resolve() if found else None


def lint_unit(unit: Path, root: Path, buffers: Buffers, full: bool) -> Run:
    """Lint one unit; ``full`` adds the slow checks (parliament) to the fast ones."""
    run = Run(unit)
    if not buffers.is_file(unit):  # deleted since: nothing to say about it any more
        return run
    options = LintOptions(paths=[unit], base=root, skip_checks=frozenset() if full else SLOW_CHECKS)
    try:
        outcome = lint_paths(options, buffers)
    except (ConfigError, RuleFileError) as exc:
        run.error = str(exc)
        return run
    except UsageError:  # the unit's manifest is gone: nothing to say about it any more
        return run
    where = {display: source.path.resolve() for display, source in outcome.sources.items()}
    run.read = set(where.values())
    run.rules = outcome.result.rules
    run.notifications = list(outcome.result.notifications)
    run.has_policies = bool(outcome.policies)
    run.uris = {display: uri_of(path) for display, path in where.items()}
    for uri in run.uris.values():
        run.findings.setdefault(uri, [])
    for finding in outcome.result.findings:
        run.findings.setdefault(run.uri(finding.span.path, root), []).append(finding)
    return run


def units_of(path: Path, buffers: Buffers, reads: dict[Path, set[Path]]) -> set[Path]:
    """The units to lint again when ``path`` changes: those that read it, else the stack it starts or joins.
    Other files (a workflow, a config of another tool) belong to none."""
    if path.name in CONFIG_FILES:
        return set(reads)
    known = {unit for unit, read in reads.items() if path in read}
    if known:
        return known
    kind = classify(path, buffers) if path.suffix.lower() in (".yml", ".yaml", ".iql") else "other"
    if kind == "manifest":
        return {path}
    if kind == "query":
        manifest = manifest_of(path, buffers)
        return {manifest.resolve()} if manifest is not None else set()
    return set()


def workspace_units(root: Path) -> list[Path]:
    """The stack manifests under a workspace folder, as `mplint lint ROOT` finds them (configured
    `exclude:` folders left out)."""
    if not root.is_dir():
        return []
    try:
        files = files_to_lint(LintOptions(paths=[root], base=root))
    except (ConfigError, RuleFileError, UsageError):
        return []
    return [path.resolve() for path in files if path.name in MANIFEST_NAMES]
