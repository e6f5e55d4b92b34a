"""What an archive engine provides: the contract sqlite.py and postgres.py each meet.

The archive's rules (revisions, causes, the richness rule, deletions, walks, the schedule)
are written once, in the other rooms, as SQL both engines run: `?` placeholders (`?1` for a
value used twice), `rowid` on the tables that need an order of insertion, `IS ?` for a
comparison that may meet NULL. What each engine does its own way is here: opening, write
transactions and the lock a blog takes in one, ids of new rows, the search, JSON lines for
export, locks held while a blog is fetched, errors said as ArchiveError, and the shared
schedule's claims and per-host gaps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from liveblog_cli.archive.query import Part
from liveblog_cli.errors import LiveblogError


class Engine(Protocol):
    name: str  # "sqlite" or "postgresql"
    readonly: bool
    newer: str | None  # a migration this version does not know: read, never write
    errors: tuple[type[BaseException], ...]  # what its driver raises
    conn: Any  # runs the shared SQL: .execute(sql, params) -> a cursor

    @property
    def path(self) -> Path | str:
        """Where it is, as messages name it (a file; a URL never with its password)."""

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def insert(self, sql: str, params: Sequence[Any]) -> int: ...

    def rows(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """Rows readable by column name and as dicts, streamed."""

    def tuples(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples, streamed."""

    def insert_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    def ids_copied(self, counted: dict[str, str]) -> None:
        """After rows were copied in with their ids: new rows take ids after them (and the
        engine knows the tables' new sizes)."""

    def lock_blog(self, blog_id: str) -> None:
        """Within a write transaction: no other writer writes this blog until it ends."""

    def mark_seen(self, blog_id: str, block_ids: list[str], moment: str) -> None: ...

    def search(
        self, query: str, parts: list[Part], blog_id: str | None, limit: int, recent: int
    ) -> list[dict[str, Any]]: ...

    def clock(self) -> float:
        """Now, in seconds since 1970, as every worker of this archive reckons it."""

    def claim(self, owner: str, limit: int, lease: float, columns: str) -> list[dict[str, Any]]:
        """Due schedule rows no live lease holds, now held by `owner` (as dicts)."""

    def reserve_host(self, host: str, delay: float) -> float:
        """A turn to ask `host`, `delay` after the last: the seconds to wait for it."""

    def blog_locks(self, keys: list[str], *, wait: float) -> AbstractContextManager[None]:
        """Held while blogs are fetched, so two processes never fetch one blog at once."""

    def error(self, exc: BaseException) -> LiveblogError: ...

    def close(self) -> None: ...


__all__ = ["Engine"]
