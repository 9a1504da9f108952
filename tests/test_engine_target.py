"""The target engine (--engine, config, the stack's evidence, else 2) and the syntax each engine accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mplint.app import LintOptions, lint_paths
from mplint.config import Config
from mplint.context import Context
from mplint.project import load_project
from mplint.stackql.target import if_grammar_2x, if_python, template_uses
from tests.conftest import FIXTURES, ROOT

SYNTAX_2X = FIXTURES / "stackql" / "syntax-2x"
VALID = FIXTURES / "valid" / "model-package-stack"


def engine_of(stack: Path, engine: int | None = None) -> tuple[int, str]:
    project = load_project([stack], Config(), ROOT)
    chosen = Context(project, engine=engine).target(project.stacks[0])
    return chosen.engine, chosen.source


def test_option_wins() -> None:
    assert engine_of(SYNTAX_2X, 1) == (1, "option")
    assert engine_of(VALID, 2) == (2, "option")


def test_evidence_then_default() -> None:
    assert engine_of(SYNTAX_2X) == (2, "evidence")
    assert engine_of(VALID) == (2, "default")


def test_a_python_only_condition_is_evidence_for_1(tmp_path: Path) -> None:
    manifest = (
        (VALID / "stackql_manifest.yml")
        .read_text(encoding="utf-8")
        .replace(
            "  - name: churn_model_package\n",
            "  - name: churn_model_package\n    if: \"'{{ stack_env }}' == 'prd' or True\"\n",
        )
    )
    (tmp_path / "resources").mkdir()
    (tmp_path / "stackql_manifest.yml").write_text(manifest, encoding="utf-8")
    for query in (VALID / "resources").iterdir():
        (tmp_path / "resources" / query.name).write_text(query.read_text(encoding="utf-8"), encoding="utf-8")
    assert engine_of(tmp_path) == (1, "evidence")


def rules(stack: Path, engine: int | None) -> set[str]:
    outcome = lint_paths(LintOptions(paths=[stack], base=ROOT, engine=engine))
    return {f.rule_id for f in outcome.result.findings}


def test_2x_syntax_is_reported_under_engine_1_only() -> None:
    assert "MPL150" in rules(SYNTAX_2X, 1)
    assert "MPL150" not in rules(SYNTAX_2X, 2)
    assert "MPL150" not in rules(SYNTAX_2X, None)


@pytest.mark.parametrize(
    "text",
    ["true", "False", "'{{ stack_env }}' == 'prd'", "'{{ stack_env }}' != 'dev'", "{{ enabled }}",
     "'{{ stack_env }}' in ['dev', 'sit']", "'{{ stack_env }}' not in ['prd']"],
)  # fmt: skip
def test_conditions_2x_evaluates(text: str) -> None:
    assert if_grammar_2x(text)


@pytest.mark.parametrize(
    "text",
    ["'{{ stack_env }}' == 'prd' and '{{ region }}' == 'x'", "{{ count }} > 1", "not '{{ a }}'", "'{{ a }}' == "],
)
def test_conditions_2x_does_not_evaluate(text: str) -> None:
    assert not if_grammar_2x(text)


def test_conditions_python_parses() -> None:
    assert if_python("'{{ stack_env }}' == 'prd' and '{{ region }}' == 'x'")
    assert not if_python("'{{ stack_env }}' = 'prd'")


def test_template_uses_find_each_construct() -> None:
    text = (
        "{{ this.vpc_id }} {{ vpc.vpc_id }} {{ tags | to_aws_tag_filters }} {{ a | merge_objects(b) }} "
        "{{ resource_name }} {{ vars.X }}"
    )
    found = [what for what, _ in template_uses(text, frozenset({"vpc"}))]
    assert found == [
        "`this.vpc_id`",
        "`vpc.vpc_id` (another resource's export)",
        "the `to_aws_tag_filters` filter",
        "the `merge_objects` filter",
        "the `resource_name` built-in",
    ]
