"""What the generators of bundled data from a pinned package share: the sha256 gate, the deterministic gzip,
the --output/--check/--accept-sha256 options, writing the data with the `.meta.json` `mplint --version`
reads, and zip members that do not depend on when or where they were written."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def zip_info(name: str) -> zipfile.ZipInfo:
    """A deflated member with a fixed date, system and mode: the same data always gives the same archive."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def add_options(parser: argparse.ArgumentParser, output: Path) -> None:
    parser.add_argument("--output", type=Path, default=output)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the output would change")
    parser.add_argument("--accept-sha256", action="store_true", help="warn instead of failing on a sha256 mismatch")


def check_digest(name: str, digest: str, pinned: str, accept: bool) -> None:
    """Stop on a download that is not the pinned one, unless accepted (after reviewing a version bump)."""
    if digest != pinned:
        message = f"{name}: sha256 {digest}, pinned {pinned}"
        if not accept:
            raise SystemExit(message + " (use --accept-sha256 after reviewing a version bump)")
        print(message, file=sys.stderr)


def serialise(data: dict[str, Any]) -> bytes:
    """Compact JSON with sorted keys, gzip with mtime 0: the same source always gives the same bytes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def write_or_check(data: bytes, output: Path, check: bool, label: str) -> int:
    """With ``check``, 1 when ``output`` would change; else write it and its `.meta.json` (the data's `source`)."""
    current = output.read_bytes() if output.exists() else b""
    if check:
        stale = data != current
        print(f"{output}: {'stale' if stale else 'up to date'}")
        return int(stale)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    meta = json.loads(gzip.decompress(data))["source"]
    meta_path = output.with_name(output.name.replace(".json.gz", ".meta.json"))
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")  # read by `mplint --version`
    print(f"wrote {output} ({len(data):,} bytes, {label})")
    return 0
