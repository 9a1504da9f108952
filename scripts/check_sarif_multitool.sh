#!/usr/bin/env bash
# Validate mplint's SARIF for every fixture stack with Microsoft's SARIF Multitool (npm
# @microsoft/sarif-multitool), with the GitHub rule kinds ("Sarif;Gh") and the Azure DevOps ones ("Sarif;Ado"):
# exit 1 on any error or warning, 2 when mplint or the Multitool fails, 3 when the Multitool cannot be installed
# (no npm registry).
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

mkdir -p "$work/gh" "$work/ado"
# every fixture stack with the options of its fixture.yaml (policies, engine, ...), as the test suite lints it:
# as uploaded to GitHub (no automationDetails unless asked), and as written in an Azure pipeline
"$python" - "$work" <<'PY' || { echo "mplint failed on the fixtures" >&2; exit 2; }
import sys
from pathlib import Path

sys.path.insert(0, ".")
from tests.conftest import FIXTURES, ROOT, fixture_stacks  # noqa: E402
from tests.test_fixtures import lint_fixture  # noqa: E402

out = Path(sys.argv[1])
pipeline = {  # what mplint.ci_env.azure_pipeline reads from an Azure Pipelines job's variables
    "organization": "contoso", "project": "11111111-1111-1111-1111-111111111111", "definition_id": "42",
    "definition_name": "infra", "build_id": "1001", "phase_id": "22222222-2222-2222-2222-222222222222",
    "phase_name": "lint", "branch": "refs/heads/main",
}
for stack in fixture_stacks():
    name = stack.relative_to(ROOT).as_posix().replace("/", "_")
    outcome = lint_fixture(stack)
    (out / "gh" / f"{name}.sarif").write_text(outcome.render("sarif", {}), encoding="utf-8")
    ado = outcome.render("sarif", {"category": f"mplint/{name}", "azure_pipeline": pipeline})
    (out / "ado" / f"{name}.sarif").write_text(ado, encoding="utf-8")
clean = lint_fixture(FIXTURES / "valid" / "model-package-stack")
(out / "gh" / "category.sarif").write_text(clean.render("sarif", {"category": "mplint/fixtures"}), encoding="utf-8")
included = clean.render("sarif", {"sarif_suppressed": "include"})
(out / "gh" / "suppressed-included.sarif").write_text(included, encoding="utf-8")
PY

status=0
for kinds in "Sarif;Gh:gh" "Sarif;Ado:ado"; do
  kind="${kinds%%:*}"
  dir="$work/${kinds##*:}"
  count="$(find "$dir" -name '*.sarif' | wc -l | tr -d ' ')"
  # one Multitool run over all the files of a kind: it takes seconds to start
  DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$tool" validate "$dir"/*.sarif --output "$dir.out" \
    --log ForceOverwrite --rule-kind "$kind" --level "Error;Warning" >"$dir.txt" 2>&1 || true
  if [ ! -s "$dir.out" ]; then
    cat "$dir.txt" >&2
    echo "the Multitool wrote no output log for $kind" >&2
    exit 2
  fi
  "$python" - "$dir.out" "$count" "$kind" <<'PY' || status=1
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
    print(f"SARIF Multitool ({sys.argv[3]}, Error;Warning): {sys.argv[2]} files, no errors or warnings")
sys.exit(1 if problems else 0)
PY
done
exit "$status"
