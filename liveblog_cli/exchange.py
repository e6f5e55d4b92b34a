"""One HTTP exchange as it crossed the wire: what a web archive (WARC) keeps of a fetch.

A plain record shared by the HTTP layer (which makes them) and the archive (which keeps
them, and writes and reads them as WARC); it knows neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


__all__ = ["Exchange"]
