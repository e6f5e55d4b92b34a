"""The conductor: from a blog's URL to its posts in the archive.

`Sync` asks parse/ which address to request (`plan`), has fetch.py get it, parses what
comes back, and walks older pages: all of them the first time, only until known posts
later. Each page is saved as it is read (one transaction a page; the last one also decides
deletions), so a long walk holds one page in memory, and a walk that stops part way keeps
what it read and resumes next run. Every request is logged as a poll, whatever its outcome.
`follow` polls through one `Sync`; reparse and import save through the same archive calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liveblog_cli.bounds import IDLE_PAGES, MAX_PAGES, WALK_BUDGET
from liveblog_cli.errors import (
    FetchError,
    LiveblogError,
    ParseError,
    RateLimited,
    Stopped,
    WalkFailed,
)
from liveblog_cli.exchange import Exchange
from liveblog_cli.fetch import (
    Fetcher,
    Page,
    validator,
)
from liveblog_cli.model import Block, LiveBlog
from liveblog_cli.parse import Plan, Reach, parse_page, plan
from liveblog_cli.urls import Address
from liveblog_cli.words import counted

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive, FetchInfo, SaveReport, WalkSave


@dataclass(frozen=True)
class Limits:
    """A walk is bounded by default, whatever a site's pagination says (an endless "next
    page" must not keep a cron run, and its lock, for ever). A walk that stops at a bound
    keeps what it read and resumes from there next run."""

    max_pages: int | None = MAX_PAGES
    idle_pages: int | None = IDLE_PAGES
    budget: float | None = WALK_BUDGET


@dataclass
class BlogResult:
    """What fetching one URL came to: a save report, 'not modified', or an error."""

    url: str
    blog_id: str | None = None
    report: SaveReport | None = None
    not_modified: bool = False
    pages: int = 0
    error: LiveblogError | None = None
    blog: LiveBlog | None = None  # the newest page read (its metadata, its posts)
    # Posts this fetch added, edited or restored, as parsed (what `follow` shows).
    changed: dict[str, Block] = field(default_factory=dict)
    stopped: str | None = None  # why the walk stopped before the oldest page, if a bound did
    total: int = 0  # the blog's posts in the archive, when nothing was saved (a 304, an error)

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0

    def to_dict(self) -> dict[str, Any]:
        """The same keys whatever happened (counts 0 when nothing was saved, the blog's id
        whenever it is known), for `fetch --json`."""
        counts = self.report.to_dict() if self.report is not None else {}
        return {
            "url": self.url,
            "blog_id": self.blog_id,
            "pages": self.pages,
            "not_modified": self.not_modified,
            **{k: counts.get(k, 0) for k in ("new", "updated", "unchanged", "deleted", "restored")},
            "total": self.total if self.report is None or self.error else counts["total"],
            "stopped": self.stopped,
            "error": self.error_line(),
            "exit_code": self.exit_code,
        }

    def error_line(self) -> str | None:
        """The error in one line that names the URL (several URLs may fail in one run)."""
        if self.error is None:
            return None
        text = str(self.error)
        return text if self.url in text else f"{self.url}: {text}"

    def summary(self) -> str:
        if self.error:
            return f"error: {self.error_line()}"
        if self.not_modified:
            return f"{self.blog_id or self.url}: not modified"
        assert self.report is not None
        stopped = f" (stopped: {self.stopped}; the walk resumes next run)" if self.stopped else ""
        return self.report.summary() + stopped


class Sync:
    """Fetch, parse and archive blogs: one archive, one HTTP client, one set of rules."""

    def __init__(
        self,
        archive: Archive,
        fetcher: Fetcher,
        *,
        reach: Reach | None = None,
        limits: Limits | None = None,
        on_page: Callable[[str, int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        lock: Callable[[Address], AbstractContextManager[object]] | None = None,
        capture_page: bool = False,
    ) -> None:
        self.archive = archive
        self.fetcher = fetcher
        self.reach = reach or Reach()
        self.limits = limits or Limits()
        self.on_page = on_page
        self.clock = clock
        # Held while one blog is fetched (another process fetching it: LockHeld, exit 75).
        self.lock = lock
        # Also keep the page people read where a publisher is read from another address
        # (the Guardian's HTML behind its JSON): one more request a page saved, so that a web
        # archive export replays the address people read (`fetch --capture-page`).
        self.capture_page = capture_page
        self._save_lock = threading.Lock()

    def many(
        self,
        urls: Sequence[str | Address],
        *,
        workers: int | None = None,
        on_done: Callable[[BlogResult], None] | None = None,
    ) -> list[BlogResult]:
        """Several blogs at once (polite per host); results in the order given, each also
        handed to `on_done` as it finishes."""
        done = on_done or (lambda _result: None)
        if not urls:
            return []
        if len(urls) == 1:
            result = self.blog(urls[0])
            done(result)
            return [result]
        from concurrent.futures import ThreadPoolExecutor, as_completed

        hosts = len({(Address.of(u) if isinstance(u, str) else u).host for u in urls})
        with ThreadPoolExecutor(max_workers=workers or min(8, hosts, len(urls))) as pool:
            futures = {pool.submit(self.blog, url): n for n, url in enumerate(urls)}
            results: list[BlogResult | None] = [None] * len(urls)
            for future in as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                done(result)
        return [r for r in results if r is not None]

    def blog(self, url: str | Address) -> BlogResult:
        """Fetch, parse and archive one blog. Never raises LiveblogError: it is in the result.

        Credentials in the URL (`user:password@`) are sent to its host and nowhere else,
        and never stored or printed; nor are API keys in the addresses a publisher asks for
        (see urls.py: each address is split once, as it is taken in).
        """
        address = Address.of(url) if isinstance(url, str) else url
        result = BlogResult(url=address.shown)
        walker = _Walker(self, address, result)
        try:
            with self.lock(address) if self.lock else nullcontext():
                walker.run()
        except LiveblogError as exc:
            result.error = exc
        if walker.walk is not None and walker.walk.late:
            # A walk older than the blog's newest page (another process saved a newer one,
            # or a capture from the future was imported): its pages take their place in
            # capture order, never the current text.
            from liveblog_cli.reparse import rebuild_blog

            with self._save_lock:
                rebuild_blog(self.archive, walker.walk.blog_id)
        if result.blog_id is not None and (result.report is None or result.error is not None):
            # Nothing saved, or a walk that failed part way: the blog's posts as they stand.
            with self._save_lock:
                result.total = self.archive.count_posts(result.blog_id)
        return result

    def probe(self, url: str | Address) -> LiveBlog:
        """What a fetch of `url` would find, read and not kept: its first page, parsed (the
        publisher's own address first, its page if that fails). Raises ParseError (not a
        live blog) or FetchError (could not be read)."""
        address = Address.of(url) if isinstance(url, str) else url
        how = plan(address.sent, self.reach)
        failure: LiveblogError | None = None
        for asked in how.addresses:
            try:
                page = self.fetcher.get(asked)
                shown = Address.of(how.page_url(page.final_url)).shown
                return parse_page(page.body, shown, charset=page.charset)
            except (FetchError, ParseError) as exc:
                if isinstance(exc, RateLimited):
                    raise
                failure = exc
        assert failure is not None
        raise failure


class _Walker:
    """One blog's walk: its pages, read newest first, saved as they come."""

    def __init__(self, sync: Sync, address: Address, result: BlogResult) -> None:
        self.sync = sync
        self.archive = sync.archive
        self.address = address
        self.result = result
        self.how: Plan = plan(address.sent, sync.reach)
        self.walk: WalkSave | None = None
        self.started = sync.clock()
        self._deferred: list[FetchInfo] | None = None  # polls held back while a fallback remains

    # --- requests ---------------------------------------------------------------------------

    def _get(self, url: str, *, conditional: bool) -> Page:
        """One request, logged as a poll when it fails (a page that arrives is logged with
        its save). The blog's credentials go with it only to the blog's own host."""
        address = Address.of(url)
        if address.auth is None and address.host == self.address.host:
            address = Address(address.sent, address.shown, self.address.auth)
        headers = conditional_headers(self.archive, address.shown) if conditional else {}
        try:
            page = self.sync.fetcher.get(address, headers=headers)
        except FetchError as exc:
            self._poll(address.shown, status=exc.status, error=str(exc), exchanges=exc.exchanges)
            raise
        if page.status == 304 and not headers:
            error = (
                f"{address.shown}: answered 304 Not Modified to a request that was not conditional"
            )
            self._poll(address.shown, status=304, error=error, exchanges=page.exchanges)
            raise FetchError(error, status=304)
        return page

    def _parse(self, page: Page) -> LiveBlog:
        try:
            return parse_page(
                page.body, self._page_url(page), charset=page.charset, reach=self.sync.reach
            )
        except ParseError as exc:
            self._poll(page.url, status=page.status, error=str(exc))
            raise

    def _page_url(self, page: Page) -> str:
        """The URL a page is parsed under: the publisher's page behind the address asked."""
        return Address.of(self.how.page_url(page.final_url)).shown

    def _poll(
        self,
        shown: str,
        *,
        status: int | None,
        error: str | None,
        exchanges: list[Exchange] | None = None,
    ) -> None:
        from liveblog_cli.archive import FetchInfo

        info = FetchInfo(url=shown, status=status, error=error, exchanges=exchanges or [])
        if self._deferred is not None:
            self._deferred.append(info)  # an address with a fallback: recorded as it turns out
            return
        self._record(info)

    def _record(self, info: FetchInfo) -> None:
        blog_id = self.walk.blog_id if self.walk else None
        for asked in (info.url or "", *self.how.addresses):  # a fallback counts for the blog
            blog_id = blog_id or self.archive.blog_for_url(Address.of(asked).shown)
        self.result.blog_id = self.result.blog_id or blog_id
        with self.sync._save_lock:
            self.archive.record_poll(info, blog_id=blog_id, walk=self.walk)

    def _info(self, page: Page) -> FetchInfo:
        from liveblog_cli.archive import FetchInfo

        return FetchInfo(
            url=page.url,
            status=page.status,
            etag=page.etag,
            last_modified=page.last_modified,
            page_url=self._page_url(page),
            charset=page.charset,
            body=page.body,
            at=page.at,
            elapsed=page.elapsed,
            exchanges=page.exchanges,
        )

    # --- the walk ---------------------------------------------------------------------------

    def _first(self) -> tuple[str, Page, LiveBlog | None]:
        """The blog's first page from the first address that answers with a live blog.

        A publisher's own endpoint that fails is followed by its page, which carries the
        same posts: the failure is then a poll of kind `fallback` (not a failed poll of the
        blog), and the address that answered is asked first from then on."""
        addresses = self._preferred(self.how.addresses)
        self._deferred = []
        try:
            for n, address in enumerate(addresses):
                try:
                    page = self._get(address, conditional=True)
                    blog = None if page.status == 304 else self._parse(page)
                except (FetchError, ParseError) as exc:
                    if n + 1 == len(addresses) or isinstance(exc, RateLimited):
                        raise
                    continue
                for info in self._deferred:
                    info.kind = "fallback"
                self._flush()
                return address, page, blog
        finally:
            self._flush()
        raise AssertionError("a plan has at least one address")

    def _flush(self) -> None:
        """Deferred polls recorded (as failures, unless a fallback turned them around)."""
        deferred, self._deferred = self._deferred or [], None
        for info in deferred:
            self._record(info)

    def _preferred(self, addresses: tuple[str, ...]) -> tuple[str, ...]:
        """The plan's addresses, the one that last brought a page first (a publisher endpoint
        that stopped answering costs one request once, not on every poll)."""
        if len(addresses) < 2:
            return addresses
        last = {
            a: (self.archive.last_fetch(Address.of(a).shown) or {}).get("id", 0) for a in addresses
        }
        return tuple(sorted(addresses, key=lambda a: -last[a]))

    def run(self) -> None:
        result = self.result
        address, page, blog = self._first()
        result.pages = 1
        self._progress()
        if blog is None:
            shown = Address.of(address).shown
            blog_id = self.archive.blog_for_url(shown)
            self._poll(shown, status=304, error=None, exchanges=page.exchanges)
            resume = self.archive.walk_next(blog_id) if blog_id else None
            result.blog_id = blog_id
            if blog_id is None or resume is None:
                result.not_modified = True
                return
            # Nothing new on top, but an earlier walk stopped part way: carry it on.
            self._start(blog_id)
            self._continue_from(resume, known=True)
            return
        self._start(blog.id)
        result.blog = blog
        known = self.archive.has_blog(blog.id)
        resume = self.archive.walk_next(blog.id) if known else None
        self._pages(address, page, blog, known=known, resume=resume)

    def _start(self, blog_id: str) -> None:
        from liveblog_cli.archive import WalkSave

        self.walk = WalkSave(blog_id, kind="fetch")
        self.result.blog_id = blog_id
        self.result.report = self.walk.report

    def _continue_from(self, address: str, *, known: bool) -> None:
        """Read on from `address` (where an earlier walk stopped): not the whole blog."""
        assert self.walk is not None
        self.walk.time_ordered = False  # pages read apart: no span to infer deletions over
        try:
            page = self._get(address, conditional=False)
            blog = self._parse(page)
        except (FetchError, ParseError, Stopped) as exc:
            self._failed(address, exc)
        if blog.id != self.walk.blog_id:
            self._end(next_url=None)
            return
        self.result.pages += 1
        self._progress()
        self._pages(address, page, blog, known=known, resume=None, whole=False)

    def _pages(
        self,
        address: str,
        page: Page,
        blog: LiveBlog,
        *,
        known: bool,
        resume: str | None,
        whole: bool = True,
    ) -> None:
        """Save this page and those after it, deciding before each save whether more follow."""
        assert self.walk is not None
        walk = self.walk
        visited = {address}
        idle = 0
        while True:
            body = body_ids(blog)
            held = self.archive.known_block_ids(blog.id, body) if known else set()
            fresh = [i for i in body if i not in held and i not in walk.saved]
            idle = 0 if fresh else idle + 1
            older = blog.pages.get("older")
            candidate = self.how.older(older, page.final_url) if older else None
            next_url: str | None = None  # where to read on, now
            later: str | None = None  # where a later run reads on
            complete = False
            if candidate is None:
                # The oldest page: the whole blog, if this walk read every page in this run,
                # or the one page says it is all there is.
                complete = whole and (self.result.pages > 1 or blog.complete)
            elif candidate in visited:
                pass  # the site's links go round in a circle: stop, nothing to resume
            elif known and held:
                # Incremental: once a page shows posts we already hold, older pages hold
                # nothing new, unless an earlier walk stopped part way: carry that on.
                if resume and resume not in visited:
                    next_url, whole = resume, False
                    walk.time_ordered = False
            elif (stop := self._bound(idle)) is not None:
                self.result.stopped = stop
                later = candidate
            else:
                next_url = candidate
            self._save(page, blog, last=next_url is None, complete=complete, next_url=later)
            if next_url is None:
                return
            visited.add(next_url)
            try:
                page = self._get(next_url, conditional=False)
                blog_next = self._parse(page)
            except (FetchError, ParseError, Stopped) as exc:
                self._failed(next_url, exc)
            if blog_next.id != walk.blog_id:
                # The link led elsewhere: this blog ends here, as far as this walk can tell.
                self._end(next_url=None, infer=True)
                return
            blog = blog_next
            self.result.pages += 1
            self._progress()

    def _bound(self, idle: int) -> str | None:
        """Why the walk must stop here although older pages exist, or None."""
        limits = self.sync.limits
        if limits.max_pages is not None and self.result.pages >= limits.max_pages:
            return f"--max-pages {limits.max_pages} read"
        if limits.idle_pages is not None and idle >= limits.idle_pages:
            return f"{counted(idle, 'pages')} in a row with nothing new"
        if limits.budget is not None and self.sync.clock() - self.started > limits.budget:
            return f"the walk took longer than {limits.budget:g} s"
        return None

    def _save(
        self, page: Page, blog: LiveBlog, *, last: bool, complete: bool, next_url: str | None
    ) -> None:
        assert self.walk is not None
        report = self.walk.report
        before = (len(report.new), len(report.updated), len(report.restored))
        info = self._info(page)
        info.exchanges = [*info.exchanges, *self._reader_page(page)]
        with self.sync._save_lock:
            self.archive.save_page(
                self.walk,
                blog,
                info,
                last=last,
                complete=complete,
                next_url=next_url,
                now=None,
            )
        changed = set(report.new[before[0] :] + report.updated[before[1] :])
        changed.update(report.restored[before[2] :])
        if changed:
            for block in blog.blocks:
                if block.id in changed:
                    self.result.changed.setdefault(block.id, block)

    def _reader_page(self, page: Page) -> list[Exchange]:
        """With `capture_page`, the exchanges of one GET of the page people read behind the
        address that gave `page`, kept with that page's poll (for WARC export, never parsed:
        the posts came from the richer address). Only where the two differ; a failure, or a
        stop, costs the capture alone (what crossed the wire is still kept)."""
        if not self.sync.capture_page:
            return []
        reader = Address.of(self.how.page_url(page.final_url))
        if reader.shown == page.final_url:
            return []
        if reader.auth is None and reader.host == self.address.host:
            reader = Address(reader.sent, reader.shown, self.address.auth)
        try:
            return self.sync.fetcher.get(reader).exchanges
        except FetchError as exc:
            return list(exc.exchanges)
        except Stopped:
            return []

    def _end(self, *, next_url: str | None, error: str | None = None, infer: bool = False) -> None:
        assert self.walk is not None
        with self.sync._save_lock:
            self.archive.end_walk(self.walk, error=error, next_url=next_url, infer=infer)

    def _failed(self, address: str, exc: LiveblogError) -> Any:
        """A page after the first failed (or a stop came): keep what was read, resume here
        next run."""
        pages = self.result.pages
        total = self.result.blog.page_count if self.result.blog is not None else None
        if isinstance(exc, Stopped):
            self._end(next_url=address, error=str(exc))
            raise exc
        of = f" of {total}" if total else ""
        failure = f"read {pages}{of} {'page' if (total or pages) == 1 else 'pages'}, then {exc}"
        self._end(next_url=address, error=failure)  # the walk's record, and the blog's gap
        raise WalkFailed(failure) from None

    def _progress(self) -> None:
        if self.sync.on_page:
            self.sync.on_page(self.address.shown, self.result.pages)


def conditional_headers(archive: Archive, url: str) -> dict[str, str]:
    """The validators of the URL's last page, each only if it can be sent back (an archive
    written before validators were checked may hold one that cannot: it is skipped)."""
    last = archive.last_fetch(url) or {}
    headers = {}
    etag, modified = validator(last.get("etag")), validator(last.get("last_modified"))
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    return headers


def body_ids(blog: LiveBlog) -> list[str]:
    return blog.body_ids if blog.body_ids is not None else [b.id for b in blog.blocks]


__all__ = ["BlogResult", "Limits", "Sync", "WalkFailed"]
