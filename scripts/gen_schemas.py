#!/usr/bin/env python3
"""Build mplint/data/schemas/ from the CloudFormation resource schemas bundled in cfn-lint.

Source: the PINNED wheel cfn-lint==1.58.0 (MIT-0 schemas), fetched with
``pip download --no-deps`` and checked against WHEEL_SHA256. Inside the wheel,
``cfnlint/data/schemas/providers/us-east-1.json`` maps each type name to a content
hash; the schema itself is shared across regions in ``cfnlint/data/schemas/resources/<hash>.json``.

Output: one zip per service (``AWS--SageMaker.zip``), holding one deflated, minified, key-sorted JSON
member per type (``AWS--SageMaker--ModelPackage.json``); the provenance in ``schemas.meta.json`` beside
the folder. Members are written in sorted order with a fixed timestamp, so reruns are byte-identical.
One archive per service, not one for all: opening an archive reads its whole central directory, and a
lint reads the types of a few services. Schemas are kept whole: nested ``description`` text is a third of the compressed
size (about 0.95 of 2.8 MB) but feeds finding messages, and everything else is small.

Usage: python scripts/gen_schemas.py [--wheel PATH] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pinned_data import zip_info

PACKAGE = "cfn-lint"
VERSION = "1.58.0"
WHEEL_NAME = "cfn_lint-1.58.0-py3-none-any.whl"
WHEEL_SHA256 = "9d9f06043160756a6158f5c3f92a44ce38254b1c578127461608305bc8262987"
REGION = "us-east-1"
INDEX_PATH = f"cfnlint/data/schemas/providers/{REGION}.json"
RESOURCES_DIR = "cfnlint/data/schemas/resources/"
VERSION_PATH = "cfnlint/data/schemas/version.json"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "mplint" / "data" / "schemas"
REFERENCE = Path("/work/shared/data/aws-sagemaker-modelpackage.schema.json")
REFERENCE_TYPE = "AWS::SageMaker::ModelPackage"


def member_name(type_name: str) -> str:
    return type_name.replace("::", "--") + ".json"


def archive_name(type_name: str) -> str:
    vendor, service, _ = type_name.split("::")
    return f"{vendor}--{service}.zip"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        f"{PACKAGE}=={VERSION}",
        "-d",
        str(dest),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return dest / WHEEL_NAME


def checked_wheel(path: Path) -> Path:
    actual = sha256_of(path)
    if actual != WHEEL_SHA256:
        sys.exit(f"sha256 mismatch for {path}: {actual} != pinned {WHEEL_SHA256}")
    return path


def dumps(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read_schemas(wheel: zipfile.ZipFile) -> dict[str, dict]:
    """Resolve the region index (type -> content hash) to the shared schema files."""
    index = json.loads(wheel.read(INDEX_PATH))
    schemas: dict[str, dict] = {}
    for type_name, ref in sorted(index.items()):
        if not isinstance(ref, str):
            raise ValueError(f"{type_name}: unexpected index entry {ref!r}")
        schema = json.loads(wheel.read(f"{RESOURCES_DIR}{ref}.json"))
        if schema.get("typeName") != type_name:
            raise ValueError(f"{type_name}: {ref}.json has typeName {schema.get('typeName')!r}")
        schemas[type_name] = schema
    return schemas


def write_archives(out: Path, schemas: dict[str, dict]) -> None:
    """Written into a new folder that then takes the place of the old one: no archive of a service that is
    gone stays behind, and a failed run leaves the old folder whole."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    by_archive: dict[str, list[str]] = {}
    for type_name in sorted(schemas):
        by_archive.setdefault(archive_name(type_name), []).append(type_name)
    for name, type_names in by_archive.items():
        with zipfile.ZipFile(tmp / name, "w", compresslevel=9) as zf:
            for type_name in type_names:
                zf.writestr(zip_info(member_name(type_name)), dumps(schemas[type_name]))
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)


def check_reference(out: Path) -> None:
    """The ModelPackage member must equal the shared reference copy on every key we keep."""
    if not REFERENCE.exists():
        print(f"note: {REFERENCE} not found, reference check skipped")
        return
    with zipfile.ZipFile(out / archive_name(REFERENCE_TYPE)) as zf:
        got = json.loads(zf.read(member_name(REFERENCE_TYPE)))
    want = json.loads(REFERENCE.read_text(encoding="utf-8"))
    diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    if diff:
        sys.exit(f"{REFERENCE_TYPE} differs from {REFERENCE} on keys {diff}")


def build(wheel_path: Path, out: Path) -> dict:
    with zipfile.ZipFile(wheel_path) as wheel:
        schemas = read_schemas(wheel)
        schema_date = json.loads(wheel.read(VERSION_PATH)).get("schema_date")
    meta = {
        "source": PACKAGE,
        "version": VERSION,
        "sha256": WHEEL_SHA256,
        "region": REGION,
        "schema_date": schema_date,
        "types": len(schemas),
    }
    write_archives(out, schemas)
    out.with_name(out.name + ".meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    check_reference(out)
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"use an already downloaded {WHEEL_NAME}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = checked_wheel(args.wheel or fetch_wheel(Path(tmp)))
        meta = build(wheel_path, args.out)
    archives = sorted(args.out.glob("*.zip"))
    size = sum(path.stat().st_size for path in archives)
    print(f"wrote {args.out} ({len(archives)} archives, {size} bytes, {meta['types']} types)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
