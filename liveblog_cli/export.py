"""Export writers, one function per format. Each streams blocks (dicts) to a text stream.

Blocks come from `Archive.blocks()` (the export shape: the block JSON plus `blog_id`,
`revision`, `first_seen_at`, `last_seen_at`, `deleted_at`). Scraped content is hostile: HTML
is sanitized, CSV cells cannot start formulas, XML gets only characters XML allows.
"""

from __future__ import annotations

import csv
import html as htmllib
import re
from collections.abc import Callable, Iterable
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from liveblog_cli import __version__
from liveblog_cli.model import is_rtl
from liveblog_cli.output import dumps, write_jsonl
from liveblog_cli.untrusted import csv_cell, is_xml_legal, json_inert_lines, stripped, xml_legal
from liveblog_cli.words import gap_note

CSV_COLUMNS = (
    "blog_id",
    "id",
    "published_at",
    "updated_at",
    "created_at",
    "title",
    "key_event",
    "pinned",
    "summary",
    "authors",
    "text",
    "urls",
    "revision",
    "edits",
    "first_seen_at",
    "last_seen_at",
    "deleted_at",
)
_SAFE_SCHEMES = {"http", "https", "mailto"}
_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "blockquote": {"cite"},
}


def sanitize_html(markup: str | None) -> str:
    """Scraped HTML made inert: no scripts, handlers, styles, frames or unsafe URLs."""
    if not markup:
        return ""
    import nh3

    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_SAFE_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def safe_url(url: Any) -> str | None:
    """A URL fit to put in an href or src: http(s) only."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if re.match(r"(?i)https?://", url) and is_xml_legal(url) else None


def element_urls(block: dict[str, Any]) -> list[str]:
    return [e["url"] for e in block.get("elements", []) if e.get("url")]


def export_jsonl(blocks: Iterable[dict[str, Any]], out: IO[str], **_: Any) -> int:
    return write_jsonl(blocks, out)


def export_jsonl_chunks(chunks: Iterable[tuple[int, bytes]], out: IO[str], **_: Any) -> int:
    """JSON lines already encoded (UTF-8 bytes from the archive, a chunk of whole lines at a
    time: see `Archive.jsonl_chunks`), made inert, written a chunk at a time."""
    raw = getattr(out, "buffer", None)
    out.flush()
    count = 0
    for lines, chunk in chunks:
        data = json_inert_lines(chunk)
        if raw is not None:
            raw.write(data)
        else:
            out.write(data.decode("utf-8"))
        count += lines
    if raw is not None:
        raw.flush()
    return count


def export_json(blocks: Iterable[dict[str, Any]], out: IO[str], **_: Any) -> int:
    """One JSON array, still written block by block."""
    count = 0
    out.write("[")
    for block in blocks:
        out.write(",\n" if count else "\n")
        out.write(dumps(block))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export_csv(blocks: Iterable[dict[str, Any]], out: IO[str], **_: Any) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for block in blocks:
        row = dict(
            block, authors="; ".join(block.get("authors") or []), urls=" ".join(element_urls(block))
        )
        writer.writerow([csv_cell(row.get(c)) for c in CSV_COLUMNS])
        count += 1
    return count


def _md_escape(text: str | None) -> str:
    """Markdown text that renders as text: no raw HTML, no accidental markup."""
    if not text:
        return ""
    text = htmllib.escape(stripped(text), quote=False)
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", text)


def export_md(
    blocks: Iterable[dict[str, Any]],
    out: IO[str],
    *,
    blogs: dict[str, dict[str, Any]] | None = None,
    zone: Any = None,
    **_: Any,
) -> int:
    count = 0
    current = None
    for block in blocks:
        if block["blog_id"] != current:
            current = block["blog_id"]
            blog = (blogs or {}).get(current, {})
            out.write(f"# {_md_escape(blog.get('title') or current)}\n\n")
            if blog.get("url"):
                out.write(f"<{blog['url']}>\n\n" if safe_url(blog["url"]) else "")
            if note := gap_note(blog):
                out.write(f"> **{_md_escape(note)}**\n\n")
        marks = [
            m
            for m, on in (
                ("📌 pinned", block["pinned"]),
                ("★ key event", block["key_event"]),
                ("summary", block["summary"]),
                ("deleted " + _when(block.get("deleted_at"), zone), block.get("deleted_at")),
            )
            if on
        ]
        when = _when(block.get("published_at") or block.get("created_at"), zone) or "undated"
        heading = _md_escape(block.get("title")) or ""
        out.write(f"## {when}{' — ' + heading if heading else ''}\n\n")
        if marks or block.get("authors"):
            meta = marks + (
                [f"by {_md_escape(', '.join(block['authors']))}"] if block.get("authors") else []
            )
            out.write(f"*{' · '.join(meta)}*\n\n")
        for paragraph in (block.get("text") or "").split("\n\n"):
            if paragraph.strip():
                out.write(_md_escape(paragraph) + "\n\n")
        for element in block.get("elements", []):
            url = safe_url(element.get("url"))
            if url:
                # Angle-bracket link targets end at ">" and spaces: encode both.
                url = url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
            if element["kind"] != "text" and url:
                label = _md_escape(element.get("caption") or element.get("text") or element["kind"])
                out.write(f"- {element['kind']}: [{label[:120]}](<{url}>)\n")
        out.write("\n")
        count += 1
    return count


_CSP = (
    "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_STYLE = """
