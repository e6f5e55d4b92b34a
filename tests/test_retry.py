"""Retry logic in-process (httpx.MockTransport): which failures retry, and how long we wait."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from liveblog_cli.errors import FetchError, RateLimited
from liveblog_cli.fetch import Fetcher, Settings
from liveblog_cli.fetch import retry_after as parse_retry_after


def transport_for(
    responses: list[httpx.Response | Exception],
) -> tuple[httpx.MockTransport, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        item = responses[min(len(seen) - 1, len(responses) - 1)]
        if isinstance(item, Exception):
            raise item
        # A fresh response each time: a response's body can be streamed once.
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)

    return httpx.MockTransport(handler), seen


def run(responses: list[httpx.Response | Exception], **settings: object):  # type: ignore[no-untyped-def]
    transport, seen = transport_for(responses)
    sleeps: list[float] = []
    conf = Settings(host_delay=0, **settings)  # type: ignore[arg-type]
    try:
        with Fetcher(conf, transport=transport, sleep=sleeps.append) as fetcher:
            page = fetcher.get("https://example.org/blog")
    except FetchError as exc:
        return exc, seen, sleeps
    return page, seen, sleeps


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == 30.0
    assert parse_retry_after(formatdate(999_000, usegmt=True), now=1_000_000) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_grows_with_jitter_then_gives_up() -> None:
    error, seen, sleeps = run([httpx.Response(503)], tries=4, backoff=1.0)
    assert isinstance(error, FetchError) and not isinstance(error, RateLimited)
    assert len(seen) == 4 and len(sleeps) == 3
    for attempt, pause in enumerate(sleeps):
        assert 0 <= pause <= 2**attempt  # full jitter within the doubling ceiling


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    page, seen, sleeps = run(
        [
            httpx.Response(429, headers={"Retry-After": "5"}),
            httpx.Response(429, headers={"Retry-After": "999"}),
            httpx.Response(200, content=b"ok"),
        ],
        max_retry_after=60,
    )
    assert page.status == 200 and sleeps == [5.0, 60.0] and len(seen) == 3


def test_connection_errors_and_timeouts_retry() -> None:
    page, seen, _ = run(
        [
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, content=b"ok"),
        ]
    )
    assert page.body == b"ok" and len(seen) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_do_not_retry(status: int) -> None:
    error, seen, sleeps = run([httpx.Response(status)])
    assert isinstance(error, FetchError) and len(seen) == 1 and sleeps == []


def test_304_is_returned_not_raised() -> None:
    page, _, _ = run([httpx.Response(304)])
    assert page.status == 304
