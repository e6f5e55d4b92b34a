"""Reparse: rebuild a blog's derived rows from the raw pages the archive kept.

Every page kept as a snapshot is read again with today's parser, walk by walk in the order
they were fetched, into a scratch archive, through the same save path as a fetch (so the
same rules hold: a thinner source never rewrites a richer one's posts). Where a post's row
differs from what the pages give now (a parser upgrade, or a row damaged by hand), it is
rewritten with a revision of cause `reparse`, never counted as an edit. Deletion marks are
kept as they were recorded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from liveblog_cli.archive import Archive, FetchInfo, WalkSave, content_hash
from liveblog_cli.errors import ParseError
from liveblog_cli.model import BLOCK_FIELDS, Block, parse_iso
from liveblog_cli.parse import page_url_for, parse_page


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
        verb = "would be" if dry_run else ""
        fixed = len([c for c in self.corrections if not c.added])
        added = len([c for c in self.corrections if c.added])
        if not self.corrections:
            return (
                f"{self.blog_id}: {self.pages} pages read again, {self.checked} posts checked: "
                "nothing to change"
            )
        return (
            f"{self.blog_id}: {self.pages} pages read again, {self.checked} posts checked: "
            f"{fixed} {verb + ' ' if verb else ''}rewritten, {added} {verb + ' ' if verb else ''}"
            "added (cause reparse)"
            + (f", {self.unreadable} pages unreadable" if self.unreadable else "")
        )


def _page_url(row: dict[str, object]) -> str | None:
    """The URL a page was parsed under; for rows from before it was recorded, the fetched
    address without the Guardian's JSON suffix."""
    if row.get("page_url"):
        return str(row["page_url"])
    url = str(row.get("url") or "") or None
    return page_url_for(url) if url else None


def reparse_blog(
    archive: Archive,
    blog_id: str,
    *,
    dry_run: bool = False,
    on_page: Callable[[int, int], None] | None = None,
) -> ReparseReport:
    """Compare a blog's rows with what its raw pages give today; rewrite what differs."""
    report = ReparseReport(blog_id)
    pages = archive.pages_read(blog_id)
    with (
        tempfile.TemporaryDirectory(prefix="liveblog-reparse-") as tmp,
        Archive(Path(tmp) / "replay.db") as scratch,
    ):
        source_format = _replay(archive, scratch, pages, report, on_page)
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
        have = Block.from_dict(mine)
        if content_hash(have) != content_hash(wanted):
            differ = [k for k in BLOCK_FIELDS if mine.get(k) != row.get(k)]
            report.corrections.append(Correction(block_id, differ))
            fixes.append(wanted)
    if fixes and not dry_run:
        archive.correct_blocks(blog_id, fixes, source_format)
    return report


def _replay(
    archive: Archive,
    scratch: Archive,
    pages: list[dict[str, object]],
    report: ReparseReport,
    on_page: Callable[[int, int], None] | None,
) -> str | None:
    """Every kept page saved again into `scratch`, walk by walk, at the time it was read."""
    walks: dict[object, list[dict[str, object]]] = {}
    for row in pages:
        walks.setdefault(row["walk_id"] if row["walk_id"] is not None else row["id"], []).append(
            row
        )
    source_format = None
    done = 0
    for rows in walks.values():
        walk: WalkSave | None = None
        parsed = []
        for row in rows:
            body = archive.snapshot(str(row["snapshot_hash"]))
            done += 1
            if on_page:
                on_page(done, len(pages))
            if body is None:
                continue
            try:
                blog = parse_page(body, _page_url(row), charset=row.get("charset"))  # type: ignore[arg-type]
            except ParseError:
                report.unreadable += 1
                continue
            report.pages += 1
            parsed.append((row, blog))
        for n, (row, blog) in enumerate(parsed):
            if blog.id != report.blog_id:
                continue  # a page today's parser names differently: not this blog's
            if walk is None:
                cause = "import" if row["kind"] == "import" else "first"
                walk = WalkSave(blog.id, cause=cause, kind=str(row["kind"] or "fetch"))
            last = n + 1 == len(parsed)
            recorded = row["complete"]
            complete = (
                bool(recorded) if recorded is not None else blog.complete and len(parsed) == 1
            )
            scratch.save_page(
                walk,
                blog,
                FetchInfo(url=str(row["url"]), kind=str(row["kind"] or "fetch")),
                last=last,
                complete=complete and last,
                now=parse_iso(row["fetched_at"]),
            )
            source_format = blog.source_format
    return source_format


__all__ = ["Correction", "ReparseReport", "reparse_blog"]
