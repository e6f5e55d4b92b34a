"""Guardian live blogs as the rendered HTML page.

The page carries the same blocks as the DCR JSON (guardian_dcr) rendered as
`<article id="block-...">`, the key-events carousel as island props JSON, and schema.org
JSON-LD; we take the fullest of these and merge by block id.
"""

from __future__ import annotations

import copy
import functools
import html as htmllib
from typing import Any

from liveblog_cli.errors import ParseError
from liveblog_cli.model import Block, LiveBlog, from_epoch_ms, merge_blocks, newest_first, parse_iso
from liveblog_cli.parse.guardian_dcr import (
    PAGE_RELS,
    PUBLISHER,
    block_html,
    block_text,
    blog_id_from_url,
    dcr_blocks,
    dcr_ids,
    looks_like_dcr,
    parse_dcr,
)
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import Doc, canonical_link, on_page, tagged
from liveblog_cli.parse.source import Reach, Source
from liveblog_cli.parse.text import clean_line, load_json
from liveblog_cli.parse.typed import as_int, as_list, joined


def _island_props(root: Any) -> list[dict[str, Any]]:
    """JSON props of the page's islands (`<gu-island props="...">`), as dicts."""
    out = []
    for node in root.iter("gu-island"):
        props = node.get("props")
        if not props:
            continue
        try:
            value = load_json(props)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append({"name": node.get("name") or "", **value})
    return out


def _article_block(node: Any) -> Block | None:
    """A rendered block: `<article id="block-<id>">` with a title, `<time>` and body."""
    ident = (node.get("id") or "")[len("block-") :]
    if not ident:
        return None
    classes = f" {node.get('class') or ''} ".lower()
    xp = _xpaths()
    title_node = next(iter(xp["heading"](node)), None)
    title = clean_line(title_node.text_content()) if title_node is not None else None
    times = [t for t in (parse_iso(n.get("datetime")) for n in xp["times"](node)) if t]
    stamps = [from_epoch_ms(as_int(t.get("data-timestamp"))) for t in xp["stamps"](node)]
    times += [t for t in stamps if t]
    authors = [clean_line(a.text_content()) for a in xp["authors"](node)]
    bodies = xp["body"](node)
    if bodies:
        elements = body_elements(bodies[0])
    else:
        # No body wrapper: everything but the header is the body.
        from lxml import html as lxml_html

        wrapper = lxml_html.Element("div")
        for child in node:
            if (
                child.tag not in ("header", "h2", "h3", "time", "footer")
                and child is not title_node
            ):
                wrapper.append(copy.deepcopy(child))
        elements = body_elements(wrapper)
    text = block_text(elements)
    return Block(
        id=ident,
        title=title or None,
        published_at=min(times) if times else None,
        updated_at=max(times) if len(times) > 1 else None,
        key_event="key-event" in classes or node.get("data-key-event") == "true",
        pinned="pinned" in classes or node.get("data-pinned") == "true",
        summary="summary" in classes or node.get("data-summary") == "true",
        authors=[a for a in authors if a],
        elements=elements,
        text=text,
        html=block_html(elements),
    )


def _block_articles(root: Any) -> list[Any]:
    """`//article[starts-with(@id,'block-')]`: the page's rendered blocks."""
    return [a for a in tagged(root, "article") if (a.get("id") or "").startswith("block-")]


def is_guardian_html(root: Any) -> bool:
    if tagged(root, "gu-island") or _block_articles(root):
        return True
    canonical = canonical_link(root)
    return "theguardian.com" in canonical and "/live/" in canonical


