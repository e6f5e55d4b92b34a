"""The archive's schema, created and upgraded by migrations (sqlite-utils `Migrations`).

Each migration runs once per archive, in order, inside a transaction. An archive made by
an older liveblog opens and upgrades, losing nothing; one made by a newer liveblog (a
migration this version does not know) is read but never written.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from liveblog_cli.model import qualified_blog_id, richness

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


@MIGRATIONS(name="005_provenance_polls_walks_hosts")
def _provenance(db: Database) -> None:
    """Why each revision exists, every poll, walks that can resume, deletions with their
    history, and blog ids that keep hosts apart."""
    run = db.execute
    # Provenance: the cause of each revision, its kind of source, the parser, the fetch.
    for column in ("cause TEXT", "source_format TEXT", "parser_version TEXT", "fetch_id INTEGER"):
        run(f"ALTER TABLE block_revisions ADD COLUMN {column}")
    run(
        "UPDATE block_revisions SET cause = CASE WHEN revision = 1 THEN 'first' ELSE 'edit' END,"
        " source_format = (SELECT source_format FROM blogs WHERE blogs.id = blog_id)"
    )
    for column in (
        "edits INTEGER NOT NULL DEFAULT 0",
        "source_format TEXT",
        "richness INTEGER NOT NULL DEFAULT 1",
    ):
        run(f"ALTER TABLE blocks ADD COLUMN {column}")
    for column in ("richness INTEGER NOT NULL DEFAULT 1", "walk_next TEXT"):
        run(f"ALTER TABLE blogs ADD COLUMN {column}")
    formats = [r[0] for r in run("SELECT DISTINCT source_format FROM blogs").fetchall()]
    for name in formats:
        run("UPDATE blogs SET richness = ? WHERE source_format IS ?", [richness(name), name])
    run(
        "UPDATE blocks SET edits = revision - 1, "
        "source_format = (SELECT source_format FROM blogs WHERE blogs.id = blog_id), "
        "richness = (SELECT richness FROM blogs WHERE blogs.id = blog_id)"
    )
    # Every poll: what kind of read it was, under which URL the page was parsed, its walk.
    for column in (
        "kind TEXT",
        "page_url TEXT",
        "charset TEXT",
        "walk_id INTEGER",
        "elapsed REAL",
    ):
        run(f"ALTER TABLE fetches ADD COLUMN {column}")
    run("UPDATE fetches SET kind = CASE WHEN status IS NULL THEN 'file' ELSE 'fetch' END")
    run("CREATE INDEX fetches_by_blog ON fetches (blog_id, fetched_at)")
    run("""
        CREATE TABLE walks (
            id INTEGER PRIMARY KEY, blog_id TEXT, kind TEXT, started_at TEXT, finished_at TEXT,
            pages INTEGER, complete INTEGER, error TEXT
        )""")
    # Each save before this was one walk: its fetch rows share a blog and a time.
    run(
        "INSERT INTO walks (blog_id, kind, started_at, finished_at, pages) "
        "SELECT blog_id, min(kind), fetched_at, fetched_at, count(*) FROM fetches "
        "GROUP BY blog_id, fetched_at ORDER BY min(id)"
    )
    run(
        "UPDATE fetches SET walk_id = (SELECT w.id FROM walks w WHERE w.blog_id IS fetches.blog_id"
        " AND w.started_at IS fetches.fetched_at)"
    )
    # Deletions with their history (a post deleted, restored, deleted again), for --as-of.
    run("""
        CREATE TABLE deletions (
            blog_id TEXT NOT NULL, block_id TEXT NOT NULL, deleted_at TEXT NOT NULL,
            restored_at TEXT
        )""")
    run("CREATE INDEX deletions_by_block ON deletions (blog_id, block_id)")
    run(
        "INSERT INTO deletions (blog_id, block_id, deleted_at) "
        "SELECT blog_id, id, deleted_at FROM blocks WHERE deleted_at IS NOT NULL"
    )
    run("CREATE INDEX revisions_by_time ON block_revisions (blog_id, seen_at)")
    # What a save compares, read from the index alone.
    run("DROP INDEX blocks_state")
    run(
        "CREATE INDEX blocks_state ON blocks (blog_id, id, content_hash, revision, deleted_at, "
        "richness, source_format, edits)"
    )
    _hosts_apart(db)


def _hosts_apart(db: Database) -> None:
    """Blog ids made from a URL's path gain its host, so two hosts never share a blog."""
    rows = db.execute("SELECT id, url, source_format FROM blogs").fetchall()
    renames = []
    for blog_id, url, source_format in rows:
        new = qualified_blog_id(blog_id, url, source_format)
        if new != blog_id:
            renames.append((new, blog_id))
    if not renames:
        return
    # Every table points at blogs by id: renamed together, checked when the migration commits.
    db.execute("PRAGMA defer_foreign_keys = ON")
    taken = {r[0] for r in rows}
    for new, old in renames:
        if new in taken:
            continue  # cannot happen for ids made from distinct URLs; never merge two blogs
        db.execute("UPDATE blogs SET id = ? WHERE id = ?", [new, old])
        for table, column in (
            ("blocks", "blog_id"),
            ("block_revisions", "blog_id"),
            ("block_seen", "blog_id"),
            ("fetches", "blog_id"),
            ("walks", "blog_id"),
            ("deletions", "blog_id"),
        ):
            db.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [new, old])


@MIGRATIONS(name="006_exchanges")
def _exchanges(db: Database) -> None:
    """What a web archive keeps of each fetch: every request and response as they crossed
    the wire (headers as sent and received, the payload as sent, by hash in `snapshots`),
    in order within their poll (retries and redirects included)."""
    db.execute("""
        CREATE TABLE exchanges (
            id INTEGER PRIMARY KEY, fetch_id INTEGER NOT NULL REFERENCES fetches(id),
            seq INTEGER NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,
            request_headers TEXT NOT NULL, status INTEGER NOT NULL, reason TEXT,
            http_version TEXT, response_headers TEXT NOT NULL, payload_hash TEXT,
            payload_size INTEGER NOT NULL, at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX exchanges_by_fetch ON exchanges (fetch_id, seq)")


def unknown_migrations(db: Database) -> list[str]:
    """Migrations an archive has that this liveblog does not know: a newer liveblog made it."""
    # pending() lists what this version knows and the archive lacks; applied() what it has.
    known = {m.name for m in getattr(MIGRATIONS, "_migrations", [])}
    return [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
