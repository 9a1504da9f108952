#!/usr/bin/env python3
"""Write mplint/data/stackql-cfn-types.json: StackQL resource name -> CloudFormation type.

The upstream StackQL provider registry (stackql/stackql-provider-registry) is NOT reachable from
the build environment, so this script does not fetch it. It copies the pinned extraction in
/work/shared/data/stackql-cfn-types.json (``x-cfn-type-name`` of every resource: ``awscc.*`` at the
registry head, 2026-08, and ``aws.*`` at commit 8b3f0f91, 2025-02), checked against SOURCE_SHA256.
The ``*_list_only`` and ``*_tags`` view resources are kept exactly as in the source.

Usage: python scripts/gen_type_map.py [--source PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

SOURCE = Path("/work/shared/data/stackql-cfn-types.json")
SOURCE_SHA256 = "75675c05a590cc3cf2a12c74ae61161c18b38c870738475db13a4a19f7f55a9d"
EXPECTED_ENTRIES = 5231

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "mplint" / "data" / "stackql-cfn-types.json"

NAME_RE = re.compile(r"(aws|awscc)\.[a-z0-9_]+\.[a-z0-9_]+")
TYPE_RE = re.compile(r"[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+")


def load_checked(path: Path) -> dict[str, str]:
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != SOURCE_SHA256:
        sys.exit(f"sha256 mismatch for {path}: {actual} != pinned {SOURCE_SHA256}")
    data = json.loads(raw)
    bad = [k for k, v in data.items() if not NAME_RE.fullmatch(k) or not TYPE_RE.fullmatch(str(v))]
    if bad or len(data) != EXPECTED_ENTRIES:
        sys.exit(f"unexpected content: {len(data)} entries, malformed: {bad[:5]}")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data = load_checked(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(data)} entries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
