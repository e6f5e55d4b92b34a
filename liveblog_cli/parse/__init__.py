"""Parsing: one entry point that sniffs what it was given and calls the right reader.

Here are the registry (`sources()`: every publisher and format, one line each), the
dispatch that tries them in its order (`parse_page`), and the questions asked of them
before a fetch (`plan`, `page_url_for`). What the dispatch leans on lives beside it:
bytes to text in decoding.py, the per-page kit in page.py, a page's language in
language.py, the publisher contract in source.py, who may name a blog (a page's claim
weighed against where it came from) in identity.py, the typed reading of what a page's JSON
holds (a wrong type read as nothing) in typed.py, the live-blog platforms a page without
posts embeds (named in its error) in embeds.py, and one module per publisher or format.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from liveblog_cli.errors import ParseError
from liveblog_cli.model import LiveBlog, qualified_blog_id
from liveblog_cli.parse.decoding import check_bytes, decode, utf8_as_is
from liveblog_cli.parse.identity import Publisher, speaks_for
from liveblog_cli.parse.language import with_language
from liveblog_cli.parse.page import Doc, collector_paused, pages_remembered
from liveblog_cli.parse.source import Enrich, Kind, Plan, Reach, Source

__all__ = [
    "ParseError",
    "Plan",
    "Reach",
    "decode",
    "page_url_for",
    "parse_page",
    "plan",
    "publishers",
    "sources",
]


@functools.cache
def sources() -> tuple[Source, ...]:
    """The registry: every format liveblog reads, one line each.

    Within each kind of input (JSON, scraped text, HTML), the first source whose sniff
    says yes reads the page: the order is behaviour (richest and most specific first).
    A blog read from a page's structured data then goes through the enrichers (sources
    with `enrich`, which claim no page) in the same order: the first that recognises the
    page completes it from the rendered posts. Adding a publisher is a module under parse/
    and a line here.
    """
    from liveblog_cli.parse import (
        bbc,
        generic,
        guardian_api,
        guardian_html,
        guardian_scraped,
        guardian_typed,
        jsonld,
        rendered,
        sourcefabric,
        wordpress,
    )

    return (
        guardian_api.CAPI,
        guardian_typed.DCR,
        bbc.PAGE_DATA,
        sourcefabric.POSTS,
        guardian_scraped.SCRAPED,
        guardian_html.HTML,
        bbc.EMBEDDED,
        jsonld.STRUCTURED,
        rendered.REACH_PLC,
        rendered.PAIRED_POSTS,
        wordpress.ENTRIES,
        generic.GENERIC,
        jsonld.ANNOUNCED,
    )


def _readers(kind: Kind) -> list[Source]:
    return [s for s in sources() if s.reads == kind]


@functools.cache
def _enrichers() -> tuple[Enrich, ...]:
    return tuple(s.enrich for s in sources() if s.enrich is not None)


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


def parse_page(
    data: bytes,
    url: str | None = None,
    *,
    charset: str | None = None,
    reach: Reach | None = None,
) -> LiveBlog:
    """Parse a saved or fetched page: Guardian DCR JSON or HTML, a scraped Guardian copy,
    BBC page data, schema.org JSON-LD or microdata, or a page of timed posts.

    `url` is where the page came from (None: a file of unknown origin). What the page says
    of its own URL names the blog only where it agrees with that, or where both are hosts
    of one publisher in `reach` (default: `Reach.from_env()`); see parse/identity.py.

    Raises ParseError with a one-line reason when the input is not a live blog.
    """
    with collector_paused(), pages_remembered():
        return _parse_page(data, url, charset, reach)


def publishers(reach: Reach) -> list[Publisher]:
    """The registry's publishers that declare their hosts, with those hosts for `reach`."""
    return [(s.name, s.hosts(reach)) for s in sources() if s.hosts is not None]


