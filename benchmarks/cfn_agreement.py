"""Agreement with cfn-lint on resource values: CloudFormation templates, each resource linted by both.

    python benchmarks/cfn_agreement.py [--cfn-lint PATH] [--templates DIR] [--show]

Each resource of the templates in benchmarks/cfn_agreement/ becomes a stack without query files whose
one resource is typed inline (`# mplint: type=AWS::...`) and whose props are the resource's properties;
mplint lints the stacks, cfn-lint (installed apart, e.g. `pip install cfn-lint==1.58.0` in its own venv,
given with --cfn-lint) lints the templates in the same region. Findings are compared as (resource, kind,
top-level property), over the kinds both tools check; the figure is the share of findings both make,
and every finding only one of them makes is listed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mplint.app import LintOptions, lint_paths  # noqa: E402

REGION = "us-east-1"
FORMAT_RULES = {"E1103", "E1150", "E1151", "E1152", "E1153", "E1154", "E1155", "E1156", "E1157", "E1158", "E1159",
                "E1160", "E1161", "E1162", "E1164"}  # fmt: skip
CFN_KINDS = {
    "E3002": "unknown property", "E3012": "type", "E3030": "enum", "E3008": "enum", "E3031": "pattern",
    "E3032": "range", "E3033": "range", "E3034": "range", "E3037": "range", "E3065": "range",
    "E3003": "required", "E3040": "read-only", "E3014": "exactly one of", "E3058": "at least one of",
    "E3021": "dependent required", "E3020": "dependent excluded", "E3017": "anyOf/oneOf", "E3018": "anyOf/oneOf",
    "E3628": "instance type", "E3025": "instance type", "E3694": "instance type", "E3647": "instance type",
    "E3653": "instance type", "E3652": "instance type", "E3640": "instance type", "E3642": "instance type",
    "E3643": "instance type", "E3644": "instance type", "E3667": "instance type", "E3620": "instance type",
    "E3635": "instance type", "E3675": "instance type", "E3670": "instance type", "E3672": "instance type",
    "E3690": "engine version", "E3691": "engine version", "E3695": "engine version",
    "W3690": "deprecated engine version", "W3691": "deprecated engine version",
    "W2531": "lambda runtime", "E2531": "lambda runtime", "E2533": "lambda runtime",
    "E3710": "service lifecycle", "W3696": "service lifecycle", "W3697": "service lifecycle",
    "E3047": "fargate size", "E3638": "billing mode", "E3639": "billing mode",
    **dict.fromkeys(FORMAT_RULES, "format"),
}  # fmt: skip
MPL_KINDS = {
    "MPL201": "unknown property", "MPL202": "type", "MPL203": "enum", "MPL204": "pattern", "MPL205": "range",
    "MPL206": "required", "MPL207": "read-only", "MPL210": "anyOf/oneOf", "MPL211": "format",
    "MPL212": "exactly one of", "MPL213": "at least one of", "MPL214": "dependent required",
    "MPL215": "dependent excluded", "MPL216": "unique keys", "MPL231": "engine version", "MPL233": "engine version",
    "MPL232": "deprecated engine version", "MPL234": "lambda runtime", "MPL235": "lambda runtime",
    "MPL236": "service lifecycle", "MPL237": "service lifecycle", "MPL238": "fargate size", "MPL239": "billing mode",
    **{f"MPL{n}": "instance type" for n in range(220, 231)},
}  # fmt: skip
# Faults of a whole object: the tools report them at different keys (the object, the first or the second key).
OBJECT_KINDS = {
    "required", "exactly one of", "at least one of", "dependent required", "dependent excluded",
    "fargate size", "billing mode", "engine version", "deprecated engine version", "service lifecycle",
}  # fmt: skip
Key = tuple[str, str, str]  # (template/resource, kind, top-level property or "")


def key_of(resource: str, kind: str, prop: str) -> Key:
    return (resource, kind, "" if kind in OBJECT_KINDS else prop)


def cfn_kind(rule: str, message: str) -> str | None:
    """cfn-lint reports some keyword errors under E3002 (properties): tell them by the message."""
    if rule == "E3002" and "is not a '" in message:
        return "format"
    if rule == "E3002" and "not unique for keys" in message:
        return "unique keys"
    return CFN_KINDS.get(rule)


def write_stacks(templates: list[Path], out: Path) -> dict[str, str]:
    """One stack per resource; returns stack folder name -> "template/resource"."""
    names = {}
    for template in templates:
        doc = yaml.safe_load(template.read_text(encoding="utf-8"))
        for logical, resource in doc["Resources"].items():
            folder = out / f"{template.stem}--{logical}"
            folder.mkdir(parents=True)
            props = [{"name": k, "value": v} for k, v in (resource.get("Properties") or {}).items()]
            manifest = {
                "version": 1, "name": logical.lower(), "providers": ["awscc"],
                "globals": [{"name": "region", "value": REGION}],
                "resources": [{"name": logical, "props": props}],
            }  # fmt: skip
            text = yaml.safe_dump(manifest, sort_keys=False, width=1000)
            text = text.replace(f"- name: {logical}\n", f"- name: {logical}  # mplint: type={resource['Type']}\n", 1)
            (folder / "stackql_manifest.yml").write_text(text, encoding="utf-8")
            names[folder.name] = f"{template.stem}/{logical}"
    return names


def mplint_keys(out: Path, names: dict[str, str]) -> tuple[Counter, dict[Key, str]]:
    result = lint_paths(LintOptions(paths=[out], base=out, select=["MPL2"])).result
    keys: Counter = Counter()
    messages: dict[Key, str] = {}
    for finding in result.findings:
        kind = MPL_KINDS.get(finding.rule_id)
        if kind is None:
            continue
        stack = Path(finding.span.path).parts[0]
        prop = str(finding.key_path[0]) if finding.key_path else ""
        key = key_of(names[stack], kind, prop)
        keys[key] += 1
        messages.setdefault(key, f"{finding.rule_id} {finding.message}")
    return keys, messages


def cfn_lint_keys(cfn_lint: str, templates: list[Path]) -> tuple[Counter, dict[Key, str], Counter]:
    keys: Counter = Counter()
    messages: dict[Key, str] = {}
    other: Counter = Counter()
    for template in templates:
        run = subprocess.run(
            [cfn_lint, "--format", "json", "--regions", REGION, "--", str(template)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        for match in json.loads(run.stdout or "[]"):
            rule = match["Rule"]["Id"]
            kind = cfn_kind(rule, match["Message"])
            path = match["Location"].get("Path") or []
            if kind is None or len(path) < 2 or path[0] != "Resources":
                other[rule] += 1
                continue
            prop = str(path[3]) if len(path) > 3 and path[2] == "Properties" else ""
            key = key_of(f"{template.stem}/{path[1]}", kind, prop)
            keys[key] += 1
            messages.setdefault(key, f"{rule} {match['Message']}")
    return keys, messages, other


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cfn-lint", default=shutil.which("cfn-lint") or "cfn-lint")
    parser.add_argument("--templates", type=Path, default=Path(__file__).parent / "cfn_agreement")
    parser.add_argument("--show", action="store_true", help="list the findings both make too")
    args = parser.parse_args()
    templates = sorted(args.templates.glob("*.yaml"))
    version = subprocess.run([args.cfn_lint, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        names = write_stacks(templates, Path(tmp))
        ours, our_messages = mplint_keys(Path(tmp), names)
    theirs, their_messages, other = cfn_lint_keys(args.cfn_lint, templates)
    both, only_ours, only_theirs = set(ours) & set(theirs), set(ours) - set(theirs), set(theirs) - set(ours)
    union = len(both) + len(only_ours) + len(only_theirs)
    print(f"{len(names)} resources of {len({n.split('/')[0] for n in names.values()})} templates; {version}")
    print(f"agreement: {len(both)}/{union} = {100 * len(both) / max(union, 1):.1f} % of (resource, kind, property)")
    places = ({(r, p) for r, _, p in ours}, {(r, p) for r, _, p in theirs})
    shared = len(places[0] & places[1])
    print(f"same places, any kind: {shared}/{len(places[0] | places[1])} = "
          f"{100 * shared / max(len(places[0] | places[1]), 1):.1f} % of (resource, property)")  # fmt: skip
    sides = (("only mplint", only_ours, our_messages), ("only cfn-lint", only_theirs, their_messages))
    for title, keys, messages in sides:
        print(f"\n{title} ({len(keys)}):")
        for key in sorted(keys):
            print(f"  {key[0]} [{key[1]}] {key[2] or '-'}: {messages[key][:160]}")
    if args.show:
        print(f"\nboth ({len(both)}):")
        for key in sorted(both):
            print(f"  {key[0]} [{key[1]}] {key[2] or '-'}")
    print(f"\ncfn-lint findings of kinds mplint does not check: {dict(sorted(other.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
