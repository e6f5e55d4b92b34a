"""A whole archive copied into another, either engine to either: every table's rows as they
are (ids, rowids and compressed bytes kept, so exports and WARC payloads come out the same),
in one write transaction on the target: a copy that stops part way leaves it empty.
"""

from __future__ import annotations

from collections.abc import Callable

from liveblog_cli.archive import Archive
from liveblog_cli.errors import ArchiveError

# Each table and the columns both engines keep, in an order no reference runs ahead of.
# `rowid` is named where the archive orders by it; generated columns are left to each
# engine (FTS5's blog token, PostgreSQL's tsvector).
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "blogs",
        (
            "id",
            "url",
            "title",
            "standfirst",
            "publisher",
            "is_live",
            "published_at",
            "updated_at",
            "authors",
            "tags",
            "source_format",
            "pages",
            "first_seen_at",
            "last_seen_at",
            "richness",
            "walk_next",
            "language",
            "posts",
            "key_events",
            "deleted",
            "first_post_at",
            "last_post_at",
            "last_changed_at",
            "version",
            "stale",
            "gap",
            "gap_accepted_at",
        ),
    ),
    (
        "blocks",
        (
            "rowid",
            "blog_id",
            "id",
            "title",
            "created_at",
            "published_at",
            "updated_at",
            "key_event",
            "pinned",
            "summary",
            "authors",
            "text",
            "content_hash",
            "revision",
            "first_seen_at",
            "deleted_at",
            "edits",
            "source_format",
            "richness",
            "body",
            "fingerprint",
        ),
    ),
    (
        "block_revisions",
        (
            "blog_id",
            "block_id",
            "revision",
            "content_hash",
            "seen_at",
            "cause",
            "source_format",
            "parser_version",
            "fetch_id",
            "title",
            "text",
            "body",
        ),
    ),
    ("block_seen", ("blog_id", "block_id", "last_seen_at")),
    ("deletions", ("blog_id", "block_id", "deleted_at", "restored_at")),
    ("walks", ("id", "blog_id", "kind", "started_at", "finished_at", "pages", "complete", "error")),
    (
        "fetches",
        (
            "id",
            "blog_id",
            "url",
            "fetched_at",
            "status",
            "etag",
            "last_modified",
            "bytes",
            "snapshot_hash",
            "source_format",
            "new",
            "updated",
            "unchanged",
            "deleted",
            "error",
            "kind",
            "page_url",
            "charset",
            "walk_id",
            "elapsed",
        ),
    ),
    (
        "exchanges",
        (
            "id",
            "fetch_id",
            "seq",
            "url",
            "method",
            "request_headers",
            "status",
            "reason",
            "http_version",
            "response_headers",
            "payload_hash",
            "payload_size",
            "at",
        ),
    ),
    ("snapshots", ("hash", "size", "compressed", "first_seen_at", "codec", "ref")),
    ("page_refs", ("key", "hash")),
    ("dictionaries", ("id", "kind", "data")),
    (
        "schedule",
        (
            "url",
            "kind",
            "blog_id",
            "every",
            "next_due",
            "added_at",
            "lease_owner",
            "lease_until",
            "polls",
            "last_polled_at",
            "last_outcome",
            "failures",
            "state",
            "match",
            "found",
            "etag",
            "last_modified",
        ),
    ),
    ("hosts", ("host", "next_at")),
    ("links", ("url", "feed", "verdict", "blog_id", "seen_at")),
)
# Tables whose ids PostgreSQL counts itself: its counters move past the ids copied.
_COUNTED = {"blocks": "rowid", "walks": "id", "fetches": "id", "exchanges": "id"}
BATCH = 1000


def copy_archive(
    source: Archive, target: Archive, *, on_table: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Every row of `source` into the empty `target`; the rows copied per table (each also
    handed to `on_table` as it is done)."""
    held = target.conn.execute("SELECT count(*) FROM blogs").fetchone()[0]
    if held:
        raise ArchiveError(
            f"archive {target.path} already holds {held} blogs: copy into a new, empty one"
        )
    counts: dict[str, int] = {}
    # The order rows were made in, where the archive reads it back (a blog's posts, the
    # newest dictionary: on SQLite a dictionary's rowid is its id).
    order = {"blocks": "rowid", "dictionaries": "id" if source.engine.name == "sqlite" else "rowid"}
    with target.transaction():
        for table, columns in TABLES:
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            key = order.get(table, "1")
            rows = source.engine.tuples(f"SELECT {names} FROM {table} ORDER BY {key}", [])
            statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            copied = 0
            batch: list[tuple[object, ...]] = []
            for row in rows:
                batch.append(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                if len(batch) >= BATCH:
                    target.engine.insert_many(statement, batch)
                    copied += len(batch)
                    batch = []
            if batch:
                target.engine.insert_many(statement, batch)
                copied += len(batch)
            counts[table] = copied
            if on_table:
                on_table(table, copied)
        target.engine.ids_copied(_COUNTED)
    return counts


def counts(archive: Archive) -> dict[str, int]:
    """Rows per table, in copy order."""
    return {
        table: archive.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table, _ in TABLES
    }


__all__ = ["TABLES", "copy_archive", "counts"]
