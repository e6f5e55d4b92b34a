"""What a page's rendered posts say that its structured data does not.

A blog read from a page's JSON-LD or microdata (jsonld.py) is completed here from the page
as it is rendered. Publishers whose rendered posts say more declare an enricher (`enrich`
in their `Source`, listed in the registry): it takes the page root and the blog, and returns
it enriched (or None when the page is not one of its kind). Reach plc's titles and the
posts paired by position (la Repubblica) are the two there are. Only markup seen on real
pages (../shared/corpus) is encoded here; anything else goes through the generic code.

After the enrichers, what holds for every page read from structured data (`finish`): a post's
rendered body replaces its structured one when it shows more (a list, an image, an embed);
an image every post repeats, or the site's own default picture, is no post's image; a
title the structured data cut short is completed from the page's own title tags; and a blog
whose structured data names no publisher is named by `og:site_name`.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from itertools import repeat
from typing import Any
from urllib.parse import urlsplit

from liveblog_cli.model import Block, Element, LiveBlog, from_epoch_ms, newest_first
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import ld_scripts, on_page, tagged
from liveblog_cli.parse.source import Enrich, Source
from liveblog_cli.parse.text import clean_line
from liveblog_cli.parse.typed import as_int
from liveblog_cli.untrusted import lxml_legal

# Queries are written `/descendant::x[...]` and `descendant::x`, not `//x[...]` and `.//x`
# (`x[@attr]` as `x/@attr/parent::*`): the same elements where no predicate asks for a
# position, found by libxml2 without first gathering every node as the context of a child
# step, or evaluating a predicate per element (tests/test_parse_identical.py).
_ELLIPSIS = ("…", "...")
_LABEL = re.compile(r"(?i)key ?events?|pinned|breaking( news)?|live|update|latest")


def reach_plc(root: Any, blog: LiveBlog) -> LiveBlog | None:
    """Reach plc titles (CorkBeo, Manchester Evening News, Mirror regionals ...).

    Rendered posts are `div.live-event-entry` whose `id` is the post id in the JSON-LD `url`
    fragment. Only they say which posts are key events (`data-type="key-event"`) and who
    wrote each post (`<mark>`; the JSON-LD gives every post the article's byline), and only
    they show a post's lists, pictures and embeds (the JSON-LD body is its plain text).
    """
    entries = on_page(
        root,
        # The cheap tests first: a class naming the word holds it as a substring.
        "/descendant::div/@id/parent::*[contains(@class, 'live-event-entry')]"
        "[contains(concat(' ', normalize-space(@class), ' '), ' live-event-entry ')]",
    )
    if not entries:
        return None
    by_id = {b.id: b for b in blog.blocks}
    for entry in entries:
        rendered = _entry_block(entry)
        block = by_id.get(entry.get("id"))
        if block is None:
            if rendered is None:
                continue
            block = rendered
            blog.blocks.append(block)
            by_id[block.id] = block
        elif rendered is not None:
            adopt_rendered(block, rendered.elements)
        kind = (entry.get("data-type") or "").lower()
        block.key_event = block.key_event or kind in ("key-event", "keyevent", "key_event")
        block.pinned = block.pinned or kind == "pinned"
        mark = next(entry.iterdescendants("mark"), None)  # `string(.//mark)`
        author = clean_line(mark.text_content() if mark is not None else "")
        # On flagged posts the <mark> holds the flag ("KEY EVENT"), not a byline.
        if author and not _LABEL.fullmatch(author):
            block.authors = [author]
        if block.published_at is None:
            block.published_at = from_epoch_ms(as_int(entry.get("data-post-time")))
    blog.blocks = newest_first(blog.blocks)
    blog.source_format = "reach-plc"
    return blog


def _entry_block(entry: Any) -> Block | None:
    content = _first_classed(entry, "entry-content")
    if content is None:
        return None
    # The page itself stays as it was read. (`copy.deepcopy` of an lxml element is its
    # `__copy__`, a copy of the whole subtree: called directly, without the copy module.)
    content = content.__copy__()
    headings = list(content.iterdescendants("h3", "h2"))
    # `string(.//h3|.//h2)`: the text of the first of them.
    title = clean_line(headings[0].text_content() if headings else "") or None
    for heading in headings:
        _remove(heading)
    elements = body_elements(content)
    text = "\n\n".join(e.text for e in elements if e.kind == "text" and e.text)
    return Block(
        id=entry.get("id"),
        title=title,
        published_at=from_epoch_ms(as_int(entry.get("data-post-time"))),
        updated_at=from_epoch_ms(as_int(entry.get("data-last-modified-time"))),
        elements=elements,
        text=text,
    )


def paired_posts(root: Any, blog: LiveBlog) -> LiveBlog | None:
    """Structured data without post ids, rendered posts with ids: pair them by position.

    la Repubblica (`section.liveblog__post` with ids `<article>_event<n>`) is the page this
    was seen on: its JSON-LD updates have no `url` or `@id`, but come in the same order and
    number as the rendered posts. Pairing only happens when the counts match exactly. The
    rendered post opens with its headline as a paragraph; the rest is its body, which
    shows the pictures the JSON-LD leaves out.
    """
    posts = on_page(
        root,
        "/descendant::section[@id][contains(@class, 'liveblog__post')]"
        "[contains(concat(' ', normalize-space(@class), ' '), ' liveblog__post ')]",
    )
    if not posts or len(posts) != len(blog.blocks):
        return None
    if not all(b.id.startswith("h-") for b in blog.blocks):
        return None  # the structured data had ids of its own: keep them
    for block, post in zip(blog.blocks, posts, strict=True):
        block.id = post.get("id")
        _repair_title(block, post)
        body = _post_body(post, block.title)
        if body is not None:
            adopt_rendered(block, body_elements(body))
    blog.source_format = "jsonld+html"
    return blog


def _repair_title(block: Block, post: Any) -> None:
    """A headline cut short with an ellipsis, completed from the rendered post's opening."""
    title = block.title or ""
    if title and not title.endswith(_ELLIPSIS):
        return
    stem = title.rstrip("".join(_ELLIPSIS)).strip()
    # The cut can fall inside an HTML entity ("dissanguata&rdq…"): drop the fragment.
    stem = re.sub(r"&#?\w*$", "", stem).strip()
    folded = _fold(stem)
    for p in post.iterdescendants("p"):
        line = clean_line(p.text_content())
        # `_fold(line).startswith(folded)`, folding no more of the line than that needs.
        if line and (not stem or _folded_head(line, len(folded)) == folded):
            block.title = line
            return
        if line:
            return


def _post_body(post: Any, title: str | None) -> Any | None:
    """A rendered post without its time, empty heading and headline paragraph."""
    content = _first_classed(post, "content")
    body = (content if content is not None else post).__copy__()  # copy.deepcopy's copy
    for node in list(body.iterdescendants("time", "h1", "h2", "h3")):
        _remove(node)
    first = next(body.iterdescendants("p"), None)
    if first is not None and title:
        # `_fold(first's text) == _fold(title)`, folding one character past the title's.
        folded = _fold(title)
        if _folded_head(first.text_content(), len(folded) + 1) == folded:
            _remove(first)
    return body


def _first_classed(node: Any, word: str) -> Any | None:
    """`.//*[contains(@class, word)][1]`, by a walk of the post in C rather than a query
    (whose set-up costs ten times the walk of a post's few elements)."""
    from lxml.etree import Element

    return next((e for e in node.iterdescendants(Element) if word in (e.get("class") or "")), None)


def _remove(node: Any) -> None:
    """An element taken out of its tree, the text that follows it kept (lxml's remove()
    would take that text too: a social post's bare link after its heading, say)."""
    parent = node.getparent()
    # The parser keeps control characters that lxml will not let us write back: drop them.
    tail = lxml_legal(node.tail or "")
    if tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = lxml_legal(previous.tail or "") + tail
        else:
            parent.text = lxml_legal(parent.text or "") + tail
    parent.remove(node)


def _fold(text: str) -> str:
    return _NOT_WORD.sub(" ", text).casefold().strip()


_NOT_WORD = re.compile(r"\W+")
# How much of a text is folded first when only its opening is wanted (folding shortens).
_HEAD_SPAN = 4


def _folded_head(text: str, n: int) -> str:
    """`_fold(text)[:n]`, folding only the text's opening when that is enough.

    Folding a text's prefix gives a prefix of its folding (a run of non-word characters cut
    short is still one space; case folding goes character by character), so once the
    folded prefix is n characters long past its trailing space, those n are the answer."""
    if len(text) > n * _HEAD_SPAN:
        head = _fold(text[: n * _HEAD_SPAN])
        if len(head) >= n:
            return head[:n]
    return _fold(text)[:n]


def _says(text: str, folded: str) -> bool:
    """`folded in _fold(text)`, looked for in the folded opening of the text first."""
    if len(text) > 2000:
        head = _fold(text[:2000])
        if folded in head:
            return True  # the folded opening is a prefix of the folded whole
    return folded in _fold(text)


def _shows(text: str, given: str) -> bool:
    """`_says(text, _folded_head(given, 120))`: whether a rendered body says what the
    structured one opens with, folded; without folding either when it says it word for word.

    Folding (a regex over every character) was most of the cost of pairing posts, and most
    rendered bodies hold the structured text as it is. A substring folds to a substring of
    the folding (each run of non-word characters, whole or cut at an end, is one space
    or stripped; case folding goes character by character and makes no spaces), and the
    folded head of `given` is a prefix of its folding."""
    return given in text or _says(text, _folded_head(given, 120))


# Listed in the registry (parse/__init__.py), whose order is theirs: the first that
# recognises a page enriches it, so a page with both kinds of markup is Reach plc's.
REACH_PLC = Source("reach-plc", "html", enrich=reach_plc)
PAIRED_POSTS = Source("jsonld+html", "html", enrich=paired_posts)


def enrich(root: Any, blog: LiveBlog, enrichers: Iterable[Enrich]) -> LiveBlog:
    """The blog as the first of the registry's enrichers (in its order) that recognises the
    page makes it, else unchanged; then what holds for every page (`finish`)."""
    for enricher in enrichers:
        enriched = enricher(root, blog)
        if enriched is not None:
            blog = enriched
            break
    return finish(root, blog)


def finish(root: Any, blog: LiveBlog) -> LiveBlog:
    drop_site_images(root, blog)
    complete_title(root, blog)
    if not blog.publisher:
        blog.publisher = _meta(root, "og:site_name") or None
    return blog


# --- rendered bodies --------------------------------------------------------------------------

_BODY_KINDS = frozenset({"text", "blockquote", "pullquote", "tweet"})


def _body_text(elements: list[Element]) -> str:
    return "\n\n".join(e.text for e in elements if e.text and e.kind in _BODY_KINDS)


def adopt_rendered(block: Block, rendered: list[Element]) -> bool:
    """Take the rendered body of a post when it says what its structured body says, and more:
    a list, a picture, an embed, a quote, or more words. Structured pictures the rendered
    body does not show are kept after it. Returns whether the rendered body was taken."""
    rendered = _distinct_images([e for e in rendered if e.kind != "image" or _usable(e.url)])
    text = _body_text(rendered)
    if not text and not rendered:
        return False
    if block.text and not _shows(text, block.text):
        return False  # a different or shortened body: the structured one is the post
    kinds = {e.kind for e in rendered} - {e.kind for e in block.elements}
    shown = {asset_key(e.url) for e in rendered if e.kind == "image" and e.url}
    given = {asset_key(e.url) for e in block.elements if e.kind == "image" and e.url}
    richer = (
        bool(kinds)
        or bool(shown - given)
        or text.count("• ") > block.text.count("• ")
        or len(text) > len(block.text) * 1.2 + 20
    )
    if not richer:
        return False
    kept = [
        e for e in block.elements if e.kind == "image" and e.url and asset_key(e.url) not in shown
    ]
    block.elements = rendered + kept
    block.text = text
    parts = [e.html for e in rendered if e.html]
    block.html = "\n".join(parts) if parts else block.html
    return True


def _usable(url: str | None) -> bool:
    """An address a reader can fetch: not an editor's `blob:` or an inline placeholder."""
    return bool(url) and not (url or "").lower().startswith(
        ("blob:", "data:", "about:", "javascript:")
    )


def _distinct_images(elements: list[Element]) -> list[Element]:
    """The same picture shown twice in one post (a lazy-loading copy) is one picture."""
    seen: set[str] = set()
    out = []
    for element in elements:
        if element.kind == "image" and element.url:
            key = asset_key(element.url)
            if key in seen:
                continue
            seen.add(key)
        out.append(element)
    return out


# --- images that are the site's, not the post's -------------------------------------------------

# Path segments naming a rendition's size ("s615", "w_800", "1200x675"), not the picture.
_SIZE_SEGMENT = re.compile(r"(?i)(?:[swhc]_?\d{2,4}[a-z]?|\d{2,4}x\d{2,4}|\d{2,4}(?:w|px))")
_SIZE_SUFFIX = re.compile(r"[-_]\d{2,4}x\d{2,4}(?=\.\w+$)")
_DEFAULT_NAME = re.compile(r"(?i)default|placeholder|fallback|no[-_]?image|logo")


@functools.lru_cache(maxsize=4096)
def asset_key(url: str) -> str:
    """What names a picture across its renditions: host and path, without the query and
    without path segments that only give a size. (Remembered: a page repeats its pictures'
    addresses in every post, and every page of a site its logo's.)"""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s and not _SIZE_SEGMENT.fullmatch(s)]
    if segments:  # "photo-1024x683.jpg" is a rendition of "photo.jpg"
        segments[-1] = _SIZE_SUFFIX.sub("", segments[-1])
    return f"{host}/{'/'.join(segments)}"


