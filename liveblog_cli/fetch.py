"""HTTP, politely and within bounds: one httpx client, retries with backoff, a deadline over
each whole request (headers included), a byte cap after every layer of decompression,
redirects followed by hand (http and https only, no loops), at most one request in flight
per host and a pause between two to the same host, and a stop that is honoured within a
second whatever is waiting.

This module knows HTTP only: not publishers (parse/ says what to ask for) and not the
archive (sync.py decides what a response means and saves it). Every failure is a
`FetchError` with one plain line; no httpx exception leaves this module.
"""

from __future__ import annotations

import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from liveblog_cli import __version__
from liveblog_cli.bounds import MAX_BYTES
from liveblog_cli.errors import DeadlinePassed, FetchError, RateLimited, Retry, Stopped
from liveblog_cli.exchange import Exchange
from liveblog_cli.urls import Address, check_url, redact, split_credentials

if TYPE_CHECKING:
    import httpx

# No address to send site operators to (the project has no page of its own): users who want
# to be reachable say so with --user-agent (README).
DEFAULT_USER_AGENT = f"liveblog/{__version__} (live-blog archiver)"
DEFAULT_MAX_BYTES = MAX_BYTES
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
MAX_ENCODINGS = 2  # Content-Encoding layers we undo; more is a bomb, not a page
SLICE = 0.5  # longest uninterrupted wait on the network, so a stop is seen within it


@dataclass
class Settings:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 90.0  # total seconds for one request, headers and redirects included
    max_bytes: int = DEFAULT_MAX_BYTES
    tries: int = 4
    backoff: float = 1.0  # first retry waits up to this long; doubles each time (with jitter)
    max_retry_after: float = 120.0
    host_delay: float = 1.0  # pause between two requests to the same host


@dataclass
class Page:
    url: str  # the URL asked for, as shown (no credentials, no keys)
    final_url: str  # after redirects, as shown
    status: int
    body: bytes  # decoded: every Content-Encoding undone
    headers: dict[str, str]
    charset: str | None
    at: datetime | None = None  # when the request was sent
    elapsed: float | None = None  # seconds it took, answer included
    exchange: Exchange | None = None  # the final request and response, raw
    redirects: list[Exchange] = field(default_factory=list)  # the hops before it
    # Every exchange of this fetch, retries and redirects included, in the order they came.
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def etag(self) -> str | None:
        return validator(self.headers.get("etag"))

    @property
    def last_modified(self) -> str | None:
        return validator(self.headers.get("last-modified"))


