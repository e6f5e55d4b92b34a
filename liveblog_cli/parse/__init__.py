"""Parsing: one entry point that sniffs what it was given and calls the right extractor."""

from __future__ import annotations

import codecs
import contextlib
import functools
import gc
import re
import threading
from collections.abc import Iterator
from typing import Any

from liveblog_cli.errors import ParseError
from liveblog_cli.model import LiveBlog, language_tag, qualified_blog_id
from liveblog_cli.parse.source import Doc, Kind, Plan, Reach, Source, pages_remembered

__all__ = [
    "ParseError",
    "Plan",
    "Reach",
    "decode",
    "page_url_for",
    "parse_page",
    "plan",
    "sources",
]


@functools.cache
def sources() -> tuple[Source, ...]:
    """The registry: every format liveblog reads, one line each.

    Within each kind of input (JSON, scraped text, HTML), the first source whose sniff
    says yes reads the page: the order is behaviour (richest and most specific first).
    Adding a publisher is a module under parse/ and a line here.
    """
    from liveblog_cli.parse import (
        bbc,
        generic,
        guardian_api,
        guardian_dcr,
        guardian_html,
        guardian_scraped,
        jsonld,
        sourcefabric,
    )

    return (
        guardian_api.CAPI,
        guardian_dcr.DCR,
        bbc.PAGE_DATA,
        sourcefabric.POSTS,
        guardian_scraped.SCRAPED,
        guardian_html.HTML,
        bbc.EMBEDDED,
        jsonld.STRUCTURED,
        generic.GENERIC,
        jsonld.ANNOUNCED,
    )


def _readers(kind: Kind) -> list[Source]:
    return [s for s in sources() if s.reads == kind]


def page_url_for(address: str) -> str:
    """The page URL behind an address asked for, without knowing the reach it was asked
    with (a stored fetch, a web archive's record): the Guardian's JSON suffix taken off."""
    from urllib.parse import urlsplit

    if "dcr=true" in urlsplit(address).query:
        from liveblog_cli.parse.guardian_dcr import page_url

        return page_url(address)
    return address


def plan(url: str, reach: Reach | None = None) -> Plan:
    """How to fetch the blog at `url`: what its publisher says, else the page itself."""
    reach = reach or Reach()
    for source in sources():
        if source.plan is not None:
            found = source.plan(url, reach)
            if found is not None:
                return found
    return Plan(addresses=(url,))


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


def _utf8_as_is(data: bytes, charset: str | None) -> bool:
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


def _check_bytes(data: bytes) -> str | None:
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


