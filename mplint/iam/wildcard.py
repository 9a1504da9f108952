"""IAM glob matching for actions and resource ARNs, without regular expressions.

Actions (``service:Name``) match case-insensitively; ``*`` is any run of
characters and ``?`` exactly one. ARNs match case-sensitively with the segment
rules of the IAM User Guide: ``?`` is one character within a segment (never a
colon), a ``*`` matches a run within its segment, and a ``*`` that ends a
segment (followed by ``:`` or the end of the pattern) may run on across later
colons. ``*`` spans ``/``.

A pattern is compiled once (cached) into tokens and matched by simulating its
automaton over the text: time is O(len(pattern) * len(text)) at worst, with no
backtracking blow-up whatever the input.

Under policy Version 2012-10-17 a ``${...}`` in a resource is a policy
variable; ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters. A
variable whose value is not known is matched as a ``*`` that may cross colons: a
match then means "matches for some value of the variable".

The partition, service, region and account of a real ARN are lower case (or
digits): a policy pattern with an upper-case letter there matches nothing. The
same compiled patterns serve the evaluator and the policy rules (MPL411/MPL412),
so both give one answer for one pattern.
"""

from __future__ import annotations

import re
from functools import lru_cache

from msgspec import Struct

LIT = 0  # one given character
ONE = 1  # ``?``: one character (never ``:`` in an ARN)
SEG = 2  # ``*`` within an ARN segment: a run without ``:``
ANY = 3  # ``*`` that may cross colons (every ``*`` of an action pattern)
CHAR = 4  # ``?`` of an action pattern: any one character
NAME = 5  # an unknown S3 bucket name: a run without ``:`` or ``/``
NEVER = 6  # a position no character fills: the pattern matches nothing

_STARS = (SEG, ANY, NAME)
_ESCAPES = {"${*}": "*", "${?}": "?", "${$}": "$"}

Token = tuple[int, str]


class Glob(Struct, frozen=True):
    """A compiled pattern: tokens plus what fast paths it allows."""

    text: str
    tokens: tuple[Token, ...]
    ignore_case: bool
    variables: tuple[str, ...] = ()  # policy variable names, e.g. "aws:username"
    literal: str | None = None  # the text matched when the pattern has no wildcard
    prefix: str | None = None  # set when the pattern is ``prefix*`` with a crossing star

    @classmethod
    def of(cls, text: str, tokens: tuple[Token, ...], ignore_case: bool, variables: tuple[str, ...] = ()) -> Glob:
        tokens = tuple(map(_shared, tokens))
        wild = [i for i, (kind, _) in enumerate(tokens) if kind != LIT]
        literal = prefix = None
        if not wild:
            literal = "".join(ch for _, ch in tokens)
        elif wild == [len(tokens) - 1] and tokens[-1][0] == ANY:
            prefix = "".join(ch for _, ch in tokens[:-1])
        return cls(text, tokens, ignore_case, variables, literal, prefix)

    @property
    def has_variables(self) -> bool:
        return bool(self.variables)

    @property
    def is_universal(self) -> bool:
        """True when the pattern matches every string (a lone crossing star)."""
        return self.prefix == ""

    def matches(self, text: str) -> bool:
        """Does the pattern match the concrete ``text``?"""
        if self.ignore_case:
            text = text.lower()
        if self.literal is not None:
            return self.literal == text
        if self.prefix is not None:
            return text.startswith(self.prefix)
        return _run(self.tokens, text)

    def overlaps(self, other: Glob) -> bool:
        """Is there a string that both patterns match?"""
        if self.is_universal or other.is_universal:
            return True  # every pattern matches some string
        if other.literal is not None:
            return self.matches(other.literal)
        if self.literal is not None:
            return other.matches(self.literal)
        return _overlap(self.tokens, other.tokens)

    def covers(self, other: Glob) -> bool:
        """Does this pattern match every string that ``other`` matches? Sound, not complete.

        ``other``'s wildcards are read as opaque symbols that only a wildcard of
        this pattern at least as wide can absorb. A True answer is always right;
        a False answer may be wrong for contrived pairs (``?*`` does cover
        ``*?``), which the evaluator turns into "cannot tell", never a grant.
        """
        if self.is_universal:
            return True
        return _covers(self.tokens, other.tokens)


