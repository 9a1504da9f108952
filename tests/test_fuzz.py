"""Property-based fuzzing: real manifests, query files, policies and configurations from fixtures/ and
../shared/corpus/, mutated (byte flips, line deletions, key renames, type swaps, truncation), linted
in-process beside an untouched stack. The lint never raises (a configuration may be refused with a
one-line error), always returns, and keeps every finding of the untouched stack.

A few derandomized examples per kind here; `python scripts/fuzz.py` is the long run, with thousands.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mplint.app import LintOptions, UsageError, lint_paths
from mplint.config import ConfigError
from mplint.registry import RuleFileError
from tests.conftest import FIXTURES, SHARED

UNTOUCHED = FIXTURES / "core/schema-values"
VALID = FIXTURES / "valid/model-package-stack"
QUERY_NAME = "churn_model_package.iql"
GUARD_SECONDS = 60


def _seeds(kind: str) -> list[Path]:
    """Real files of one kind: the fixtures' and, when ../shared is there, a sample of the corpus'."""
    corpus = SHARED / "corpus"
    found: list[Path] = []
    if kind == "manifest":
        found = sorted(FIXTURES.rglob("stackql_manifest.yml")) + sorted(corpus.rglob("stackql_manifest.yml"))
    elif kind == "query":
        found = sorted(FIXTURES.rglob("*.iql")) + sorted(corpus.rglob("*.iql"))[::8]
    elif kind == "policy":
        own = [p for p in FIXTURES.rglob("*.json") if ".mplint_cache" not in p.parts]  # not a run's cached results
        found = sorted(own) + sorted((corpus / "iam").rglob("*.json"))[::80]
    elif kind == "config":
        found = sorted(FIXTURES.rglob("mplint.yaml")) + sorted(FIXTURES.rglob(".mplint.yaml"))
    return [p for p in found if p.is_file() and p.stat().st_size < 200_000]


SEEDS = {kind: _seeds(kind) for kind in ("manifest", "query", "policy", "config")}
SWAPS = ("[", "{", "]", "}", "1", "-1.5e999", "null", "true", '"x"', "&a", "*a", "!!python/none", "{{", "'", "\\ud800")


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    data = draw(st.sampled_from(SEEDS[kind])).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return data


def _flip(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]


def _delete_line(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    del lines[draw(st.integers(0, len(lines) - 1))]
    return b"\n".join(lines)


def _edit_line(draw: st.DrawFn, data: bytes, sep: bytes, edit: Callable[[bytes, bytes], bytes]) -> bytes:
    """One line, split at its first ``sep``, rewritten by ``edit(head, tail)``; a line without it is kept."""
    lines = data.split(b"\n")
    at = draw(st.integers(0, len(lines) - 1))
    head, found, tail = lines[at].partition(sep)
    if found:
        lines[at] = edit(head, tail)
    return b"\n".join(lines)


def _rename_key(draw: st.DrawFn, data: bytes) -> bytes:
    def rename(head: bytes, tail: bytes) -> bytes:
        word = draw(st.text("abcdefghijklmnopqrstuvwxyz_<>&*!", min_size=1, max_size=12)).encode()
        return head[: len(head) - len(head.lstrip())] + word + b":" + tail

    return _edit_line(draw, data, b":", rename)


def _swap_type(draw: st.DrawFn, data: bytes) -> bytes:
    return _edit_line(draw, data, b": ", lambda head, _: head + b": " + draw(st.sampled_from(SWAPS)).encode())


def _truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _repeat(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    at = draw(st.integers(0, len(lines) - 1))
    return b"\n".join(lines[: at + 1] + [lines[at]] * draw(st.integers(1, 50)) + lines[at + 1 :])


MUTATIONS: tuple[Callable[[st.DrawFn, bytes], bytes], ...] = (
    _flip, _delete_line, _rename_key, _swap_type, _truncate, _repeat,
)  # fmt: skip


def _place(kind: str, data: bytes, root: Path) -> list[Path]:
    """Write the mutated file where its kind is read; the paths to lint beside the untouched stack."""
    fuzz = root / "fuzz"
    if kind == "policy":
        fuzz.mkdir()
        (fuzz / "policy.json").write_bytes(data)
        return [fuzz / "policy.json"]
    shutil.copytree(VALID, fuzz)
    target = {"manifest": "stackql_manifest.yml", "query": f"resources/{QUERY_NAME}", "config": ".mplint.yaml"}
    (fuzz / target[kind]).write_bytes(data)
    return [fuzz]


def lint(paths: list[Path], root: Path):
    def alarm(signum, frame):
        raise TimeoutError(f"no answer in {GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm) if hasattr(signal, "SIGALRM") else None
    if previous is not None:
        signal.alarm(GUARD_SECONDS)
    try:
        return lint_paths(LintOptions(paths=paths, base=root))
    finally:
        if previous is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


def good_findings(outcome) -> set[tuple]:
    return {
        (f.rule_id, f.span.line, f.span.col, f.message)
        for f in outcome.result.findings
        if f.span.path.startswith("good/")
    }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> set[tuple]:
    root = tmp_path_factory.mktemp("fuzz-baseline")
    shutil.copytree(UNTOUCHED, root / "good")
    found = good_findings(lint([root / "good"], root))
    assert found, "the untouched stack has findings to lose"
    return found


def check_example(kind: str, data: bytes, root: Path, baseline: set[tuple]) -> None:
    """The property for one mutated file, linted under ``root`` beside a copy of the untouched stack."""
    shutil.copytree(UNTOUCHED, root / "good")
    paths = [root / "good", *_place(kind, data, root)]
    try:
        outcome = lint(paths, root)
    except (ConfigError, UsageError, RuleFileError) as exc:
        assert kind == "config", f"{type(exc).__name__}: {exc}"
        assert "\n" not in str(exc).strip()
        return
    assert not outcome.result.crashed, [n.message for n in outcome.result.crashed]
    missing = baseline - good_findings(outcome)
    assert not missing, sorted(missing)[:3]


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_mutated_input_never_breaks_the_run(kind: str, baseline: set[tuple], tmp_path_factory) -> None:
    if not SEEDS[kind]:
        pytest.skip(f"no {kind} seeds")

    @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(data=mutated(kind))
    def check(data: bytes) -> None:
        check_example(kind, data, tmp_path_factory.mktemp(f"fuzz-{kind}"), baseline)

    check()
