"""parliament's prepared database kept in the results cache: the same database as one prepared from
parliament's file, and never read from an entry this user's mplint did not write.

parliament is prepared once per process, so each preparation runs in a child process."""

from __future__ import annotations

import json
import marshal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mplint.cache import Store
from mplint.iam import parliament_db

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"k" * 32

PREPARE = """
    import hashlib, json, sys
    from pathlib import Path
    from mplint.cache import Store
    from mplint.iam import parliament_adapter, parliament_db
    if sys.argv[1]:
        parliament_db.keep_in(Store(Path(sys.argv[1]), "", b"k" * 32))
    info = parliament_adapter.prepare()
    import parliament
    definition = parliament.iam_definition
    shared = all(p["service_resources"] is e["resources"] for e in definition for p in e["privileges"])
    text = json.dumps(definition, sort_keys=True).encode()
    print(json.dumps({
        "read": parliament.iam_definition_path, "digest": hashlib.sha256(text).hexdigest(),
        "info": repr(info), "shared": shared,
    }))
"""


def prepared(folder: Path | None) -> dict:
    """What a fresh process prepares, with the database kept under ``folder`` (None: not kept)."""
    code = textwrap.dedent(PREPARE)
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder or "")], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def fresh() -> dict:
    return prepared(None)


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/parliament-*.marshal"))


def test_a_kept_database_is_the_one_prepared_from_parliaments_file(tmp_path: Path, fresh: dict) -> None:
    first = prepared(tmp_path)
    assert entries(tmp_path) and first["read"].endswith("iam_definition.json")
    second = prepared(tmp_path)
    assert second["read"].endswith("parliament-empty.json")  # parliament's own file was not read
    assert first["digest"] == second["digest"] == fresh["digest"]
    assert first["info"] == second["info"] == fresh["info"]
    assert second["shared"]  # the privileges share their service's lists, as when prepared: no more memory


def test_a_damaged_entry_is_prepared_anew(tmp_path: Path, fresh: dict) -> None:
    prepared(tmp_path)
    (entry,) = entries(tmp_path)
    raw = bytearray(entry.read_bytes())
    raw[-10] ^= 0x01
    entry.write_bytes(bytes(raw))
    again = prepared(tmp_path)
    assert again["read"].endswith("iam_definition.json") and again["digest"] == fresh["digest"]


def test_parliament_never_reads_a_database_planted_in_place_of_the_empty_one(tmp_path: Path, fresh: dict) -> None:
    prepared(tmp_path)
    prepared(tmp_path)
    (empty,) = tmp_path.glob("*/parliament-empty.json")
    empty.write_text(json.dumps([{"prefix": "planted", "service_name": "x", "privileges": []}]))
    again = prepared(tmp_path)
    assert again["digest"] == fresh["digest"]


@pytest.mark.parametrize("body", [b"not marshal", marshal.dumps(5), marshal.dumps(("a", "b", 1, 2))])
def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path: Path, body: bytes) -> None:
    store = Store(tmp_path, "", SECRET)
    source = tmp_path / "iam_definition.json"
    source.write_text("[]")
    parliament_db.save(store, str(source), parliament_db.Prepared([], "v", 0, 0))
    assert parliament_db.load(store, str(source)) == parliament_db.Prepared([], "v", 0, 0)
    (entry,) = entries(tmp_path)
    store.write(entry.name, body)
    assert parliament_db.load(store, str(source)) is None


def test_an_entry_signed_by_another_key_is_never_read(tmp_path: Path, fresh: dict) -> None:
    """As one checked into the repository under review would be: a database of its author's choosing."""
    prepared(tmp_path)
    (entry,) = entries(tmp_path)
    planted = parliament_db.Prepared([{"prefix": "planted", "service_name": "x", "privileges": []}], "v", 0, 0)
    entry.unlink()
    other = Store(tmp_path, "", b"x" * 32)
    other.write(entry.name, marshal.dumps(tuple(planted)))
    again = prepared(tmp_path)
    assert again["read"].endswith("iam_definition.json") and again["digest"] == fresh["digest"]
