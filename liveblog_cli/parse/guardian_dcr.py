"""Guardian live blogs as the DCR JSON (`<url>.json?dcr=true`), and the Guardian's addresses.

The DCR JSON is the richest source: every block on the page with typed elements, the
key events of the whole blog, the pinned post and pagination. Its block readers serve the
other Guardian readers too: the rendered page (guardian_html) carries the same blocks in
its island props, scraped copies (guardian_scraped) hold them as mangled JSON, and the
Content API (guardian_api) joins a post's elements into its text and HTML the same way
(`block_text`, `block_html`). The Guardian's URL rules live here as well: a live blog is
asked for as DCR JSON first, the page itself when that fails. The source is registered in
guardian_typed, which reads live-blog payloads through typed structs first and this
module's reading where those cannot say the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from liveblog_cli.errors import ParseError
from liveblog_cli.model import (
    Block,
    Element,
    LiveBlog,
    from_epoch_ms,
    newest_first,
    parse_iso,
)
from liveblog_cli.parse.source import Plan, Reach, rebase
from liveblog_cli.parse.text import clean_line, html_to_text
from liveblog_cli.parse.typed import as_dict, as_int, as_list, as_str, joined, url_path

PUBLISHER = "The Guardian"
PAGE_RELS = ("newest", "newer", "older", "oldest")
# Elements that are prose in another shape: their text belongs to the post's text.
PROSE_TYPES = frozenset(
    {
        "TextBlockElement",
        "SubheadingBlockElement",
        "TableBlockElement",
        "CodeBlockElement",
        "ListBlockElement",
        "KeyTakeawaysBlockElement",
        "QAndAExplainerBlockElement",
        "DisclaimerBlockElement",
        "NumberedTitleBlockElement",
        "ItemLinkBlockElement",
    }
)


LIVE_DESIGNS = frozenset({"LiveBlogDesign", "DeadBlogDesign"})


def flag(value: Any) -> bool | None:
    """A Guardian attribute flag: a boolean, or the same as the string "true"/"false" (the
    Content API writes both); anything else says nothing."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _is_dcr_payload(doc: Any) -> bool:
    """A DCR article payload of any kind: `blocks` beside one of the renderer's own keys."""
    if not isinstance(doc, dict) or not isinstance(doc.get("blocks"), list):
        return False
    return (
        "keyEvents" in doc
        or isinstance(doc.get("format"), dict)
        or isinstance(doc.get("contentType"), str)
        or "isLiveBlog" in as_dict(doc.get("config"))
    )


def dcr_verdict(doc: Any) -> tuple[bool, str] | None:
    """Whether a DCR payload is a live blog, and what it is: None when it is no DCR payload.

    The payload says what it is: `format.design`, `contentType`, `config.isLiveBlog`,
    `pageType.isLiveblog`. Any of them naming a live blog is enough (real live blogs carry
    `config.isLiveBlog: false` beside `LiveBlogDesign`). The presence of `keyEvents` proves
    nothing: today's articles, interviews, match reports and galleries all carry
    `keyEvents: []`. Only a payload naming nothing (an older vintage) is judged by it.
    """
    if not _is_dcr_payload(doc):
        return None
    design = as_str(as_dict(doc.get("format")).get("design"))
    content_type = doc.get("contentType")
    live_page = as_dict(doc.get("pageType")).get("isLiveblog")
    if (
        design in LIVE_DESIGNS
        or content_type == "LiveBlog"
        or flag(as_dict(doc.get("config")).get("isLiveBlog")) is True
        or live_page is True
    ):
        return True, "live blog"
    named = [v for v in (design, content_type) if isinstance(v, str) and v]
    if named or live_page is False:
        return False, _kind_name(named[0] if named else "unknown")
    key_events = doc.get("keyEvents")
    if isinstance(key_events, list) and (
        key_events or as_dict(doc.get("config")).get("isLiveBlog") is None
    ):
        return True, "live blog"
    return False, "unknown"


def _kind_name(value: str) -> str:
    """ "MatchReportDesign" as "match report", safe to print (the payload is not trusted)."""
    name = re.sub(r"[^A-Za-z]", "", value)[:40].removesuffix("Design") or "unknown"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def looks_like_dcr(doc: Any) -> bool:
    """A DCR payload of a live blog (not any JSON that happens to have `blocks`)."""
    verdict = dcr_verdict(doc)
    return verdict is not None and verdict[0]


def best_image_url(media: dict[str, Any]) -> str | None:
    """The master asset if marked, else the widest one."""
    images = [i for i in as_list(media.get("allImages")) if isinstance(i, dict)]
    master = [i for i in images if as_dict(i.get("fields")).get("isMaster") in ("true", True)]
    pool = master or images

    def width(image: dict[str, Any]) -> int:
        return as_int(as_dict(image.get("fields")).get("width")) or 0

    return as_str(max(pool, key=width).get("url")) if pool else None


