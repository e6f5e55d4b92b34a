"""Serve the sample pages on 127.0.0.1 the way their publishers serve them (no network).

Guardian samples (`*.dcr.json`) answer at `/<pageId>.json?dcr=true[&page=with:block-<id>]`,
as theguardian.com does; HTML samples answer at the path of their canonical URL.

    python samples/serve.py            # prints the base URL, serves until Ctrl-C
"""

from __future__ import annotations

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent


def routes() -> dict[str, list[tuple[set[str], bytes, str]]]:
    """path -> [(block ids on that page, body, content type)], page 1 first."""
    table: ClassVar[dict[str, list[tuple[set[str], bytes, str]]]] = {}
    for path in sorted(HERE.glob("*.dcr.json")):
        body = path.read_bytes()
        doc = json.loads(body)
        ids = {b["id"] for b in doc.get("blocks", [])}
        page = doc.get("pagination", {}).get("currentPage", 1)
        entry = (ids, body, "application/json; charset=utf-8")
        pages = table.setdefault(f"/{doc['pageId']}.json", [])
        pages.insert(0, entry) if page == 1 else pages.append(entry)
    for path in sorted(HERE.glob("*.html")):
        body = path.read_bytes()
        m = re.search(rb'<link rel="canonical" href="https?://[^/"]+(/[^"]*)"', body)
        if m:
            table[m.group(1).decode()] = [(set(), body, "text/html; charset=utf-8")]
    return table


class Handler(BaseHTTPRequestHandler):
    table: ClassVar[dict[str, list[tuple[set[str], bytes, str]]]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        pages = self.table.get(parts.path)
        wanted = parse_qs(parts.query).get("page", [""])[0].removeprefix("with:block-")
        found = [p for p in pages or [] if not wanted or wanted in p[0]]
        if not found:
            self.send_error(404)
            return
        _, body, kind = found[0]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start(port: int = 0) -> ThreadingHTTPServer:
    Handler.table = routes()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    server = start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
