"""docs/rules/ is generated from rules/ and the fixtures, and kept up to date."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType

from mplint.registry import builtin_rules
from tests.conftest import ROOT, expected_findings, fixture_stacks

DOCS = ROOT / "docs" / "rules"


@cache
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_rule_docs", ROOT / "scripts" / "gen_rule_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def test_rule_docs_are_up_to_date() -> None:
    stale = gen().stale(ROOT)
    assert stale == [], f"docs/rules/ is out of date ({', '.join(stale)}): run python scripts/gen_rule_docs.py"


def test_every_rule_has_a_page_listed_in_the_index() -> None:
    pages = gen().generate(ROOT)
    index = pages["README.md"]
    for rule_id, rule in builtin_rules().items():
        page = pages[f"{rule_id}.md"]
        assert page.splitlines()[2] == f"# {rule_id} {rule.name}"
        assert rule.help in page and "## Bad" in page and "## Good" in page
        assert f"[{rule_id}]({rule_id}.md)" in index


def test_bad_examples_come_from_the_fixture_expectations() -> None:
    marked = {rule for stack in fixture_stacks() for _, _, rule in expected_findings(stack)}
    pages = gen().generate(ROOT)
    for rule_id in builtin_rules():
        bad = pages[f"{rule_id}.md"].split("## Bad\n", 1)[1].split("## Good\n", 1)[0]
        if rule_id in marked:
            assert "`fixtures/" in bad, rule_id
        else:
            assert "No fixture has" in bad or "`rules/" in bad, rule_id


def test_the_marked_line_is_the_one_at_fault() -> None:
    page = gen().generate(ROOT)["MPL201.md"]
    block = page.split("## Bad\n", 1)[1].split("```", 2)[1]
    assert "<- MPL201" in block and "expect:" not in block
