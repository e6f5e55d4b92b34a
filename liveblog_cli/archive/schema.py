"""The archive's schema, created and upgraded by migrations (sqlite-utils `Migrations`).

Each migration runs once per archive, in order, inside a transaction. An archive made by
an older liveblog opens and upgrades, losing nothing; one made by a newer liveblog (a
migration this version does not know) is read but never written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from liveblog_cli.model import qualified_blog_id, richness

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

SET = "liveblog"

# The schedule's tables, one text for both engines (times as seconds since the epoch).
SCHEDULE_TABLES = """
    CREATE TABLE schedule (
        url TEXT PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'blog', blog_id TEXT,
        every REAL NOT NULL, next_due REAL NOT NULL, added_at TEXT NOT NULL,
        lease_owner TEXT, lease_until REAL, polls INTEGER NOT NULL DEFAULT 0,
        last_polled_at TEXT, last_outcome TEXT, failures INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'active', match TEXT, found INTEGER NOT NULL DEFAULT 0
    )"""
# Claims take due rows in (next_due, url) order: with the url in the index, many rows due at
# the same instant (a `schedule add` of a thousand addresses) need no sort per claim.
SCHEDULE_DUE_INDEX = "CREATE INDEX schedule_due ON schedule (state, next_due, url)"
HOSTS_TABLE = "CREATE TABLE hosts (host TEXT PRIMARY KEY, next_at REAL NOT NULL)"
LINKS_TABLE = """
    CREATE TABLE links (
        url TEXT PRIMARY KEY, feed TEXT, verdict TEXT NOT NULL, blog_id TEXT,
        seen_at TEXT NOT NULL
    )"""
# Every migration, in order. Registered here, not on a sqlite-utils `Migrations` object, so
# that opening an up-to-date archive (the common case) needs no sqlite-utils import at all:
# whether anything is pending is one query (see `pending`).
STEPS: list[tuple[str, Callable[[Database], None]]] = []


# PostgreSQL archives are created at today's version (postgres_schema.py, every name above
# recorded). A later step migrates both engines: registered with `migration` for SQLite and
# with `postgres_migration` under the same name for PostgreSQL (given its connection, inside
# a transaction); postgres_schema.py then creates new archives with it included.
POSTGRES_STEPS: dict[str, Callable[[Any], None]] = {}


def migration(name: str) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
    def register(step: Callable[[Database], None]) -> Callable[[Database], None]:
        STEPS.append((name, step))
        return step

    return register


def postgres_migration(name: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def register(step: Callable[[Any], None]) -> Callable[[Any], None]:
        POSTGRES_STEPS[name] = step
        return step

    return register


@migration("001_initial")
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
    db.table("blocks").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@migration("002_fts_update_only_on_text")
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


@migration("003_block_seen_and_state_index")
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


@migration("004_blocks_order_index")
def _blocks_order(db: Database) -> None:
    """Timelines and exports read blocks in time order: an index in that order lets them
    stream rows instead of sorting them all first."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS blocks_order ON blocks "
        "(blog_id, coalesce(published_at, created_at, updated_at, first_seen_at))"
    )


@migration("005_provenance_polls_walks_hosts")
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


@migration("006_exchanges")
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


