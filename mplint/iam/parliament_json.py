"""The tree `jsoncfg.loads_config` makes of a policy's text, built from a regular-expression scan.

parliament parses every policy with jsoncfg, which walks the text one character at a time in Python
(a quarter of parliament's time over the AWS managed policies). The text mplint hands parliament is
compact JSON (one line, ASCII, no whitespace between tokens): for such a text, the nodes, values and
positions jsoncfg gives are those of its tokens, each at line 1, column = offset + 1. `config_tree`
builds that tree from the tokens, and declines (returns None) anything else -- whitespace outside a
string, comments, unquoted keys, trailing commas, duplicate keys, a root other than an object, a
token jsoncfg would refuse -- so the caller can let jsoncfg itself parse it (and report it).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

# One token: a string (plain characters and the escapes JSON allows), a punctuation mark, an unquoted
# scalar (as far as jsoncfg reads one: up to a space or one of its special characters), or anything else.
_TOKEN = re.compile(
    r"""
    ("[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*")
  | ([{}\[\],:])
  | ([^ \t\r\n{}\[\]",:/*]+)
  | (.)
    """,
    re.VERBOSE | re.DOTALL,
)
_STRING, _PUNCT, _BARE, _OTHER = 1, 2, 3, 4
_LITERALS: dict[str, Any] = {"null": None, "true": True, "false": False}

# What may come next.
_VALUE, _KEY, _COLON, _AFTER, _KEY_OR_END, _VALUE_OR_END, _DONE = range(7)


def config_tree(text: str) -> Any | None:
    """jsoncfg's `ConfigJSONObject` for a compact JSON object text, or None when jsoncfg must parse it."""
    if not text.startswith("{") or "\t" in text or not text.isascii():
        return None  # a tab or a wide character would shift jsoncfg's columns
    from jsoncfg.config_classes import ConfigJSONArray, ConfigJSONObject, ConfigJSONScalar
    from jsoncfg.tree_python import default_number_converter

    new = object.__new__
    stack: list[Any] = []  # the open containers
    top: Any = None
    root = key = None
    state = _VALUE
    for match in _TOKEN.finditer(text):
        kind = match.lastindex
        if kind == _STRING:
            token = match.group(1)
            value = token[1:-1] if "\\" not in token else json.loads(token)
            if state in (_KEY, _KEY_OR_END):
                if value in top._dict:
                    return None  # jsoncfg refuses a duplicate key
                key = value
                state = _COLON
                continue
            opened = None
        elif kind == _PUNCT:
            token = match.group(2)
            if token == ":":
                if state != _COLON:
                    return None
                state = _VALUE
                continue
            if token == ",":
                if state != _AFTER:
                    return None
                state = _KEY if type(top) is ConfigJSONObject else _VALUE
                continue
            if token == "}" or token == "]":
                if state != _AFTER and state != (_KEY_OR_END if token == "}" else _VALUE_OR_END):
                    return None
                if type(top) is not (ConfigJSONObject if token == "}" else ConfigJSONArray):
                    return None
                stack.pop()
                top = stack[-1] if stack else None
                state = _AFTER if stack else _DONE
                continue
            opened = _KEY_OR_END if token == "{" else _VALUE_OR_END
        elif kind == _BARE:
            token = match.group(3)
            value = _LITERALS.get(token, _LITERALS)
            if value is _LITERALS:
                try:
                    value = default_number_converter(token)
                except ValueError:
                    return None
            opened = None
        else:
            return None
        if state != _VALUE and state != _VALUE_OR_END:
            return None
        # the nodes as jsoncfg's constructors make them (line 1, the token's column), without their calls
        if opened is None:
            node = new(ConfigJSONScalar)
            node.__dict__ = {"_line": 1, "_column": match.start() + 1, "value": value}
        elif opened == _KEY_OR_END:
            node = new(ConfigJSONObject)
            node.__dict__ = {"_line": 1, "_column": match.start() + 1, "_dict": OrderedDict()}
        else:
            node = new(ConfigJSONArray)
            node.__dict__ = {"_line": 1, "_column": match.start() + 1, "_list": []}
        if top is None:
            if root is not None:
                return None
            root = node
        elif type(top) is ConfigJSONObject:
            top._dict[key] = node
        else:
            top._list.append(node)
        if opened is not None:
            stack.append(node)
            top = node
            state = opened
        else:
            state = _AFTER
    return root if state == _DONE else None
