"""Fetching live blogs politely: one httpx client, retries, byte caps, conditional requests,
pagination, at most one request in flight per host.

`fetch_blog()` walks a blog's pages (all of them the first time, only what is new later),
parses them, and saves the whole walk in one archive transaction.
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from liveblog_cli import __version__
from liveblog_cli.errors import (
    EXIT_TEMPFAIL,
    EXIT_UNAVAILABLE,
    LiveblogError,
    ParseError,
)
from liveblog_cli.model import LiveBlog, merge_blocks, newest_first

if TYPE_CHECKING:
    import httpx

    from liveblog_cli.archive import Archive, SaveReport

DEFAULT_USER_AGENT = f"liveblog/{__version__} (+https://pypi.org/project/liveblog-cli/)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Hosts whose live blogs are fetched as DCR JSON first (the Guardian's renderer payload).
GUARDIAN_HOSTS = ("theguardian.com",)


class FetchError(LiveblogError):
    """The page could not be had: HTTP error after retries, too large, too slow."""

    exit_code = EXIT_UNAVAILABLE


class RateLimited(FetchError):
    """The site kept answering 429 after every retry: try again later."""

    exit_code = EXIT_TEMPFAIL


@dataclass
class Settings:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 90.0  # total seconds for one request, however the bytes trickle in
    max_bytes: int = DEFAULT_MAX_BYTES
    tries: int = 4
    backoff: float = 1.0  # first retry waits up to this long; doubles each time (with jitter)
    max_retry_after: float = 120.0
    host_delay: float = 1.0  # pause between two requests to the same host
    max_pages: int | None = None
    guardian_hosts: tuple[str, ...] = GUARDIAN_HOSTS


@dataclass
class Page:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str]
    charset: str | None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


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


class HostGate:
    """At most one request in flight per host, and a pause between two to the same host."""

    def __init__(self, delay: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay = delay
        self.sleep = sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    def lock(self, url: str) -> threading.Lock:
        host = urlsplit(url).netloc.lower()
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def wait_turn(self, url: str) -> None:
        """Called with the host's lock held: sleep until the host has rested long enough."""
        host = urlsplit(url).netloc.lower()
        last = self._last.get(host)
        if last is not None:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                self.sleep(pause)

    def done(self, url: str) -> None:
        self._last[urlsplit(url).netloc.lower()] = time.monotonic()


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    import httpx

    return httpx.Client(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=True,
        max_redirects=10,
        transport=transport,
    )


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - current).total_seconds())


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            return val.strip().strip("\"'")
    return None