@migration("007_datasette_views")
def _datasette_views(db: Database) -> None:
    """Views that read the archive as people ask about it (in Datasette or sqlite3): posts,
    key events, edits with the text before and after, deletions, polls with their outcome.
    Each is a join on primary keys or an index walk, never a subquery per row, so the
    first page of any view costs the same on a big archive as on a small one."""
    # A time as people read it, in UTC (the archive's ISO strings stay beside it for sorting).
    at = "strftime('%Y-%m-%d %H:%M UTC', {})".format
    # A post's time: when it was published, else the first time the source or we knew of it.
    post_time = "coalesce({0}published_at, {0}created_at, {0}updated_at, {0}first_seen_at)"
    # A poll's outcome in words. A failure is a row with an error, as `list` counts them (an
    # HTTP error status without one is a failure too); counts are the walk's so far.
    outcome = """CASE
        WHEN f.error IS NOT NULL THEN 'failed: ' || f.error
        WHEN f.status >= 400 THEN 'failed: HTTP ' || f.status
        WHEN f.status = 304 THEN 'not modified'
        WHEN coalesce(f.new, 0) + coalesce(f.updated, 0) + coalesce(f.deleted, 0) > 0
          THEN 'changed'
        ELSE 'unchanged' END"""
    db.execute(f"""
        CREATE VIEW posts AS
        SELECT b.blog_id, g.title AS blog, b.id AS post_id,
          {at("b.published_at")} AS published, {at("b.updated_at")} AS updated,
          {at("b.first_seen_at")} AS first_seen,
          b.key_event, b.pinned, b.summary, b.edits, b.deleted_at, b.title, b.text,
          b.published_at, b.updated_at, b.first_seen_at, b.rowid AS rowid
        FROM blocks b LEFT JOIN blogs g ON g.id = b.blog_id""")
    # Newest first across every blog: a partial index holds the few key events in that order.
    db.execute(
        f"CREATE INDEX blocks_key_events ON blocks ({post_time.format('')}) WHERE key_event = 1"
    )
    db.execute(f"""
        CREATE VIEW key_events AS
        SELECT b.blog_id, g.title AS blog, b.id AS post_id,
          {at(post_time.format("b."))} AS time, b.title, b.text, b.pinned, b.summary, b.edits,
          b.deleted_at, {post_time.format("b.")} AS time_at
        FROM blocks b LEFT JOIN blogs g ON g.id = b.blog_id
        WHERE b.key_event = 1
        ORDER BY {post_time.format("b.")} DESC""")
    # Edits are few among revisions: a partial index finds them newest first without reading
    # the revisions' JSON; the text before is the previous revision, found by primary key.
    db.execute("CREATE INDEX revisions_edits ON block_revisions (seen_at) WHERE cause = 'edit'")
    _edits_view(db)
    # (The table `deletions` holds the bare rows; this view adds the post and readable times.)
    # Newest first in the order they were recorded: the table's own order, no sort.
    db.execute(f"""
        CREATE VIEW post_deletions AS
        SELECT d.blog_id, g.title AS blog, d.block_id AS post_id, b.title, b.text,
          {at("d.deleted_at")} AS deleted, {at("d.restored_at")} AS restored,
          d.deleted_at, d.restored_at
        FROM deletions d
        LEFT JOIN blocks b ON b.blog_id = d.blog_id AND b.id = d.block_id
        LEFT JOIN blogs g ON g.id = d.blog_id
        ORDER BY d.rowid DESC""")
    db.execute(f"""
        CREATE VIEW polls AS
        SELECT f.id, f.blog_id, g.title AS blog, f.url, {at("f.fetched_at")} AS time, f.kind,
          f.status, {outcome} AS outcome, f.new, f.updated, f.deleted, f.bytes,
          f.fetched_at, f.elapsed, f.snapshot_hash
        FROM fetches f LEFT JOIN blogs g ON g.id = f.blog_id
        ORDER BY f.id DESC""")


@migration("008_blog_language")
def _language(db: Database) -> None:
    """The language a blog is written in, where its source says (`lang` of HTML exports)."""
    db.execute("ALTER TABLE blogs ADD COLUMN language TEXT")


