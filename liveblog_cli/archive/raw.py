"""What was read, kept as it came: pages (snapshots, compressed, deduplicated by hash,
as deltas against a reference page), every request and response of a poll (exchanges),
and the reads that replay them (reparse, WARC export, conditional requests).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from liveblog_cli.archive.database import Database
from liveblog_cli.errors import ArchiveError
from liveblog_cli.exchange import Exchange, kept_headers
from liveblog_cli.model import iso_z


class Raw(Database):
    """Raw pages and exchanges: written with each save, read by replays."""

    def _save_exchanges(self, fetch_id: int, exchanges: list[Exchange]) -> None:
        """Each request and response of a poll, in order; payloads by hash in `snapshots`
        (a payload sent uncompressed is the page's own snapshot: stored once)."""
        for seq, ex in enumerate(exchanges):
            digest = self._save_snapshot(ex.payload, iso_z(ex.at)) if ex.payload else None
            self.conn.execute(
                "INSERT INTO exchanges (fetch_id, seq, url, method, request_headers, status, "
                "reason, http_version, response_headers, payload_hash, payload_size, at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    fetch_id,
                    seq,
                    ex.url,
                    ex.method,
                    json.dumps(kept_headers(ex.request_headers), ensure_ascii=False),
                    ex.status,
                    ex.reason,
                    ex.http_version,
                    json.dumps(kept_headers(ex.response_headers), ensure_ascii=False),
                    digest,
                    len(ex.payload),
                    _exact(ex.at),
                ],
            )

    def _save_snapshot(self, raw: bytes, moment: str | None, key: str | None = None) -> str:
        """A page's bytes, kept once by hash (a page already kept costs one lookup and no
        compression); as a delta against the reference page of `key` (the same blog and
        address) where that is much smaller, else whole, as the new reference."""
        digest = hashlib.sha256(raw).hexdigest()
        if self.has_snapshot(digest):
            return digest
        reference = None
        if key is not None:
            row = self.conn.execute("SELECT hash FROM page_refs WHERE key = ?", [key]).fetchone()
            if row is not None:
                ref_bytes = self.packer.remembered(row[0])
                if ref_bytes is None:
                    # Read once, kept at hand: every later poll of a `follow` is compressed
                    # against it (a reference is a whole page, one decompression).
                    ref_bytes = self.snapshot(row[0])
                    if ref_bytes is not None:
                        self.packer.remember(row[0], ref_bytes)
                reference = (row[0], ref_bytes) if ref_bytes is not None else None
        codec, stored = self.packer.pack_page(raw, reference)
        self.conn.execute(
            "INSERT INTO snapshots (hash, size, compressed, first_seen_at, codec, ref) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (hash) DO NOTHING",
            [
                digest,
                len(raw),
                stored,
                moment,
                codec,
                reference[0] if reference is not None and codec == "zstd-ref" else None,
            ],
        )
        if key is not None and codec == "zstd":
            self.conn.execute(
                "INSERT INTO page_refs (key, hash) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET hash = excluded.hash",
                [key, digest],
            )
            self.packer.remember(digest, raw)
        return digest

    def has_snapshot(self, digest: str) -> bool:
        return self._one("SELECT 1 FROM snapshots WHERE hash = ?", [digest]) is not None

    def snapshot(self, digest: str) -> bytes | None:
        """A kept page's bytes (at most two decompressions: a delta and its reference)."""
        row = self._one("SELECT compressed, codec, ref FROM snapshots WHERE hash = ?", [digest])
        if row is None:
            return None
        reference = None
        if row["codec"] == "zstd-ref":
            reference = self.packer.remembered(row["ref"])
            if reference is None:
                ref = self._one(
                    "SELECT compressed, codec FROM snapshots WHERE hash = ?", [row["ref"]]
                )
                if ref is None:
                    raise ArchiveError(f"archive {self.path}: page {digest} lost its reference")
                reference = self.packer.unpack_page(ref["codec"], ref["compressed"], None)
                self.packer.remember(row["ref"], reference)
        return self.packer.unpack_page(row["codec"], row["compressed"], reference)

    def captures(self, blog_ids: list[str]) -> Iterator[dict[str, Any]]:
        """Every exchange kept for these blogs, oldest fetch first (what a WARC holds).

        `kind` is "exchange" (a request and its response as they crossed the wire), "page"
        (a page fetched before exchanges were kept: its bytes with the headers that were
        recorded) or "resource" (a file saved with `parse --save`).
        """
        if not blog_ids:
            return
        marks = ",".join("?" * len(blog_ids))
        fetches = self._rows(
            "SELECT f.id, f.blog_id, f.url, f.page_url, f.fetched_at, f.status, f.etag, "
            "f.last_modified, f.charset, f.snapshot_hash, f.kind, b.url AS blog_url, "
            "(SELECT count(*) FROM exchanges e WHERE e.fetch_id = f.id) AS exchanges "
            f"FROM fetches f LEFT JOIN blogs b ON b.id = f.blog_id WHERE f.blog_id IN ({marks}) "
            "ORDER BY f.fetched_at, f.id",
            list(blog_ids),
        )
        for fetch in [dict(r) for r in fetches]:
            if fetch["exchanges"]:
                for ex in self._rows(
                    "SELECT * FROM exchanges WHERE fetch_id = ? ORDER BY seq", [fetch["id"]]
                ):
                    row = dict(ex)
                    yield {
                        "kind": "exchange",
                        "url": row["url"],
                        "method": row["method"],
                        "request_headers": [tuple(h) for h in json.loads(row["request_headers"])],
                        "status": row["status"],
                        "reason": row["reason"],
                        "http_version": row["http_version"],
                        "response_headers": [tuple(h) for h in json.loads(row["response_headers"])],
                        "payload": self.snapshot(row["payload_hash"])
                        if row["payload_hash"]
                        else b"",
                        "at": row["at"],
                    }
                continue
            if not fetch["snapshot_hash"]:
                continue  # a poll that brought nothing (a timeout, a refused connection)
            body = self.snapshot(fetch["snapshot_hash"]) or b""
            url = fetch["url"] or fetch["page_url"] or fetch["blog_url"]
            if fetch["kind"] == "file" or not url or "://" not in url:
                yield {
                    "kind": "resource",
                    "url": url
                    if url and "://" in url
                    else f"urn:liveblog:file:{fetch['snapshot_hash']}",
                    "payload": body,
                    "at": fetch["fetched_at"],
                }
                continue
            kind = "application/json" if body.lstrip()[:1] in (b"{", b"[") else "text/html"
            if fetch["charset"]:
                kind += f"; charset={fetch['charset']}"
            headers = [("Content-Type", kind), ("Content-Length", str(len(body)))]
            if fetch["etag"]:
                headers.append(("ETag", fetch["etag"]))
            if fetch["last_modified"]:
                headers.append(("Last-Modified", fetch["last_modified"]))
            yield {
                "kind": "page",
                "url": url,
                "method": "GET",
                "request_headers": None,  # not recorded then
                "status": fetch["status"] or 200,
                "reason": "OK",
                "http_version": "HTTP/1.1",
                "response_headers": headers,
                "payload": body,
                "at": fetch["fetched_at"],
            }

    def page_list(self, blog_ids: list[str]) -> list[dict[str, Any]]:
        """What a WACZ's pages list may name for each blog: `urls`, best first, are its
        canonical URL, then its front page as last read (the page people read, then the
        address asked: the Guardian's JSON), then the newest page fetched; with its title.

        The front page is a page read whose own URL is the canonical one, host aside (a
        Guardian blog served from a mirror names itself by theguardian.com); failing that,
        the first page the blog was ever read from (a walk starts at the address given)."""
        pages = []
        for blog_id in blog_ids:
            blog = self._one("SELECT url, title FROM blogs WHERE id = ?", [blog_id])
            if blog is None:
                continue
            read = "WHERE blog_id = ? AND snapshot_hash IS NOT NULL AND url LIKE 'http%'"
            newest = self._one(
                f"SELECT url FROM fetches {read} ORDER BY id DESC LIMIT 1", [blog_id]
            )
            if newest is None:
                continue
            canonical = blog["url"] or ""
            front = None
            if canonical:
                wanted = _where_on_host(canonical)
                for row in self._rows(
                    f"SELECT url, page_url FROM fetches {read} ORDER BY id DESC", [blog_id]
                ):
                    if _where_on_host(row["page_url"] or row["url"]) == wanted:
                        front = row
                        break
            if front is None:
                front = self._one(
                    f"SELECT url, page_url FROM fetches {read} ORDER BY id LIMIT 1", [blog_id]
                )
            urls = [canonical, front["page_url"], front["url"], newest["url"]] if front else []
            pages.append(
                {
                    "blog_id": blog_id,
                    "title": blog["title"],
                    "urls": list(dict.fromkeys(u for u in urls if u and "://" in u)),
                }
            )
        return pages

    def pages_read(self, blog_id: str) -> list[dict[str, Any]]:
        """Every page of a blog kept as a snapshot, oldest walk first, with what its walk
        came to (`complete`: 1 it read the whole blog, 0 it did not, None unrecorded)."""
        return [
            dict(r)
            for r in self._rows(
                "SELECT f.id, f.url, f.page_url, f.charset, f.fetched_at, f.snapshot_hash, "
                "f.kind, f.walk_id, w.complete FROM fetches f "
                "LEFT JOIN walks w ON w.id = f.walk_id "
                "WHERE f.blog_id = ? AND f.snapshot_hash IS NOT NULL ORDER BY f.id",
                [blog_id],
            )
        ]

    def has_capture(self, url: str | None, fetched_at: str, digest: str) -> bool:
        """Whether this page was kept already as read from `url` at that moment (the same
        web archive imported again)."""
        return (
            self._one(
                "SELECT 1 FROM fetches WHERE url IS ? AND fetched_at = ? AND snapshot_hash = ?",
                [url, fetched_at, digest],
            )
            is not None
        )

    def last_fetch(self, url: str) -> dict[str, Any] | None:
        """The newest fetch of a URL that brought a page, for conditional requests."""
        return self._one(
            "SELECT * FROM fetches WHERE url = ? AND error IS NULL AND snapshot_hash IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            [url],
        )

    def blog_for_url(self, url: str) -> str | None:
        """The blog a URL was last fetched for (so a failed poll of it is logged to it)."""
        row = self._one(
            "SELECT blog_id FROM fetches WHERE url = ? AND blog_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            [url],
        )
        return row["blog_id"] if row else None

    def walk_next(self, blog_id: str) -> str | None:
        """Where this blog's unfinished walk resumes, if one stopped part way."""
        row = self._one("SELECT walk_next FROM blogs WHERE id = ?", [blog_id])
        return row["walk_next"] if row else None


def _where_on_host(url: str) -> tuple[str, str]:
    """A URL's path (no trailing slash) and query: the page it names on its host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path.rstrip("/"), parts.query


def _exact(moment: datetime) -> str:
    """A time to the microsecond, in UTC with `Z` (WARC-Date may carry fractions)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
