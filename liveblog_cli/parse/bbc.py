"""BBC World Service live pages (bbc.com/hindi/live/..., /arabic/live/...): simorgh page data.

The page data is JSON: served as is by the renderer's data routes, or embedded in the HTML
page as `window.SIMORGH_DATA={...}`. Posts sit in `liveTextStream.content.data.results`,
newest first, each a tree of typed blocks (paragraphs of fragments, images, links, embeds).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlunsplit

from liveblog_cli.errors import ParseError
from liveblog_cli.model import (
    Block,
    Element,
    LiveBlog,
    language_tag,
    merge_blocks,
    newest_first,
    parse_iso,
)
from liveblog_cli.parse.page import Doc
from liveblog_cli.parse.source import Reach, Source
from liveblog_cli.parse.text import clean_line, clean_text, without_surrogates
from liveblog_cli.parse.typed import as_dict, as_int, as_list, as_str, split_url, url_path

PUBLISHER = "BBC"
IMAGE_BASE = "https://ichef.bbci.co.uk/ace/ws/800/"
_SIMORGH = re.compile(r"window\.SIMORGH_DATA\s*=\s*")


def find_page_data(doc: Any, depth: int = 0) -> dict[str, Any] | None:
    """The dict holding `liveTextStream`, wherever the payload nests it."""
    if depth > 8:
        return None
    if isinstance(doc, dict):
        if isinstance(doc.get("liveTextStream"), dict):
            return doc
        for value in doc.values():
            if isinstance(value, dict | list):
                found = find_page_data(value, depth + 1)
                if found is not None:
                    return found
    elif isinstance(doc, list):
        for value in doc[:50]:
            found = find_page_data(value, depth + 1)
            if found is not None:
                return found
    return None


def embedded_json(text: str) -> Any | None:
    """The object assigned to `window.SIMORGH_DATA` in a served page, if any."""
    m = _SIMORGH.search(text)
    if not m:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, m.end())
    except ValueError:
        return None
    return without_surrogates(value)


def _texts(node: Any, out: list[str], depth: int = 0) -> None:
    """Paragraph texts under a block tree, in order."""
    if depth > 40 or not isinstance(node, dict):
        return
    kind = node.get("type")
    model = as_dict(node.get("model"))
    if kind == "paragraph" and isinstance(model.get("text"), str):
        out.append(model["text"])
        return
    if kind == "listItem":
        inner: list[str] = []
        for child in as_list(model.get("blocks")):
            _texts(child, inner, depth + 1)
        out.append("• " + " ".join(inner))
        return
    for child in as_list(model.get("blocks")):
        _texts(child, out, depth + 1)


def _text_of(node: Any) -> str:
    parts: list[str] = []
    _texts(node, parts)
    return clean_text("\n\n".join(parts))


def _elements(content: Any) -> list[Element]:
    elements: list[Element] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            text = clean_text("\n\n".join(pending))
            if text:
                elements.append(Element("text", text=text))
            pending.clear()

    for block in as_list(as_dict(as_dict(content).get("model")).get("blocks")):
        if not isinstance(block, dict):
            continue
        kind = as_str(block.get("type"))
        model = as_dict(block.get("model"))
        if kind in ("paragraph", "text", "unorderedList", "orderedList", "subheadline"):
            text = _text_of(block)
            if text:
                pending.append(text)
        elif kind == "image":
            flush()
            raw: Any = next(
                (b for b in as_list(model.get("blocks")) if as_dict(b).get("type") == "rawImage"),
                {},
            )
            raw_model = as_dict(as_dict(raw).get("model"))
            locator = raw_model.get("locator")
            alt = next(
                (
                    _text_of(b)
                    for b in as_list(model.get("blocks"))
                    if as_dict(b).get("type") == "altText"
                ),
                None,
            )
            caption = next(
                (
                    _text_of(b)
                    for b in as_list(model.get("blocks"))
                    if as_dict(b).get("type") == "caption"
                ),
                None,
            )
            origin = as_str(raw_model.get("originCode")) or "cpsprodpb"
            url = f"{IMAGE_BASE}{origin}/{locator}" if isinstance(locator, str) else None
            elements.append(
                Element(
                    "image",
                    url=url,
                    caption=caption or None,
                    alt=alt or None,
                    credit=clean_line(as_str(raw_model.get("copyrightHolder"))) or None,
                    extra={"type": "image"},
                )
            )
        elif kind in ("social", "aresOEmbed", "oEmbed", "embed", "video", "media"):
            flush()
            url = _first_url(block)
            elements.append(
                Element(
                    "embed" if kind != "video" else "video",
                    url=url,
                    text=_text_of(block) or None,
                    extra={"type": kind},
                )
            )
        elif kind in ("customQuote", "quote", "blockquote"):
            flush()
            elements.append(Element("blockquote", text=_text_of(block), extra={"type": kind}))
        else:
            text = _text_of(block)
            if text:
                flush()
                elements.append(Element("unknown", text=text, extra={"type": kind}))
    flush()
    return elements


def _first_url(node: Any, depth: int = 0) -> str | None:
    if depth > 30:
        return None
    if isinstance(node, dict):
        for key in ("source", "href", "url", "locator", "embedUrl"):
            value = node.get(key)
            if isinstance(value, str) and value.startswith("http"):
                return value
        for value in node.values():
            found = _first_url(value, depth + 1)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _first_url(value, depth + 1)
            if found:
                return found
    return None


def _post(raw: Any) -> Block | None:
    raw = as_dict(raw)
    ident = (as_str(raw.get("urn")) or "").removeprefix("asset:")
    if not ident:
        return None
    dates = as_dict(raw.get("dates"))
    header_blocks = as_list(as_dict(as_dict(raw.get("header")).get("model")).get("blocks"))
    title = next((_text_of(b) for b in header_blocks if as_dict(b).get("type") == "headline"), None)
    subtitle = next(
        (_text_of(b) for b in header_blocks if as_dict(b).get("type") == "subheadline"), None
    )
    elements = _elements(raw.get("content"))
    if subtitle:
        elements.insert(0, Element("text", text=subtitle, extra={"type": "subheadline"}))
    text = clean_text(
        "\n\n".join(e.text for e in elements if e.text and e.kind in ("text", "blockquote"))
    )
    return Block(
        id=ident,
        title=clean_line(title) or None,
        published_at=parse_iso(dates.get("firstPublished")),
        updated_at=parse_iso(dates.get("lastPublished")),
        elements=elements,
        text=text,
    )


_PAGE_IDENTIFIER = re.compile(
    r"(?:([a-z][a-z0-9_-]{0,39})\.)?live_coverage\.([A-Za-z0-9_-]{1,80})\.page"
)
_SERVICE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_LIVE_PATH = re.compile(r"([a-z][a-z0-9_-]{0,39})/live/([A-Za-z0-9_-]{1,80})")
SITE = "https://www.bbc.com"


def _name(
    data: dict[str, Any], analytics: dict[str, Any], url: str | None
) -> tuple[str, str | None]:
    """The blog's id (`<service>/live/<id>`) and URL, the same offline as given its URL.

    The analytics `pageIdentifier` names the page: "arabic.live_coverage.67574192.page" is
    bbc.com/arabic/live/67574192. Newer pages leave the service out
    ("live_coverage.cm93v1d6rw4pt.page"); it is then the page data's `home` ("hindi"), or
    the URL's first segment. A page given a URL that is no live page's says by its
    `pageIdentifier` which BBC page it is: that is its claim (parse/identity.py weighs it).
    """
    path = url_path(url)
    given = _LIVE_PATH.fullmatch(path)
    if given:
        return path, url
    m = _PAGE_IDENTIFIER.fullmatch(as_str(analytics.get("pageIdentifier")) or "")
    if m:
        home = data.get("home")
        service = m[1] or (home if isinstance(home, str) and _SERVICE.fullmatch(home) else None)
        if service:
            ident = f"{service}/live/{m[2]}"
            return ident, f"{SITE}/{ident}"
        if not path:
            return f"bbc/live/{m[2]}", url
    if path:
        return path, url  # named by the address it came from
    raise ParseError("not a live blog: BBC page data without an id or URL")


def _language(data: dict[str, Any]) -> str | None:
    """The service's language as the page data gives it (`"language": "hi"` beside the live
    stream; `metadata.language` on other simorgh pages). Read here rather than from the
    page around it: a served page's `<html lang>` may be missing or the site default, and
    the data is not always under a top-level `data` key (`pageData` in a served page)."""
    return language_tag(data.get("language")) or language_tag(
        as_dict(data.get("metadata")).get("language")
    )


def looks_like_bbc(doc: Any) -> bool:
    return find_page_data(doc) is not None


def parse_bbc(doc: Any, url: str | None = None) -> LiveBlog:
    data = find_page_data(doc)
    if data is None:
        raise ParseError("not a live blog: no BBC live text stream")
    stream = as_dict(data.get("liveTextStream"))
    content = as_dict(as_dict(stream.get("content")).get("data"))
    blocks = [b for b in (_post(r) for r in as_list(content.get("results"))) if b is not None]
    page = as_dict(content.get("page"))
    analytics = as_dict(as_dict(data.get("metadata")).get("atiAnalytics"))
    seo = as_dict(data.get("seo"))
    ident, blog_url = _name(data, analytics, url)
    # Other pages are `?page=N` of the address this one came from (a mirror's own, too).
    base = url or blog_url
    pages: dict[str, str] = {}
    index, total = as_int(page.get("index")), as_int(page.get("total"))
    parts = split_url(base)
    if parts is not None and index is not None and total is not None:
        scheme, netloc, path = parts.scheme, parts.netloc, parts.path

        def at(n: int) -> str:
            return urlunsplit((scheme, netloc, path, f"page={n}", ""))

        if index < total:
            pages["older"] = at(index + 1)
            pages["oldest"] = at(total)
        if index > 1:
            pages["newer"] = at(index - 1)
            pages["newest"] = at(1)
    contributors = stream.get("contributors")
    authors = [clean_line(contributors)] if isinstance(contributors, str) and contributors else []
    is_live = data.get("isLive") if isinstance(data.get("isLive"), bool) else None
    return LiveBlog(
        id=ident,
        url=blog_url.split("?", 1)[0] if blog_url else None,
        title=clean_line(as_str(data.get("title")) or as_str(seo.get("seoTitle"))) or None,
        standfirst=clean_line(as_str(data.get("description")) or as_str(seo.get("seoDescription")))
        or None,
        publisher=PUBLISHER,
        is_live=is_live,
        published_at=parse_iso(data.get("startDateTime") or seo.get("datePublished")),
        updated_at=parse_iso(analytics.get("timeUpdated") or seo.get("dateModified")),
        authors=authors,
        source_format="bbc-simorgh",
        blocks=newest_first(merge_blocks(blocks)),
        pages=pages,
        body_ids=[b.id for b in blocks],
        complete=index == 1 and total == 1,
        page_count=total if isinstance(total, int) and total > 0 else None,
        language=_language(data),
    )


def _embedded(doc: Doc) -> Any | None:
    """The page data a served HTML page carries in its script, looked for once per page."""
    return doc.once("bbc-embedded", lambda: embedded_json(doc.text))


# An ASCII letter written as a \u escape: a key could then be spelled without its letters.
_ESCAPED_LETTER = re.compile(rb"\\u00[4-7][0-9a-fA-F]")


def _may_hold_stream(doc: Doc) -> bool:
    """Whether a JSON page can hold a `liveTextStream` key at all: its name is in the page,
    or letters are escaped somewhere. Where neither, the walk over the whole value (which
    every other publisher's JSON would pay for) can only find nothing. (Read in the page's
    UTF-8 bytes when there are some: ASCII is the same there as in the text.)"""
    page = doc.raw if doc.raw is not None else doc.text.encode("utf-8", "surrogatepass")
    return b"liveTextStream" in page or _ESCAPED_LETTER.search(page) is not None


# The BBC's domains: a page on one may name itself by the other.
HOSTS = ("bbc.com", "bbc.co.uk")


def _hosts(reach: Reach) -> tuple[str, ...]:
    return HOSTS


PAGE_DATA = Source(
    "bbc-simorgh",
    "json",
    sniff=lambda doc: _may_hold_stream(doc) and looks_like_bbc(doc.json),
    read=lambda doc: parse_bbc(doc.json, doc.url),
    hosts=_hosts,
)
EMBEDDED = Source(
    "bbc-simorgh",
    "html",
    sniff=lambda doc: looks_like_bbc(_embedded(doc)),
    read=lambda doc: parse_bbc(_embedded(doc), doc.url),
    hosts=_hosts,
)
