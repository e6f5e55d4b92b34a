"""The conductor: from a blog's URL to its posts in the archive.

`Sync` asks parse/ which address to request (`plan`), has fetch.py get it, parses what
comes back, walks older pages (all of them the first time, only until known posts later),
and saves the walk through the archive. `follow` polls through one `Sync`; reparse and
import reuse `save_walk` without HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from liveblog_cli.errors import LiveblogError, ParseError
from liveblog_cli.fetch import Fetcher, FetchError, Page, RateLimited
from liveblog_cli.model import LiveBlog, merge_blocks, newest_first
from liveblog_cli.parse import Plan, Reach, parse_page, plan

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive, SaveReport


@dataclass
class BlogResult:
    """What fetching one URL came to: a save report, 'not modified', or an error."""

    url: str
    blog_id: str | None = None
    report: SaveReport | None = None
    not_modified: bool = False
    pages: int = 0
    error: LiveblogError | None = None
    blog: LiveBlog | None = None

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "blog_id": self.blog_id,
            "pages": self.pages,
            "not_modified": self.not_modified,
        }
        if self.report is not None:
            out.update({k: v for k, v in self.report.to_dict().items() if k != "blog_id"})
        out["error"] = str(self.error) if self.error else None
        out["exit_code"] = self.exit_code
        return out

    def summary(self) -> str:
        if self.error:
            return f"{self.url}: error: {self.error}"
        if self.not_modified:
            return f"{self.blog_id or self.url}: not modified"
        assert self.report is not None
        return self.report.summary()


@dataclass
class Walk:
    """The pages one walk read, parsed, with the responses they came from."""

    blogs: list[LiveBlog] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    complete: bool = False  # walked to the oldest page
    not_modified: bool = False


class Sync:
    """Fetch, parse and archive blogs: one archive, one HTTP client, one set of rules."""

    def __init__(
        self,
        archive: Archive,
        fetcher: Fetcher,
        *,
        reach: Reach | None = None,
        max_pages: int | None = None,
        on_page: Callable[[str, int], None] | None = None,
    ) -> None:
        self.archive = archive
        self.fetcher = fetcher
        self.reach = reach or Reach()
        self.max_pages = max_pages
        self.on_page = on_page
        self._save_lock = threading.Lock()

    def many(self, urls: list[str], *, workers: int | None = None) -> list[BlogResult]:
        """Several blogs at once (polite per host); results in the order given."""
        if len(urls) == 1:
            return [self.blog(urls[0])]
        from concurrent.futures import ThreadPoolExecutor

        hosts = len({urlsplit(u).netloc for u in urls})
        with ThreadPoolExecutor(max_workers=workers or min(8, hosts, len(urls))) as pool:
            return list(pool.map(self.blog, urls))

    def blog(self, url: str) -> BlogResult:
        """Fetch, parse and archive one blog. Never raises LiveblogError: it is in the result."""
        result = BlogResult(url=url)
        try:
            walk = self._walk(url, result)
            if walk.not_modified:
                result.not_modified = True
                return result
            blog = combine(walk.blogs)
            result.blog_id = blog.id
            result.blog = blog
            with self._save_lock:
                result.report = save_walk(self.archive, blog, walk.pages, complete=walk.complete)
        except LiveblogError as exc:
            result.error = exc
        return result

    def _page(self, address: str, page_url: Callable[[str], str], *, conditional: bool) -> Any:
        """One page, parsed: (page, blog), or (page, None) for 304 Not Modified."""
        headers = conditional_headers(self.archive, address) if conditional else {}
        page = self.fetcher.get(address, headers=headers)
        if page.status == 304:
            return page, None
        return page, parse_page(page.body, page_url(page.final_url), charset=page.charset)

    def _first(self, how: Plan) -> tuple[str, Page, LiveBlog | None]:
        """The blog's first page from the first address that answers with a live blog."""
        for n, address in enumerate(how.addresses):
            try:
                page, blog = self._page(address, how.page_url, conditional=True)
                return address, page, blog
            except (FetchError, ParseError) as exc:
                # A publisher's own endpoint failed: its page carries the same posts.
                if n + 1 == len(how.addresses) or isinstance(exc, RateLimited):
                    raise
        raise AssertionError("a plan has at least one address")

    def _walk(self, url: str, result: BlogResult) -> Walk:
        walk = Walk()
        how = plan(url, self.reach)
        first, page, blog = self._first(how)
        result.pages = 1
        if self.on_page:
            self.on_page(url, 1)
        if blog is None:
            walk.not_modified = True
            return walk
        result.blog_id = blog.id
        known_blog = self.archive.has_blog(blog.id)
        walk.blogs.append(blog)
        walk.pages.append(page)
        current, current_url = blog, page.final_url
        visited = {first}
        while True:
            older = current.pages.get("older")
            if not older:
                # Walked to the oldest page: the whole blog, if there was more than one page
                # or the one page says it is all there is.
                walk.complete = len(walk.blogs) > 1 or blog.complete
                break
            if self.max_pages is not None and len(walk.blogs) >= self.max_pages:
                break
            # Incremental: once a page shows posts we already hold, older pages hold nothing new.
            if known_blog and self.archive.known_block_ids(current.id, body_ids(current)):
                break
            next_url = how.older(older, current_url)
            if next_url in visited:
                break  # the site's links go round in a circle
            visited.add(next_url)
            page, nxt = self._page(next_url, how.page_url, conditional=False)
            if nxt is None or nxt.id != blog.id:
                break
            result.pages += 1
            if self.on_page:
                self.on_page(url, result.pages)
            walk.blogs.append(nxt)
            walk.pages.append(page)
            current, current_url = nxt, page.final_url
        return walk


def conditional_headers(archive: Archive, url: str) -> dict[str, str]:
    last = archive.last_fetch(url)
    headers = {}
    if last and last.get("etag"):
        headers["If-None-Match"] = last["etag"]
    if last and last.get("last_modified"):
        headers["If-Modified-Since"] = last["last_modified"]
    return headers


def body_ids(blog: LiveBlog) -> list[str]:
    return blog.body_ids if blog.body_ids is not None else [b.id for b in blog.blocks]


def combine(blogs: list[LiveBlog]) -> LiveBlog:
    """Pages of one blog as one LiveBlog: metadata of the newest page, every block once."""
    first = blogs[0]
    if len(blogs) == 1:
        return first
    blocks = merge_blocks([b for blog in blogs for b in blog.blocks])
    body: list[str] = []
    for blog in blogs:
        body += body_ids(blog)
    return LiveBlog(
        id=first.id,
        url=first.url,
        title=first.title,
        standfirst=first.standfirst,
        publisher=first.publisher,
        is_live=first.is_live,
        published_at=first.published_at,
        updated_at=first.updated_at,
        authors=first.authors,
        tags=first.tags,
        source_format=first.source_format,
        blocks=newest_first(blocks),
        pages=first.pages,
        body_ids=list(dict.fromkeys(body)),
    )


def save_walk(archive: Archive, blog: LiveBlog, pages: list[Page], *, complete: bool) -> SaveReport:
    """Save a walk's blog with the responses it came from, in one transaction."""
    from liveblog_cli.archive import FetchInfo

    fetches = [
        (
            FetchInfo(url=p.url, status=p.status, etag=p.etag, last_modified=p.last_modified),
            p.body,
        )
        for p in pages
    ]
    return archive.save(blog, fetches=fetches, complete=complete)


__all__ = ["BlogResult", "Sync", "save_walk"]