@migration("009_compact_storage")
def _compact(db: Database) -> None:
    """A post's content once per revision: the current one in `blocks` (title and text as
    columns, the rest as a compressed `body`), earlier ones in `block_revisions` (the same
    three columns); pages in zstd, as deltas against a reference page; hashes of 16 hex
    digits. Every post and revision is kept: each is moved, none is dropped."""
    from liveblog_cli.archive.packing import Packer, body_of

    run = db.execute
    conn = db.conn
    run(
        "CREATE TABLE dictionaries (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, data BLOB NOT NULL)"
    )
    run("ALTER TABLE snapshots ADD COLUMN codec TEXT NOT NULL DEFAULT 'zlib'")
    run("ALTER TABLE snapshots ADD COLUMN ref TEXT")
    run("CREATE TABLE page_refs (key TEXT PRIMARY KEY, hash TEXT NOT NULL) WITHOUT ROWID")
    run("ALTER TABLE blocks ADD COLUMN body BLOB")
    for column in ("title TEXT", "text TEXT", "body BLOB"):
        run(f"ALTER TABLE block_revisions ADD COLUMN {column}")
    # Read, packed and written a batch at a time (memory stays flat at any size): the
    # dictionary is trained on a sample spread over the posts, then every post is packed.
    from liveblog_cli.archive.batches import by_rowid, done_of, spread

    packer = Packer(conn)
    columns = "id, created_at, published_at, updated_at, key_event, pinned, summary, authors"
    current_sql = f"SELECT rowid, {columns}, html, elements FROM blocks"
    packer.train([_body_of_row(row) for row in spread(conn, "blocks", current_sql)])
    posts = done_of(conn, "blocks")
    for rows in by_rowid(conn, current_sql):
        conn.executemany(
            "UPDATE blocks SET body = ? WHERE rowid = ?",
            [(packer.pack(_body_of_row(row)), row[0]) for row in rows],
        )
        posts(rows[-1][0])
    revisions = done_of(conn, "block_revisions")
    older_sql = (
        "SELECT r.rowid, r.data FROM block_revisions r JOIN blocks b "
        "ON b.blog_id = r.blog_id AND b.id = r.block_id"
    )
    for rows in by_rowid(conn, older_sql, alias="r", where="r.revision < b.revision"):
        updates = []
        for rowid, raw in rows:
            data = json.loads(raw)
            title, text = data.get("title"), data.get("text") or ""
            updates.append((title, text, packer.pack(body_of(data)), rowid))
        conn.executemany(
            "UPDATE block_revisions SET title = ?, text = ?, body = ? WHERE rowid = ?", updates
        )
        revisions(rows[-1][0])
    run("DROP VIEW edits")
    run("ALTER TABLE block_revisions DROP COLUMN data")
    _edits_view(db)
    run("ALTER TABLE blocks DROP COLUMN html")
    run("ALTER TABLE blocks DROP COLUMN elements")
    run("DROP INDEX IF EXISTS blocks_by_time")
    # Sixteen hex digits tell one version of a post from the next as well as sixty-four.
    run("DROP INDEX blocks_state")
    run("UPDATE blocks SET content_hash = substr(content_hash, 1, 16)")
    run("UPDATE block_revisions SET content_hash = substr(content_hash, 1, 16)")
    run(
        "CREATE INDEX blocks_state ON blocks (blog_id, id, content_hash, revision, deleted_at, "
        "richness, source_format, edits)"
    )


def _body_of_row(row: tuple[Any, ...]) -> bytes:
    """A post's body from its columns before migration 009 (rowid and id first)."""
    from liveblog_cli.archive.packing import body_of

    data = {
        "created_at": row[2],
        "published_at": row[3],
        "updated_at": row[4],
        "key_event": bool(row[5]),
        "pinned": bool(row[6]),
        "summary": bool(row[7]),
        "authors": json.loads(row[8] or "[]"),
        "html": row[9],
        "elements": json.loads(row[10] or "[]"),
    }
    return body_of(data)


def _edits_view(db: Database) -> None:
    """Every edit with the title and text before (the previous revision) and after (this
    revision's own: its JSON in archives before 009, its columns, or the post's while it is
    the current one, after)."""
    at = "strftime('%Y-%m-%d %H:%M UTC', {})".format
    columns = {r[1] for r in db.execute("PRAGMA table_info(block_revisions)").fetchall()}
    if "data" in columns:
        before = "json_extract(p.data, '$.{0}')".format
        after = "json_extract(r.data, '$.{0}')".format
    else:
        before = "p.{0}".format
        after = "CASE WHEN r.revision = b.revision THEN b.{0} ELSE r.{0} END".format
    db.execute(f"""
        CREATE VIEW edits AS
        SELECT r.blog_id, g.title AS blog, r.block_id AS post_id, r.revision,
          {at("r.seen_at")} AS edited, r.seen_at AS edited_at,
          {before("title")} AS title_before, {after("title")} AS title_after,
          {before("text")} AS text_before, {after("text")} AS text_after,
          r.source_format, r.fetch_id
        FROM block_revisions r
        LEFT JOIN block_revisions p
          ON p.blog_id = r.blog_id AND p.block_id = r.block_id AND p.revision = r.revision - 1
        LEFT JOIN blocks b ON b.blog_id = r.blog_id AND b.id = r.block_id
        LEFT JOIN blogs g ON g.id = r.blog_id
        WHERE r.cause = 'edit'
        ORDER BY r.seen_at DESC""")