_VALIDATOR = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,1023}")


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified fit to send back: printable ASCII, of sane length.

    A site can send anything; a byte we cannot send back would break every later fetch of
    the URL, so such a validator is not kept (the next request is simply unconditional).
    """
    if value is None:
        return None
    value = value.strip()
    return value if _VALIDATOR.fullmatch(value) else None


# --- the gate ---------------------------------------------------------------------------------


class HostGate:
    """At most one request in flight per host, and a pause between two to the same host.

    `reserve` (host, delay) -> seconds to wait: turns handed out by something shared (the
    archive's schedule, so that workers in other processes and on other machines keep the
    same gap); without it, the gap is kept within this process."""

    def __init__(
        self,
        delay: float,
        sleep: Callable[[float], None] = time.sleep,
        reserve: Callable[[str, float], float] | None = None,
    ) -> None:
        self.delay = delay
        self.sleep = sleep
        self.reserve = reserve
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
        if self.reserve is not None:
            pause = self.reserve(host, self.delay)
            if pause > 0:
                self.sleep(pause)
            return
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
    if value.isascii() and value.isdigit():
        return float(value[:12])  # a number of seconds no caller will wait anyway
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    try:
        return max(0.0, (when - current).total_seconds())
    except OverflowError:
        return None


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            return val.strip().strip("\"'")
    return None


# --- the client -------------------------------------------------------------------------------


class _Deadline(threading.local):
    """When the request under way in this thread must be over, and the stop to watch."""

    at: float | None = None
    stop: threading.Event | None = None


def _waits(clock: _Deadline, timeout: float | None) -> tuple[float, float | None]:
    """(the longest single wait now, the time the caller's own timeout ends)."""
    now = time.monotonic()
    ends = now + timeout if timeout is not None else None
    limits = [SLICE]
    if clock.at is not None:
        limits.append(clock.at - now)
    if ends is not None:
        limits.append(ends - now)
    return max(0.0, min(limits)), ends


def _check(clock: _Deadline) -> None:
    if clock.stop is not None and clock.stop.is_set():
        raise Stopped("stopped")
    if clock.at is not None and time.monotonic() >= clock.at:
        raise DeadlinePassed()


def _transport(clock: _Deadline) -> httpx.BaseTransport:
    """httpx's transport over a network backend that waits in slices: the deadline covers
    the whole request (headers trickled a byte a second included), and a stop is seen."""
    import ssl

    import certifi
    import httpcore
    import httpx

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner: httpcore.NetworkStream) -> None:
            self.inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            while True:
                _check(clock)
                wait, ends = _waits(clock, timeout)
                try:
                    return self.inner.read(max_bytes, wait)
                except httpcore.ReadTimeout:
                    _check(clock)
                    if ends is not None and time.monotonic() >= ends:
                        raise

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            _check(clock)
            remaining = None if clock.at is None else max(0.01, clock.at - time.monotonic())
            limit = min(x for x in (timeout, remaining) if x is not None) if timeout else remaining
            self.inner.write(buffer, limit)

        def close(self) -> None:
            self.inner.close()

        def start_tls(
            self,
            ssl_context: ssl.SSLContext,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> httpcore.NetworkStream:
            _check(clock)
            return Stream(self.inner.start_tls(ssl_context, server_hostname, timeout))

        def get_extra_info(self, info: str) -> Any:
            return self.inner.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self.inner = httpcore.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.NetworkStream:
            _check(clock)
            if clock.at is not None:
                left = max(0.01, clock.at - time.monotonic())
                timeout = left if timeout is None else min(timeout, left)
            return Stream(
                self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
            )

        def sleep(self, seconds: float) -> None:
            self.inner.sleep(seconds)

    class Body(httpx.SyncByteStream):
        """A response body read from httpcore, its failures said as httpx's."""

        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def __iter__(self) -> Iterator[bytes]:
            with _as_httpx_errors():
                yield from self.stream

        def close(self) -> None:
            with _as_httpx_errors():
                self.stream.close()

    class Transport(httpx.BaseTransport):
        """httpx's transport contract over an httpcore pool of our own (both public APIs),
        so the pool can use the slicing network backend above."""

        def __init__(self) -> None:
            # One TLS context for the run (loading the CA bundle is 50 ms of CPU).
            context = ssl.create_default_context(cafile=certifi.where())
            self.pool = httpcore.ConnectionPool(
                ssl_context=context,
                max_connections=100,
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=Backend(),
            )

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            asked = httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
            with _as_httpx_errors():
                answer = self.pool.handle_request(asked)
            return httpx.Response(
                status_code=answer.status,
                headers=answer.headers,
                stream=Body(answer.stream),
                extensions=answer.extensions,
            )

        def close(self) -> None:
            self.pool.close()

    return Transport()


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as the httpx ones of the same name (what the client raises
    from its own transport), the original kept as the cause."""
    import httpcore
    import httpx

    try:
        yield
    except httpcore.TimeoutException as exc:
        raise getattr(httpx, type(exc).__name__, httpx.TimeoutException)(str(exc)) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as exc:
        raise getattr(httpx, type(exc).__name__, httpx.TransportError)(str(exc)) from exc
    except httpcore.UnsupportedProtocol as exc:
        raise httpx.UnsupportedProtocol(str(exc)) from exc


class Fetcher:
    """One HTTP client for a whole run, with its settings, its per-host gate, the sleep it
    waits with (injectable, so tests of retries need not wait) and the stop it watches."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
        reserve: Callable[[str, float], float] | None = None,
    ) -> None:
        import httpx

        self.settings = settings or Settings()
        self.stop = stop or threading.Event()
        self.sleep = sleep or self._pause
        self.gate = HostGate(self.settings.host_delay, self.sleep, reserve)
        self._clock = _Deadline()
        self.client = httpx.Client(
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(
                self.settings.read_timeout, connect=self.settings.connect_timeout
            ),
            follow_redirects=False,
            transport=transport or _transport(self._clock),
            trust_env=False,
            event_hooks={"response": [_hold_location]},
        )

    def _pause(self, seconds: float) -> None:
        """Sleep, unless a stop comes first (then the wait is over at once)."""
        if self.stop.wait(seconds):
            raise Stopped("stopped")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str | Address,
        *,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Page:
        """GET with retries (backoff + jitter, Retry-After), a byte cap and a total deadline.

        Returns 2xx and 304 responses; raises FetchError (or RateLimited) otherwise, at once
        for what no retry can mend (4xx, a bad scheme or encoding, a page too large). `auth`
        goes to the address's own host only (as do credentials written in a URL string).
        """
        address = Address.of(url) if isinstance(url, str) else url
        if auth is not None:
            address = Address(address.sent, address.shown, auth)
        settings, gate = self.settings, self.gate
        shown, url = address.shown, address.sent
        problem = check_url(url)
        if problem:
            raise FetchError(f"{shown}: {problem}")
        last_problem = "no attempt made"
        last_status: int | None = None
        rate_limited = False
        seen: list[Exchange] = []
        for attempt in range(settings.tries):
            wait: float | None = None
            with gate.lock(url):
                gate.wait_turn(url)
                try:
                    page = self._once(address, headers or {})
                except Retry as exc:
                    last_problem, last_status, rate_limited = str(exc), None, False
                else:
                    seen += page.redirects + ([page.exchange] if page.exchange else [])
                    if page.status < 400 or page.status == 304:
                        page.exchanges = seen
                        return page
                    last_problem = f"HTTP {page.status}"
                    last_status = page.status
                    rate_limited = page.status == 429
                    if page.status not in RETRY_STATUSES:
                        raise FetchError(
                            f"{shown}: HTTP {page.status}", status=page.status, exchanges=seen
                        )
                    wait = retry_after(page.headers.get("retry-after"))
                finally:
                    gate.done(url)
            if attempt + 1 >= settings.tries:
                break
            backoff = random.uniform(0, settings.backoff * 2**attempt)  # full jitter
            delay = min(wait, settings.max_retry_after) if wait is not None else backoff
            self.sleep(delay)
        error = RateLimited if rate_limited else FetchError
        raise error(
            f"{shown}: {last_problem} after {settings.tries} tries",
            status=last_status,
            exchanges=seen,
        )

    def _once(self, address: Address, headers: dict[str, str]) -> Page:
        """One attempt: the request and its redirects, within one deadline. Credentials go
        to the first address's host only, never to a host a redirect names."""
        import httpx

        settings = self.settings
        self._clock.at = time.monotonic() + settings.deadline
        self._clock.stop = self.stop
        sent = datetime.now(UTC)
        started = time.monotonic()
        hops: list[Exchange] = []
        shown = address.shown
        seen = {address.sent}
        current = address
        try:
            while True:
                creds = address.auth if current.host == address.host else None
                page = self._exchange(current, headers, creds)
                location = page.headers.get("location")
                if page.status not in REDIRECTS or not location:
                    break
                assert page.exchange is not None
                hops.append(page.exchange)
                try:
                    target = Address.of(urljoin(current.sent, location.strip()))
                except ValueError:
                    raise FetchError(f"{shown}: redirect to an invalid URL") from None
                if urlsplit(target.sent).scheme.lower() not in ("http", "https"):
                    scheme = urlsplit(target.sent).scheme or "?"
                    raise FetchError(f"{shown}: redirect to a {scheme}: URL, which is not fetched")
                if target.sent in seen:
                    raise FetchError(f"{shown}: redirect loop at {target.shown}")
                if len(hops) >= MAX_REDIRECTS:
                    raise FetchError(f"{shown}: more than {MAX_REDIRECTS} redirects")
                seen.add(target.sent)
                current = target
        except DeadlinePassed:
            raise Retry(f"took longer than {settings.deadline:g} s") from None
        except httpx.TimeoutException:
            raise Retry("timed out") from None
        except httpx.ConnectError as exc:
            if _untrusted(exc):
                # A certificate the system does not trust stays untrusted: no retry mends it.
                raise FetchError(f"{shown}: certificate not trusted ({_plain(exc)})") from None
            raise Retry(f"cannot connect ({_plain(exc)})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise Retry(f"connection broken ({_plain(exc)})") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # httpx.InvalidURL is no HTTPError
            raise FetchError(f"{shown}: {_plain(exc)}") from None
        except (UnicodeError, ValueError) as exc:
            # A header value or URL that cannot be encoded: no retry can mend it.
            raise FetchError(f"{shown}: cannot send the request ({_plain(exc)})") from None
        finally:
            self._clock.at = None
        page.url = shown
        page.at = sent
        page.elapsed = time.monotonic() - started
        page.redirects = hops
        return page

    def _exchange(
        self, address: Address, headers: dict[str, str], auth: tuple[str, str] | None
    ) -> Page:
        """One request and response, body read raw and capped, then decoded within the cap."""
        settings = self.settings
        sent = datetime.now(UTC)
        shown = address.shown
        with self.client.stream("GET", address.sent, headers=headers, auth=auth) as response:
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > settings.max_bytes:
                raise FetchError(
                    f"{shown}: {declared} bytes is more than --max-bytes {settings.max_bytes}"
                )
            encodings = response.headers.get("content-encoding", "")
            if response.is_stream_consumed:
                # A response built in memory (a test's mock transport): httpx has read and
                # decoded it already.
                payload, encodings = response.content, ""
            else:
                payload = _read_capped(response, settings.max_bytes, shown)
            raw = response.extensions.get("liveblog.headers") or response.headers.raw
            raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
            exchange = Exchange(
                url=shown,
                method="GET",
                request_headers=[
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in response.request.headers.raw
                    if k.lower() != b"authorization"
                ],
                status=response.status_code,
                reason=response.reason_phrase,
                http_version=response.http_version,
                response_headers=raw_headers,
                payload=payload,
                at=sent,
            )
            body = b"" if response.status_code in REDIRECTS else payload
            if body and response.status_code != 304:
                body = decode_body(body, encodings, settings.max_bytes, shown)
            return Page(
                url=shown,
                final_url=Address.of(str(response.url)).shown,
                status=response.status_code,
                body=body,
                headers={k.lower(): v for k, v in raw_headers},
                charset=_charset(response.headers.get("content-type")),
                exchange=exchange,
            )


def _read_capped(response: httpx.Response, limit: int, shown: str) -> bytes:
    """The body as sent (Content-Encoding still applied), refused past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > limit:
            raise FetchError(f"{shown}: more than --max-bytes {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _hold_location(response: httpx.Response) -> None:
    """Keep a redirect's Location for us to judge, out of httpx's sight: httpx builds the
    next request from it even when not following, and fails on `data:` or a malformed URL
    before we can say what happened. The headers as received (Location included) are kept
    in `liveblog.headers`, where `_exchange` reads them."""
    response.extensions["liveblog.headers"] = list(response.headers.raw)
    if response.status_code in REDIRECTS and "location" in response.headers:
        del response.headers["location"]


def _untrusted(exc: BaseException) -> bool:
    """Whether a connection failed on the server's certificate (httpx wraps ssl's error)."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _plain(exc: BaseException) -> str:
    """An exception as plain words, never a class name alone."""
    text = " ".join(str(exc).split())
    return text[:200] or "no detail"


