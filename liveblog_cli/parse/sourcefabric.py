"""Sourcefabric Live Blog 3 (liveblog.pro; dpa, Zeit and others): its public posts API.

`/api/client_blogs/<blog id>/posts` answers `{"posts": {"_items", "_meta", "_links"}}` (an
Eve API). The items are a change feed, sorted by last update rather than by time: published
posts (`post_status` "open"), reader comments and drafts (other statuses), and tombstones
of deleted posts (`deleted: true`), which say a post is gone wherever it was. A post's
content is the list of items in its `main` group: text (HTML in `text`), images, embeds
(oEmbed data), quotes, and "free types" (scorecards, result tables) rendered to HTML.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlunsplit

from liveblog_cli.model import Block, Element, LiveBlog, newest_first, parse_iso
from liveblog_cli.parse.guardian_dcr import block_html, block_text
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import html_fragment
from liveblog_cli.parse.source import Source
from liveblog_cli.parse.text import clean_line, html_to_text
from liveblog_cli.parse.typed import as_dict, as_list, as_words, joined, split_url, url_path

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _feed(doc: Any) -> dict[str, Any] | None:
    """The Eve page (`_items`, `_meta`, `_links`): under `posts`, or the answer itself."""
    doc = as_dict(doc)
    posts = doc.get("posts")
    page = posts if isinstance(posts, dict) else doc
    items = page.get("_items")
    if not isinstance(items, list) or not ("_meta" in page or "_links" in page):
        return None
    if page is doc and not any(isinstance(as_dict(i).get("groups"), list) for i in items[:50]):
        return None  # a bare Eve page of something other than Live Blog posts
    return page


def looks_like_sourcefabric(doc: Any) -> bool:
    return _feed(doc) is not None


# --- a post's items ----------------------------------------------------------------------------


def _oembed(item: dict[str, Any]) -> dict[str, Any]:
    """An embed's oEmbed data: `meta` in the API, or the JSON string `filemeta_json`."""
    meta = as_dict(item.get("meta"))
    if (
        as_words(meta.get("original_url"))
        or as_words(meta.get("url"))
        or as_words(meta.get("html"))
    ):
        return meta
    try:
        return as_dict(json.loads(item.get("filemeta_json") or "{}"))
    except (TypeError, ValueError, RecursionError):
        return {}  # one unreadable embed is not a reason to lose the page


def _embed(item: dict[str, Any], html: str | None, extra: dict[str, Any]) -> Element:
    data = _oembed(item)
    url = as_words(data.get("original_url")) or as_words(data.get("url"))
    provider = clean_line(as_words(data.get("provider_name")))
    if provider:
        extra["provider"] = provider
    if provider.lower() == "twitter" or "/status/" in (url or ""):
        tweet = as_words(data.get("html")) or html
        return Element("tweet", text=html_to_text(tweet) or None, html=tweet, url=url, extra=extra)
    if as_words(data.get("description")):
        extra["description"] = clean_line(data["description"])
    return Element(
        "embed",
        html=html,
        url=url,
        caption=clean_line(as_words(data.get("title"))) or None,
        extra=extra,
    )


def _image(item: dict[str, Any], html: str | None, extra: dict[str, Any]) -> Element:
    meta = as_dict(item.get("meta"))
    renditions = as_dict(as_dict(meta.get("media")).get("renditions"))
    url = next(
        (
            as_words(as_dict(renditions.get(name)).get("href"))
            for name in ("original", "baseImage", "viewImage")
            if as_words(as_dict(renditions.get(name)).get("href"))
        ),
        None,
    )
    shown = body_elements(html_fragment(html)) if html else []
    rendered = next((e for e in shown if e.kind == "image"), Element("image"))
    caption, credit = as_words(meta.get("caption")), as_words(meta.get("credit"))
    if not caption and not credit and rendered.caption:
        # The theme renders both in the figcaption: "Relax Credit: Sourcefabric".
        caption, _, credit = rendered.caption.rpartition(" Credit: ")
        caption = caption or (None if credit else rendered.caption)
    return Element(
        "image",
        url=url or rendered.url,
        caption=clean_line(caption) or None,
        credit=clean_line(credit) or None,
        alt=rendered.alt,
        html=html,
        extra=extra,
    )


