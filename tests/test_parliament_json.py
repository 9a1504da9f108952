"""`config_tree` gives jsoncfg's own tree (node types, values, positions, key order) for compact JSON, and
declines everything jsoncfg would read differently or refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mplint.checks.parliament import serialise
from mplint.iam.parliament_json import config_tree
from mplint.model.policy import policy_node
from mplint.source import SourceFile, load_json
from tests.conftest import shared_path

jsoncfg = pytest.importorskip("jsoncfg")
from jsoncfg.config_classes import ConfigJSONObject, ConfigJSONScalar  # noqa: E402


def same(ours: Any, theirs: Any) -> bool:
    if type(ours) is not type(theirs) or vars(ours).keys() != vars(theirs).keys():
        return False
    if (ours._line, ours._column) != (theirs._line, theirs._column):
        return False
    if isinstance(ours, ConfigJSONScalar):
        a, b = ours.value, theirs.value
        return type(a) is type(b) and (a == b or (a != a and b != b))  # NaN is NaN
    if isinstance(ours, ConfigJSONObject):
        pairs = zip(ours._dict.items(), theirs._dict.items(), strict=False)
        return list(ours._dict) == list(theirs._dict) and all(same(x, y) for (_, x), (_, y) in pairs)
    return len(ours._list) == len(theirs._list) and all(
        same(x, y) for x, y in zip(ours._list, theirs._list, strict=False)
    )


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


ACCEPTED = [
    {},
    {"a": []},
    {"a": {}, "b": [{}, [], [[]]]},
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
    {"n": [0, -0, 1, -17, 1.0, -0.0, 1e5, 1.5e-7, 10**30, 1e400, float("nan"), True, False, None]},
    {"s": ["", "a b", "a/b*c", 'q"uote', "back\\slash", "tab\there", "new\nline", "\x01", "é", "😀"]},
    {"surrogates": ["\ud800", "\udc00", "\ud83d\ude00", "\ud800\ud800", "\ud800x"]},
    {"keys:with,punct": {"[x]": {"{y}": 1}}},
]
DECLINED = [
    "[]",
    '"a"',
    ' {"a":1}',
    '{"a": 1}',
    '{"a":1}\n',
    '{"a":1,}',
    '{"a":[1,]}',
    "{a:1}",
    '{"a":1,"a":2}',
    '{"a":1}{}',
    '{"a":1}x',
    '{"a":tru}',
    '{"a":1.2.3}',
    '{"a":1 /* c */}',
    '{"a":"\t"}',
    '{"a":"é"}',
    '{"a"}',
    '{"a":}',
    '{"a"::1}',
    '{"a":1]',
    '{"a":[1}',
    '{"a":[1],,"b":2}',
    '{"a":"\\x"}',
    '{"a":"\\u12"}',
    '{"a":"open',
    "{",
    "",
]


@pytest.mark.parametrize("value", ACCEPTED, ids=range(len(ACCEPTED)))
def test_the_tree_of_compact_json_is_jsoncfgs(value: Any) -> None:
    text = compact(value)
    tree = config_tree(text)
    assert tree is not None
    assert same(tree, jsoncfg.loads_config(text))


@pytest.mark.parametrize("text", DECLINED)
def test_what_jsoncfg_reads_otherwise_is_left_to_it(text: str) -> None:
    assert config_tree(text) is None


def test_jsoncfg_reads_some_declined_texts_too() -> None:
    """Declining is not refusing: jsoncfg reads these (its positions count the space, the newline)."""
    for text in ('{"a": 1}', '{"a":1,}', "{a:1}", '{"a":1}\n'):
        assert jsoncfg.loads_config(text) is not None


def test_every_managed_policy_as_mplint_hands_it_to_parliament() -> None:
    folder: Path = shared_path("corpus", "iam", "aws-managed", "iamtrail", "documents")
    for path in sorted(folder.glob("*.json"))[::4]:
        doc = load_json(SourceFile(path, path.name, path.read_text(encoding="utf-8")))
        text = serialise(policy_node(doc.root)[0])[0]
        tree = config_tree(text)
        assert tree is not None, path.name
        assert same(tree, jsoncfg.loads_config(text)), path.name
