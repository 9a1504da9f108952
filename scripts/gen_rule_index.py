"""Generate mplint/data/rules-index.json: the built-in rule files' data, read on every run instead of
parsing the rules/ YAML (the index is used only while its digest is that of the files, so a stale index
costs time, never a wrong rule).

    python scripts/gen_rule_index.py          # write the index
    python scripts/gen_rule_index.py --check  # exit 1 when the index is not of rules/ as it is
"""

from __future__ import annotations

import json
import sys

from generated_text import write_or_check

from mplint.registry import RULE_INDEX, builtin_rules_dir, rule_files, rule_index


def render() -> str:
    return json.dumps(rule_index(rule_files(builtin_rules_dir())), separators=(",", ":"), sort_keys=True) + "\n"


def main() -> int:
    return write_or_check(RULE_INDEX, render(), sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