POST_TIME = "coalesce(published_at, created_at, updated_at, first_seen_at)"


@migration("010_counts_and_blog_search")
def _counts_and_blog_search(db: Database) -> None:
    """What `list` shows kept on each blog's row (counts, first and last post, last
    change), so listing a thousand blogs reads a thousand rows; the search index knows each
    post's blog (a search within one blog is one index query, not a filter after ranking);
    a blog's key events found by an index in time order."""
    run = db.execute
    for column in (
        "posts INTEGER NOT NULL DEFAULT 0",
        "key_events INTEGER NOT NULL DEFAULT 0",
        "deleted INTEGER NOT NULL DEFAULT 0",
        "first_post_at TEXT",
        "last_post_at TEXT",
        "last_changed_at TEXT",
    ):
        run(f"ALTER TABLE blogs ADD COLUMN {column}")
    for (blog_id,) in run("SELECT id FROM blogs").fetchall():
        recount(db.conn, blog_id)
    run(
        "UPDATE blogs SET last_changed_at = max(coalesce((SELECT max(seen_at) FROM "
        "block_revisions r WHERE r.blog_id = blogs.id AND r.cause IN ('first', 'edit', "
        "'import')), ''), coalesce((SELECT max(deleted_at) FROM deletions d "
        "WHERE d.blog_id = blogs.id), ''))"
    )
    run("UPDATE blogs SET last_changed_at = NULL WHERE last_changed_at = ''")
    # A post's blog as one search token (its id in hex: one word to the tokenizer).
    run("ALTER TABLE blocks ADD COLUMN blog TEXT GENERATED ALWAYS AS (hex(blog_id)) VIRTUAL")
    for trigger in ("blocks_ai", "blocks_ad", "blocks_au"):
        run(f"DROP TRIGGER IF EXISTS {trigger}")
    run("DROP TABLE blocks_fts")
    # content="blocks" written so, as Datasette looks for it (and sqlite-utils wrote it).
    run(
        "CREATE VIRTUAL TABLE blocks_fts USING FTS5 (title, text, blog, tokenize='unicode61', "
        'content="blocks")'
    )
    run("""
        CREATE TRIGGER blocks_ai AFTER INSERT ON blocks BEGIN
          INSERT INTO blocks_fts (rowid, title, text, blog)
            VALUES (new.rowid, new.title, new.text, new.blog);
        END""")
    run("""
        CREATE TRIGGER blocks_ad AFTER DELETE ON blocks BEGIN
          INSERT INTO blocks_fts (blocks_fts, rowid, title, text, blog)
            VALUES ('delete', old.rowid, old.title, old.text, old.blog);
        END""")
    run("""
        CREATE TRIGGER blocks_au AFTER UPDATE OF title, text ON blocks BEGIN
          INSERT INTO blocks_fts (blocks_fts, rowid, title, text, blog)
            VALUES ('delete', old.rowid, old.title, old.text, old.blog);
          INSERT INTO blocks_fts (rowid, title, text, blog)
            VALUES (new.rowid, new.title, new.text, new.blog);
        END""")
    run("INSERT INTO blocks_fts (blocks_fts) VALUES ('rebuild')")
    run(
        f"CREATE INDEX blocks_key_events_of_blog ON blocks (blog_id, {POST_TIME}) "
        "WHERE key_event = 1"
    )


@migration("011_blog_version_and_stale")
def _version_and_stale(db: Database) -> None:
    """Each blog's state has a version, moved on by every write to its posts (a reparse
    writes only over the state it read), and a mark for a blog whose rows must be rebuilt
    from its pages in capture order (a capture older than what the archive holds arrived)."""
    db.execute("ALTER TABLE blogs ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE blogs ADD COLUMN stale INTEGER NOT NULL DEFAULT 0")


