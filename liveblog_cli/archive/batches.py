"""Helpers for migration steps that work through a whole table (schema.py's steps): rows a
batch at a time in rowid order, a sample spread over a table, and the progress an upgrade
shows on a terminal (set by migrating.upgrade while it runs)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

BATCH = 2000  # rows read, repacked and written at a time
SAMPLE = 4000  # rows at most, spread over a table, that a dictionary is trained on

Progress = Callable[[int, int], None]

# The running upgrade's progress callback, if a terminal watches (set by `upgrade`).
watching: list[Progress] = []


def by_rowid(
    conn: sqlite3.Connection, select: str, *, alias: str = "", where: str = ""
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `select` (its first column the rowid of the table it reads, named
    `alias` in it), `BATCH` at a time in rowid order: each batch is a new query after the
    last rowid seen, so writing the rows of one batch never disturbs the reading of the
    next."""
    rowid = f"{alias}.rowid" if alias else "rowid"
    also = f" AND ({where})" if where else ""
    sql = f"{select} WHERE {rowid} > ?{also} ORDER BY {rowid} LIMIT {BATCH}"
    last = -(1 << 63)
    while rows := conn.execute(sql, [last]).fetchall():
        yield rows
        last = rows[-1][0]


def spread(conn: sqlite3.Connection, table: str, select: str) -> list[tuple[Any, ...]]:
    """At most `SAMPLE` rows of `select` (which reads `table`), spread evenly over it."""
    count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    step = max(1, -(-count // SAMPLE))
    return conn.execute(f"{select} WHERE rowid % {step} = 0 LIMIT {SAMPLE}").fetchall()


def done_of(conn: sqlite3.Connection, table: str) -> Callable[[int], None]:
    """A callback for a step that works through `table` in rowid order: given the last
    rowid of each batch done, it moves the terminal's progress bar (if one is shown)."""
    if not watching:
        return lambda rowid: None
    top = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    low = conn.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0] or 0
    show = watching[0]

    def done(rowid: int) -> None:
        show(rowid - low + 1, top - low + 1)

    return done


__all__ = ["BATCH", "SAMPLE", "Progress", "by_rowid", "done_of", "spread", "watching"]
