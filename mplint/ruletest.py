"""Rule tests: fixture stacks whose `# expect: ID` comments name the findings they must produce.

A fixture is a folder with a `stackql_manifest.yml`. Every `# expect: MPL201` (`-- expect: MPL201` in
query files) marks a line where that rule must report, and `expected.yaml` lists the same for files
that cannot hold comments (JSON). `fixture.yaml` gives lint options, paths relative to the fixture.
A rule passes when, in every fixture, it reports exactly at the lines marked for it. `expected.json`,
a snapshot of every finding (file, line, column, rule, level, message), pins the rest: a wrong column or
message fails too. `scripts/update_snapshots.py` rewrites the snapshots; review the diff before committing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from mplint.app import LintOptions, lint_paths
from mplint.registry import Rule

EXPECT_RE = re.compile(r"(?:#|--)\s*expect:\s*([A-Z0-9, ]+)")
MANIFEST = "stackql_manifest.yml"
FIXTURE_OPTIONS = ("envs", "engine", "config", "policies", "boundary", "scps", "commands", "account", "rules-dirs")
COMMENTED = (".yml", ".yaml", ".iql", ".json")

Expectation = tuple[str, int, str]  # (path as mplint shows it, line, rule id)
SNAPSHOT = "expected.json"


def builtin_fixtures() -> Path | None:
    """The fixtures of the built-in rules: `fixtures/` beside the package in a checkout, `mplint/_fixtures` in an
    installed wheel (pyproject.toml's force-include); None when neither is there."""
    package = Path(__file__).resolve().parent
    for folder in (package / "_fixtures", package.parent / "fixtures"):
        if folder.is_dir():
            return folder
    return None


def find_stacks(fixtures: Path) -> list[Path]:
    return sorted(p.parent for p in fixtures.rglob(MANIFEST))


def fixture_options(stack: Path) -> dict[str, Any]:
    """Lint options for a fixture: `fixture.yaml` beside its manifest (engine, envs, policies, ...)."""
    path = stack / "fixture.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def uses_user_rules(stack: Path) -> bool:
    """A fixture that loads user rules (`rules-dirs`) tests them, not the built-in rules."""
    return "rules-dirs" in fixture_options(stack)


def display(path: Path, base: Path) -> str:
    """The path as mplint shows it: relative to ``base``, else absolute (as Project.display)."""
    rel = os.path.relpath(path.resolve(), base.resolve())
    return Path(rel).as_posix() if not rel.startswith("..") else path.resolve().as_posix()


def expected_findings(stack: Path, base: Path) -> set[Expectation]:
    """Every `# expect: ID` / `-- expect: ID` comment under a stack, and the entries of its `expected.yaml`."""
    out: set[Expectation] = set()
    for path in sorted(stack.rglob("*")):
        if not path.is_file() or path.suffix not in COMMENTED or path.name in ("expected.yaml", SNAPSHOT):
            continue
        shown = display(path, base)
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), start=1):
            match = EXPECT_RE.search(line)
            if match:
                out.update((shown, number, rid.strip()) for rid in match.group(1).split(",") if rid.strip())
    sidecar = stack / "expected.yaml"
    if sidecar.exists():
        for entry in yaml.safe_load(sidecar.read_text(encoding="utf-8")) or []:
            out.add((display(stack / entry["file"], base), int(entry["line"]), str(entry["rule"])))
    return out


def lint_options(stack: Path, base: Path, rules_dirs: tuple[Path, ...] = ()) -> LintOptions:
    """LintOptions for a fixture; ValueError names an unknown option of its fixture.yaml."""
    opts = fixture_options(stack)
    unknown = sorted(set(opts) - set(FIXTURE_OPTIONS))
    if unknown:
        raise ValueError(f"{stack}/fixture.yaml: unknown option(s) {unknown}")
    return LintOptions(
        paths=[stack],
        base=base,
        envs=tuple(opts.get("envs", ())),
        engine=opts.get("engine"),
        config=stack / opts["config"] if opts.get("config") else None,
        policies=[stack / p for p in opts.get("policies", ())],
        boundary=stack / opts["boundary"] if opts.get("boundary") else None,
        scps=[stack / p for p in opts.get("scps", ())],
        commands=list(opts.get("commands", ())),
        account=opts.get("account"),
        rules_dirs=[*(stack / d for d in opts.get("rules-dirs", ())), *rules_dirs],
    )