@migration("012_no_secret_headers")
def _no_secret_headers(db: Database) -> None:
    """Cookies and credentials an exchange's headers carried are dropped from what is kept
    (an archive is shared, exported and served)."""
    import json

    from liveblog_cli.archive.batches import by_rowid
    from liveblog_cli.exchange import kept_headers

    secret = (
        "lower(request_headers) LIKE '%cookie%' OR lower(response_headers) LIKE '%cookie%' "
        "OR lower(request_headers) LIKE '%authorization%' "
        "OR lower(response_headers) LIKE '%authorization%'"
    )
    select = "SELECT id, request_headers, response_headers FROM exchanges"
    for rows in by_rowid(db.conn, select, where=secret):
        for row_id, sent, received in rows:
            db.execute(
                "UPDATE exchanges SET request_headers = ?, response_headers = ? WHERE id = ?",
                [
                    json.dumps(kept_headers(map(tuple, json.loads(sent))), ensure_ascii=False),
                    json.dumps(kept_headers(map(tuple, json.loads(received))), ensure_ascii=False),
                    row_id,
                ],
            )


@migration("013_schedule")
def _schedule(db: Database) -> None:
    """What is followed lives in the archive, so workers on one machine or many share it:
    each blog (or feed) with how often it is polled, when it is next due, who holds it now
    (a lease that runs out if its worker dies), how its last poll went; the next moment
    each host may be asked (politeness across workers); the links a feed led to, judged."""
    db.execute(SCHEDULE_TABLES)
    db.execute(SCHEDULE_DUE_INDEX)
    db.execute(HOSTS_TABLE)
    db.execute(LINKS_TABLE)


# A feed's validators, so that re-reading it is a conditional GET (migration 014).
FEED_VALIDATORS = (
    "ALTER TABLE schedule ADD COLUMN etag TEXT",
    "ALTER TABLE schedule ADD COLUMN last_modified TEXT",
)


@migration("014_feed_validators")
def _feed_validators(db: Database) -> None:
    """A feed on the schedule keeps its ETag and Last-Modified: its next read is
    conditional, as a page's is."""
    for statement in FEED_VALIDATORS:
        db.execute(statement)


@postgres_migration("014_feed_validators")
def _feed_validators_postgres(conn: Any) -> None:
    for statement in FEED_VALIDATORS:
        conn.execute(statement)


# What a blog's archive lacks: its last walk's failure, and whether a person accepted it.
GAP_COLUMNS = (
    "ALTER TABLE blogs ADD COLUMN gap TEXT",
    "ALTER TABLE blogs ADD COLUMN gap_accepted_at TEXT",
)


@migration("015_gaps")
def _gaps(db: Database) -> None:
    """A blog whose walk failed part way says so (`gap`), until a walk reads it whole or a
    person accepts the gap (`fetch --accept-gap`: the walk no longer resumes)."""
    for statement in GAP_COLUMNS:
        db.execute(statement)
    db.execute(
        "UPDATE blogs SET gap = (SELECT w.error FROM walks w WHERE w.blog_id = blogs.id "
        "ORDER BY w.id DESC LIMIT 1) WHERE walk_next IS NOT NULL"
    )


@postgres_migration("015_gaps")
def _gaps_postgres(conn: Any) -> None:
    for statement in GAP_COLUMNS:
        conn.execute(statement)


@migration("016_schedule_due_url")
def _schedule_due_url(db: Database) -> None:
    """The schedule's due index also holds the url, the claims' tie-break (see above)."""
    db.execute("DROP INDEX IF EXISTS schedule_due")
    db.execute(SCHEDULE_DUE_INDEX)


@postgres_migration("016_schedule_due_url")
def _schedule_due_url_postgres(conn: Any) -> None:
    conn.execute("DROP INDEX IF EXISTS schedule_due")
    conn.execute(SCHEDULE_DUE_INDEX)


# --- 017: the views as people read them ---------------------------------------------------