_TOKENS: dict[Token, Token] = {}  # one tuple per distinct token, shared by every cached pattern
_MAX_TOKENS = 65536


def _shared(token: Token) -> Token:
    """The one copy of this token: cached patterns spell the same characters over and over (a token per
    character of every ARN), and a tuple each was a third of the pattern caches' memory."""
    found = _TOKENS.get(token)
    if found is None:
        if len(_TOKENS) >= _MAX_TOKENS:
            return token
        found = _TOKENS[token] = token
    return found


# ---------------------------------------------------------------------------
# Compiling


@lru_cache(maxsize=65536)
def compile_action(pattern: str) -> Glob:
    """An action pattern (``s3:Get*``): case-insensitive; ``*`` any run, ``?`` one character."""
    tokens: list[Token] = []
    for ch in pattern.lower():
        if ch == "*":
            if not (tokens and tokens[-1][0] == ANY):
                tokens.append((ANY, ""))
        elif ch == "?":
            tokens.append((CHAR, ""))
        else:
            tokens.append((LIT, ch))
    return Glob.of(pattern, tuple(tokens), True)


@lru_cache(maxsize=65536)
def compile_arn(pattern: str, variables: bool = False) -> Glob:
    """A resource ARN pattern; with ``variables`` (Version 2012-10-17) ``${...}`` is a policy variable."""
    raw: list[Token] = []
    names: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if variables and ch == "$" and pattern.startswith("${", i) and (end := pattern.find("}", i + 2)) != -1:
            whole = pattern[i : end + 1]
            if whole in _ESCAPES:
                raw.append((LIT, _ESCAPES[whole]))
            else:
                names.append(whole[2:-1].split(",")[0].strip())
                raw.append((ANY, "var"))
            i = end + 1
            continue
        raw.append((SEG, "") if ch == "*" else (ONE, "") if ch == "?" else (LIT, ch))
        i += 1
    if _upper_field(pattern):
        raw.append((NEVER, ""))
    return Glob.of(pattern, _segment_stars(raw), False, tuple(names))


def _upper_field(pattern: str) -> bool:
    """An upper-case letter in the partition, service, region or account of an ARN pattern."""
    if not pattern.startswith("arn:"):
        return False
    fields = pattern.split(":", 5)[1:5]
    return any(ch.isupper() for part in fields for ch in _VARIABLE_RE.sub("", part))


_VARIABLE_RE = re.compile(r"\$\{[^}]*\}")


@lru_cache(maxsize=8192)
def compile_template(template: str) -> Glob:
    """An ARN template of the IAM reference (`arn:${Partition}:s3:::${BucketName}`) as a request pattern: a
    placeholder before the resource part stands for one field, one in the resource part for any text, and
    a bucket name for a run without `/`."""
    return _template(template, 0)


def _template(template: str, colons: int) -> Glob:
    tokens: list[Token] = []
    for piece in re.split(r"(\$\{[^}]*\})", template):
        if piece.startswith("${"):
            if piece == "${BucketName}" and colons == 5:
                tokens.append((NAME, ""))
            else:
                tokens.append((ANY, "") if colons >= 5 else (SEG, ""))
            continue
        for ch in piece:
            tokens.append((LIT, ch))
            colons += ch == ":"
    return Glob.of(template, _merge_stars(tuple(tokens)), False)


@lru_cache(maxsize=4096)
def compile_request_arn(resource: str) -> Glob:
    """A request resource: ``*`` marks an unknown part; no ``?``.

    mplint writes a ``*`` for one unknown ARN field or name (a region, an account, a templated name or
    version), which never holds a colon: unlike a policy's trailing ``*``, it stays within its segment.
    Letting it cross colons would make every NotResource list look as if it might exclude the resource.
    """
    if resource == "*":  # nothing known at all: any resource
        return Glob.of(resource, ((ANY, ""),), False)
    return Glob.of(resource, _merge_stars(tuple((SEG, "") if ch == "*" else (LIT, ch) for ch in resource)), False)


