"""The limits a configuration raises or lowers reach every reader: templates (template-chars), `if:` conditions
(if-chars) and user-rule patterns (regex-seconds), each a finding or notification naming the limit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from msgspec.structs import replace
from typer.testing import CliRunner

from mplint.catalog.formats import FORMATS
from mplint.catalog.patterns import repeat_weight
from mplint.cli import app
from mplint.declarative.spec import Matcher, RegexTimeout
from mplint.limits import DEFAULT, Limits, applied, current
from mplint.precommit import changed_paths
from tests.hostile import RULE, laughs, rule_case, stack

runner = CliRunner()
TEMPLATE = json.dumps("{{ stack_name }}-" + "x" * 300)  # a template of 317 characters
CONDITION = "    if: " + json.dumps("'{{ stack_env }}' == '" + "p" * 300 + "'") + "\n"


def _lint(root: Path, *args: str, limits: str | None = None) -> dict:
    if limits is not None:
        (root / "limits.yaml").write_text(f"limits: {limits}\n")
        args = (*args, "--config", "limits.yaml")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = runner.invoke(app, ["lint", "bad", *args, "-f", "json"])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _limit_findings(doc: dict) -> list[str]:
    return [f["message"] for f in doc["findings"] if f["rule"] == "MPL005"]


def test_template_chars_decides_which_templates_are_read(tmp_path: Path) -> None:
    stack(tmp_path, TEMPLATE)
    assert _limit_findings(_lint(tmp_path)) == []
    lowered = _limit_findings(_lint(tmp_path, limits="{template-chars: 100}"))
    assert "a template of 317 characters, over the 100 limit (template-chars): not read" in lowered  # the prop
    assert any(m.startswith("the `create` query is a template of") for m in lowered)  # a query file's statement


def test_if_chars_decides_which_conditions_are_judged(tmp_path: Path) -> None:
    stack(tmp_path, extra=CONDITION)
    assert _limit_findings(_lint(tmp_path)) == []
    lowered = _limit_findings(_lint(tmp_path, limits="{if-chars: 50}"))
    assert lowered == ["an `if:` of 323 characters, over the 50 limit (if-chars): not checked"]


def test_regex_seconds_from_the_config_stops_a_user_pattern(tmp_path: Path) -> None:
    args = rule_case(RULE.format(pattern="'(a|aa)+$'"), value="a" * 60 + "!")(tmp_path)
    doc = _lint(tmp_path, *args, limits="{regex-seconds: 0.05}")
    stopped = [n["message"] for n in doc["notifications"] if "matches:" in n["message"]]
    assert len(stopped) == 1 and "ran over 0.05 s (regex-seconds)" in stopped[0], doc["notifications"]


def test_the_limits_apply_while_a_run_goes_on_and_then_revert() -> None:
    assert current() is DEFAULT
    with applied(Limits(regex_seconds=0.01)):
        matcher = Matcher(__import__("regex").compile("(a|aa)+$"))
        with pytest.raises(RegexTimeout, match=r"ran over 0\.01 s"):
            matcher.search("a" * 60 + "!")
        with pytest.raises(RegexTimeout):  # not run again once over
            matcher.search("a")
    assert current() is DEFAULT


def test_changed_reads_a_manifest_within_the_limits(tmp_path: Path) -> None:
    """`lint --changed` of a deploy policy reads each manifest to see who deploys it, within the limits linting
    reads it by: a manifest over one (an alias bomb here) counts as deployed by every identity, as one that cannot
    be read does, so that linting it reports the limit rather than the hook skipping it."""
    (tmp_path / "deploy.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    (tmp_path / ".mplint.yaml").write_text("policies: [deploy.json]\n")
    bomb = tmp_path / "stack" / "stackql_manifest.yml"
    bomb.parent.mkdir()
    bomb.write_text(f"version: 1\nname: s\nglobals: [{{name: g, value: {laughs(levels=12)}}}]\nresources: []\n")
    assert changed_paths([tmp_path / "deploy.json"], tmp_path) == [bomb]


@pytest.mark.parametrize(
    ("pattern", "weight"),
    [("^[a-z]{1,64}$", 64), ("(ab){2}c{3}", 3), ("(?:a{100}){100}", 10_000), ("x{4294967294}", 10_001),
     ("[{]{5}", 5), (r"\{9999}", 1), ("(a{10})(b{20}){3}", 60)],
)  # fmt: skip
def test_repeat_weight_multiplies_nested_counts(pattern: str, weight: int) -> None:
    assert repeat_weight(pattern, 10_000) == weight


def test_a_regex_format_value_too_costly_to_compile_is_not_judged() -> None:
    """Compiling `(?:(?:a{1000}){1000}){1000}` takes the regex module minutes; a value over pattern-repeats, or
    nested past the compiler's recursion, is neither compiled nor called invalid. A bad expression still is."""
    assert FORMATS["regex"]("(?:(?:a{1000}){1000}){1000}") is True
    assert FORMATS["regex"]("(" * 5000 + ")" * 5000) is True
    assert FORMATS["regex"]("(unclosed") is False
    with applied(replace(DEFAULT, pattern_repeats=10)):
        assert FORMATS["regex"]("a{11}(") is True
