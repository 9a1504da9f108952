"""How messages count and list things so that a message stays one readable line: a message names what is
at fault and how much; the rule's page (`mplint rules show ID`) explains, and JSON/SARIF carry the full lists."""

from __future__ import annotations

from collections.abc import Sequence

MAX_MESSAGE = 200  # characters; a longer message is cut by every viewer that shows findings on one line


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def listing(items: Sequence[str], room: int, most: int | None = None, sep: str = ", ") -> str:
    """As many of ``items`` as fit in ``room`` characters (and at most ``most``), then `and N more`;
    always the first item, cut short when even it does not fit."""
    if not items:
        return ""
    tail = f" and {len(items) - 1} more" if len(items) > 1 else ""
    if len(items[0]) + len(tail) > room:
        return shorten(items[0], room - len(tail)) + tail
    shown: list[str] = []
    for index, item in enumerate(items):
        rest = len(items) - index - 1
        tail = f" and {rest} more" if rest else ""
        text = sep.join([*shown, item])
        if shown and (len(text) + len(tail) > room or (most is not None and len(shown) >= most)):
            break
        shown.append(item)
    left = len(items) - len(shown)
    return sep.join(shown) + (f" and {left} more" if left else "")


def fit(head: str, items: Sequence[str], tail: str = "", most: int | None = None, sep: str = ", ") -> str:
    """``head`` + a listing of ``items`` + ``tail``, the listing cut to keep the whole under MAX_MESSAGE."""
    return head + listing(items, MAX_MESSAGE - 1 - len(head) - len(tail), most, sep) + tail


def shorten(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters with `…`, keeping a `code` span closed."""
    if len(text) <= room:
        return text
    quoted = len(text) > 1 and text[0] == text[-1] == "`"
    keep = max(1, room - (2 if quoted else 1))
    return text[:keep] + ("…`" if quoted else "…")
