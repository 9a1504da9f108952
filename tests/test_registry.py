"""The registry owns every id: each check module emits only the ids it declares, each rule names its emitters,
and `--select X` is the full run filtered to X, for every rule."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from msgspec import structs

import mplint.checks
from mplint.app import LintOptions, lint_paths
from mplint.findings import Span
from mplint.registry import OWNERS, RegistryError, builtin_rules, owns
from mplint.ruletest import lint_options
from tests.conftest import FIXTURES, ROOT, fixture_stacks, shared_path

CHECKS = Path(mplint.checks.__file__).parent
MODULES = sorted(f"mplint.checks.{m.name}" for m in pkgutil.iter_modules([str(CHECKS)]) if m.name != "declarative")


def test_every_check_module_owns_exactly_the_rules_that_name_it() -> None:
    for name in MODULES:
        importlib.import_module(name)
    named: dict[str, set[str]] = {}
    for rule in builtin_rules().values():
        for module in rule.checks:
            named.setdefault(module, set()).add(rule.id)
    assert set(named) == set(MODULES)
    for module in MODULES:
        assert OWNERS[module].ids == named[module], module


def test_a_rule_file_names_only_modules_that_exist() -> None:
    for rule in builtin_rules().values():
        for module in rule.checks:
            assert module in MODULES, f"{rule.id} names {module}"


def test_no_check_builds_a_finding_itself() -> None:
    """Findings come out of the owner's handle (`R.MPL201(...)`), so an id is checked where it is emitted."""
    for path in sorted(CHECKS.glob("*.py")):
        if path.name == "declarative.py":  # user rules emit their own id, checked by the engine
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Finding"
        ]
        assert calls == [], f"{path.name} constructs Finding at lines {calls}"


def test_owning_an_id_without_a_rule_file_fails_at_import() -> None:
    with pytest.raises(RegistryError, match=r"no rules/MPL899\.yaml"):
        owns("mplint.checks.schema", "MPL899")
    with pytest.raises(RegistryError, match="does not name it"):
        owns("mplint.checks.not_the_emitter", "MPL201")


def test_emitting_an_id_that_is_not_owned_fails() -> None:
    owner = OWNERS["mplint.checks.resources"]
    span = Span.point("x.yml")
    assert owner.MPL109("m", span).rule_id == "MPL109"
    with pytest.raises(AttributeError):
        owner.MPL201("m", span)
    with pytest.raises(RegistryError):
        owner.emit("MPL201", "m", span)


def _key(finding) -> tuple:
    return (finding.rule_id, finding.span, finding.message, finding.level)


def _selected_equals_full(options: LintOptions) -> None:
    full = lint_paths(options).result
    assert not full.notifications, [n.message for n in full.notifications]
    rules = sorted({f.rule_id for f in full.findings} | {f.rule_id for f, _ in full.suppressed})
    for rule in rules:
        selected = lint_paths(structs.replace(options, select=[rule])).result
        want = sorted(_key(f) for f in full.findings if f.rule_id == rule)
        assert sorted(_key(f) for f in selected.findings) == want, rule
        assert {f.rule_id for f in selected.findings} <= {rule}


STACKS = fixture_stacks()


@pytest.mark.parametrize("stack", STACKS, ids=[s.relative_to(FIXTURES).as_posix() for s in STACKS])
def test_select_is_the_full_run_filtered_on_each_fixture(stack: Path) -> None:
    _selected_equals_full(lint_options(stack, ROOT))


def test_select_is_the_full_run_filtered_on_the_corpus() -> None:
    corpus = shared_path("corpus", "stackql-deploy")
    _selected_equals_full(LintOptions(paths=[corpus], base=corpus))


def test_the_rule_index_is_of_the_rule_files() -> None:
    """A stale index is not used (it costs time, not correctness); this keeps it current."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_rule_index.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_rules_from_the_index_are_the_rules_from_the_files(tmp_path: Path, monkeypatch) -> None:
    from mplint import registry

    from_files = registry.load_rules((registry.builtin_rules_dir(),))
    indexed = registry._read_index(registry.rule_files(registry.builtin_rules_dir()))
    assert indexed is not None
    registry.builtin_rules.cache_clear()
    try:
        assert registry.builtin_rules() == from_files
        assert [r.extra for r in registry.builtin_rules().values()] == [r.extra for r in from_files.values()]
        stale = tmp_path / "rules-index.json"
        stale.write_text(registry.RULE_INDEX.read_text().replace('"digest":"', '"digest":"0'))
        monkeypatch.setattr(registry, "RULE_INDEX", stale)
        assert registry._read_index(registry.rule_files(registry.builtin_rules_dir())) is None
        registry.builtin_rules.cache_clear()
        assert registry.builtin_rules() == from_files  # read from the files instead
    finally:
        registry.builtin_rules.cache_clear()
