"""HTTP, politely: one httpx client, retries with backoff, byte caps, a deadline per request,
at most one request in flight per host and a pause between two to the same host.

This module knows HTTP only: not publishers (parse/ says what to ask for) and not the
archive (sync.py decides what a response means and saves it).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from liveblog_cli import __version__
from liveblog_cli.bounds import MAX_BYTES
from liveblog_cli.errors import EXIT_TEMPFAIL, EXIT_UNAVAILABLE, LiveblogError

if TYPE_CHECKING:
    import httpx

DEFAULT_USER_AGENT = f"liveblog/{__version__} (+https://pypi.org/project/liveblog-cli/)"
DEFAULT_MAX_BYTES = MAX_BYTES
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(LiveblogError):
    """The page could not be had: HTTP error after retries, too large, too slow."""

    exit_code = EXIT_UNAVAILABLE

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the last HTTP status, when there was an answer at all


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


@dataclass
class Page:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str]
    charset: str | None
    at: datetime | None = None  # when the request was sent
    elapsed: float | None = None  # seconds it took, answer included

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


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


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils

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


class Fetcher:
    """One HTTP client for a whole run, with its settings, its per-host gate and the sleep
    it waits with (injectable, so tests of retries need not wait)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.settings = settings or Settings()
        self.sleep = sleep
        self.gate = HostGate(self.settings.host_delay, sleep)
        self.client = httpx.Client(
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(
                self.settings.read_timeout, connect=self.settings.connect_timeout
            ),
            follow_redirects=True,
            max_redirects=10,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, headers: dict[str, str] | None = None) -> Page:
        """GET with retries (backoff + jitter, Retry-After), a byte cap and a total deadline.

        Returns 2xx and 304 responses; raises FetchError (or RateLimited) otherwise.
        """
        import httpx

        settings, gate = self.settings, self.gate
        last_problem = "no attempt made"
        last_status: int | None = None
        rate_limited = False
        for attempt in range(settings.tries):
            wait: float | None = None
            with gate.lock(url):
                gate.wait_turn(url)
                try:
                    page = _get_once(self.client, url, settings, headers or {})
                except _TooLarge as exc:
                    raise FetchError(str(exc)) from None
                except (httpx.TransportError, _Deadline) as exc:
                    last_problem = _describe(exc)
                    last_status = None
                    rate_limited = False
                else:
                    if page.status < 400 or page.status == 304:
                        return page
                    last_problem = f"HTTP {page.status}"
                    last_status = page.status
                    rate_limited = page.status == 429
                    if page.status not in RETRY_STATUSES:
                        raise FetchError(f"{url}: HTTP {page.status}", status=page.status)
                    wait = retry_after(page.headers.get("retry-after"))
                finally:
                    gate.done(url)
            if attempt + 1 >= settings.tries:
                break
            backoff = random.uniform(0, settings.backoff * 2**attempt)  # full jitter
            delay = min(wait, settings.max_retry_after) if wait is not None else backoff
            self.sleep(delay)
        error = RateLimited if rate_limited else FetchError
        raise error(f"{url}: {last_problem} after {settings.tries} tries", status=last_status)


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
    sent = datetime.now(UTC)
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
            at=sent,
            elapsed=time.monotonic() - started,
        )


__all__ = ["FetchError", "Fetcher", "HostGate", "Page", "RateLimited", "Settings"]
