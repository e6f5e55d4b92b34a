"""Running the schema's migrations on an SQLite archive (the steps are in schema.py).

Every pending step runs in one write transaction: a crash (a SIGKILL included) leaves the
archive as it was before the upgrade or as it is after, never between. A step that rewrites
every post reads, repacks and writes its rows a batch at a time (`by_rowid`): SQLite spills
what the transaction has written to its log, so memory stays flat whatever the archive's
size. A terminal is shown how far it is (stderr; nothing when piped or in cron).

Afterwards, an upgrade that left much of the file empty (a step rewrote most rows: pages
freed by the old layout) compacts it with VACUUM, outside the transaction. VACUUM is
atomic too: killed midway, the file is the upgraded one, only not yet smaller.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

BATCH = 2000  # rows read, repacked and written at a time
SAMPLE = 4000  # rows at most, spread over a table, that a dictionary is trained on
# Free pages after an upgrade, as a share of the file, from which it is compacted. A step
# that rewrote every post (009: ~1.1 GB left at 100k posts, a third of it free pages and
# most of the rest half-empty ones; 245 MB after VACUUM) leaves well above this; steps
# that add a column or an index leave next to nothing.
COMPACT_SHARE = 0.2

Progress = Callable[[int, int], None]

# The running upgrade's progress callback, if a terminal watches (set by `upgrade`).
_watching: list[Progress] = []


def upgrade(conn: sqlite3.Connection) -> None:
    """Apply every pending migration in one write transaction, then compact the file if
    the upgrade left much of it empty."""
    from liveblog_cli.archive import schema

    # A new file (every step pending, nothing to move) shows no bar: a scratch archive is
    # made while a command's own bar is on the screen (reparse).
    with _terminal_progress(bool(schema.applied(conn))) as on_rows:
        if on_rows is not None:
            _watching.append(on_rows)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                schema.apply(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if on_rows is not None:
                on_rows(0, 0)  # compacting: no count to show
            compact(conn)
        finally:
            _watching.clear()


def compact(conn: sqlite3.Connection, *, share: float = COMPACT_SHARE) -> bool:
    """VACUUM when at least `share` of the file's pages are free; True when it did. Not
    done (the file stays as it is, whole) when another connection holds the archive busy
    or the disk has no room for the copy VACUUM makes."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if not pages or free < pages * share:
        return False
    try:
        conn.execute("VACUUM")
        # The log VACUUM wrote back into the file, and the log file emptied.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        return False
    return True


@contextmanager
def _terminal_progress(wanted: bool) -> Iterator[Progress | None]:
    if not wanted or not sys.stderr.isatty():
        yield None
        return
    from rich.errors import LiveError

    from liveblog_cli.cli.common import progress

    with ExitStack() as stack:
        try:
            on_rows: Progress | None = stack.enter_context(progress("upgrading the archive"))
        except LiveError:  # another bar is on the screen: the upgrade goes unshown
            on_rows = None
        yield on_rows


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
    if not _watching:
        return lambda rowid: None
    top = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    low = conn.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0] or 0
    show = _watching[0]

    def done(rowid: int) -> None:
        show(rowid - low + 1, top - low + 1)

    return done


__all__ = ["BATCH", "COMPACT_SHARE", "by_rowid", "compact", "done_of", "spread", "upgrade"]
