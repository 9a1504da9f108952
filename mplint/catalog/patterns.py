"""JSON Schema ``pattern`` support: ECMA-262 regular expressions run on the ``regex`` module.

JSON Schema patterns are ECMA-262, unanchored (``search``). They are translated, not passed through,
where Python would read them differently:

* ``\\d`` ``\\w`` ``\\b`` are ASCII-only in ECMA; ``\\s`` is ECMA's own Unicode set (with U+FEFF,
  without U+0085). All become explicit classes.
* ``$`` matches only at the very end (Python's also matches before a final newline); ``.`` excludes
  all four ECMA line terminators, not just ``\\n``.
* ``\\uXXXX`` (surrogate pairs combined), ``\\u{...}``, ``\\cX``, ``\\0``, ``\\/``, ``\\k<name>``.
* Class ranges follow ECMA/Annex B: ``[\\w-.]`` is ``\\w``, ``-`` and ``.``; ``[]`` matches nothing.
* ``\\p{..}`` / ``\\P{..}`` as with the ``u`` flag (what validators do in practice).

The CloudFormation schemas are written against Java's regex engine, so a few Java constructs that
ECMA rejects are accepted with their Java meaning and recorded in ``notes``: inline flag groups
(``(?i)`` scoped to the enclosing group, as Java and regex.V1 do), ``\\A``/``\\Z``/``\\z`` anchors,
``[a&&[b]]`` intersection, quantified anchors (``${1,128}``) and ``\\p{Print}``-style POSIX names
(read with Unicode meaning, the more permissive reading). Whatever still fails gives ``None`` from
``compile_pattern`` and a reason from ``pattern_problems``: callers skip that check, never fail it.
"""

from __future__ import annotations

from functools import lru_cache

import regex
from msgspec import Struct, field

MATCH_TIMEOUT = 0.25  # seconds; a pathological pattern/value pair is skipped, not reported
_COUNTED = regex.compile(r"\{(\d+)(?:,(\d*))?\}")
MAX_CP = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]

