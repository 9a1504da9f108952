"""Every stackql-deploy stack in ../shared/corpus lints without a tool error, and the known defects are found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.app import LintOptions, lint_paths
from mplint.cli import app
from tests.conftest import SHARED, shared_path

CORPUS = SHARED / "corpus" / "stackql-deploy"
STACKS = sorted(p.parent for p in CORPUS.rglob("stackql_manifest.yml")) if CORPUS.exists() else []
JINJA_ERROR = "examples/google/load-balanced-vms/resources/project_services.iql"
RUST_REPO = "stackql-labs__stackql-deploy-rs"
runner = CliRunner()


def corpus() -> Path:
    return shared_path("corpus", "stackql-deploy")


def test_the_corpus_has_stacks() -> None:
    assert len({p.parent for p in corpus().rglob("stackql_manifest.yml")}) >= 20


@pytest.mark.parametrize("stack", STACKS, ids=[s.relative_to(CORPUS).as_posix() for s in STACKS])
@pytest.mark.parametrize("engine", ["1", "2"])
def test_stack_lints_without_a_tool_error(stack: Path, engine: str) -> None:
    result = runner.invoke(app, ["lint", "--format", "json", "--engine", engine, str(stack)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    report = json.loads(result.stdout)
    assert not report.get("notifications"), report.get("notifications")


def findings(paths: list[Path], engine: int | None = None):
    outcome = lint_paths(LintOptions(paths=paths, engine=engine, base=corpus()))
    assert not outcome.result.notifications, [n.message for n in outcome.result.notifications]
    return outcome.result.findings


@pytest.mark.parametrize("repo", ["stackql__stackql-deploy", RUST_REPO])
def test_jinja_syntax_error_found_at_its_line(repo: str) -> None:
    stack = corpus() / repo / "examples" / "google" / "load-balanced-vms"
    errors = [(f.span.path, f.span.line) for f in findings([stack]) if f.rule_id == "MPL111"]
    assert errors == [(f"{repo}/{JINJA_ERROR}", 36)]  # `{{ $project := . }}`: Go template syntax in a Jinja file


def rust_examples() -> list[Path]:
    return sorted(p.parent for p in (corpus() / RUST_REPO / "examples").rglob("stackql_manifest.yml"))


def test_2x_syntax_in_the_rust_examples_only_under_engine_1() -> None:
    under_1 = {Path(f.span.path).parts[2] for f in findings(rust_examples(), engine=1) if f.rule_id == "MPL150"}
    assert {"aws", "databricks"} <= under_1
    assert not [f for f in findings(rust_examples(), engine=2) if f.rule_id == "MPL150"]
    assert not [f for f in findings(rust_examples()) if f.rule_id == "MPL150"]  # their own evidence says 2.x


def test_python_examples_have_no_2x_syntax() -> None:
    stacks = sorted(p.parent for p in (corpus() / "stackql__stackql-deploy").rglob("stackql_manifest.yml"))
    assert not [f for f in findings(stacks, engine=1) if f.rule_id == "MPL150"]