def dcr_element(raw: Any) -> Element:
    """One DCR page element. Unknown types are kept as `unknown` with their raw fields."""
    raw = as_dict(raw)
    kind_name = (as_str(raw.get("_type")) or "").rpartition(".")[2]
    html = as_str(raw.get("html"))
    if kind_name == "TextBlockElement" and "role" not in raw:
        # The common case, kept short: most elements of most blocks are prose.
        return Element("text", text=html_to_text(html), html=html, extra={"type": kind_name})
    role = as_str(raw.get("role"))
    extra: dict[str, Any] = {"type": kind_name} if kind_name else {}
    if role:
        extra["role"] = role
    if kind_name in PROSE_TYPES:
        return Element("text", text=html_to_text(html), html=html, extra=extra)
    if kind_name == "MultiImageBlockElement":
        images = [
            dcr_element({**as_dict(i), "_type": "ImageBlockElement"})
            for i in as_list(raw.get("images"))
        ]
        extra["images"] = [i.to_dict() for i in images[1:]]
        first = images[0] if images else Element("image")
        caption = clean_line(as_str(raw.get("caption"))) or first.caption
        return Element(
            "image", url=first.url, caption=caption, credit=first.credit, alt=first.alt, extra=extra
        )
    if kind_name in ("BlockquoteBlockElement", "PullquoteBlockElement", "QuoteBlockElement"):
        kind = "blockquote" if kind_name == "BlockquoteBlockElement" else "pullquote"
        if as_str(raw.get("attribution")):
            extra["attribution"] = raw["attribution"]
        return Element(kind, text=html_to_text(html), html=html, extra=extra)
    if kind_name == "ImageBlockElement":
        data = as_dict(raw.get("data"))
        return Element(
            "image",
            url=best_image_url(as_dict(raw.get("media"))),
            caption=html_to_text(as_str(data.get("caption"))) or None,
            credit=clean_line(as_str(data.get("credit"))) or None,
            alt=clean_line(as_str(data.get("alt"))) or None,
            extra=extra,
        )
    if kind_name == "TweetBlockElement":
        if as_str(raw.get("id")):
            extra["tweet_id"] = raw["id"]
        return Element(
            "tweet",
            text=html_to_text(html) or None,
            html=html,
            url=as_str(raw.get("url")),
            extra=extra,
        )
    if kind_name == "RichLinkBlockElement":
        if as_str(raw.get("prefix")):
            extra["prefix"] = raw["prefix"]
        return Element(
            "rich-link",
            text=clean_line(as_str(raw.get("text"))),
            url=as_str(raw.get("url")),
            extra=extra,
        )
    if kind_name in (
        "YoutubeBlockElement",
        "VideoYoutubeBlockElement",
        "VideoVimeoBlockElement",
        "VideoFacebookBlockElement",
        "MediaAtomBlockElement",
    ):
        url = as_str(raw.get("originalUrl")) or as_str(raw.get("url"))
        if not url and as_str(raw.get("assetId")) and "Youtube" in kind_name:
            url = f"https://www.youtube.com/watch?v={raw['assetId']}"
        return Element(
            "video",
            text=None,
            url=url,
            caption=clean_line(
                as_str(raw.get("mediaTitle"))
                or as_str(raw.get("title"))
                or as_str(raw.get("caption"))
            )
            or None,
            extra=extra,
        )
    if kind_name in (
        "AudioBlockElement",
        "AudioAtomBlockElement",
        "SoundcloudBlockElement",
        "SpotifyBlockElement",
    ):
        return Element(
            "audio",
            html=html,
            url=as_str(raw.get("url")) or as_str(raw.get("embedUrl")),
            extra=extra,
        )
    if kind_name.endswith("EmbedBlockElement") or kind_name in (
        "InteractiveBlockElement",
        "DocumentBlockElement",
        "MapBlockElement",
        "InstagramBlockElement",
    ):
        return Element(
            "embed",
            text=html_to_text(html) or None,
            html=html,
            url=as_str(raw.get("url")) or as_str(raw.get("embedUrl")),
            extra=extra,
        )
    # Keep what we do not understand: a better parser can read it from the archive later.
    extra.update({k: v for k, v in raw.items() if k not in ("_type", "elementId")})
    return Element(
        "unknown",
        text=html_to_text(html) or None,
        html=html,
        url=as_str(raw.get("url")),
        extra=extra,
    )


