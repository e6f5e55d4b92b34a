"""The SQLite engine: one file, nothing to set up; the archive of one machine.

What is SQLite's own: opening (WAL, a busy timeout, read-only media reopened immutable),
`BEGIN IMMEDIATE` (writers queue instead of failing; one writer at a time, so a blog needs
no lock of its own inside a transaction), FTS5 search, JSON lines built by SQLite for the
export's hot path, file locks beside the archive for a blog being fetched, and the schema's
migrations (archive/schema.py, run by archive/migrating.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from liveblog_cli.archive import schema
from liveblog_cli.archive.query import Part, fts_query
from liveblog_cli.errors import ArchiveBusy, ArchiveError, NoArchive

BUSY_TIMEOUT_MS = 30_000


class SQLite:
    """An archive file, open."""

    name = "sqlite"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, path: Path, *, readonly: bool = False, create: bool = True) -> None:
        self.file = path
        self.readonly = readonly
        self.newer: str | None = None  # a migration this version does not know, if any
        if not create and not path.exists():
            raise NoArchive(
                f"no archive at {path} (`liveblog fetch URL` or `liveblog parse FILE "
                "--save` makes one; --db, LIVEBLOG_DB or the settings file names another)"
            )
        try:
            if not readonly:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                raise ArchiveError(f"no archive at {path}")
            # Quoted: a path holding "?" or "#" must not turn into URI parameters.
            location = "file:" + quote(str(path.absolute()))
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
            error = self.error(exc)
            if readonly or not self._read_only_media(error):
                raise error from None
        except OSError as exc:
            if not path.is_file():
                raise ArchiveError(f"cannot open archive {path}: {exc.strerror or exc}") from None
            self._read_only_media(ArchiveError(str(exc)))

    @property
    def path(self) -> Path:
        return self.file

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
            raise self.error(exc) from None
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
            from liveblog_cli.archive.migrating import upgrade

            upgrade(self.conn)

    # --- statements --------------------------------------------------------------------------

    def begin(self) -> None:
        """A write transaction, taken up front: concurrent writers queue (busy timeout)."""
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def insert(self, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT; the new row's id."""
        row_id = self.conn.execute(sql, params).lastrowid
        if row_id is None:
            raise ArchiveError(f"archive {self.path}: an insert made no row")
        return row_id

    def rows(self, sql: str, params: Sequence[Any]) -> Iterator[sqlite3.Row]:
        """Rows readable by column name, fetched in batches (memory stays flat)."""
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(500):
            yield from batch

    def tuples(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples, fetched in batches."""
        cursor = self.conn.execute(sql, params)
        while batch := cursor.fetchmany(1000):
            yield from batch

    def insert_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.executemany(sql, rows)

    def ids_copied(self, counted: dict[str, str]) -> None:
        """Nothing to do: SQLite takes the next id after the largest there is."""

    def lock_blog(self, blog_id: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already made this the only writer."""

    def mark_seen(self, blog_id: str, block_ids: list[str], moment: str) -> None:
        """When each of these posts was last seen: one statement for all of them."""
        self.conn.execute(
            "INSERT INTO block_seen (blog_id, block_id, last_seen_at) "
            "SELECT ?, value, ? FROM json_each(?) WHERE true "
            "ON CONFLICT (blog_id, block_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [blog_id, moment, json.dumps(block_ids)],
        )

    def search(
        self, query: str, parts: list[Part], blog_id: str | None, limit: int, recent: int
    ) -> list[dict[str, Any]]:
        """The FTS5 index finds the `recent` most recent matches (one blog's inside the same
        index query); they are ranked by BM25 among themselves, in a small in-memory index:
        BM25 over the whole archive would first count every post holding each word, and a
        common word is in most of a million."""
        words = f"{{title text}} : ({fts_query(query)})"
        match = words
        if blog_id is not None:
            match += f' AND blog : "{blog_id.encode("utf-8", "surrogatepass").hex().upper()}"'
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
            [match, recent],
        )
        ranked = self.rows(
            "SELECT b.blog_id, b.id, b.title, b.published_at, b.key_event, b.deleted_at, "
            "snippet(search_window, 1, '\x02', '\x03', '…', 16) AS snippet "
            "FROM search_window w JOIN blocks b ON b.rowid = w.rowid "
            "WHERE search_window MATCH ? ORDER BY bm25(search_window), w.rowid DESC LIMIT ?",
            [words, limit],
        )
        return [dict(r) for r in ranked]

    def clock(self) -> float:
        """One machine: its own clock."""
        return time.time()

    def claim(self, owner: str, limit: int, lease: float, columns: str) -> list[dict[str, Any]]:
        """Due rows no live lease holds, held by `owner`: one writer at a time (BEGIN
        IMMEDIATE), so two workers never claim one row."""
        now = time.time()
        self.begin()
        try:
            rows = [
                dict(r)
                for r in self.rows(
                    f"SELECT {columns} FROM schedule WHERE state = 'active' AND next_due <= ? "
                    "AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_due, url LIMIT ?",
                    [now, now, limit],
                )
            ]
            for row in rows:
                row.update(lease_owner=owner, lease_until=now + lease)
                self.conn.execute(
                    "UPDATE schedule SET lease_owner = ?, lease_until = ? WHERE url = ?",
                    [owner, now + lease, row["url"]],
                )
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return rows

    def reserve_host(self, host: str, delay: float) -> float:
        """The next turn to ask `host`, `delay` after the last one given: seconds to wait."""
        now = time.time()
        self.begin()
        try:
            row = self.conn.execute("SELECT next_at FROM hosts WHERE host = ?", [host]).fetchone()
            slot = max(now, row[0]) if row else now
            self.conn.execute(
                "INSERT INTO hosts (host, next_at) VALUES (?, ?) "
                "ON CONFLICT (host) DO UPDATE SET next_at = excluded.next_at",
                [host, slot + delay],
            )
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return slot - now

    def blog_locks(self, keys: list[str], *, wait: float) -> AbstractContextManager[None]:
        """Locks per blog for fetch and follow: files beside the archive (see lock.py)."""
        from liveblog_cli.lock import blog_locks

        return blog_locks(self.path, keys, wait=wait)

    def error(self, exc: BaseException) -> ArchiveError:
        """An SQLite error as one plain line and its exit code."""
        path, text = self.path, str(exc)
        if "locked" in text or "busy" in text:
            return ArchiveBusy(f"archive {path} is busy (another liveblog is writing); try again")
        if "readonly" in text or "read-only" in text:
            return ArchiveError(f"archive {path} is read-only: {text}")
        if "disk is full" in text or "full" in text:
            return ArchiveError(f"archive {path}: disk full, nothing was written")
        if "not a database" in text or "malformed" in text:
            return ArchiveError(f"{path} is not a liveblog archive or is damaged: {text}")
        return ArchiveError(f"archive {path}: {text}")

    def close(self) -> None:
        self.conn.close()


__all__ = ["BUSY_TIMEOUT_MS", "SQLite"]
