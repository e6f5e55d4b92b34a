"""Guardian DCR pages read through typed structs: the same reading as guardian_dcr's, from
structs msgspec decodes the page into (only the keys read), so the rest of the page
(navigation, config, footer, image sources: most of its bytes) is skipped rather than built
into dicts. The DCR source is registered here, with this reading first and guardian_dcr's
as the fallback.
"""

from __future__ import annotations

from typing import Any

import msgspec

from liveblog_cli.model import (
    Block,
    Element,
    LiveBlog,
    from_epoch_ms,
    newest_first,
    parse_iso,
)
from liveblog_cli.parse.guardian_dcr import (
    LIVE_DESIGNS,
    PAGE_RELS,
    PROSE_TYPES,
    PUBLISHER,
    authors_from,
    best_image_url,
    block_html,
    block_text,
    blog_id_from_url,
    dcr_verdict,
    flag,
    flagged,
    parse_dcr,
    plan,
)
from liveblog_cli.parse.language import json_language
from liveblog_cli.parse.source import Reach, Source
from liveblog_cli.parse.text import clean_line, html_to_text
from liveblog_cli.parse.typed import as_dict, as_int, as_list, as_str, joined

# Values are typed only where guardian_dcr's readers would treat another type as absent:
# containers (a block, its elements, attributes, config). A container of another type fails
# the decode, and the page is read by guardian_dcr; leaves stay `Any` and go through the same
# `as_str`/`flag`/... as there. Whatever this reading does not know as guardian_dcr's does (an
# element of a type it keeps raw, a payload that is not plainly a live blog) makes it give up
# (`_Untyped`), never guess.


class _Untyped(Exception):
    """The typed reading cannot say what guardian_dcr's says: the page is read by guardian_dcr."""


class TypedElement(msgspec.Struct):
    type_: Any = msgspec.field(default=None, name="_type")
    html: Any = None
    role: Any = None
    attribution: Any = None
    data: Any = None
    media: Any = None
    id: Any = None
    url: Any = None
    prefix: Any = None
    text: Any = None
    originalUrl: Any = None
    assetId: Any = None
    mediaTitle: Any = None
    title: Any = None
    caption: Any = None
    embedUrl: Any = None


class TypedAttributes(msgspec.Struct):
    pinned: Any = None
    keyEvent: Any = None
    summary: Any = None


class TypedBlock(msgspec.Struct):
    id: Any = None
    elements: list[TypedElement] | None = None
    attributes: TypedAttributes | None = None
    contributors: Any = None
    title: Any = None
    blockCreatedOn: Any = None
    blockFirstPublished: Any = None
    blockLastUpdated: Any = None


class TypedConfig(msgspec.Struct):
    isLiveBlog: Any = msgspec.UNSET
    isLive: Any = None


# Kinds guardian_dcr reads from named keys alone (every other kind keeps its raw keys in `extra`).
_VIDEO_TYPES = frozenset(
    {
        "YoutubeBlockElement",
        "VideoYoutubeBlockElement",
        "VideoVimeoBlockElement",
        "VideoFacebookBlockElement",
        "MediaAtomBlockElement",
    }
)
_AUDIO_TYPES = frozenset(
    {"AudioBlockElement", "AudioAtomBlockElement", "SoundcloudBlockElement", "SpotifyBlockElement"}
)
_EMBED_TYPES = frozenset(
    {"InteractiveBlockElement", "DocumentBlockElement", "MapBlockElement", "InstagramBlockElement"}
)