# Kinds whose text is part of what a post says (a video's title or a link's label is not).
_TEXT_KINDS = frozenset({"text", "blockquote", "pullquote", "tweet", "unknown"})


def block_text(elements: list[Element]) -> str:
    """A block's plain text: its prose, quotes and tweets, in order, as paragraphs."""
    # Element texts are clean already: joining them is all that is left to do.
    return "\n\n".join(e.text for e in elements if e.text and e.kind in _TEXT_KINDS)


def block_html(elements: list[Element]) -> str | None:
    parts = [e.html for e in elements if e.html]
    return "\n".join(parts) if parts else None


def dcr_block(raw: Any, *, block_id: str | None = None) -> Block | None:
    """One DCR block; None when it has no id to hold it by and none is given."""
    raw = as_dict(raw)
    ident = block_id or as_str(raw.get("id"))
    if not ident:
        return None
    attributes = as_dict(raw.get("attributes"))
    elements = [dcr_element(e) for e in as_list(raw.get("elements"))]
    authors = [
        clean_line(as_str(c.get("name")))
        for c in as_list(raw.get("contributors"))
        if isinstance(c, dict) and as_str(c.get("name"))
    ]
    return Block(
        id=ident,
        title=clean_line(as_str(raw.get("title"))) or None,
        created_at=from_epoch_ms(raw.get("blockCreatedOn")),
        published_at=from_epoch_ms(raw.get("blockFirstPublished")),
        updated_at=from_epoch_ms(raw.get("blockLastUpdated")),
        key_event=flag(attributes.get("keyEvent")) is True,
        pinned=flag(attributes.get("pinned")) is True,
        summary=flag(attributes.get("summary")) is True,
        authors=authors,
        elements=elements,
        text=block_text(elements),
        html=block_html(elements),
    )


def _said(sightings: list[dict[str, Any]], name: str) -> bool | None:
    """What a block's attributes say of one flag over all its sightings; None if none says."""
    said = [f for f in (flag(a.get(name)) for a in sightings) if f is not None]
    return any(said) if said else None


def dcr_blocks(
    raw_blocks: list[Any],
    *,
    key_event_ids: frozenset[str] = frozenset(),
    pinned_ids: frozenset[str] = frozenset(),
) -> list[Block]:
    """DCR blocks, each id once: a block repeated in keyEvents or pinnedPost is built once,
    its flags merged from every sighting.

    Where a block's attributes speak, they rule. Where they are absent (the 2021 vintage lists
    key events without `attributes`), being listed in `keyEvents` (or as `pinnedPost`) is
    what makes a block a key event (or pinned); a summary stays a summary.
    """
    first: dict[str, Block] = {}
    sightings: dict[str, list[dict[str, Any]]] = {}
    for raw in raw_blocks:
        ident = as_str(as_dict(raw).get("id"))
        if ident is None or ident not in first:
            block = dcr_block(raw)
            if block is None:
                continue
            block.source = raw  # all it says, but its flags (set below from every sighting)
            first[block.id] = block
            ident = block.id
        sightings.setdefault(ident, []).append(as_dict(as_dict(raw).get("attributes")))
    return flagged(first, sightings, _said, key_event_ids, pinned_ids)


def flagged(
    first: dict[str, Block],
    sightings: dict[str, list[Any]],
    said: Callable[[list[Any], str], bool | None],
    key_event_ids: frozenset[str],
    pinned_ids: frozenset[str],
) -> list[Block]:
    """`first`'s blocks with their flags set from every sighting's attributes (`said` reads
    one flag of a block's sightings, whatever shape they were decoded into), and from the
    page's key-event and pinned lists where the attributes say nothing (`dcr_blocks`)."""
    for ident, block in first.items():
        seen = sightings[ident]
        summary = said(seen, "summary")
        block.summary = summary is True
        key_event = said(seen, "keyEvent")
        if key_event is None:
            key_event = ident in key_event_ids and not block.summary
        block.key_event = key_event
        pinned = said(seen, "pinned")
        block.pinned = pinned if pinned is not None else ident in pinned_ids
    return list(first.values())


def dcr_ids(raw_blocks: list[Any]) -> frozenset[str]:
    """The ids the raw DCR blocks give (a block without one is no block)."""
    return frozenset(i for i in (as_str(as_dict(b).get("id")) for b in raw_blocks) if i)


def blog_id_from_url(url: str | None) -> str | None:
    """The stable id of a blog: its URL's path without slashes at the ends."""
    path = url_path(url)
    if path.endswith(".json"):
        path = path[: -len(".json")]
    return path or None