def _site_images(root: Any) -> set[str]:
    """The page's own pictures: its sharing image and its logos."""
    urls = on_page(
        root,
        "//meta[@property='og:image' or @property='og:image:url' or @property='og:image:secure_url'"
        " or @name='twitter:image' or @property='twitter:image']/@content"
        "|//link[@rel='image_src']/@href"
        "|//*[@itemprop='logo']/@content|//*[@itemprop='logo']//*[@itemprop='url']/@content",
    )
    for value in ld_scripts(root):
        urls += _logos(value, 0)
    return {asset_key(u) for u in urls if isinstance(u, str) and u.strip()}


def _logos(value: Any, depth: int) -> list[str]:
    """Logo URLs anywhere in a JSON-LD value (to a depth of 12), in no particular order.

    Walked with a stack of its own: nested generators pass every value found up through
    each level, and JSON-LD repeats its publisher (and logo) in every update."""
    found: list[str] = []
    stack = [(value, depth)]
    while stack:
        value, depth = stack.pop()
        if depth > 12:
            continue
        if isinstance(value, list):
            stack.extend(zip(value, repeat(depth + 1)))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "logo":
                    logo = item.get("url") if isinstance(item, dict) else item
                    if isinstance(logo, str):
                        found.append(logo)
                elif isinstance(item, dict | list):
                    stack.append((item, depth + 1))
    return found


