"""The archive: blogs, their posts with every revision, every poll, the raw pages.

`Archive` is the one object callers hold; its rooms, one job each:

    database.py   opening (WAL, read-only media, newer archives read-only), transactions
    saving.py     the revision engine: a parsed page becomes rows (revisions, deletions)
    hashing.py    what decides a post changed: its content hash, its source's fingerprint
    raw.py        pages and exchanges as they came (snapshots, WARC's raw material)
    reading.py    blogs, posts, revisions as people and scripts ask for them
    as_of.py      the archive as it stood at a past moment
    search.py     full-text search (query.py: the syntax people type)
    scheduling.py what is followed: due rows, leases, per-host turns, links found in feeds
    engine.py     what each engine provides: sqlite.py, postgres.py (+ postgres_schema.py)
    schema.py     migrations: the schema created and upgraded
    migrating.py  the upgrade: pending migrations in one transaction, then compacted
    batches.py    what a step that rewrites a whole table needs: batches, samples, progress
    packing.py    how bytes are kept small (zstd bodies with a trained dictionary, page deltas)
    checking.py   `check`: the archive's integrity, read back; removing.py: `delete`
    copying.py    `copy`: a whole archive into another, either engine

Writes happen in one write transaction per page saved, so a crash or a concurrent writer
leaves either the previous state or the new one, never a mix.
"""

from __future__ import annotations

from liveblog_cli.archive.database import chosen_path, default_path, now_utc
from liveblog_cli.archive.hashing import content_hash
from liveblog_cli.archive.reading import Reading
from liveblog_cli.archive.saving import FetchInfo, SaveReport, Saving, WalkSave
from liveblog_cli.archive.scheduling import Scheduled, Scheduling
from liveblog_cli.archive.search import Searching


class Archive(Saving, Reading, Searching, Scheduling):
    """One archive file: open it, save parsed blogs into it, query it, close it."""


__all__ = [
    "Archive",
    "FetchInfo",
    "SaveReport",
    "Scheduled",
    "WalkSave",
    "chosen_path",
    "content_hash",
    "default_path",
    "now_utc",
]