def authors_from(doc: dict[str, Any]) -> list[str]:
    names = [
        clean_line(as_str(t.get("title")))
        for t in as_list(doc.get("tags"))
        if isinstance(t, dict) and t.get("type") == "Contributor" and as_str(t.get("title"))
    ]
    if names:
        return names
    byline = clean_line(
        as_str(as_dict(doc.get("author")).get("byline")) or as_str(doc.get("byline"))
    )
    if not byline:
        return []
    return [n.strip() for n in byline.replace(" and ", ", ").split(",") if n.strip()]


def parse_dcr(doc: dict[str, Any], url: str | None = None) -> LiveBlog:
    """A Guardian DCR article payload to a LiveBlog."""
    verdict = dcr_verdict(doc)
    if verdict is None:
        raise ParseError("not a live blog: JSON without Guardian live-blog blocks")
    if not verdict[0]:
        raise ParseError(f"not a live blog: a Guardian page of type {verdict[1]}")
    config = as_dict(doc.get("config"))
    canonical = as_str(doc.get("canonicalUrl")) or as_str(doc.get("webURL"))
    if not canonical and as_str(doc.get("pageId")):
        canonical = f"https://www.theguardian.com/{doc['pageId']}"
    blog_url = canonical or url
    blog_id = as_str(doc.get("pageId")) or blog_id_from_url(blog_url) or blog_id_from_url(url)
    if not blog_id:
        raise ParseError("not a live blog: Guardian JSON without a page id or URL")

    key_events = as_list(doc.get("keyEvents"))
    pinned = [doc["pinnedPost"]] if isinstance(doc.get("pinnedPost"), dict) else []
    blocks = dcr_blocks(
        as_list(doc.get("blocks")) + key_events + pinned,
        key_event_ids=dcr_ids(key_events),
        pinned_ids=dcr_ids(pinned),
    )

    pages: dict[str, str] = {}
    pagination = as_dict(doc.get("pagination"))
    base = blog_url or url or ""
    for rel in PAGE_RELS:
        suffix = as_str(pagination.get(rel))
        if suffix:
            pages[rel] = joined(base, suffix) if base else suffix

    is_live = config.get("isLive")
    if not isinstance(is_live, bool):
        is_live = doc.get("isLive") if isinstance(doc.get("isLive"), bool) else None
    updated = [b.updated_at for b in blocks if b.updated_at]
    return LiveBlog(
        id=blog_id,
        url=blog_url,
        title=clean_line(as_str(doc.get("headline")) or as_str(doc.get("webTitle"))) or None,
        standfirst=html_to_text(as_str(doc.get("standfirst"))) or None,
        publisher=PUBLISHER,
        is_live=is_live,
        published_at=parse_iso(doc.get("webPublicationDate")),
        updated_at=max(updated) if updated else parse_iso(doc.get("webPublicationDate")),
        authors=authors_from(doc),
        tags=[
            t["id"] for t in as_list(doc.get("tags")) if isinstance(t, dict) and as_str(t.get("id"))
        ],
        source_format="guardian-dcr",
        blocks=newest_first(blocks),
        pages=pages,
        complete=pagination.get("totalPages") == 1,
        page_count=as_int(pagination.get("totalPages")),
        body_ids=[
            b["id"]
            for b in as_list(doc.get("blocks"))
            if isinstance(b, dict) and as_str(b.get("id"))
        ],
    )


# --- addresses --------------------------------------------------------------------------------


def is_guardian(url: str, hosts: tuple[str, ...]) -> bool:
    """A Guardian live-blog URL: a Guardian host and a `/live/` path."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return "/live/" in parts.path and any(host == h or host.endswith("." + h) for h in hosts)


def dcr_url(url: str) -> str:
    """The DCR JSON URL of a Guardian page URL (keeping a `page=` query)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith(".json") else parts.path.rstrip("/") + ".json"
    query = "dcr=true" + (f"&{parts.query}" if parts.query else "")
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def page_url(url: str) -> str:
    """The HTML page URL behind a DCR JSON URL (for naming the blog)."""
    parts = urlsplit(url)
    path = parts.path[: -len(".json")] if parts.path.endswith(".json") else parts.path
    query = "&".join(q for q in parts.query.split("&") if q and q != "dcr=true")
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def plan(url: str, reach: Reach) -> Plan | None:
    """Guardian live blogs are read as DCR JSON first, the HTML page when that fails.

    Older pages are the blog URL's `?page=` links, asked for in the form that worked.
    """
    if not is_guardian(url, reach.guardian_hosts):
        return None

    def older(link: str, fetched: str) -> str:
        address = rebase(link, url)
        parts = urlsplit(fetched)
        dcr = "dcr=true" in parts.query or parts.path.endswith(".json")
        return dcr_url(address) if dcr else address

    return Plan(addresses=(dcr_url(url), url), older=older, page_url=page_url)