class _CollectorPause:
    """The cyclic garbage collector paused while any thread parses, resumed after the last.

    A parse allocates hundreds of thousands of containers that all live until it ends; the
    collector, triggered by allocation counts, would walk them again and again (a page of
    50,000 posts cost half as much again per post as one of 500). A parse makes no cycles
    worth collecting meanwhile. Counted, so threads parsing at once (fetch reads several
    blogs at a time) leave the collector as they found it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


_collector_paused = _CollectorPause()


def parse_page(data: bytes, url: str | None = None, *, charset: str | None = None) -> LiveBlog:
    """Parse a saved or fetched page: Guardian DCR JSON or HTML, a scraped Guardian copy,
    BBC page data, schema.org JSON-LD or microdata, or a page of timed posts.

    Raises ParseError with a one-line reason when the input is not a live blog.
    """
    with _collector_paused(), pages_remembered():
        return _parse_page(data, url, charset)


def _parse_page(data: bytes, url: str | None, charset: str | None) -> LiveBlog:
    charset = _check_bytes(data) or charset
    raw = data if _utf8_as_is(data, charset) else None
    try:
        blog = _utf8_json(raw, url) if raw is not None else None
        if blog is None:
            blog = _parse_text(decode(data, charset), url, raw)
    except RecursionError:
        raise ParseError("not a live blog: the page is nested too deeply to read") from None
    except MemoryError:
        raise ParseError("not a live blog: the page is too large to read") from None
    if not blog.blocks:
        raise ParseError(f"no posts: {blog.id[:200]} is a live blog with no posts (yet)")
    blog.id = qualified_blog_id(blog.id, blog.url, blog.source_format)
    return _bounded(blog)


# Enough bytes to hold the first 4,096 characters whole (four bytes at most to one), with
# room for a character cut at the end.
_HEAD_BYTES = 4 * 4096 + 16


def _utf8_json(raw: bytes, url: str | None) -> LiveBlog | None:
    """A UTF-8 page that opens as JSON, read without decoding all of it to text first (the
    JSON decoder reads the bytes; the text is decoded only if a reader asks for it). None
    when it does not open as JSON or a scraped-text reader claims it: `_parse_text` decides.

    The same as `_parse_text` on the decoded text: ASCII whitespace is what both strips in
    front of `{` or `[`, and the first 4,096 characters decoded from the first bytes are
    those decoded from all of them.
    """
    body = raw.lstrip()
    if body[:1] not in (b"{", b"["):
        return None
    head = body[:_HEAD_BYTES].decode("utf-8", errors="replace")[:4096]
    if any(s.sniff(Doc(head, url)) for s in _readers("text")):
        return None
    return _parse_json(Doc(lambda: body.decode("utf-8", errors="replace"), url, raw=body))


def _parse_text(text: str, url: str | None, raw: bytes | None = None) -> LiveBlog:
    """`raw`: the bytes `text` was decoded from as UTF-8, when it was (see `Doc.raw`)."""
    stripped = text.lstrip()
    head = Doc(stripped[:4096], url)
    if stripped[:1] in "{[" and not any(s.sniff(head) for s in _readers("text")):
        return _parse_json(Doc(stripped, url, raw=raw))
    doc = Doc(text, url)
    for source in _readers("text"):
        if source.sniff(doc):
            return source.read(doc)
    if "<" in text:
        return _parse_html(doc)
    raise ParseError("not a live blog: plain text without live-blog structure")


MAX_ID_LENGTH = 256


def _bounded(blog: LiveBlog) -> LiveBlog:
    """Ids a hostile page made absurdly long are replaced by stable hashes of themselves.

    A 10 MB block id is no identifier anybody can use; its hash still tells the same block
    from the next fetch.
    """
    from liveblog_cli.model import merge_blocks, stable_id

    if len(blog.id) > MAX_ID_LENGTH:
        blog.id = stable_id("long-blog-id", blog.id)
    if any(len(b.id) > MAX_ID_LENGTH for b in blog.blocks):
        renamed = {}
        for block in blog.blocks:
            if len(block.id) > MAX_ID_LENGTH:
                renamed[block.id] = block.id = stable_id("long-block-id", block.id)
        blog.blocks = merge_blocks(blog.blocks)
        if blog.body_ids is not None:
            blog.body_ids = [renamed.get(i, i) for i in blog.body_ids]
    return blog


def _parse_json(doc: Doc) -> LiveBlog:
    try:
        doc.json  # noqa: B018 (decoded here so that invalid JSON says why)
    except ValueError as exc:
        raise ParseError(f"not a live blog: invalid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise ParseError("not a live blog: JSON nested too deeply") from None
    for source in _readers("json"):
        if source.sniff(doc):
            return _with_language(source.read(doc), doc, "json")
    raise ParseError("not a live blog: JSON in no format liveblog knows")


def _parse_html(doc: Doc) -> LiveBlog:
    from lxml import etree

    try:
        doc.root  # noqa: B018 (parsed here so that unreadable HTML says why)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not a live blog: unreadable HTML ({exc})") from None
    for source in _readers("html"):
        if source.sniff(doc):
            return _with_language(source.read(doc), doc, "html")
    raise ParseError("not a live blog: no live-blog posts found in this HTML page")


def _with_language(blog: LiveBlog, doc: Doc, kind: str) -> LiveBlog:
    """The blog's language, where its reader did not say it (kept with the blog, it gives
    the html export its `lang` and direction)."""
    if blog.language is None:
        blog.language = _html_language(doc.root) if kind == "html" else _json_language(doc.json)
    return blog


_LANGUAGE_METAS = ("content-language", "og:locale", "language")


def _html_language(root: Any) -> str | None:
    """`<html lang>`, else the head's content-language, og:locale or language meta."""
    found = language_tag(root.get("lang"))
    head = root.find("head")
    for meta in head.iter("meta") if found is None and head is not None else ():
        name = meta.get("http-equiv") or meta.get("property") or meta.get("name") or ""
        if name.lower() in _LANGUAGE_METAS:
            found = language_tag((meta.get("content") or "").split(",")[0])
            if found:
                break
    return found


def _json_language(value: Any) -> str | None:
    """A JSON page's own `lang`, `language` or `inLanguage`, at its top or under `data` (as
    the BBC gives it)."""
    places = [value, value.get("data")] if isinstance(value, dict) else []
    for place in places:
        for key in ("lang", "language", "inLanguage") if isinstance(place, dict) else ():
            if tag := language_tag(place.get(key)):
                return tag
    return None
