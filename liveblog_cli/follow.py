"""Follow mode: poll a live blog until it closes, emitting each new or edited block once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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


def changed_blocks(result: BlogResult) -> list[dict[str, Any]]:
    """The blocks a poll added or edited, newest last (the order a reader wants to see them)."""
    if result.report is None or not result.changed:
        return []
    change = {i: "new" for i in result.report.new}
    change.update({i: "edited" for i in result.report.updated})
    change.update({i: "restored" for i in result.report.restored})
    blocks = [b for b in result.changed.values() if b.id in change]
    floor = datetime.min.replace(tzinfo=UTC)
    blocks.sort(key=lambda b: b.sort_time or floor)
    return [
        {"blog_id": result.report.blog_id, "change": change[b.id], **b.to_dict()} for b in blocks
    ]


def follow(
    url: str | Address,
    sync: Sync,
    *,
    interval: float,
    max_duration: float | None,
    emit: Callable[[dict[str, Any]], None],
    report: Callable[[BlogResult], None],
    stop: threading.Event | None = None,
) -> FollowOutcome:
    """Poll `url` until the blog is no longer live, `max_duration` passes or a signal comes.

    A signal (SIGINT, SIGTERM) lets the fetch and save under way finish, then stops.
    Every poll goes through the same `sync` (one HTTP client for the whole follow).
    """
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    started = time.monotonic()
    polls = emitted = 0
    floor = min_interval()
    try:
        while True:
            result = sync.blog(url)
            polls += 1
            if stop.is_set():
                # A signal: the poll under way gave up or finished; what it saved is saved.
                for row in changed_blocks(result):
                    emit(row)
                    emitted += 1
                return FollowOutcome(polls, emitted, "signal")
            report(result)
            if result.error is not None and polls == 1:
                return FollowOutcome(polls, emitted, "error", result.exit_code)
            for row in changed_blocks(result):
                emit(row)
                emitted += 1
            if result.blog is not None and result.blog.is_live is False:
                return FollowOutcome(polls, emitted, "closed")
            if stop.is_set():
                return FollowOutcome(polls, emitted, "signal")
            pause = max(floor, interval) * random.uniform(0.9, 1.1)
            if max_duration is not None:
                left = max_duration - (time.monotonic() - started)
                if left <= 0:
                    return FollowOutcome(polls, emitted, "max-duration")
                pause = min(pause, left)
            if stop.wait(pause):
                return FollowOutcome(polls, emitted, "signal")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["FollowOutcome", "follow"]
