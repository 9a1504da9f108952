"""Release readiness: the sdist and the wheel build, each installs into a fresh virtualenv, and the installed
`mplint` lints stacks in a folder outside this checkout with the findings the checkout gives.

To stay offline and take seconds, the fresh virtualenvs get mplint's dependencies from this test environment
(a `.pth` line naming its site-packages; its `.pth` files, this checkout's editable install among them, are not
read) and install the built artifact itself with `--no-deps --no-index`: what is tested is the artifact's own
content (package, bundled data, rules) and its entry point, not the index.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

from mplint import __version__
from mplint.registry import builtin_rules
from tests.conftest import FIXTURES, ROOT


def _hatchling() -> None:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        pytest.skip("hatchling is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    _hatchling()
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)], cwd=ROOT, check=True, capture_output=True
    )
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stacks in a folder that is not this checkout, as a user's repository."""
    repo = tmp_path_factory.mktemp("user-repo")
    shutil.copytree(FIXTURES / "seed", repo / "stacks" / "seed")
    shutil.copytree(FIXTURES / "valid" / "model-package-stack", repo / "stacks" / "churn")
    (repo / ".git").mkdir()
    return repo


def _install(artifact: Path, venv: Path) -> Path:
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # this environment's pip, installing into the fresh one (pip's --python): no pip of its own to bootstrap
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run([*pip, "--no-build-isolation", str(artifact)], check=True, capture_output=True, text=True)
    return venv / "bin" / "mplint"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_installed_artifact_lints_stacks_outside_the_checkout(kind: str, dist, outside, tmp_path: Path) -> None:
    mplint = _install(dist[kind], tmp_path / "venv")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(mplint), *args], cwd=outside, capture_output=True, text=True, timeout=120)

    where = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), "-c", "import mplint; print(mplint.__file__)"],
        cwd=outside, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(tmp_path / "venv")), f"mplint imported from {where}"
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith(f"mplint {__version__}\nresource schemas: ")
    rules = run("rules")
    assert len(rules.stdout.splitlines()) == len(builtin_rules())
    seed = run("lint", "stacks/seed", "-f", "json")
    assert seed.returncode == 1, seed.stderr
    doc = json.loads(seed.stdout)
    assert len(doc["findings"]) == 98 and {f["path"] for f in doc["findings"]} == {"stacks/seed/stackql_manifest.yml"}
    clean = run("lint", "stacks/churn")
    assert clean.returncode == 0 and clean.stdout == "No findings in 2 files.\n", clean.stdout + clean.stderr


def test_sdist_holds_what_a_build_from_a_tag_needs(dist) -> None:
    with tarfile.open(dist["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for wanted in ("pyproject.toml", "README.md", "CHANGELOG.md", "rules/MPL201.yaml", "action.yml",
                   "action/requirements.txt", ".pre-commit-hooks.yaml", "mplint/data"):  # fmt: skip
        assert any(n == wanted or n.startswith(wanted + "/") for n in names), wanted