# A time as people read it, in UTC, in each engine's SQL (the ISO strings stay beside it).
SQLITE_AT = "strftime('%Y-%m-%d %H:%M UTC', {})".format
POSTGRES_AT = "to_char(({})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')".format
# Every post newest first across all blogs, as `posts` lists them: one index walk for the
# first page, where a sort would read all the posts (one blog's: blocks_order).
NEWEST_INDEX = f"CREATE INDEX blocks_newest ON blocks (({POST_TIME}))"
_POST_TIME_OF_B = "coalesce(b.published_at, b.created_at, b.updated_at, b.first_seen_at)"
# An edit's version of the title and text: the revision's own columns, or the post's while
# it is the current one (an earlier version keeps its content in its revision row).
_AFTER = "CASE WHEN r.revision = b.revision THEN b.{0} ELSE r.{0} END".format


def views_017(at: Callable[[str], str]) -> list[str]:
    """`posts`, `edits` and `polls` as of migration 017, one text for both engines (`at`
    writes the engine's readable time). posts: newest first, as every other view. edits:
    which part changed (`change`; Datasette shows the words that changed, see serve.py), and
    whether the edit made the post as it stands now (`latest`). polls: an address that
    failed before another answered for the same blog 'fell back', not failed."""
    title_changed = f"coalesce(p.title, '') <> coalesce({_AFTER('title')}, '')"
    text_changed = f"coalesce(p.text, '') <> coalesce({_AFTER('text')}, '')"
    return [
        f"""CREATE VIEW posts AS
        SELECT b.blog_id, g.title AS blog, b.id AS post_id,
          {at("b.published_at")} AS published, {at("b.updated_at")} AS updated,
          {at("b.first_seen_at")} AS first_seen,
          b.key_event, b.pinned, b.summary, b.edits, b.deleted_at, b.title, b.text,
          b.published_at, b.updated_at, b.first_seen_at, b.rowid AS rowid
        FROM blocks b LEFT JOIN blogs g ON g.id = b.blog_id
        ORDER BY {_POST_TIME_OF_B} DESC""",
        f"""CREATE VIEW edits AS
        SELECT r.blog_id, g.title AS blog, r.block_id AS post_id, r.revision,
          {at("r.seen_at")} AS edited, r.seen_at AS edited_at,
          CASE WHEN {title_changed} AND {text_changed} THEN 'title and text'
            WHEN {title_changed} THEN 'title'
            WHEN {text_changed} THEN 'text'
            ELSE 'other (flags, times, media)' END AS change,
          p.title AS title_before, {_AFTER("title")} AS title_after,
          p.text AS text_before, {_AFTER("text")} AS text_after,
          r.source_format, r.fetch_id,
          CASE WHEN r.revision = b.revision THEN 1 ELSE 0 END AS latest
        FROM block_revisions r
        LEFT JOIN block_revisions p
          ON p.blog_id = r.blog_id AND p.block_id = r.block_id AND p.revision = r.revision - 1
        LEFT JOIN blocks b ON b.blog_id = r.blog_id AND b.id = r.block_id
        LEFT JOIN blogs g ON g.id = r.blog_id
        WHERE r.cause = 'edit'
        ORDER BY r.seen_at DESC""",
        # A failure is a row with an error, as `list` counts them (an HTTP error status
        # without one is a failure too), except a fallback: its blog was read from the next
        # address (sync.py), so `list` does not count it either. Counts are the walk's so far.
        f"""CREATE VIEW polls AS
        SELECT f.id, f.blog_id, g.title AS blog, f.url, {at("f.fetched_at")} AS time, f.kind,
          f.status, CASE
            WHEN f.kind = 'fallback'
              THEN 'fell back: ' || coalesce(f.error, 'HTTP ' || f.status, 'no page')
            WHEN f.error IS NOT NULL THEN 'failed: ' || f.error
            WHEN f.status >= 400 THEN 'failed: HTTP ' || f.status
            WHEN f.status = 304 THEN 'not modified'
            WHEN coalesce(f.new, 0) + coalesce(f.updated, 0) + coalesce(f.deleted, 0) > 0
              THEN 'changed'
            ELSE 'unchanged' END AS outcome,
          f.new, f.updated, f.deleted, f.bytes, f.fetched_at, f.elapsed, f.snapshot_hash
        FROM fetches f LEFT JOIN blogs g ON g.id = f.blog_id
        ORDER BY f.id DESC""",
    ]


VIEWS_017 = ("posts", "edits", "polls")


