"""Hostile and broken inputs, generated into a folder: each case writes its files beside two known-bad stacks
(`good/`) whose findings must all survive, and names the command line that lints them.

Used by tests/test_hostile.py (in-process, every case) and benchmarks/bench_hostile.py (a subprocess per
case, with its time and peak memory). Big cases are generated here, never checked in.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
VALID = FIXTURES / "valid/model-package-stack"
GOOD = (FIXTURES / "core/schema-values", FIXTURES / "permissions/pass-role-denied")
GOOD_POLICY = "good/pass-role-denied/deploy-policy.json"
DESCRIPTION = "value: Gradient boosted churn classifier trained on the 2026-Q3 snapshot"
GROUP = "{{ model_package_group_name }}"
MARKER = "MARKER"  # a file no input may create
MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], list[str]]  # writes the case under root/bad, returns extra command-line arguments
    usage_error: bool = False  # the run stops with a one-line error (a configuration or rule file)
    expect: tuple[str, ...] = ()  # rule ids the bad files must get
    forbid: tuple[str, ...] = ()  # rule ids they must not get (false findings once seen)
    posix: bool = False  # needs FIFOs, devices or byte file names
    notes: dict = field(default_factory=dict)


def prepare(root: Path) -> list[str]:
    """The good stacks under root/good, and the command line that lints them (paths relative to root)."""
    for stack in GOOD:
        shutil.copytree(stack, root / "good" / stack.name)
    (root / "bad").mkdir()
    return ["lint", "good", "bad", "--policy", GOOD_POLICY, "--format", "json"]


# ---------------------------------------------------------------------------
# Builders


def stack(root: Path, value: str = "hostile", query: str | None = None, extra: str = "", name: str = "bad") -> Path:
    """The valid model-package stack with the description prop's value replaced by ``value`` (YAML text)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    text = (VALID / "stackql_manifest.yml").read_text().replace(DESCRIPTION, "value: " + value)
    if extra:
        text = text.replace("    props:\n", extra + "    props:\n", 1)
    (folder / "stackql_manifest.yml").write_text(text)
    (folder / "resources").mkdir(exist_ok=True)
    iql = (VALID / "resources/churn_model_package.iql").read_text()
    (folder / "resources/churn_model_package.iql").write_text(query if query is not None else iql)
    return folder


def value_case(value: str, **kw) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        stack(root, value, **kw)
        return []

    return build


