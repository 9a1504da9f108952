"""mplint's records are msgspec Structs, not dataclasses.

A dataclass writes the source of its `__init__`, `__repr__`, `__eq__` (and when frozen `__setattr__`,
`__delattr__`, `__hash__`) and compiles it when its class is defined: 0.2-0.5 ms a class, ~25 ms of a one-stack
lint that defines ~70 of them. A Struct is built in C, without compiling anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mplint
from mplint.findings import Finding, Fix, Span
from mplint.registry import builtin_rules

PACKAGE = Path(mplint.__file__).parent


def dataclasses_in(source: str) -> list[str]:
    """The classes a module defines with `dataclasses`, decorated or made by `make_dataclass`."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            targets = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
            if any(getattr(t, "id", getattr(t, "attr", None)) == "dataclass" for t in targets):
                found.append(node.name)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "make_dataclass"
        ):
            found.append("make_dataclass")
    return found


def test_the_scan_finds_a_dataclass() -> None:
    source = (
        "from dataclasses import dataclass\nimport dataclasses\n"
        "@dataclass(frozen=True)\nclass A:\n    x: int\n"
        "@dataclasses.dataclass\nclass B:\n    y: int\n"
        "class C(Struct):\n    z: int\n"
        "D = dataclasses.make_dataclass('D', ['w'])\n"
    )
    assert dataclasses_in(source) == ["A", "B", "make_dataclass"]


def test_mplint_defines_no_dataclass() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in dataclasses_in(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_finding_is_the_same_whatever_its_properties_and_fixes() -> None:
    span = Span("a.yml", 1, 1, 1, 2)
    plain = Finding("MPL201", "wrong", span)
    described = Finding("MPL201", "wrong", span, properties={"schema": "x"}, fixes=(Fix("drop it", ()),))
    assert plain == described and hash(plain) == hash(described) and len({plain, described}) == 1
    assert plain != Finding("MPL201", "other", span) and plain != Finding("MPL202", "wrong", span)
    assert plain != ("MPL201", "wrong", span)


def test_a_rule_is_the_same_whatever_its_extra_data() -> None:
    from msgspec.structs import replace

    rule = builtin_rules()["MPL201"]
    assert replace(rule, extra={"examples": []}) == rule and hash(replace(rule, extra={})) == hash(rule)
    assert replace(rule, summary="another") != rule
