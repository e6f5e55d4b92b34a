"""The SQLite archive: blogs, blocks with every revision, fetches, raw snapshots, full-text search.

All SQL lives here. Writes happen in one `BEGIN IMMEDIATE` transaction per save, so a crash
or a concurrent writer leaves either the previous state or the new one, never a mix.
The schema is created and upgraded by the migrations at the bottom of this file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from liveblog_cli.errors import EXIT_IOERR, EXIT_NOINPUT, EXIT_TEMPFAIL, EXIT_USAGE, LiveblogError
from liveblog_cli.model import (
    BLOCK_FIELDS,
    EXPORT_FIELDS,
    FLAG_FIELDS,
    LIST_FIELDS,
    Block,
    LiveBlog,
    iso_z,
)

BUSY_TIMEOUT_MS = 30_000


class ArchiveError(LiveblogError):
    """The archive cannot be opened, read or written (disk full, read-only, corrupt)."""

    exit_code = EXIT_IOERR


class ArchiveBusy(ArchiveError):
    """Another process holds the archive for longer than we were willing to wait."""

    exit_code = EXIT_TEMPFAIL


class BlogNotFound(LiveblogError):
    exit_code = EXIT_NOINPUT


class AmbiguousBlog(LiveblogError):
    exit_code = EXIT_USAGE

    def __init__(self, ref: str, candidates: list[str]) -> None:
        shown = ", ".join(candidates[:10]) + (" …" if len(candidates) > 10 else "")
        super().__init__(f"{ref!r} matches {len(candidates)} blogs: {shown}")
        self.candidates = candidates


def default_path() -> Path:
    """Where the archive lives unless --db or LIVEBLOG_DB says otherwise."""
    from platformdirs import user_data_path

    return user_data_path("liveblog", appauthor=False) / "archive.db"


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
    return hashlib.sha256("\x1e".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class SaveReport:
    """What one save changed."""

    blog_id: str
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
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
        return (
            f"{self.blog_id}: +{len(self.new)} new, {len(self.updated)} edited, "
            f"{len(self.deleted)} deleted, {self.total} blocks"
        )


@dataclass
class FetchInfo:
    """How the bytes were obtained, recorded in the fetches table."""

    url: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


# A block's columns beside (blog_id, id): its JSON fields, one column each.
_BLOCK_COLUMNS = BLOCK_FIELDS[1:]


class Archive:
    """One archive file. Open it, save parsed blogs into it, query it; close it."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
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
            self.db = Database(self.conn)
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
            self.db = Database(self.conn)
            if MIGRATIONS.pending(self.db):
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
        if MIGRATIONS.pending(self.db):
            with self.transaction():
                MIGRATIONS.apply(self.db)

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
        fetches: list[tuple[FetchInfo, bytes | None]] | None = None,
        complete: bool | None = None,
        now: datetime | None = None,
    ) -> SaveReport:
        """Store a parsed blog: new blocks, new revisions of edited ones, deletions.

        `complete` says the parse covered the whole blog (every page); by default, what the
        source said (`blog.complete`). Otherwise only blocks whose time lies within the span
        of posts this page shows are candidates for deletion: a page of the newest 20 posts
        says nothing about post 21.
        """
        moment = iso_z(now or now_utc())
        report = SaveReport(blog_id=blog.id)
        if fetches is None:
            fetches = [(fetch or FetchInfo(url=blog.url), raw)]
        with self.transaction():
            self._save_blog_row(blog, moment)
            seen = self._save_blocks(blog, moment, report)
            if complete is None:
                complete = blog.complete
            self._mark_deleted(blog, seen, moment, complete, report)
            report.total = self.conn.execute(
                "SELECT count(*) FROM blocks WHERE blog_id = ? AND deleted_at IS NULL", [blog.id]
            ).fetchone()[0]
            for index, (info, body) in enumerate(fetches):
                snapshot = self._save_snapshot(body, moment) if body is not None else None
                # The counts belong to the save as a whole: on its first fetch row.
                counts = (
                    [len(report.new), len(report.updated), report.unchanged, len(report.deleted)]
                    if index == 0
                    else [None] * 4
                )
                self.conn.execute(
                    "INSERT INTO fetches (blog_id, url, fetched_at, status, etag, last_modified, "
                    "bytes, snapshot_hash, source_format, new, updated, unchanged, deleted, "
                    "error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        blog.id,
                        info.url or blog.url,
                        moment,
                        info.status,
                        info.etag,
                        info.last_modified,
                        len(body) if body is not None else None,
                        snapshot,
                        blog.source_format,
                        *counts,
                        info.error,
                    ],
                )
        return report

    def _save_snapshot(self, raw: bytes, moment: str | None) -> str:
        digest = hashlib.sha256(raw).hexdigest()
        self.conn.execute(
            "INSERT OR IGNORE INTO snapshots (hash, size, compressed, first_seen_at) "
            "VALUES (?,?,?,?)",
            [digest, len(raw), zlib.compress(raw, 6), moment],
        )
        return digest

    def _save_blog_row(self, blog: LiveBlog, moment: str | None) -> None:
        data = blog.to_dict(blocks=False)
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
        }
        existing = self.conn.execute(
            "SELECT url, title, standfirst, publisher, is_live, published_at, authors, tags "
            "FROM blogs WHERE id = ?",
            [blog.id],
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
        # A thinner source (a scraped copy, an older page) must not blank what we know.
        keep = dict(
            zip(
                (
                    "url",
                    "title",
                    "standfirst",
                    "publisher",
                    "is_live",
                    "published_at",
                    "authors",
                    "tags",
                ),
                existing,
                strict=True,
            )
        )
        for key, old in keep.items():
            if row[key] in (None, "[]") and old not in (None, "[]"):
                row[key] = old
        if "newer" in blog.pages:
            # An older page of the blog: its live flag, links and times describe that page.
            for key in ("is_live", "pages", "updated_at"):
                row.pop(key)
        row["last_seen_at"] = moment
        sets = ", ".join(f"{k} = ?" for k in row if k != "id")
        self.conn.execute(
            f"UPDATE blogs SET {sets} WHERE id = ?",
            [v for k, v in row.items() if k != "id"] + [blog.id],
        )

    def _save_blocks(self, blog: LiveBlog, moment: str | None, report: SaveReport) -> set[str]:
        # The state columns come from a covering index: no need to read the wide rows.
        existing = {
            row[0]: (row[1], row[2], row[3])
            for row in self.conn.execute(
                "SELECT id, content_hash, revision, deleted_at FROM blocks "
                "INDEXED BY blocks_state WHERE blog_id = ?",
                [blog.id],
            )
        }
        seen: dict[str, None] = {}
        for block in blog.blocks:
            if block.id in seen:
                continue
            seen[block.id] = None
            digest = content_hash(block)
            old = existing.get(block.id)
            if old is not None and old[0] == digest:
                if old[2] is None:
                    report.unchanged += 1
                else:
                    report.restored.append(block.id)
                    self.conn.execute(
                        "UPDATE blocks SET deleted_at = NULL WHERE blog_id = ? AND id = ?",
                        [blog.id, block.id],
                    )
                continue
            data = block.to_dict()
            values, revision_json = _block_values(data)
            if old is None:
                self.conn.execute(
                    f"INSERT INTO blocks (blog_id, id, {', '.join(_BLOCK_COLUMNS)}, content_hash, "
                    "revision, first_seen_at, deleted_at) "
                    f"VALUES (?, ?, {', '.join('?' * len(_BLOCK_COLUMNS))}, ?, 1, ?, NULL)",
                    [blog.id, block.id, *values, digest, moment],
                )
                self._add_revision(blog.id, block.id, 1, digest, revision_json, moment)
                report.new.append(block.id)
                continue
            if old[2] is not None:
                report.restored.append(block.id)
            revision = old[1] + 1
            sets = ", ".join(f"{c} = ?" for c in _BLOCK_COLUMNS)
            self.conn.execute(
                f"UPDATE blocks SET {sets}, content_hash = ?, revision = ?, deleted_at = NULL "
                "WHERE blog_id = ? AND id = ?",
                [*values, digest, revision, blog.id, block.id],
            )
            self._add_revision(blog.id, block.id, revision, digest, revision_json, moment)
            report.updated.append(block.id)
        # When each block was last seen lives in a narrow table: one cheap statement for all.
        self.conn.execute(
            "INSERT INTO block_seen (blog_id, block_id, last_seen_at) "
            "SELECT ?, value, ? FROM json_each(?) WHERE true "
            "ON CONFLICT (blog_id, block_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [blog.id, moment, json.dumps(list(seen))],
        )
        return set(seen)

    def _add_revision(
        self,
        blog_id: str,
        block_id: str,
        revision: int,
        digest: str,
        data_json: str,
        moment: str | None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO block_revisions (blog_id, block_id, revision, content_hash, seen_at, data)"
            " VALUES (?,?,?,?,?,?)",
            [blog_id, block_id, revision, digest, moment, data_json],
        )

    def _mark_deleted(
        self, blog: LiveBlog, seen: set[str], moment: str | None, complete: bool, report: SaveReport
    ) -> None:
        """Mark missing blocks deleted, but only where this parse could have seen them."""
        if not seen:
            return
        window = None if complete else _coverage(blog)
        if not complete and window is None:
            return
        rows = self.conn.execute(
            "SELECT id, coalesce(published_at, created_at, updated_at) FROM blocks "
            "WHERE blog_id = ? AND deleted_at IS NULL",
            [blog.id],
        ).fetchall()
        for block_id, when in rows:
            if block_id in seen:
                continue
            if window is not None:
                low, high = window
                if when is None or when < low or (high is not None and when > high):
                    continue
            self.conn.execute(
                "UPDATE blocks SET deleted_at = ? WHERE blog_id = ? AND id = ?",
                [moment, blog.id, block_id],
            )
            report.deleted.append(block_id)

    # --- reading --------------------------------------------------------------------------

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
        """A blog id from an id, a URL, or an unambiguous prefix of either."""
        try:
            blogs = self.blog_ids()
        except sqlite3.Error as exc:
            raise _archive_error(exc, self.path) from None
        ref = ref.strip()
        for blog_id, url in blogs:
            if ref in (blog_id, url) or (url and ref.rstrip("/") == url.rstrip("/")):
                return blog_id
        # A URL of the blog with a query or fragment (a page link, a block link).
        bare = ref.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        for blog_id, url in blogs:
            if url and bare == url.split("?", 1)[0].rstrip("/"):
                return blog_id
        matches = [b for b, u in blogs if b.startswith(ref) or (u and u.startswith(ref))]
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

    def list_blogs(self) -> list[dict[str, Any]]:
        sql = """
            SELECT b.*,
              (SELECT count(*) FROM blocks k WHERE k.blog_id = b.id AND k.deleted_at IS NULL)
                AS blocks,
              (SELECT count(*) FROM blocks k WHERE k.blog_id = b.id AND k.deleted_at IS NULL
                 AND k.key_event) AS key_events,
              (SELECT count(*) FROM blocks k WHERE k.blog_id = b.id AND k.deleted_at IS NOT NULL)
                AS deleted,
              (SELECT min(coalesce(published_at, created_at)) FROM blocks k
                 WHERE k.blog_id = b.id) AS first_post_at,
              (SELECT max(coalesce(published_at, created_at)) FROM blocks k
                 WHERE k.blog_id = b.id) AS last_post_at,
              (SELECT max(fetched_at) FROM fetches f WHERE f.blog_id = b.id) AS last_fetched_at
            FROM blogs b ORDER BY last_post_at DESC, b.id
        """
        return [_blog_dict(r) for r in self._rows(sql, [])]

    def blocks(self, blog_id: str | None, **filters: Any) -> Iterator[dict[str, Any]]:
        """Blocks as export dicts, streamed from the database (memory stays flat).

        Filters (see `_blocks_sql`): since, until, key_events, limit, oldest_first,
        include_deleted.
        """
        sql, params = self._blocks_sql(blog_id, **filters)
        for row in self._rows(sql, params):
            yield block_row_dict(row)

    def blocks_jsonl(self, blog_id: str | None, **filters: Any) -> Iterator[bytes]:
        """The same rows as `blocks()`, as JSON lines built by SQLite's JSON functions.

        The stored `authors` and `elements` are JSON already; letting SQLite assemble each
        line avoids decoding and re-encoding them in Python (the export's hot path).
        """
        # As a BLOB: the UTF-8 bytes SQLite built, with no decoding into Python strings.
        sql, params = self._blocks_sql(blog_id, columns=f"CAST({_JSON_LINE} AS BLOB)", **filters)
        for row in self._rows(sql, params):
            yield row[0]

    def _blocks_sql(
        self,
        blog_id: str | None,
        *,
        columns: str = "b.*, s.last_seen_at",
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
            where.append("b.key_event")
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
        """Full-text search over block titles and text, best matches first, with snippets."""
        sql = (
            "SELECT b.blog_id, b.id, b.title, b.published_at, b.key_event, b.deleted_at, "
            "snippet(blocks_fts, 1, '\x02', '\x03', '…', 16) AS snippet "
            "FROM blocks_fts JOIN blocks b ON b.rowid = blocks_fts.rowid "
            "WHERE blocks_fts MATCH ? "
            + ("AND b.blog_id = ? " if blog_id else "")
            + "ORDER BY rank LIMIT ?"
        )
        params: list[Any] = [self.db.quote_fts(query)]
        if blog_id:
            params.append(blog_id)
        params.append(limit)
        return [{**dict(r), "key_event": bool(r["key_event"])} for r in self._rows(sql, params)]

    def revisions(self, blog_id: str, block_id: str) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT revision, content_hash, seen_at, data FROM block_revisions "
            "WHERE blog_id = ? AND block_id = ? ORDER BY revision",
            [blog_id, block_id],
        )
        out = [{**dict(r), "data": json.loads(r["data"])} for r in rows]
        if not out:
            raise BlogNotFound(f"no block {block_id!r} in blog {blog_id!r}")
        return out

    def snapshot(self, digest: str) -> bytes | None:
        row = self._one("SELECT compressed FROM snapshots WHERE hash = ?", [digest])
        return zlib.decompress(row["compressed"]) if row else None

    def last_fetch(self, url: str) -> dict[str, Any] | None:
        """The newest successful fetch of a URL, for conditional requests."""
        return self._one(
            "SELECT * FROM fetches WHERE url = ? AND error IS NULL ORDER BY id DESC LIMIT 1", [url]
        )

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


def _block_values(data: dict[str, Any]) -> tuple[list[Any], str]:
    """Column values of a block dict, and the block's JSON for its revision record.

    `elements` is the last key of the block JSON and the bulk of it: it is encoded once and
    spliced into the revision JSON rather than encoded twice.
    """
    elements = json.dumps(data["elements"], ensure_ascii=False, separators=(",", ":"))
    head = json.dumps(
        {k: v for k, v in data.items() if k != "elements"},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    values = []
    for column in _BLOCK_COLUMNS:
        value = data[column]
        if column == "elements":
            value = elements
        elif column in LIST_FIELDS:
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif column in FLAG_FIELDS:
            value = int(value)
        values.append(value)
    return values, f'{head[:-1]},"elements":{elements}}}'


def _json_line_sql() -> str:
    """An SQL expression giving a block's export JSON line, key for key as block_row_dict.

    Strings go through json_quote(); `authors` and `elements` are stored as JSON and are
    spliced in as they are, never parsed and re-encoded.
    """
    table = {"last_seen_at": "s"}  # kept in its own narrow table

    def value(key: str) -> str:
        column = f"{table.get(key, 'b')}.{key}"
        if key in FLAG_FIELDS:
            return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
        if key in LIST_FIELDS:
            return f"coalesce({column}, '[]')"
        if key == "text":
            return f"json_quote(coalesce({column}, ''))"
        if key == "revision":
            return f"coalesce({column}, 'null')"
        return f"json_quote({column})"

    # printf() builds each line in one allocation (a chain of || copies it once per key).
    template = "{" + ",".join(f'"{key}":%s' for key in EXPORT_FIELDS) + "}"
    return f"printf('{template}', {', '.join(value(key) for key in EXPORT_FIELDS)})"


_JSON_LINE = _json_line_sql()


def block_row_dict(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    """A blocks row as the export shape: the block's JSON plus archive bookkeeping."""
    r = dict(row)
    out = {}
    for key in EXPORT_FIELDS:
        value = r[key]
        if key in FLAG_FIELDS:
            value = bool(value)
        elif key in LIST_FIELDS:
            value = json.loads(value or "[]")
        elif key == "text":
            value = value or ""
        out[key] = value
    return out


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


# --- schema -------------------------------------------------------------------------------

MIGRATIONS = Migrations("liveblog")


@MIGRATIONS(name="001_initial")
def _initial(db: Database) -> None:
    db.execute("""
        CREATE TABLE blogs (
            id TEXT PRIMARY KEY, url TEXT, title TEXT, standfirst TEXT, publisher TEXT,
            is_live INTEGER, published_at TEXT, updated_at TEXT, authors TEXT, tags TEXT,
            source_format TEXT, pages TEXT, first_seen_at TEXT, last_seen_at TEXT
        )""")
    db.execute("""
        CREATE TABLE blocks (
            blog_id TEXT NOT NULL REFERENCES blogs(id), id TEXT NOT NULL,
            title TEXT, created_at TEXT, published_at TEXT, updated_at TEXT,
            key_event INTEGER NOT NULL DEFAULT 0, pinned INTEGER NOT NULL DEFAULT 0,
            summary INTEGER NOT NULL DEFAULT 0, authors TEXT, text TEXT, html TEXT,
            elements TEXT, content_hash TEXT NOT NULL, revision INTEGER NOT NULL,
            first_seen_at TEXT, last_seen_at TEXT, deleted_at TEXT,
            PRIMARY KEY (blog_id, id)
        )""")
    db.execute("CREATE INDEX blocks_by_time ON blocks (blog_id, published_at)")
    db.execute("""
        CREATE TABLE block_revisions (
            blog_id TEXT NOT NULL, block_id TEXT NOT NULL, revision INTEGER NOT NULL,
            content_hash TEXT NOT NULL, seen_at TEXT, data TEXT NOT NULL,
            PRIMARY KEY (blog_id, block_id, revision),
            FOREIGN KEY (blog_id, block_id) REFERENCES blocks(blog_id, id)
        )""")
    db.execute("""
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY, blog_id TEXT, url TEXT, fetched_at TEXT, status INTEGER,
            etag TEXT, last_modified TEXT, bytes INTEGER, snapshot_hash TEXT,
            source_format TEXT, new INTEGER, updated INTEGER, unchanged INTEGER,
            deleted INTEGER, error TEXT
        )""")
    db.execute("CREATE INDEX fetches_by_url ON fetches (url, id)")
    db.execute("""
        CREATE TABLE snapshots (
            hash TEXT PRIMARY KEY, size INTEGER NOT NULL, compressed BLOB NOT NULL,
            first_seen_at TEXT
        )""")
    db["blocks"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@MIGRATIONS(name="002_fts_update_only_on_text")
def _fts_on_text_only(db: Database) -> None:
    """Re-index a block only when its title or text change, not on every bookkeeping update
    (last_seen_at, deleted_at): a re-fetch of an unchanged blog then writes almost nothing."""
    db.execute("DROP TRIGGER IF EXISTS blocks_au")
    db.execute("""
        CREATE TRIGGER blocks_au AFTER UPDATE OF title, text ON blocks BEGIN
          INSERT INTO blocks_fts (blocks_fts, rowid, title, text)
            VALUES ('delete', old.rowid, old.title, old.text);
          INSERT INTO blocks_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END""")


@MIGRATIONS(name="003_block_seen_and_state_index")
def _block_seen(db: Database) -> None:
    """When a block was last seen moves to a narrow table, and a covering index serves the
    "what do we hold" lookup: re-saving an unchanged page then rewrites no wide block row."""
    db.execute("""
        CREATE TABLE block_seen (
            blog_id TEXT NOT NULL, block_id TEXT NOT NULL, last_seen_at TEXT,
            PRIMARY KEY (blog_id, block_id)
        ) WITHOUT ROWID""")
    db.execute("INSERT INTO block_seen SELECT blog_id, id, last_seen_at FROM blocks")
    db.execute("ALTER TABLE blocks DROP COLUMN last_seen_at")
    db.execute(
        "CREATE INDEX blocks_state ON blocks (blog_id, id, content_hash, revision, deleted_at)"
    )


@MIGRATIONS(name="004_blocks_order_index")
def _blocks_order(db: Database) -> None:
    """Timelines and exports read blocks in time order: an index in that order lets them
    stream rows instead of sorting them all first."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS blocks_order ON blocks "
        "(blog_id, coalesce(published_at, created_at, updated_at, first_seen_at))"
    )


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
