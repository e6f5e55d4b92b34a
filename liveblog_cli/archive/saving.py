"""The revision engine: how a parsed page becomes rows.

One page of a walk is saved in one transaction: the blog's row (a thinner source fills
blanks, never overwrites), each post once per walk (new, unchanged, or a new revision with
its cause: `edit` only when the publisher changed it in the same kind of source), deletions
inferred only over the span of time the walk's pages showed (all of it when the walk read
the whole blog), and the walk's record. `reparse` rewrites posts through `correct_blocks`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liveblog_cli import __version__
from liveblog_cli.archive import schema
from liveblog_cli.archive.database import now_utc
from liveblog_cli.archive.hashing import content_hash, fingerprint, reading_code
from liveblog_cli.archive.packing import body_of
from liveblog_cli.archive.raw import Raw
from liveblog_cli.exchange import Exchange
from liveblog_cli.model import BLOCK_FIELDS, Block, LiveBlog, iso_z, richness
from liveblog_cli.words import counted


@dataclass
class SaveReport:
    """What one save (or one walk of several pages) changed."""

    blog_id: str
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # edits by the publisher, and only those
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    # Rewritten, but not edited: read from another kind of source, or re-read by reparse.
    rewritten: list[str] = field(default_factory=list)
    total: int = 0  # blocks of this blog in the archive now, not counting deleted ones
    late: bool = False  # older than the blog's newest page: placed in its history, not current

    def to_dict(self) -> dict[str, Any]:
        return {
            "blog_id": self.blog_id,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "deleted": len(self.deleted),
            "restored": len(self.restored),
            "total": self.total,
        }

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.deleted or self.restored)

    def summary(self) -> str:
        if self.late and not self.changed:
            return (
                f"{self.blog_id}: older than the newest page kept: placed in its history "
                f"(never the current text), {counted(self.total, 'blocks')}"
            )
        rewritten = f", {len(self.rewritten)} re-read" if self.rewritten else ""
        return (
            f"{self.blog_id}: +{len(self.new)} new, {len(self.updated)} edited, "
            f"{len(self.deleted)} deleted{rewritten}, {counted(self.total, 'blocks')}"
        )


@dataclass
class FetchInfo:
    """One read of a page as the fetches table keeps it: a poll's outcome, or a file read."""

    url: str | None = None  # the address asked for (never with credentials or keys)
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    kind: str = "fetch"  # "fetch", "file" (parse --save), "import" (a web archive)
    page_url: str | None = None  # the URL the page was parsed under
    charset: str | None = None  # the charset its response declared
    body: bytes | None = None  # the page itself, kept as a snapshot
    at: datetime | None = None  # when it was read (default: the time of the save)
    elapsed: float | None = None  # seconds the request took
    # The requests and responses as they crossed the wire (kept for WARC export).
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass
class WalkSave:
    """A walk being saved: each page in its own transaction, the last one deciding deletions
    over the span of posts every page of the walk showed."""

    blog_id: str
    cause: str = "first"  # the cause of first sightings: "first", "import" or "reparse"
    kind: str = "fetch"
    report: SaveReport = field(init=False)
    walk_id: int | None = None
    saved: set[str] = field(default_factory=set)  # block ids this walk has written
    low: str | None = None  # the oldest post time the walk's pages showed
    high: str | None = None  # the newest, unless the newest page was read (then: up to now)
    newest_read: bool = False
    time_ordered: bool = True
    pages: int = 0
    source_format: str | None = None  # of the pages saved so far
    # Whether the walk came after the blog's newest page (decided at its first page).
    late: bool | None = None

    def __post_init__(self) -> None:
        self.report = SaveReport(blog_id=self.blog_id)

    def cover(self, blog: LiveBlog) -> None:
        """Widen the span of time the walk has seen by the posts this page shows."""
        self.time_ordered = self.time_ordered and blog.time_ordered
        self.source_format = blog.source_format
        span = _coverage(blog)
        if span is None:
            return
        low, high = span
        self.low = low if self.low is None else min(self.low, low)
        if high is None:
            self.newest_read = True
        elif self.high is None or high > self.high:
            self.high = high

    @property
    def window(self) -> tuple[str, str | None] | None:
        if self.low is None:
            return None
        return self.low, None if self.newest_read else self.high


