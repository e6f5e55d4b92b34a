"""The generic fallback: a live blog recognised by its shape, for pages with no structured data.

A live blog renders as a run of sibling elements of one kind (same tag, same classes), each
a post with its own `<time datetime>`, each carrying prose rather than links. Index pages
(teasers: mostly link text) and ordinary articles (one time, no run) do not look like
that; neither, without a "live" hint in the URL, title or markup, does anything else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from statistics import median
from typing import Any

from liveblog_cli.model import Block, LiveBlog, distinct_ids, newest_first, parse_iso, stable_id
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.source import Doc, Source
from liveblog_cli.parse.text import clean_line

MIN_POSTS = 3
MIN_MEDIAN_CHARS = 60
MAX_LINK_DENSITY = 0.5
_LIVE_HINT = re.compile(
    r"\blive\b|liveblog|live-blog|live_blog|/live/|\bdiretta\b|\ben direct\b"
    r"|\bticker\b|\bliveticker\b|\ben vivo\b|\bao vivo\b",
    re.I,
)


def _signature(node: Any) -> tuple[str, str]:
    return node.tag, " ".join(sorted((node.get("class") or "").split()))


def _link_density(node: Any, text_length: int) -> float:
    linked = sum(len(a.text_content()) for a in node.iter("a"))
    return linked / text_length if text_length else 1.0


def _candidates(root: Any) -> list[list[Any]]:
    """Groups of same-signature siblings, each member holding a <time datetime>."""
    groups: dict[tuple[Any, tuple[str, str]], list[Any]] = defaultdict(list)
    for time in root.iter("time"):
        if not time.get("datetime"):
            continue
        # Walk up from the time: each ancestor is a candidate post container.
        node = time.getparent()
        while node is not None and node.tag not in ("body", "html"):
            parent = node.getparent()
            if parent is None:
                break
            groups[(parent, _signature(node))].append(node)
            node = parent
    runs = []
    for members in groups.values():
        unique = list(dict.fromkeys(members))
        if len(unique) >= MIN_POSTS:
            runs.append(unique)
    return runs


def _score(run: list[Any]) -> float:
    lengths = [len(clean_line(n.text_content())) for n in run]
    if median(lengths) < MIN_MEDIAN_CHARS:
        return 0.0
    density = sum(_link_density(n, length) for n, length in zip(run, lengths, strict=True))
    if density / len(run) > MAX_LINK_DENSITY:
        return 0.0
    return len(run) * median(lengths)


def _post(node: Any, index: int) -> Block | None:
    times = [parse_iso(t.get("datetime")) for t in node.iter("time") if t.get("datetime")]
    times = [t for t in times if t]
    heading = next(iter(node.xpath(".//h2|.//h3|.//h4")), None)
    title = clean_line(heading.text_content()) if heading is not None else None
    elements = body_elements(node)
    for element in elements:
        if element.kind == "text" and element.text:
            element.text = _strip_times(element.text, node)
    if title:
        # The heading is the title, not the body's first paragraph.
        for element in elements:
            if element.kind == "text" and element.text and element.text.startswith(title):
                element.text = element.text[len(title) :].strip()
                break
    elements = [e for e in elements if e.kind != "text" or e.text]
    text = "\n\n".join(e.text for e in elements if e.kind == "text" and e.text)
    if not text and not title:
        return None
    ident = node.get("id") or node.get("data-id") or node.get("data-post-id")
    if not ident:
        # Known by its time, which survives edits to its text (see distinct_ids for ties).
        ident = stable_id(
            "generic-post", min(times).isoformat() if times else title or text[:120] or index
        )
    return Block(
        id=ident,
        title=title or None,
        published_at=min(times) if times else None,
        updated_at=max(times) if len(times) > 1 else None,
        elements=elements,
        text=text,
    )


def _strip_times(text: str, node: Any) -> str:
    """Remove the visible clock texts of the post's own <time> elements from its body."""
    for time in node.iter("time"):
        label = clean_line(time.text_content())
        if label and text.startswith(label):
            text = text[len(label) :].lstrip()
    return text


def _live_hint(root: Any, url: str | None, run: list[Any]) -> bool:
    haystack = " ".join(
        [
            url or "",
            root.xpath("string(//title)"),
            root.xpath("string(//link[@rel='canonical']/@href)"),
            root.xpath("string(//meta[@property='og:type']/@content)"),
            " ".join(n.get("class") or "" for n in run[:3]),
            " ".join((n.getparent().get("class") or "") for n in run[:1]),
        ]
    )
    return bool(_LIVE_HINT.search(haystack))


def find_generic(root: Any, url: str | None = None) -> LiveBlog | None:
    """A blog of the page's best run of timed posts, or None when nothing looks like one."""
    runs = [(run, _score(run)) for run in _candidates(root)]
    runs = [(run, score) for run, score in runs if score > 0]
    if not runs:
        return None
    run = max(runs, key=lambda r: r[1])[0]
    if not _live_hint(root, url, run):
        return None
    blocks = [b for b in (_post(n, i) for i, n in enumerate(run)) if b is not None]
    if len(blocks) < MIN_POSTS:
        return None
    canonical = root.xpath("string(//link[@rel='canonical']/@href)").strip() or url
    title = (
        clean_line(root.xpath("string(//meta[@property='og:title']/@content)"))
        or clean_line(root.xpath("string(//h1)"))
        or clean_line(root.xpath("string(//title)"))
    )
    from urllib.parse import urlsplit

    path = urlsplit(canonical).path.strip("/") if canonical else ""
    by_id: dict[str, Block] = {}
    for block in distinct_ids(blocks):
        by_id.setdefault(block.id, block)
    return LiveBlog(
        id=path or stable_id("generic-blog", title, blocks[0].id),
        url=canonical,
        title=title or None,
        standfirst=clean_line(root.xpath("string(//meta[@name='description']/@content)")) or None,
        publisher=clean_line(root.xpath("string(//meta[@property='og:site_name']/@content)"))
        or None,
        source_format="html-generic",
        blocks=newest_first(list(by_id.values())),
    )


def _generic(doc: Doc) -> LiveBlog | None:
    return doc.once("generic", lambda: find_generic(doc.root, doc.url))


def _read(doc: Doc) -> LiveBlog:
    blog = _generic(doc)
    assert blog is not None
    return blog


GENERIC = Source("html-generic", "html", sniff=lambda doc: _generic(doc) is not None, read=_read)
