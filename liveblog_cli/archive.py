"""The SQLite archive: blogs, blocks with every revision, fetches, raw snapshots, full-text search.

All SQL lives here. Writes happen in one `BEGIN IMMEDIATE` transaction per save, so a crash
or a concurrent writer leaves either the previous state or the new one, never a mix.
The schema is created and upgraded by the migrations at the bottom of this file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from liveblog_cli import __version__, schema
from liveblog_cli.errors import AmbiguousBlog, ArchiveBusy, ArchiveError, BlogNotFound, NoArchive
from liveblog_cli.exchange import Exchange
from liveblog_cli.model import (
    Block,
    LiveBlog,
    iso_z,
    richness,
)
from liveblog_cli.store import SEP, Packer, block_dict, body_of

BUSY_TIMEOUT_MS = 30_000
RECENT = 2000  # search ranks the best matches among this many most recent ones


def default_path() -> Path:
    """Where the archive lives unless --db or LIVEBLOG_DB says otherwise."""
    from platformdirs import user_data_path

    return user_data_path("liveblog", appauthor=False) / "archive.db"


def chosen_path(db: Path | None) -> Path:
    """The archive a command works on: `db` (its --db), else LIVEBLOG_DB, else the default."""
    if db is not None:
        return db
    if os.environ.get("LIVEBLOG_DB"):
        return Path(os.environ["LIVEBLOG_DB"])
    return default_path()


def now_utc() -> datetime:
    return datetime.now(UTC)


def _stamp(value: datetime | None) -> str:
    return "" if value is None else repr(value.timestamp())


def content_hash(block: Block) -> str:
    """What identifies one version of a block: everything it says, hashed as one string.

    No JSON encoding on this path: a re-fetch hashes every block it sees, and escaping
    thousands of bodies only to compare them is most of what an unchanged save would cost.
    Fields are joined with U+001E; a missing value is U+001F, so None and "" differ.
    """
    none = "\x1f"
    parts = [
        block.id,
        block.title if block.title is not None else none,
        _stamp(block.created_at),
        _stamp(block.published_at),
        _stamp(block.updated_at),
        "k" if block.key_event else "-",
        "p" if block.pinned else "-",
        "s" if block.summary else "-",
        str(len(block.authors)),
        *block.authors,
        block.text,
        block.html if block.html is not None else none,
        str(len(block.elements)),
    ]
    for e in block.elements:
        parts += [
            e.kind,
            e.text if e.text is not None else none,
            e.html if e.html is not None else none,
            e.url if e.url is not None else none,
            e.caption if e.caption is not None else none,
            e.credit if e.credit is not None else none,
            e.alt if e.alt is not None else none,
            repr(e.extra) if e.extra else "",
        ]
    # Sixteen hex digits: enough to tell one version of a post from the next.
    digest = hashlib.sha256("\x1e".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


@dataclass
class SaveReport:
    """What one save (or one walk of several pages) changed."""

    blog_id: str
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # edits by the publisher, and only those
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    # Rewritten, but not edited: read from another kind of source, or re-read by reparse.
    rewritten: list[str] = field(default_factory=list)
    total: int = 0  # blocks of this blog in the archive now, not counting deleted ones

    def to_dict(self) -> dict[str, Any]:
        return {
            "blog_id": self.blog_id,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "deleted": len(self.deleted),
            "restored": len(self.restored),
            "total": self.total,
        }

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.deleted or self.restored)

    def summary(self) -> str:
        rewritten = f", {len(self.rewritten)} re-read" if self.rewritten else ""
        return (
            f"{self.blog_id}: +{len(self.new)} new, {len(self.updated)} edited, "
            f"{len(self.deleted)} deleted{rewritten}, {self.total} blocks"
        )


@dataclass
class FetchInfo:
    """One read of a page as the fetches table keeps it: a poll's outcome, or a file read."""

    url: str | None = None  # the address asked for (never with credentials or keys)
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    kind: str = "fetch"  # "fetch", "file" (parse --save), "import" (a web archive)
    page_url: str | None = None  # the URL the page was parsed under
    charset: str | None = None  # the charset its response declared
    body: bytes | None = None  # the page itself, kept as a snapshot
    at: datetime | None = None  # when it was read (default: the time of the save)
    elapsed: float | None = None  # seconds the request took
    # The requests and responses as they crossed the wire (kept for WARC export).
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass
class WalkSave:
    """A walk being saved: each page in its own transaction, the last one deciding deletions
    over the span of posts every page of the walk showed."""

    blog_id: str
    cause: str = "first"  # the cause of first sightings: "first", "import" or "reparse"
    kind: str = "fetch"
    report: SaveReport = field(init=False)
    walk_id: int | None = None
    saved: set[str] = field(default_factory=set)  # block ids this walk has written
    low: str | None = None  # the oldest post time the walk's pages showed
    high: str | None = None  # the newest, unless the newest page was read (then: up to now)
    newest_read: bool = False
    time_ordered: bool = True
    pages: int = 0
    source_format: str | None = None  # of the pages saved so far

    def __post_init__(self) -> None:
        self.report = SaveReport(blog_id=self.blog_id)

    def cover(self, blog: LiveBlog) -> None:
        """Widen the span of time the walk has seen by the posts this page shows."""
        self.time_ordered = self.time_ordered and blog.time_ordered
        self.source_format = blog.source_format
        span = _coverage(blog)
        if span is None:
            return
        low, high = span
        self.low = low if self.low is None else min(self.low, low)
        if high is None:
            self.newest_read = True
        elif self.high is None or high > self.high:
            self.high = high

    @property
    def window(self) -> tuple[str, str | None] | None:
        if self.low is None:
            return None
        return self.low, None if self.newest_read else self.high


