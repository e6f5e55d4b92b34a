"""schema.org `LiveBlogPosting` from JSON-LD, wherever a page puts it.

JSON-LD is what most publishers give search engines: one `LiveBlogPosting` with each post
as a `liveBlogUpdate` (`BlogPosting`, `NewsArticle`, `Article`, ...). It may sit in `@graph`,
in a list, or in one of several script tags, one of which may not even be valid JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from liveblog_cli.model import (
    Block,
    Element,
    LiveBlog,
    distinct_ids,
    iso_z,
    language_tag,
    merge_blocks,
    newest_first,
    parse_iso,
    stable_id,
)
from liveblog_cli.parse.page import LIVEBLOG_SCOPES, Doc, ld_scripts, on_page, xpath
from liveblog_cli.parse.source import Source
from liveblog_cli.parse.text import clean_line, clean_text, html_to_text, unescape
from liveblog_cli.parse.typed import url_path


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 20:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _walk(value["@graph"], depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _plain(value: Any) -> str | None:
    """A JSON-LD string as text: publishers often leave HTML entities or tags in it."""
    if not isinstance(value, str):
        return None
    text = unescape(value)
    return html_to_text(text) if "<" in text else clean_text(text)


def _names(value: Any) -> list[str]:
    """Authors given as a string, an object, or a list of either."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = _plain(item.get("name") if isinstance(item, dict) else item)
        if name and clean_line(name):
            names.append(clean_line(name))
    return names


def _images(value: Any) -> list[Element]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str) and item:
            out.append(Element("image", url=item))
        elif isinstance(item, dict) and isinstance(item.get("url") or item.get("contentUrl"), str):
            out.append(
                Element(
                    "image",
                    url=item.get("url") or item.get("contentUrl"),
                    caption=clean_line(item.get("caption"))
                    if isinstance(item.get("caption"), str)
                    else None,
                    credit=clean_line(item.get("creditText"))
                    if isinstance(item.get("creditText"), str)
                    else None,
                )
            )
    return out


def anchor_id(value: Any) -> str | None:
    """A post id from `url`/`@id`: the fragment of a URL, or a bare id as is."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if "#" in value:
        fragment = value.rsplit("#", 1)[1].strip()
        return fragment or None
    if "://" not in value and "/" not in value:
        return value
    return None


def update_block(obj: dict[str, Any], index: int, urls: set[str] | None = None) -> Block:
    """One `liveBlogUpdate` as a Block.

    Its id: the fragment of its `@id`/`url`, or a bare id; else its own URL when that URL is
    one no other update shares; else a hash of its publication time (which survives edits
    to the text, unlike a hash of the text), with the headline only to tell apart posts
    published the same second.
    """
    title = clean_line(_plain(obj.get("headline")))
    text = _plain(obj.get("articleBody")) or ""
    published = parse_iso(obj.get("datePublished"))
    ident = anchor_id(obj.get("@id")) or anchor_id(obj.get("url"))
    if not ident:
        own = next(
            (
                u
                for u in (obj.get("@id"), obj.get("url"))
                if isinstance(u, str) and "://" in u and u in (urls or set())
            ),
            None,
        )
        ident = stable_id("jsonld-url", own) if own else None
    if not ident:
        ident = stable_id(
            "jsonld-update", iso_z(published) if published else title or text[:200] or index
        )
    elements = [Element("text", text=text)] if text else []
    elements += _images(obj.get("image"))
    return Block(
        id=ident,
        title=title or None,
        published_at=published,
        created_at=parse_iso(obj.get("dateCreated")),
        updated_at=parse_iso(obj.get("dateModified")),
        authors=_names(obj.get("author")),
        elements=elements,
        text=text,
    )


def liveblog_objects(root: Any) -> list[dict[str, Any]]:
    return [o for value in ld_scripts(root) for o in _walk(value) if "LiveBlogPosting" in _types(o)]


def _is_live(obj: dict[str, Any]) -> bool | None:
    end = parse_iso(obj.get("coverageEndTime"))
    if end is not None:
        return end > datetime.now(UTC)
    return True if parse_iso(obj.get("coverageStartTime")) else None


def blog_from_object(obj: dict[str, Any], url: str | None) -> LiveBlog:
    updates = obj.get("liveBlogUpdate")
    updates = updates if isinstance(updates, list) else [updates] if updates else []
    updates = [u for u in updates if isinstance(u, dict)]
    # URLs that belong to exactly one update can identify it; shared ones (the blog's) cannot.
    # Counted once (a count per URL made long blogs quadratic).
    seen = Counter(u.get(k) for u in updates for k in ("@id", "url") if isinstance(u.get(k), str))
    unique = {u for u, n in seen.items() if n == 1}
    blocks = distinct_ids([update_block(u, i, unique) for i, u in enumerate(updates)])
    main = obj.get("mainEntityOfPage")
    if isinstance(main, dict):
        main = main.get("@id")
    blog_url = next(
        (
            u
            for u in (obj.get("url"), main, obj.get("@id"), url)
            if isinstance(u, str) and "://" in u
        ),
        url,
    )
    publisher = obj.get("publisher")
    publisher_names = _names(publisher) if publisher else []
    path = url_path(blog_url)
    title = clean_line(_plain(obj.get("headline"))) or None
    _not_the_blogs(blocks, title, _names(obj.get("author")), obj)
    return LiveBlog(
        id=path or stable_id(obj.get("headline") or "", obj.get("datePublished") or ""),
        url=blog_url,
        title=title,
        standfirst=clean_line(_plain(obj.get("description"))) or None,
        publisher=publisher_names[0] if publisher_names else None,
        is_live=_is_live(obj),
        published_at=parse_iso(obj.get("datePublished")) or parse_iso(obj.get("coverageStartTime")),
        updated_at=parse_iso(obj.get("dateModified")),
        authors=_names(obj.get("author")),
        source_format="jsonld",
        blocks=newest_first(merge_blocks(blocks)),
        language=language_tag(obj.get("inLanguage")),
    )


def _not_the_blogs(
    blocks: list[Block], title: str | None, authors: list[str], obj: dict[str, Any]
) -> None:
    """What every update repeats of the blog's own headline, byline or times is the blog's,
    not the post's (the Guardian's JSON-LD gives each update the blog's): dropped, so a post
    is not titled with the blog's headline nor dated with its publication."""
    if len(blocks) < 2:
        return
    if title and all(b.title == title for b in blocks):
        for b in blocks:
            b.title = None
    if authors and all(b.authors == authors for b in blocks):
        for b in blocks:
            b.authors = []
    published, modified = parse_iso(obj.get("datePublished")), parse_iso(obj.get("dateModified"))
    if published and all(b.published_at == published for b in blocks):
        for b in blocks:
            b.published_at = None
    if modified and all(b.updated_at == modified for b in blocks):
        for b in blocks:
            b.updated_at = None