# A block's content columns beside (blog_id, id): the fields people query, and the rest of
# its JSON compressed in `body` (see packing.py).
_BLOCK_COLUMNS = (*BLOCK_FIELDS[1:10], "body")  # title ... text, then the body
# Blog metadata that a page lacking it must not blank.
_BLOG_META = (
    "url",
    "title",
    "standfirst",
    "publisher",
    "is_live",
    "published_at",
    "authors",
    "tags",
    "language",
)


class Saving(Raw):
    """Writing: saves, walks, polls, corrections."""

    def save(
        self,
        blog: LiveBlog,
        *,
        raw: bytes | None = None,
        fetch: FetchInfo | None = None,
        complete: bool | None = None,
        now: datetime | None = None,
        cause: str = "first",
    ) -> SaveReport:
        """Store one parsed page (or a whole blog) in one transaction: new blocks, new
        revisions of changed ones, deletions.

        `complete` says the parse covered the whole blog (every page); by default, what the
        source said (`blog.complete`). Otherwise only blocks whose time lies within the span
        of posts this page shows are candidates for deletion: a page of the newest 20 posts
        says nothing about post 21.
        """
        info = fetch or FetchInfo(url=blog.url, kind="file")
        if raw is not None:
            info.body = raw
        walk = WalkSave(blog.id, cause=cause, kind=info.kind)
        self.save_page(
            walk,
            blog,
            info,
            last=True,
            complete=blog.complete if complete is None else complete,
            now=now,
        )
        return walk.report

    def save_page(
        self,
        walk: WalkSave,
        blog: LiveBlog,
        fetch: FetchInfo | None,
        *,
        last: bool = False,
        complete: bool = False,
        next_url: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """One page of a walk, in one transaction; the last page also infers deletions over
        the whole walk (every block of the blog when `complete`, else the span of time its
        pages showed) and records how the walk ended. What the page shows was seen when it
        was fetched (`fetch.at`), unless `now` says otherwise.

        Time only moves forward in a blog's current state: a walk that began before the
        newest page the archive holds of the blog (a late import) keeps its pages and
        exchanges but writes no post; the blog is marked stale (`walk.late`), and its rows
        are rebuilt from every page in capture order (reparse.rebuild_blog), as if the
        captures had come in that order."""
        moment = iso_z(now or (fetch.at if fetch else None) or now_utc())
        with self.transaction():
            self.engine.lock_blog(blog.id)
            self._start_walk(walk, moment)
            fetch_id = self._insert_fetch(fetch, blog, walk, moment) if fetch else None
            if walk.late is None:
                walk.late = self._is_late(blog.id, moment, walk.walk_id)
            if walk.late:
                self.conn.execute(
                    "UPDATE blogs SET stale = 1, version = version + 1 WHERE id = ?", [blog.id]
                )
                walk.report.late = True
                row = self.conn.execute("SELECT posts FROM blogs WHERE id = ?", [blog.id])
                walk.report.total = int((row.fetchone() or [0])[0])
            else:
                self.derive_page(walk, blog, moment, fetch_id, last=last, complete=complete)
            if last:
                self._end_walk(walk, moment, complete=complete, next_url=next_url, error=None)

    def derive_page(
        self,
        walk: WalkSave,
        blog: LiveBlog,
        moment: str,
        fetch_id: int | None,
        *,
        last: bool,
        complete: bool,
    ) -> None:
        """A page's posts into the blog's rows (inside the caller's transaction): the blog's
        row, new posts and revisions, deletions (on the walk's last page), counts."""
        report = walk.report
        self._save_blog_row(blog, moment)
        self._save_blocks(blog, moment, walk, fetch_id)
        walk.cover(blog)
        walk.pages += 1
        self._explicit_deletions(blog, moment, report)
        if last:
            self._mark_deleted(walk, moment, complete)
        report.total = schema.recount(self.conn, blog.id)
        self.conn.execute("UPDATE blogs SET version = version + 1 WHERE id = ?", [blog.id])
        if report.changed:
            self.conn.execute(
                "UPDATE blogs SET last_changed_at = ? WHERE id = ?", [moment, blog.id]
            )
        if fetch_id is not None:
            self.conn.execute(
                "UPDATE fetches SET new = ?, updated = ?, unchanged = ?, deleted = ? WHERE id = ?",
                [
                    len(report.new),
                    len(report.updated),
                    report.unchanged,
                    len(report.deleted),
                    fetch_id,
                ],
            )

    def _is_late(self, blog_id: str, moment: str, walk_id: int | None) -> bool:
        """Whether a walk starting at `moment` comes after the blog's state was written from
        a newer page (or the blog already waits for a rebuild)."""
        row = self.conn.execute(
            "SELECT stale, (SELECT max(fetched_at) FROM fetches WHERE blog_id = ?1 "
            "AND snapshot_hash IS NOT NULL AND walk_id IS NOT ?2) FROM blogs WHERE id = ?1",
            [blog_id, walk_id],
        ).fetchone()
        return row is not None and bool(row[0] or (row[1] is not None and row[1] > moment))

    def version(self, blog_id: str) -> int:
        """The blog's state version: moved on by every write to its posts (read on the
        writing connection: inside a transaction, what it sees)."""
        row = self.conn.execute("SELECT version FROM blogs WHERE id = ?", [blog_id]).fetchone()
        return int(row[0]) if row else 0

    def accept_gap(self, blog_id: str) -> str | None:
        """A person accepts what a blog's archive lacks: its walk no longer resumes (its
        runs exit 0 again); the gap stays on record, marked accepted. The gap, or None."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT gap, walk_next FROM blogs WHERE id = ?", [blog_id]
            ).fetchone()
            if row is None or (row[0] is None and row[1] is None):
                return None
            gap = row[0] or f"the walk stopped before its oldest page (at {row[1]})"
            self.conn.execute(
                "UPDATE blogs SET walk_next = NULL, gap = ?, gap_accepted_at = ? WHERE id = ?",
                [gap, iso_z(now_utc()), blog_id],
            )
            return str(gap)

    def stale_blogs(self) -> list[str]:
        """Blogs whose rows wait to be rebuilt from their pages (see save_page)."""
        return [r[0] for r in self.conn.execute("SELECT id FROM blogs WHERE stale = 1")]

    def clear_derived(self, blog_id: str) -> tuple[str | None, int]:
        """Everything derived from a blog's pages removed (inside the caller's transaction),
        the pages, polls and walks kept: the start of a rebuild. Returns what the rows held
        that no page says (where an unfinished walk resumes, the state's version), for
        `finish_rebuild` to put back."""
        self.engine.lock_blog(blog_id)
        row = self.conn.execute(
            "SELECT walk_next, version FROM blogs WHERE id = ?", [blog_id]
        ).fetchone()
        for table in ("block_revisions", "deletions", "block_seen", "blocks"):
            self.conn.execute(f"DELETE FROM {table} WHERE blog_id = ?", [blog_id])
        self.conn.execute("DELETE FROM blogs WHERE id = ?", [blog_id])
        return (row[0], row[1]) if row else (None, 0)

    def finish_rebuild(self, blog_id: str, kept: tuple[str | None, int]) -> None:
        """After a rebuild's pages are derived: the walk's resume point back, a new version."""
        walk_next, version = kept
        self.conn.execute(
            "UPDATE blogs SET walk_next = ?, stale = 0, version = ? WHERE id = ?",
            [walk_next, version + 1, blog_id],
        )

    def end_walk(
        self,
        walk: WalkSave,
        *,
        error: str | None,
        next_url: str | None,
        infer: bool = False,
        now: datetime | None = None,
    ) -> None:
        """A walk that ended after a page saved as not the last: a failure (nothing is
        inferred; it resumes from `next_url` next time), or a link that led elsewhere
        (`infer`: deletions within the span of the pages it read)."""
        moment = iso_z(now or now_utc())
        with self.transaction():
            self.engine.lock_blog(walk.blog_id)
            if walk.walk_id is None:
                return
            if infer and not walk.late:
                self._mark_deleted(walk, moment, complete=False)
                walk.report.total = schema.recount(self.conn, walk.blog_id)
                self.conn.execute(
                    "UPDATE blogs SET version = version + 1 WHERE id = ?", [walk.blog_id]
                )
            self._end_walk(walk, moment, complete=False, next_url=next_url, error=error)

    def record_poll(
        self,
        fetch: FetchInfo,
        *,
        blog_id: str | None = None,
        walk: WalkSave | None = None,
        now: datetime | None = None,
    ) -> None:
        """A request that saved no page (304 Not Modified, an error): kept, so the archive can
        say when a blog was last checked and whether that failed."""
        moment = iso_z(now or now_utc())
        with self.transaction():
            fetch_id = self._insert(
                "INSERT INTO fetches (blog_id, url, fetched_at, status, etag, last_modified, "
                "error, kind, elapsed, walk_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    blog_id or (walk.blog_id if walk else None),
                    fetch.url,
                    iso_z(fetch.at) or moment,
                    fetch.status,
                    fetch.etag,
                    fetch.last_modified,
                    fetch.error,
                    fetch.kind,
                    fetch.elapsed,
                    walk.walk_id if walk else None,
                ],
            )
            self._save_exchanges(fetch_id, fetch.exchanges)

    def _start_walk(self, walk: WalkSave, moment: str) -> None:
        if walk.walk_id is None:
            walk.walk_id = self._insert(
                "INSERT INTO walks (blog_id, kind, started_at) VALUES (?,?,?)",
                [walk.blog_id, walk.kind, moment],
            )

    def _end_walk(
        self,
        walk: WalkSave,
        moment: str,
        *,
        complete: bool,
        next_url: str | None,
        error: str | None,
    ) -> None:
        self.conn.execute(
            "UPDATE walks SET finished_at = ?, pages = ?, complete = ?, error = ? WHERE id = ?",
            [moment, walk.pages, int(complete), error, walk.walk_id],
        )
        if walk.kind == "fetch":
            # A failure leaves a gap until a walk reads the blog whole; a walk that stopped
            # at a bound leaves none (it resumes next run, as a failure's does).
            if complete:
                sets, values = "gap = NULL, gap_accepted_at = NULL, ", []
            elif error is not None:
                sets, values = "gap = ?, gap_accepted_at = NULL, ", [error]
            else:
                sets, values = "", []
            self.conn.execute(
                f"UPDATE blogs SET {sets}walk_next = ? WHERE id = ?",
                [*values, next_url, walk.blog_id],
            )

    def _insert_fetch(self, info: FetchInfo, blog: LiveBlog, walk: WalkSave, moment: str) -> int:
        at = iso_z(info.at) or moment
        key = f"{blog.id} {info.url or blog.url}"
        snapshot = self._save_snapshot(info.body, at, key) if info.body is not None else None
        fetch_id = self._insert(
            "INSERT INTO fetches (blog_id, url, fetched_at, status, etag, last_modified, bytes, "
            "snapshot_hash, source_format, error, kind, page_url, charset, walk_id, elapsed) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                blog.id,
                info.url or blog.url,
                at,
                info.status,
                info.etag,
                info.last_modified,
                len(info.body) if info.body is not None else None,
                snapshot,
                blog.source_format,
                info.error,
                info.kind,
                info.page_url,
                info.charset,
                walk.walk_id,
                info.elapsed,
            ],
        )
        self._save_exchanges(fetch_id, info.exchanges)
        return fetch_id

    def _save_blog_row(self, blog: LiveBlog, moment: str | None) -> None:
        data = blog.to_dict(blocks=False)
        rich = richness(blog.source_format)
        row = {
            "id": blog.id,
            "url": data["url"],
            "title": data["title"],
            "standfirst": data["standfirst"],
            "publisher": data["publisher"],
            "is_live": data["is_live"],
            "published_at": data["published_at"],
            "updated_at": data["updated_at"],
            "authors": json.dumps(data["authors"], ensure_ascii=False),
            "tags": json.dumps(data["tags"], ensure_ascii=False),
            "source_format": data["source_format"],
            "pages": json.dumps(data["pages"], ensure_ascii=False),
            "richness": rich,
            "language": blog.language,
        }
        existing = self.conn.execute(
            f"SELECT {', '.join(_BLOG_META)}, richness FROM blogs WHERE id = ?", [blog.id]
        ).fetchone()
        if existing is None:
            row["first_seen_at"] = moment
            row["last_seen_at"] = moment
            cols = ", ".join(row)
            self.conn.execute(
                f"INSERT INTO blogs ({cols}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            return
        keep = dict(zip(_BLOG_META, existing, strict=False))
        if rich < existing[-1]:
            # A thinner source than the blog was read from: it fills blanks, it never
            # overwrites (its title, byline, flags and links say less, not something new).
            update = {
                k: row[k] for k in keep if keep[k] in (None, "[]") and row[k] not in (None, "[]")
            }
        else:
            # A source as rich: the newest word, but a page that lacks a field does not
            # blank what we know.
            update = {k: v for k, v in row.items() if k != "id"}
            for key, old in keep.items():
                if update[key] in (None, "[]") and old not in (None, "[]"):
                    update[key] = old
            if "newer" in blog.pages:
                # An older page of the blog: its live flag, links and times describe that page.
                for key in ("is_live", "pages", "updated_at"):
                    update.pop(key)
        update["last_seen_at"] = moment
        sets = ", ".join(f"{k} = ?" for k in update)
        self.conn.execute(f"UPDATE blogs SET {sets} WHERE id = ?", [*update.values(), blog.id])

    def _save_blocks(
        self, blog: LiveBlog, moment: str, walk: WalkSave, fetch_id: int | None
    ) -> None:
        """Each block once per walk: new ones, changed ones (a revision with its cause), and
        the rule that a thinner source never rewrites what a richer one gave."""
        report = walk.report
        rich = richness(blog.source_format)
        # The state columns come from a covering index: no need to read the wide rows.
        existing = {
            row[0]: row[1:]
            for row in self.conn.execute(
                "SELECT id, content_hash, revision, deleted_at, richness, source_format, edits, "
                "fingerprint FROM blocks INDEXED BY blocks_state WHERE blog_id = ?",
                [blog.id],
            )
        }
        # A reparse reads every post afresh: no post is taken as unchanged by its source.
        shortcut = walk.cause != "reparse"
        code = reading_code()
        seen: list[str] = []
        writes: list[tuple[Block, str, bytes | None, tuple[Any, ...] | None, str]] = []
        known: list[tuple[bytes, str, str]] = []  # fingerprints of unchanged posts
        for block in blog.blocks:
            if block.id in walk.saved:
                continue  # met on an earlier page of this walk (a key event listed again)
            walk.saved.add(block.id)
            seen.append(block.id)
            old = existing.get(block.id)
            mark = fingerprint(block, blog.source_format, code)
            if old is None:
                writes.append((block, content_hash(block), mark, None, walk.cause))
                continue
            _, _, deleted_at, old_rich, old_format, _, old_mark = old
            if deleted_at is not None:
                self._restore(blog.id, block.id, moment)
                report.restored.append(block.id)
            if shortcut and mark is not None and mark == old_mark:
                # Read from the very source its row was (by the same code): the same post.
                if deleted_at is None:
                    report.unchanged += 1
                continue
            digest = content_hash(block)
            if old[0] == digest or rich < old_rich:
                # The same post, or a thinner sighting of it: present, nothing to write.
                if deleted_at is None:
                    report.unchanged += 1
                if old[0] == digest and mark is not None and mark != old_mark:
                    # The row is what this source gives: the next sighting need not hash it.
                    known.append((mark, blog.id, block.id))
                continue
            if walk.cause == "reparse":
                cause = "reparse"
            elif old_format == blog.source_format:
                cause = "edit"
            else:
                cause = "source"  # another kind of source: a difference, not an edit
            writes.append((block, digest, mark, old, cause))
        if known:
            self.engine.insert_many(
                "UPDATE blocks SET fingerprint = ? WHERE blog_id = ? AND id = ?", known
            )
        # Written in key order: B-tree pages filled in order stay full (newest-first inserts
        # leave the archive's indexes half empty).
        writes.sort(key=lambda w: w[0].id)
        prepared = [
            (b, digest, mark, old, cause, _block_values(b.to_dict()))
            for b, digest, mark, old, cause in writes
        ]
        # The first save big enough teaches the archive a dictionary for bodies.
        self.packer.train([values[-1] for *_, values in prepared])
        # New posts go in as one batch per table: on PostgreSQL a statement per row is a
        # round trip per row (a 50-post blog was 100 of them).
        new_blocks: list[tuple[Any, ...]] = []
        new_revisions: list[tuple[Any, ...]] = []
        for block, digest, mark, old, cause, values in prepared:
            values[-1] = self.packer.pack(values[-1])
            key = (blog.id, block.id)
            if old is None:
                new_blocks.append((*key, *values, digest, rich, blog.source_format, moment, mark))
                new_revisions.append(
                    self._revision_row(blog, block.id, 1, digest, moment, cause, fetch_id)
                )
                report.new.append(block.id)
                continue
            revision, edits = old[1], old[5] + (cause == "edit")
            self._supersede(blog.id, block.id, revision)
            sets = ", ".join(f"{c} = ?" for c in _BLOCK_COLUMNS)
            self.conn.execute(
                f"UPDATE blocks SET {sets}, content_hash = ?, revision = ?, edits = ?, "
                "richness = ?, source_format = ?, deleted_at = NULL, fingerprint = ? "
                "WHERE blog_id = ? AND id = ?",
                [*values, digest, revision + 1, edits, rich, blog.source_format, mark, *key],
            )
            self._add_revision(blog, block.id, revision + 1, digest, moment, cause, fetch_id)
            (report.updated if cause == "edit" else report.rewritten).append(block.id)
        if new_blocks:
            self.engine.insert_many(
                f"INSERT INTO blocks (blog_id, id, {', '.join(_BLOCK_COLUMNS)}, "
                "content_hash, revision, edits, richness, source_format, first_seen_at, "
                f"deleted_at, fingerprint) VALUES (?, ?, {', '.join('?' * len(_BLOCK_COLUMNS))}, "
                "?, 1, 0, ?, ?, ?, NULL, ?)",
                new_blocks,
            )
            self.engine.insert_many(_INSERT_REVISION, new_revisions)
        # When each block was last seen lives in a narrow table: one cheap statement for all.
        self.engine.mark_seen(blog.id, sorted(seen), moment)

    def _supersede(self, blog_id: str, block_id: str, revision: int) -> None:
        """The post's current content moves into its revision's row: a newer one replaces it
        in `blocks` (each revision's content is kept once, where it belongs)."""
        self.conn.execute(
            "UPDATE block_revisions SET (title, text, body) = "
            "(SELECT title, text, body FROM blocks WHERE blog_id = ?1 AND id = ?2) "
            "WHERE blog_id = ?1 AND block_id = ?2 AND revision = ?3",
            [blog_id, block_id, revision],
        )

    def _add_revision(
        self,
        blog: LiveBlog,
        block_id: str,
        revision: int,
        digest: str,
        moment: str | None,
        cause: str,
        fetch_id: int | None,
    ) -> None:
        """A revision's record; its content is the post's own while it is the current one."""
        self.conn.execute(
            _INSERT_REVISION,
            list(self._revision_row(blog, block_id, revision, digest, moment, cause, fetch_id)),
        )

    @staticmethod
    def _revision_row(
        blog: LiveBlog,
        block_id: str,
        revision: int,
        digest: str,
        moment: str | None,
        cause: str,
        fetch_id: int | None,
    ) -> tuple[Any, ...]:
        return (
            blog.id,
            block_id,
            revision,
            digest,
            moment,
            cause,
            blog.source_format,
            __version__,
            fetch_id,
        )

    def _restore(self, blog_id: str, block_id: str, moment: str | None) -> None:
        self.conn.execute(
            "UPDATE blocks SET deleted_at = NULL WHERE blog_id = ? AND id = ?", [blog_id, block_id]
        )
        self.conn.execute(
            "UPDATE deletions SET restored_at = ? WHERE blog_id = ? AND block_id = ? "
            "AND restored_at IS NULL",
            [moment, blog_id, block_id],
        )

    def _delete(self, blog_id: str, block_id: str, moment: str | None) -> None:
        self.conn.execute(
            "UPDATE blocks SET deleted_at = ? WHERE blog_id = ? AND id = ?",
            [moment, blog_id, block_id],
        )
        self.conn.execute(
            "INSERT INTO deletions (blog_id, block_id, deleted_at) VALUES (?,?,?)",
            [blog_id, block_id, moment],
        )

    def _explicit_deletions(self, blog: LiveBlog, moment: str | None, report: SaveReport) -> None:
        """Posts the source itself says were deleted (tombstones): deleted, whatever page."""
        for block_id in dict.fromkeys(blog.deleted_ids):
            row = self.conn.execute(
                "SELECT deleted_at FROM blocks WHERE blog_id = ? AND id = ?", [blog.id, block_id]
            ).fetchone()
            if row is not None and row[0] is None:
                self._delete(blog.id, block_id, moment)
                report.deleted.append(block_id)

    def _mark_deleted(self, walk: WalkSave, moment: str | None, complete: bool) -> None:
        """Mark missing blocks deleted, but only where this walk could have seen them, and
        never from a source thinner than the one that gave the block."""
        if not walk.saved:
            return
        window = None if complete else walk.window
        if not complete and (window is None or not walk.time_ordered):
            return
        rows = self.conn.execute(
            "SELECT id, coalesce(published_at, created_at, updated_at) FROM blocks "
            "WHERE blog_id = ? AND deleted_at IS NULL AND richness <= ?",
            [walk.blog_id, richness(walk.source_format)],
        ).fetchall()
        for block_id, when in rows:
            if block_id in walk.saved:
                continue
            if window is not None:
                low, high = window
                if when is None or when < low or (high is not None and when > high):
                    continue
            self._delete(walk.blog_id, block_id, moment)
            walk.report.deleted.append(block_id)

    def correct_blocks(
        self,
        blog_id: str,
        blocks: list[Block],
        source_format: str | None,
        *,
        version: int | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Rewrite blocks as the raw pages give them now: a revision with cause `reparse`
        each (never an edit), and the block's row made to match.

        With `version` (the blog's version when its rows were read), nothing is written if
        another write came since (a fetch that saved newer posts wins): False then."""
        moment = iso_z(now or now_utc())
        with self.transaction():
            self.engine.lock_blog(blog_id)
            if version is not None and self.version(blog_id) != version:
                return False
            self.correct(blog_id, blocks, source_format, moment)
        return True

    def correct(
        self, blog_id: str, blocks: list[Block], source_format: str | None, moment: str
    ) -> None:
        """`correct_blocks` inside the caller's write transaction."""
        rich = richness(source_format)
        blog = LiveBlog(id=blog_id, source_format=source_format or "unknown")
        for block in blocks:
            digest = content_hash(block)
            values = _block_values(block.to_dict())
            values[-1] = self.packer.pack(values[-1])
            row = self.conn.execute(
                "SELECT revision FROM blocks WHERE blog_id = ? AND id = ?", [blog_id, block.id]
            ).fetchone()
            if row is None:
                self.conn.execute(
                    f"INSERT INTO blocks (blog_id, id, {', '.join(_BLOCK_COLUMNS)}, "
                    "content_hash, revision, edits, richness, source_format, first_seen_at) "
                    f"VALUES (?, ?, {', '.join('?' * len(_BLOCK_COLUMNS))}, ?, 1, 0, ?, ?, ?)",
                    [blog_id, block.id, *values, digest, rich, source_format, moment],
                )
                revision = 1
            else:
                revision = row[0] + 1
                self._supersede(blog_id, block.id, row[0])
                sets = ", ".join(f"{c} = ?" for c in _BLOCK_COLUMNS)
                # Its fingerprint, if any, was of what the row held before: gone with it.
                self.conn.execute(
                    f"UPDATE blocks SET {sets}, content_hash = ?, revision = ?, "
                    "fingerprint = NULL WHERE blog_id = ? AND id = ?",
                    [*values, digest, revision, blog_id, block.id],
                )
            self._add_revision(blog, block.id, revision, digest, moment, "reparse", None)
        schema.recount(self.conn, blog_id)  # posts added, key events changed: `list` counts
        self.conn.execute("UPDATE blogs SET version = version + 1 WHERE id = ?", [blog_id])


_INSERT_REVISION = (
    "INSERT INTO block_revisions (blog_id, block_id, revision, content_hash, seen_at, "
    "cause, source_format, parser_version, fetch_id) VALUES (?,?,?,?,?,?,?,?,?)"
)


def _block_values(data: dict[str, Any]) -> list[Any]:
    """Values of `_BLOCK_COLUMNS` for a block dict (the body last, not yet compressed)."""
    return [
        data["title"],
        data["created_at"],
        data["published_at"],
        data["updated_at"],
        int(data["key_event"]),
        int(data["pinned"]),
        int(data["summary"]),
        json.dumps(data["authors"], ensure_ascii=False, separators=(",", ":")),
        data["text"],
        body_of(data),
    ]


def _coverage(blog: LiveBlog) -> tuple[str, str | None] | None:
    """The span of time a single page of a paginated blog shows, as ISO strings.

    A page shows a run of consecutive posts: from its oldest body post up to its newest
    (or up to now, on the newest page). Key events listed from other pages do not count.
    """
    body = set(blog.body_ids) if blog.body_ids is not None else {b.id for b in blog.blocks}
    times = [b.sort_time for b in blog.blocks if b.id in body and b.sort_time]
    if not times:
        return None
    high = None if "newer" not in blog.pages else iso_z(max(times))
    return iso_z(min(times)) or "", high