@migration("017_views_for_reading")
def _views_for_reading(db: Database) -> None:
    """posts newest first (through a new index), edits with what changed, polls saying
    'fell back' (see views_017)."""
    for view in VIEWS_017:
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.execute(NEWEST_INDEX)
    for statement in views_017(SQLITE_AT):
        db.execute(statement)


@postgres_migration("017_views_for_reading")
def _views_for_reading_postgres(conn: Any) -> None:
    for view in VIEWS_017:
        conn.execute(f"DROP VIEW IF EXISTS {view}")
    conn.execute(NEWEST_INDEX)
    for statement in views_017(POSTGRES_AT):
        conn.execute(statement)


# --- 018: a fingerprint of what each post was read from ---------------------------------------

# The state index (what a save reads of every post it meets) holds the fingerprint too.
FINGERPRINT_COLUMN = "ALTER TABLE blocks ADD COLUMN fingerprint BLOB"  # 16 bytes
POSTGRES_FINGERPRINT_COLUMN = FINGERPRINT_COLUMN.replace("BLOB", "BYTEA")
STATE_INDEX = (
    "CREATE INDEX blocks_state ON blocks (blog_id, id, content_hash, revision, deleted_at, "
    "richness, source_format, edits, fingerprint)"
)


@migration("018_post_fingerprint")
def _post_fingerprint(db: Database) -> None:
    """Each post keeps a fingerprint of what it was read from (hashing.fingerprint): a re-save
    that meets the same one knows the post unchanged without hashing what it says. Rows of
    older archives have none (NULL) and are compared in full, as before, until then."""
    db.execute(FINGERPRINT_COLUMN)
    db.execute("DROP INDEX blocks_state")
    db.execute(STATE_INDEX)


@postgres_migration("018_post_fingerprint")
def _post_fingerprint_postgres(conn: Any) -> None:
    conn.execute(POSTGRES_FINGERPRINT_COLUMN)
    conn.execute("DROP INDEX blocks_state")
    conn.execute(STATE_INDEX)


def recount(conn: sqlite3.Connection, blog_id: str) -> int:
    """A blog's counts and first and last post, on its row, from the indexes; its posts."""
    conn.execute(
        "UPDATE blogs SET "
        "posts = (SELECT count(*) FROM blocks WHERE blog_id = ?1 AND deleted_at IS NULL), "
        "deleted = (SELECT count(*) FROM blocks WHERE blog_id = ?1 AND deleted_at IS NOT NULL), "
        "key_events = (SELECT count(*) FROM blocks WHERE blog_id = ?1 AND key_event = 1 "
        "AND deleted_at IS NULL), "
        f"first_post_at = (SELECT min({POST_TIME}) FROM blocks WHERE blog_id = ?1), "
        f"last_post_at = (SELECT max({POST_TIME}) FROM blocks WHERE blog_id = ?1) "
        "WHERE id = ?1",
        [blog_id],
    )
    row = conn.execute("SELECT posts FROM blogs WHERE id = ?", [blog_id]).fetchone()
    return row[0] if row else 0


def migrations() -> Migrations:
    """The steps as a sqlite-utils `Migrations` set (it records what was applied)."""
    from sqlite_utils.migrations import Migrations

    steps = Migrations(SET)
    for name, step in STEPS:
        steps(name=name)(step)
    return steps


def applied(conn: sqlite3.Connection) -> list[str]:
    """The migrations an archive has had, in order (none for a new file)."""
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [SET]
        ).fetchall()
    except sqlite3.OperationalError:
        return []  # no record table yet: a new archive
    return [r[0] for r in rows]


def pending(conn: sqlite3.Connection) -> list[str]:
    done = set(applied(conn))
    return [name for name, _ in STEPS if name not in done]


def unknown_migrations(conn: sqlite3.Connection) -> list[str]:
    """Migrations an archive has that this liveblog does not know: a newer liveblog made it."""
    known = {name for name, _ in STEPS}
    return [name for name in applied(conn) if name not in known]


def apply(conn: sqlite3.Connection) -> None:
    """Apply every pending migration (inside the caller's transaction)."""
    from sqlite_utils import Database

    migrations().apply(Database(conn))