def parse_guardian_html(root: Any, url: str | None = None) -> LiveBlog:
    """A rendered Guardian live-blog page: island props + rendered blocks + JSON-LD, merged."""
    from liveblog_cli.parse import jsonld

    canonical = canonical_link(root).strip() or None
    blog_url = canonical or url
    raw_blocks: list[Any] = []
    key_events: list[Any] = []
    pinned: list[Any] = []
    embedded_doc: dict[str, Any] | None = None
    for props in _island_props(root):
        key_events += as_list(props.get("keyEvents"))
        if isinstance(props.get("pinnedPost"), dict):
            pinned.append(props["pinnedPost"])
        raw_blocks += [b for b in as_list(props.get("blocks")) if isinstance(b, dict)]
        if looks_like_dcr(props.get("article")):
            embedded_doc = props["article"]
    if embedded_doc is not None:
        return parse_dcr(embedded_doc, blog_url)

    island_blocks = dcr_blocks(
        key_events + pinned + raw_blocks,
        key_event_ids=dcr_ids(key_events),
        pinned_ids=dcr_ids(pinned),
    )
    # A rendered article adds nothing to a block the island JSON already holds in full.
    held = {b.id for b in island_blocks if b.elements}
    articles = _block_articles(root)
    rendered = [
        b
        for b in (_article_block(n) for n in articles if n.get("id")[6:] not in held)
        if b is not None
    ]
    linked = jsonld.find_liveblog(root, blog_url)
    # Island JSON is the fullest, then the rendered article, then JSON-LD: merge in that order.
    blocks = merge_blocks(island_blocks + rendered + (linked.blocks if linked else []))
    if not blocks:
        raise ParseError("not a live blog: Guardian page without any live-blog posts")
    title = linked.title if linked and linked.title else None
    if not title:
        h1 = on_page(root, "string(//h1)")
        title = clean_line(h1) or clean_line(on_page(root, "string(//title)")) or None
    meta_desc = on_page(root, "string(//meta[@name='description']/@content)")
    updated = [t for t in (b.updated_at or b.sort_time for b in blocks) if t]
    return LiveBlog(
        id=blog_id_from_url(blog_url) or (linked.id if linked else "") or "guardian-page",
        url=blog_url,
        title=title,
        standfirst=(linked.standfirst if linked else None) or clean_line(meta_desc) or None,
        publisher=PUBLISHER,
        is_live=linked.is_live if linked else None,
        published_at=linked.published_at if linked else None,
        updated_at=max(updated) if updated else None,
        authors=linked.authors if linked else [],
        tags=[],
        source_format="guardian-html",
        blocks=newest_first(blocks),
        pages=_html_pages(root, blog_url),
    )


def _html_pages(root: Any, base: str | None) -> dict[str, str]:
    """Pagination links of a rendered page, by relation, in one pass over its links."""
    found: dict[str, str] = {}
    for link in _xpaths()["page_links"](root):
        rel = link.get("rel") or link.get("data-link-name")
        href = link.get("href")
        if rel and href and rel not in found:
            found[rel] = href
    if "older" not in found and "next" in found:
        found["older"] = found["next"]
    pages: dict[str, str] = {}
    for rel in PAGE_RELS:
        if rel in found:
            href = htmllib.unescape(found[rel])
            pages[rel] = joined(base, href) if base else href
    return pages


@functools.cache
def _xpaths() -> dict[str, Any]:
    """The XPath expressions the HTML readers run, compiled once (lxml imported lazily)."""
    from lxml import etree

    rels = " or ".join(f"@rel='{r}' or @data-link-name='{r}'" for r in (*PAGE_RELS, "next"))
    return {
        "heading": etree.XPath(".//h2|.//h3"),
        "times": etree.XPath(".//time[@datetime]"),
        "stamps": etree.XPath(".//*[@data-timestamp]"),
        "authors": etree.XPath(
            ".//*[@rel='author' or contains(@class,'contributor') or @data-link-name='contributor']"
        ),
        "body": etree.XPath(".//*[contains(@class,'block-elements')]"),
        "page_links": etree.XPath(f"//a[{rels}]|//link[{rels}]"),
    }


def _sniff_html(doc: Doc) -> bool:
    return is_guardian_html(doc.root)


HTML = Source(
    "guardian-html",
    "html",
    sniff=_sniff_html,
    read=lambda doc: parse_guardian_html(doc.root, doc.url),
    hosts=Reach.guardian_aliases,
)