def drop_site_images(root: Any, blog: LiveBlog) -> None:
    """Pictures that are the site's rather than a post's, taken off every post.

    - one that (nearly) every post repeats: structured data often gives each post the
      blog's picture, or a default one;
    - the page's sharing image or a logo, or a picture named as a default or placeholder,
      when more than one post carries it.
    """
    posts = [b for b in blog.blocks if any(e.kind == "image" for e in b.elements)]
    if not posts or len(blog.blocks) < 2:
        return
    counts: Counter[str] = Counter()
    for block in blog.blocks:
        counts.update({asset_key(e.url) for e in block.elements if e.kind == "image" and e.url})
    everywhere = max(3, math.ceil(0.8 * len(blog.blocks)))
    # The page's own pictures are looked for only if a picture some posts share depends on
    # them (a walk of all its JSON-LD, which repeats the publisher in every update).
    doubtful = [
        key
        for key, n in counts.items()
        if 2 <= n < everywhere and not _DEFAULT_NAME.search(key.rsplit("/", 1)[-1])
    ]
    site = _site_images(root) if doubtful else set()
    dropped = {
        key
        for key, n in counts.items()
        if n >= everywhere
        or (n >= 2 and (key in site or _DEFAULT_NAME.search(key.rsplit("/", 1)[-1])))
    }
    if not dropped:
        return
    for block in posts:
        block.elements = [
            e
            for e in block.elements
            if not (e.kind == "image" and e.url and asset_key(e.url) in dropped)
        ]


