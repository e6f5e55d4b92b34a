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
from liveblog_cli.parse.page import html_parser
from liveblog_cli.parse.source import Plan, Reach, Source
from liveblog_cli.parse.text import clean_line, html_to_text

SITE = "https://www.theguardian.com"


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _response(doc: Any) -> dict[str, Any] | None:
    response = _d(doc).get("response")
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
    tags = {_d(t).get("id") for t in _l(content.get("tags"))}
    return "tone/minutebyminute" in tags


# --- elements ----------------------------------------------------------------------------------


def _width(image: dict[str, Any]) -> int:
    """An image's width wherever it is given (a number or a numeric string), else 0."""
    value = image.get("width", _d(image.get("typeData")).get("width"))
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _widest_asset(assets: list[Any]) -> dict[str, Any]:
    """The master asset if marked, else the widest one (as the DCR reader chooses)."""
    pool = [a for a in assets if isinstance(a, dict) and _s(a.get("file"))]
    master = [a for a in pool if flag(_d(a.get("typeData")).get("isMaster"))]
    return max(master or pool, key=_width) if pool else {}


def _image(raw: dict[str, Any], data: dict[str, Any], extra: dict[str, Any]) -> Element:
    asset = _widest_asset(_l(raw.get("assets")))
    url = _s(asset.get("file"))
    if not url:  # cartoons keep their files in variants
        files = [
            i
            for v in _l(data.get("variants"))
            for i in _l(_d(v).get("images"))
            if isinstance(i, dict) and _s(i.get("file"))
        ]
        url = _s(max(files, key=_width)["file"]) if files else None
    typed = _d(asset.get("typeData"))
    return Element(
        "image",
        url=url,
        caption=html_to_text(_s(data.get("caption")) or _s(typed.get("caption"))) or None,
        credit=clean_line(_s(data.get("credit")) or _s(typed.get("credit"))) or None,
        alt=clean_line(_s(data.get("alt")) or _s(typed.get("altText"))) or None,
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
    raw = _d(raw)
    kind_name = _s(raw.get("type")) or "unknown"
    # Each type keeps its fields under "<type>TypeData" ("rich-link" -> richLinkTypeData).
    camel = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(kind_name.split("-")))
    data = _d(raw.get(f"{camel}TypeData"))
    extra: dict[str, Any] = {"type": kind_name}
    if kind_name in ("image", "cartoon"):
        return _image(raw, data, extra)
    html = _s(data.get("html"))
    url = _s(data.get("originalUrl")) or _s(data.get("url")) or _s(data.get("source_url"))
    kind = _KINDS.get(kind_name)
    if kind is None:
        extra.update({k: v for k, v in raw.items() if k not in ("type", "assets")})
        return Element("unknown", text=html_to_text(html) or None, html=html, url=url, extra=extra)
    if kind == "tweet" and _s(data.get("id")):
        extra["tweet_id"] = data["id"]
    if kind == "pullquote" and _s(data.get("attribution")):
        extra["attribution"] = data["attribution"]
    if kind in ("video", "audio", "rich-link"):
        title = _s(data.get("title")) or _s(data.get("linkText")) or _s(data.get("caption"))
        return Element(
            kind, text=None, html=html, url=url, caption=clean_line(title) or None, extra=extra
        )
    return Element(kind, text=html_to_text(html) or None, html=html, url=url, extra=extra)


def _body(raw: dict[str, Any]) -> tuple[list[Element], str, str | None]:
    """A block's elements, text and HTML.

    The typed `elements` when the API gives them, else the published `bodyHtml` read as a
    rendered body. The text is the post's prose either way (image captions are the image's).
    """
    html = _s(raw.get("bodyHtml"))
    rendered: list[Element] = []
    if html:
        from lxml import html as lxml_html

        wrapper = lxml_html.fragment_fromstring(html, create_parent="div", parser=html_parser())
        rendered = body_elements(wrapper)
    typed = [capi_element(e) for e in _l(raw.get("elements"))]
    text = block_text(rendered if html else typed)
    return typed or rendered, text, html or block_html(typed)