DIGIT: Ranges = ((0x30, 0x39),)
WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
SPACE: Ranges = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
LINE_TERMINATORS: Ranges = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
SIMPLE_ESCAPES = {"t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D}
REGEX_SPECIAL = frozenset("\\.^$*+?{}[]()|-&~#/")
FLAG_LETTERS = frozenset("ims")
# Java POSIX class names (ASCII-only in Java); regex reads them as Unicode, the more permissive choice.
JAVA_POSIX = frozenset(
    {"Lower", "Upper", "Alpha", "Digit", "Alnum", "Punct", "Graph", "Print", "Blank", "Cntrl", "XDigit", "Space"}
)


class PatternError(ValueError):
    """The pattern cannot be given ECMA-262 meaning here."""


class PatternInfo(Struct, frozen=True):
    """A pattern's translation and compiled regex (None: not supported), why not, and Java constructs met."""

    source: str
    translated: str | None = None
    compiled: regex.Pattern | None = None
    problem: str | None = None
    notes: tuple[str, ...] = field(default=())


# -- rendering -------------------------------------------------------------------------------------
def _cp_escape(cp: int) -> str:
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def _literal(cp: int) -> str:
    """A code point as a regex literal that is safe both inside and outside a class."""
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch
    if ch in REGEX_SPECIAL:
        return "\\" + ch
    if 0x20 < cp < 0x7F:
        return ch
    return _cp_escape(cp)


def _render(ranges: Ranges) -> str:
    """Class body (no brackets) for a range list."""
    parts = []
    for lo, hi in ranges:
        parts.append(_literal(lo) if lo == hi else f"{_literal(lo)}-{_literal(hi)}")
    return "".join(parts)


def _complement(ranges: Ranges) -> Ranges:
    out, nxt = [], 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= MAX_CP:
        out.append((nxt, MAX_CP))
    return tuple(out)


ANY_BODY = _render(((0, MAX_CP),))
SHORTHANDS = {
    "d": _render(DIGIT),
    "D": _render(_complement(DIGIT)),
    "w": _render(WORD),
    "W": _render(_complement(WORD)),
    "s": _render(SPACE),
    "S": _render(_complement(SPACE)),
}
_WORD_CLASS = f"[{SHORTHANDS['w']}]"
WORD_BOUNDARY = f"(?:(?<={_WORD_CLASS})(?!{_WORD_CLASS})|(?<!{_WORD_CLASS})(?={_WORD_CLASS}))"
NOT_WORD_BOUNDARY = f"(?:(?<={_WORD_CLASS})(?={_WORD_CLASS})|(?<!{_WORD_CLASS})(?!{_WORD_CLASS}))"
_LT = _render(LINE_TERMINATORS)
DOT = f"[^{_LT}]"
# Java's `$` and `\Z`: the end, or before a final \r\n, \n, \r, U+0085, U+2028 or U+2029.
JAVA_END = "(?=(?:\\r\\n|(?<!\\r)\\n|[\\r\\x85\\u2028\\u2029])?\\Z)"


class _Set(str):
    """A class-body fragment (``0-9``, ``\\p{L}``), as opposed to a single code point."""


class _Dash:
    """An unescaped ``-`` inside a class: a range operator or a literal, decided afterwards."""


DASH = _Dash()
ClassItem = int | _Set | _Dash


class _Frame(Struct):
    """An open group while translating: where it begins, whether a lookaround, the flags to restore at `)`."""

    start: int  # index in out where the group begins
    lookaround: bool
    dotall: bool
    multiline: bool


class _Translator:
    def __init__(self, source: str, java_end: bool = False) -> None:
        self.p = source
        self.java_end = java_end
        self.i = 0
        self.out: list[str] = []
        self.notes: list[str] = []
        self.frames: list[_Frame] = []
        self.dotall = False
        self.multiline = False
        self.atom_start: int | None = None  # out index of the last quantifiable atom
        self.atom_is_assertion = False

    # -- helpers -----------------------------------------------------------------------------------
    def peek(self, n: int = 0) -> str:
        j = self.i + n
        return self.p[j] if j < len(self.p) else ""

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def emit_atom(self, text: str, assertion: bool = False) -> None:
        self.atom_start = len(self.out)
        self.atom_is_assertion = assertion
        self.out.append(text)

    def fail(self, why: str) -> PatternError:
        return PatternError(f"{why} at position {self.i}")

    # -- main loop ---------------------------------------------------------------------------------
    def run(self) -> str:
        while self.i < len(self.p):
            self.step()
        if self.frames:
            raise self.fail("missing )")
        return "".join(self.out)

    def step(self) -> None:
        ch = self.p[self.i]
        if ch == "\\":
            self.outside_escape()
        elif ch == "[":
            self.i += 1
            self.emit_atom(self.char_class())
        elif ch == "(":
            self.open_group()
        elif ch == ")":
            self.close_group()
        elif ch in "*+?" or (ch == "{" and self.quantifier_end() is not None):
            self.quantifier()
        elif ch == "|":
            self.i += 1
            self.out.append("|")
            self.atom_start = None
        else:
            self.i += 1
            self.plain(ch)

    def plain(self, ch: str) -> None:
        if ch == ".":
            self.emit_atom(f"[{ANY_BODY}]" if self.dotall else DOT)
        elif ch == "^":
            self.emit_atom(f"(?:^|(?<=[{_LT}]))" if self.multiline else "^", assertion=True)
        elif ch == "$":
            self.emit_atom(f"(?=[{_LT}]|\\Z)" if self.multiline else self.end(), assertion=True)
        else:  # includes a lone { } ] (literal under Annex B)
            self.emit_atom(_literal(ord(ch)))

    def end(self) -> str:
        """`$` outside multiline mode: the very end (ECMA), or also before a final line terminator (Java)."""
        return JAVA_END if self.java_end else "\\Z"

    # -- quantifiers -------------------------------------------------------------------------------
    def quantifier_end(self) -> int | None:
        m = regex.match(r"\{(\d+)(,(\d*))?\}", self.p[self.i :])
        return self.i + m.end() if m else None

    def quantifier(self) -> None:
        ch = self.p[self.i]
        end = self.quantifier_end() if ch == "{" else self.i + 1
        text = self.p[self.i : end]
        self.i = end
        if self.peek() in ("?", "+"):  # lazy (ECMA) or possessive (Java)
            if self.peek() == "+":
                self.note("possessive quantifier (Java)")
            text += self.p[self.i]
            self.i += 1
        if self.atom_start is not None and self.atom_is_assertion:
            self.quantified_assertion(text)
            return
        self.out.append(text)

    def quantified_assertion(self, text: str) -> None:
        """Java accepts ``${1,128}``: repeating a zero-width assertion n>=1 times is the assertion."""
        self.note("quantified assertion")
        minimum = 0 if text[0] in "*?" else (1 if text[0] == "+" else int(regex.match(r"\{(\d+)", text)[1]))
        if minimum == 0:
            del self.out[self.atom_start :]
        self.atom_start = None

    # -- groups ------------------------------------------------------------------------------------
    def open_group(self) -> None:
        frame = _Frame(len(self.out), False, self.dotall, self.multiline)
        rest = self.p[self.i :]
        for prefix, look in (("(?:", False), ("(?=", True), ("(?!", True), ("(?<=", True), ("(?<!", True)):
            if rest.startswith(prefix):
                self.push(frame, prefix, look)
                return
        named = regex.match(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", rest)
        if named:
            self.push(frame, f"(?P<{named[1]}>", False, len(named[0]))
        elif rest.startswith("(?"):
            self.flag_group(frame, rest)
        else:
            self.push(frame, "(", False)

    def push(self, frame: _Frame, text: str, lookaround: bool, consumed: int | None = None) -> None:
        frame.lookaround = lookaround
        self.frames.append(frame)
        self.out.append(text)
        self.i += len(text) if consumed is None else consumed
        self.atom_start = None

    def flag_group(self, frame: _Frame, rest: str) -> None:
        m = regex.match(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?([:)])", rest)
        if not m:
            raise self.fail("unsupported group syntax")
        on, off, kind = m[1], m[2] or "", m[3]
        unknown = set(on + off) - FLAG_LETTERS
        if unknown:
            raise self.fail(f"unsupported inline flag {''.join(sorted(unknown))!r}")
        self.note("inline flag group (Java / ES2025 modifier)")
        if kind == ":":
            self.frames.append(frame)
            self.i += len(m[0])
            self.atom_start = None
            self.apply_flags(on, off)
            self.out.append(self.case_group(on, off, ":"))
            return
        # (?i) with no colon: Java scopes it to the rest of the enclosing group, as regex.V1 does.
        self.i += len(m[0])
        self.apply_flags(on, off)
        self.out.append(self.case_group(on, off, ")"))

    def apply_flags(self, on: str, off: str) -> None:
        if "s" in on or "s" in off:
            self.dotall = "s" in on
        if "m" in on or "m" in off:
            self.multiline = "m" in on

    @staticmethod
    def case_group(on: str, off: str, kind: str) -> str:
        """Only ``i`` is left to the engine; ``s`` and ``m`` are applied while translating."""
        i_on, i_off = "i" if "i" in on else "", "i" if "i" in off else ""
        if not i_on and not i_off:
            return "(?:" if kind == ":" else ""
        return f"(?{i_on}{'-' + i_off if i_off else ''}{kind}"

    def close_group(self) -> None:
        if not self.frames:
            raise self.fail("unmatched )")
        frame = self.frames.pop()
        self.i += 1
        self.out.append(")")
        self.dotall, self.multiline = frame.dotall, frame.multiline
        self.atom_start = frame.start
        self.atom_is_assertion = frame.lookaround

    # -- escapes -----------------------------------------------------------------------------------
    def outside_escape(self) -> None:
        c = self.peek(1)
        if c == "b" or c == "B":
            self.i += 2
            self.emit_atom(WORD_BOUNDARY if c == "b" else NOT_WORD_BOUNDARY, assertion=True)
        elif c in ("A", "Z", "z"):
            self.i += 2
            self.note(f"\\{c} anchor (Java)")
            self.emit_atom("\\A" if c == "A" else (self.end() if c == "Z" else "\\Z"), assertion=True)
        elif c.isdigit() and c != "0":
            m = regex.match(r"\\(\d+)", self.p[self.i :])
            self.i += len(m[0])
            self.emit_atom(f"(?:\\{m[1]})")
        elif c == "k" and self.peek(2) == "<":
            m = regex.match(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>", self.p[self.i :])
            if not m:
                raise self.fail("bad \\k<name>")
            self.i += len(m[0])
            self.emit_atom(f"(?P={m[1]})")
        else:
            item = self.escape(in_class=False)
            self.emit_atom(f"[{item}]" if isinstance(item, _Set) else _literal(item))

    def escape(self, in_class: bool) -> int | _Set:
        """Decode the escape at self.i (a backslash) to a code point or a set; advance past it."""
        c = self.peek(1)
        if not c:
            raise self.fail("trailing backslash")
        self.i += 2
        if c in SHORTHANDS:
            return _Set(SHORTHANDS[c])
        if c in SIMPLE_ESCAPES:
            return SIMPLE_ESCAPES[c]
        if c in "pP":
            return self.property_escape(c)
        if c == "u":
            return self.unicode_escape()
        if c == "x":
            return self.hex_escape()
        if c == "c":
            return self.control_escape(in_class)
        if c == "0" and not self.peek().isdigit():
            return 0
        if c == "b" and in_class:
            return 0x08
        if c.isascii() and c.isalnum():
            self.i -= 2
            raise self.fail(f"unsupported escape \\{c}")
        return ord(c)

    def property_escape(self, c: str) -> _Set:
        m = regex.match(r"\{([A-Za-z0-9_ =.\-]+)\}", self.p[self.i :])
        if m:
            self.i += len(m[0])
            if m[1] in JAVA_POSIX:
                self.note(f"\\p{{{m[1]}}} (Java POSIX class, read as Unicode)")
            return _Set(f"\\{c}{{{m[1]}}}")
        if self.peek().isalpha():  # Java's one-letter form \pL
            self.i += 1
            self.note("one-letter \\p (Java)")
            return _Set(f"\\{c}{{{self.p[self.i - 1]}}}")
        raise self.fail(f"bad \\{c} escape")

    def unicode_escape(self) -> int:
        braced = regex.match(r"\{([0-9A-Fa-f]{1,6})\}", self.p[self.i :])
        if braced:
            self.i += len(braced[0])
            cp = int(braced[1], 16)
            if cp > MAX_CP:
                raise self.fail("code point out of range")
            return cp
        m = regex.match(r"[0-9A-Fa-f]{4}", self.p[self.i :])
        if not m:
            return ord("u")  # Annex B identity escape
        self.i += 4
        cp = int(m[0], 16)
        low = regex.match(r"\\u(d[c-f][0-9a-f]{2})", self.p[self.i :], regex.IGNORECASE)
        if 0xD800 <= cp <= 0xDBFF and low:  # surrogate pair -> one code point (u-mode reading)
            self.i += 6
            cp = 0x10000 + ((cp - 0xD800) << 10) + (int(low[1], 16) - 0xDC00)
        return cp

    def hex_escape(self) -> int:
        m = regex.match(r"[0-9A-Fa-f]{2}|\{([0-9A-Fa-f]{1,6})\}", self.p[self.i :])
        if not m:
            return ord("x")  # Annex B identity escape
        self.i += len(m[0])
        if m[1]:
            self.note("\\x{...} escape (Java)")
            return int(m[1], 16)
        return int(m[0], 16)

    def control_escape(self, in_class: bool) -> int:
        letter = self.peek()
        if letter.isascii() and (letter.isalpha() or (in_class and (letter.isdigit() or letter == "_"))):
            self.i += 1
            return ord(letter) % 32
        self.i -= 1  # Annex B: "\c" not followed by a letter is a backslash, then "c"
        return ord("\\")

    # -- character classes -------------------------------------------------------------------------
    def char_class(self) -> str:
        """Parse after ``[`` up to and including the closing ``]``; return the regex text."""
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        body = self.class_body(nested_ok=False)
        if not body:
            return f"[{ANY_BODY}]" if negate else "(?!)"
        return f"[{'^' if negate else ''}{body}]"

    def class_body(self, nested_ok: bool) -> str:
        items: list[ClassItem] = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("missing ]")
            if ch == "]":
                self.i += 1
                return _render_items(items, self)
            if self.p.startswith("&&", self.i):
                return self.intersection(_render_items(items, self))
            if ch == "[" and nested_ok:
                self.i += 1
                items.append(_Set(self.char_class()))
            elif ch == "\\":
                items.append(self.escape(in_class=True))
            else:
                self.i += 1
                items.append(DASH if ch == "-" else ord(ch))

    def intersection(self, left: str) -> str:
        """Java ``[a-z&&[^aeiou]]``; regex.V1 has the same operator and nested classes."""
        self.note("class intersection && (Java)")
        self.i += 2
        right = self.class_body(nested_ok=True)
        return f"{left}&&{right}" if left and right else ""


def _render_items(items: list[ClassItem], t: _Translator) -> str:
    """Resolve ``-`` between items (ECMA + Annex B) and render the class body."""
    parts, k = [], 0
    while k < len(items):
        lo = items[k]
        if k + 2 < len(items) and isinstance(items[k + 1], _Dash):
            hi = items[k + 2]
            lo_cp = ord("-") if isinstance(lo, _Dash) else lo
            hi_cp = ord("-") if isinstance(hi, _Dash) else hi
            if isinstance(lo_cp, int) and isinstance(hi_cp, int):
                if lo_cp > hi_cp:
                    raise t.fail("class range out of order")
                parts.append(f"{_literal(lo_cp)}-{_literal(hi_cp)}")
                k += 3
                continue
        parts.append(_item(lo))
        k += 1
    return "".join(parts)


def _item(item: ClassItem) -> str:
    if isinstance(item, _Dash):
        return "\\-"
    return str(item) if isinstance(item, _Set) else _literal(item)


# -- public API ------------------------------------------------------------------------------------
def translate_pattern(source: str, java_end: bool = False) -> str:
    """ECMA-262 pattern -> pattern for ``regex.compile(..., regex.V1)``; raises PatternError.

    ``java_end``: `$` also matches before a final line terminator, as in Java (CloudFormation's engine).
    """
    return _Translator(source, java_end).run()


@lru_cache(maxsize=8192)
def analyze_pattern(source: str, java_end: bool = False) -> PatternInfo:
    translator = _Translator(source, java_end)
    try:
        translated = translator.run()
    except PatternError as exc:
        return PatternInfo(source, problem=f"cannot translate: {exc}", notes=tuple(translator.notes))
    try:
        compiled = regex.compile(translated, regex.V1)
    except (regex.error, ValueError, OverflowError) as exc:
        return PatternInfo(
            source, translated, problem=f"regex rejects translation: {exc}", notes=tuple(translator.notes)
        )
    return PatternInfo(source, translated, compiled, notes=tuple(translator.notes))


def compile_pattern(source: str, java_end: bool = False) -> regex.Pattern | None:
    """Compiled pattern with ECMA-262 meaning, or None if it cannot be supported (skip the check)."""
    return analyze_pattern(source, java_end).compiled


def pattern_problems(source: str) -> str | None:
    """Why ``compile_pattern`` returns None for this pattern; None when it compiles."""
    return analyze_pattern(source).problem


def pattern_notes(source: str) -> tuple[str, ...]:
    """Non-ECMA (mostly Java) constructs that were accepted, for messages."""
    return analyze_pattern(source).notes


def pattern_search(source: str, value: str, timeout: float = MATCH_TIMEOUT, java_end: bool = False) -> bool | None:
    """JSON Schema ``pattern`` test (unanchored search). None: unsupported pattern or timed out."""
    compiled = compile_pattern(source, java_end)
    if compiled is None:
        return None
    try:
        return compiled.search(value, timeout=timeout) is not None
    except TimeoutError:
        return None


def repeat_weight(source: str, cap: int) -> int:
    """What compiling ``source`` costs, roughly: its largest product of nested counted repeats (`(?:a{100}){100}`
    is 10,000; the `regex` module's compile time grows with it), at most ``cap + 1``. Read in one pass, for
    expressions written in an input, before they are compiled."""
    stack = [1]  # the heaviest weight inside each open group
    last = 1  # the weight of the atom before the current character
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            i, last = i + 2, 1
            continue
        if ch == "[":
            i, last = _class_end(source, i + 1), 1
            continue
        if ch == "(":
            stack.append(1)
            last = 1
        elif ch == ")" and len(stack) > 1:
            last = stack.pop()
        elif ch == "{" and (m := _COUNTED.match(source, i)):
            low, high = int(m[1][:12]), m[2]
            last = min(cap + 1, last * max(low, int(high[:12]) if high else low, 1))
            stack[-1] = max(stack[-1], last)
            i = m.end()
            continue
        else:
            last = 1
        stack[-1] = max(stack[-1], last)
        i += 1
    return max(stack)


def _class_end(source: str, i: int) -> int:
    """The index after the `]` that closes a character class opened before ``i``."""
    if i < len(source) and source[i] == "]":
        i += 1
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1
