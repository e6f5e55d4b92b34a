"""The archive's connection, whatever engine holds it: where the archive is (a file, or a
PostgreSQL URL), one write transaction at a time, and reads that turn the engine's errors
into ArchiveError. Every other archive room is a mixin over this one; `Archive` holds them
all. What differs between engines is in sqlite.py and postgres.py (see engine.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from liveblog_cli.archive.packing import Packer
from liveblog_cli.errors import ArchiveError

if TYPE_CHECKING:
    from liveblog_cli.archive.engine import Engine


def default_path() -> Path:
    """Where the archive lives unless --db or LIVEBLOG_DB says otherwise."""
    from liveblog_cli.config import user_path

    return user_path("data") / "archive.db"


def chosen_path(db: str | Path | None) -> str | Path:
    """The archive a command works on: `db` (its --db), else LIVEBLOG_DB, else the default.
    A PostgreSQL URL stays a string; anything else names a file."""
    given = db if db is not None else os.environ.get("LIVEBLOG_DB") or None
    if given is None:
        return default_path()
    return str(given) if is_database_url(given) else Path(given)


def is_database_url(location: str | Path) -> bool:
    """Whether an archive location names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def open_engine(location: str | Path, *, readonly: bool, create: bool) -> Engine:
    """The engine for an archive location: PostgreSQL for its URL, SQLite for a path."""
    if is_database_url(location):
        from liveblog_cli.archive.postgres import Postgres

        return Postgres(str(location), readonly=readonly, create=create)
    from liveblog_cli.archive.sqlite import SQLite

    return SQLite(Path(location), readonly=readonly, create=create)


def now_utc() -> datetime:
    return datetime.now(UTC)


class Database:
    """One archive, open: a SQLite file or a PostgreSQL database, through its engine.

    Open it, use it, close it (or use it as a context manager). `path` is where it lives as
    a command names it (a file's path; a PostgreSQL URL without its password).
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, create: bool = True) -> None:
        self._lock = threading.RLock()
        self._packer: Packer | None = None
        self.engine: Engine = open_engine(path, readonly=readonly, create=create)
        self.conn = self.engine.conn
        self.path = self.engine.path

    @property
    def readonly(self) -> bool:
        return self.engine.readonly

    @property
    def newer(self) -> str | None:
        """A migration this version does not know (the archive is read, never written)."""
        return self.engine.newer

    @property
    def packer(self) -> Packer:
        """Compression for this connection (made again if the connection was reopened)."""
        if self._packer is None or self._packer.conn is not self.conn:
            self._packer = Packer(self.conn)
        return self._packer

    def close(self) -> None:
        self.engine.close()

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
        errors = self.engine.errors
        with self._lock:
            try:
                self.engine.begin()
            except errors as exc:
                raise self.engine.error(exc) from None
            try:
                yield
                self.engine.commit()
            except BaseException as exc:
                with suppress(*errors):
                    self.engine.rollback()
                if isinstance(exc, errors):
                    raise self.engine.error(exc) from None
                raise

    def _insert(self, sql: str, params: list[Any]) -> int:
        """Run an INSERT; the new row's id."""
        return self.engine.insert(sql, params)

    def _rows(self, sql: str, params: list[Any]) -> Iterator[Any]:
        """Rows readable by column name (and as dicts), streamed."""
        try:
            yield from self.engine.rows(sql, params)
        except self.engine.errors as exc:
            raise self.engine.error(exc) from None

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        with self._lock:
            for row in self._rows(sql, params):
                return dict(row)
            return None