def _parse_page(data: bytes, url: str | None, charset: str | None, reach: Reach | None) -> LiveBlog:
    charset = check_bytes(data) or charset
    raw = data if utf8_as_is(data, charset) else None
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
    if url is not None:
        blog = speaks_for(blog, url, publishers(reach or Reach.from_env()))
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
    doc = Doc(text, url, raw=raw)
    for source in _readers("text"):
        if source.sniff(doc):
            return source.read(doc)
    if "<" in text:
        if raw is not None and _exactly_decoded(raw, text):
            doc.html_bytes = raw
        return _parse_html(doc)
    raise ParseError("not a live blog: plain text without live-blog structure")


def _exactly_decoded(raw: bytes, text: str) -> bool:
    """Whether `text`, decoded from the UTF-8 bytes `raw` (`Doc.raw`), is their decoding with
    nothing replaced (no U+FFFD: the bytes are valid UTF-8), so that lxml reads the same
    page from either; and `raw` opens with no XML declaration (lxml refuses a str that
    declares an encoding, and would read the bytes)."""
    return "\ufffd" not in text and not raw.startswith(b"<?xml")


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


_TypedReader = tuple[bytes, Callable[[bytes], Any], Callable[[Any, str | None], Any]]


@functools.cache
def _typed_readers() -> tuple[_TypedReader, ...]:
    """The JSON readers' typed readings (`Source.typed`), in the registry's order: the bytes
    a page must hold, a decoder of its bytes into the reader's Struct, and the reader of
    that Struct."""
    import msgspec

    return tuple(
        (s.typed[0], msgspec.json.Decoder(s.typed[1]).decode, s.typed[2])
        for s in _readers("json")
        if s.typed is not None
    )


def _read_typed(doc: Doc) -> LiveBlog | None:
    """The blog a typed reading gives (the one the readers would give from the decoded
    value, for less: see `Source.typed`); None when none is sure, or the page's bytes are not
    the UTF-8 the decoder reads."""
    if doc.raw is None:
        return None
    for marker, decoder, read in _typed_readers():
        if doc.raw.find(marker) < 0:
            continue
        try:
            value = decoder(doc.raw)
        except Exception:  # msgspec.ValidationError or DecodeError: the readers decide
            continue
        blog = read(value, doc.url)
        if blog is not None:
            return blog
    return None


def _parse_json(doc: Doc) -> LiveBlog:
    from json import JSONDecodeError

    blog = _read_typed(doc)
    if blog is not None:
        return blog
    try:
        doc.json  # noqa: B018 (decoded here so that invalid JSON says why)
    except JSONDecodeError as exc:
        raise ParseError(f"not a live blog: invalid JSON ({exc.msg}, line {exc.lineno})") from None
    except ValueError as exc:  # valid JSON Python will not hold: a number of 5,000 digits
        reason = (str(exc).splitlines() or ["unreadable"])[0].split(";")[0][:120]
        raise ParseError(f"not a live blog: unreadable JSON ({reason})") from None
    except RecursionError:
        raise ParseError("not a live blog: JSON nested too deeply") from None
    for source in _readers("json"):
        if source.sniff(doc):
            return with_language(source.read(doc), doc, "json")
    raise ParseError("not a live blog: JSON in no format liveblog knows")


def _parse_html(doc: Doc) -> LiveBlog:
    from lxml import etree

    try:
        doc.root  # noqa: B018 (parsed here so that unreadable HTML says why)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not a live blog: unreadable HTML ({exc})") from None
    for source in _readers("html"):
        if source.sniff(doc):
            blog = source.read(doc)
            if source.enriched:
                from liveblog_cli.parse.rendered import enrich

                blog = enrich(doc.root, blog, _enrichers())
            if not blog.blocks:
                _name_embed(doc)
            return with_language(blog, doc, "html")
    _name_embed(doc)
    raise ParseError("not a live blog: no live-blog posts found in this HTML page")


def _name_embed(doc: Doc) -> None:
    """A page without posts of its own that shows a live-blog platform's embed: say which
    (EmbeddedPlatform) rather than "no posts"; see parse/embeds.py."""
    from liveblog_cli.parse.embeds import embedded

    found = embedded(doc.root)
    if found is not None:
        raise found.error()
