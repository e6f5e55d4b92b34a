"""Hostile and broken sites, each case against a real server on 127.0.0.1 (raw sockets where
an HTTP library's server side cannot misbehave enough): nothing a site serves can exhaust
memory, pin the fetcher, poison the archive, drive the terminal, or lock out cron. The
archive is a SQLite file, or a PostgreSQL archive under `make test-postgres`.

Each case is a row of docs/RELIABILITY.md. Resources are measured where they are the point
(peak memory of the process under attack); the only times asserted are bounds that the
attack used to break by orders of magnitude (a deadline of seconds, not minutes).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from conftest import (
    RELIABILITY_ROWS,
    _cli_env,
    archive_db,
    dump,
    measured_cli,
    on_postgres,
    record,
    run_cli,
    sql,
    sql_write,
    start_cli,
)
from helpers import make_block, make_blog
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block
from rawserver import RawServer, response

from liveblog_cli.archive import Archive

PATH = "/world/live/2026/jan/01/hostile"
ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5"]

RELIABILITY_ROWS.extend(
    [
        "bomb",
        "endless",
        "validator",
        "redirects",
        "bad-gzip",
        "trickled-headers",
        "hostile-ids",
        "jsonld-100k",
        "follow-lock",
        "charsets",
        "retry-after",
        "unconditional-304",
        "credentials",
        "streams",
        "odd-options",
        "newer-archive",
        "symlinked-archive",
        "output-names",
        "bidi",
        "old-years",
        "atom-iris",
        "export-memory",
        "sigterm",
    ]
)


def measured(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """Run the CLI and return its result and its peak resident memory in MB."""
    return measured_cli(*args, env={**ENV, **(env or {})})


def rows(db: str, query: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    return sql(db, query, *params)


def dcr_page(blocks: list[dict[str, object]], **extra: object) -> bytes:
    doc = {
        "headline": "A hostile blog – live",
        "contentType": "LiveBlog",
        "format": {"design": "LiveBlogDesign"},
        "pageId": PATH.strip("/"),
        "canonicalUrl": "https://www.theguardian.com" + PATH,
        "webPublicationDate": "2026-01-01T00:00:00.000Z",
        "config": {"isLive": True, "isLiveBlog": True},
        "blocks": blocks,
        "keyEvents": [],
        **extra,
    }
    return json.dumps(doc).encode()


PAGE = dcr_page([dcr_block(n) for n in range(3, 0, -1)], pagination={"totalPages": 1})
JSON = {"Content-Type": "application/json; charset=utf-8"}


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text


# --- H1: compression bombs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def gigabyte_of_zeros_gzipped() -> bytes:
    """1 GiB of zeros, gzipped (about 1 MB), made in chunks so the test itself stays small."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [packer.compress(chunk) for _ in range(1024)]
    parts.append(packer.flush())
    return b"".join(parts)


def test_compression_bombs_never_fill_memory(
    gigabyte_of_zeros_gzipped: bytes, tmp_path: Path
) -> None:
    twice = gzip.compress(gigabyte_of_zeros_gzipped, 9)
    thrice = gzip.compress(twice, 9)
    db = archive_db(tmp_path, "a")
    peaks = []
    with RawServer() as server:
        server.routes["/two"] = response(200, twice, {**JSON, "Content-Encoding": "gzip, gzip"})
        server.routes["/capped"] = response(200, twice, {**JSON, "Content-Encoding": "gzip, gzip"})
        server.routes["/three"] = response(
            200, thrice, {**JSON, "Content-Encoding": "gzip, gzip, gzip"}
        )
        for path, extra in (("/two", []), ("/capped", ["--max-bytes", "1024"]), ("/three", [])):
            result, peak = measured("fetch", server.url(path), "--db", str(db), *FAST, *extra)
            assert result.returncode == 69, (path, result.stderr)
            assert "--max-bytes" in one_line(result.stderr) or "layers" in result.stderr.decode()
            peaks.append(peak)
        assert len(server.hits("/two")) == 1  # a bomb is not retried
    assert max(peaks) < 300, peaks
    assert rows(db, "SELECT count(*) FROM blocks") == [(0,)]
    record(
        "bomb",
        f"compression bombs: 1 GiB of zeros as `gzip, gzip` ({len(twice):,} bytes on the wire), "
        "the same with --max-bytes 1024, and three layers",
        3,
        f"exit 69, one line, not retried; peak memory {max(peaks):.0f} MB at most (limit 300)",
    )


