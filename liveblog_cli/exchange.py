"""One HTTP exchange as it crossed the wire: what a web archive (WARC) keeps of a fetch,
less the headers that carry sessions and credentials (never stored).

A plain record shared by the HTTP layer (which makes them) and the archive (which keeps
them, and writes and reads them as WARC); it knows neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Headers that carry a session or credentials: never kept (an archive is shared, exported
# and served; a cookie in it is a login lent to whoever reads it).
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2"}
)


def kept_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as an archive keeps them: in order, repeats kept, secrets left out."""
    return [(k, v) for k, v in headers if k.strip().lower() not in SECRET_HEADERS]


@dataclass
class Exchange:
    url: str  # the address asked for (never with credentials or keys)
    method: str
    request_headers: list[tuple[str, str]]  # as sent (no Authorization)
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]  # as received, in order, repeats kept
    payload: bytes  # the body as sent, Content-Encoding still applied
    at: datetime  # when the request was sent


__all__ = ["SECRET_HEADERS", "Exchange", "kept_headers"]
