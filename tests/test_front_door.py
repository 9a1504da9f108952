"""The front door, as a new user meets it: help that explains, usage errors on one line with exit 2,
configuration problems at FILE:LINE:COL, and colour that follows NO_COLOR and FORCE_COLOR."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint.cli import app, use_colour
from tests.conftest import FIXTURES, ROOT

runner = CliRunner()
VALID = FIXTURES / "valid"
SEED = FIXTURES / "seed"
COMMANDS = [[], ["lint"], ["permissions"], ["rules"], ["rules", "show"], ["rules", "test"], ["server"]]
TYPE_LABEL = re.compile(r"<(list\[|int|str|path|float|bool)|\brange\b|\d<=x<=\d")
ANSI = "\x1b["


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


# -- help ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mplint")
def test_help_has_a_summary_plain_labels_and_examples(command: list[str]) -> None:
    short, long = run(*command, "-h"), run(*command, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout
    text = short.stdout
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("Usage: mplint")
    summary = paragraphs[1].strip()
    assert summary and summary.endswith("."), summary  # a sentence of its own before any detail
    assert not TYPE_LABEL.search(text), TYPE_LABEL.search(text)
    examples = text.split("Examples:", 1)[1].strip().split("\n")
    assert 2 <= len(examples) <= 4 and all(line.strip().startswith("mplint ") for line in examples), examples


def test_each_command_is_listed_with_a_one_line_summary() -> None:
    text = run("--help").stdout
    listed = text.split("Commands:", 1)[1].split("\n\n", 1)[0].strip().split("\n")
    assert sorted(line.split()[0] for line in listed) == ["lint", "permissions", "rules", "server"]
    assert all(line.endswith(".") and not line.endswith("...") for line in listed), listed  # not cut short


def test_option_labels_name_what_to_write() -> None:
    text = run("lint", "--help").stdout
    for label in ("--format FORMAT", "--output FILE", "--select ID", "--engine N", "--policy FILE", "--env NAME"):
        assert label in text
    assert "Usage: mplint lint [OPTIONS] [PATH]..." in text


# -- usage errors ---------------------------------------------------------------------------------------


USAGE_ERRORS = [
    (["lint", "--xyzzy"], "No such option: --xyzzy (see `mplint lint --help`)"),
    (["lint", "-f", "xml"], "'xml' is not one of 'text', 'json'"),
    (["lint", "--fail-level", "loud"], "'loud' is not one of 'error', 'warning', 'note', 'never'"),
    (["lint", "--engine", "3", str(VALID)], "--engine must be 1 or 2 (the stackql-deploy major version), not '3'"),
    (["lint", "--engine", "x", str(VALID)], "--engine must be 1 or 2"),
    (["rules", "show"], "Missing argument 'ID' (see `mplint rules show --help`)"),
    (["lnit"], "No such command 'lnit'"),
    (["permissions", "-f", "sarif"], "'sarif' is not one of 'text', 'json'"),
    (["lint", "--account", "1234", str(VALID)], "--account must be a 12-digit AWS account id, not '1234'"),
    (["permissions", "--account", "12345678901x", str(VALID)], "--account must be a 12-digit AWS account id"),
    (["lint", "--select", "MPL2O7", str(VALID)], "unknown rule id or prefix `MPL2O7` (did you mean `MPL207`?)"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("mplint: error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_usage_errors_from_the_installed_command() -> None:
    """The entry point (not only the test runner) keeps click's own errors to one line."""
    for args in (["lint", "--xyzzy"], ["rules", "show"], ["lint", "-f", "xml"]):
        out = subprocess.run([sys.executable, "-m", "mplint", *args], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 2, out
        assert out.stderr.count("\n") == 1 and out.stderr.startswith("mplint: error: "), out.stderr


# -- configuration problems ----------------------------------------------------------------------------


CONFIG_ERRORS = [
    (".mplint.yaml", "select: [MPL2\n", "2:1: invalid YAML: did not find expected ',' or ']'"),
    (".mplint.yaml", "a: b: c\n", "1:5: invalid YAML: mapping values are not allowed"),
    (".mplint.yaml", "\tselect: x\n", "1:1: invalid YAML"),
    (".mplint.yaml", "- a\n- b\n", "1:1: a configuration must be a mapping"),
    (".mplint.yaml", "levels:\n  MPL201: loud\n", "2:11: `levels.MPL201` must be one of error, warning, note"),
    (".mplint.yaml", "fail-level: 3\n", "1:13: `fail-level` must be one of"),
    (".mplint.yaml", "select: {a: 1}\n", "1:9: `select` must be a list of rule ids"),
    (".mplint.yaml", "envs: [1, 2]\n", "1:8: `envs` must be a list of strings"),
    (".mplint.yaml", "account: 1234\n", "1:10: `account` must be a 12-digit AWS account id"),
    (".mplint.yaml", "parliament: {timeout: -1}\n", "1:23: `parliament.timeout` must be a number"),
    (".mplint.yaml", "select: [MPL2]\nselect: [MPL3]\n", "2:1: `select` is set twice (first at line 1, column 1)"),
    (".mplint.yaml", "fail_level: error\n", "1:1: unknown configuration key `fail_level` (did you mean `fail-level`?)"),
    (".mplint.yaml", "a: 1\n\udcff", "2:1: cannot read configuration: file is not valid UTF-8"),
    ("pyproject.toml", "[tool.mplint]\nselect = [MPL2\n", "2:11: invalid TOML: Invalid value"),
    ("pyproject.toml", "[tool.mplint]\nselect = [\n", "3:1: invalid TOML: Invalid value"),
    ("pyproject.toml", "[tool.mplint]\nfail-level = 3\n", "2:1: `fail-level` must be one of"),
    ("pyproject.toml", '[tool.mplint]\nfail_level = "error"\n', "2:1: unknown configuration key `fail_level`"),
    ("pyproject.toml", '[tool.mplint.levels]\nMPL201 = "loud"\n', "2:1: `levels.MPL201` must be one of"),
]


@pytest.mark.parametrize(("name", "text", "problem"), CONFIG_ERRORS)
def test_a_malformed_configuration_is_one_line_at_its_position(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    config = tmp_path / name
    config.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = run("lint", str(VALID), "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"mplint: error: {config.as_posix()}:{problem}"), result.stderr


@pytest.mark.parametrize("name", [".mplint.yaml", "pyproject.toml"])
def test_the_configuration_takes_every_fail_level_the_command_line_does(tmp_path: Path, name: str) -> None:
    text = "fail-level: never\n" if name == ".mplint.yaml" else '[tool.mplint]\nfail-level = "never"\n'
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert run("lint", str(SEED)).exit_code == 1  # the seed has errors
    assert run("lint", str(SEED), "--config", str(tmp_path / name)).exit_code == 0


# -- colour ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "terminal", "env", "expected"),
    [
        (None, True, {}, True),
        (None, False, {}, False),
        (None, True, {"NO_COLOR": "1"}, False),
        (None, True, {"NO_COLOR": ""}, True),  # set but empty: not set
        (None, False, {"FORCE_COLOR": "1"}, True),
        (None, False, {"FORCE_COLOR": "0"}, True),  # any non-empty value forces
        (None, False, {"FORCE_COLOR": ""}, False),
        (None, True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # asking for none wins
        (True, False, {"NO_COLOR": "1"}, True),  # the command line wins over the environment
        (False, True, {"FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_choice(flag: bool | None, terminal: bool, env: dict[str, str], expected: bool) -> None:
    assert use_colour(flag, terminal, env) is expected


def test_colour_in_text_output_follows_the_environment() -> None:
    plain = {"NO_COLOR": "", "FORCE_COLOR": ""}
    assert ANSI not in run("lint", str(SEED), env=plain).stdout  # not a terminal
    assert ANSI in run("lint", str(SEED), env={**plain, "FORCE_COLOR": "1"}).stdout
    assert ANSI not in run("lint", str(SEED), env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout
    assert ANSI in run("lint", str(SEED), "--color", env={**plain, "NO_COLOR": "1"}).stdout
    assert ANSI not in run("lint", str(SEED), "-f", "json", env={**plain, "FORCE_COLOR": "1"}).stdout


def test_a_report_file_has_colour_only_when_asked(tmp_path: Path) -> None:
    forced = {"NO_COLOR": "", "FORCE_COLOR": "1"}  # FORCE_COLOR is for the console, not a report file
    run("lint", str(SEED), "-o", str(tmp_path / "plain.txt"), env=forced)
    run("lint", str(SEED), "-o", str(tmp_path / "coloured.txt"), "--color", env=forced)
    assert ANSI not in (tmp_path / "plain.txt").read_text(encoding="utf-8")
    assert ANSI in (tmp_path / "coloured.txt").read_text(encoding="utf-8")
