"""Reparse and rebuild: a blog's rows derived again from the raw pages the archive kept.

Both replay every page kept as a snapshot with today's parser, walk by walk in the order
the pages were captured, through the same rules as a fetch (a thinner source never
rewrites a richer one's posts).

- `reparse_blog` replays into a scratch archive and compares: where a post's row differs
  from what the pages give now (a parser upgrade, a row damaged by hand) it is rewritten
  with a revision of cause `reparse`, never counted as an edit. It writes only over the
  state it read: the blog's version is checked in the writing transaction, and a fetch that
  committed meanwhile wins (the comparison is made again).
- `rebuild_blog` replays into the archive itself, in one write transaction: the blog's rows
  become exactly what its captures give in capture order. This is how a capture older than
  the blog's newest page (a late import) takes its place in history without ever becoming
  the current text: importing the same captures in any order gives the same archive.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liveblog_cli.archive import Archive, WalkSave, content_hash, now_utc
from liveblog_cli.errors import ParseError
from liveblog_cli.model import BLOCK_FIELDS, Block, LiveBlog, iso_z
from liveblog_cli.parse import page_url_for, parse_page
from liveblog_cli.words import counted

ATTEMPTS = 3  # optimistic comparisons before a reparse holds the write lock while comparing

Progress = Callable[[int, int], None]


@dataclass
class Correction:
    block_id: str
    fields: list[str]  # the fields that differ; empty for a post the archive lacked
    added: bool = False


@dataclass
class ReparseReport:
    blog_id: str
    pages: int = 0  # pages read again
    unreadable: int = 0  # pages today's parser cannot read (kept, not used)
    checked: int = 0  # posts compared
    corrections: list[Correction] = field(default_factory=list)

    def summary(self, *, dry_run: bool) -> str:
        read = (
            f"{self.blog_id}: {counted(self.pages, 'pages')} read again, "
            f"{counted(self.checked, 'posts')} checked: "
        )
        if not self.corrections:
            return read + "nothing to change"
        verb = "would be " if dry_run else ""
        fixed = len([c for c in self.corrections if not c.added])
        added = len([c for c in self.corrections if c.added])
        unreadable = f", {counted(self.unreadable, 'pages')} unreadable" if self.unreadable else ""
        return f"{read}{fixed} {verb}rewritten, {added} {verb}added (cause reparse){unreadable}"


def _page_url(row: dict[str, Any]) -> str | None:
    """The URL a page was parsed under; for rows from before it was recorded, the fetched
    address without the Guardian's JSON suffix."""
    if row.get("page_url"):
        return str(row["page_url"])
    url = str(row.get("url") or "") or None
    return page_url_for(url) if url else None