def decode_body(data: bytes, encodings: str, limit: int, shown: str) -> bytes:
    """Undo each Content-Encoding layer (last applied first), never producing more than
    `limit` bytes from any layer: a few kilobytes of nested gzip cannot fill memory."""
    layers = [e.strip().lower() for e in encodings.split(",") if e.strip()]
    layers = [e for e in layers if e != "identity"]
    if len(layers) > MAX_ENCODINGS:
        raise FetchError(f"{shown}: {len(layers)} layers of Content-Encoding; refused")
    for name in reversed(layers):
        try:
            if name in ("gzip", "x-gzip"):
                data = _inflate(data, 16 + zlib.MAX_WBITS, limit, shown)
            elif name == "deflate":
                try:
                    data = _inflate(data, zlib.MAX_WBITS, limit, shown)
                except zlib.error:
                    data = _inflate(data, -zlib.MAX_WBITS, limit, shown)  # raw, as some send
            else:
                raise FetchError(f"{shown}: unsupported Content-Encoding {name[:40]!r}")
        except zlib.error as exc:
            raise FetchError(f"{shown}: the compressed body is damaged ({exc})") from None
    return data


def _inflate(data: bytes, wbits: int, limit: int, shown: str) -> bytes:
    out: list[bytes] = []
    size = 0
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits)
        chunk = inflater.decompress(rest, limit + 1 - size)
        while True:
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{shown}: more than --max-bytes {limit} bytes once unpacked")
            out.append(chunk)
            if not inflater.unconsumed_tail:
                break
            chunk = inflater.decompress(inflater.unconsumed_tail, limit + 1 - size)
        if not inflater.eof:
            raise FetchError(f"{shown}: the compressed body is damaged (it ends early)")
        rest = inflater.unused_data
        # gzip allows several members one after another; anything else after one is padding.
        if wbits != 16 + zlib.MAX_WBITS or not rest.startswith(b"\x1f\x8b"):
            break
    return b"".join(out)


__all__ = [
    "Exchange",
    "FetchError",
    "Fetcher",
    "HostGate",
    "Page",
    "RateLimited",
    "Settings",
    "Stopped",
    "check_url",
    "redact",
    "split_credentials",
    "validator",
]
