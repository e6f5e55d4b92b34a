"""A raw-socket HTTP server on 127.0.0.1 that misbehaves in ways an HTTP library's server
side cannot: headers trickled a byte at a time, any bytes in any header, bodies of any
shape. Each route returns the exact bytes to send (or a generator of byte chunks with
pauses), so a test states precisely what the hostile site does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Raw:
    """A response as raw bytes: status line and headers, then the body."""

    head: bytes  # "HTTP/1.1 200 OK\r\nHeader: value\r\n..." without the blank line
    body: bytes = b""
    trickle_head: float = 0.0  # seconds between the bytes of the head
    chunks: Iterable[bytes] | None = None  # a body written piece by piece instead

    def wire(self) -> Iterable[tuple[bytes, float]]:
        head = self.head.rstrip(b"\r\n") + b"\r\n\r\n"
        if self.trickle_head:
            for i in range(len(head)):
                yield head[i : i + 1], self.trickle_head
        else:
            yield head, 0.0
        if self.chunks is not None:
            for chunk in self.chunks:
                yield chunk, 0.0
        elif self.body:
            yield self.body, 0.0


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str | bytes] | list[tuple[str, str | bytes]] | None = None,
    *,
    reason: str = "OK",
    length: bool = True,
    trickle_head: float = 0.0,
) -> Raw:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if length:
        items.append(("Content-Length", str(len(body))))
    items.append(("Connection", "close"))
    lines = [f"HTTP/1.1 {status} {reason}".encode()]
    for key, value in items:
        raw = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(key.encode("latin-1") + b": " + raw)
    return Raw(b"\r\n".join(lines), body, trickle_head=trickle_head)


Route = Callable[[str, dict[str, str]], Raw]


@dataclass
class RawServer:
    routes: dict[str, Raw | Route] = field(default_factory=dict)
    requests: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, prefix: str) -> list[dict[str, object]]:
        return [r for r in self.requests if str(r["target"]).startswith(prefix)]

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            target = request_line.split(" ")[1]
            headers = {}
            for line in header_lines:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            self.requests.append({"target": target, "headers": headers, "time": time.monotonic()})
            route = self.routes.get(target) or self.routes.get(target.split("?", 1)[0])
            if route is None:
                reply = response(404, b"not found", reason="Not Found")
            else:
                reply = route(target, headers) if callable(route) else route
            for piece, pause in reply.wire():
                conn.sendall(piece)
                if pause:
                    time.sleep(pause)
        except OSError:
            pass
        finally:
            conn.close()