# --- H2: endless pagination -----------------------------------------------------------------


def test_endless_pagination_ends_within_its_bounds_and_keeps_page_one(tmp_path: Path) -> None:
    def endless(target: str, headers: dict[str, str]) -> Reply:
        n = int(target.rsplit("page=", 1)[1]) if "page=" in target else 1
        # Every page new posts, and a link to the next one: for ever.
        blocks = [dcr_block(100_000 - n * 10 - k) for k in range(10)]
        body = dcr_page(blocks, pagination={"older": f"?page={n + 1}", "currentPage": n})
        return Reply(200, body, JSON)

    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        server.routes[PATH + ".json"] = endless
        result, peak = measured("fetch", server.url(PATH), "--db", str(db), *FAST, "--json")
        pages = len(server.requests)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)[0]
    assert pages == 200 and summary["pages"] == 200  # the default bound
    assert rows(db, "SELECT count(*) FROM blocks") == [(2000,)]
    assert rows(db, "SELECT walk_next IS NOT NULL FROM blogs") == [(1,)]  # resumes next run
    # A time budget ends it too, with page 1's posts saved.
    slow_db = archive_db(tmp_path, "b")
    with LiveServer() as server:
        server.routes[PATH + ".json"] = lambda t, h: [
            Reply(**{**vars(endless(t, h)), "delay": 0.2})
        ][0]
        started = time.monotonic()
        budget = run_cli(
            "fetch", server.url(PATH), "--db", str(slow_db), *FAST, "--walk-budget", "2", env=ENV
        )
        took = time.monotonic() - started
    assert budget.returncode == 0, budget.stderr
    assert b"stopped: the walk took longer than 2 s" in budget.stderr
    assert took < 30
    assert rows(slow_db, "SELECT count(*) FROM blocks WHERE id = ?", f"{100_000 - 10:024x}") == [
        (1,)
    ]
    record(
        "endless",
        "a site whose every page links a next one with new posts (as the Guardian's JSON); "
        "and the same, slow, with --walk-budget 2",
        2,
        f"the walk stops at 200 pages (default) in one run, peak memory {peak:.0f} MB, every page "
        f"saved as read, resumes next run; the slow one stops after {took:.0f} s with page 1 saved",
    )


# --- H3: validators -------------------------------------------------------------------------


def test_a_validator_that_cannot_be_sent_back_is_never_kept(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with RawServer() as server:
        server.routes[PATH + ".json"] = response(
            200,
            PAGE,
            {**JSON, "ETag": b'"caf\xe9"', "Last-Modified": b"Tue, 1 Jan 2026 \xff"},
        )
        for _ in range(3):
            result = run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV)
            assert result.returncode == 0, result.stderr
        assert all("if-none-match" not in r["headers"] for r in server.requests)  # type: ignore[operator]
    assert rows(db, "SELECT DISTINCT etag, last_modified FROM fetches") == [(None, None)]
    # An archive written before validators were checked, holding a poisoned one: it heals.
    assert sql_write(db, "UPDATE fetches SET etag = ?", '"caf\u00e9"') > 0
    with RawServer() as server:
        server.routes[PATH + ".json"] = response(200, PAGE, {**JSON, "ETag": '"good"'})
        healed = run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV)
        again = run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV)
        sent = [r["headers"].get("if-none-match") for r in server.requests]  # type: ignore[union-attr]
    assert healed.returncode == 0 and again.returncode == 0, healed.stderr
    assert sent == [None, '"good"']
    record(
        "validator",
        "non-ASCII bytes in ETag and Last-Modified; an older archive holding such an ETag",
        2,
        "never stored or sent back; every later fetch works (the poisoned one is skipped, "
        "then replaced)",
    )


# --- M1: redirects and bad bodies -----------------------------------------------------------


