"""The schedule in the archive: what is followed, and who polls it now.

Each row is a blog's address (or a feed's, see discover.py) with how often it is polled and
when it is next due. A worker claims due rows with a lease (`lease_owner`, `lease_until`):
no other worker claims them until the lease runs out, so a worker that dies mid-poll has
its rows taken over, and one that lives extends its lease while it works. Claims are each
engine's own (SQLite: under BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE SKIP LOCKED, so workers
never wait on each other's rows). The next moment each host may be asked lives here too
(`hosts`), so politeness holds across workers and machines.

Times are seconds since 1970 on the engine's clock (the database server's, for
PostgreSQL: machines with skewed clocks still agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveblog_cli.archive.database import Database, now_utc
from liveblog_cli.model import iso_z


@dataclass
class Scheduled:
    """One row of the schedule, as a worker or `schedule list` sees it."""

    url: str
    kind: str  # "blog" or "feed"
    every: float
    next_due: float
    added_at: str
    blog_id: str | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    polls: int = 0
    last_polled_at: str | None = None
    last_outcome: str | None = None
    failures: int = 0
    state: str = "active"  # "active", or "closed" (a blog that ended leaves the schedule)
    match: str | None = None  # feeds: the pattern links must match
    found: int = 0  # feeds: blogs added from it
    etag: str | None = None  # feeds: validators of the last read, for a conditional GET
    last_modified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_COLUMNS = (
    "url, kind, every, next_due, added_at, blog_id, lease_owner, lease_until, polls, "
    "last_polled_at, last_outcome, failures, state, match, found, etag, last_modified"
)


class Scheduling(Database):
    """The schedule's rows: added, listed, removed, claimed, extended, finished."""

    def clock(self) -> float:
        """Now, in seconds since 1970, on the clock every worker of this archive shares."""
        return self.engine.clock()

    def schedule_add(
        self,
        urls: list[str],
        *,
        every: float,
        kind: str = "blog",
        match: str | None = None,
        refresh: bool = True,
    ) -> list[str]:
        """Add addresses (due at once); an address already there gets the new interval
        (and pattern) and is due at once again (unless not `refresh`: then it is left as it
        is). Returns those that were new."""
        now = self.clock()
        added = []
        with self.transaction():
            for url in dict.fromkeys(urls):
                known = self.conn.execute("SELECT 1 FROM schedule WHERE url = ?", [url]).fetchone()
                if known and not refresh:
                    continue
                if known:
                    self.conn.execute(
                        "UPDATE schedule SET every = ?, next_due = ?, match = ?, state = 'active', "
                        "failures = 0 WHERE url = ?",
                        [every, now, match, url],
                    )
                    continue
                self.conn.execute(
                    "INSERT INTO schedule (url, kind, every, next_due, added_at, match) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [url, kind, every, now, iso_z(now_utc()), match],
                )
                added.append(url)
        return added

    def schedule_remove(self, urls: list[str]) -> list[str]:
        """Remove addresses (a feed's too); those that were there."""
        removed = []
        with self.transaction():
            for url in dict.fromkeys(urls):
                if self.conn.execute("SELECT 1 FROM schedule WHERE url = ?", [url]).fetchone():
                    self.conn.execute("DELETE FROM schedule WHERE url = ?", [url])
                    removed.append(url)
        return removed

    def scheduled(self, *, kind: str | None = None) -> list[Scheduled]:
        """Every row, feeds first then blogs, each by when it is next due."""
        where = "WHERE kind = ? " if kind else ""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM schedule {where}ORDER BY kind DESC, state, next_due, url",
            [kind] if kind else [],
        )
        return [Scheduled(**dict(r)) for r in rows]

    def claim(self, owner: str, limit: int, lease: float) -> list[Scheduled]:
        """Up to `limit` due rows no live lease holds, now held by `owner` for `lease`
        seconds, the longest overdue first."""
        if limit <= 0:
            return []
        with self._lock:
            try:
                rows = self.engine.claim(owner, limit, lease, _COLUMNS)
            except self.engine.errors as exc:
                raise self.engine.error(exc) from None
        return [Scheduled(**row) for row in rows]

    def extend(self, owner: str, urls: list[str], lease: float) -> None:
        """The owner still works on these: their leases run `lease` seconds from now."""
        if not urls:
            return
        until = self.clock() + lease
        with self.transaction():
            for url in urls:
                self.conn.execute(
                    "UPDATE schedule SET lease_until = ? WHERE url = ? AND lease_owner = ?",
                    [until, url, owner],
                )

    def finish(
        self,
        owner: str,
        url: str,
        *,
        outcome: str,
        next_due: float,
        failures: int,
        blog_id: str | None,
        closed: bool = False,
        found: int = 0,
        validators: tuple[str | None, str | None] | None = None,
    ) -> bool:
        """A poll's end: its outcome, when the row is next due, the lease let go. False
        when the lease was lost meanwhile (another worker holds the row now: its word
        stands)."""
        with self.transaction():
            done = self.conn.execute(
                "UPDATE schedule SET lease_owner = NULL, lease_until = NULL, next_due = ?, "
                "polls = polls + 1, last_polled_at = ?, last_outcome = ?, failures = ?, "
                "blog_id = coalesce(?, blog_id), state = ?, found = found + ? "
                "WHERE url = ? AND lease_owner = ?",
                [
                    next_due,
                    iso_z(now_utc()),
                    outcome,
                    failures,
                    blog_id,
                    "closed" if closed else "active",
                    found,
                    url,
                    owner,
                ],
            )
            if done.rowcount and validators is not None:
                self.conn.execute(
                    "UPDATE schedule SET etag = ?, last_modified = ? WHERE url = ?",
                    [*validators, url],
                )
            return bool(done.rowcount)

    def next_due_in(self) -> float | None:
        """Seconds until the next active row is due (0 if one is), None for none."""
        row = self.conn.execute(
            "SELECT min(next_due) FROM schedule WHERE state = 'active'"
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, float(row[0]) - self.clock())

    def reserve_host(self, host: str, delay: float) -> float:
        """A turn to ask `host`: the seconds to wait for it. Turns are `delay` apart for every
        worker of this archive, whichever process or machine asks."""
        with self._lock:
            try:
                return self.engine.reserve_host(host, delay)
            except self.engine.errors as exc:
                raise self.engine.error(exc) from None

    def link_verdicts(self, urls: list[str]) -> dict[str, str]:
        """What the archive already knows of these links (discovery): "blog" or "article"."""
        known: dict[str, str] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._rows(f"SELECT url, verdict FROM links WHERE url IN ({marks})", chunk):
                known[row["url"]] = row["verdict"]
        return known

    def remember_link(self, url: str, feed: str, verdict: str, blog_id: str | None) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO links (url, feed, verdict, blog_id, seen_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET verdict = excluded.verdict, "
                "blog_id = excluded.blog_id, seen_at = excluded.seen_at",
                [url, feed, verdict, blog_id, iso_z(now_utc())],
            )


__all__ = ["Scheduled", "Scheduling"]
