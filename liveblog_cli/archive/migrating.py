"""Running the schema's migrations on an SQLite archive (the steps are in schema.py).

Every pending step runs in one write transaction: a crash (a SIGKILL included) leaves the
archive as it was before the upgrade or as it is after, never between. A step that rewrites
every post reads, repacks and writes its rows a batch at a time (`batches.by_rowid`): SQLite spills
what the transaction has written to its log, so memory stays flat whatever the archive's
size. A terminal is shown how far it is (stderr; nothing when piped or in cron).

Afterwards, an upgrade that left much of the file empty (a step rewrote most rows: pages
freed by the old layout) compacts it with VACUUM, outside the transaction. VACUUM is
atomic too: killed midway, the file is the upgraded one, only not yet smaller.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from liveblog_cli.archive import batches
from liveblog_cli.archive.batches import Progress

# Free pages after an upgrade, as a share of the file, from which it is compacted. A step
# that rewrote every post (009: ~1.1 GB left at 100k posts, a third of it free pages and
# most of the rest half-empty ones; 245 MB after VACUUM) leaves well above this; steps
# that add a column or an index leave next to nothing.
COMPACT_SHARE = 0.2


def upgrade(conn: sqlite3.Connection) -> None:
    """Apply every pending migration in one write transaction, then compact the file if
    the upgrade left much of it empty."""
    from liveblog_cli.archive import schema

    # A new file (every step pending, nothing to move) shows no bar: a scratch archive is
    # made while a command's own bar is on the screen (reparse).
    with _terminal_progress(bool(schema.applied(conn))) as on_rows:
        if on_rows is not None:
            batches.watching.append(on_rows)
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
            batches.watching.clear()


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

    from liveblog_cli.output import progress

    with ExitStack() as stack:
        try:
            on_rows: Progress | None = stack.enter_context(progress("upgrading the archive"))
        except LiveError:  # another bar is on the screen: the upgrade goes unshown
            on_rows = None
        yield on_rows


__all__ = ["COMPACT_SHARE", "compact", "upgrade"]