# A block's content columns beside (blog_id, id): the fields people query, and the rest of
# its JSON compressed in `body` (see store.py).
_BLOCK_COLUMNS = (
    "title",
    "created_at",
    "published_at",
    "updated_at",
    "key_event",
    "pinned",
    "summary",
    "authors",
    "text",
    "body",
)
# Blog metadata that a page lacking it must not blank.
_BLOG_META = (
    "url",
    "title",
    "standfirst",
    "publisher",
    "is_live",
    "published_at",
    "authors",
    "tags",
    "language",
)


class Archive:
    """One archive file. Open it, save parsed blogs into it, query it; close it."""

    def __init__(self, path: str | Path, *, readonly: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if not create and not self.path.exists():
            raise NoArchive(
                f"no archive at {self.path} (`liveblog fetch URL` or `liveblog parse FILE "
                "--save` makes one; --db or LIVEBLOG_DB names another)"
            )
        self.newer: str | None = None  # a migration this version does not know, if any
        self._lock = threading.RLock()
        self._packer: Packer | None = None
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.exists():
                raise ArchiveError(f"no archive at {self.path}")
            # Quoted: a path holding "?" or "#" must not turn into URI parameters.
            location = "file:" + quote(str(self.path.absolute()))
            uri = f"{location}?mode=ro" if readonly else location
            self.conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not readonly:
                self._prepare()
        except sqlite3.Error as exc:
            error = _archive_error(exc, self.path)
            if readonly or not self._read_only_media(error):
                raise error from None
        except OSError as exc:
            if not self.path.is_file():
                raise ArchiveError(
                    f"cannot open archive {self.path}: {exc.strerror or exc}"
                ) from None
            self._read_only_media(ArchiveError(str(exc)))

    def _read_only_media(self, error: ArchiveError) -> bool:
        """An archive on read-only media still reads: reopen it immutable, for reading only.

        (Writes then fail with a clear exit 74.) Only an up-to-date archive can be read so;
        one that needs migrating says why it cannot be opened.
        """
        if not self.path.is_file():
            return False
        text = str(error).lower()
        writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        if "read-only" not in text and "readonly" not in text and writable:
            return False
        with suppress(Exception):
            self.conn.close()
        location = "file:" + quote(str(self.path.absolute()))
        try:
            self.conn = sqlite3.connect(
                f"{location}?mode=ro&immutable=1",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            if schema.pending(self.conn):
                raise ArchiveError(
                    f"archive {self.path} is read-only and needs upgrading by a "
                    "newer liveblog: open it once where it can be written"
                )
        except sqlite3.Error as exc:
            raise _archive_error(exc, self.path) from None
        self.readonly = True
        return True

    def _prepare(self) -> None:
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        newer = schema.unknown_migrations(self.conn)
        if newer:
            # Made by a newer liveblog: its data may mean what this version cannot know.
            self.newer = newer[-1]
            return
        if schema.pending(self.conn):
            with self.transaction():
                schema.apply(self.conn)

    @property
    def packer(self) -> Packer:
        """Compression for this connection (made again if the connection was reopened)."""
        if self._packer is None or self._packer.conn is not self.conn:
            self._packer = Packer(self.conn)
        return self._packer

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken up front so concurrent writers queue instead of fail.

        The lock serializes threads sharing this connection (fetch runs blogs in threads).
        """
        if self.newer:
            raise ArchiveError(
                f"archive {self.path} was made by a newer liveblog (migration {self.newer}): "
                "it can be read, not written; upgrade liveblog"
            )
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _archive_error(exc, self.path) from None
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _archive_error(exc, self.path) from None
                raise

    # --- writing --------------------------------------------------------------------------

    def save(
        self,
        blog: LiveBlog,
        *,
        raw: bytes | None = None,
        fetch: FetchInfo | None = None,
        complete: bool | None = None,
        now: datetime | None = None,
        cause: str = "first",
    ) -> SaveReport:
        """Store one parsed page (or a whole blog) in one transaction: new blocks, new
        revisions of changed ones, deletions.

        `complete` says the parse covered the whole blog (every page); by default, what the
        source said (`blog.complete`). Otherwise only blocks whose time lies within the span
        of posts this page shows are candidates for deletion: a page of the newest 20 posts
        says nothing about post 21.
        """
        info = fetch or FetchInfo(url=blog.url, kind="file")
        if raw is not None:
            info.body = raw
        walk = WalkSave(blog.id, cause=cause, kind=info.kind)
        self.save_page(
            walk,
            blog,
            info,
            last=True,
            complete=blog.complete if complete is None else complete,
            now=now,
        )
        return walk.report

    def save_page(
        self,
        walk: WalkSave,
        blog: LiveBlog,
        fetch: FetchInfo | None,
        *,
        last: bool = False,
        complete: bool = False,
        next_url: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """One page of a walk, in one transaction; the last page also infers deletions over
        the whole walk (every block of the blog when `complete`, else the span of time its
        pages showed) and records how the walk ended. What the page shows was seen when it
        was fetched (`fetch.at`), unless `now` says otherwise."""
        moment = iso_z(now or (fetch.at if fetch else None) or now_utc())
        report = walk.report
        with self.transaction():
            self._start_walk(walk, moment)
            self._save_blog_row(blog, moment)
            fetch_id = self._insert_fetch(fetch, blog, walk, moment) if fetch else None
            self._save_blocks(blog, moment, walk, fetch_id)
            walk.cover(blog)
            walk.pages += 1
            self._explicit_deletions(blog, moment, report)
            if last:
                self._mark_deleted(walk, moment, complete)
                self._end_walk(walk, moment, complete=complete, next_url=next_url, error=None)
            report.total = schema.recount(self.conn, blog.id)
            if report.changed:
                self.conn.execute(
                    "UPDATE blogs SET last_changed_at = ? WHERE id = ?", [moment, blog.id]
                )
            if fetch_id is not None:
                self.conn.execute(
                    "UPDATE fetches SET new = ?, updated = ?, unchanged = ?, deleted = ? "
                    "WHERE id = ?",
                    [
                        len(report.new),
                        len(report.updated),
                        report.unchanged,
                        len(report.deleted),
                        fetch_id,
                    ],
                )

    def end_walk(
        self,
        walk: WalkSave,
        *,
        error: str | None,
        next_url: str | None,
        infer: bool = False,
        now: datetime | None = None,
    ) -> None:
        """A walk that ended after a page saved as not the last: a failure (nothing is
        inferred; it resumes from `next_url` next time), or a link that led elsewhere
        (`infer`: deletions within the span of the pages it read)."""
        moment = iso_z(now or now_utc())
        with self.transaction():
            if walk.walk_id is None:
                return
            if infer:
                self._mark_deleted(walk, moment, complete=False)
                walk.report.total = schema.recount(self.conn, walk.blog_id)
            self._end_walk(walk, moment, complete=False, next_url=next_url, error=error)

    def record_poll(
        self,
        fetch: FetchInfo,
        *,
        blog_id: str | None = None,
        walk: WalkSave | None = None,
        now: datetime | None = None,
    ) -> None:
        """A request that saved no page (304 Not Modified, an error): kept, so the archive can
        say when a blog was last checked and whether that failed."""
        moment = iso_z(now or now_utc())
        with self.transaction():
            fetch_id = self.conn.execute(
                "INSERT INTO fetches (blog_id, url, fetched_at, status, etag, last_modified, "
                "error, kind, elapsed, walk_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    blog_id or (walk.blog_id if walk else None),
                    fetch.url,
                    iso_z(fetch.at) or moment,
                    fetch.status,
                    fetch.etag,
                    fetch.last_modified,
                    fetch.error,
                    fetch.kind,
                    fetch.elapsed,
                    walk.walk_id if walk else None,
                ],
            ).lastrowid
            self._save_exchanges(fetch_id, fetch.exchanges)

    def _start_walk(self, walk: WalkSave, moment: str) -> None:
        if walk.walk_id is None:
            walk.walk_id = self.conn.execute(
                "INSERT INTO walks (blog_id, kind, started_at) VALUES (?,?,?)",
                [walk.blog_id, walk.kind, moment],
            ).lastrowid

    def _end_walk(
        self,
        walk: WalkSave,
        moment: str,
        *,
        complete: bool,
        next_url: str | None,
        error: str | None,
    ) -> None:
        self.conn.execute(
            "UPDATE walks SET finished_at = ?, pages = ?, complete = ?, error = ? WHERE id = ?",
            [moment, walk.pages, int(complete), error, walk.walk_id],
        )
        if walk.kind == "fetch":
            self.conn.execute(
                "UPDATE blogs SET walk_next = ? WHERE id = ?", [next_url, walk.blog_id]
            )

    def _insert_fetch(self, info: FetchInfo, blog: LiveBlog, walk: WalkSave, moment: str) -> int:
        at = iso_z(info.at) or moment
        key = f"{blog.id} {info.url or blog.url}"
        snapshot = self._save_snapshot(info.body, at, key) if info.body is not None else None
        fetch_id = self.conn.execute(
            "INSERT INTO fetches (blog_id, url, fetched_at, status, etag, last_modified, bytes, "
            "snapshot_hash, source_format, error, kind, page_url, charset, walk_id, elapsed) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                blog.id,
                info.url or blog.url,
                at,
                info.status,
                info.etag,
                info.last_modified,
                len(info.body) if info.body is not None else None,
                snapshot,
                blog.source_format,
                info.error,
                info.kind,
                info.page_url,
                info.charset,
                walk.walk_id,
                info.elapsed,
            ],
        ).lastrowid
        self._save_exchanges(fetch_id, info.exchanges)
        return fetch_id

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
                    json.dumps(ex.request_headers, ensure_ascii=False),
                    ex.status,
                    ex.reason,
                    ex.http_version,
                    json.dumps(ex.response_headers, ensure_ascii=False),
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
            "VALUES (?,?,?,?,?,?)",
            [
                digest,
                len(raw),
                stored,
                moment,
                codec,
                reference[0] if codec == "zstd-ref" else None,
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

    def _save_blog_row(self, blog: LiveBlog, moment: str | None) -> None:
        data = blog.to_dict(blocks=False)
        rich = richness(blog.source_format)
        row = {
            "id": blog.id,
            "url": data["url"],
            "title": data["title"],
            "standfirst": data["standfirst"],
            "publisher": data["publisher"],
            "is_live": data["is_live"],
            "published_at": data["published_at"],
            "updated_at": data["updated_at"],
            "authors": json.dumps(data["authors"], ensure_ascii=False),
            "tags": json.dumps(data["tags"], ensure_ascii=False),
            "source_format": data["source_format"],
            "pages": json.dumps(data["pages"], ensure_ascii=False),
            "richness": rich,
            "language": blog.language,
        }
        existing = self.conn.execute(
            f"SELECT {', '.join(_BLOG_META)}, richness FROM blogs WHERE id = ?", [blog.id]
        ).fetchone()
        if existing is None:
            row["first_seen_at"] = moment
            row["last_seen_at"] = moment
            cols = ", ".join(row)
            self.conn.execute(
                f"INSERT INTO blogs ({cols}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            return
        keep = dict(zip(_BLOG_META, existing, strict=False))
        if rich < existing[-1]:
            # A thinner source than the blog was read from: it fills blanks, it never
            # overwrites (its title, byline, flags and links say less, not something new).
            update = {
                k: row[k] for k in keep if keep[k] in (None, "[]") and row[k] not in (None, "[]")
            }
        else:
            # A source as rich: the newest word, but a page that lacks a field does not
            # blank what we know.
            update = {k: v for k, v in row.items() if k != "id"}
            for key, old in keep.items():
                if update[key] in (None, "[]") and old not in (None, "[]"):
                    update[key] = old
            if "newer" in blog.pages:
                # An older page of the blog: its live flag, links and times describe that page.
                for key in ("is_live", "pages", "updated_at"):
                    update.pop(key)
        update["last_seen_at"] = moment
        sets = ", ".join(f"{k} = ?" for k in update)
        self.conn.execute(f"UPDATE blogs SET {sets} WHERE id = ?", [*update.values(), blog.id])

    def _save_blocks(
        self, blog: LiveBlog, moment: str | None, walk: WalkSave, fetch_id: int | None
    ) -> None:
        """Each block once per walk: new ones, changed ones (a revision with its cause), and
        the rule that a thinner source never rewrites what a richer one gave."""
        report = walk.report
        rich = richness(blog.source_format)
        # The state columns come from a covering index: no need to read the wide rows.
        existing = {
            row[0]: row[1:]
            for row in self.conn.execute(
                "SELECT id, content_hash, revision, deleted_at, richness, source_format, edits "
                "FROM blocks INDEXED BY blocks_state WHERE blog_id = ?",
                [blog.id],
            )
        }
        seen: list[str] = []
        writes: list[tuple[Block, str, tuple[Any, ...] | None, str]] = []
        for block in blog.blocks:
            if block.id in walk.saved:
                continue  # met on an earlier page of this walk (a key event listed again)
            walk.saved.add(block.id)
            seen.append(block.id)
            old = existing.get(block.id)
            digest = content_hash(block)
            if old is None:
                writes.append((block, digest, None, walk.cause))
                continue
            _, _, deleted_at, old_rich, old_format, _ = old
            if deleted_at is not None:
                self._restore(blog.id, block.id, moment)
                report.restored.append(block.id)
            if old[0] == digest or rich < old_rich:
                # The same post, or a thinner sighting of it: present, nothing to write.
                if deleted_at is None:
                    report.unchanged += 1
                continue
            if walk.cause == "reparse":
                cause = "reparse"
            elif old_format == blog.source_format:
                cause = "edit"
            else:
                cause = "source"  # another kind of source: a difference, not an edit
            writes.append((block, digest, old, cause))
        # Written in key order: B-tree pages filled in order stay full (newest-first inserts
        # leave the archive's indexes half empty).
        writes.sort(key=lambda w: w[0].id)
        prepared = [
            (b, digest, old, cause, _block_values(b.to_dict())) for b, digest, old, cause in writes
        ]
        # The first save big enough teaches the archive a dictionary for bodies.
        self.packer.train([values[-1] for *_, values in prepared])
        for block, digest, old, cause, values in prepared:
            values[-1] = self.packer.pack(values[-1])
            key = (blog.id, block.id)
            if old is None:
                self.conn.execute(
                    f"INSERT INTO blocks (blog_id, id, {', '.join(_BLOCK_COLUMNS)}, "
                    "content_hash, revision, edits, richness, source_format, first_seen_at, "
                    f"deleted_at) VALUES (?, ?, {', '.join('?' * len(_BLOCK_COLUMNS))}, "
                    "?, 1, 0, ?, ?, ?, NULL)",
                    [*key, *values, digest, rich, blog.source_format, moment],
                )
                self._add_revision(blog, block.id, 1, digest, moment, cause, fetch_id)
                report.new.append(block.id)
                continue
            revision, edits = old[1], old[5] + (cause == "edit")
            self._supersede(blog.id, block.id, revision)
            sets = ", ".join(f"{c} = ?" for c in _BLOCK_COLUMNS)
            self.conn.execute(
                f"UPDATE blocks SET {sets}, content_hash = ?, revision = ?, edits = ?, "
                "richness = ?, source_format = ?, deleted_at = NULL "
                "WHERE blog_id = ? AND id = ?",
                [*values, digest, revision + 1, edits, rich, blog.source_format, *key],
            )
            self._add_revision(blog, block.id, revision + 1, digest, moment, cause, fetch_id)
            (report.updated if cause == "edit" else report.rewritten).append(block.id)
        # When each block was last seen lives in a narrow table: one cheap statement for all.
        self.conn.execute(
            "INSERT INTO block_seen (blog_id, block_id, last_seen_at) "
            "SELECT ?, value, ? FROM json_each(?) WHERE true "
            "ON CONFLICT (blog_id, block_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [blog.id, moment, json.dumps(sorted(seen))],
        )

    def _supersede(self, blog_id: str, block_id: str, revision: int) -> None:
        """The post's current content moves into its revision's row: a newer one replaces it
        in `blocks` (each revision's content is kept once, where it belongs)."""
        self.conn.execute(
            "UPDATE block_revisions SET (title, text, body) = "
            "(SELECT title, text, body FROM blocks WHERE blog_id = ?1 AND id = ?2) "
            "WHERE blog_id = ?1 AND block_id = ?2 AND revision = ?3",
            [blog_id, block_id, revision],
        )

    def _add_revision(
        self,
        blog: LiveBlog,
        block_id: str,
        revision: int,
        digest: str,
        moment: str | None,
        cause: str,
        fetch_id: int | None,
    ) -> None:
        """A revision's record; its content is the post's own while it is the current one."""
        self.conn.execute(
            "INSERT INTO block_revisions (blog_id, block_id, revision, content_hash, seen_at, "
            "cause, source_format, parser_version, fetch_id) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                blog.id,
                block_id,
                revision,
                digest,
                moment,
                cause,
                blog.source_format,
                __version__,
                fetch_id,
            ],
        )

    def _restore(self, blog_id: str, block_id: str, moment: str | None) -> None:
        self.conn.execute(
            "UPDATE blocks SET deleted_at = NULL WHERE blog_id = ? AND id = ?", [blog_id, block_id]
        )
        self.conn.execute(
            "UPDATE deletions SET restored_at = ? WHERE blog_id = ? AND block_id = ? "
            "AND restored_at IS NULL",
            [moment, blog_id, block_id],
        )

    def _delete(self, blog_id: str, block_id: str, moment: str | None) -> None:
        self.conn.execute(
            "UPDATE blocks SET deleted_at = ? WHERE blog_id = ? AND id = ?",
            [moment, blog_id, block_id],
        )
        self.conn.execute(
            "INSERT INTO deletions (blog_id, block_id, deleted_at) VALUES (?,?,?)",
            [blog_id, block_id, moment],
        )

    def _explicit_deletions(self, blog: LiveBlog, moment: str | None, report: SaveReport) -> None:
        """Posts the source itself says were deleted (tombstones): deleted, whatever page."""
        for block_id in dict.fromkeys(blog.deleted_ids):
            row = self.conn.execute(
                "SELECT deleted_at FROM blocks WHERE blog_id = ? AND id = ?", [blog.id, block_id]
            ).fetchone()
            if row is not None and row[0] is None:
                self._delete(blog.id, block_id, moment)
                report.deleted.append(block_id)

    def _mark_deleted(self, walk: WalkSave, moment: str | None, complete: bool) -> None:
        """Mark missing blocks deleted, but only where this walk could have seen them, and
        never from a source thinner than the one that gave the block."""
        if not walk.saved:
            return
        window = None if complete else walk.window
        if not complete and (window is None or not walk.time_ordered):
            return
        rows = self.conn.execute(
            "SELECT id, coalesce(published_at, created_at, updated_at) FROM blocks "
            "WHERE blog_id = ? AND deleted_at IS NULL AND richness <= ?",
            [walk.blog_id, richness(walk.source_format)],
        ).fetchall()
        for block_id, when in rows:
            if block_id in walk.saved:
                continue
            if window is not None:
                low, high = window
                if when is None or when < low or (high is not None and when > high):
                    continue
            self._delete(walk.blog_id, block_id, moment)
            walk.report.deleted.append(block_id)

    # --- reading --------------------------------------------------------------------------

    def count_posts(self, blog_id: str) -> int:
        """The blog's posts in the archive now, deleted ones not counted."""
        row = self._one(
            "SELECT count(*) AS n FROM blocks WHERE blog_id = ? AND deleted_at IS NULL", [blog_id]
        )
        return row["n"] if row else 0

    def has_blog(self, blog_id: str) -> bool:
        return self._one("SELECT 1 FROM blogs WHERE id = ?", [blog_id]) is not None

    def known_block_ids(self, blog_id: str, ids: list[str]) -> set[str]:
        """Which of these block ids the archive already holds for this blog."""
        known: set[str] = set()
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT id FROM blocks WHERE blog_id = ? AND id IN ({marks})"
                known.update(r["id"] for r in self._rows(sql, [blog_id, *chunk]))
        return known

    def blog_ids(self) -> list[tuple[str, str | None]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT id, url FROM blogs ORDER BY id")]

    def resolve(self, ref: str) -> str:
        """A blog id from an id, a URL, an unambiguous prefix of either, or a word of its id
        or title that names one blog (`mars`)."""
        try:
            blogs = [
                (r[0], r[1], r[2])
                for r in self.conn.execute("SELECT id, url, title FROM blogs ORDER BY id")
            ]
        except sqlite3.Error as exc:
            raise _archive_error(exc, self.path) from None
        ref = ref.strip()
        for blog_id, url, _ in blogs:
            if ref in (blog_id, url) or (url and ref.rstrip("/") == url.rstrip("/")):
                return blog_id
        # A URL of the blog with a query or fragment (a page link, a block link).
        bare = ref.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        for blog_id, url, _ in blogs:
            if url and bare == url.split("?", 1)[0].rstrip("/"):
                return blog_id
        matches = [b for b, u, _ in blogs if b.startswith(ref) or (u and u.startswith(ref))]
        if not matches:
            # A word: of the id's path (split at / - _ .) or of the title, any case.
            word = ref.casefold()
            matches = [
                b
                for b, _, title in blogs
                if word in b.casefold().split("/")
                or word in re.split(r"[/\-_.:]+", b.casefold())
                or word in re.findall(r"\w+", (title or "").casefold())
            ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousBlog(ref, matches)
        raise BlogNotFound(f"no archived blog matches {ref!r} (see `liveblog list`)")

    def blog(self, blog_id: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM blogs WHERE id = ?", [blog_id])
        if row is None:
            raise BlogNotFound(f"no archived blog {blog_id!r}")
        return _blog_dict(row)

    def blog_rows(self) -> dict[str, dict[str, Any]]:
        """Every blog's metadata by id (no counts: cheap however large the archive)."""
        return {r["id"]: _blog_dict(r) for r in self._rows("SELECT * FROM blogs", [])}

    def list_blogs(self, *, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """Every blog with its counts, its first and last post, and its polls: when it was
        last checked (`last_fetched_at`, a poll of any outcome), when it last changed, how
        many polls failed in the last 24 hours. Read from the blogs' own rows and two index
        lookups a blog: as quick with a million posts as with ten."""
        since = iso_z(now_utc() - timedelta(days=1))
        sql = """
            SELECT b.*, b.posts AS blocks,
              (SELECT max(fetched_at) FROM fetches f WHERE f.blog_id = b.id) AS last_fetched_at,
              (SELECT count(*) FROM fetches f WHERE f.blog_id = b.id AND f.fetched_at >= ?
                 AND f.error IS NOT NULL) AS failures_24h
            FROM blogs b ORDER BY b.last_post_at DESC, b.id
        """
        blogs = []
        for row in self._rows(sql, [since]):
            blog = _blog_dict(row)
            blog.pop("posts", None)
            blogs.append(blog)
        if as_of is not None:
            for blog in blogs:
                blog.update(self._counts_as_of(blog["id"], as_of))
            moment = iso_z(as_of) or ""
            blogs = [b for b in blogs if (b.get("first_seen_at") or "") <= moment]
        return blogs

    def _counts_as_of(self, blog_id: str, as_of: datetime) -> dict[str, Any]:
        counts = {"blocks": 0, "key_events": 0, "deleted": 0}
        times = []
        for block in self.blocks(blog_id, as_of=as_of):
            if block["deleted_at"]:
                counts["deleted"] += 1
                continue
            counts["blocks"] += 1
            counts["key_events"] += bool(block["key_event"])
            when = (
                block["published_at"]
                or block["created_at"]
                or block["updated_at"]
                or block["first_seen_at"]
            )
            if when:
                times.append(when)
        counts["first_post_at"] = min(times, default=None)
        counts["last_post_at"] = max(times, default=None)
        return counts

    def blocks(
        self, blog_id: str | None, *, as_of: datetime | None = None, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Blocks as export dicts, streamed from the database (memory stays flat).

        Filters (see `_blocks_sql`): since, until, key_events, limit, oldest_first,
        include_deleted. With `as_of`, the blog as it stood then (see `_as_of`).
        """
        if as_of is not None:
            yield from self._as_of(blog_id, as_of, **filters)
            return
        sql, params = self._blocks_sql(blog_id, **filters)
        for row in self._rows(sql, params):
            yield self._row_dict(row)

    def _row_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        """A stored post as the export shape: its JSON, with its blog first and the
        archive's bookkeeping after."""
        data = block_dict(row["id"], row["title"], row["text"], self.packer.unpack(row["body"]))
        return {
            "blog_id": row["blog_id"],
            **data,
            "revision": row["revision"],
            "edits": row["edits"] or 0,
            "first_seen_at": row["first_seen_at"],
            "last_seen_at": row["last_seen_at"],
            "deleted_at": row["deleted_at"],
        }

    def newest_update(self, blog_id: str | None, **filters: Any) -> str | None:
        """The newest time among these blocks (updated, else published, else last seen): an
        Atom feed's `<updated>`, found before its entries are streamed."""
        if filters.get("as_of") is None:
            # Over the blocks the feed holds (its --limit too), as the as-of path counts them.
            filters = {k: v for k, v in filters.items() if k != "as_of"}
            sql, params = self._blocks_sql(
                blog_id, columns="b.updated_at, b.published_at, s.last_seen_at", **filters
            )
            row = self.conn.execute(
                f"SELECT max(coalesce(updated_at, published_at, last_seen_at)) FROM ({sql})",
                params,
            ).fetchone()
            return row[0] if row else None
        newest = None
        for block in self.blocks(blog_id, **filters):
            when = block["updated_at"] or block["published_at"] or block["last_seen_at"]
            if when and (newest is None or when > newest):
                newest = when
        return newest

    def _as_of(
        self,
        blog_id: str | None,
        as_of: datetime,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        key_events: bool = False,
        limit: int | None = None,
        oldest_first: bool = False,
        include_deleted: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """The posts that existed at `as_of`, each in the revision current then; none that
        appeared later; deletions as they stood then (a post deleted later is shown whole).

        Read whole and sorted here: the revision current then holds the times to sort by.
        """
        moment = iso_z(as_of) or ""
        where = "r.seen_at <= ?1" + (" AND r.blog_id = ?2" if blog_id is not None else "")
        params: list[Any] = [moment] + ([blog_id] if blog_id is not None else [])
        # A revision's content is in its row once superseded, in the post's row while current.
        content = "CASE WHEN c.revision = b.revision THEN b.{0} ELSE r.{0} END AS {0}".format
        sql = (
            "WITH c AS (SELECT r.blog_id, r.block_id, max(r.revision) AS revision "
            f"FROM block_revisions r WHERE {where} GROUP BY r.blog_id, r.block_id) "
            f"SELECT c.blog_id, c.block_id AS id, c.revision, {content('title')}, "
            f"{content('text')}, {content('body')}, b.first_seen_at, b.rowid, "
            "CASE WHEN s.last_seen_at <= ?1 THEN s.last_seen_at END AS last_seen_at, "
            "(SELECT count(*) FROM block_revisions e WHERE e.blog_id = c.blog_id "
            "AND e.block_id = c.block_id AND e.revision <= c.revision AND e.cause = 'edit') "
            "AS edits, "
            "(SELECT max(d.deleted_at) FROM deletions d WHERE d.blog_id = c.blog_id "
            "AND d.block_id = c.block_id AND d.deleted_at <= ?1 "
            "AND (d.restored_at IS NULL OR d.restored_at > ?1)) AS deleted_at "
            "FROM c JOIN block_revisions r ON r.blog_id = c.blog_id AND r.block_id = c.block_id "
            "AND r.revision = c.revision "
            "JOIN blocks b ON b.blog_id = c.blog_id AND b.id = c.block_id "
            "LEFT JOIN block_seen s ON s.blog_id = c.blog_id AND s.block_id = c.block_id"
        )
        low, high = iso_z(since), iso_z(until)
        found = []
        for row in self._rows(sql, params):
            post = self._row_dict(row)
            when = (
                post["published_at"]
                or post["created_at"]
                or post["updated_at"]
                or post["first_seen_at"]
                or ""
            )
            if (low and when < low) or (high and when > high):
                continue
            if (key_events and not post["key_event"]) or (
                not include_deleted and post["deleted_at"]
            ):
                continue
            found.append(((post["blog_id"], when, row["rowid"]), post))
        found.sort(key=lambda item: item[0], reverse=not oldest_first)
        for _, post in found[:limit]:
            yield post

    def blocks_jsonl(self, blog_id: str | None, **filters: Any) -> Iterator[bytes]:
        """The same rows as `blocks()`, as JSON lines of UTF-8 bytes, never decoded.

        SQLite quotes the text a publisher wrote (id, title, text) as JSON; a post's body
        holds the rest of its JSON as text already; times are ours, ISO strings that need no
        escaping, and one blog's id is quoted once: each line is those pieces put together
        (the export's hot path, a few microseconds a post).
        """
        quote = "CAST(json_quote({}) AS BLOB)".format
        raw = "CAST({} AS BLOB)".format
        columns = ", ".join(
            ["b.blog_id"]
            + [quote(c) for c in ("b.id", "b.title", "coalesce(b.text, '')")]
            + ["b.body", "b.revision", "coalesce(b.edits, 0)"]
            + [raw(c) for c in ("b.first_seen_at", "s.last_seen_at", "b.deleted_at")]
        )
        sql, params = self._blocks_sql(blog_id, columns=columns, **filters)
        unpack, when = self.packer.unpack, json_quote_bytes
        blogs: dict[str, bytes] = {}
        try:
            cursor = self.conn.execute(sql, params)
            while batch := cursor.fetchmany(1000):
                for blog, ident, title, text, body, revision, edits, first, last, gone in batch:
                    quoted = blogs.get(blog)
                    if quoted is None:
                        quoted = blogs[blog] = b'{"blog_id":' + json_quote_bytes(blog)
                    head, _, rest = unpack(body).partition(SEP)
                    yield b"".join(
                        (
                            quoted,
                            b',"id":',
                            ident,
                            b',"title":',
                            title,
                            b",",
                            head,
                            b',"text":',
                            text,
                            b",",
                            rest,
                            b',"revision":%d,"edits":%d,"first_seen_at":%s,"last_seen_at":%s'
                            b',"deleted_at":%s}'
                            % (
                                revision,
                                edits,
                                when(first),
                                when(last),
                                when(gone),
                            ),
                        )
                    )
        except sqlite3.Error as exc:
            raise _archive_error(exc, self.path) from None

    def _blocks_sql(
        self,
        blog_id: str | None,
        *,
        columns: str = "b.*, s.last_seen_at",  # b.* holds the body (see _row_dict)
        since: datetime | None = None,
        until: datetime | None = None,
        key_events: bool = False,
        limit: int | None = None,
        oldest_first: bool = False,
        include_deleted: bool = True,
    ) -> tuple[str, list[Any]]:
        where, params = [], []
        if blog_id is not None:
            where.append("b.blog_id = ?")
            params.append(blog_id)
        when = "coalesce(b.published_at, b.created_at, b.updated_at, b.first_seen_at)"
        if since is not None:
            where.append(f"{when} >= ?")
            params.append(iso_z(since))
        if until is not None:
            where.append(f"{when} <= ?")
            params.append(iso_z(until))
        if key_events:
            where.append("b.key_event = 1")  # as the key events' index says it
        if not include_deleted:
            where.append("b.deleted_at IS NULL")
        order = "ASC" if oldest_first else "DESC"
        sql = (
            f"SELECT {columns} FROM blocks b LEFT JOIN block_seen s "
            "ON s.blog_id = b.blog_id AND s.block_id = b.id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} "
            f"ORDER BY b.blog_id {order}, {when} {order}, b.rowid {order}"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return sql, params

    def search(
        self, query: str, *, blog_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Full-text search over post titles and text: the best matches among the most
        recent posts that match (RECENT of them), with snippets.

        `query` is in liveblog's search syntax (words, "phrases", OR, NOT, prefix*, title:),
        made into an FTS5 expression that cannot fail (a SearchSyntaxError says why not).
        The index finds the most recent matches (one blog's inside the same index query);
        they are ranked by BM25 among themselves, in a small in-memory index: BM25 over the
        whole archive would first count every post holding each word, and a common word is
        in most of a million. So a common word costs the same in a million posts as in a
        thousand.
        """
        from liveblog_cli.search import fts_query

        words = f"{{title text}} : ({fts_query(query)})"
        match = words
        if blog_id is not None:
            match += f' AND blog : "{blog_id.encode("utf-8", "surrogatepass").hex().upper()}"'
        with self._lock:
            try:
                self.conn.execute(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_window USING FTS5 "
                    "(title, text, tokenize='unicode61')"
                )
                self.conn.execute("DELETE FROM temp.search_window")
                self.conn.execute(
                    "INSERT INTO temp.search_window (rowid, title, text) "
                    "SELECT b.rowid, b.title, b.text FROM blocks b WHERE b.rowid IN "
                    "(SELECT rowid FROM blocks_fts WHERE blocks_fts MATCH ? "
                    "ORDER BY rowid DESC LIMIT ?)",
                    [match, RECENT],
                )
            except sqlite3.Error as exc:
                raise _archive_error(exc, self.path) from None
            ranked = self._rows(
                "SELECT b.blog_id, b.id, b.title, b.published_at, b.key_event, b.deleted_at, "
                "snippet(search_window, 1, '\x02', '\x03', '…', 16) AS snippet "
                "FROM search_window w JOIN blocks b ON b.rowid = w.rowid "
                "WHERE search_window MATCH ? ORDER BY bm25(search_window), w.rowid DESC LIMIT ?",
                [words, limit],
            )
            return [{**dict(r), "key_event": bool(r["key_event"])} for r in ranked]

    def revisions(self, blog_id: str, block_id: str) -> list[dict[str, Any]]:
        """Every revision of a block, oldest first, with why it exists (its cause), the kind
        of source it was read from and the parser that read it."""
        content = "CASE WHEN r.revision = b.revision THEN b.{0} ELSE r.{0} END AS {0}".format
        rows = self._rows(
            "SELECT r.revision, r.content_hash, r.seen_at, r.cause, r.source_format, "
            f"r.parser_version, {content('title')}, {content('text')}, {content('body')} "
            "FROM block_revisions r JOIN blocks b ON b.blog_id = r.blog_id AND b.id = r.block_id "
            "WHERE r.blog_id = ? AND r.block_id = ? ORDER BY r.revision",
            [blog_id, block_id],
        )
        out = []
        for r in rows:
            row = dict(r)
            body = self.packer.unpack(row.pop("body"))
            row["data"] = block_dict(block_id, row.pop("title"), row.pop("text"), body)
            out.append(row)
        if not out:
            raise BlogNotFound(f"no block {block_id!r} in blog {blog_id!r}")
        return out

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

    def correct_blocks(
        self,
        blog_id: str,
        blocks: list[Block],
        source_format: str | None,
        *,
        now: datetime | None = None,
    ) -> None:
        """Rewrite blocks as the raw pages give them now: a revision with cause `reparse`
        each (never an edit), and the block's row made to match."""
        moment = iso_z(now or now_utc())
        rich = richness(source_format)
        blog = LiveBlog(id=blog_id, source_format=source_format or "unknown")
        with self.transaction():
            for block in blocks:
                digest = content_hash(block)
                values = _block_values(block.to_dict())
                values[-1] = self.packer.pack(values[-1])
                row = self.conn.execute(
                    "SELECT revision FROM blocks WHERE blog_id = ? AND id = ?", [blog_id, block.id]
                ).fetchone()
                if row is None:
                    self.conn.execute(
                        f"INSERT INTO blocks (blog_id, id, {', '.join(_BLOCK_COLUMNS)}, "
                        "content_hash, revision, edits, richness, source_format, first_seen_at) "
                        f"VALUES (?, ?, {', '.join('?' * len(_BLOCK_COLUMNS))}, ?, 1, 0, ?, ?, ?)",
                        [blog_id, block.id, *values, digest, rich, source_format, moment],
                    )
                    revision = 1
                else:
                    revision = row[0] + 1
                    self._supersede(blog_id, block.id, row[0])
                    sets = ", ".join(f"{c} = ?" for c in _BLOCK_COLUMNS)
                    self.conn.execute(
                        f"UPDATE blocks SET {sets}, content_hash = ?, revision = ? "
                        "WHERE blog_id = ? AND id = ?",
                        [*values, digest, revision, blog_id, block.id],
                    )
                self._add_revision(blog, block.id, revision, digest, moment, "reparse", None)
            schema.recount(self.conn, blog_id)  # posts added, key events changed: `list` counts

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
        """One page a blog for a WACZ's pages list: its newest page fetched, with its title."""
        pages = []
        for blog_id in blog_ids:
            row = self._one(
                "SELECT f.url, f.fetched_at, b.title FROM fetches f JOIN blogs b "
                "ON b.id = f.blog_id WHERE f.blog_id = ? AND f.snapshot_hash IS NOT NULL "
                "AND f.url LIKE 'http%' ORDER BY f.id DESC LIMIT 1",
                [blog_id],
            )
            if row:
                pages.append({"url": row["url"], "title": row["title"] or blog_id})
        return pages

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

    def _rows(self, sql: str, params: list[Any]) -> Iterator[sqlite3.Row]:
        try:
            cursor = self.conn.cursor()
            cursor.row_factory = sqlite3.Row
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(500):
                yield from batch
        except sqlite3.Error as exc:
            raise _archive_error(exc, self.path) from None

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        with self._lock:
            for row in self._rows(sql, params):
                return dict(row)
            return None


def _block_values(data: dict[str, Any]) -> list[Any]:
    """Values of `_BLOCK_COLUMNS` for a block dict (the body last, not yet compressed)."""
    return [
        data["title"],
        data["created_at"],
        data["published_at"],
        data["updated_at"],
        int(data["key_event"]),
        int(data["pinned"]),
        int(data["summary"]),
        json.dumps(data["authors"], ensure_ascii=False, separators=(",", ":")),
        data["text"],
        body_of(data),
    ]


def _exact(moment: datetime) -> str:
    """A time to the microsecond, in UTC with `Z` (WARC-Date may carry fractions)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# A stored time or blog id that JSON can hold between quotes as it is (no quote, backslash,
# control or non-ASCII byte): times are always so, as liveblog writes them.
_PLAIN_JSON = re.compile(rb'[^"\\\x00-\x1f\x7f-\xff]*').fullmatch


def json_quote_bytes(value: bytes | str | None) -> bytes:
    """A stored value as a JSON string (or null), in UTF-8."""
    if value is None:
        return b"null"
    if isinstance(value, bytes):
        if _PLAIN_JSON(value):
            return b'"' + value + b'"'
        value = value.decode("utf-8", "surrogateescape")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _blog_dict(row: dict[str, Any] | sqlite3.Row) -> dict[str, Any]:
    r = dict(row)
    for key in ("authors", "tags"):
        r[key] = json.loads(r.get(key) or "[]")
    r["pages"] = json.loads(r.get("pages") or "{}")
    if r.get("is_live") is not None:
        r["is_live"] = bool(r["is_live"])
    return r


def _coverage(blog: LiveBlog) -> tuple[str, str | None] | None:
    """The span of time a single page of a paginated blog shows, as ISO strings.

    A page shows a run of consecutive posts: from its oldest body post up to its newest
    (or up to now, on the newest page). Key events listed from other pages do not count.
    """
    body = set(blog.body_ids) if blog.body_ids is not None else {b.id for b in blog.blocks}
    times = [b.sort_time for b in blog.blocks if b.id in body and b.sort_time]
    if not times:
        return None
    high = None if "newer" not in blog.pages else iso_z(max(times))
    return iso_z(min(times)) or "", high


def _archive_error(exc: sqlite3.Error, path: Path) -> ArchiveError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return ArchiveBusy(f"archive {path} is busy (another liveblog is writing); try again")
    if "readonly" in text or "read-only" in text:
        return ArchiveError(f"archive {path} is read-only: {text}")
    if "disk is full" in text or "full" in text:
        return ArchiveError(f"archive {path}: disk full, nothing was written")
    if "not a database" in text or "malformed" in text:
        return ArchiveError(f"{path} is not a liveblog archive or is damaged: {text}")
    return ArchiveError(f"archive {path}: {text}")


__all__ = [
    "AmbiguousBlog",
    "Archive",
    "ArchiveBusy",
    "ArchiveError",
    "Block",
    "BlogNotFound",
    "FetchInfo",
    "SaveReport",
    "default_path",
]
