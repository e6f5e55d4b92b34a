"""The archive as it stood at a past moment: each post in the revision current then, none
that appeared later, deletions as they stood then (a post deleted later is shown whole).

Plain functions over rows: the query that finds each post's revision current at a moment,
the filters and order a timeline asks for, and a blog's counts then. The posts are read
whole and sorted here: the revision current then holds the times to sort by.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from liveblog_cli.model import iso_z


def query(blog_id: str | None, as_of: datetime) -> tuple[str, list[Any]]:
    """SQL and parameters for every post that existed at `as_of` (of one blog, or all), in
    the revision current then, with `rowid` for a stable order."""
    moment = iso_z(as_of) or ""
    where = "r.seen_at <= ?1" + (" AND r.blog_id = ?2" if blog_id is not None else "")
    params: list[Any] = [moment] + ([blog_id] if blog_id is not None else [])
    # A revision's content is in its row once superseded, in the post's row while current.
    content = "CASE WHEN c.revision = b.revision THEN b.{0} ELSE r.{0} END AS {0}".format
    sql = (
        "WITH c AS (SELECT r.blog_id, r.block_id, max(r.revision) AS revision "
        f"FROM block_revisions r WHERE {where} GROUP BY r.blog_id, r.block_id) "
        f"SELECT c.blog_id, c.block_id AS id, c.revision, {content('title')}, "
        f"{content('text')}, {content('body')}, b.first_seen_at, b.rowid, "
        "CASE WHEN s.last_seen_at <= ?1 THEN s.last_seen_at END AS last_seen_at, "
        "(SELECT count(*) FROM block_revisions e WHERE e.blog_id = c.blog_id "
        "AND e.block_id = c.block_id AND e.revision <= c.revision AND e.cause = 'edit') "
        "AS edits, "
        "(SELECT max(d.deleted_at) FROM deletions d WHERE d.blog_id = c.blog_id "
        "AND d.block_id = c.block_id AND d.deleted_at <= ?1 "
        "AND (d.restored_at IS NULL OR d.restored_at > ?1)) AS deleted_at "
        "FROM c JOIN block_revisions r ON r.blog_id = c.blog_id AND r.block_id = c.block_id "
        "AND r.revision = c.revision "
        "JOIN blocks b ON b.blog_id = c.blog_id AND b.id = c.block_id "
        "LEFT JOIN block_seen s ON s.blog_id = c.blog_id AND s.block_id = c.block_id"
    )
    return sql, params


def post_time(post: dict[str, Any]) -> str:
    """When a post happened, as the timeline orders it."""
    return (
        post["published_at"]
        or post["created_at"]
        or post["updated_at"]
        or post["first_seen_at"]
        or ""
    )


def select(
    posts: Iterable[tuple[dict[str, Any], int]],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    key_events: bool = False,
    limit: int | None = None,
    oldest_first: bool = False,
    include_deleted: bool = True,
) -> Iterator[dict[str, Any]]:
    """The posts (each with its rowid) a timeline asks for, in its order."""
    low, high = iso_z(since), iso_z(until)
    found = []
    for post, rowid in posts:
        when = post_time(post)
        if (low and when < low) or (high and when > high):
            continue
        if (key_events and not post["key_event"]) or (not include_deleted and post["deleted_at"]):
            continue
        found.append(((post["blog_id"], when, rowid), post))
    found.sort(key=lambda item: item[0], reverse=not oldest_first)
    for _, post in found[:limit]:
        yield post


def counts(posts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A blog's counts and first and last post, over its posts as they stood then."""
    tally = {"blocks": 0, "key_events": 0, "deleted": 0}
    times = []
    for post in posts:
        if post["deleted_at"]:
            tally["deleted"] += 1
            continue
        tally["blocks"] += 1
        tally["key_events"] += bool(post["key_event"])
        if when := post_time(post):
            times.append(when)
    return {
        **tally,
        "first_post_at": min(times, default=None),
        "last_post_at": max(times, default=None),
    }