# ---------------------------------------------------------------------------
# Running


class RuleResult(Struct):
    """One rule's tests: the fixtures that expect it and what failed."""

    rule: Rule
    fixtures: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


class Report(Struct):
    """The rule tests' results by rule id, and the fixtures that could not be linted cleanly."""

    results: dict[str, RuleResult]
    errors: list[str] = field(default_factory=list)  # fixtures that could not be linted cleanly

    @property
    def passed(self) -> bool:
        return not self.errors and not any(r.failures for r in self.results.values())


def run_tests(rules: dict[str, Rule], stacks: list[Path], base: Path, rules_dirs: tuple[Path, ...] = ()) -> Report:
    """Lint each fixture stack and compare the findings of ``rules`` with its expectations."""
    report = Report({rid: RuleResult(rule) for rid, rule in rules.items()})
    for stack in stacks:
        name = display(stack, base)
        try:
            outcome = lint_paths(lint_options(stack, base, rules_dirs))
        except Exception as exc:  # a broken fixture is a failed test, not a crash
            report.errors.append(f"{name}: cannot lint: {exc}")
            continue
        report.errors += [f"{name}: {note.message}" for note in outcome.result.notifications]
        found = {
            (f.span.path, f.span.line, f.rule_id): f.message for f in outcome.result.findings if f.rule_id in rules
        }
        expected = {e for e in expected_findings(stack, base) if e[2] in rules}
        for difference in snapshot_differences(stack, outcome.result.findings, base, rules):
            report.errors.append(f"{name}: {difference}")
        for path, line, rid in sorted(expected | set(found)):
            result = report.results[rid]
            result.fixtures.add(name)
            if (path, line, rid) not in found:
                result.failures.append(f"{name}: expected at {path}:{line}, not reported")
            elif (path, line, rid) not in expected:
                result.failures.append(f"{name}: unexpected at {path}:{line}: {found[(path, line, rid)]}")
    return report


def snapshot(stack: Path, findings: list, base: Path, rules: dict[str, Rule] | None = None) -> list[dict]:
    """The findings under ``stack`` as its snapshot holds them: paths relative to the stack, in order."""
    root = stack.resolve()
    out = []
    for f in findings:
        if rules is not None and f.rule_id not in rules:
            continue
        path = (base / f.span.path).resolve() if not os.path.isabs(f.span.path) else Path(f.span.path)
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else f.span.path
        out.append({"file": shown, "line": f.span.line, "col": f.span.col, "rule": f.rule_id,
                    "level": f.level.value if f.level else None, "message": f.message})  # fmt: skip
    return sorted(out, key=lambda e: (e["file"], e["line"], e["col"], e["rule"], e["message"]))


def read_snapshot(stack: Path) -> list[dict] | None:
    path = stack / SNAPSHOT
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def snapshot_differences(stack: Path, findings: list, base: Path, rules: dict[str, Rule]) -> list[str]:
    """What differs from the fixture's `expected.json` (nothing when it has none), for the given rules."""
    pinned = read_snapshot(stack)
    if pinned is None:
        return []
    want = [e for e in pinned if e["rule"] in rules]
    got = snapshot(stack, findings, base, rules)
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731
    missing = sorted(set(map(key, want)) - set(map(key, got)))
    extra = sorted(set(map(key, got)) - set(map(key, want)))
    return [f"snapshot has, run lacks: {m}" for m in missing] + [f"run has, snapshot lacks: {e}" for e in extra]


def render(report: Report) -> str:
    lines: list[str] = []
    for rid, result in report.results.items():
        head = f"{rid} {result.rule.name}"
        if result.failures:
            lines.append(f"FAIL  {head}")
            lines += [f"      {failure}" for failure in result.failures]
        elif result.fixtures:
            lines.append(f"pass  {head} ({_plural(len(result.fixtures), 'fixture')})")
        else:
            lines.append(f"----  {head} (no fixture)")
    lines += [f"ERROR {error}" for error in report.errors]
    failed = sum(1 for r in report.results.values() if r.failures)
    tested = sum(1 for r in report.results.values() if r.fixtures)
    verdict = "FAILED" if not report.passed else "passed"
    lines.append(
        f"{verdict}: {tested} of {_plural(len(report.results), 'rule')} tested, {failed} failing"
        + (f", {_plural(len(report.errors), 'fixture error')}" if report.errors else "")
    )
    return "\n".join(lines) + "\n"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
