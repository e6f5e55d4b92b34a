"""A real HTTP server on 127.0.0.1 for fetch tests, with scripted misbehaviour.

`LiveServer` runs a ThreadingHTTPServer in a thread. Routes map a path (with query) to a
handler returning a `Reply`; a list of replies is served in order (the last one repeats),
which scripts sequences like "429, then 200". `GuardianBlog` serves a growing Guardian
blog the way theguardian.com does: DCR JSON pages at `<path>.json?dcr=true[&page=...]`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    delay: float = 0.0  # before answering
    trickle: float = 0.0  # seconds between 1 KiB chunks of the body
    reset_after: int | None = None  # close the connection after this many body bytes
    etag: bool = False  # add an ETag and answer If-None-Match with 304


Route = Callable[[str, dict[str, str]], "Reply | list[Reply]"]


class LiveServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply | list[Reply] | Route] = {}
        self.requests: list[dict[str, Any]] = []
        self._served: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def hits(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def _pick(self, target: str, headers: dict[str, str]) -> Reply | None:
        path = target.split("?", 1)[0]
        route = self.routes.get(target, self.routes.get(path))
        if route is None:
            return None
        if callable(route):
            route = route(target, headers)
        if isinstance(route, list):
            n = self._served.get(target, 0)
            self._served[target] = n + 1
            return route[min(n, len(route) - 1)]
        return route

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in req.headers.items()}
        self.requests.append({"path": req.path, "headers": headers, "time": time.monotonic()})
        reply = self._pick(req.path, headers) or Reply(404, b"not found")
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        out_headers = dict(reply.headers)
        status = reply.status
        if reply.etag and status == 200:
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            out_headers["ETag"] = tag
            out_headers["Last-Modified"] = formatdate(1700000000, usegmt=True)
            if headers.get("if-none-match") == tag:
                status, body = 304, b""
        if reply.gzip and body:
            body = gzip.compress(body)
            out_headers["Content-Encoding"] = "gzip"
        out_headers.setdefault("Content-Type", "application/octet-stream")
        req.send_response(status)
        for key, value in out_headers.items():
            req.send_header(key, value)
        if reply.reset_after is None:
            req.send_header("Content-Length", str(len(body)))
        else:
            req.send_header("Content-Length", str(len(body) + 1000))
        req.end_headers()
        try:
            if reply.reset_after is not None:
                req.wfile.write(body[: reply.reset_after])
                req.wfile.flush()
                req.close_connection = True
                return
            if reply.trickle:
                for i in range(0, len(body), 1024):
                    req.wfile.write(body[i : i + 1024])
                    req.wfile.flush()
                    time.sleep(reply.trickle)
            else:
                req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class GuardianBlog:
    """A Guardian live blog that can grow and close, served at `<path>.json?dcr=true`."""

    def __init__(
        self,
        path: str,
        blocks: list[dict[str, Any]],
        *,
        per_page: int = 5,
        live: bool = True,
        canonical: str | None = None,
    ) -> None:
        self.path = path
        # Where the page says it lives (the Guardian's address unless a test serves it).
        self.canonical = canonical or "https://www.theguardian.com" + path
        self.blocks = blocks  # newest first, DCR block dicts
        self.per_page = per_page
        self.live = live

    def pages(self) -> list[list[dict[str, Any]]]:
        n = self.per_page
        return [self.blocks[i : i + n] for i in range(0, len(self.blocks), n)] or [[]]

    def doc(self, page_index: int) -> dict[str, Any]:
        pages = self.pages()
        page = pages[page_index]

        def link(i: int) -> str:
            return f"?page=with:block-{pages[i][0]['id']}"

        pagination: dict[str, Any] = {"currentPage": page_index + 1, "totalPages": len(pages)}
        if page_index + 1 < len(pages):
            pagination.update(older=link(page_index + 1), oldest=link(len(pages) - 1))
        if page_index > 0:
            pagination.update(newer=link(page_index - 1), newest=link(0))
        return {
            "headline": "A test blog – live",
            "contentType": "LiveBlog",
            "pageId": self.path.strip("/"),
            "canonicalUrl": self.canonical,
            "webPublicationDate": "2024-05-01T09:00:00.000Z",
            "config": {"isLive": self.live, "isLiveBlog": True},
            "blocks": page,
            "keyEvents": [b for b in self.blocks if b["attributes"]["keyEvent"]][:7],
            "pagination": pagination,
        }

    def route(self, target: str, headers: dict[str, str]) -> Reply:
        query = parse_qs(urlsplit(target).query)
        index = 0
        if "page" in query:
            wanted = query["page"][0].removeprefix("with:block-")
            found = [i for i, p in enumerate(self.pages()) if any(b["id"] == wanted for b in p)]
            if not found:
                return Reply(404, b"no such page")
            index = found[0]
        body = json.dumps(self.doc(index)).encode()
        return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"}, etag=True)


def dcr_block(
    n: int, *, key: bool = False, text: str | None = None, title: str | None = None
) -> dict[str, Any]:
    """A DCR block numbered n (higher n is newer)."""
    t = 1714554000000 + n * 60_000
    body = text or f"Post {n}: something happened."
    block: dict[str, Any] = {
        "id": f"{n:024x}",
        "elements": [
            {
                "_type": "model.dotcomrendering.pageElements.TextBlockElement",
                "html": f"<p>{body}</p>",
                "elementId": f"e{n}",
            }
        ],
        "attributes": {"pinned": False, "keyEvent": key, "summary": False},
        "blockCreatedOn": t,
        "blockFirstPublished": t,
        "blockLastUpdated": t,
        "contributors": [],
    }
    if title:
        block["title"] = title
    return block
