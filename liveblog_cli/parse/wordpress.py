"""The WordPress Liveblog plugin (Automattic's), where the page renders its entries.

Its older releases, and themes that render entries on the server, write each entry into the
page as `<div id="liveblog-entry-<id>" class="liveblog-entry ..." data-timestamp="<epoch
seconds>">` holding a header (`.liveblog-author-name`, `.liveblog-meta-time` showing the date
and time in the site's zone) and the body (`.liveblog-entry-text`); an entry made a key event
carries the class `type-key`. The timestamp is the instant (the shown time is in a zone the
page does not state), and the header is not the body: read here rather than by the generic
reader. Its newer releases render nothing on the server (an empty
`#wpcom-liveblog-container` their script fills): parse/embeds.py names those.
"""

from __future__ import annotations

from typing import Any

from liveblog_cli.model import Block, LiveBlog, from_epoch_ms
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import Doc, on_page, xpath
from liveblog_cli.parse.source import Source
from liveblog_cli.parse.text import clean_line
from liveblog_cli.parse.typed import as_int

_ENTRIES = (
    "//div[starts-with(@id, 'liveblog-entry-')]"
    "[contains(concat(' ', normalize-space(@class), ' '), ' liveblog-entry ')]"
)
_PREFIX = "liveblog-entry-"


def _entry(node: Any) -> Block | None:
    ident = (node.get("id") or "").removeprefix(_PREFIX)
    body = next(iter(xpath(".//*[contains(@class, 'liveblog-entry-text')]")(node)), None)
    if not ident or body is None:
        return None
    elements = body_elements(body)
    text = "\n\n".join(e.text for e in elements if e.kind == "text" and e.text)
    if not text and not elements:
        return None
    seconds = as_int((node.get("data-timestamp") or "").strip())
    authors = [
        name
        for a in xpath(".//*[contains(@class, 'liveblog-author-name')]")(node)
        if (name := clean_line(a.text_content()))
    ]
    return Block(
        id=ident,
        published_at=from_epoch_ms(seconds * 1000) if seconds else None,
        key_event="type-key" in (node.get("class") or "").split(),
        authors=authors,
        elements=elements,
        text=text,
    )


def _entries(doc: Doc) -> list[Block]:
    def find() -> list[Block]:
        return [b for b in map(_entry, on_page(doc.root, _ENTRIES)) if b is not None]

    blocks: list[Block] = doc.once("wordpress-liveblog", find)
    return blocks


def _read(doc: Doc) -> LiveBlog:
    from liveblog_cli.parse import jsonld
    from liveblog_cli.parse.generic import page_blog

    blog = page_blog(doc.root, doc.url, jsonld.structured(doc), _entries(doc))
    blog.source_format = "wp-liveblog"
    return blog


ENTRIES = Source(
    "wp-liveblog",
    "html",
    sniff=lambda doc: bool(on_page(doc.root, _ENTRIES)) and bool(_entries(doc)),
    read=_read,
)