def query_case(make: Callable[[str], str]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        iql = (VALID / "resources/churn_model_package.iql").read_text()
        stack(root, query=make(iql))
        return []

    return build


def manifest_text(text: str | bytes) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        folder = stack(root)
        path = folder / "stackql_manifest.yml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return []

    return build


def policy_case(text: str | bytes, name: str = "policy.json") -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        path = root / "bad" / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return [f"bad/{name}"]  # linted as a policy file; the good stacks' deploying identity stays as it is

    return build


def replaced(old: str, new: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        folder = stack(root)
        path = folder / "stackql_manifest.yml"
        path.write_text(path.read_text().replace(old, new))
        return []

    return build


def policy_link(target: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        (root / "bad/policy.json").symlink_to(target)
        return ["bad/policy.json"]

    return build


def laughs(levels: int = 9, width: int = 10) -> str:
    """A YAML billion laughs in flow style: width ** levels nodes once expanded, a few dozen as written."""
    parts = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        parts.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "{" + ", ".join(parts) + "}"


def statements(n: int) -> str:
    body = [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": f"s3:GetObject{i % 7}", "Resource": f"arn:aws:s3:::b{i}/*"}
        for i in range(n)
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def columns(n: int) -> Callable[[str], str]:
    def make(_: str) -> str:
        cols = ",\n".join(f"c{i}" for i in range(n))
        vals = ",\n".join(f"'{{{{ c{i} }}}}'" for i in range(n))
        return f"/*+ create */\nINSERT INTO awscc.sagemaker.model_packages (\n{cols}\n)\nSELECT\n{vals}\n;\n"

    return make


def special(make: Callable[[Path], None], where: str = "stackql_manifest.yml") -> Callable[[Path], list[str]]:
    """A stack whose file ``where`` is replaced by what ``make`` creates at that path."""

    def build(root: Path) -> list[str]:
        folder = stack(root)
        path = folder / where
        if path.exists():
            path.unlink()
        make(path)
        return []

    return build


def fifo(path: Path) -> None:
    os.mkfifo(path)


def link_to(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def loop(path: Path) -> None:
    other = path.with_name(path.name + ".loop")
    other.symlink_to(path.name)
    path.symlink_to(other.name)


def folder_instead(path: Path) -> None:
    path.mkdir()


def byte_folder(root: Path) -> list[str]:
    folder = os.path.join(os.fsencode(root / "bad"), b"caf\xe9-\xff")
    os.makedirs(folder)
    manifest = (VALID / "stackql_manifest.yml").read_text().replace(DESCRIPTION, "value: 42\n      - name: x")
    with open(os.path.join(folder, b"stackql_manifest.yml"), "w") as handle:
        handle.write(manifest)
    return []


def config_case(text: str | bytes, name: str = ".mplint.yaml") -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        stack(root)
        (root / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        return []

    return build


def config_special(make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        stack(root)
        make(root / "bad" / "config.yaml")
        return ["--config", "bad/config.yaml"]

    return build


def suppressions_case(pattern: str) -> Callable[[Path], list[str]]:
    def build(root: Path) -> list[str]:
        stack(root)
        entry = {"rule": "MPL202", "path": pattern, "reason": "hostile"}
        (root / ".mplint-suppressions.yaml").write_text("suppressions:\n  - " + json.dumps(entry) + "\n")
        return []

    return build


RULE = """id: MPL901
name: hostile-regex
level: warning
summary: A user rule with a catastrophic regular expression.
help: Backtracks without end.
resources: [aws.sagemaker.model_packages]
assert:
  path: ModelPackageDescription
  matches: {pattern}
message: description does not match
"""


def rule_case(text: str | None = None, make: Callable[[Path], None] | None = None, value: str = "hostile"):
    def build(root: Path) -> list[str]:
        stack(root, value)
        rules = root / "bad" / "rules"
        rules.mkdir()
        if text is not None:
            (rules / "MPL901.yaml").write_text(text)
        if make is not None:
            make(rules / "MPL902.yaml")
        return ["--rules-dir", "bad/rules"]

    return build


def ssti(payload: str) -> str:
    return json.dumps(payload.replace("MARKER", MARKER))


SSTI = (
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os.system('touch MARKER') }}",
    "{{ self._TemplateReference__context }}",
    "{{ config.items() }}",
)

# ---------------------------------------------------------------------------
# The cases

TYPO_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}
)  # an MPL4xx finding, to show that the policy was decoded and read

CASES: list[Case] = [
    # values that once switched checks off for the whole run
    Case("braces-80", value_case(json.dumps("{" * 80)), expect=("MPL1",)),
    Case("power-20000", value_case('"{{ 2**20000 }}"')),
    Case("power-tower", value_case('"{{ 10 ** 10 ** 10 }}"')),
    Case("power-tower-query", query_case(lambda iql: iql.replace(GROUP, "{{ 10**10**10 }}"))),
    Case("big-int-literal", value_case(json.dumps("{{ " + "9" * 5000 + " }}")), expect=("MPL1",)),
    Case("if-3000-parens", value_case("x", extra="    if: " + json.dumps("(" * 3000) + "\n")),
    Case("if-braces", value_case("x", extra="    if: " + json.dumps("{" * 200_000) + "\n")),
    Case("if-python", value_case("x", extra="    if: \"__import__('os').system('touch MARKER')\"\n")),
    *[Case(f"ssti-prop-{i}", value_case(ssti(p))) for i, p in enumerate(SSTI)],
    *[Case(f"ssti-query-{i}", query_case(lambda iql, p=p: iql.replace(GROUP, p))) for i, p in enumerate(SSTI)],
    # YAML
    Case("yaml-python-tag", value_case("!!python/object/apply:os.system ['touch MARKER']"), expect=("MPL002",)),
    Case("yaml-custom-tag", value_case("!custom 1"), expect=("MPL002",)),
    Case("yaml-bad-timestamp", value_case("2024-13-45"), expect=("MPL002",)),
    Case("laughs-prop", value_case(laughs()), expect=("MPL005",)),
    Case("laughs-global", replaced('value: "{{ AWS_REGION }}"', "value: " + laughs()), expect=("MPL005",)),
    Case("laughs-values", replaced("value: PendingManualApproval", "value: " + laughs()), expect=("MPL005",)),
    Case("alias-recursive", value_case("&r [*r]"), expect=("MPL005",)),
    Case("alias-merge-cycle", value_case("&m {<<: *m, a: 1}"), expect=("MPL005",)),
    Case("alias-undefined", value_case("*nowhere"), expect=("MPL002",)),
    Case("duplicate-keys-million", manifest_text("k: 1\n" * (5 * MB // 5 - 10)), expect=("MPL005",)),
    Case(
        "anchors-700k",
        manifest_text("".join(f"- &a{i} x\n" for i in range(700_000))[: 5 * MB - 100]),
        expect=("MPL005",),
    ),
    Case("nesting-100k", value_case("[" * 100_000 + "]" * 100_000), expect=("MPL00",)),
    Case("oversized", manifest_text("# padding\n" * (6 * MB // 10)), expect=("MPL005",)),
    Case("sexagesimal", value_case("1" + ":1" * 200_000), expect=("MPL005",)),
    Case("multi-document", manifest_text("a: 1\n---\nb: 2\n"), expect=("MPL002",)),
    Case("key-is-a-list", value_case("{[1, 2]: x}"), expect=("MPL002",)),
    # encodings and line ends
    Case("utf16-manifest", manifest_text("\ufeffversion: 1\n".encode("utf-16-le")), expect=("MPL001",)),
    Case("latin1-manifest", manifest_text("name: caf\xe9\n".encode("latin-1")), expect=("MPL001",)),
    Case("nul-manifest", manifest_text(b"name: a\x00b\n"), expect=("MPL001",)),
    Case("cr-only-query", query_case(lambda iql: iql.replace("\n", "\r")), forbid=("MPL124",)),
    # query files
    Case("query-200k-columns", query_case(columns(200_000))),
    Case(
        "query-20k-anchors",
        query_case(lambda iql: "".join(f"/*+ a{i} */\nSELECT 1;\n" for i in range(20_000))),
        expect=("MPL005",),
    ),
    Case(
        "query-60k-statements", query_case(lambda iql: "/*+ exists */\n" + "SELECT 1;\n" * 60_000), expect=("MPL005",)
    ),
    Case("query-deep-literal", query_case(lambda iql: iql.replace(f"'{GROUP}',", "'" + "[" * 50_000 + "',", 1))),
    Case("query-unclosed-braces", query_case(lambda iql: iql + "\n" + "{{ {{ {% " * 100_000)),
    # policies
    Case("policy-20k-statements", policy_case(statements(20_000))),
    Case(
        "policy-lone-surrogate",
        policy_case(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:\\ud800", "Resource": "*"}]}'
        ),
    ),
    Case("policy-huge-number", policy_case('{"Statement": [], "Version": 1' + "0" * 5000 + "}"), expect=("MPL005",)),
    Case("policy-nesting", policy_case('{"Statement": ' + "[" * 100_000 + "]" * 100_000 + "}"), expect=("MPL005",)),
    Case("policy-nan", policy_case('{"Statement": [], "Version": NaN}'), expect=("MPL002",)),
    Case("policy-yaml-laughs", policy_case("Statement: " + laughs() + "\n", "policy.yaml"), expect=("MPL005",)),
    Case("policy-embedded-bomb", policy_case(json.dumps({"PolicyVersion": {"Document": "[" * 100_000}}))),
    Case("policy-utf16", policy_case(("\ufeff" + TYPO_POLICY).encode("utf-16-le")), expect=("MPL4",)),
    Case("policy-utf32", policy_case(("\ufeff" + TYPO_POLICY).encode("utf-32-le")), expect=("MPL4",)),
    Case("policy-dev-urandom", policy_link("/dev/urandom"), expect=("MPL009",), posix=True),
    # special files
    Case("fifo-manifest", special(fifo), expect=("MPL009",), posix=True),
    Case("manifest-dev-zero", special(link_to("/dev/zero")), expect=("MPL009",), posix=True),
    Case("manifest-symlink-loop", special(loop), expect=("MPL009",), posix=True),
    Case("manifest-outside-tree", special(link_to("/etc/hostname")), expect=("MPL009",), posix=True),
    Case("query-fifo", special(fifo, "resources/churn_model_package.iql"), expect=("MPL009",), posix=True),
    Case("query-folder", special(folder_instead, "resources/churn_model_package.iql"), expect=("MPL009",)),
    Case(
        "query-dev-zero",
        special(link_to("/dev/zero"), "resources/churn_model_package.iql"),
        expect=("MPL009",),
        posix=True,
    ),
    Case("byte-folder-name", byte_folder, expect=("MPL1",), posix=True),
    # suppressions, user rules and configurations
    Case("suppressions-globstars", suppressions_case("**/" * 60 + "x" * 50)),
    Case("rule-catastrophic-regex", rule_case(RULE.format(pattern="'(a|aa)+$'"), value="a" * 60 + "!")),
    Case("rule-nested-repeats", rule_case(RULE.format(pattern="'(?:(?:a{1000}){1000}){1000}'")), usage_error=True),
    Case("rule-deep-groups", rule_case(RULE.format(pattern="'" + "(" * 5000 + ")" * 5000 + "'")), usage_error=True),
    Case("rule-fifo", rule_case(make=fifo), usage_error=True, posix=True),
    Case("rule-dev-zero", rule_case(make=link_to("/dev/zero")), usage_error=True, posix=True),
    Case("rule-laughs", rule_case(RULE.format(pattern="x") + "examples: " + laughs() + "\n"), usage_error=True),
    Case(
        "rule-nesting",
        rule_case(RULE.format(pattern="x") + "tags: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        usage_error=True,
    ),
    Case("config-nesting", config_case("select: " + "[" * 10_000 + "]" * 10_000 + "\n"), usage_error=True),
    Case("config-laughs", config_case("envs: " + laughs() + "\n"), usage_error=True),
    Case("config-wrong-types", config_case("levels: [1, 2]\n"), usage_error=True),
    Case("config-resources-number", config_case("resources: 5\n"), usage_error=True),
    Case("config-identity-number", config_case("identities: {deploy: 5}\n"), usage_error=True),
    Case("config-limits-text", config_case("limits: {file-bytes: lots}\n"), usage_error=True),
    Case(
        "config-python-tag", config_case("select: !!python/object/apply:os.system ['touch MARKER']\n"), usage_error=True
    ),
    Case("config-utf16", config_case("\ufefffail-level: warning\n".encode("utf-16-le"))),
    Case("config-fifo", config_special(fifo), usage_error=True, posix=True),
    Case("config-dev-zero", config_special(link_to("/dev/zero")), usage_error=True, posix=True),
    Case("pyproject-huge", config_case("[tool.mplint]\n" + "# x\n" * (6 * MB // 4), "pyproject.toml")),
]