def get(
    client: httpx.Client,
    url: str,
    settings: Settings,
    gate: HostGate,
    *,
    headers: dict[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Page:
    """GET with retries (backoff + jitter, Retry-After), a byte cap and a total deadline.

    Returns 2xx and 304 responses; raises FetchError (or RateLimited) otherwise.
    """
    import httpx

    last_problem = "no attempt made"
    rate_limited = False
    for attempt in range(settings.tries):
        wait: float | None = None
        with gate.lock(url):
            gate.wait_turn(url)
            try:
                page = _get_once(client, url, settings, headers or {})
            except _TooLarge as exc:
                raise FetchError(str(exc)) from None
            except (httpx.TransportError, _Deadline) as exc:
                last_problem = _describe(exc)
                rate_limited = False
            else:
                if page.status < 400 or page.status == 304:
                    return page
                last_problem = f"HTTP {page.status}"
                rate_limited = page.status == 429
                if page.status not in RETRY_STATUSES:
                    raise FetchError(f"{url}: HTTP {page.status}") from None
                wait = retry_after(page.headers.get("retry-after"))
            finally:
                gate.done(url)
        if attempt + 1 >= settings.tries:
            break
        backoff = random.uniform(0, settings.backoff * 2**attempt)  # full jitter
        delay = min(wait, settings.max_retry_after) if wait is not None else backoff
        sleep(delay)
    error = RateLimited if rate_limited else FetchError
    raise error(f"{url}: {last_problem} after {settings.tries} tries")


class _TooLarge(Exception):
    pass


class _Deadline(Exception):
    pass


def _describe(exc: BaseException) -> str:
    import httpx

    if isinstance(exc, _Deadline):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broken ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _get_once(client: httpx.Client, url: str, settings: Settings, headers: dict[str, str]) -> Page:
    started = time.monotonic()
    chunks: list[bytes] = []
    size = 0
    with client.stream("GET", url, headers=headers) as response:
        declared = response.headers.get("content-length")
        if (
            declared
            and declared.isdigit()
            and int(declared) > settings.max_bytes
            and not response.headers.get("content-encoding")
        ):
            raise _TooLarge(
                f"{url}: {declared} bytes is more than --max-bytes {settings.max_bytes}"
            )
        # iter_bytes() decompresses: the cap counts what we would have to hold and parse.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > settings.max_bytes:
                raise _TooLarge(f"{url}: more than --max-bytes {settings.max_bytes} bytes")
            if time.monotonic() - started > settings.deadline:
                raise _Deadline(f"took longer than {settings.deadline:g} s")
            chunks.append(chunk)
        return Page(
            url=url,
            final_url=str(response.url),
            status=response.status_code,
            body=b"".join(chunks),
            headers={k.lower(): v for k, v in response.headers.items()},
            charset=_charset(response.headers.get("content-type")),
        )


# --- blogs ------------------------------------------------------------------------------------


def is_guardian(url: str, settings: Settings) -> bool:
    """A Guardian live-blog URL: a Guardian host and a `/live/` path."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return "/live/" in parts.path and any(
        host == h or host.endswith("." + h) for h in settings.guardian_hosts
    )


def dcr_url(url: str) -> str:
    """The DCR JSON URL of a Guardian page URL (keeping a `page=` query)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith(".json") else parts.path.rstrip("/") + ".json"
    query = "dcr=true" + (f"&{parts.query}" if parts.query else "")
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def rebase(link: str, fetched: str) -> str:
    """A page link moved onto the host we fetched from.

    Pages name their canonical host; a blog fetched from a mirror (or a test server) must
    keep walking the mirror, never jump to a host the user did not ask for.
    """
    target = urlsplit(urljoin(fetched, link))
    origin = urlsplit(fetched)
    return urlunsplit((origin.scheme, origin.netloc, target.path, target.query, ""))


def page_url(url: str) -> str:
    """The HTML page URL behind a DCR JSON URL (for naming the blog)."""
    parts = urlsplit(url)
    path = parts.path[: -len(".json")] if parts.path.endswith(".json") else parts.path
    query = "&".join(q for q in parts.query.split("&") if q and q != "dcr=true")
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


@dataclass
class _Walk:
    blogs: list[LiveBlog] = field(default_factory=list)
    fetches: list[tuple[Any, bytes]] = field(default_factory=list)
    complete: bool = False
    not_modified: bool = False


def _conditional_headers(archive: Archive, url: str) -> dict[str, str]:
    last = archive.last_fetch(url)
    headers = {}
    if last and last.get("etag"):
        headers["If-None-Match"] = last["etag"]
    if last and last.get("last_modified"):
        headers["If-Modified-Since"] = last["last_modified"]
    return headers


def _fetch_page(
    client: httpx.Client,
    url: str,
    settings: Settings,
    gate: HostGate,
    archive: Archive,
    *,
    conditional: bool,
    sleep: Callable[[float], None],
) -> tuple[Page, LiveBlog | None]:
    """One page, parsed: (page, blog), or (page, None) for 304 Not Modified."""
    from liveblog_cli.parse import parse_page

    headers = _conditional_headers(archive, url) if conditional else {}
    page = get(client, url, settings, gate, headers=headers, sleep=sleep)
    if page.status == 304:
        return page, None
    blog = parse_page(page.body, page_url(page.final_url), charset=page.charset)
    return page, blog


def fetch_blog(
    url: str,
    archive: Archive,
    client: httpx.Client,
    settings: Settings,
    gate: HostGate,
    *,
    save_lock: threading.Lock | None = None,
    on_page: Callable[[str, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> BlogResult:
    """Fetch, parse and archive one blog. Never raises LiveblogError: it is in the result."""
    from liveblog_cli.archive import FetchInfo

    result = BlogResult(url=url)
    try:
        walk = _walk(url, archive, client, settings, gate, result, on_page, sleep)
        if walk.not_modified:
            result.not_modified = True
            return result
        blog = _combine(walk.blogs)
        result.blog_id = blog.id
        result.blog = blog
        fetches = [
            (
                FetchInfo(url=p.url, status=p.status, etag=p.etag, last_modified=p.last_modified),
                p.body,
            )
            for p in walk.fetches
        ]
        with save_lock or threading.Lock():
            result.report = archive.save(blog, fetches=fetches, complete=walk.complete)
    except LiveblogError as exc:
        result.error = exc
    return result


def _walk(
    url: str,
    archive: Archive,
    client: httpx.Client,
    settings: Settings,
    gate: HostGate,
    result: BlogResult,
    on_page: Callable[[str, int], None] | None,
    sleep: Callable[[float], None],
) -> _Walk:
    walk = _Walk()
    guardian = is_guardian(url, settings)
    first_url = dcr_url(url) if guardian else url
    try:
        page, blog = _fetch_page(
            client, first_url, settings, gate, archive, conditional=True, sleep=sleep
        )
    except (FetchError, ParseError) as exc:
        if not guardian or isinstance(exc, RateLimited):
            raise
        # The JSON endpoint failed: the HTML page carries the same blocks.
        first_url = url
        page, blog = _fetch_page(
            client, url, settings, gate, archive, conditional=True, sleep=sleep
        )
    result.pages = 1
    if on_page:
        on_page(url, 1)
    if blog is None:
        walk.not_modified = True
        return walk
    result.blog_id = blog.id
    known_blog = archive.has_blog(blog.id)
    walk.blogs.append(blog)
    walk.fetches.append(page)
    current, current_url = blog, page.final_url
    using_dcr = guardian and first_url != url
    visited = {first_url}
    while True:
        older = current.pages.get("older")
        if not older:
            # Walked to the oldest page: the whole blog, if there was more than one page or
            # the one page says it is all there is.
            walk.complete = len(walk.blogs) > 1 or blog.complete
            break
        if settings.max_pages is not None and len(walk.blogs) >= settings.max_pages:
            break
        # Incremental: once a page shows posts we already hold, older pages hold nothing new.
        if known_blog and archive.known_block_ids(current.id, _body(current)):
            break
        if guardian:
            next_url = rebase(older, url)
            next_url = dcr_url(next_url) if using_dcr else next_url
        else:
            next_url = rebase(older, current_url)
        if next_url in visited:
            break  # the site's links go round in a circle
        visited.add(next_url)
        page, nxt = _fetch_page(
            client, next_url, settings, gate, archive, conditional=False, sleep=sleep
        )
        if nxt is None or nxt.id != blog.id:
            break
        result.pages += 1
        if on_page:
            on_page(url, result.pages)
        walk.blogs.append(nxt)
        walk.fetches.append(page)
        current, current_url = nxt, page.final_url
    return walk


def _body(blog: LiveBlog) -> list[str]:
    return blog.body_ids if blog.body_ids is not None else [b.id for b in blog.blocks]


def _combine(blogs: list[LiveBlog]) -> LiveBlog:
    """Pages of one blog as one LiveBlog: metadata of the newest page, every block once."""
    first = blogs[0]
    if len(blogs) == 1:
        return first
    blocks = merge_blocks([b for blog in blogs for b in blog.blocks])
    body: list[str] = []
    for blog in blogs:
        body += _body(blog)
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


def fetch_many(
    urls: list[str],
    archive: Archive,
    settings: Settings,
    *,
    client: httpx.Client | None = None,
    on_page: Callable[[str, int], None] | None = None,
    workers: int | None = None,
) -> list[BlogResult]:
    """Fetch several blogs concurrently (polite per host); results in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    own = client is None
    client = client or make_client(settings)
    gate = HostGate(settings.host_delay)
    save_lock = threading.Lock()
    try:
        if len(urls) == 1:
            return [
                fetch_blog(
                    urls[0], archive, client, settings, gate, save_lock=save_lock, on_page=on_page
                )
            ]
        hosts = len({urlsplit(u).netloc for u in urls})
        with ThreadPoolExecutor(max_workers=workers or min(8, hosts, len(urls))) as pool:
            futures = [
                pool.submit(
                    fetch_blog,
                    u,
                    archive,
                    client,
                    settings,
                    gate,
                    save_lock=save_lock,
                    on_page=on_page,
                )
                for u in urls
            ]
            return [f.result() for f in futures]
    finally:
        if own:
            client.close()


def env_hosts() -> tuple[str, ...]:
    """Guardian hosts, extendable with LIVEBLOG_GUARDIAN_HOSTS (mirrors, test servers)."""
    extra = os.environ.get("LIVEBLOG_GUARDIAN_HOSTS", "")
    return GUARDIAN_HOSTS + tuple(h.strip() for h in extra.split(",") if h.strip())


__all__ = ["BlogResult", "FetchError", "RateLimited", "Settings", "fetch_many"]
