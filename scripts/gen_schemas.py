#!/usr/bin/env python3
"""Build mplint/data/schemas.zip from the CloudFormation resource schemas bundled in cfn-lint.

Source: the PINNED wheel cfn-lint==1.58.0 (MIT-0 schemas), fetched with
``pip download --no-deps`` and checked against WHEEL_SHA256. Inside the wheel,
``cfnlint/data/schemas/providers/us-east-1.json`` maps each type name to a content
hash; the schema itself is shared across regions in ``cfnlint/data/schemas/resources/<hash>.json``.

Output: one deflated, minified, key-sorted JSON member per type (``AWS--SageMaker--ModelPackage.json``)
plus ``_meta.json``. Members are written in sorted order with a fixed timestamp, so reruns are
byte-identical. Schemas are kept whole: nested ``description`` text is a third of the compressed
size (about 0.95 of 2.8 MB) but feeds finding messages, and everything else is small.

Usage: python scripts/gen_schemas.py [--wheel PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
DEFAULT_OUT = ROOT / "mplint" / "data" / "schemas.zip"
REFERENCE = Path("/work/shared/data/aws-sagemaker-modelpackage.schema.json")
REFERENCE_TYPE = "AWS::SageMaker::ModelPackage"

META_MEMBER = "_meta.json"


def member_name(type_name: str) -> str:
    return type_name.replace("::", "--") + ".json"


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


def write_zip(out: Path, schemas: dict[str, dict], meta: dict) -> None:
    tmp = out.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compresslevel=9) as zf:
        zf.writestr(zip_info(META_MEMBER), dumps(meta))
        for type_name in sorted(schemas):
            zf.writestr(zip_info(member_name(type_name)), dumps(schemas[type_name]))
    tmp.replace(out)


def check_reference(out: Path) -> None:
    """The ModelPackage member must equal the shared reference copy on every key we keep."""
    if not REFERENCE.exists():
        print(f"note: {REFERENCE} not found, reference check skipped")
        return
    with zipfile.ZipFile(out) as zf:
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
    out.parent.mkdir(parents=True, exist_ok=True)
    write_zip(out, schemas, meta)
    # the same provenance beside the zip, so that `mplint --version` need not open the archive
    out.with_name(out.name.replace(".zip", ".meta.json")).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
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
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, {meta['types']} types)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
