"""The Guardian Content API (`content.guardianapis.com/<path>?show-blocks=all`).

With an API key, a Guardian live blog is one request: `response.content` holds every post as
`blocks.body[]` (newest first), each with its published HTML (`bodyHtml`), typed `elements`,
`attributes` (`keyEvent`, `pinned`, `summary`, `title`: booleans, or the strings "true" and
"false"), and ISO dates. `blocks.main` is the standfirst/main-media block, not a post. The
blog is named by its Guardian path (`content.id`), as the DCR reader names it by `pageId`,
so a blog read through either lands on one id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from liveblog_cli.errors import ParseError
from liveblog_cli.model import Block, Element, LiveBlog, merge_blocks, newest_first, parse_iso
from liveblog_cli.parse import guardian_dcr
from liveblog_cli.parse.guardian_dcr import PUBLISHER, block_html, block_text, flag
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import html_fragment, html_fragments
from liveblog_cli.parse.source import Plan, Reach, Source
from liveblog_cli.parse.text import clean_line, html_to_text
from liveblog_cli.parse.typed import as_dict, as_int, as_list, as_str

SITE = "https://www.theguardian.com"


def _response(doc: Any) -> dict[str, Any] | None:
    response = as_dict(doc).get("response")
    return response if isinstance(response, dict) else None


def looks_like_capi(doc: Any) -> bool:
    """A Content API answer: `response` holding an item (`content` with an `id`) or an error.

    DCR payloads never have a top-level `response`, so this never claims one.
    """
    response = _response(doc)
    if response is None:
        return False
    content = response.get("content")
    if isinstance(content, dict):
        return isinstance(content.get("id"), str) and (
            "blocks" in content or "webUrl" in content or "apiUrl" in content
        )
    return response.get("status") == "error" and isinstance(response.get("message"), str)


def _is_live_blog(content: dict[str, Any]) -> bool:
    """The item is a live blog: its type says so, or its path or its tone tag does (the API's
    own test items are typed "article" while living under /live/)."""
    if content.get("type") == "liveblog" or "/live/" in f"/{content.get('id')}/":
        return True
    tags = {as_str(as_dict(t).get("id")) for t in as_list(content.get("tags"))}
    return "tone/minutebyminute" in tags


# --- elements ----------------------------------------------------------------------------------


def _width(image: dict[str, Any]) -> int:
    """An image's width wherever it is given (a number or a numeric string), else 0."""
    return as_int(image.get("width", as_dict(image.get("typeData")).get("width"))) or 0


def _widest_asset(assets: list[Any]) -> dict[str, Any]:
    """The master asset if marked, else the widest one (as the DCR reader chooses)."""
    pool = [a for a in assets if isinstance(a, dict) and as_str(a.get("file"))]
    master = [a for a in pool if flag(as_dict(a.get("typeData")).get("isMaster"))]
    return max(master or pool, key=_width) if pool else {}


def _image(raw: dict[str, Any], data: dict[str, Any], extra: dict[str, Any]) -> Element:
    asset = _widest_asset(as_list(raw.get("assets")))
    url = as_str(asset.get("file"))
    if not url:  # cartoons keep their files in variants
        files = [
            i
            for v in as_list(data.get("variants"))
            for i in as_list(as_dict(v).get("images"))
            if isinstance(i, dict) and as_str(i.get("file"))
        ]
        url = as_str(max(files, key=_width)["file"]) if files else None
    typed = as_dict(asset.get("typeData"))
    return Element(
        "image",
        url=url,
        caption=html_to_text(as_str(data.get("caption")) or as_str(typed.get("caption"))) or None,
        credit=clean_line(as_str(data.get("credit")) or as_str(typed.get("credit"))) or None,
        alt=clean_line(as_str(data.get("alt")) or as_str(typed.get("altText"))) or None,
        extra=extra,
    )


# CAPI element types as the model's kinds (the DCR reader's names for the same things).
_KINDS = {
    "text": "text",
    "pullquote": "pullquote",
    "tweet": "tweet",
    "video": "video",
    "audio": "audio",
    "embed": "embed",
    "instagram": "embed",
    "interactive": "embed",
    "vine": "embed",
    "witness": "embed",
    "document": "embed",
    "map": "embed",
    "rich-link": "rich-link",
}


