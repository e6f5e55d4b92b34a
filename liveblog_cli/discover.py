"""Discovery: the live blogs a publisher starts, found in its feeds and sitemaps.

A feed is read as a page is (conditional GET, the byte cap, the per-host gap): RSS 2.0 and
Atom through feedparser, sitemaps and sitemap indexes (Google News sitemaps too) and, for
anything else, an HTML section page's links. Its links are cut down to what may be a blog
of this publisher (its own site, `--match`, one URL per page: tracking parameters, http or
https, a trailing slash, AMP copies are the same page), then each one not yet judged is read
as a fetch would read it: the publisher registry says whether it is a live blog. A live
blog goes on the schedule once (a blog already there under another address does not);
anything else is remembered as an article and never read again.

Every read is bounded: links read from one feed, sitemaps of an index read in one pass,
new links read in one pass (the rest wait for the next), and a feed that lists itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from liveblog_cli.errors import FetchError, LiveblogError, ParseError, Stopped

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive
    from liveblog_cli.sync import Sync

MAX_LINKS = 10_000  # links taken from one feed or sitemap (a bigger one is cut there)
MAX_SITEMAPS = 20  # sitemaps of an index read in one pass: the newest, by their lastmod
MAX_PROBES = 40  # new links read in one pass; the rest come in the next
DEFAULT_EVERY = 60.0  # how often a blog found is polled

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|cmp|ito|ocid|at_\w+|ns_\w+|"
    r"int_\w+|src|ref|referrer|share|amp|outputtype)$",
    re.I,
)
_AMP_PATH = re.compile(r"(/amp/?$|\.amp$|/amp(?=/))", re.I)
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or"})


@dataclass
class FeedResult:
    """What one read of a feed came to: the links it held and what they turned out to be."""

    url: str
    links: int = 0  # links on the feed that may be blogs of this publisher
    new_blogs: list[str] = field(default_factory=list)  # scheduled (or fetched) now
    articles: int = 0  # links found not to be live blogs (remembered)
    known: int = 0  # links judged on an earlier read
    waiting: int = 0  # new links left for the next read (MAX_PROBES)
    not_modified: bool = False
    error: LiveblogError | None = None
    etag: str | None = None
    last_modified: str | None = None
    # What Poll and the summary lines read of a blog's result, for a feed.
    report: None = None
    blog: None = None
    blog_id: None = None

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0

    def error_line(self) -> str | None:
        if self.error is None:
            return None
        text = str(self.error)
        return text if self.url in text else f"{self.url}: {text}"

    def outcome(self) -> str:
        if self.error is not None:
            return f"failed: {self.error_line()}"
        if self.not_modified:
            return "not modified"
        waiting = f", {self.waiting} left for the next read" if self.waiting else ""
        return (
            f"read {self.links} links: {len(self.new_blogs)} new live blogs, "
            f"{self.articles} articles, {self.known} known{waiting}"
        )

    def summary(self) -> str:
        return f"error: {self.error_line()}" if self.error else f"feed {self.url}: {self.outcome()}"


# --- links --------------------------------------------------------------------------------


def page_key(url: str) -> str:
    """One key for one page however it is linked: no scheme, host in lower case without
    `www.`, no fragment, no tracking parameters, no trailing slash, no AMP copy."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = _AMP_PATH.sub("", parts.path).rstrip("/") or "/"
    query = urlencode(sorted(q for q in parse_qsl(parts.query) if not _TRACKING.match(q[0])))
    return f"{host}{path}" + (f"?{query}" if query else "")


def page_url(url: str) -> str:
    """The address to read a page at: the link without tracking parameters, AMP copy or
    fragment (scheme and host as the feed gave them)."""
    parts = urlsplit(url)
    path = _AMP_PATH.sub("", parts.path) or "/"
    query = urlencode([q for q in parse_qsl(parts.query) if not _TRACKING.match(q[0])])
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def site(host: str) -> str:
    """The publisher's site a host belongs to: theguardian.com for www.theguardian.com,
    bbc.co.uk for www.bbc.co.uk."""
    labels = host.lower().split(":")[0].split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@dataclass
class Links:
    """What a feed holds: its links, and the sitemaps it points to (an index)."""

    kind: str  # "rss", "atom", "sitemap", "sitemap index", "html"
    pages: list[str]
    sitemaps: list[tuple[str, str]]  # (lastmod, url)


def links_of(body: bytes, url: str) -> Links:
    """The links a feed, sitemap or section page holds (MAX_LINKS at most)."""
    head = body[:2048].lstrip().lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return _sitemap(body)
    if head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head or b"<rdf" in head:
        found = _feed(body, url)
        if found is not None:
            return found
    return _html(body, url)