body{font:16px/1.5 Georgia,serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#121212}
header.blog{border-bottom:4px solid #c70000;margin-bottom:1.5rem}
p.gap{background:#fff4ce;border-left:4px solid #c79500;padding:.4rem .8rem}
h1{font-size:2rem;line-height:1.15;margin:.2rem 0}
.standfirst{color:#333}
article.block{border-top:1px solid #dcdcdc;padding:.75rem 0 1rem}
article.key-event{border-left:4px solid #c70000;padding-left:.75rem}
article.pinned{background:#fff4f2}
article.deleted{opacity:.6}
.meta{font:13px/1.4 sans-serif;color:#707070}
.badge{font:bold 12px sans-serif;color:#fff;background:#c70000;padding:1px 6px;border-radius:3px}
h2{font-size:1.2rem;margin:.3rem 0}
img{max-width:100%;height:auto}
figure{margin:.5rem 0}
figcaption{font:13px sans-serif;color:#707070}
nav.key-events li{margin:.2rem 0}
"""


def _when(stamp: str | None, zone: Any = None) -> str:
    """`2026-06-13T10:01:00Z` as `2026-06-13 10:01 UTC` (or in `zone`), for people."""
    from liveblog_cli.times import human

    return human(stamp, zone, empty="")


def _h(value: Any) -> str:
    return htmllib.escape(stripped(value), quote=True)


def _block_body(block: dict[str, Any]) -> str:
    parts = []
    for element in block.get("elements", []):
        kind = element["kind"]
        url = safe_url(element.get("url"))
        if kind in ("text", "blockquote", "pullquote") and element.get("html"):
            body = sanitize_html(element["html"])
            parts.append(f"<blockquote>{body}</blockquote>" if kind == "pullquote" else body)
        elif kind in ("text", "blockquote", "pullquote") and element.get("text"):
            parts.append("".join(f"<p>{_h(p)}</p>" for p in element["text"].split("\n\n")))
        elif kind == "image" and url:
            caption = " ".join(x for x in (element.get("caption"), element.get("credit")) if x)
            parts.append(
                f'<figure><img src="{_h(url)}" alt="{_h(element.get("alt") or "")}"'
                f' loading="lazy" referrerpolicy="no-referrer">'
                + (f"<figcaption>{_h(caption)}</figcaption>" if caption else "")
                + "</figure>"
            )
        elif url:
            label = element.get("caption") or element.get("text") or url
            parts.append(
                f'<p class="meta">{_h(kind)}: <a href="{_h(url)}" rel="noopener '
                f'noreferrer nofollow">{_h(label[:200])}</a></p>'
            )
        elif element.get("text"):
            parts.append(f"<p>{_h(element['text'])}</p>")
    if not parts and block.get("text"):
        parts.append("".join(f"<p>{_h(p)}</p>" for p in block["text"].split("\n\n")))
    return "\n".join(parts)


def export_html(
    blocks: Iterable[dict[str, Any]],
    out: IO[str],
    *,
    blogs: dict[str, dict[str, Any]] | None = None,
    key_events: dict[str, list[dict[str, Any]]] | None = None,
    title: str | None = None,
    zone: Any = None,
    blog_id: str | None = None,
    **_: Any,
) -> int:
    """One self-contained page: inline CSS, no scripts, a strict Content-Security-Policy.

    Streamed: posts are written as they come (grouped by blog, as the archive yields them);
    each blog's key-events list comes from `key_events`, gathered before.
    """
    blogs = blogs or {}
    # The page's language and direction: its blog's, when it is one blog and says. Each
    # blog's header and posts say their own too (see `_direction`), so a page of several
    # blogs, or a post in another script, still reads the right way.
    blog = blogs.get(blog_id) if blog_id else None
    if not blog and len(blogs) == 1:
        blog = next(iter(blogs.values()))
    language = (blog or {}).get("language")
    opening = f' lang="{_h(language)}"' if language else ""
    opening += ' dir="rtl"' if is_rtl(language) else ""
    out.write(
        f'<!doctype html>\n<html{opening}>\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title or 'liveblog export')}</title>\n<style>{_STYLE}</style>\n"
        "</head>\n<body>\n"
    )
    count = 0
    current: str | None = None
    direction = ""
    for block in blocks:
        if block["blog_id"] != current:
            current = block["blog_id"]
            keys = (key_events or {}).get(current)
            direction = _direction(blogs.get(current, {}), language)
            _html_blog_header(out, current, blogs.get(current, {}), keys, zone, direction)
        _html_block(out, block, zone, direction)
        count += 1
    out.write("</body>\n</html>\n")
    return count


def _direction(blog: dict[str, Any], page_language: str | None) -> str:
    """The `lang` and `dir` attributes of a blog's header and posts.

    A blog written right to left (its language, from the archive) is `dir="rtl"`, post by
    post: an Arabic post that opens with a Latin name or acronym still lays out right to
    left. Otherwise `dir="auto"`: the browser takes the direction of the post's first
    strong character, so an Arabic post in an English (or unlabelled) blog reads right to
    left. That first character must be the post's own: every line we write in a post (its
    time, "updated", badges) sits in an element with its own `dir`, or a `<bdi>`, which
    `dir="auto"` skips (HTML's rule), and which keeps that line's own order either way.
    """
    language = blog.get("language")
    attributes = f' lang="{_h(language)}"' if language and language != page_language else ""
    return attributes + (' dir="rtl"' if is_rtl(language) else ' dir="auto"')


def _html_blog_header(
    out: IO[str],
    blog_id: str,
    blog: dict[str, Any],
    keys: list[dict[str, Any]] | None,
    zone: Any = None,
    direction: str = "",
) -> None:
    out.write(f'<header class="blog"{direction}>\n')
    # As in a post, our own words are isolated: the header's direction is its title's.
    if note := gap_note(blog):
        out.write(f'<p class="gap" role="note"><span dir="ltr">{_h(note)}</span></p>\n')
    if blog.get("publisher"):
        out.write(
            f'<p class="meta"><bdi>{_h(blog["publisher"])}</bdi> · '
            '<span dir="ltr">live blog archive</span></p>\n'
        )
    out.write(f"<h1>{_h(blog.get('title') or blog_id)}</h1>\n")
    if blog.get("standfirst"):
        out.write(f'<p class="standfirst">{_h(blog["standfirst"])}</p>\n')
    url = safe_url(blog.get("url"))
    if url:
        out.write(
            f'<p class="meta"><a href="{_h(url)}" rel="noopener noreferrer nofollow" dir="ltr">'
            f"{_h(url)}</a></p>\n"
        )
    out.write("</header>\n")
    if keys:
        out.write(f'<nav class="key-events"{direction}><h2>Key events</h2><ul>\n')
        for b in keys:
            out.write(
                f'<li><a href="#block-{_h(b["id"])}">{_time(b.get("published_at"), zone)}'
                f" <bdi>{_h(b.get('title') or b['text'][:80])}</bdi></a></li>\n"
            )
        out.write("</ul></nav>\n")


def _time(stamp: str | None, zone: Any, fallback: str = "") -> str:
    """A time for people, isolated left to right (`2026-06-13 10:01 UTC` keeps its order in
    a right-to-left line, and is not what decides a `dir="auto"` post's direction)."""
    shown = _when(stamp, zone)
    if not shown:
        return f'<span dir="ltr">{_h(fallback)}</span>' if fallback else ""
    return f'<time dir="ltr" datetime="{_h(stamp)}">{_h(shown)}</time>'


def _html_block(
    out: IO[str], block: dict[str, Any], zone: Any = None, direction: str = ' dir="auto"'
) -> None:
    flags = [
        (css, label)
        for css, label, on in (
            ("key-event", "key event", block["key_event"]),
            ("pinned", "pinned", block["pinned"]),
            ("deleted", "deleted", block.get("deleted_at")),
        )
        if on
    ]
    classes = ["block"] + [css for css, _ in flags]
    out.write(f'<article id="block-{_h(block["id"])}" class="{" ".join(classes)}"{direction}>\n')
    # The line above the post: our own words and times, each isolated (see `_direction`).
    meta = [_time(block.get("published_at") or block.get("created_at"), zone, "undated")]
    if block.get("updated_at") and block["updated_at"] != block.get("published_at"):
        meta.append(f'<span dir="ltr">updated {_time(block["updated_at"], zone)}</span>')
    if block.get("authors"):
        meta.append(f"<bdi>{_h(', '.join(block['authors']))}</bdi>")
    badges = "".join(f' <span class="badge" dir="ltr">{label}</span>' for _, label in flags)
    out.write(f'<p class="meta">{" · ".join(meta)}{badges}</p>\n')
    if block.get("title"):
        out.write(f"<h2>{_h(block['title'])}</h2>\n")
    out.write(_block_body(block))
    out.write("\n</article>\n")


def _x(value: Any) -> str:
    return xml_escape(xml_legal(value))


def iri(text: str) -> str:
    """Text made fit for an IRI (an Atom id): spaces, quotes, brackets, controls and other
    characters outside a URI percent-encoded (a URI is an IRI)."""
    from urllib.parse import quote

    return quote(xml_legal(text), safe="/:#?&=@!$'()*+,;~.-_")


def export_atom(
    blocks: Iterable[dict[str, Any]],
    out: IO[str],
    *,
    blogs: dict[str, dict[str, Any]] | None = None,
    blog_id: str | None = None,
    updated: str | None = None,
    now: str = "",
    feed_url: str | None = None,
    **_: Any,
) -> int:
    """An RFC 4287 feed: one entry per block, content as escaped, sanitized HTML.

    Streamed: the feed's own `<updated>` (the newest entry's) is given, found before.
    """
    blogs = blogs or {}
    blog = blogs.get(blog_id, {}) if blog_id else {}
    if not blog_id and len(blogs) == 1:
        blog = next(iter(blogs.values()))  # every post is this blog's: the feed says so
        blog_id = blog.get("id")
    feed_id = safe_url(blog.get("url")) or "urn:liveblog:" + iri(blog_id or "all")
    language = blog.get("language")
    lang = f" xml:lang={quoteattr(xml_legal(language))}" if language else ""
    out.write(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>\n'
    )
    out.write(f"<id>{_x(feed_id)}</id>\n")
    out.write(f"<title>{_x(blog.get('title') or 'liveblog export')}</title>\n")
    if note := gap_note(blog):
        out.write(f"<subtitle>{_x(note)}</subtitle>\n")
    out.write(f"<updated>{_x(updated or now)}</updated>\n")
    out.write(f"<author><name>{_x(blog.get('publisher') or 'liveblog')}</name></author>\n")
    if safe_url(blog.get("url")):
        out.write(f'<link rel="alternate" href={quoteattr(xml_legal(blog["url"]))}/>\n')
    if safe_url(feed_url):
        # Only the user knows where the file will be served; feed readers want it to re-poll.
        out.write(f'<link rel="self" href={quoteattr(xml_legal(feed_url or ""))}/>\n')
    out.write(f'<generator version="{__version__}">liveblog</generator>\n')
    count = 0
    for block in blocks:
        base = safe_url((blogs or {}).get(block["blog_id"], {}).get("url"))
        entry_id = (
            f"{base}#block-{iri(block['id'])}"
            if base
            else f"urn:liveblog:{iri(block['blog_id'])}:{iri(block['id'])}"
        )
        title = (
            block.get("title") or (block.get("text") or "").split("\n", 1)[0][:100] or "(untitled)"
        )
        entry_updated = (
            block.get("updated_at")
            or block.get("published_at")
            or block.get("last_seen_at")
            or updated
            or now
        )
        out.write("<entry>\n")
        out.write(f"<id>{_x(entry_id)}</id>\n<title>{_x(title)}</title>\n")
        out.write(f"<updated>{_x(entry_updated)}</updated>\n")
        if block.get("published_at"):
            out.write(f"<published>{_x(block['published_at'])}</published>\n")
        for name in block.get("authors") or []:
            out.write(f"<author><name>{_x(name)}</name></author>\n")
        if base:
            out.write(f'<link rel="alternate" href={quoteattr(xml_legal(entry_id))}/>\n')
        if block.get("key_event"):
            out.write('<category term="key-event"/>\n')
        if block.get("pinned"):
            out.write('<category term="pinned"/>\n')
        out.write(f'<content type="html">{_x(_block_body(block))}</content>\n')
        out.write("</entry>\n")
        count += 1
    out.write("</feed>\n")
    return count


WRITERS: dict[str, Callable[..., int]] = {
    "jsonl": export_jsonl,
    "jsonl-chunks": export_jsonl_chunks,
    "json": export_json,
    "csv": export_csv,
    "md": export_md,
    "html": export_html,
    "atom": export_atom,
}
