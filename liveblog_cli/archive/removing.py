"""A blog taken out of the archive: its posts, revisions, deletions, polls, exchanges, its
place on the schedule, and the pages no other blog's polls still need.

One write transaction: a delete that fails part way leaves the blog whole. The pages kept
for other blogs stay, and so do pages other pages are stored as deltas against; the trained
body dictionaries stay too (other blogs' posts are packed with them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive

# The blog's own rows, children before parents (exchanges hang off its polls).
_OWN = (
    ("exchanges", "fetch_id IN (SELECT id FROM fetches WHERE blog_id = ?)"),
    ("block_seen", "blog_id = ?"),
    ("deletions", "blog_id = ?"),
    ("block_revisions", "blog_id = ?"),
    ("blocks", "blog_id = ?"),
    ("fetches", "blog_id = ?"),
    ("walks", "blog_id = ?"),
    ("schedule", "blog_id = ? AND kind = 'blog'"),
    ("blogs", "id = ?"),
)


def delete_blog(archive: Archive, blog_id: str) -> dict[str, int]:
    """Every row that is the blog's, and the pages only it used: rows removed per table."""
    removed: dict[str, int] = {}
    with archive.transaction():
        archive.engine.lock_blog(blog_id)
        pages = _hashes(
            archive,
            "SELECT snapshot_hash FROM fetches WHERE blog_id = ? UNION "
            "SELECT payload_hash FROM exchanges WHERE fetch_id IN "
            "(SELECT id FROM fetches WHERE blog_id = ?)",
            [blog_id, blog_id],
        )
        for table, where in _OWN:
            removed[table] = int(
                archive.conn.execute(
                    f"SELECT count(*) FROM {table} WHERE {where}", [blog_id]
                ).fetchone()[0]
            )
            archive.conn.execute(f"DELETE FROM {table} WHERE {where}", [blog_id])
        # A feed's link to the blog stays, so a feed that lists it does not bring it back.
        archive.conn.execute("UPDATE links SET blog_id = NULL WHERE blog_id = ?", [blog_id])
        removed["snapshots"] = _drop_unread_pages(archive, pages)
        archive.conn.execute(
            "DELETE FROM page_refs WHERE key >= ? AND key < ?", [blog_id + " ", blog_id + "!"]
        )
    return removed


def _drop_unread_pages(archive: Archive, pages: set[str]) -> int:
    """Of these pages, those no remaining poll or exchange reads and no kept page is a
    delta against; a reference whose last delta goes is dropped with it."""
    read = _hashes(archive, "SELECT snapshot_hash FROM fetches", []) | _hashes(
        archive, "SELECT payload_hash FROM exchanges", []
    )
    bases = {
        r[0]: r[1]
        for r in archive.conn.execute("SELECT hash, ref FROM snapshots WHERE ref IS NOT NULL")
    }
    drop: set[str] = set()
    while True:
        candidates = (pages | {bases[h] for h in drop if h in bases}) - read
        needed = {base for page, base in bases.items() if page not in candidates}
        now = candidates - needed
        if now == drop:
            break
        drop = now
    for digest in sorted(drop):
        archive.conn.execute("DELETE FROM snapshots WHERE hash = ?", [digest])
    return len(drop)


def _hashes(archive: Archive, sql: str, params: list[str]) -> set[str]:
    return {r[0] for r in archive.conn.execute(sql, params) if r[0] is not None}


__all__ = ["delete_blog"]