def item_elements(item: Any) -> list[Element]:
    """One item of a post as elements; a free type's rendered HTML read as a rendered body."""
    item = as_dict(item)
    kind = clean_line(as_words(item.get("item_type"))) or "unknown"
    html = as_words(item.get("text"))
    extra: dict[str, Any] = {"type": kind}
    if kind in ("text", "comment"):
        return [Element("text", text=html_to_text(html), html=html, extra=extra)] if html else []
    if kind == "quote":
        meta = as_dict(item.get("meta"))
        if as_words(meta.get("credit")):
            extra["attribution"] = clean_line(meta["credit"])
        quote = as_words(meta.get("quote"))
        text = clean_line(quote) if quote else html_to_text(html)
        return [Element("blockquote", text=text, html=html, extra=extra)]
    if kind == "image":
        return [_image(item, html, extra)]
    if kind == "embed":
        return [_embed(item, html, extra)]
    rendered = body_elements(html_fragment(html)) if html else []
    for element in rendered:
        element.extra = {**extra, **element.extra}
    return rendered or [Element("unknown", html=html, extra=extra)]


def _main_items(post: dict[str, Any]) -> list[Any]:
    return [
        as_dict(ref).get("item")
        for group in as_list(post.get("groups"))
        if as_dict(group).get("id") == "main"
        for ref in as_list(as_dict(group).get("refs"))
        if isinstance(as_dict(ref).get("item"), dict)
    ]


def _author(post: dict[str, Any]) -> list[str]:
    """Who the theme shows as the post's author: its publisher's display name."""
    publisher = as_dict(post.get("publisher"))
    name = as_words(publisher.get("display_name")) or as_words(post.get("byline"))
    return [clean_line(name)] if name else []


def post_block(post: dict[str, Any]) -> Block | None:
    ident = as_words(post.get("_id"))
    if not ident:
        return None
    elements = [e for item in _main_items(post) for e in item_elements(item)]
    return Block(
        id=ident,
        created_at=parse_iso(post.get("_created")),
        published_at=parse_iso(post.get("published_date")),
        updated_at=parse_iso(post.get("content_updated_date")) or parse_iso(post.get("_updated")),
        key_event=post.get("lb_highlight") is True,
        pinned=post.get("sticky") is True,
        authors=_author(post),
        elements=elements,
        text=block_text(elements),
        html=block_html(elements),
    )


# --- the page ----------------------------------------------------------------------------------


def _blog_id(url: str | None, posts: list[dict[str, Any]]) -> str:
    path = url_path(url)
    if path:
        return path
    blog = next((p["blog"] for p in posts if as_words(p.get("blog"))), "")
    ident = "".join(c for c in blog.lower() if c in _ID_CHARS)[:64]
    return f"sourcefabric/{ident or 'blog'}"


def _next_page(feed: dict[str, Any], url: str | None) -> str | None:
    """The `_links.next` page as an absolute URL.

    Eve writes its links relative to the API root ("client_blogs/<id>/posts?page=2"): one
    that starts with a segment of the given URL's path is resolved from there.
    """
    href = as_words(as_dict(as_dict(feed.get("_links")).get("next")).get("href"))
    if not href or not url:
        return None
    parts = split_url(url)
    if "://" in href or href.startswith("/") or parts is None:
        return joined(url, href)
    first = href.split("/", 1)[0]
    segments = parts.path.split("/")
    if first in segments:
        root = "/".join(segments[: segments.index(first)]) + "/"
        return urlunsplit((parts.scheme, parts.netloc, root, "", "")) + href
    return joined(url, href)


def _first_page_url(url: str | None) -> str | None:
    """The feed's URL without its `page` parameter: the blog, not one page of it."""
    parts = split_url(url)
    if parts is None:
        return url or None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "page"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def parse_sourcefabric(doc: Any, url: str | None = None) -> LiveBlog:
    feed = _feed(doc)
    assert feed is not None
    items = [i for i in as_list(feed.get("_items")) if isinstance(i, dict)]
    deleted = [i["_id"] for i in items if i.get("deleted") is True and as_words(i.get("_id"))]
    published = [
        i for i in items if i.get("post_status") == "open" and i.get("deleted") is not True
    ]
    blocks = [b for b in (post_block(p) for p in published) if b is not None]
    updated = [b.updated_at for b in blocks if b.updated_at]
    older = _next_page(feed, url)
    return LiveBlog(
        id=_blog_id(url, items),
        url=_first_page_url(url),
        updated_at=max(updated) if updated else None,
        source_format="sourcefabric",
        blocks=newest_first(blocks),
        pages={"older": older} if older else {},
        body_ids=[b.id for b in blocks],
        deleted_ids=deleted,
        # Sorted by last update: a post missing here may be on any page, not gone.
        time_ordered=False,
    )


POSTS = Source(
    "sourcefabric",
    "json",
    sniff=lambda doc: looks_like_sourcefabric(doc.json),
    read=lambda doc: parse_sourcefabric(doc.json, doc.url),
)
