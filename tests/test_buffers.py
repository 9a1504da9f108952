"""Unsaved editor buffers stand in for files on disk when a project is loaded."""

from __future__ import annotations

from pathlib import Path

from mplint.config import Config
from mplint.discovery import classify
from mplint.project import load_project
from mplint.source import Buffers

MANIFEST = """version: 1
name: demo
providers: [awscc]
resources:
  - name: bucket
    props:
      - name: BucketName
        value: on-disk
"""


def _stack(tmp_path: Path) -> Path:
    (tmp_path / "resources").mkdir()
    manifest = tmp_path / "stackql_manifest.yml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    return manifest


def test_a_buffer_is_read_instead_of_the_file(tmp_path: Path) -> None:
    manifest = _stack(tmp_path)
    buffers = Buffers({manifest: MANIFEST.replace("on-disk", "in-the-editor")})
    project = load_project([manifest], Config(), tmp_path, buffers)
    prop = project.stacks[0].manifest.resources[0].props[0]
    assert prop.value.value == "in-the-editor"
    assert manifest.read_text(encoding="utf-8") == MANIFEST  # the file is never written


def test_a_query_file_only_in_a_buffer_belongs_to_its_stack(tmp_path: Path) -> None:
    _stack(tmp_path)
    query = tmp_path / "resources" / "bucket.iql"
    buffers = Buffers({query: "/*+ exists */\nSELECT count(*) as count FROM awscc.s3.buckets_list_only;\n"})
    project = load_project([query], Config(), tmp_path, buffers)
    assert [s.path for s in project.stacks] == ["stackql_manifest.yml"]
    assert [a.key for a in project.stacks[0].queries[0].anchors] == ["exists"]
    assert not query.exists()


def test_a_buffer_is_found_under_another_spelling_of_its_path(tmp_path: Path) -> None:
    manifest = _stack(tmp_path)
    buffers = Buffers({manifest: MANIFEST.replace("on-disk", "edited")})
    project = load_project([tmp_path / "resources" / ".." / "stackql_manifest.yml"], Config(), tmp_path, buffers)
    assert project.stacks[0].manifest.resources[0].props[0].value.value == "edited"


def test_a_buffer_decides_what_kind_of_file_it_is(tmp_path: Path) -> None:
    path = tmp_path / "deploy.json"
    path.write_text("{}", encoding="utf-8")
    assert classify(path) == "other"
    assert classify(path, Buffers({path: '{"Version": "2012-10-17", "Statement": []}'})) == "policy"


def test_a_buffer_is_normalised_and_limited_like_a_file(tmp_path: Path) -> None:
    manifest = _stack(tmp_path)
    buffers = Buffers({manifest: "\ufeff" + MANIFEST.replace("\n", "\r\n")})
    project = load_project([manifest], Config(), tmp_path, buffers)
    assert project.sources["stackql_manifest.yml"].text == MANIFEST
    buffers.set(manifest, "name: x\x00\n")
    project = load_project([manifest], Config(), tmp_path, buffers)
    assert [(p.rule_id, p.message) for p in project.problems] == [("MPL001", "file holds NUL bytes: not a text file")]


def test_a_buffer_is_held_to_the_size_limit_and_its_lone_cr_end_lines(tmp_path: Path) -> None:
    from mplint.limits import Limits

    manifest = _stack(tmp_path)
    config = Config(limits=Limits(file_bytes=len(MANIFEST.encode()) + 10))
    buffers = Buffers({manifest: MANIFEST.replace("on-disk", "é" * 20)})  # 20 characters, 40 bytes
    project = load_project([manifest], config, tmp_path, buffers)
    assert [(p.rule_id, p.span.path) for p in project.problems] == [("MPL005", "stackql_manifest.yml")]
    assert project.stacks == []
    buffers.set(manifest, MANIFEST.replace("\n", "\r"))
    project = load_project([manifest], config, tmp_path, buffers)
    assert project.sources["stackql_manifest.yml"].text == MANIFEST
