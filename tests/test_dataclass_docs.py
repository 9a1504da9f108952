"""Every dataclass of mplint has a docstring.

On Python 3.11 `dataclasses` builds the missing docstring of a class from `inspect.signature` while it creates the
class; a lint creates ~80 of them at start-up, so an undocumented one costs every run (and says nothing to a reader).
"""

from __future__ import annotations

import ast
from pathlib import Path

import mplint

PACKAGE = Path(mplint.__file__).parent


def _is_dataclass(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "dataclass") or (
        isinstance(target, ast.Attribute) and target.attr == "dataclass"
    )


def undocumented(source: str) -> list[str]:
    return [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef)
        and any(_is_dataclass(d) for d in node.decorator_list)
        and ast.get_docstring(node) is None
    ]


def test_the_scan_finds_an_undocumented_dataclass() -> None:
    source = (
        "from dataclasses import dataclass\nimport dataclasses\n"
        "@dataclass(frozen=True)\nclass A:\n    x: int\n"
        "@dataclasses.dataclass\nclass B:\n    'Documented.'\n    y: int\n"
        "@dataclass\nclass C:\n    z: int\n"
        "class D:\n    w: int\n"
    )
    assert undocumented(source) == ["A", "C"]


def test_every_dataclass_of_mplint_has_a_docstring() -> None:
    missing = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in undocumented(path.read_text(encoding="utf-8"))
    ]
    assert missing == []