def _typed_element(raw: TypedElement) -> Element:
    """`dcr_element` of the element `raw` was decoded from."""
    kind_name = (as_str(raw.type_) or "").rpartition(".")[2]
    html = as_str(raw.html)
    if kind_name == "TextBlockElement" and raw.role is None:
        # "role": null reads as no role in guardian_dcr too (the longer way gives the same element).
        return Element("text", text=html_to_text(html), html=html, extra={"type": kind_name})
    role = as_str(raw.role)
    extra: dict[str, Any] = {"type": kind_name} if kind_name else {}
    if role:
        extra["role"] = role
    if kind_name in PROSE_TYPES:
        return Element("text", text=html_to_text(html), html=html, extra=extra)
    if kind_name in ("BlockquoteBlockElement", "PullquoteBlockElement", "QuoteBlockElement"):
        kind = "blockquote" if kind_name == "BlockquoteBlockElement" else "pullquote"
        if as_str(raw.attribution):
            extra["attribution"] = raw.attribution
        return Element(kind, text=html_to_text(html), html=html, extra=extra)
    if kind_name == "ImageBlockElement":
        data = as_dict(raw.data)
        return Element(
            "image",
            url=best_image_url(as_dict(raw.media)),
            caption=html_to_text(as_str(data.get("caption"))) or None,
            credit=clean_line(as_str(data.get("credit"))) or None,
            alt=clean_line(as_str(data.get("alt"))) or None,
            extra=extra,
        )
    if kind_name == "TweetBlockElement":
        if as_str(raw.id):
            extra["tweet_id"] = raw.id
        return Element(
            "tweet", text=html_to_text(html) or None, html=html, url=as_str(raw.url), extra=extra
        )
    if kind_name == "RichLinkBlockElement":
        if as_str(raw.prefix):
            extra["prefix"] = raw.prefix
        return Element(
            "rich-link", text=clean_line(as_str(raw.text)), url=as_str(raw.url), extra=extra
        )
    if kind_name in _VIDEO_TYPES:
        url = as_str(raw.originalUrl) or as_str(raw.url)
        if not url and as_str(raw.assetId) and "Youtube" in kind_name:
            url = f"https://www.youtube.com/watch?v={raw.assetId}"
        title = as_str(raw.mediaTitle) or as_str(raw.title) or as_str(raw.caption)
        return Element("video", text=None, url=url, caption=clean_line(title) or None, extra=extra)
    if kind_name in _AUDIO_TYPES:
        return Element("audio", html=html, url=as_str(raw.url) or as_str(raw.embedUrl), extra=extra)
    if kind_name.endswith("EmbedBlockElement") or kind_name in _EMBED_TYPES:
        return Element(
            "embed",
            text=html_to_text(html) or None,
            html=html,
            url=as_str(raw.url) or as_str(raw.embedUrl),
            extra=extra,
        )
    raise _Untyped(kind_name)  # a multi-image or unknown element: read with its raw keys


def _typed_block(raw: TypedBlock) -> Block | None:
    """`dcr_block` of the block `raw` was decoded from."""
    ident = as_str(raw.id)
    if not ident:
        return None
    attributes = raw.attributes or _NO_ATTRIBUTES
    elements = [_typed_element(e) for e in raw.elements or ()]
    authors = [
        clean_line(as_str(c.get("name")))
        for c in as_list(raw.contributors)
        if isinstance(c, dict) and as_str(c.get("name"))
    ]
    return Block(
        id=ident,
        title=clean_line(as_str(raw.title)) or None,
        created_at=from_epoch_ms(raw.blockCreatedOn),
        published_at=from_epoch_ms(raw.blockFirstPublished),
        updated_at=from_epoch_ms(raw.blockLastUpdated),
        key_event=flag(attributes.keyEvent) is True,
        pinned=flag(attributes.pinned) is True,
        summary=flag(attributes.summary) is True,
        authors=authors,
        elements=elements,
        text=block_text(elements),
        html=block_html(elements),
    )


_NO_ATTRIBUTES = TypedAttributes()


def _typed_said(sightings: list[TypedAttributes], name: str) -> bool | None:
    said = [f for f in (flag(getattr(a, name)) for a in sightings) if f is not None]
    return any(said) if said else None


def _typed_blocks(
    raw_blocks: list[TypedBlock], key_event_ids: frozenset[str], pinned_ids: frozenset[str]
) -> list[Block]:
    """`dcr_blocks` of the blocks `raw_blocks` were decoded from."""
    first: dict[str, Block] = {}
    sightings: dict[str, list[TypedAttributes]] = {}
    for raw in raw_blocks:
        ident = as_str(raw.id)
        if ident is None or ident not in first:
            block = _typed_block(raw)
            if block is None:
                continue
            # The fields decoded are all a post is read from (the rest: guardian_dcr).
            block.source = raw
            first[block.id] = block
            ident = block.id
        sightings.setdefault(ident, []).append(raw.attributes or _NO_ATTRIBUTES)
    return flagged(first, sightings, _typed_said, key_event_ids, pinned_ids)


def _typed_ids(raw_blocks: list[TypedBlock]) -> frozenset[str]:
    return frozenset(i for i in (as_str(b.id) for b in raw_blocks) if i)


class TypedLanguage(msgspec.Struct):
    """A JSON object's keys that may say the page's language (parse/language.py)."""

    lang: Any = None
    language: Any = None
    inLanguage: Any = None


class TypedPayload(msgspec.Struct):
    """The keys of a DCR payload the readers read, and those that would make another reader
    (the Content API's, before this one) claim the page."""

    blocks: list[TypedBlock] | msgspec.UnsetType | None = msgspec.UNSET
    keyEvents: list[TypedBlock] | msgspec.UnsetType | None = msgspec.UNSET
    pinnedPost: TypedBlock | None = None
    format: Any = None
    contentType: Any = None
    config: TypedConfig | None = None
    pageType: Any = None
    canonicalUrl: Any = None
    webURL: Any = None
    pageId: Any = None
    pagination: Any = None
    isLive: Any = None
    headline: Any = None
    webTitle: Any = None
    standfirst: Any = None
    webPublicationDate: Any = None
    tags: Any = None
    author: Any = None
    byline: Any = None
    response: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    # Where a JSON page says its language (parse/language.py).
    lang: Any = None
    language: Any = None
    inLanguage: Any = None
    data: TypedLanguage | None = None


