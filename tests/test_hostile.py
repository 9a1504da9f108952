"""Every hostile case of tests/hostile.py, linted in-process beside two known-bad stacks: an answer (a finding
or a one-line error), never a traceback, never a hang, nothing executed, and every finding of the good stacks
kept. Time and memory per case are measured by benchmarks/bench_hostile.py, not here."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from mplint.cli import app
from tests.hostile import CASES, MARKER, Case, prepare

runner = CliRunner()
GUARD_SECONDS = 60  # a hang becomes a failure instead of a stuck suite; speed is measured by the benchmark


class Hang(BaseException):  # not caught by the engine's guard of each check
    pass


def _invoke(root: Path, args: list[str]):
    def alarm(signum, frame):
        raise Hang(f"no answer in {GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm) if hasattr(signal, "SIGALRM") else None
    if previous is not None:
        signal.alarm(GUARD_SECONDS)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return runner.invoke(app, args)
    finally:
        os.chdir(cwd)
        if previous is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


def _keys(result) -> set[tuple]:
    doc = json.loads(result.stdout)
    return {(f["rule"], f["path"], f["line"], f["col"], f["message"]) for f in doc["findings"]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> set[tuple]:
    root = tmp_path_factory.mktemp("baseline")
    result = _invoke(root, prepare(root))
    assert result.exit_code == 1, result.output
    keys = _keys(result)
    assert {k[0][:4] for k in keys} >= {"MPL2", "MPL3"}  # schema and permission findings to lose
    return keys


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_case(case: Case, tmp_path: Path, baseline: set[tuple]) -> None:
    if case.posix and sys.platform == "win32":
        pytest.skip("FIFOs, devices and byte file names are POSIX")
    args = prepare(tmp_path) + case.build(tmp_path)
    result = _invoke(tmp_path, args)
    assert not isinstance(result.exception, Hang), case.name
    assert "Traceback" not in result.output and "Traceback" not in (result.stderr or "")
    assert not (tmp_path / MARKER).exists(), "an input was executed"
    if case.usage_error:
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mplint: error: "), result.stderr
        return
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    doc = json.loads(result.stdout)
    assert doc["summary"]["failed_checks"] == 0, doc["notifications"]
    assert result.exit_code == 1
    keys = _keys(result)
    missing = baseline - keys
    assert not missing, f"findings of the good stacks lost: {sorted(missing)[:3]}"
    bad = {k[0] for k in keys - baseline}
    for prefix in case.expect:
        assert any(rule.startswith(prefix) for rule in bad), (prefix, sorted(bad), doc["notifications"])
    false = sorted(rule for rule in bad if case.forbid and rule.startswith(case.forbid))
    assert not false, f"false findings: {false}"


ODD_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:\\ud800\\u0001\\u001b[2Jx",'
    ' "Resource": "*"}]}'
)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab", "junit", "rdjson"])
def test_every_format_writes_odd_text_quoted_from_an_input_as_a_readable_report(fmt: str, tmp_path: Path) -> None:
    """A lone surrogate and control characters in a policy's action, quoted by MPL410: every report is
    encodable UTF-8, the JSON and XML ones parse, and those read in a terminal or log hold no control character
    from the input (an escape sequence would clear the screen or hide a line)."""
    (tmp_path / "policy.json").write_text(ODD_POLICY)
    result = _invoke(tmp_path, ["lint", "policy.json", "-f", fmt])
    assert result.exit_code == 1, result.output
    result.stdout.encode("utf-8")
    if fmt in ("json", "sarif", "gitlab", "rdjson"):
        json.loads(result.stdout)
    elif fmt == "junit":
        ElementTree.fromstring(result.stdout.encode("utf-8"))
    else:
        assert "\x1b" not in result.stdout and "\x01" not in result.stdout
    assert "s3:\\ud800" in result.stdout or "s3:\\\\ud800" in result.stdout