def test_redirects_loops_and_other_schemes_are_plain_errors(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with RawServer() as server:
        server.routes["/a"] = response(302, b"", {"Location": "/b"}, reason="Found")
        server.routes["/b"] = response(302, b"", {"Location": "/a"}, reason="Found")
        for scheme in ("data:text/html,hi", "file:///etc/passwd", "ftp://127.0.0.1/x"):
            server.routes[f"/to-{scheme[:3]}"] = response(
                302, b"", {"Location": scheme}, reason="Found"
            )
        server.routes["/good"] = response(200, PAGE, JSON)
        cases = ["/a", "/to-dat", "/to-fil", "/to-ftp"]
        for path in cases:
            result = run_cli("fetch", server.url(path), "--db", str(db), *FAST, env=ENV)
            assert result.returncode == 69, (path, result.stderr)
            line = one_line(result.stderr)
            assert "redirect" in line and "internal error" not in line
            assert len(server.hits(path)) == 1, path  # never retried
        # One bad URL among good ones: every URL still gets its summary.
        mixed = run_cli(
            "fetch",
            server.url("/a"),
            server.url("/good"),
            "--db",
            str(db),
            *FAST,
            "--json",
            env=ENV,
        )
    summary = json.loads(mixed.stdout)
    assert [s["exit_code"] for s in summary] == [69, 0] and summary[1]["new"] == 3
    record(
        "redirects",
        "a redirect loop; redirects to data:, file:// and ftp://; a bad URL among good ones",
        len(cases) + 1,
        "exit 69 with one line naming the redirect, never retried; the other URLs' summaries kept",
    )


def test_a_certificate_nobody_trusts_is_refused_once_not_retried(tmp_path: Path) -> None:
    """An HTTPS server whose certificate no trusted authority signed (made here by trustme):
    the fetch is refused in one line, exit 69, after one connection: no retry mends trust."""
    import socket
    import ssl
    import threading

    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{listener.getsockname()[1]}{PATH}"
        result = run_cli("fetch", url, "--db", str(archive_db(tmp_path, "a")), *FAST)
    finally:
        listener.close()
    assert result.returncode == 69, result.stderr
    line = one_line(result.stderr)
    assert "certificate not trusted" in line and "internal error" not in line
    assert len(accepted) == 1


def test_a_damaged_gzip_body_is_an_error_and_the_page_fallback_still_runs(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    broken = gzip.compress(PAGE)[:-40] + b"garbage" * 5
    html = (
        Path(__file__).resolve().parent.parent / "samples" / "guardian-lunar-lander.html"
    ).read_bytes()
    with RawServer() as server:
        server.routes["/broken"] = response(200, broken, {**JSON, "Content-Encoding": "gzip"})
        result = run_cli("fetch", server.url("/broken"), "--db", str(db), *FAST)
        assert result.returncode == 69 and "damaged" in one_line(result.stderr)
        assert len(server.hits("/broken")) == 1
        # The Guardian's JSON damaged: the HTML page is read instead.
        live = "/science/live/2026/mar/02/lunar-lander-touchdown-live"
        server.routes[live + ".json"] = response(200, broken, {**JSON, "Content-Encoding": "gzip"})
        server.routes[live] = response(200, html, {"Content-Type": "text/html; charset=utf-8"})
        fallback = run_cli("fetch", server.url(live), "--db", str(db), *FAST, env=ENV)
    assert fallback.returncode == 0, fallback.stderr
    assert rows(db, "SELECT source_format FROM blogs") == [("guardian-html",)]
    record(
        "bad-gzip",
        "a gzip body damaged in its last bytes; the same on the Guardian's JSON endpoint",
        2,
        "exit 69, one line, not retried; for the Guardian, the HTML page is read instead",
    )


# --- M2: trickled headers -------------------------------------------------------------------


def test_headers_trickled_a_byte_a_second_meet_the_deadline(tmp_path: Path) -> None:
    with RawServer() as server:
        server.routes["/slow"] = response(200, PAGE, JSON, trickle_head=1.0)
        started = time.monotonic()
        result = run_cli(
            "fetch",
            server.url("/slow"),
            "--db",
            str(archive_db(tmp_path, "a")),
            "--delay",
            "0",
            "--timeout",
            "2",
            "--retries",
            "0",
        )
        took = time.monotonic() - started
    assert result.returncode == 69 and "longer than 6 s" in one_line(result.stderr)
    assert took < 20, took  # the deadline is 3 x --timeout; it was 241 s before
    record(
        "trickled-headers",
        "response headers sent one byte a second, --timeout 2 (deadline 6 s)",
        1,
        f"exit 69 after {took:.1f} s with one line",
    )


# --- M3: page-derived text on stderr and in logs --------------------------------------------


def test_hostile_ids_never_reach_stderr_or_the_log_raw(tmp_path: Path) -> None:
    hostile = "evil\x1b]0;owned\x07\x1b[2J\nliveblog: error: forged"
    page = json.loads(PAGE)
    page["pageId"] = hostile
    page.pop("canonicalUrl")
    log = tmp_path / "fetch.log"
    db = archive_db(tmp_path, "a")
    with RawServer() as server:
        server.routes["/p"] = response(200, json.dumps(page).encode(), JSON)
        # A Guardian host (ENV) may name its blog by its pageId: the hostile id is used.
        result = run_cli(
            "fetch", server.url("/p"), "--db", str(db), *FAST, "--log-file", str(log), env=ENV
        )
        assert result.returncode == 0, result.stderr
        assert b"\x1b" not in result.stderr and result.stderr.count(b"\n") == 1
        assert b"forged" in result.stderr and b"\\x1b" in result.stderr
        amb = run_cli("show", "e", "--db", str(db))
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and "\x1b" not in lines[0] and "\\x0a" in lines[0]
    assert b"\x1b" not in amb.stderr and b"\x1b" not in amb.stdout
    record(
        "hostile-ids",
        "a page id holding OSC, CSI and a newline with a forged error line, fetched with "
        "--log-file, then named on the command line",
        3,
        "stderr and the log get one line each, escapes shown as text (\\x1b, \\x0a)",
    )


# --- M4: JSON-LD at scale -------------------------------------------------------------------


def test_100000_jsonld_updates_parse(tmp_path: Path) -> None:
    updates = [
        {
            "@type": "BlogPosting",
            "url": f"https://n.example/live/x#p{i}",
            "articleBody": f"Post {i}.",
        }
        for i in range(100_000)
    ]
    blog = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "url": "https://n.example/live/x",
        "liveBlogUpdate": updates,
    }
    page = tmp_path / "big.html"
    page.write_text(
        '<html><head><script type="application/ld+json">'
        + json.dumps(blog)
        + "</script></head><body></body></html>"
    )
    started = time.monotonic()
    result = run_cli("parse", str(page), "-f", "jsonl", timeout=300)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 100_000
    record(
        "jsonld-100k",
        f"a JSON-LD LiveBlogPosting of 100,000 updates ({page.stat().st_size / 1e6:.1f} MB)",
        1,
        f"parsed whole in {took:.1f} s (linear; it took 131 s when quadratic)",
    )


# --- M5: locks per blog ---------------------------------------------------------------------


def test_a_follow_locks_its_blog_not_the_archive(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        followed = GuardianBlog(PATH, [dcr_block(n) for n in range(3, 0, -1)], per_page=50)
        other = GuardianBlog("/world/live/2026/jan/01/other", [dcr_block(9)], per_page=50)
        server.routes[PATH + ".json"] = followed.route
        server.routes["/world/live/2026/jan/01/other.json"] = other.route
        proc = start_cli(
            "follow",
            server.url(PATH),
            "--db",
            str(db),
            "--delay",
            "0",
            "--interval",
            "60",
            env={**ENV, "LIVEBLOG_MIN_INTERVAL": "0"},
            quiet=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            cron = run_cli(
                "fetch",
                server.url("/world/live/2026/jan/01/other"),
                "--db",
                str(db),
                *FAST,
                env=ENV,
            )
            same = run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV)
            if not on_postgres(db):
                # Another name for the same archive file (a symlink) is the same lock.
                link = tmp_path / "link.db"
                link.symlink_to(db)
                via_link = run_cli("fetch", server.url(PATH), "--db", str(link), *FAST, env=ENV)
                assert via_link.returncode == 75
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert cron.returncode == 0, cron.stderr
    assert same.returncode == 75 and b"--wait" in same.stderr
    assert proc.returncode == 0
    assert rows(db, "SELECT count(*) FROM blogs") == [(2,)]
    record(
        "follow-lock",
        "a cron fetch of another blog while `follow` runs; a fetch of the followed blog",
        2,
        "the other blog is fetched (exit 0); the followed one exits 75 at once",
    )
    record(
        "symlinked-archive",
        "the followed blog fetched through a symlink to the same archive",
        1,
        "the same lock: exit 75",
    )


# --- M6: charsets that are not text encodings -----------------------------------------------


@pytest.mark.parametrize("charset", ["base64", "rot13", "hex", "zlib", "uu", "quopri", "idna"])
def test_charsets_that_are_not_text_encodings(charset: str, tmp_path: Path) -> None:
    html = (
        Path(__file__).resolve().parent.parent / "samples" / "guardian-lunar-lander.html"
    ).read_text()
    marked = html.replace('<meta charset="utf-8">', f'<meta charset="{charset}">').encode()
    page = tmp_path / "p.html"
    page.write_bytes(marked)
    offline = run_cli("parse", str(page), "-f", "jsonl")
    assert offline.returncode == 0, offline.stderr
    with RawServer() as server:
        server.routes["/p"] = response(
            200, marked, {"Content-Type": f"text/html; charset={charset}"}
        )
        fetched = run_cli(
            "fetch",
            server.url("/p"),
            "--db",
            str(archive_db(tmp_path, "a")),
            *FAST,
            "--max-pages",
            "1",
        )
    assert fetched.returncode == 0, fetched.stderr
    record(
        "charsets",
        "charsets that are codecs but not text encodings (base64, rot13, hex, zlib, uu, quopri, "
        "idna), in the header and in <meta>, fetched and parsed offline",
        7,
        "ignored (the page read as UTF-8); exit 0",
    )


# --- L1, L2: odd answers --------------------------------------------------------------------


def test_odd_retry_after_and_an_unasked_304(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with RawServer() as server:
        server.routes["/busy"] = response(
            503, b"", {"Retry-After": "\u00b2".encode()}, reason="Busy"
        )
        server.routes["/304"] = response(304, b"", {}, reason="Not Modified", length=False)
        busy = run_cli("fetch", server.url("/busy"), "--db", str(db), *FAST, "--retries", "1")
        unasked = run_cli("fetch", server.url("/304"), "--db", str(db), *FAST)
    assert busy.returncode == 69 and "HTTP 503 after 2 tries" in one_line(busy.stderr)
    assert unasked.returncode == 69 and "not conditional" in one_line(unasked.stderr)
    assert rows(db, "SELECT count(*) FROM blogs") == [(0,)]
    assert rows(db, "SELECT count(*) FROM fetches WHERE error IS NOT NULL") == [(2,)]
    record(
        "retry-after",
        "`Retry-After: ²` (a superscript digit) on a 503",
        1,
        "backoff instead; exit 69",
    )
    record(
        "unconditional-304",
        "304 Not Modified to a first, unconditional request",
        1,
        "exit 69 (`not conditional`), nothing archived, the poll logged",
    )


# --- L3: credentials ------------------------------------------------------------------------


def test_credentials_are_sent_never_stored_or_printed(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    log = tmp_path / "f.log"
    with RawServer() as server:
        server.routes[PATH + ".json"] = response(200, PAGE, JSON)
        url = server.url(PATH).replace("http://", "http://reader:s3cret@")
        result = run_cli(
            "fetch", url, "--db", str(db), *FAST, "--log-file", str(log), "--json", env=ENV
        )
        auth = server.requests[0]["headers"].get("authorization")  # type: ignore[union-attr]
    assert result.returncode == 0, result.stderr
    assert auth and auth.startswith("Basic ")
    everything = dump(db)
    shown = [
        result.stdout,
        result.stderr,
        log.read_bytes(),
        run_cli("export", "--all", "--db", str(db)).stdout,
        run_cli("list", "--json", "--db", str(db)).stdout,
    ]
    assert "s3cret" not in everything and all(b"s3cret" not in s for s in shown)
    record(
        "credentials",
        "`user:password@` in a fetched URL",
        1,
        "sent as Basic auth to that host only; in no row, summary, log line or export",
    )


# --- L5: streams ----------------------------------------------------------------------------


def test_closed_and_full_stdout_and_early_readers(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(make_blog([make_block(n) for n in range(3000)]))
    cli = [sys.executable, "-c", "from liveblog_cli.cli import main; main()"]
    env = _cli_env(None)
    closed = subprocess.run(
        [*cli, "--version"],
        stdout=subprocess.DEVNULL,
        capture_output=False,
        env=env,
        stderr=subprocess.PIPE,
        check=False,
        pass_fds=(),
        close_fds=True,
    )
    cases = 0
    for args in (
        ["--version"],
        ["export", "--all", "--db", str(db)],
        ["list", "--json", "--db", str(db)],
    ):
        cases += 2
        shut = subprocess.run(
            f"{' '.join(map(repr, [*cli, *args]))} >&-",
            shell=True,
            capture_output=True,
            env=env,
            check=False,
            executable="/bin/bash",
        )
        assert shut.returncode == 74 and b"cannot write output" in shut.stderr, (args, shut.stderr)
        full = subprocess.run(
            f"{' '.join(map(repr, [*cli, *args]))} >/dev/full",
            shell=True,
            capture_output=True,
            env=env,
            check=False,
            executable="/bin/bash",
        )
        assert full.returncode == 74 and b"No space left" in full.stderr, (args, full.stderr)
    export = " ".join(map(repr, [*cli, "export", "--all", "--db", str(db)]))
    head = subprocess.run(
        f"set -o pipefail; {export} | head -1",
        shell=True,
        capture_output=True,
        env=env,
        check=False,
        executable="/bin/bash",
    )
    assert head.returncode == 0 and head.stdout.count(b"\n") == 1, head.stderr
    assert b"Traceback" not in head.stderr and head.stderr == b""
    assert closed.returncode == 0
    record(
        "streams",
        "stdout closed, stdout /dev/full (--version, export, list --json), and `| head -1` "
        "under `set -o pipefail`",
        cases + 1,
        "closed or full: exit 74 with one line; an early reader: exit 0, nothing on stderr",
    )


# --- L6: options that are no numbers -------------------------------------------------------


def test_options_that_are_not_finite_numbers(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(make_blog([make_block(1)]))
    cases = [
        ["fetch", "http://127.0.0.1:9/x", "--delay", "inf"],
        ["fetch", "http://127.0.0.1:9/x", "--timeout", "inf"],
        ["fetch", "http://127.0.0.1:9/x", "--interval", "inf"],
        ["fetch", "http://127.0.0.1:9/x", "--max-duration", "nan"],
        ["fetch", "http://１２７.０.０.１/live/x"],
        ["fetch", "example.com/live/x"],
        ["fetch", "http://[::1"],
    ]
    for args in cases:
        result = run_cli(*args, "--db", str(db))
        assert result.returncode == 2, (args, result.stderr)
        one_line(result.stderr)
    far = run_cli("show", "test", "--since", "1000000d", "--json", "--db", str(db))
    assert far.returncode == 0 and len(json.loads(far.stdout)["blocks"]) == 1
    record(
        "odd-options",
        "--delay/--timeout/--interval inf, --max-duration nan, a host of full-width digits, "
        "a URL without a scheme, a broken IPv6 URL, --since 1000000d",
        len(cases) + 1,
        "exit 2 with one line (a suggestion for the missing scheme); --since far back means "
        "from the beginning",
    )


# --- L8: an archive from a newer liveblog ---------------------------------------------------


def test_an_archive_from_a_newer_liveblog_is_read_not_written(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(make_blog([make_block(1)]))
    if on_postgres(db):
        sql_write(
            db,
            "INSERT INTO liveblog_migrations (name, applied_at) "
            "VALUES ('999_from_the_future', '2030-01-01')",
        )
    else:
        sql_write(
            db,
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('liveblog', '999_from_the_future', '2030-01-01')",
        )
        before = Path(db).read_bytes()
    listed = run_cli("list", "--json", "--db", str(db))
    saved = run_cli(
        "parse",
        str(Path(__file__).resolve().parent.parent / "samples" / "guardian-tallships.dcr.json"),
        "--save",
        "--db",
        str(db),
    )
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1
    assert saved.returncode == 74 and "999_from_the_future" in one_line(saved.stderr)
    assert rows(db, "SELECT count(*) FROM blocks") == [(1,)]
    if not on_postgres(db):
        assert len(before) <= len(Path(db).read_bytes())
    record(
        "newer-archive",
        "an archive holding a migration this version does not know",
        2,
        "read (list works); writes refused: exit 74 naming the migration, nothing written",
    )


# --- L12-L15: names, bidi, years, IRIs ------------------------------------------------------


def test_export_names_bidi_old_years_and_atom_ids(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    from datetime import UTC, datetime

    with Archive(db) as archive:
        for blog_id in ("../x", "x"):
            archive.save(make_blog([make_block(1)], blog_id=blog_id))
        old = make_block(2, title="A post from 999 \u202egnp.exe", text="Hidden\u200bjoin")
        old.published_at = datetime(999, 6, 1, tzinfo=UTC)
        old.updated_at = old.published_at
        odd = make_block(3)
        odd.id = 'an id "with" <spaces>'
        archive.save(make_blog([old, odd, make_block(4)], blog_id="news/live/y"))
    out = tmp_path / "out"
    out.mkdir()
    for blog in ("../x", "x"):
        assert run_cli("export", blog, "-o", str(out), "--db", str(db)).returncode == 0
    assert len(list(out.iterdir())) == 2
    shown = run_cli("show", "news/live/y", "--db", str(db), env={"COLUMNS": "200"}).stdout.decode()
    assert "\u202e" not in shown and "\\u202e" in shown and "\\u200b" in shown
    stamps = [
        r[0] for r in rows(db, "SELECT published_at FROM blocks WHERE blog_id = 'news/live/y'")
    ]
    assert "0999-06-01T00:00:00Z" in stamps
    recent = json.loads(
        run_cli("show", "news/live/y", "--since", "2h", "--json", "--db", str(db)).stdout
    )
    assert all(b["id"] != "b0002" for b in recent["blocks"])
    atom = run_cli("export", "news/live/y", "-f", "atom", "--db", str(db)).stdout.decode()
    import xml.etree.ElementTree as ET

    feed = ET.fromstring(atom)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.findtext("a:id", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert all(i and " " not in i and '"' not in i and "<" not in i for i in ids), ids
    assert not feed.findtext("a:updated", namespaces=ns).startswith("0999")
    record(
        "output-names",
        "`--output DIR` for blogs `../x` and `x`",
        2,
        "two files, neither overwrites the other",
    )
    record(
        "bidi",
        "a title with U+202E (right-to-left override) and a text with U+200B",
        1,
        "`show` prints them as \\u202e and \\u200b, never as themselves",
    )
    record(
        "old-years",
        "a post from the year 999",
        1,
        "stored as 0999-06-01T00:00:00Z: sorts oldest, not in --since 2h, not the feed's <updated>",
    )
    record(
        "atom-iris",
        "a block id with spaces, quotes and angle brackets, in Atom",
        1,
        "entry ids are IRIs (percent-encoded); the feed parses",
    )


# --- memory of exports ----------------------------------------------------------------------


def test_html_atom_and_show_json_stream_with_flat_memory(tmp_path: Path) -> None:
    peaks: dict[str, list[float]] = {}
    for n in (1_000, 10_000):
        db = archive_db(tmp_path, f"posts{n}")
        with Archive(db) as archive:
            archive.save(make_blog([make_block(i, text="x" * 2000) for i in range(n)]))
        for name, args in (
            ("html", ["export", "--all", "-f", "html"]),
            ("atom", ["export", "--all", "-f", "atom"]),
            ("show --json", ["show", "test", "--json"]),
        ):
            result, peak = measured(*args, "--db", str(db))
            assert result.returncode == 0, result.stderr
            peaks.setdefault(name, []).append(peak)
    growth = {name: big - small for name, (small, big) in peaks.items()}
    assert all(g < 12 for g in growth.values()), peaks  # 9,000 more 2 KB posts: 18 MB if held
    record(
        "export-memory",
        "html and atom export and `show --json` of 1,000 and of 10,000 posts of 2 KB",
        6,
        "peak memory grows by " + ", ".join(f"{k} {v:+.0f} MB" for k, v in growth.items()),
    )


# --- SIGTERM during a retry chain -----------------------------------------------------------


def test_sigterm_is_honoured_during_a_retry_chain(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        server.routes["/busy"] = Reply(503, b"busy", {"Retry-After": "100"})
        proc = start_cli(
            "fetch", server.url("/busy"), "--db", str(db), "--delay", "0", "--retries", "5"
        )
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == 128 + signal.SIGTERM
    assert took < 5, took
    record(
        "sigterm",
        "SIGTERM while waiting out `Retry-After: 100` between retries",
        1,
        f"exit 143 after {took:.1f} s",
    )


def test_the_row_names_are_distinct() -> None:
    assert len(RELIABILITY_ROWS) == len(set(RELIABILITY_ROWS))
    assert os.environ.get("LIVEBLOG_DB")  # tests never touch a real archive