def capi_element(raw: Any) -> Element:
    """One typed element; unknown types are kept as `unknown` with their data."""
    raw = as_dict(raw)
    kind_name = as_str(raw.get("type")) or "unknown"
    # Each type keeps its fields under "<type>TypeData" ("rich-link" -> richLinkTypeData).
    camel = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(kind_name.split("-")))
    data = as_dict(raw.get(f"{camel}TypeData"))
    extra: dict[str, Any] = {"type": kind_name}
    if kind_name in ("image", "cartoon"):
        return _image(raw, data, extra)
    html = as_str(data.get("html"))
    url = (
        as_str(data.get("originalUrl")) or as_str(data.get("url")) or as_str(data.get("source_url"))
    )
    kind = _KINDS.get(kind_name)
    if kind is None:
        extra.update({k: v for k, v in raw.items() if k not in ("type", "assets")})
        return Element("unknown", text=html_to_text(html) or None, html=html, url=url, extra=extra)
    if kind == "tweet" and as_str(data.get("id")):
        extra["tweet_id"] = data["id"]
    if kind == "pullquote" and as_str(data.get("attribution")):
        extra["attribution"] = data["attribution"]
    if kind in ("video", "audio", "rich-link"):
        title = (
            as_str(data.get("title")) or as_str(data.get("linkText")) or as_str(data.get("caption"))
        )
        return Element(
            kind, text=None, html=html, url=url, caption=clean_line(title) or None, extra=extra
        )
    return Element(kind, text=html_to_text(html) or None, html=html, url=url, extra=extra)


def _body(raw: dict[str, Any], root: Any = None) -> tuple[list[Element], str, str | None]:
    """A block's elements, text and HTML.

    The typed `elements` when the API gives them, else the published `bodyHtml` read as a
    rendered body. The text is the post's prose either way (image captions are the image's).
    `root`: the `bodyHtml` parsed already (see `_parsed_bodies`).
    """
    html = as_str(raw.get("bodyHtml"))
    rendered: list[Element] = []
    if html:
        rendered = body_elements(html_fragment(html) if root is None else root)
    typed = [capi_element(e) for e in as_list(raw.get("elements"))]
    text = block_text(rendered if html else typed)
    return typed or rendered, text, html or block_html(typed)


def _wanted(raw: Any) -> bool:
    """A body block that is a post: it has an id, and the API does not say it is unpublished."""
    raw = as_dict(raw)
    return bool(as_str(raw.get("id"))) and flag(raw.get("published")) is not False


def capi_block(raw: Any, contributors: dict[str, str], root: Any = None) -> Block | None:
    """One body block; None without an id, or when the API says it is not published.
    `root`: its `bodyHtml` parsed already."""
    if not _wanted(raw):
        return None
    raw = as_dict(raw)
    ident = raw["id"]
    attributes = as_dict(raw.get("attributes"))
    elements, text, html = _body(raw, root)
    authors = [
        contributors[c]
        for c in as_list(raw.get("contributors"))
        if isinstance(c, str) and c in contributors
    ]
    published = parse_iso(raw.get("firstPublishedDate")) or parse_iso(raw.get("publishedDate"))
    return Block(
        id=ident,
        title=clean_line(as_str(raw.get("title")) or as_str(attributes.get("title"))) or None,
        created_at=parse_iso(raw.get("createdDate")),
        published_at=published,
        updated_at=parse_iso(raw.get("lastModifiedDate")) or parse_iso(raw.get("publishedDate")),
        key_event=flag(attributes.get("keyEvent")) is True,
        pinned=flag(attributes.get("pinned")) is True,
        summary=flag(attributes.get("summary")) is True,
        authors=authors,
        elements=elements,
        text=text,
        html=html,
    )


# --- the item ----------------------------------------------------------------------------------


def _contributors(content: dict[str, Any]) -> dict[str, str]:
    """Contributor tag ids (what a block's `contributors` lists) to the names they show."""
    names = {}
    for tag in as_list(content.get("tags")):
        tag = as_dict(tag)
        if (
            tag.get("type") == "contributor"
            and as_str(tag.get("id"))
            and as_str(tag.get("webTitle"))
        ):
            names[tag["id"]] = clean_line(tag["webTitle"])
    return names


def _given_standfirst(content: dict[str, Any]) -> str | None:
    fields = as_dict(content.get("fields"))
    return as_str(fields.get("standfirst")) or as_str(fields.get("trailText"))


def _standfirst(content: dict[str, Any], root: Any = None) -> str | None:
    given = _given_standfirst(content)
    if given:
        return html_to_text(given) or None
    main = as_dict(as_dict(content.get("blocks")).get("main"))
    _, text, _ = _body(main, root) if main else ([], "", None)
    return text or None


