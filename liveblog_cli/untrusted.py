"""Untrusted text: the one place that says what a page-derived string may carry where.

A publisher (or someone posing as one) writes every title, post, id and header liveblog
handles. Each destination has its own rule, named here and used everywhere:

- `one_line`: a message or log line: every control and invisible character shown as an
  escape (a newline would forge a log line, ESC starts a terminal sequence).
- `for_terminal`: a view on a terminal: the same, but tab and newline kept.
- `stripped`: text that stays text (exports, parsed titles): controls dropped, tab and
  newline kept.
- `xml_legal`: what XML 1.0 allows (Atom, HTML), with C1 controls dropped too;
  `lxml_legal`: what lxml lets a tree hold.
- `csv_cell`: a cell no spreadsheet evaluates.
- `json_inert` / `json_inert_line`: JSON whose raw DEL, C1 and line separators are escaped
  (json.dumps leaves them raw with ensure_ascii=False).
- `spaces_plain`: scraped text with controls dropped and odd spaces made plain (parsers).

Invisible characters are those that reorder or hide text (bidi embeddings, overrides and
isolates, marks, zero-width spaces: Trojan Source). Zero-width (non-)joiners stay: scripts
such as Devanagari need them.
"""

from __future__ import annotations

import re
from typing import Any

INVISIBLE = "\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
# C0 controls but tab and newline, DEL, C1 controls.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Spaces that are not U+0020: folded to it by parsers.
_ODD_SPACES = "\xa0\u2000-\u200a\u202f\u205f\u3000"

_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]")
_TERMINAL = re.compile(f"[{_CONTROLS}{INVISIBLE}]")
_CONTROL = re.compile(f"[{_CONTROLS}]")
# Forbidden in XML 1.0 (surrogates, U+FFFE/U+FFFF, C0 but tab, newline and CR), and the C1
# controls it discourages (U+0085, a line break, stays).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
# What json.dumps(ensure_ascii=False) leaves raw but a terminal or a JavaScript reader would not.
# What lxml refuses to put in a tree (it keeps C1 controls: they are the text's business).
_NOT_LXML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029]")
_JSON_RAW_BYTES = re.compile(rb"\xc2[\x80-\x9f]|\x7f|\xe2\x80[\xa8\xa9]")  # the same, as UTF-8
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")  # a literal first byte: searched at memchr speed
# Every character `spaces_plain` changes: controls (tab too) and odd spaces.
_ODD = re.compile(f"(?P<c>[{_CONTROLS}])|[\t{_ODD_SPACES}]")
_SEARCH_MARKS = "\x02\x03"  # set by search around matched words, never present in text

# Characters spreadsheets treat as the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def visible(match: re.Match[str]) -> str:
    """A matched character as the escape that shows it: `\\x1b`, `\\u202e`."""
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """One line for stderr or a log: controls and invisible characters shown as escapes."""
    value = str(text)
    return _ONE_LINE.sub(visible, value) if _ONE_LINE.search(value) else value


def for_terminal(value: object) -> str:
    """Text that cannot drive a terminal: controls shown as `\\x1b`-style escapes, bidi
    controls as `\\u202e`; tab and newline kept."""
    text = "" if value is None else str(value)
    return _TERMINAL.sub(visible, text) if _TERMINAL.search(text) else text


def for_terminal_marked(value: str) -> str:
    """`for_terminal`, keeping the two marks search puts around matched words."""
    return _TERMINAL.sub(lambda m: m.group() if m.group() in _SEARCH_MARKS else visible(m), value)


def is_terminal_safe(value: str) -> bool:
    return _TERMINAL.search(value) is None


def stripped(value: Any) -> str:
    """Text with control characters removed (tab and newline stay)."""
    return _CONTROL.sub("", "" if value is None else str(value))


def xml_legal(value: Any) -> str:
    """Text XML 1.0 can hold: forbidden characters and C1 controls removed."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def is_xml_legal(value: str) -> bool:
    return _NOT_XML.search(value) is None


def lxml_legal(value: str) -> str:
    """Text lxml will let a parsed tree hold (the parser keeps characters it will not let
    us write back)."""
    return _NOT_LXML.sub("", value)


def csv_cell(value: Any) -> str:
    """A cell no spreadsheet will evaluate: a leading formula character gets a `'` guard."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = stripped(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def json_inert(text: str) -> str:
    """JSON text with DEL, C1 controls and U+2028/U+2029 escaped as `\\uXXXX`."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_inert_line(line: bytes) -> bytes:
    """`json_inert` over a UTF-8 JSON line. Every C1 control is encoded as 0xC2 0x80-0x9F,
    U+2028/U+2029 as 0xE2 0x80 0xA8/0xA9: memchr-speed tests settle almost every line, and
    only lines that hold one of those first bytes or a DEL are searched further."""
    if (b"\xc2" in line or b"\x7f" in line or b"\xe2\x80" in line) and _JSON_RAW_BYTES.search(line):
        return json_inert(line.decode("utf-8")).encode("utf-8")
    return line


def json_inert_lines(chunk: bytes) -> bytes:
    """`json_inert_line` over each line of a chunk of them. A memchr for DEL and for 0xC2
    settles most chunks; a chunk with 0xC2 (a pound sign, a no-break space) is searched for
    a C1 control without the alternation of `_JSON_RAW_BYTES` (0.3 ms a megabyte, not 2.5).
    Only a chunk with something to escape is taken line by line, so each line is changed
    exactly as it would be alone."""
    if (
        b"\x7f" in chunk
        or b"\xe2\x80\xa8" in chunk
        or b"\xe2\x80\xa9" in chunk
        or (b"\xc2" in chunk and _C1_BYTES.search(chunk))
    ):
        return b"\n".join(json_inert_line(line) for line in chunk.split(b"\n"))
    return chunk


def _odd(m: re.Match[str]) -> str:
    return "" if m.group("c") else " "


def spaces_plain(value: str) -> str:
    """Controls dropped, tabs and odd spaces (no-break, thin, ideographic ...) made U+0020."""
    return _ODD.sub(_odd, value)


__all__ = [
    "INVISIBLE",
    "csv_cell",
    "for_terminal",
    "for_terminal_marked",
    "is_terminal_safe",
    "is_xml_legal",
    "json_inert",
    "json_inert_line",
    "json_inert_lines",
    "lxml_legal",
    "one_line",
    "spaces_plain",
    "stripped",
    "visible",
    "xml_legal",
]
