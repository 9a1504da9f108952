"""The `mplint` command's entry: `--version` answered without building the command line, saying the same."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from mplint.cli import app


def test_version_without_the_command_line_says_what_the_command_line_says() -> None:
    code = "import sys; from mplint.__main__ import main; main(); print(sorted({'typer', 'yaml'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, check=True)
    *version, imported = out.stdout.splitlines()
    assert imported == "[]"  # neither the command line's framework nor a data reader
    assert "\n".join(version) + "\n" == CliRunner().invoke(app, ["--version"]).stdout