def _sitemap(body: bytes) -> Links:
    from lxml import etree

    pages: list[str] = []
    sitemaps: list[tuple[str, str]] = []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a sitemap: {exc}") from None
    index = etree.QName(root).localname == "sitemapindex"
    for entry in root:
        if len(pages) + len(sitemaps) >= MAX_LINKS:
            break
        loc = lastmod = ""
        for child in entry:
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = (child.text or "").strip()
        if loc:
            (sitemaps.append((lastmod, loc)) if index else pages.append(loc))
    return Links("sitemap index" if index else "sitemap", pages, sitemaps)


def _feed(body: bytes, url: str) -> Links | None:
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        return None
    pages = []
    for entry in parsed.entries[:MAX_LINKS]:
        link = entry.get("link") or next(
            (x.get("href") for x in entry.get("links", []) if x.get("href")), None
        )
        if link:
            pages.append(urljoin(url, link))
    kind = "atom" if str(parsed.get("version", "")).startswith("atom") else "rss"
    return Links(kind, pages, [])


def _html(body: bytes, url: str) -> Links:
    from lxml import html as lxml_html

    from liveblog_cli.parse import decode
    from liveblog_cli.parse.page import html_parser

    try:
        root = lxml_html.document_fromstring(decode(body), parser=html_parser())
    except Exception as exc:  # lxml says an empty or broken page many ways
        raise ParseError(f"not a feed, sitemap or page of links ({exc})") from None
    pages = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith(("#", "mailto:", "javascript:")):
            pages.append(urljoin(url, href))
            if len(pages) >= MAX_LINKS:
                break
    return Links("html", pages, [])


# --- a read -------------------------------------------------------------------------------


def read(
    archive: Archive,
    sync: Sync,
    feed: str,
    *,
    match: str | None = None,
    validators: tuple[str | None, str | None] = (None, None),
    schedule: bool = True,
    every: float = DEFAULT_EVERY,
) -> FeedResult:
    """Read a feed once: new live blogs among its links go on the schedule (or, without
    `schedule`, are only listed in the result); articles are remembered. Never raises a
    LiveblogError: it is in the result."""
    result = FeedResult(url=feed)
    try:
        _read(archive, sync, feed, result, match, validators, schedule, every)
    except Stopped:
        raise
    except LiveblogError as exc:
        result.error = exc
    return result


def _read(
    archive: Archive,
    sync: Sync,
    feed: str,
    result: FeedResult,
    match: str | None,
    validators: tuple[str | None, str | None],
    schedule: bool,
    every: float,
) -> None:
    from liveblog_cli.urls import Address, lock_key

    headers = {}
    if validators[0]:
        headers["If-None-Match"] = validators[0]
    if validators[1]:
        headers["If-Modified-Since"] = validators[1]
    page = sync.fetcher.get(feed, headers=headers)
    result.etag, result.last_modified = page.etag, page.last_modified
    if page.status == 304:
        result.not_modified = True
        return
    found = links_of(page.body, page.final_url)
    links = list(found.pages)
    seen_sitemaps = {page_key(feed)}
    for _, child in sorted(found.sitemaps, reverse=True)[:MAX_SITEMAPS]:
        if page_key(child) in seen_sitemaps:
            continue  # a feed that lists itself, or a sitemap listed twice
        seen_sitemaps.add(page_key(child))
        try:
            nested = links_of(sync.fetcher.get(child).body, child)
        except (FetchError, ParseError):
            continue  # one sitemap that cannot be read does not stop the others
        links += nested.pages[: MAX_LINKS - len(links)]
    pattern = re.compile(match) if match else None
    home = site(urlsplit(feed).netloc)
    candidates: dict[str, str] = {}
    for link in links:
        try:
            parts = urlsplit(link)
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or site(parts.netloc) != home:
            continue
        if pattern is not None and not pattern.search(link):
            continue
        if page_key(link) in seen_sitemaps:
            continue
        candidates.setdefault(page_key(link), page_url(link))
    result.links = len(candidates)
    verdicts = archive.link_verdicts(list(candidates))
    scheduled = {row.url for row in archive.scheduled(kind="blog")}
    known_blogs = {row.blog_id for row in archive.scheduled(kind="blog") if row.blog_id}
    fresh = []
    for key, url in candidates.items():
        if key in verdicts or lock_key(Address.of(url)) in scheduled:
            result.known += 1
        else:
            fresh.append((key, url))
    result.waiting = max(0, len(fresh) - MAX_PROBES)
    for key, url in fresh[:MAX_PROBES]:
        try:
            blog = sync.probe(url)
        except ParseError:
            archive.remember_link(key, feed, "article", None)
            result.articles += 1
            continue
        except FetchError:
            result.waiting += 1  # not judged: tried again on the next read
            continue
        archive.remember_link(key, feed, "blog", blog.id)
        if blog.id in known_blogs:
            result.known += 1  # the same blog under another address
            continue
        known_blogs.add(blog.id)
        address = lock_key(Address.of(url))
        if schedule and not archive.schedule_add([address], every=every, refresh=False):
            result.known += 1  # another feed, read at the same time, scheduled it first
            continue
        result.new_blogs.append(address)


__all__ = ["FeedResult", "links_of", "page_key", "page_url", "read", "site"]
