"""Reporters: an engine result as text, JSON, SARIF or GitHub annotations. They never decide what is a finding."""

from __future__ import annotations

import hashlib
import importlib
import re
from collections import Counter
from collections.abc import Callable, Iterable

from mplint.engine import Result
from mplint.files import printable
from mplint.findings import Finding
from mplint.source import SourceFile

FINGERPRINT_KEY = "mplint/v1"
FINGERPRINT_LINE = 500  # characters of a finding's line that go into its fingerprint
FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "rdjson")  # what `--format` offers
REPORTERS = (*FORMATS, "summary")  # `summary`: the GitHub job summary, written beside any format

# Positions quoted inside a message ("first at line 12", "a.yml:3:5") must not move the fingerprint.
_POSITION_RE = re.compile(r"\b(lines?|columns?|col)\s+\d+|:\d+(?::\d+)?\b", re.IGNORECASE)


def fingerprint(finding: Finding, sources: dict[str, SourceFile]) -> str:
    """A finding's identity across runs: rule, path, key path, the normalised line and the message
    (positions removed); never the line number, so that inserting lines above keeps it."""
    source = sources.get(finding.span.path)
    line = ""
    if source is not None and 0 < finding.span.line <= len(source.lines):
        text = source.lines[finding.span.line - 1]
        if len(text) > FINGERPRINT_LINE:  # a minified file: the text from the finding on, not the whole line
            start = finding.span.col - 1
            text = text[start : start + FINGERPRINT_LINE]
        line = " ".join(text.split())
    message = _POSITION_RE.sub("#", finding.message)
    parts = [finding.rule_id, finding.span.path, "/".join(map(str, finding.key_path)), line, message]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding], sources: dict[str, SourceFile]) -> list[str]:
    """One fingerprint a finding, unique within the run: a repeat gets `:2`, `:3`, ... in document order."""
    seen: Counter[str] = Counter()
    out: list[str] = []
    for finding in findings:
        base = fingerprint(finding, sources)
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}:{seen[base]}")
    return out


Reporter = Callable[[Result, dict[str, SourceFile], dict], str]


def get_reporter(name: str) -> Reporter:
    """The module `mplint.report.<name>`'s render, imported only when asked for."""
    if name not in REPORTERS:
        raise ValueError(f"unknown format {name!r}")
    render = importlib.import_module(f"mplint.report.{name}").render
    json_text = name in ("json", "sarif", "gitlab", "rdjson")
    if name == "junit":
        return lambda result, sources, options: xml_safe(writable(render(result, sources, options)))
    if name in ("github", "summary"):  # read in a terminal or a log viewer (text escapes its own pieces)
        return lambda result, sources, options: visible(writable(render(result, sources, options)))
    return lambda result, sources, options: writable(render(result, sources, options), json_text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 does not allow


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and line feed


def visible(text: str) -> str:
    """Text in which a control character quoted from an input is an escape such as `\\x1b`: a terminal or a
    CI log would otherwise obey it (clear the screen, overwrite or hide a line)."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def xml_safe(text: str) -> str:
    """An XML report in which a control character quoted from an input (`\\u0001` in a policy) is an escape
    such as `\\x01`: XML 1.0 has no way to write it, and a reader refuses the whole file."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def writable(text: str, json_text: bool = False) -> str:
    """A report that encodes as UTF-8 whatever it quotes: a lone surrogate (from a JSON `\\ud800` escape in a
    policy, or a file name that is not UTF-8) becomes an escape, `\\ud800` in JSON, `\\xff`/`\\ud800` in text."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        if json_text:  # inside a JSON string, where every such character is
            return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        return printable(text)
    return text
