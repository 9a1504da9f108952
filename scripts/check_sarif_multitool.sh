#!/usr/bin/env bash
# Validate mplint's SARIF for every fixture stack with Microsoft's SARIF Multitool (npm
# @microsoft/sarif-multitool, rule kinds "Sarif;Gh"): exit 1 on any error or warning, 2 when mplint or the
# Multitool fails, 3 when the Multitool cannot be installed (no npm registry).
#
#   scripts/check_sarif_multitool.sh [MULTITOOL_VERSION]
#
# The Multitool always exits 0, so its output log is read instead. It silently skips a file with an
# invalid enum value: the pytest suite validates the same reports against the schema first.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.7.0}"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! (cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "@microsoft/sarif-multitool@$version" >/dev/null); then
  echo "cannot install @microsoft/sarif-multitool@$version from npm" >&2
  exit 3
fi
tool="$work/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ ! -f "$tool" ]; then
  echo "no Linux Multitool binary at $tool" >&2
  exit 3
fi
chmod u+x "$tool"  # its postinstall script does this, and npm may not run install scripts

mkdir -p "$work/sarif"
# every fixture stack with the options of its fixture.yaml (policies, engine, ...), as the test suite lints it
"$python" - "$work/sarif" <<'PY' || { echo "mplint failed on the fixtures" >&2; exit 2; }
import sys
from pathlib import Path

sys.path.insert(0, ".")
from tests.conftest import FIXTURES, ROOT, fixture_stacks  # noqa: E402
from tests.test_fixtures import lint_fixture  # noqa: E402

out = Path(sys.argv[1])
for stack in fixture_stacks():
    name = stack.relative_to(ROOT).as_posix().replace("/", "_")
    (out / f"{name}.sarif").write_text(lint_fixture(stack).render("sarif", {}), encoding="utf-8")
clean = lint_fixture(FIXTURES / "valid" / "model-package-stack")
(out / "category.sarif").write_text(clean.render("sarif", {"category": "mplint/fixtures"}), encoding="utf-8")
PY
count="$(find "$work/sarif" -name '*.sarif' | wc -l)"

# one Multitool run over all the files: it takes seconds to start
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$tool" validate "$work"/sarif/*.sarif --output "$work/out.sarif" \
  --log ForceOverwrite --rule-kind "Sarif;Gh" --level "Error;Warning" >"$work/multitool.txt" 2>&1 || true
if [ ! -s "$work/out.sarif" ]; then
  cat "$work/multitool.txt" >&2
  echo "the Multitool wrote no output log" >&2
  exit 2
fi

"$python" - "$work/out.sarif" "$count" <<'PY'
import json
import sys

log = json.load(open(sys.argv[1], encoding="utf-8"))
problems = []
for run in log["runs"]:
    for result in run.get("results", []):
        level = result.get("level", "warning")
        if level in ("error", "warning"):
            uri = result.get("locations", [{}])[0].get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            detail = result["message"].get("arguments") or result["message"].get("text")
            problems.append(f"{uri}: {result['ruleId']} {level}: {detail}")
    for invocation in run.get("invocations", []):
        for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
            problems += [f"multitool: {n['message'].get('text')}" for n in invocation.get(key, [])]
for problem in problems:
    print(problem)
if not problems:
    print(f"SARIF Multitool (Sarif;Gh, Error;Warning): {sys.argv[2]} files, no errors or warnings")
sys.exit(1 if problems else 0)
PY