def find_liveblog(root: Any, url: str | None = None) -> LiveBlog | None:
    """The page's LiveBlogPosting (the one with most updates), or None."""
    candidates = [blog_from_object(o, url) for o in liveblog_objects(root)]
    if not candidates:
        return None
    return max(candidates, key=lambda b: len(b.blocks))


# --- microdata ------------------------------------------------------------------------------


def _scope_of(node: Any) -> Any:
    """The nearest enclosing itemscope element of a property element."""
    parent = node.getparent()
    while parent is not None and parent.get("itemscope") is None:
        parent = parent.getparent()
    return parent


def _prop_value(node: Any) -> Any:
    if node.tag == "meta" or node.get("content") is not None:
        return node.get("content")
    if node.tag in ("a", "link"):
        return node.get("href")
    if node.tag in ("img", "source", "iframe"):
        return node.get("src")
    if node.tag == "time":
        return node.get("datetime") or node.text_content()
    return node.text_content()


def microdata_item(scope: Any) -> dict[str, Any]:
    """An itemscope element as a JSON-LD-like dict (`@type`, then its properties).

    One pass: every property element under the scope is filed under its nearest enclosing
    itemscope, then the items are assembled from the top down.
    """
    owned: dict[Any, list[Any]] = {}
    # `.//*[@itemprop]`, found by way of the attributes (see LIVEBLOG_SCOPES).
    for node in xpath("descendant::*/@itemprop/parent::*")(scope):
        owned.setdefault(_scope_of(node), []).append(node)

    def build(item_scope: Any, depth: int) -> dict[str, Any]:
        item: dict[str, Any] = {"@type": (item_scope.get("itemtype") or "").rsplit("/", 1)[-1]}
        if depth > 10:
            return item
        for node in owned.get(item_scope, ()):
            value = (
                build(node, depth + 1) if node.get("itemscope") is not None else _prop_value(node)
            )
            for name in node.get("itemprop").split():
                if name in item:
                    existing = item[name]
                    item[name] = (existing if isinstance(existing, list) else [existing]) + [value]
                else:
                    item[name] = value
        return item

    return build(scope, 0)


def find_microdata_liveblog(root: Any, url: str | None = None) -> LiveBlog | None:
    """A LiveBlogPosting in microdata (`itemprop="liveBlogUpdate"` items), or None."""
    scopes = on_page(root, LIVEBLOG_SCOPES)
    best = None
    for scope in scopes:
        blog = blog_from_object(microdata_item(scope), url)
        if best is None or len(blog.blocks) > len(best.blocks):
            best = blog
    if best is not None:
        best.source_format = "microdata"
    return best


def _structured(doc: Doc) -> LiveBlog | None:
    """The page's richest LiveBlogPosting, from JSON-LD or microdata (found once)."""

    def find() -> LiveBlog | None:
        found = [
            b
            for b in (find_liveblog(doc.root, doc.url), find_microdata_liveblog(doc.root, doc.url))
            if b is not None
        ]
        return max(found, key=lambda b: len(b.blocks)) if found else None

    return doc.once("structured", find)


def structured(doc: Doc) -> LiveBlog | None:
    """The page's richest LiveBlogPosting (JSON-LD or microdata), posts or none, or None."""
    return _structured(doc)


def page_objects(doc: Doc) -> list[dict[str, Any]]:
    """Every schema.org object the page states, its LiveBlogPostings first (the dates a
    reader of the page's clock times goes by)."""

    def find() -> list[dict[str, Any]]:
        found = [o for value in ld_scripts(doc.root) for o in _walk(value)]
        scopes = on_page(doc.root, LIVEBLOG_SCOPES)
        found += [microdata_item(scope) for scope in scopes]
        return sorted(found, key=lambda o: "LiveBlogPosting" not in _types(o))

    return doc.once("objects", find)


def _read(doc: Doc) -> LiveBlog:
    blog = _structured(doc)
    assert blog is not None
    return blog


# Its posts are then completed from the rendered page by the registry's enrichers.
STRUCTURED = Source(
    "jsonld",
    "html",
    sniff=lambda doc: bool((blog := _structured(doc)) and blog.blocks),
    read=_read,
    enriched=True,
)
# A LiveBlogPosting with no posts yet: read (and so reported as "no posts") only when no
# other reader finds posts in the page.
ANNOUNCED = Source(
    "jsonld",
    "html",
    sniff=lambda doc: _structured(doc) is not None,
    read=_read,
)
