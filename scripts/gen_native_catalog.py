#!/usr/bin/env python3
"""Build mplint/data/aws-native.zip: the native flavour of StackQL's `aws` provider, one member per service.

Source: the pinned extract /work/shared/data/stackql-aws-native.json.gz (checked against SOURCE_SHA256):
every `aws.<service>.<resource>` of the StackQL provider registry at commit 2f6fff53 (2026-08-20) with its
methods, SQL verb buckets, the AWS operation each method calls, request members and their shapes, required
members, response columns and pagination; and `supplements.ec2`, the ec2 service rebuilt from botocore because
the registry snapshot lacked `ec2.yaml`. The registry itself is not reachable from the build environment.

Output members (minified, key-sorted JSON, deflated, fixed timestamps, sorted: reruns are byte-identical):

- ``<service>.json``: ``info`` (serviceName, protocol, url, ...), ``shapes`` (named request shapes, compact
  JSON-Schema-like: ``$ref`` is a shape name) and ``resources.<res>``: ``id``, ``sqlVerbs`` (verb -> method
  names in StackQL's routing order), ``methods`` (as in the source), ``complete`` (the method list is the
  registry's whole list) and ``grouping``:
  ``registry`` (extracted), ``docs`` (ec2 resources read from the provider docs: security_groups, address,
  instances) or ``hint`` (other ec2 resources, grouped by the operation's ``resourceHint`` and put in verb
  buckets by the operation's first word: right for about 75% of query-protocol methods).
- ``_index.json``: service -> its resource names (for suggestions without loading a service).
- ``_iam.json``: the IAM action rule and its exceptions, as in the source.
- ``_meta.json`` (also written beside the zip as aws-native.meta.json): provenance and counts.

Usage: python scripts/gen_native_catalog.py [--source PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pinned_data import zip_info

SOURCE = Path("/work/shared/data/stackql-aws-native.json.gz")
SOURCE_SHA256 = "e0ffd362ff50f6f02f9a6ce30e08db7a50b35541f85f8bcc13c7efe248ecf31d"
FORMAT = "stackql-aws-native/1"
OUT_FORMAT = "mplint-aws-native/1"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "mplint" / "data" / "aws-native.zip"

VERBS = ("select", "insert", "update", "replace", "delete")

# ec2 operations outside the three documented resources: their verb bucket from the operation's first word,
# as the provider generator assigns them (measured on the extracted query-protocol services).
VERB_BY_WORD = {
    "select": ("Describe", "List", "Get", "Search"),
    "insert": ("Create", "Register"),
    "update": ("Modify", "Update", "Set", "Add", "Tag", "Untag", "Attach", "Authorize", "Associate"),
    "replace": ("Put",),
    "delete": ("Delete", "Terminate", "Deregister"),
}
FIRST_WORD_RE = re.compile(r"^[A-Z][a-z]+")


def dumps(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_checked(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != SOURCE_SHA256:
        sys.exit(f"sha256 mismatch for {path}: {actual} != pinned {SOURCE_SHA256}")
    data = json.loads(gzip.decompress(raw))
    if data.get("format") != FORMAT:
        sys.exit(f"{path}: format {data.get('format')!r}, expected {FORMAT!r}")
    return data


# -- ec2 from the supplement -------------------------------------------------------------------------
def verb_of(op: str) -> str | None:
    match = FIRST_WORD_RE.match(op)
    word = match.group(0) if match else ""
    return next((verb for verb, words in VERB_BY_WORD.items() if word in words), None)


def routing_order(methods: dict[str, dict]) -> dict[str, list[str]]:
    """Verb -> method names, most required params first (StackQL's order), then by name."""
    buckets: dict[str, list[str]] = defaultdict(list)
    for name, method in methods.items():
        for verb in method["verbs"]:
            buckets[verb].append(name)
    return {
        verb: sorted(names, key=lambda n: (-len(methods[n]["required"]), n)) for verb, names in sorted(buckets.items())
    }


def method_of(operation: dict, verbs: list[str]) -> dict:
    method = {k: v for k, v in operation.items() if k not in ("method", "resourceHint")}
    method["verbs"] = verbs
    return method


def ec2_service(supplement: dict) -> dict:
    operations: dict[str, dict] = supplement["operations"]
    resources: dict[str, dict] = {}
    placed: set[str] = set()
    for name, documented in sorted(supplement["resources"].items()):
        methods = {}
        for method_name, method in documented["methods"].items():
            merged = dict(method)
            extra = operations.get(method_name, {}).get("awsRequiredExtra")
            if extra and "awsRequiredExtra" not in merged:
                merged["awsRequiredExtra"] = extra
            methods[method_name] = merged
            placed.add(method_name)
        resources[name] = {
            "id": documented["id"],
            "methods": methods,
            "sqlVerbs": documented["sqlVerbs"],
            "complete": bool(documented["complete"]),
            "grouping": "docs",
        }
    hinted: dict[str, dict[str, dict]] = defaultdict(dict)
    for method_name, operation in sorted(operations.items()):
        if method_name in placed:
            continue
        hint = operation["resourceHint"]
        if hint in resources:
            if not resources[hint]["complete"]:  # a documented but partial list: reachable by EXEC
                resources[hint]["methods"][method_name] = method_of(operation, [])
            continue
        verb = verb_of(operation["op"])
        hinted[hint][method_name] = method_of(operation, [verb] if verb else [])
    for hint, methods in sorted(hinted.items()):
        resources[hint] = {
            "id": f"aws.ec2.{hint}",
            "methods": methods,
            "sqlVerbs": routing_order(methods),
            "complete": False,
            "grouping": "hint",
        }
    return {"info": supplement["info"], "resources": resources, "shapes": supplement["shapes"]}


def registry_service(service: dict) -> dict:
    resources = {
        name: {**resource, "complete": True, "grouping": "registry"}
        for name, resource in sorted(service["resources"].items())
    }
    return {"info": service["info"], "resources": resources, "shapes": service["shapes"]}


# -- checks -------------------------------------------------------------------------------------------
def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            out.add(ref)
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def problems(key: str, service: dict) -> list[str]:
    """Broken references and buckets that name no method: the loader relies on neither happening."""
    found: list[str] = []
    refs: set[str] = set()
    _refs(service["resources"], refs)
    _refs(service["shapes"], refs)
    missing = sorted(refs - set(service["shapes"]))
    if missing:
        found.append(f"{key}: unknown shapes {missing[:5]}")
    for name, resource in service["resources"].items():
        for verb, methods in resource["sqlVerbs"].items():
            if verb not in VERBS:
                found.append(f"{key}.{name}: unknown verb {verb!r}")
            for method in methods:
                if method not in resource["methods"]:
                    found.append(f"{key}.{name}: bucket {verb} names unknown method {method}")
    return found


# -- writing ------------------------------------------------------------------------------------------
def build(data: dict[str, Any]) -> tuple[dict[str, dict], dict]:
    services = {key: registry_service(service) for key, service in sorted(data["services"].items())}
    for key, supplement in sorted(data.get("supplements", {}).items()):
        if key != "ec2":
            sys.exit(f"unexpected supplement {key!r}: this script knows how to rebuild ec2 only")
        services[key] = ec2_service(supplement)
    found = [p for key, service in sorted(services.items()) for p in problems(key, service)]
    if found:
        sys.exit("inconsistent source:\n" + "\n".join(found[:20]))
    services = dict(sorted(services.items()))
    resources = sum(len(s["resources"]) for s in services.values())
    methods = sum(len(r["methods"]) for s in services.values() for r in s["resources"].values())
    source = data["source"]
    meta = {
        "format": OUT_FORMAT,
        "source": "stackql-provider-registry",
        "repo": source["repo"],
        "commit": source["commit"],
        "commit_date": source["date"],
        "path": source["path"],
        "extract_sha256": SOURCE_SHA256,
        "supplements": {"ec2": data["supplements"]["ec2"]["provenance"]["operations_from"]},
        "services": len(services),
        "resources": resources,
        "methods": methods,
        "iam_catalog": data["iam"].get("catalog"),
    }
    return services, meta


def write(out: Path, services: dict[str, dict], iam: dict, meta: dict) -> None:
    index = {key: sorted(service["resources"]) for key, service in services.items()}
    tmp = out.with_suffix(".zip.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w", compresslevel=9) as zf:
        zf.writestr(zip_info("_iam.json"), dumps(iam))
        zf.writestr(zip_info("_index.json"), dumps(index))
        zf.writestr(zip_info("_meta.json"), dumps(meta))
        for key, service in services.items():
            zf.writestr(zip_info(f"{key}.json"), dumps(service))
    tmp.replace(out)
    out.with_name(out.name.replace(".zip", ".meta.json")).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data = load_checked(args.source)
    services, meta = build(data)
    write(args.out, services, data["iam"], meta)
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes, {meta['services']} services, "
        f"{meta['resources']} resources, {meta['methods']} methods)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
