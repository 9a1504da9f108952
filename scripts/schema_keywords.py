#!/usr/bin/env python3
"""Census of the bundled resource schemas: every keyword and format string, with counts and what handles it.

    python scripts/schema_keywords.py [--schemas mplint/data/schemas]

Prints one line per keyword (uses, types, treatment) and per `format` (uses, types, checked or why not),
then the keywords and formats nothing handles; exits 1 when there is one. tests/test_schema_keywords.py
runs the same census, so a regenerated bundle that brings a new keyword fails the tests.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mplint.catalog import formats  # noqa: E402
from mplint.catalog.schemas import RESOURCE_KEYS, SCHEMAS_DIR, SchemaCatalog  # noqa: E402
from mplint.catalog.validator import KEYWORDS, SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_ONE  # noqa: E402


@dataclass
class Census:
    keywords: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    resource_keys: Counter = field(default_factory=Counter)
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def unhandled_keywords(self) -> list[str]:
        return sorted(k for k in self.keywords if k not in KEYWORDS)

    def unhandled_resource_keys(self) -> list[str]:
        return sorted(k for k in self.resource_keys if k not in RESOURCE_KEYS and k not in KEYWORDS)

    def unhandled_formats(self) -> list[str]:
        known = {*formats.FORMATS, *formats.LIST_FORMATS, *formats.UNCHECKED_FORMATS}
        return sorted(f for f in self.formats if f not in known)


def subschemas(node: dict) -> Iterator[Any]:
    for key, value in node.items():
        if key in SCHEMA_MAPS and isinstance(value, dict):
            yield from value.values()
        elif key in SCHEMA_LISTS and isinstance(value, list):
            yield from value
        elif key in SCHEMA_ONE and isinstance(value, dict):
            yield value


def walk(node: Any, type_name: str, census: Census) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        census.keywords[key] += 1
        census.types[key].add(type_name)
        if key == "format" and isinstance(value, str):
            census.formats[value] += 1
            census.types["format:" + value].add(type_name)
    for sub in subschemas(node):
        walk(sub, type_name, census)


def take_census(catalog: SchemaCatalog) -> Census:
    census = Census()
    for type_name in catalog.type_names():
        schema = catalog.schema(type_name) or {}
        for key in schema:
            census.resource_keys[key] += 1
        walk({k: v for k, v in schema.items() if k in KEYWORDS}, type_name, census)
    return census


def format_treatment(name: str) -> str:
    if name in formats.FORMATS:
        return "checked: " + formats.label(name)
    if name in formats.LIST_FORMATS:
        return f"checked: each item as {formats.LIST_FORMATS[name]}"
    return "not checked: " + formats.UNCHECKED_FORMATS.get(name, "NOTHING HANDLES IT")


def report(census: Census) -> list[str]:
    lines = ["keyword                         uses  types  treatment"]
    for key, uses in census.keywords.most_common():
        lines.append(f"{key:30} {uses:5} {len(census.types[key]):6}  {KEYWORDS.get(key, 'NOTHING HANDLES IT')}")
    lines += ["", "resource key                    types  treatment"]
    for key, uses in census.resource_keys.most_common():
        treatment = RESOURCE_KEYS.get(key) or ("validation keyword" if key in KEYWORDS else "NOTHING HANDLES IT")
        lines.append(f"{key:30} {uses:6}  {treatment}")
    lines += ["", "format                                  uses  types  treatment"]
    for name, uses in census.formats.most_common():
        lines.append(f"{name[:38]:38} {uses:5} {len(census.types['format:' + name]):6}  {format_treatment(name)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=SCHEMAS_DIR, help="the folder of archives")
    args = parser.parse_args(argv)
    census = take_census(SchemaCatalog(args.schemas))
    print("\n".join(report(census)))
    missing = census.unhandled_keywords() + census.unhandled_resource_keys() + census.unhandled_formats()
    if missing:
        print(f"\nnothing handles: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
