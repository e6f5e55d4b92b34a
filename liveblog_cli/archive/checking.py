"""Is the archive whole? The engine's own check, every kept page and post body read back,
every post's current revision on record, every blog's counts against its posts, no poll
pointing at a page that is not there. And, apart from those, what today's parser would
change (a parser upgrade is not damage: `reparse` applies it).

Reads only; each check is a function giving a `Check`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive

# A check that finds thousands of problems says how many and shows the first few.
SHOWN = 20


@dataclass
class Check:
    name: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    found: int = 0  # problems found, of which the first SHOWN are in `problems`
    skipped: str | None = None  # why the check did not run here

    @property
    def ok(self) -> bool:
        return self.found == 0

    def problem(self, text: str) -> None:
        self.found += 1
        if len(self.problems) < SHOWN:
            self.problems.append(text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "ok": self.ok,
            "checked": self.checked,
            "problems": self.found,
            "first_problems": self.problems,
            "skipped": self.skipped,
        }


def engine_check(archive: Archive) -> Check:
    """SQLite's integrity_check of every page of the file, and of the search index."""
    check = Check("database")
    if archive.engine.name != "sqlite":
        check.skipped = "PostgreSQL checks its own pages (its amcheck extension, run by an admin)"
        return check
    for (line,) in archive.conn.execute("PRAGMA integrity_check"):
        if line != "ok":
            check.problem(str(line))
    check.checked += 1
    try:
        # rank 1: the index compared with the posts it indexes, not only with itself.
        archive.conn.execute(
            "INSERT INTO blocks_fts (blocks_fts, rank) VALUES ('integrity-check', 1)"
        )
    except archive.engine.errors as exc:
        check.problem(f"the search index does not match the posts ({exc})")
    check.checked += 1
    return check


def pages_check(archive: Archive, on_item: Callable[[], None] | None = None) -> Check:
    """Every kept page decodes to bytes whose SHA-256 is its name; every poll and exchange
    names a page that is kept."""
    check = Check("pages")
    hashes = [r[0] for r in archive.conn.execute("SELECT hash FROM snapshots ORDER BY hash")]
    for digest in hashes:
        check.checked += 1
        if on_item:
            on_item()
        try:
            page = archive.snapshot(digest)
        except Exception as exc:  # a damaged page is what is looked for: say which
            check.problem(f"page {digest[:12]} does not decode: {_first_line(exc)}")
            continue
        if page is None or hashlib.sha256(page).hexdigest() != digest:
            check.problem(f"page {digest[:12]} decodes to other bytes than it was kept as")
    for table, column in (("fetches", "snapshot_hash"), ("exchanges", "payload_hash")):
        for row_id, digest in archive.conn.execute(
            f"SELECT t.id, t.{column} FROM {table} t LEFT JOIN snapshots s "
            f"ON s.hash = t.{column} WHERE t.{column} IS NOT NULL AND s.hash IS NULL"
        ):
            check.problem(f"{table} row {row_id} names page {digest[:12]}, which is not kept")
    return check


def posts_check(archive: Archive, on_item: Callable[[], None] | None = None) -> Check:
    """Every post's stored parts decode to a post whose content hash is the one on record,
    and its current revision is in its history (and none newer)."""
    from liveblog_cli.archive.hashing import content_hash
    from liveblog_cli.archive.packing import block_dict
    from liveblog_cli.model import Block

    check = Check("posts")
    for blog_id, block_id, title, text, body, digest in archive.engine.tuples(
        "SELECT blog_id, id, title, text, body, content_hash FROM blocks ORDER BY blog_id, id",
        [],
    ):
        check.checked += 1
        if on_item:
            on_item()
        try:
            data = block_dict(block_id, title, text, archive.packer.unpack(bytes(body)))
            same = content_hash(Block.from_dict(data)) == digest
        except Exception as exc:  # damage is what is looked for: say where
            check.problem(f"{blog_id} {block_id}: does not decode: {_first_line(exc)}")
            continue
        if not same:
            check.problem(f"{blog_id} {block_id}: differs from the content hash on record")
    for blog_id, block_id, revision, found in archive.conn.execute(
        "SELECT b.blog_id, b.id, b.revision, r.revision FROM blocks b "
        "LEFT JOIN block_revisions r ON r.blog_id = b.blog_id AND r.block_id = b.id "
        "AND r.revision = b.revision AND r.content_hash = b.content_hash "
        "WHERE r.revision IS NULL OR EXISTS (SELECT 1 FROM block_revisions n "
        "WHERE n.blog_id = b.blog_id AND n.block_id = b.id AND n.revision > b.revision)"
    ):
        what = "has no record of it" if found is None else "has a newer one"
        check.problem(f"{blog_id} {block_id}: revision {revision} current, history {what}")
    return check


def counts_check(archive: Archive) -> Check:
    """Each blog's posts, deletions and key events as its row says them and as its posts
    count them (list and show read the row)."""
    check = Check("counts")
    for blog_id, *pairs in archive.conn.execute(
        "SELECT g.id, g.posts, "
        "coalesce(sum(CASE WHEN b.id IS NOT NULL AND b.deleted_at IS NULL THEN 1 ELSE 0 END), 0), "
        "g.deleted, coalesce(sum(CASE WHEN b.deleted_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "g.key_events, coalesce(sum(CASE WHEN b.key_event = 1 AND b.deleted_at IS NULL "
        "THEN 1 ELSE 0 END), 0) "
        "FROM blogs g LEFT JOIN blocks b ON b.blog_id = g.id "
        "GROUP BY g.id, g.posts, g.deleted, g.key_events ORDER BY g.id"
    ):
        check.checked += 1
        stated_and_counted = zip(pairs[::2], pairs[1::2], strict=True)
        for name, (said, counted) in zip(
            ("posts", "deleted", "key events"), stated_and_counted, strict=True
        ):
            if (said or 0) != counted:
                check.problem(f"{blog_id}: says {said or 0} {name}, has {counted}")
    return check


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = [
    "Check",
    "counts_check",
    "engine_check",
    "pages_check",
    "posts_check",
]
