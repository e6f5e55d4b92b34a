"""Following many blogs: a schedule of due addresses, and the loop that polls them.

One loop serves `liveblog worker` (the schedule lives in the archive: rows claimed with a
lease, so workers in several processes and on several machines share it) and `liveblog
follow URL...` (a schedule of its own, in memory). The loop claims what is due, polls each
through the conductor (sync.py) on a pool of threads, and sets when each is next due: its
interval with a little jitter after a good poll, a capped back-off after failures, never
again after its blog closed. A stop (SIGTERM, SIGINT) lets the polls under way finish.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from liveblog_cli.archive.scheduling import Scheduled
from liveblog_cli.discover import FeedResult
from liveblog_cli.errors import LockHeld

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive
    from liveblog_cli.sync import BlogResult, Sync

JITTER = 0.05  # the next poll lands within ±5% of the interval: workers drift apart
BACKOFF_CAP = 3600.0  # a failing blog is tried at least hourly (or at its interval if longer)
HELD_RETRY = 30.0  # a blog another process is fetching is tried again this soon


def next_due(now: float, every: float, failures: int) -> float:
    """When a row is due again: its interval (jittered) after a good poll; after `failures`
    failed polls in a row, the interval doubled for each, up to BACKOFF_CAP."""
    if failures:
        pause = min(every * 2**failures, max(every, BACKOFF_CAP))
    else:
        pause = every * random.uniform(1 - JITTER, 1 + JITTER)
    return now + pause


@dataclass
class Poll:
    """What one poll of a row came to, for the row and for the person watching."""

    row: Scheduled
    result: BlogResult | FeedResult

    @property
    def held(self) -> bool:
        """Another process was fetching the blog: nobody waited, the row comes round soon."""
        return isinstance(self.result.error, LockHeld)

    @property
    def failed(self) -> bool:
        return self.result.error is not None and not self.held

    def outcome(self) -> str:
        """The poll in words, as `schedule list` shows it."""
        result = self.result
        if isinstance(result, FeedResult):
            return result.outcome()
        if self.held:
            return "held by another liveblog"
        if result.error is not None:
            return f"failed: {result.error_line()}"
        if result.not_modified:
            return "not modified"
        if result.report is not None and result.report.changed:
            return "changed"
        return "unchanged"

    @property
    def closed(self) -> bool:
        result = self.result
        if isinstance(result, FeedResult):
            return False
        return bool(result.error is None and result.blog and result.blog.is_live is False)


class Schedule(Protocol):
    """Where due rows come from and where their outcome goes."""

    def claim(self, limit: int) -> list[Scheduled]: ...

    def extend(self, urls: list[str]) -> None: ...

    def finish(self, poll: Poll) -> None: ...

    def next_due_in(self) -> float | None: ...


def worker_name() -> str:
    """Who holds a lease: this machine, this process, a nonce (a restarted process is
    another worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


class ArchiveSchedule:
    """The archive's schedule, claimed with leases by this worker."""

    def __init__(self, archive: Archive, *, lease: float, owner: str | None = None) -> None:
        self.archive = archive
        self.lease = lease
        self.owner = owner or worker_name()

    def claim(self, limit: int) -> list[Scheduled]:
        return self.archive.claim(self.owner, limit, self.lease)

    def extend(self, urls: list[str]) -> None:
        self.archive.extend(self.owner, urls, self.lease)

    def finish(self, poll: Poll) -> None:
        row = poll.row
        failures = row.failures + 1 if poll.failed else 0
        now = self.archive.clock()
        due = now + min(HELD_RETRY, row.every) if poll.held else next_due(now, row.every, failures)
        result = poll.result
        feed = result if isinstance(result, FeedResult) else None
        self.archive.finish(
            self.owner,
            row.url,
            outcome=poll.outcome(),
            next_due=due,
            failures=failures,
            blog_id=result.blog_id,
            closed=poll.closed,
            found=len(feed.new_blogs) if feed else 0,
            validators=(feed.etag, feed.last_modified) if feed else None,
        )

    def next_due_in(self) -> float | None:
        return self.archive.next_due_in()


class MemorySchedule:
    """A schedule of a few addresses, in memory (`follow URL...`): no leases, no archive rows;
    a blog that closes is dropped."""

    def __init__(self, urls: list[str], *, every: float) -> None:
        now = time.time()
        self.rows = {
            url: Scheduled(url=url, kind="blog", every=every, next_due=now, added_at="")
            for url in dict.fromkeys(urls)
        }
        self.busy: set[str] = set()

    def claim(self, limit: int) -> list[Scheduled]:
        now = time.time()
        due = [r for r in self.rows.values() if r.next_due <= now and r.url not in self.busy]
        due = sorted(due, key=lambda r: r.next_due)[:limit]
        self.busy.update(r.url for r in due)
        return due

    def extend(self, urls: list[str]) -> None:
        pass

    def finish(self, poll: Poll) -> None:
        row = poll.row
        self.busy.discard(row.url)
        if poll.closed:
            self.rows.pop(row.url, None)
            return
        row.failures = row.failures + 1 if poll.failed else 0
        row.next_due = next_due(time.time(), row.every, row.failures)

    def next_due_in(self) -> float | None:
        pending = [r.next_due for r in self.rows.values() if r.url not in self.busy]
        if not self.rows:
            return None
        if not pending:
            return 1.0
        return max(0.0, min(pending) - time.time())


@dataclass
class LoopOutcome:
    polls: int = 0
    failed: int = 0
    exit_code: int = 0
    reason: str = "done"  # "done" (nothing left), "once", "max-duration", "signal"
    results: list[Poll] = field(default_factory=list)


def run(
    schedule: Schedule,
    poll: Callable[[Scheduled], Poll],
    *,
    concurrency: int = 4,
    once: bool = False,
    max_duration: float | None = None,
    stop: threading.Event | None = None,
    on_poll: Callable[[Poll], None] | None = None,
    heartbeat: float = 60.0,
    keep: bool = False,
) -> LoopOutcome:
    """Poll what is due until a stop, `max_duration`, or (with `once`) until nothing that was
    due is left; a schedule with nothing left at all ends the loop too. Leases of the rows
    under way are extended every `heartbeat` seconds. `keep`: keep every Poll in the outcome."""
    stop = stop or threading.Event()
    outcome = LoopOutcome()
    started = time.monotonic()
    running: dict[Future[Poll], Scheduled] = {}
    last_beat = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poll") as pool:
        while True:
            if stop.is_set():
                outcome.reason = "signal"
                break
            if max_duration is not None and time.monotonic() - started >= max_duration:
                outcome.reason = "max-duration"
                break
            claimed = schedule.claim(concurrency - len(running))
            for row in claimed:
                running[pool.submit(poll, row)] = row
            if not running:
                left = schedule.next_due_in()
                if once or left is None:
                    outcome.reason = "once" if once else "done"
                    break
                pause = min(left, 1.0)
                if max_duration is not None:
                    pause = min(pause, max(0.0, max_duration - (time.monotonic() - started)))
                stop.wait(pause)
                continue
            finished, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                _record(future.result(), schedule, outcome, on_poll, keep)
            if running and time.monotonic() - last_beat >= heartbeat:
                schedule.extend([row.url for row in running.values()])
                last_beat = time.monotonic()
        # A stop or the end of the time given: the polls under way finish and are recorded.
        for future, _row in list(running.items()):
            _record(future.result(), schedule, outcome, on_poll, keep)
    return outcome


def _record(
    done: Poll,
    schedule: Schedule,
    outcome: LoopOutcome,
    on_poll: Callable[[Poll], None] | None,
    keep: bool,
) -> None:
    schedule.finish(done)
    outcome.polls += 1
    if done.failed:
        outcome.failed += 1
        outcome.exit_code = max(outcome.exit_code, done.result.exit_code)
    if keep:
        outcome.results.append(done)
    if on_poll:
        on_poll(done)


def poller(sync: Sync) -> Callable[[Scheduled], Poll]:
    """A poll of one row: a blog through the conductor (which holds its lock meanwhile), a
    feed read for the live blogs it links to (discover.py), which join the schedule."""
    from liveblog_cli import discover

    def poll(row: Scheduled) -> Poll:
        if row.kind == "feed":
            validators = (row.etag, row.last_modified)
            found = discover.read(
                sync.archive, sync, row.url, match=row.match, validators=validators
            )
            return Poll(row, found)
        return Poll(row, sync.blog(row.url))

    return poll


__all__ = [
    "ArchiveSchedule",
    "LoopOutcome",
    "MemorySchedule",
    "Poll",
    "next_due",
    "poller",
    "run",
    "worker_name",
]
