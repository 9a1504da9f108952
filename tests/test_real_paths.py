"""RealPaths answers as the resolver it memoises would, for plain files, links, `..` and paths that do not
exist: it only saves the folders' lookups."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mplint.batch import resolved_path
from mplint.files import RealPaths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.json").write_text("{}")
    (tmp_path / "real" / "sub").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "to-a.json").symlink_to("a.json")
    (tmp_path / "real" / "up.json").symlink_to("../real/sub/../a.json")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "real" / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    return tmp_path


NAMES = [
    "real/a.json",
    "linked/a.json",
    "linked/to-a.json",
    "real/up.json",
    "linked/sub/../a.json",
    "real/sub/../../linked/a.json",
    "real/missing.json",
    "missing/folder/x.json",
    "loop/x.json",
    "loop",
    "real/dangling.json",
    "real/.",
    "real/..",
]


@pytest.mark.parametrize(
    "resolve", [resolved_path, lambda p: Path(os.path.realpath(p))], ids=["resolved_path", "realpath"]
)
def test_every_answer_is_the_resolvers_own(tree: Path, resolve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    real = RealPaths(resolve)
    for name in NAMES * 2:  # the second time from the remembered folders
        for path in (tree / name, Path(name)):
            assert real(path) == resolve(path), path