@lru_cache(maxsize=65536)
def template_fit(pattern: str, variables: bool, template: str) -> str:
    """How an ARN pattern meets every resource of an ARN template: "all", "some" or "none".

    The partition, service, region and account of a real ARN hold no colon, so a six-part pattern is
    matched part by part; a `*` that ends a part runs on over later colons only where the resource type
    itself spells one (`secret:${SecretId}`, `log-group:${LogGroupName}`), never into a name. A shorter
    pattern, whose last `*` runs on, is matched as a whole.
    """
    got, want = _fields(pattern), _fields(template)
    if len(got) < 6 or len(want) < 6:
        whole, request = compile_arn(pattern, variables), compile_template(template)
        return "all" if whole.covers(request) else "some" if whole.overlaps(request) else "none"
    if any(ch.isupper() for part in got[1:5] for ch in _VARIABLE_RE.sub("", part)):
        return "none"  # real ARNs are lower case there
    fits = []
    for i, (mine, theirs) in enumerate(zip(got, want, strict=True)):
        fit = _part_fit(mine, variables, theirs, i == 5)
        if fit == "none":
            fits = []
            break
        fits.append(fit)
    if fits:
        return "all" if all(f == "all" for f in fits) else "some"
    if ":" in _VARIABLE_RE.sub("", want[5]):  # a `*` ending a part may run on over the colons the type spells
        return "some" if compile_arn(pattern, variables).overlaps(compile_template(template)) else "none"
    return "none"


@lru_cache(maxsize=16384)
def _part_fit(mine: str, variables: bool, theirs: str, last: bool) -> str:
    """How one part of a pattern meets that part of a template (parts repeat across patterns: `arn`, `*`, `aws`)."""
    glob, request = compile_arn(mine, variables), _template(theirs, 5 if last else 0)
    return "all" if glob.covers(request) else "some" if glob.overlaps(request) else "none"


