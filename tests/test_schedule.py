"""Many blogs: the schedule in the archive, workers that share it, follow of several blogs,
fetch beside a follow. Real servers on 127.0.0.1, the real command line, real archives
(SQLite, or PostgreSQL under `make test-postgres`).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from conftest import (
    CLI,
    RELIABILITY_ROWS,
    _cli_env,
    archive_db,
    record,
    run_cli,
    sql,
    start_cli,
)
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

RELIABILITY_ROWS.extend(["workers-share", "workers-polite", "worker-killed"])

ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1", "LIVEBLOG_MIN_INTERVAL": "0"}
FAST = ["--timeout", "5", "--retries", "0"]
# The suite's size; `make reliability-doc` runs the (300 blogs, 3 workers, 40 s).
BLOGS = int(os.environ.get("LIVEBLOG_WORKER_BLOGS", "60"))
SECONDS = float(os.environ.get("LIVEBLOG_WORKER_SECONDS", "10"))


def _blogs(server: LiveServer, count: int, *, live: bool = True, first: int = 0) -> list[str]:
    urls = []
    for n in range(first, first + count):
        path = f"/world/live/2026/jan/01/blog-{n:04d}"
        blog = GuardianBlog(path, [dcr_block(n * 10 + k) for k in range(3, 0, -1)], live=live)
        server.routes[path + ".json"] = blog.route
        urls.append(server.url(path))
    return urls


def _schedule(db: str, urls: list[str], every: int = 3600) -> None:
    listing = "\n".join(urls).encode()
    done = run_cli(
        "schedule", "add", "--from", "-", "--every", str(every), "--db", db, stdin=listing
    )
    assert done.returncode == 0, done.stderr.decode()


def _listed(db: str) -> list[dict]:  # type: ignore[type-arg]
    done = run_cli("schedule", "list", "--json", "--db", db)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def test_add_list_remove(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    added = run_cli(
        "schedule", "add", "https://example.org/a", "https://Example.org/b#top", "--db", db
    )
    assert added.returncode == 0, added.stderr
    assert b"scheduled 2 blogs every 60 s" in added.stderr
    again = run_cli("schedule", "add", "https://example.org/b", "--every", "120", "--db", db)
    assert b"scheduled 0 blogs every 120 s (1 already there" in again.stderr
    rows = {r["url"]: r for r in _listed(db)}
    assert set(rows) == {"https://example.org/a", "https://example.org/b"}
    assert rows["https://example.org/b"]["every"] == 120
    assert (
        rows["https://example.org/a"]["state"] == "active"
        and rows["https://example.org/a"]["polls"] == 0
    )
    secret = run_cli("schedule", "add", "https://ann:pw@example.org/c", "--db", db)
    assert secret.returncode == 2 and b"pw" not in secret.stderr
    removed = run_cli("schedule", "remove", "https://example.org/a", "--db", db)
    assert removed.returncode == 0
    assert [r["url"] for r in _listed(db)] == ["https://example.org/b"]
    missing = run_cli("schedule", "remove", "https://example.org/zzz", "--db", db)
    assert missing.returncode == 2 and b"not in the schedule" in missing.stderr


def test_worker_once_archives_what_is_due_and_sets_when_next(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    with LiveServer() as server:
        urls = _blogs(server, 5)
        (closed_url,) = _blogs(server, 1, live=False, first=100)
        _schedule(db, [*urls, closed_url], every=60)
        first = run_cli("worker", "--once", "--delay", "0", *FAST, "--db", db, env=ENV)
        assert first.returncode == 0, first.stderr.decode()
        again = run_cli("worker", "--once", "--delay", "0", *FAST, "--db", db, env=ENV)
    assert again.returncode == 0
    assert b"after 0 polls" in again.stderr  # nothing was due: every blog waits its minute
    rows = {r["url"]: r for r in _listed(db)}
    assert all(rows[u]["last_outcome"] == "changed" and rows[u]["polls"] == 1 for u in urls)
    assert rows[closed_url]["state"] == "closed"
    for url in urls:
        assert 0 < rows[url]["next_due"] - time.time() <= 60 * 1.06
    assert sql(db, "SELECT count(*) FROM blogs") == [(6,)]


def test_workers_share_the_schedule_each_blog_polled_once(tmp_path: Path) -> None:
    """Three workers at once on one archive: every blog polled exactly once in the window
    (its interval is longer), all of them archived, none twice."""
    db = archive_db(tmp_path)
    with LiveServer() as server:
        urls = _blogs(server, BLOGS)
        _schedule(db, urls, every=3600)
        workers = [
            start_cli(
                "worker",
                "--delay",
                "0",
                "--concurrency",
                "4",
                "--max-duration",
                str(SECONDS),
                *FAST,
                "--db",
                db,
                "--quiet",
                env=ENV,
                quiet=True,
            )
            for _ in range(3)
        ]
        codes = [w.wait(timeout=SECONDS + 120) for w in workers]
        hits = [r["path"] for r in server.requests]
    per_blog = {u: 0 for u in urls}
    for path in hits:
        url = server.url(path.split(".json")[0])
        if url in per_blog:
            per_blog[url] += 1
    listed = json.loads(run_cli("list", "--json", "--db", db).stdout)
    record(
        "workers-share",
        f"{BLOGS} blogs on 127.0.0.1 scheduled, 3 `worker`s at once for {SECONDS:g} s",
        BLOGS,
        f"{sum(1 for n in per_blog.values() if n == 1)} of {BLOGS} polled exactly once, "
        f"{len(listed)} in `list --json`; exits {codes}",
    )
    assert codes == [0, 0, 0]
    assert sorted(per_blog.values()) == [1] * BLOGS, {u: n for u, n in per_blog.items() if n != 1}
    assert len(listed) == BLOGS


def test_workers_keep_the_gap_to_one_host(tmp_path: Path) -> None:
    """20 blogs on one host, two workers, --delay 0.5: the requests spaced 0.5 s apart."""
    db = archive_db(tmp_path)
    with LiveServer() as server:
        urls = _blogs(server, 20)
        _schedule(db, urls, every=3600)
        workers = [
            start_cli(
                "worker",
                "--once",
                "--delay",
                "0.5",
                "--concurrency",
                "4",
                *FAST,
                "--db",
                db,
                "--quiet",
                env=ENV,
                quiet=True,
            )
            for _ in range(2)
        ]
        codes = [w.wait(timeout=120) for w in workers]
        times = sorted(r["time"] for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    record(
        "workers-polite",
        "20 blogs on one host, 2 workers with --delay 0.5",
        len(times),
        f"smallest gap between two requests {min(gaps):.3f} s; exits {codes}",
    )
    assert codes == [0, 0] and len(times) == 20
    # Turns are kept when requests are sent; the server sees them arrive, each late by
    # however long a busy machine took to send it. So: 19 gaps of 0.5 s end to end (a
    # late first request only shortens that by its lateness), and no two requests
    # together (without the shared turns, 8 requests at once took under a second).
    assert times[-1] - times[0] >= 19 * 0.5 - 0.25
    assert min(gaps) >= 0.25


def test_a_killed_workers_blogs_are_taken_over(tmp_path: Path) -> None:
    """A worker SIGKILLed while it holds claims (its server answering slowly): once its
    lease runs out, another worker archives those blogs; nothing lost, no traceback."""
    db = archive_db(tmp_path)
    slow = threading.Event()
    with LiveServer() as server:
        urls = _blogs(server, 6)
        for url in urls:
            path = url.removeprefix(server.base) + ".json"
            route = server.routes[path]

            def answer(target: str, headers: dict[str, str], route=route) -> Reply:
                if not slow.is_set():
                    time.sleep(20)  # the first worker waits here when it is killed
                return route(target, headers)

            server.routes[path] = answer
        _schedule(db, urls, every=3600)
        doomed = start_cli(
            "worker",
            "--lease",
            "8",
            "--delay",
            "0",
            "--concurrency",
            "6",
            "--timeout",
            "60",
            "--db",
            db,
            env=ENV,
            quiet=True,
        )
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)  # claimed all six, asking for the first (one at a time per host)
        held = [r for r in _listed(db) if r["lease_owner"]]
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        slow.set()
        started = time.monotonic()
        survivor = subprocess.run(
            [
                *CLI,
                "worker",
                "--lease",
                "8",
                "--delay",
                "0",
                "--max-duration",
                "30",
                "--once",
                *FAST,
                "--db",
                db,
            ],
            env=_cli_env(ENV),
            capture_output=True,
            timeout=120,
            check=False,
        )
        # --once with nothing due yet (the leases still live) ends at once: go again until
        # the leases have run out.
        while time.monotonic() - started < 20 and b"after 0 polls" in survivor.stderr:
            time.sleep(1)
            survivor = subprocess.run(
                [*CLI, "worker", "--lease", "8", "--delay", "0", "--once", *FAST, "--db", db],
                env=_cli_env(ENV),
                capture_output=True,
                timeout=120,
                check=False,
            )
    took = time.monotonic() - started
    rows = _listed(db)
    record(
        "worker-killed",
        "a worker SIGKILLed holding 6 claims (--lease 8), another worker started",
        6,
        f"{len(held)} held when killed; taken over after {took:.0f} s; "
        f"{sum(r['last_outcome'] == 'changed' for r in rows)} of 6 archived",
    )
    assert len(held) == 6
    assert survivor.returncode == 0, survivor.stderr.decode()
    assert b"Traceback" not in survivor.stderr
    assert all(r["last_outcome"] == "changed" and r["polls"] == 1 for r in rows)
    assert sql(db, "SELECT count(*) FROM blogs") == [(6,)]


def test_follow_several_blogs_until_they_close(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    with LiveServer() as server:
        urls = _blogs(server, 3, live=False)
        done = run_cli(
            "follow", *urls, "--delay", "0", "--interval", "1", *FAST, "--db", db, env=ENV
        )
    assert done.returncode == 0, done.stderr.decode()
    assert b"stopped following (closed) after 3 polls, 9 blocks shown" in done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(lines) == 9 and {x["change"] for x in lines} == {"new"}


def test_a_fetch_beside_a_follow_skips_the_held_blog_and_fetches_the_rest(tmp_path: Path) -> None:
    """A follow holds one of 20 blogs: a cron fetch of all 20 archives the other 19, says
    which one was held, and exits 75."""
    db = archive_db(tmp_path)
    with LiveServer() as server:
        urls = _blogs(server, 20)
        follower = start_cli(
            "follow", urls[7], "--interval", "600", "--delay", "0", "--db", db, env=ENV, quiet=True
        )
        try:
            deadline = time.monotonic() + 30
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            cron = run_cli("fetch", "--json", *urls, "--delay", "0", *FAST, "--db", db, env=ENV)
        finally:
            follower.terminate()
            follower.wait(timeout=30)
    results = json.loads(cron.stdout)
    assert cron.returncode == 75, cron.stderr.decode()
    held = [r for r in results if r["exit_code"] == 75]
    assert [r["url"] for r in held] == [urls[7]]
    assert "another liveblog is fetching" in held[0]["error"]
    assert sum(1 for r in results if r["exit_code"] == 0) == 19
    assert urls[7].encode() in cron.stderr


def test_no_worker_traceback_when_the_schedule_is_empty(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    run_cli("schedule", "add", "https://example.org/x", "--db", db)
    run_cli("schedule", "remove", "https://example.org/x", "--db", db)
    done = run_cli("worker", "--once", "--db", db)
    assert done.returncode == 0 and b"Traceback" not in done.stderr
