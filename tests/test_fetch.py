"""`liveblog fetch` against a real HTTP server on 127.0.0.1 that misbehaves on cue."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, archive_db, on_postgres, run_cli, sql, start_cli
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

from liveblog_cli.archive import Archive
from liveblog_cli.errors import LockHeld

PATH = "/world/live/2024/may/01/test-blog"
FAST = ["--delay", "0", "--timeout", "5"]
ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}


def fetch(
    db: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    return run_cli(
        "fetch", *args, "--db", str(db), *FAST, env={**ENV, **(env or {})}, timeout=timeout
    )


def rows(db: str | Path, query: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    return sql(db, query, *params)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with LiveServer() as srv:
        yield srv


@pytest.fixture
def blog(server: LiveServer) -> GuardianBlog:
    g = GuardianBlog(
        PATH, [dcr_block(n, key=n in (12, 5, 1)) for n in range(12, 0, -1)], per_page=5
    )
    server.routes[PATH + ".json"] = g.route
    return g


def test_first_fetch_walks_every_page(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    db = archive_db(tmp_path, "a")
    result = fetch(db, server.url(PATH))
    assert result.returncode == 0, result.stderr
    assert b"+12 new, 0 edited, 0 deleted, 12 blocks" in result.stderr
    assert result.stdout == b""
    assert len(server.hits(PATH + ".json?dcr=true")) == 1
    assert len([r for r in server.requests if "page=with" in r["path"]]) == 2
    assert all(r["headers"]["user-agent"].startswith("liveblog/") for r in server.requests)
    assert rows(db, "SELECT count(*) FROM blocks") == [(12,)]
    assert rows(db, "SELECT count(*) FROM snapshots") == [(3,)]
    assert rows(db, "SELECT count(DISTINCT id) FROM blogs") == [(1,)]


def test_second_fetch_is_conditional_and_writes_nothing(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    db = archive_db(tmp_path, "a")
    assert fetch(db, server.url(PATH)).returncode == 0
    before = rows(
        db,
        "SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM "
        "block_revisions), (SELECT max(last_seen_at) FROM block_seen)",
    )
    server.requests.clear()
    again = fetch(db, server.url(PATH), "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary[0]["not_modified"] is True and summary[0]["exit_code"] == 0
    assert len(server.requests) == 1
    assert "if-none-match" in server.requests[0]["headers"]
    assert "if-modified-since" in server.requests[0]["headers"]
    after = rows(
        db,
        "SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM "
        "block_revisions), (SELECT max(last_seen_at) FROM block_seen)",
    )
    # Nothing written but the poll itself: one row saying 304, with no page.
    assert after[0][1:] == before[0][1:] and after[0][0] == before[0][0] + 1
    assert rows(
        db, "SELECT status, snapshot_hash, error FROM fetches ORDER BY id DESC LIMIT 1"
    ) == [(304, None, None)]


def test_a_new_post_on_page_one_reads_only_page_one(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    db = archive_db(tmp_path, "a")
    assert fetch(db, server.url(PATH)).returncode == 0
    blog.blocks.insert(0, dcr_block(13, title="Breaking"))
    server.requests.clear()
    result = fetch(db, server.url(PATH), "--json")
    assert result.returncode == 0, result.stderr
    assert [r["path"] for r in server.requests] == [PATH + ".json?dcr=true"]
    summary = json.loads(result.stdout)[0]
    assert (summary["new"], summary["updated"], summary["deleted"], summary["total"]) == (
        1,
        0,
        0,
        13,
    )


def test_max_pages_bounds_the_first_walk(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    db = archive_db(tmp_path, "a")
    assert fetch(db, server.url(PATH), "--max-pages", "2").returncode == 0
    assert rows(db, "SELECT count(*) FROM blocks") == [(10 + 1,)]  # 2 pages + a key event


def test_json_endpoint_failing_falls_back_to_the_html_page(
    server: LiveServer, tmp_path: Path
) -> None:
    path = "/science/live/2026/mar/02/lunar-lander-touchdown-live"
    server.routes[path + ".json"] = Reply(404, b"gone")
    server.routes[path] = Reply(
        200,
        (SAMPLES / "guardian-lunar-lander.html").read_bytes(),
        {"Content-Type": "text/html; charset=utf-8"},
    )
    db = archive_db(tmp_path, "a")
    result = fetch(db, server.url(path), "--max-pages", "1")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT source_format FROM blogs") == [("guardian-html",)]
    # The endpoint's 404 is a fallback, not a failed poll of a healthy blog; the next poll
    # asks the page that answered first, and the endpoint not at all.
    assert rows(db, "SELECT kind, status FROM fetches WHERE url LIKE '%.json%'") == [
        ("fallback", 404)
    ]
    (listed,) = json.loads(run_cli("list", "--json", "--db", db).stdout)
    assert listed["failures_24h"] == 0
    asked = len(server.hits(path + ".json?dcr=true"))
    again = fetch(db, server.url(path), "--max-pages", "1")
    assert again.returncode == 0, again.stderr
    assert len(server.hits(path + ".json?dcr=true")) == asked


def test_gzip_and_redirects(server: LiveServer, tmp_path: Path) -> None:
    page = (SAMPLES / "guardian-tallships-page2.dcr.json").read_bytes()
    server.routes["/blog"] = Reply(301, headers={"Location": "/blog-moved"})
    server.routes["/blog-moved"] = Reply(200, page, {"Content-Type": "application/json"}, gzip=True)
    db = archive_db(tmp_path, "a")
    result = fetch(db, server.url("/blog"), "--max-pages", "1")
    assert result.returncode == 0, result.stderr
    assert [r["path"] for r in server.requests] == ["/blog", "/blog-moved"]
    assert "gzip" in server.requests[0]["headers"]["accept-encoding"]
    assert rows(db, "SELECT count(*) FROM blocks") == [(3,)]  # 2 posts + a key event
    assert rows(db, "SELECT url FROM fetches") == [(server.url("/blog"),)]


def test_429_with_retry_after_then_success(server: LiveServer, tmp_path: Path) -> None:
    page = (SAMPLES / "guardian-tallships-page2.dcr.json").read_bytes()
    server.routes["/blog"] = [Reply(429, b"slow down", {"Retry-After": "1"}), Reply(200, page)]
    result = fetch(archive_db(tmp_path, "a"), server.url("/blog"), "--max-pages", "1")
    assert result.returncode == 0, result.stderr
    first, second = server.hits("/blog")
    assert second["time"] - first["time"] >= 0.9  # Retry-After: 1 was honoured


def test_429_for_ever_is_a_temporary_failure(server: LiveServer, tmp_path: Path) -> None:
    server.routes["/blog"] = Reply(429, b"slow down", {"Retry-After": "0"})
    result = fetch(archive_db(tmp_path, "a"), server.url("/blog"), "--retries", "1")
    assert result.returncode == 75
    assert len(server.hits("/blog")) == 2


def test_500_three_times_exits_69_and_saves_nothing(server: LiveServer, tmp_path: Path) -> None:
    server.routes["/blog"] = Reply(500, b"oops")
    db = archive_db(tmp_path, "a")
    result = fetch(db, server.url("/blog"), "--retries", "2")
    assert result.returncode == 69
    assert len(server.hits("/blog")) == 3
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "HTTP 500 after 3 tries" in err
    assert rows(db, "SELECT count(*) FROM blogs") == [(0,)]


def test_404_is_not_retried(server: LiveServer, tmp_path: Path) -> None:
    result = fetch(archive_db(tmp_path, "a"), server.url("/missing"))
    assert result.returncode == 69 and len(server.requests) == 1


def test_connection_reset_mid_body(server: LiveServer, tmp_path: Path) -> None:
    page = (SAMPLES / "guardian-tallships-page2.dcr.json").read_bytes()
    server.routes["/flaky"] = [Reply(200, page, reset_after=200), Reply(200, page)]
    server.routes["/broken"] = Reply(200, page, reset_after=200)
    db = archive_db(tmp_path, "a")
    ok = fetch(db, server.url("/flaky"), "--max-pages", "1")
    assert ok.returncode == 0, ok.stderr
    assert len(server.hits("/flaky")) == 2
    bad = fetch(db, server.url("/broken"), "--retries", "1")
    assert bad.returncode == 69 and b"connection broken" in bad.stderr


def test_body_over_the_cap_exits_and_saves_nothing(server: LiveServer, tmp_path: Path) -> None:
    page = (SAMPLES / "guardian-tallships.dcr.json").read_bytes()
    server.routes["/big"] = Reply(200, page)
    server.routes["/big-gzip"] = Reply(200, page, gzip=True)  # small on the wire, big inside
    db = archive_db(tmp_path, "a")
    for path in ("/big", "/big-gzip"):
        result = fetch(db, server.url(path), "--max-bytes", "4096")
        assert result.returncode == 69, path
        assert b"--max-bytes" in result.stderr
    assert rows(db, "SELECT count(*) FROM blogs") == [(0,)]
    assert len(server.hits("/big")) == 1  # not retried


def test_slow_server_past_the_deadline(server: LiveServer, tmp_path: Path) -> None:
    page = (SAMPLES / "guardian-tallships.dcr.json").read_bytes()
    server.routes["/trickle"] = Reply(200, page, trickle=0.4)  # bytes keep coming, slowly
    server.routes["/silent"] = Reply(200, page, delay=3)
    db = archive_db(tmp_path, "a")
    for path in ("/trickle", "/silent"):
        result = run_cli(
            "fetch",
            server.url(path),
            "--db",
            str(db),
            "--delay",
            "0",
            "--timeout",
            "0.5",
            "--retries",
            "0",
        )
        assert result.returncode == 69, (path, result.stderr)
    assert rows(db, "SELECT count(*) FROM blogs") == [(0,)]


def test_a_page_that_is_not_a_live_blog_exits_65(server: LiveServer, tmp_path: Path) -> None:
    server.routes["/article"] = Reply(
        200, b"<html><body><h1>News</h1><p>Story.</p></body></html>", {"Content-Type": "text/html"}
    )
    db = archive_db(tmp_path, "a")
    result = fetch(db, server.url("/article"))
    assert result.returncode == 65
    assert b"not a live blog" in result.stderr
    assert rows(db, "SELECT count(*) FROM blogs") == [(0,)]


def test_charset_from_header_meta_or_utf8(server: LiveServer, tmp_path: Path) -> None:
    html = (SAMPLES / "guardian-lunar-lander.html").read_text(encoding="utf-8")
    html = html.replace("Applause fills the room.", "Applause fills the room, café-style.")
    server.routes["/bogus"] = Reply(
        200, html.encode("utf-8"), {"Content-Type": "text/html; charset=no-such-charset"}
    )
    latin = html.replace('<meta charset="utf-8">', "")
    server.routes["/latin"] = Reply(
        200,
        latin.encode("latin-1", errors="replace"),
        {"Content-Type": "text/html; charset=ISO-8859-1"},
    )
    for path in ("/bogus", "/latin"):
        db = tmp_path / f"{path.strip('/')}.db"
        result = fetch(db, server.url(path), "--max-pages", "1")
        assert result.returncode == 0, (path, result.stderr)
        texts = " ".join(r[0] for r in rows(db, "SELECT text FROM blocks"))
        assert "café-style" in texts, path


def test_several_urls_at_once_with_one_failure(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    server.routes["/other"] = Reply(
        200, (SAMPLES / "guardian-tallships-page2.dcr.json").read_bytes()
    )
    db = archive_db(tmp_path, "a")
    result = fetch(
        db,
        server.url(PATH),
        server.url("/other"),
        server.url("/missing"),
        "--json",
        "--max-pages",
        "1",
    )
    assert result.returncode == 69
    summary = json.loads(result.stdout)
    assert [s["exit_code"] for s in summary] == [0, 0, 69]
    assert summary[0]["new"] == 5 + 2  # page 1 and the key events it lists
    assert rows(db, "SELECT count(*) FROM blogs") == [(2,)]


def test_quiet_prints_nothing_on_success(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    result = fetch(archive_db(tmp_path, "a"), server.url(PATH), "--quiet")
    assert result.returncode == 0 and result.stdout == b"" and result.stderr == b""


def test_log_file_gets_a_line_per_fetch(
    server: LiveServer, blog: GuardianBlog, tmp_path: Path
) -> None:
    log = tmp_path / "fetch.log"
    db = archive_db(tmp_path, "a")  # one archive, fetched twice
    fetch(db, server.url(PATH), "--quiet", "--log-file", str(log))
    fetch(db, server.url(PATH), "--quiet", "--log-file", str(log))
    fetch(db, server.url("/nowhere"), "--quiet", "--log-file", str(log))
    lines = log.read_text().splitlines()
    assert len(lines) == 3 and "+12 new" in lines[0] and "not modified" in lines[1]
    # Each line starts with its time in UTC, with the zone; an error says "ERROR" once.
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO|ERROR) ", x) for x in lines)
    assert lines[2].lower().count("error") == 1 and "HTTP 404" in lines[2]


def test_overlapping_runs_wait_or_exit_75(server: LiveServer, tmp_path: Path) -> None:
    page = (SAMPLES / "guardian-tallships-page2.dcr.json").read_bytes()
    gate = threading.Event()  # the first run's page is held until the test lets it go

    def slow(target: str, headers: dict[str, str]) -> Reply:
        gate.wait(90)
        return Reply(200, page)

    server.routes["/slow"] = slow
    db = archive_db(tmp_path, "a")
    # All three runs are told 127.0.0.1 is a Guardian host (a page elsewhere earns no pageId).
    first = start_cli("fetch", server.url("/slow"), "--db", str(db), "--delay", "0", env=ENV)
    try:
        deadline = time.monotonic() + 60
        while not server.hits("/slow") and time.monotonic() < deadline:
            time.sleep(0.05)
        # The first run holds the blog's lock for as long as its page is held, however slow
        # the machine is: no race between the runs' start-ups.
        second = fetch(db, server.url("/slow"))
        assert second.returncode == 75, second.stderr
        assert b"--wait" in second.stderr
        third = start_cli(
            "fetch", server.url("/slow"), "--db", str(db), *FAST, "--wait", "60", env=ENV
        )
    finally:
        gate.set()
    first.communicate(timeout=90)
    _, third_err = third.communicate(timeout=90)
    assert first.returncode == 0 and third.returncode == 0, third_err
    if not on_postgres(db):  # SQLite's own check of its file
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT count(*), count(DISTINCT blog_id || id) FROM blocks") == [(3, 3)]


def test_a_blog_lock_is_given_back_when_its_run_ends(tmp_path: Path) -> None:
    """A run that starts as the last one ends (cron, a script's next line) must not be told
    that another liveblog is fetching the blog. On PostgreSQL: no advisory lock is left
    once a fetch's locks are let go, not even while its connection's server process ends
    (a flock on SQLite goes with its file at once)."""
    db = archive_db(tmp_path, "a")
    if not on_postgres(db):
        pytest.skip("PostgreSQL's advisory locks")
    import psycopg

    key = "https://news.example.org/world/live/2024/may/01/x"
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    left: list[object] = []  # advisory locks left after each run, or how it was refused
    with Archive(db) as archive, psycopg.connect(db, autocommit=True) as watcher:
        for _ in range(100):
            try:
                with archive.engine.blog_locks([key], wait=0):
                    pass
            except LockHeld:
                left.append("refused: the last run's lock was still held")
                continue
            left.append(watcher.execute(held).fetchone()[0])
    assert left == [0] * 100


def test_a_blog_fetched_into_one_archive_can_be_fetched_into_another(tmp_path: Path) -> None:
    """The lock of a blog is the lock of one archive's copy of it: a fetch of the same blog
    into another archive goes on meanwhile."""
    key = "https://news.example.org/world/live/2024/may/01/x"
    with (
        Archive(archive_db(tmp_path, "one")) as one,
        Archive(archive_db(tmp_path, "two")) as two,
        one.engine.blog_locks([key], wait=0),
        two.engine.blog_locks([key], wait=0),
    ):
        pass


def test_follow_prints_each_new_block_once_and_stops_when_closed(
    server: LiveServer, tmp_path: Path
) -> None:
    g = GuardianBlog(PATH, [dcr_block(n) for n in range(3, 0, -1)], per_page=50)
    server.routes[PATH + ".json"] = g.route

    def polled_after(count: int) -> None:
        """Wait until liveblog has polled again: each change must be seen on its own."""
        deadline = time.monotonic() + 30
        while len(server.requests) <= count and time.monotonic() < deadline:
            time.sleep(0.02)

    def grow() -> None:
        polled_after(0)
        for n in range(4, 8):
            seen = len(server.requests)
            g.blocks.insert(0, dcr_block(n))
            polled_after(seen)
        seen = len(server.requests)
        g.blocks[1]["elements"][0]["html"] = "<p>An edit.</p>"
        polled_after(seen)
        seen = len(server.requests)
        g.blocks.pop()  # the publisher deletes the oldest post
        polled_after(seen)
        g.live = False

    threading.Thread(target=grow, daemon=True).start()
    result = run_cli(
        "follow",
        server.url(PATH),
        "--db",
        archive_db(tmp_path, "a"),
        "--delay",
        "0",
        "--interval",
        "0",
        env={**ENV, "LIVEBLOG_MIN_INTERVAL": "0.1"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    new = [r["id"] for r in lines if r["change"] == "new"]
    assert sorted(new) == sorted(f"{n:024x}" for n in range(1, 8))
    assert len(new) == len(set(new))
    assert [r["text"] for r in lines if r["change"] == "edited"] == ["An edit."]
    # A deletion is a line of its own: the post's id and its last text, as archived.
    deleted = [r for r in lines if r["change"] == "deleted"]
    assert [(r["id"], r["text"]) for r in deleted] == [(f"{1:024x}", "Post 1: something happened.")]
    assert deleted[0]["deleted_at"]
    assert b"stopped following (closed)" in result.stderr


def test_follow_stops_on_sigterm_after_finishing_the_save(
    server: LiveServer, tmp_path: Path
) -> None:
    g = GuardianBlog(PATH, [dcr_block(n) for n in range(3, 0, -1)], per_page=50)
    server.routes[PATH + ".json"] = g.route
    proc = start_cli(
        "follow",
        server.url(PATH),
        "--db",
        archive_db(tmp_path, "a"),
        "--delay",
        "0",
        "--interval",
        "30",
        env={**ENV, "LIVEBLOG_MIN_INTERVAL": "0"},
    )
    deadline = time.monotonic() + 20
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(out.decode().splitlines()) == 3
    assert b"stopped following (signal)" in err