def capi_block(raw: Any, contributors: dict[str, str]) -> Block | None:
    """One body block; None without an id, or when the API says it is not published."""
    raw = _d(raw)
    ident = _s(raw.get("id"))
    if not ident or flag(raw.get("published")) is False:
        return None
    attributes = _d(raw.get("attributes"))
    elements, text, html = _body(raw)
    authors = [contributors[c] for c in _l(raw.get("contributors")) if c in contributors]
    published = parse_iso(raw.get("firstPublishedDate")) or parse_iso(raw.get("publishedDate"))
    return Block(
        id=ident,
        title=clean_line(_s(raw.get("title")) or _s(attributes.get("title"))) or None,
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
    for tag in _l(content.get("tags")):
        tag = _d(tag)
        if tag.get("type") == "contributor" and _s(tag.get("id")) and _s(tag.get("webTitle")):
            names[tag["id"]] = clean_line(tag["webTitle"])
    return names


def _standfirst(content: dict[str, Any]) -> str | None:
    fields = _d(content.get("fields"))
    given = _s(fields.get("standfirst")) or _s(fields.get("trailText"))
    if given:
        return html_to_text(given) or None
    main = _d(_d(content.get("blocks")).get("main"))
    _, text, _ = _body(main) if main else ([], "", None)
    return text or None


def parse_capi(doc: Any, url: str | None = None) -> LiveBlog:
    response = _response(doc)
    if response is None:
        raise ParseError("not a live blog: no Guardian Content API response")
    content = response.get("content")
    if not isinstance(content, dict):
        message = clean_line(_s(response.get("message")))[:200]
        raise ParseError(f"not a live blog: the Guardian Content API answered: {message}")
    path = clean_line(_s(content.get("id"))).strip("/")
    if not path:
        raise ParseError("not a live blog: Guardian Content API item without an id")
    if not _is_live_blog(content):
        kind = clean_line(_s(content.get("type")))[:40] or "item"
        raise ParseError(f"not a live blog: a Guardian Content API item of type {kind}")
    fields = _d(content.get("fields"))
    blocks_doc = _d(content.get("blocks"))
    raw_body = _l(blocks_doc.get("body"))
    # A selection asked for by name (show-blocks=body:key-events) comes in its own lists.
    for selection in _d(blocks_doc.get("requestedBodyBlocks")).values():
        raw_body = raw_body + _l(selection)
    names = _contributors(content)
    blocks = merge_blocks([b for b in (capi_block(r, names) for r in raw_body) if b])
    updated = [b.updated_at for b in blocks if b.updated_at]
    total = blocks_doc.get("totalBodyBlocks")
    authors = list(names.values())
    if not authors and _s(fields.get("byline")):
        byline = clean_line(fields["byline"]).replace(" and ", ", ")
        authors = [n.strip() for n in byline.split(",") if n.strip()]
    return LiveBlog(
        id=path,
        url=f"{SITE}/{path}",
        title=clean_line(_s(fields.get("headline")) or _s(content.get("webTitle"))) or None,
        standfirst=_standfirst(content),
        publisher=PUBLISHER,
        is_live=flag(fields.get("liveBloggingNow")),
        published_at=parse_iso(content.get("webPublicationDate")),
        updated_at=max(updated) if updated else parse_iso(fields.get("lastModified")),
        authors=authors,
        tags=[t["id"] for t in _l(content.get("tags")) if _s(_d(t).get("id"))],
        source_format="guardian-capi",
        blocks=newest_first(blocks),
        body_ids=[b.id for b in blocks],
        # show-blocks=all answers with every post: the item is the whole blog, unless the
        # API says it holds more than it sent.
        complete=bool(raw_body) and (not isinstance(total, int) or total == len(raw_body)),
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
