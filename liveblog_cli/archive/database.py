"""The archive's connection: opening (WAL, read-only media, a newer archive read but never
written), one write transaction at a time, and reads that turn engine errors into
ArchiveError. Every other archive room is a mixin over this one; `Archive` holds them all.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

from liveblog_cli.archive import schema
from liveblog_cli.archive.packing import Packer
from liveblog_cli.errors import ArchiveBusy, ArchiveError, NoArchive

BUSY_TIMEOUT_MS = 30_000


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


class Database:
    """One archive file, open. Open it, use it, close it (or use it as a context manager)."""

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

    def __enter__(self) -> Self:
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

    def _insert(self, sql: str, params: list[Any]) -> int:
        """Run an INSERT; the new row's id."""
        row_id = self.conn.execute(sql, params).lastrowid
        if row_id is None:
            raise ArchiveError(f"archive {self.path}: an insert made no row")
        return row_id

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
