"""Generate mplint/data/rules-index.json: the built-in rule files' data, read on every run instead of
parsing the rules/ YAML (the index is used only while its digest is that of the files, so a stale index
costs time, never a wrong rule).

    python scripts/gen_rule_index.py          # write the index
    python scripts/gen_rule_index.py --check  # exit 1 when the index is not of rules/ as it is
"""

from __future__ import annotations

import json
import sys

from mplint.registry import RULE_INDEX, builtin_rules_dir, rule_files, rule_index


def render() -> str:
    return json.dumps(rule_index(rule_files(builtin_rules_dir())), separators=(",", ":"), sort_keys=True) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        current = RULE_INDEX.read_text(encoding="utf-8") if RULE_INDEX.exists() else ""
        if current != text:
            print(f"{RULE_INDEX} is out of date: run python scripts/gen_rule_index.py", file=sys.stderr)
            return 1
        return 0
    RULE_INDEX.write_text(text, encoding="utf-8")
    print(f"wrote {RULE_INDEX}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
