"""A JSON reader for well-formed documents: every token found by one regular expression in one call, then one
loop over them with no recursion and no call per token, counting lines and columns as it goes.

It builds the same tree as `source.load_json`'s full reader (nodes, spans, duplicate keys) and gives up
(None) at anything that reader would report: a syntax error, a limit reached. The full reader then reads the
file again and says what and where. Almost every policy is well formed; the full reader spends most of its
time on a method call, a regular expression match and a line search per token.
"""

from __future__ import annotations

import re
from typing import Any

from mplint.findings import Span
from mplint.limits import Limits
from mplint.source import (
    JSON_LITERALS,
    JSON_NUMBER,
    JSON_STRING,
    Duplicate,
    Mapping,
    Node,
    Scalar,
    Sequence,
    SourceFile,
    json_string,
)

# Each token with the whitespace before it: (whitespace, punctuation, string, number, literal, anything else).
# Every character is whitespace or in a token, so the matches tile the text (trailing whitespace aside).
# Punctuation first: with the unrolled string, three times faster than the full reader's spelling was.
_TOKENS = re.compile(
    rf"""([ \t\n\r]*)(?:
        ([{{}}\[\]:,])
      | ({JSON_STRING})
      | ({JSON_NUMBER})
      | (true|false|null)
      | ([^ \t\n\r])
    )""",
    re.VERBOSE,
)
_NEW = tuple.__new__  # a Span without the named tuple's argument handling: one is made per token

# What comes next. The two value states are the lowest: `state > _VALUE_OR_CLOSE` means "no value here".
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _NEXT, _DONE = range(7)
# An open `{` or `[`: [is an object, items, the key read last, keys seen, offset, line, column].
_Frame = list[Any]


def quick_tree(source: SourceFile, limits: Limits, duplicates: list[Duplicate]) -> Node | None:
    """The document's tree, or None when the full reader must read it (it raises what is wrong)."""
    text, display, offset_span = source.text, source.display, source.offset_span
    ascii_text = text.isascii()  # else columns count UTF-16 units: the source file's own arithmetic
    depth, most_nodes, number_chars = limits.depth, limits.nodes, limits.number_chars
    stack: list[_Frame] = []
    root: Node | None = None
    state, pos, line, line_start, nodes = _VALUE, 0, 0, 0, 0
    # One loop, every step inline: a call per token would cost as much as the rest of the step.
    for space, punct, string, number, literal, other in _TOKENS.findall(text):
        if space:
            if "\n" in space:  # newlines are only ever in whitespace
                line += space.count("\n")
                line_start = pos + space.rfind("\n") + 1
            pos += len(space)
        start = pos
        if other or state == _DONE:
            return None
        if punct:
            pos += 1
            if punct == "{" or punct == "[":
                nodes += 1
                if state > _VALUE_OR_CLOSE or len(stack) > depth or nodes > most_nodes:
                    return None
                is_object = punct == "{"
                stack.append([is_object, [], None, {}, start, line, start - line_start])
                state = _KEY_OR_CLOSE if is_object else _VALUE_OR_CLOSE
                continue
            if punct == ":":
                if state != _COLON:
                    return None
                state = _VALUE
                continue
            if not stack:
                return None
            frame = stack[-1]
            if punct == ",":
                if state != _NEXT:
                    return None
                state = _KEY if frame[0] else _VALUE
                continue
            closes_object = punct == "}"
            empty_close = _KEY_OR_CLOSE if closes_object else _VALUE_OR_CLOSE
            if frame[0] is not closes_object or (state != _NEXT and state != empty_close):
                return None
            stack.pop()
            if ascii_text:
                span = _NEW(Span, (display, frame[5] + 1, frame[6] + 1, line + 1, start - line_start + 2))
            else:
                span = offset_span(frame[4], pos)
            node: Node = Mapping(span, frame[1]) if closes_object else Sequence(span, frame[1])
        else:
            token = string or number or literal
            pos += len(token)
            nodes += 1
            if len(stack) > depth or nodes > most_nodes:
                return None
            if ascii_text:
                span = _NEW(Span, (display, line + 1, start - line_start + 1, line + 1, pos - line_start + 1))
            else:
                span = offset_span(start, pos)
            if string and state in (_KEY, _KEY_OR_CLOSE):
                stack[-1][2] = Scalar(span, json_string(string), '"', True)
                state = _COLON
                continue
            if state > _VALUE_OR_CLOSE:
                return None
            if string:
                node = Scalar(span, json_string(string), '"')
            elif number:
                if len(number) > number_chars:
                    return None
                node = Scalar(span, float(number) if any(c in number for c in ".eE") else int(number))
            else:
                node = Scalar(span, JSON_LITERALS[literal])
        if not stack:
            root, state = node, _DONE
            continue
        frame = stack[-1]
        if frame[0]:
            key, seen = frame[2], frame[3]
            if key.value in seen:
                duplicates.append(Duplicate(key.value, key.span, seen[key.value]))
            seen[key.value] = key.span
            frame[1].append((key, node))
        else:
            frame[1].append(node)
        state = _NEXT
    return root if state == _DONE else None
