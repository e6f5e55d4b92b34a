"""Bytes to text: what a page's bytes say about their encoding, and whether they are text.

A page arrives as bytes, with at most a charset from the HTTP headers. Its BOM, the
declared charset, its own `<meta charset>` and the pattern of its NUL bytes (UTF-16 without
a BOM) say how to read it; images and archives piped in by mistake are refused here,
before any reader sees them.
"""

from __future__ import annotations

import codecs
import re

from liveblog_cli.errors import ParseError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Magic numbers of formats people pipe in by mistake.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\x1f\x8b",
    b"PK\x03\x04",
    b"%PDF",
    b"GIF8",
    b"\xff\xd8\xff",
    b"BZh",
    b"\xfd7zXZ",
    b"RIFF",
    b"\x00\x00\x00",
)


def decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: a BOM, else the declared charset, else the page's meta, else UTF-8.

    Invalid sequences become U+FFFD rather than failing: a page with one bad byte is still a
    page worth archiving.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    for name in _declared(data, charset):
        try:
            return data.decode(name, errors="replace")
        except (LookupError, ValueError):
            continue
    return data.decode("utf-8", errors="replace")


def _declared(data: bytes, charset: str | None) -> list[str]:
    """The text encodings the caller and the page declare, in that order, by codec name."""
    candidates = [charset] if charset else []
    m = _META_CHARSET.search(data[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii"))
    names = []
    for name in candidates:
        try:
            info = codecs.lookup(name)
        except LookupError:
            continue
        # base64, rot13, zlib, hex ... are codecs but not text encodings: a page declaring
        # one says nothing usable about its characters.
        if getattr(info, "_is_text_encoding", True):
            names.append(info.name)
    return names


def utf8_as_is(data: bytes, charset: str | None) -> bool:
    """Whether `decode` reads these bytes as UTF-8 from their first byte (no BOM, no other
    encoding declared that decodes them): then a JSON decoder may read the bytes themselves
    rather than encode the decoded text back to UTF-8."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return False
    for name in _declared(data, charset):
        if name == "utf-8":
            return True
        try:
            data.decode(name, errors="replace")  # as `decode` tries it: then not UTF-8
        except (LookupError, ValueError):
            continue
        return False
    return True


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f")


def _utf16_without_bom(head: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when NULs sit in every other byte, as in mostly-ASCII UTF-16."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.9 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.9 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def check_bytes(data: bytes) -> str | None:
    """Reject what is not text at all; return a charset when the bytes themselves say it."""
    if not data or not data.strip():
        raise ParseError("empty input: nothing to parse")
    if data.startswith(_BINARY_MAGIC):
        raise ParseError("binary input: this looks like an image or archive, not a web page")
    if any(data.startswith(b) for b, _ in _BOMS):
        return None
    head = data[:8192]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return utf16
        raise ParseError("binary input: NUL bytes in what should be text")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > len(head) // 20:
        raise ParseError("binary input: control bytes in what should be text")
    return None
