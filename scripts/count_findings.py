#!/usr/bin/env python3
"""Count the findings of a JSON report by rule and by level, and measure their messages.

    mplint lint ../shared/corpus/iam/aws-managed/iamtrail/documents/*.json -f json | python scripts/count_findings.py

Reads `mplint lint -f json` output on standard input (or from the files named), so that two versions of
mplint can be compared on the same inputs.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(args: list[str]) -> int:
    reports = [json.loads(Path(a).read_text(encoding="utf-8")) for a in args] if args else [json.load(sys.stdin)]
    findings = [f for report in reports for f in report["findings"]]
    by_rule = Counter((f["rule"], f["level"]) for f in findings)
    by_level = Counter(f["level"] for f in findings)
    files = {f["path"] for f in findings}
    print(f"{len(findings)} findings in {len(files)} files; " + ", ".join(f"{n} {lv}" for lv, n in by_level.items()))
    for (rule, level), count in sorted(by_rule.items()):
        print(f"  {rule} {level:<7} {count:>6}")
    lengths = [len(f["message"]) for f in findings] or [0]
    print(f"longest message: {max(lengths)} characters; {sum(n >= 200 for n in lengths)} of 200 or more")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