def _walks(pages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A blog's pages grouped by walk, the walks in the order they began (capture time),
    each walk's pages in the order they were read."""
    walks: dict[object, list[dict[str, Any]]] = {}
    for row in pages:
        key = row["walk_id"] if row["walk_id"] is not None else ("page", row["id"])
        walks.setdefault(key, []).append(row)
    return sorted(walks.values(), key=lambda rows: (rows[0]["fetched_at"] or "", rows[0]["id"]))


@dataclass
class _Page:
    row: dict[str, Any]
    blog: LiveBlog
    walk: WalkSave
    last: bool
    complete: bool


def _replayed(
    archive: Archive,
    blog_id: str,
    report: ReparseReport,
    on_page: Progress | None,
) -> Iterator[_Page]:
    """Every kept page of the blog read again, in capture order, with the walk it belongs
    to and how that walk ended (pages today's parser names as another blog are left out)."""
    pages = archive.pages_read(blog_id)
    done = 0
    for rows in _walks(pages):
        parsed = []
        for row in rows:
            body = archive.snapshot(str(row["snapshot_hash"]))
            done += 1
            if on_page:
                on_page(done, len(pages))
            if body is None:
                continue
            try:
                blog = parse_page(body, _page_url(row), charset=row.get("charset"))
            except ParseError:
                report.unreadable += 1
                continue
            report.pages += 1
            parsed.append((row, blog))
        walk: WalkSave | None = None
        for n, (row, blog) in enumerate(parsed):
            if blog.id != blog_id:
                continue  # a page today's parser names differently: not this blog's
            if walk is None:
                cause = "import" if row["kind"] == "import" else "first"
                walk = WalkSave(blog.id, cause=cause, kind=str(row["kind"] or "fetch"))
            last = n + 1 == len(parsed)
            recorded = row["complete"]
            complete = (
                bool(recorded) if recorded is not None else blog.complete and len(parsed) == 1
            )
            yield _Page(row, blog, walk, last, complete and last)


def rebuild_blog(archive: Archive, blog_id: str, *, on_page: Progress | None = None) -> int:
    """The blog's rows made again from all its pages in capture order, in one write
    transaction (readers see the old rows or the new, never a mix). Returns the pages read."""
    report = ReparseReport(blog_id)
    with archive.transaction():
        kept = archive.clear_derived(blog_id)
        for page in _replayed(archive, blog_id, report, on_page):
            archive.derive_page(
                page.walk,
                page.blog,
                str(page.row["fetched_at"]),
                int(page.row["id"]),
                last=page.last,
                complete=page.complete,
            )
        archive.finish_rebuild(blog_id, kept)
    return report.pages


def rebuild_stale(archive: Archive, *, on_page: Progress | None = None) -> list[str]:
    """Every blog waiting for a rebuild (a late capture was saved) rebuilt; their ids."""
    stale = archive.stale_blogs()
    for blog_id in stale:
        rebuild_blog(archive, blog_id, on_page=on_page)
    return stale


def _compare(
    archive: Archive, blog_id: str, on_page: Progress | None
) -> tuple[ReparseReport, list[Block], str | None]:
    """What today's parser makes of the blog's pages against its rows: the report, the posts
    to rewrite, and the source format they were read from."""
    report = ReparseReport(blog_id)
    source_format = None
    with (
        tempfile.TemporaryDirectory(prefix="liveblog-reparse-") as tmp,
        Archive(Path(tmp) / "replay.db") as scratch,
    ):
        with scratch.transaction():
            # The archive's own dictionary: the replayed posts are packed as the archive
            # packs them (and unpacked just after), none is trained for each blog.
            scratch.packer.adopt(archive.packer.dictionary())
            for page in _replayed(archive, blog_id, report, on_page):
                scratch.derive_page(
                    page.walk,
                    page.blog,
                    str(page.row["fetched_at"]),
                    None,
                    last=page.last,
                    complete=page.complete,
                )
                source_format = page.blog.source_format
        derived = {b["id"]: b for b in scratch.blocks(blog_id)}
    current = {b["id"]: b for b in archive.blocks(blog_id)}
    fixes: list[Block] = []
    for block_id, row in derived.items():
        report.checked += 1
        mine = current.get(block_id)
        wanted = Block.from_dict(row)
        if mine is None:
            report.corrections.append(Correction(block_id, [], added=True))
            fixes.append(wanted)
            continue
        if content_hash(Block.from_dict(mine)) != content_hash(wanted):
            differ = [k for k in BLOCK_FIELDS if mine.get(k) != row.get(k)]
            report.corrections.append(Correction(block_id, differ))
            fixes.append(wanted)
    return report, fixes, source_format


def reparse_blog(
    archive: Archive,
    blog_id: str,
    *,
    dry_run: bool = False,
    on_page: Progress | None = None,
) -> ReparseReport:
    """Compare a blog's rows with what its raw pages give today; rewrite what differs, over
    the state that was compared and no other."""
    if not dry_run and blog_id in archive.stale_blogs():
        rebuild_blog(archive, blog_id, on_page=on_page)
    for _ in range(ATTEMPTS):
        version = archive.version(blog_id)
        report, fixes, source_format = _compare(archive, blog_id, on_page)
        if dry_run or not fixes:
            return report
        if archive.correct_blocks(blog_id, fixes, source_format, version=version):
            return report
    # Writers kept coming between comparison and write: compare under the write lock.
    with archive.transaction():
        report, fixes, source_format = _compare(archive, blog_id, on_page)
        if fixes:
            archive.correct(blog_id, fixes, source_format, iso_z(now_utc()))
    return report


def reparse_notes(archive: Archive, on_page: Any = None) -> Iterator[tuple[str, int, int]]:
    """Per blog (for `check`): posts checked and how many today's parser would rewrite or
    add, nothing written."""
    for blog_id, _ in archive.blog_ids():
        report = reparse_blog(archive, blog_id, dry_run=True, on_page=on_page)
        yield blog_id, report.checked, len(report.corrections)


__all__ = ["Correction", "ReparseReport", "rebuild_blog", "rebuild_stale", "reparse_blog"]
