"""Follow mode: poll live blogs until they close, emitting each change to a post once: new,
edited, restored, deleted.

The blogs are a schedule of their own, in memory (schedule.MemorySchedule), polled by the
same loop as `liveblog worker`; a blog that closes leaves it, and the follow ends when none
is left. Every poll goes through the same conductor (one HTTP client for the whole follow).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from liveblog_cli.archive.scheduling import Scheduled
from liveblog_cli.discover import FeedResult
from liveblog_cli.schedule import MemorySchedule, Poll, run

if TYPE_CHECKING:
    from liveblog_cli.sync import BlogResult, Sync
    from liveblog_cli.urls import Address

MIN_INTERVAL = 15.0


def min_interval() -> float:
    """15 s, the politeness floor; LIVEBLOG_MIN_INTERVAL lowers it for tests on loopback."""
    try:
        return max(0.0, float(os.environ.get("LIVEBLOG_MIN_INTERVAL", MIN_INTERVAL)))
    except ValueError:
        return MIN_INTERVAL


@dataclass
class FollowOutcome:
    polls: int
    emitted: int
    reason: str  # "closed", "max-duration", "signal", "error"
    exit_code: int = 0


def changed_blocks(
    result: BlogResult, gone: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The posts a poll added, edited, restored or deleted, newest last (the order a reader
    wants to see them); a deleted post as the archive last had it (`gone`)."""
    if result.report is None:
        return []
    change = {i: "new" for i in result.report.new}
    change.update({i: "edited" for i in result.report.updated})
    change.update({i: "restored" for i in result.report.restored})
    blocks = [b for b in result.changed.values() if b.id in change]
    floor = datetime.min.replace(tzinfo=UTC)
    blocks.sort(key=lambda b: b.sort_time or floor)
    blog_id = result.report.blog_id
    rows = [{"blog_id": blog_id, "change": change[b.id], **b.to_dict()} for b in blocks]
    deleted = {post["id"]: post for post in gone or []}
    for block_id in result.report.deleted:
        post = deleted.get(block_id, {"id": block_id})
        data = {k: v for k, v in post.items() if k != "blog_id"}
        rows.append({"blog_id": blog_id, "change": "deleted", **data})
    return rows


def follow(
    urls: Sequence[str | Address],
    sync: Sync,
    *,
    interval: float,
    max_duration: float | None,
    emit: Callable[[dict[str, Any]], None],
    report: Callable[[BlogResult], None],
    stop: threading.Event | None = None,
) -> FollowOutcome:
    """Poll the blogs until none is live, `max_duration` passes or a stop comes (SIGINT,
    SIGTERM: the polls under way finish, what they saved is saved, their changes shown).

    A blog whose first poll fails leaves the follow (and says why); if every blog did,
    the follow ends with that failure's exit code."""
    stop = stop or threading.Event()
    keys = [str(url) for url in urls]
    schedule = MemorySchedule(keys, every=max(min_interval(), interval))
    addresses = dict(zip(keys, urls, strict=True))
    polled: set[str] = set()
    emitted = 0
    first_failures: list[int] = []

    def poll(row: Scheduled) -> Poll:
        return Poll(row, sync.blog(addresses[row.url]))  # credentials kept for their host

    def shown(done: Poll) -> None:
        nonlocal emitted
        result, key = done.result, done.row.url
        assert not isinstance(result, FeedResult)  # a follow polls blogs only
        if not stop.is_set():
            report(result)
        if result.error is not None and key not in polled:
            schedule.rows.pop(key, None)  # never read: nothing to follow there
            first_failures.append(result.exit_code)
        polled.add(key)
        gone = _deleted_posts(sync, result)
        for row in changed_blocks(result, gone):
            emit(row)
            emitted += 1

    outcome = run(
        schedule,
        poll,
        concurrency=min(8, max(1, len(keys))),
        max_duration=max_duration,
        stop=stop,
        on_poll=shown,
    )
    if outcome.reason == "signal":
        return FollowOutcome(outcome.polls, emitted, "signal")
    if first_failures and len(first_failures) == len(keys):
        return FollowOutcome(outcome.polls, emitted, "error", max(first_failures))
    reason = "closed" if outcome.reason == "done" else outcome.reason
    return FollowOutcome(outcome.polls, emitted, reason)


def _deleted_posts(sync: Sync, result: BlogResult) -> list[dict[str, Any]]:
    """The posts a poll found deleted, as the archive has them (their last text)."""
    if result.report is None or not result.report.deleted:
        return []
    return sync.archive.posts(result.report.blog_id, result.report.deleted)


__all__ = ["FollowOutcome", "changed_blocks", "follow"]
