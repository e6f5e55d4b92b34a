"""Site adapters: what a publisher's rendered posts say that its structured data does not.

Each adapter takes the page root and the blog read from JSON-LD or microdata, and returns
it enriched (or None when the page is not one of its kind). Only markup seen on real pages
(../shared/corpus) is encoded here; anything else goes through the generic code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from liveblog_cli.model import Block, LiveBlog, from_epoch_ms, newest_first
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.text import clean_line

_ELLIPSIS = ("…", "...")
_LABEL = re.compile(r"(?i)key ?events?|pinned|breaking( news)?|live|update|latest")


def reach_plc(root: Any, blog: LiveBlog) -> LiveBlog | None:
    """Reach plc titles (CorkBeo, Manchester Evening News, Mirror regionals ...).

    Rendered posts are `div.live-event-entry` whose `id` is the post id in the JSON-LD `url`
    fragment. Only they say which posts are key events (`data-type="key-event"`) and who
    wrote each post (`<mark>`; the JSON-LD gives every post the article's byline).
    """
    entries = root.xpath(
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' live-event-entry ')][@id]"
    )
    if not entries:
        return None
    by_id = {b.id: b for b in blog.blocks}
    for entry in entries:
        block = by_id.get(entry.get("id"))
        if block is None:
            block = _entry_block(entry)
            if block is None:
                continue
            blog.blocks.append(block)
            by_id[block.id] = block
        kind = (entry.get("data-type") or "").lower()
        block.key_event = block.key_event or kind in ("key-event", "keyevent", "key_event")
        block.pinned = block.pinned or kind == "pinned"
        author = clean_line(entry.xpath("string(.//mark)"))
        # On flagged posts the <mark> holds the flag ("KEY EVENT"), not a byline.
        if author and not _LABEL.fullmatch(author):
            block.authors = [author]
        if block.published_at is None:
            block.published_at = from_epoch_ms(_int(entry.get("data-post-time")))
    blog.blocks = newest_first(blog.blocks)
    blog.source_format = "reach-plc"
    return blog


def _entry_block(entry: Any) -> Block | None:
    content = next(iter(entry.xpath(".//*[contains(@class,'entry-content')]")), None)
    if content is None:
        return None
    title = clean_line(content.xpath("string(.//h3|.//h2)")) or None
    for heading in content.xpath(".//h3|.//h2"):
        heading.getparent().remove(heading)
    elements = body_elements(content)
    text = "\n\n".join(e.text for e in elements if e.kind == "text" and e.text)
    return Block(
        id=entry.get("id"),
        title=title,
        published_at=from_epoch_ms(_int(entry.get("data-post-time"))),
        updated_at=from_epoch_ms(_int(entry.get("data-last-modified-time"))),
        elements=elements,
        text=text,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def paired_posts(root: Any, blog: LiveBlog) -> LiveBlog | None:
    """Structured data without post ids, rendered posts with ids: pair them by position.

    la Repubblica (`section.liveblog__post` with ids `<article>_event<n>`) is the page this
    was seen on: its JSON-LD updates have no `url` or `@id`, but come in the same order and
    number as the rendered posts. Pairing only happens when the counts match exactly.
    """
    posts = root.xpath(
        "//section[contains(concat(' ', normalize-space(@class), ' '), ' liveblog__post ')][@id]"
    )
    if not posts or len(posts) != len(blog.blocks):
        return None
    if not all(b.id.startswith("h-") for b in blog.blocks):
        return None  # the structured data had ids of its own: keep them
    for block, post in zip(blog.blocks, posts, strict=True):
        block.id = post.get("id")
        _repair_title(block, post)
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
    for p in post.xpath(".//p"):
        line = clean_line(p.text_content())
        if line and (not stem or _fold(line).startswith(_fold(stem))):
            block.title = line
            return
        if line:
            return


def _fold(text: str) -> str:
    return re.sub(r"\W+", " ", text).casefold().strip()


ADAPTERS: tuple[Callable[[Any, LiveBlog], LiveBlog | None], ...] = (reach_plc, paired_posts)


def enrich(root: Any, blog: LiveBlog) -> LiveBlog:
    """The blog as the first adapter that recognises the page makes it, else unchanged."""
    for adapter in ADAPTERS:
        enriched = adapter(root, blog)
        if enriched is not None:
            return enriched
    return blog