def _typed_live(doc: TypedPayload) -> bool:
    """A payload that `dcr_verdict` says is a live blog by what it names; False for any other
    (which guardian_dcr's reading turns away, or judges by its key events)."""
    if not isinstance(doc.blocks, list):
        return False
    config = doc.config or TypedConfig()
    design = as_str(as_dict(doc.format).get("design"))
    payload = (
        doc.keyEvents is not msgspec.UNSET
        or isinstance(doc.format, dict)
        or isinstance(doc.contentType, str)
        or config.isLiveBlog is not msgspec.UNSET
    )
    return payload and (
        design in LIVE_DESIGNS
        or doc.contentType == "LiveBlog"
        or flag(config.isLiveBlog) is True
        or as_dict(doc.pageType).get("isLiveblog") is True
    )


def parse_typed(doc: TypedPayload, url: str | None) -> LiveBlog | None:
    """`parse_dcr` (and the page's language, as `with_language` finds it) of the payload
    `doc` was decoded from; None where that reading must be asked (see `_Untyped`)."""
    if doc.response is not msgspec.UNSET or not _typed_live(doc):
        return None
    config = doc.config or TypedConfig()
    canonical = as_str(doc.canonicalUrl) or as_str(doc.webURL)
    if not canonical and as_str(doc.pageId):
        canonical = f"https://www.theguardian.com/{doc.pageId}"
    blog_url = canonical or url
    blog_id = as_str(doc.pageId) or blog_id_from_url(blog_url) or blog_id_from_url(url)
    if not blog_id:
        return None
    body = doc.blocks if isinstance(doc.blocks, list) else []
    key_events = doc.keyEvents if isinstance(doc.keyEvents, list) else []
    pinned = [doc.pinnedPost] if doc.pinnedPost is not None else []
    try:
        blocks = _typed_blocks(
            body + key_events + pinned, _typed_ids(key_events), _typed_ids(pinned)
        )
    except _Untyped:
        return None

    pages: dict[str, str] = {}
    pagination = as_dict(doc.pagination)
    base = blog_url or url or ""
    for rel in PAGE_RELS:
        suffix = as_str(pagination.get(rel))
        if suffix:
            pages[rel] = joined(base, suffix) if base else suffix

    is_live = config.isLive
    if not isinstance(is_live, bool):
        is_live = doc.isLive if isinstance(doc.isLive, bool) else None
    updated = [b.updated_at for b in blocks if b.updated_at]
    blog = LiveBlog(
        id=blog_id,
        url=blog_url,
        title=clean_line(as_str(doc.headline) or as_str(doc.webTitle)) or None,
        standfirst=html_to_text(as_str(doc.standfirst)) or None,
        publisher=PUBLISHER,
        is_live=is_live,
        published_at=parse_iso(doc.webPublicationDate),
        updated_at=max(updated) if updated else parse_iso(doc.webPublicationDate),
        authors=authors_from({"tags": doc.tags, "author": doc.author, "byline": doc.byline}),
        tags=[t["id"] for t in as_list(doc.tags) if isinstance(t, dict) and as_str(t.get("id"))],
        source_format="guardian-dcr",
        blocks=newest_first(blocks),
        pages=pages,
        complete=pagination.get("totalPages") == 1,
        page_count=as_int(pagination.get("totalPages")),
        body_ids=[i for i in (as_str(b.id) for b in body) if i],
    )
    if blog.language is None:
        data = doc.data
        blog.language = json_language(
            {"lang": doc.lang, "language": doc.language, "inLanguage": doc.inLanguage},
            None
            if data is None
            else {"lang": data.lang, "language": data.language, "inLanguage": data.inLanguage},
        )
    return blog


DCR = Source(
    "guardian-dcr",
    "json",
    # Any DCR payload, so that an article, a match report or a gallery is turned away with
    # what the payload says it is rather than as unknown JSON.
    sniff=lambda doc: dcr_verdict(doc.json) is not None,
    read=lambda doc: parse_dcr(doc.json, doc.url),
    # Live-blog payloads list their key events; the rest are read as before. (A page
    # without the key's name is not decoded twice: that would cost the other JSON pages.)
    typed=(b'"keyEvents"', TypedPayload, parse_typed),
    plan=plan,
    hosts=Reach.guardian_aliases,
)