def _fields(text: str) -> list[str]:
    """The six parts of an ARN (fewer when it has fewer), not splitting inside a `${...}`."""
    if "${" not in text:
        return text.split(":", 5)
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{" and text[i - 1 : i] == "$":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        elif ch == ":" and not depth and len(out) < 5:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _merge_stars(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    out: list[Token] = []
    for token in tokens:
        if token[0] in _STARS and out and out[-1][0] in _STARS:
            continue
        out.append(token)
    return tuple(out)


def _segment_stars(raw: list[Token]) -> tuple[Token, ...]:
    """Merge runs of stars; a star that ends a segment (before ``:`` or the end) may cross colons."""
    out: list[Token] = []
    for kind, value in raw:
        if kind in _STARS and out and out[-1][0] in _STARS:
            if kind == ANY:
                out[-1] = (ANY, "")
            continue
        out.append((ANY, "") if kind == ANY else (kind, value))
    last = len(out) - 1
    for i, (kind, _) in enumerate(out):
        if kind == SEG and (i == last or out[i + 1] == (LIT, ":")):
            out[i] = (ANY, "")
    return tuple(out)


def match_action(pattern: str, action: str) -> bool:
    """Does the action pattern match the action (case-insensitive)?"""
    return compile_action(pattern).matches(action)


def match_arn(pattern: str, arn: str, variables: bool = False) -> bool:
    """Does the ARN pattern match the concrete ARN (case-sensitive, segment rules)?"""
    return compile_arn(pattern, variables).matches(arn)


def arn_patterns_overlap(a: str, b: str) -> bool:
    """Can some ARN match both patterns? Both use policy wildcards (``*``, ``?``)."""
    return compile_arn(a).overlaps(compile_arn(b))


def arn_pattern_covers(pattern: str, request: str) -> bool:
    """Does the policy ``pattern`` match every ARN the request pattern (``*`` = unknown part) stands for?"""
    return compile_arn(pattern).covers(compile_request_arn(request))


# ---------------------------------------------------------------------------
# Matching engines


def _closure(tokens: tuple[Token, ...], states: set[int]) -> set[int]:
    """Add the states reachable by letting stars match the empty string."""
    out = set(states)
    for i in states:
        while i < len(tokens) and tokens[i][0] in _STARS:
            i += 1
            out.add(i)
    return out


def _accepts(kind: int, value: str, ch: str) -> bool:
    if kind == LIT:
        return value == ch
    if kind in (ANY, CHAR):
        return True
    if kind == NAME:
        return ch not in ":/"
    if kind == NEVER:
        return False
    return ch != ":"  # ONE and SEG: ARN wildcards stay within a segment


def _run(tokens: tuple[Token, ...], text: str) -> bool:
    """Simulate the pattern's automaton over ``text`` (state i: i tokens consumed)."""
    n = len(tokens)
    states = _closure(tokens, {0})
    for ch in text:
        nxt: set[int] = set()
        for i in states:
            if i == n:
                continue
            kind, value = tokens[i]
            if _accepts(kind, value, ch):
                nxt.add(i if kind in _STARS else i + 1)
        if not nxt:
            return False
        states = _closure(tokens, nxt)
    return n in states


def _classes_meet(a: Token, b: Token) -> bool:
    """Is there one character that both single-character positions accept?"""
    if a[0] == LIT and b[0] == LIT:
        return a[1] == b[1]
    if a[0] == LIT:
        return _accepts(b[0], b[1], a[1])
    if b[0] == LIT:
        return _accepts(a[0], a[1], b[1])
    return NEVER not in (a[0], b[0])  # two wildcard classes share some character that is not `:` or `/`


def _overlap(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """Search the product automaton for a common accepted string."""
    start = (0, 0)
    seen = {start}
    todo = [start]
    while todo:
        i, j = todo.pop()
        if i == len(a) and j == len(b):
            return True
        moves: list[tuple[int, int]] = []
        if i < len(a) and a[i][0] in _STARS:
            moves.append((i + 1, j))
        if j < len(b) and b[j][0] in _STARS:
            moves.append((i, j + 1))
        if i < len(a) and j < len(b) and _classes_meet(a[i], b[j]):
            moves.append((i if a[i][0] in _STARS else i + 1, j if b[j][0] in _STARS else j + 1))
        for move in moves:
            if move not in seen:
                seen.add(move)
                todo.append(move)
    return False


def _absorbs(p: Token, q: Token) -> bool:
    """Can the policy position ``p`` take every string the request symbol ``q`` stands for?"""
    pk, qk = p[0], q[0]
    if pk == NEVER or qk == NEVER:
        return False
    if pk == ANY:
        return True
    if pk == CHAR:
        return qk in (ONE, CHAR, LIT)
    if pk == SEG:
        return qk in (ONE, SEG, NAME) or (qk == LIT and q[1] != ":")
    if pk == NAME:
        return qk == NAME or (qk == LIT and q[1] not in ":/")
    if pk == ONE:
        return qk == ONE or (qk == LIT and q[1] != ":")
    return qk == LIT and q[1] == p[1]


def _covers(p: tuple[Token, ...], q: tuple[Token, ...]) -> bool:
    """Match ``p`` against the symbol string ``q`` (its wildcards are opaque symbols)."""
    n = len(p)
    states = _closure(p, {0})
    for sym in q:
        nxt: set[int] = set()
        for i in states:
            if i < n and _absorbs(p[i], sym):
                nxt.add(i if p[i][0] in _STARS else i + 1)
        if not nxt:
            return False
        states = _closure(p, nxt)
    return n in states


def run_tokens(tokens: tuple[Token, ...], text: str) -> bool:
    """Match compiled tokens (LIT, CHAR, ANY, and the ARN kinds) against a concrete text."""
    return _run(tokens, text)