def _parsed_bodies(raw_body: list[Any], content: dict[str, Any]) -> tuple[list[Any], Any]:
    """The `bodyHtml` of every post (None for a block that is none or has no HTML) and of the
    main block when the standfirst is read from it, parsed at once (`html_fragments`: the
    trees each would be parsed into alone, for one parse instead of one per post)."""
    markups: list[str] = []
    where: list[int | None] = []
    for raw in raw_body:
        html = as_str(as_dict(raw).get("bodyHtml")) if _wanted(raw) else None
        where.append(len(markups) if html else None)
        if html:
            markups.append(html)
    main = as_dict(as_dict(content.get("blocks")).get("main"))
    main_html = None if _given_standfirst(content) else as_str(main.get("bodyHtml"))
    if main_html:
        markups.append(main_html)
    roots = html_fragments(markups)
    return [None if i is None else roots[i] for i in where], roots[-1] if main_html else None


def parse_capi(doc: Any, url: str | None = None) -> LiveBlog:
    response = _response(doc)
    if response is None:
        raise ParseError("not a live blog: no Guardian Content API response")
    content = response.get("content")
    if not isinstance(content, dict):
        message = clean_line(as_str(response.get("message")))[:200]
        raise ParseError(f"not a live blog: the Guardian Content API answered: {message}")
    path = clean_line(as_str(content.get("id"))).strip("/")
    if not path:
        raise ParseError("not a live blog: Guardian Content API item without an id")
    if not _is_live_blog(content):
        kind = clean_line(as_str(content.get("type")))[:40] or "item"
        raise ParseError(f"not a live blog: a Guardian Content API item of type {kind}")
    fields = as_dict(content.get("fields"))
    blocks_doc = as_dict(content.get("blocks"))
    raw_body = as_list(blocks_doc.get("body"))
    # A selection asked for by name (show-blocks=body:key-events) comes in its own lists.
    for selection in as_dict(blocks_doc.get("requestedBodyBlocks")).values():
        raw_body = raw_body + as_list(selection)
    names = _contributors(content)
    roots, main_root = _parsed_bodies(raw_body, content)
    blocks = merge_blocks(
        [b for b in (capi_block(r, names, t) for r, t in zip(raw_body, roots, strict=True)) if b]
    )
    updated = [b.updated_at for b in blocks if b.updated_at]
    total = as_int(blocks_doc.get("totalBodyBlocks"))
    authors = list(names.values())
    if not authors and as_str(fields.get("byline")):
        byline = clean_line(fields["byline"]).replace(" and ", ", ")
        authors = [n.strip() for n in byline.split(",") if n.strip()]
    return LiveBlog(
        id=path,
        url=f"{SITE}/{path}",
        title=clean_line(as_str(fields.get("headline")) or as_str(content.get("webTitle"))) or None,
        standfirst=_standfirst(content, main_root),
        publisher=PUBLISHER,
        is_live=flag(fields.get("liveBloggingNow")),
        published_at=parse_iso(content.get("webPublicationDate")),
        updated_at=max(updated) if updated else parse_iso(fields.get("lastModified")),
        authors=authors,
        tags=[t["id"] for t in as_list(content.get("tags")) if as_str(as_dict(t).get("id"))],
        source_format="guardian-capi",
        blocks=newest_first(blocks),
        body_ids=[b.id for b in blocks],
        # show-blocks=all answers with every post: the item is the whole blog, unless the
        # API says it holds more than it sent.
        complete=bool(raw_body) and (total is None or total == len(raw_body)),
    )


# --- addresses ---------------------------------------------------------------------------------


def plan(url: str, reach: Reach) -> Plan | None:
    """With an API key, a Guardian live blog is asked of the Content API first (all its
    blocks in one answer), then as DCR JSON and as the page, the way guardian_dcr.plan asks."""
    key = reach.guardian_api_key
    if not key or not guardian_dcr.is_guardian(url, reach.guardian_hosts):
        return None
    fallback = guardian_dcr.plan(url, reach)
    assert fallback is not None
    path = urlsplit(url).path.strip("/").removesuffix(".json")
    api_root = reach.guardian_api.rstrip("/")
    address = f"{api_root}/{quote(path, safe='/')}?show-blocks=all&api-key={quote(key, safe='')}"

    def page_url(fetched: str) -> str:
        # An API answer names the blog by its Guardian URL (and never by the key).
        if fetched.startswith(api_root + "/"):
            return f"{SITE}/{fetched[len(api_root) + 1 :].split('?', 1)[0].strip('/')}"
        return fallback.page_url(fetched)

    return Plan(
        addresses=(address, *fallback.addresses),
        older=fallback.older,
        page_url=page_url,
        secret=True,
    )


CAPI = Source(
    "guardian-capi",
    "json",
    sniff=lambda doc: looks_like_capi(doc.json),
    read=lambda doc: parse_capi(doc.json, doc.url),
    plan=plan,
    hosts=Reach.guardian_aliases,
)