# --- blog title and publisher ---------------------------------------------------------------------


def _meta(root: Any, name: str) -> str:
    """`string(//meta[@property=name or @name=name]/@content)`, from the page's metas
    gathered once: the content of the first such meta that has one."""
    value = next(
        (
            content
            for meta in tagged(root, "meta")
            if (meta.get("property") == name or meta.get("name") == name)
            and (content := meta.get("content")) is not None
        ),
        "",
    )
    return clean_line(value)


def complete_title(root: Any, blog: LiveBlog) -> None:
    """A blog title cut short (ending in an ellipsis) completed from the page's own title
    tags, when one of them says the same words and more."""
    title = blog.title or ""
    if not title.endswith(_ELLIPSIS):
        return
    stem = _fold(re.sub(r"&#?\w*$", "", title.rstrip("".join(_ELLIPSIS))))
    candidates = [
        _meta(root, "og:title"),
        _meta(root, "twitter:title"),
        clean_line(on_page(root, "string(//h1)")),
        clean_line(on_page(root, "string(//title)")),
    ]
    for candidate in candidates:
        folded = _fold(candidate)
        if stem and folded.startswith(stem) and len(folded) > len(stem):
            blog.title = _without_site_name(candidate, _meta(root, "og:site_name"))
            return


def _without_site_name(title: str, site: str) -> str:
    """ "Story – Site" as "Story" (title tags often end with the site's name)."""
    if site and title.endswith(site):
        head = title[: -len(site)]
        m = re.search(r"\s[|–—·:-]\s*$", head)
        if m:
            return head[: m.start()].strip()
    return title
