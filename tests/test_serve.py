"""The archive in Datasette: the views of migration 007, `liveblog serve`'s metadata, canned
queries and page_text(), read through Datasette's own in-process client (no port, no network).

The archive is built through the real save path: saves at set times, an edit, a deletion,
polls that were not modified or failed.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
import subprocess
import sys
import time
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import RELIABILITY_ROWS, _cli_env, record
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive, FetchInfo, now_utc

try:
    from liveblog_cli import serve as site
except ImportError:  # the extra is not installed: only the test of exactly that can run
    site = None  # type: ignore[assignment]

BLOG_ID = "world/live/2024/may/01/harbour"
URL = f"https://news.example.org/{BLOG_ID}"
TITLE = "Harbour festival – live"
PAGE = "<html><body>Café on the quay</body></html>".encode("latin-1")
READABLE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
VIEWS = ("posts", "key_events", "edits", "post_deletions", "polls")
RELIABILITY_ROWS.extend(["serve-foreign-host", "serve-page-text-bomb"])


def blog(*blocks: Any) -> Any:
    return make_blog(list(blocks), blog_id=BLOG_ID, title=TITLE)


def build_archive(path: Path) -> None:
    """Three hours ago: posts 1-3 (1 a key event). Ten minutes ago: post 1 edited, post 3
    gone from a page of the whole blog, post 4 (a key event) new. Then an unchanged poll, a
    304, a failed poll now and one yesterday."""
    now = now_utc()
    earlier, recently = now - timedelta(hours=3), now - timedelta(minutes=10)
    with Archive(path) as archive:
        archive.save(
            blog(make_block(1, key_event=True), make_block(2), make_block(3)),
            fetch=FetchInfo(url=URL, status=200, charset="iso-8859-1", body=PAGE),
            now=earlier,
        )
        later = blog(
            make_block(1, key_event=True, text="The tall ships arrive at noon, not ten."),
            make_block(2),
            make_block(4, key_event=True, title="Fireworks moved to Sunday"),
        )
        archive.save(later, complete=True, fetch=FetchInfo(status=200), now=recently)
        archive.save(later, complete=True, fetch=FetchInfo(status=200), now=recently)
        poll = FetchInfo(url=URL, status=304)
        archive.record_poll(poll, blog_id=BLOG_ID, now=now - timedelta(minutes=5))
        failed = FetchInfo(url=URL, status=500, error="HTTP 500")
        archive.record_poll(failed, blog_id=BLOG_ID, now=now - timedelta(days=1, hours=1))
        archive.record_poll(failed, blog_id=BLOG_ID)


def needs_datasette() -> None:
    if site is None:
        pytest.skip("needs Datasette: pip install -e '.[test]'")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    needs_datasette()
    path = tmp_path / "archive.db"
    build_archive(path)
    return path


def get(ds: Any, *paths: str) -> list[Any]:
    """Each path through Datasette's in-process client, in one event loop."""

    async def run() -> list[Any]:
        out = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            out.append(response.json() if ".json" in path else response.text)
        return out

    return asyncio.run(run())


def rows(ds: Any, path: str) -> list[dict[str, Any]]:
    sep = "&" if "?" in path else "?"
    return get(ds, f"/archive/{path}{sep}_shape=array")[0]


# --- the views --------------------------------------------------------------------------------


def test_posts_are_every_post_now_with_blog_title_readable_times_and_flags(archive: Path) -> None:
    posts = {p["post_id"]: p for p in rows(site.build(archive), "posts.json")}
    assert sorted(posts) == ["b0001", "b0002", "b0003", "b0004"]
    one = posts["b0001"]
    assert one["blog"] == TITLE
    assert one["blog_id"] == BLOG_ID
    assert one["text"] == "The tall ships arrive at noon, not ten."
    assert (one["key_event"], one["pinned"], one["summary"], one["edits"]) == (1, 0, 0, 1)
    assert one["published"] == "2024-05-01 09:01 UTC"
    assert one["published_at"] == "2024-05-01T09:01:00Z"
    assert READABLE.match(one["first_seen"]) and one["first_seen_at"].endswith("Z")
    assert one["deleted_at"] is None
    assert posts["b0003"]["deleted_at"] is not None
    assert posts["b0004"]["title"] == "Fireworks moved to Sunday"


def test_key_events_are_newest_first(archive: Path) -> None:
    events = rows(site.build(archive), "key_events.json")
    assert [e["post_id"] for e in events] == ["b0004", "b0001"]
    assert events[0]["blog"] == TITLE
    assert events[0]["time"] == "2024-05-01 09:04 UTC"


def test_edits_show_the_text_before_and_after(archive: Path) -> None:
    (edit,) = rows(site.build(archive), "edits.json")
    assert (edit["blog"], edit["post_id"], edit["revision"]) == (TITLE, "b0001", 2)
    assert edit["text_before"] == "Post number 1 says something."
    assert edit["text_after"] == "The tall ships arrive at noon, not ten."
    assert edit["title_before"] == edit["title_after"] == "Title 1"
    assert READABLE.match(edit["edited"])
    with sqlite3.connect(archive) as conn:
        seen = conn.execute(
            "SELECT seen_at FROM block_revisions WHERE block_id = 'b0001' AND revision = 2"
        ).fetchone()[0]
    assert edit["edited_at"] == seen


def test_post_deletions_carry_the_post_and_when(archive: Path) -> None:
    (gone,) = rows(site.build(archive), "post_deletions.json")
    assert (gone["blog"], gone["post_id"], gone["title"]) == (TITLE, "b0003", "Title 3")
    assert gone["text"] == "Post number 3 says something."
    assert READABLE.match(gone["deleted"]) and gone["restored"] is None


def test_polls_say_each_outcome_in_words_newest_first(archive: Path) -> None:
    polls = rows(site.build(archive), "polls.json")
    assert [p["outcome"] for p in polls] == [
        "failed: HTTP 500",
        "failed: HTTP 500",
        "not modified",
        "unchanged",
        "changed",
        "changed",
    ]
    first = polls[-1]
    assert (first["new"], first["updated"], first["deleted"], first["bytes"]) == (
        3,
        0,
        0,
        len(PAGE),
    )
    assert (first["blog"], first["kind"], first["status"]) == (TITLE, "fetch", 200)
    second = polls[-2]
    assert (second["new"], second["updated"], second["deleted"]) == (1, 1, 1)
    assert all(READABLE.match(p["time"]) for p in polls)


def test_views_read_through_indexes_not_whole_tables(archive: Path) -> None:
    """On a big archive the first page of a view costs what it does on a small one."""
    plans = {
        "SELECT * FROM posts LIMIT 100": "blocks_newest",
        "SELECT * FROM key_events LIMIT 100": "blocks_key_events",
        "SELECT * FROM edits LIMIT 100": "revisions_edits",
        site.QUERIES["changed_in_the_last_hour"]["sql"]: "revisions_by_time",
        site.QUERIES["failed_polls_today"]["sql"]: "fetches_by_blog",
        "SELECT * FROM posts WHERE rowid IN (SELECT rowid FROM blocks_fts WHERE blocks_fts "
        "MATCH 'x')": "INTEGER PRIMARY KEY",
    }
    with sqlite3.connect(archive) as conn:
        for sql, index in plans.items():
            steps = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert any(index in step for step in steps), (sql, steps)
            # A whole table read row by row is only ever the (small) table of blogs.
            scans = [s for s in steps if s.startswith("SCAN ") and "USING" not in s]
            scans = [s for s in scans if "VIRTUAL TABLE" not in s]  # the FTS index itself
            assert all(s in ("SCAN g", "SCAN blogs") for s in scans), (sql, steps)


def test_an_archive_made_before_the_views_gets_them_on_open(archive: Path) -> None:
    with sqlite3.connect(archive) as conn:  # as liveblog before migration 007 left it
        for view in VIEWS:
            conn.execute(f"DROP VIEW {view}")
        conn.execute("DROP INDEX blocks_key_events")
        conn.execute("DROP INDEX revisions_edits")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '007_datasette_views'")
    Archive(archive).close()
    with sqlite3.connect(archive) as conn:
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
        assert set(VIEWS) <= views
        assert conn.execute("SELECT count(*) FROM edits").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM polls").fetchone()[0] == 6


# --- Datasette: search, labels, descriptions, canned queries ---------------------------------


def test_full_text_search_on_blocks_and_on_the_posts_view(archive: Path) -> None:
    ds = site.build(archive)
    assert [r["id"] for r in rows(ds, "blocks.json?_search=tall+ships")] == ["b0001"]
    assert [r["post_id"] for r in rows(ds, "posts.json?_search=fireworks")] == ["b0004"]


def test_blog_ids_are_labelled_with_blog_titles(archive: Path) -> None:
    ds = site.build(archive)
    labelled = rows(ds, "blocks.json?_labels=on&_col=title")
    assert {r["blog_id"]["label"] for r in labelled} == {TITLE}
    page = get(ds, "/archive/blocks")[0]
    assert TITLE in page


def test_titles_and_descriptions_are_shown(archive: Path) -> None:
    ds = site.build(archive)
    home, database, posts, snapshots = get(
        ds, "/", "/archive", "/archive/posts", "/archive/snapshots"
    )
    assert site.TITLE in home
    assert "Start with the views" in database
    for query in site.QUERIES.values():
        assert query["title"] in database
    assert "Every post as it stands now" in posts
    assert "compressed" in snapshots and "zstd-ref" in snapshots
    (tables,) = get(ds, "/archive.json")
    hidden = {t["name"] for t in tables["tables"] if t["hidden"]}
    assert "_sqlite_migrations" in hidden
    # Every table and view of the archive is described.
    with sqlite3.connect(archive) as conn:
        names = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'blocks_fts%' AND name NOT LIKE '\\_%' ESCAPE '\\'"
            )
        }
    assert names <= set(site.TABLES), names - set(site.TABLES)


def test_canned_query_changed_in_the_last_hour(archive: Path) -> None:
    changed = rows(site.build(archive), "changed_in_the_last_hour.json")
    assert sorted((r["post_id"], r["change"]) for r in changed) == [
        ("b0001", "edited"),
        ("b0004", "new"),
    ]
    assert all(r["blog"] == TITLE for r in changed)


def test_canned_query_key_events_of_a_blog(archive: Path, tmp_path: Path) -> None:
    with Archive(archive) as other:
        other.save(make_blog([make_block(9, key_event=True)], blog_id="other/live/blog"))
    ds = site.build(archive)
    for ref in (BLOG_ID, "world/live", "festival"):
        found = rows(ds, f"key_events_of_a_blog.json?blog={ref}")
        assert [r["post_id"] for r in found] == ["b0004", "b0001"], ref
    assert [r["post_id"] for r in rows(ds, "key_events_of_a_blog.json?blog=other")] == ["b0009"]


def test_canned_query_failed_polls_today(archive: Path) -> None:
    failed = rows(site.build(archive), "failed_polls_today.json")
    assert [(r["blog"], r["status"], r["outcome"]) for r in failed] == [
        (TITLE, 500, "failed: HTTP 500")
    ]


def test_canned_query_page_of_a_poll_gives_the_raw_page_as_text(archive: Path) -> None:
    ds = site.build(archive)
    (first,) = [p for p in rows(ds, "polls.json") if p["bytes"]]
    (page,) = rows(ds, f"page_of_a_poll.json?poll={first['id']}")
    assert page["page"] == PAGE.decode("latin-1")  # in the charset its response declared
    assert page["size"] == len(PAGE)


def test_page_text_decodes_and_bounds() -> None:
    needs_datasette()
    assert site.page_text(zlib.compress("é".encode())) == "é"
    assert site.page_text(zlib.compress(b"caf\xe9"), "latin-1") == "café"
    assert site.page_text(zlib.compress(b"caf\xe9"), "no-such-charset") == "caf\ufffd"
    assert site.page_text(b"not zlib") is None
    assert site.page_text(None) is None
    bomb = zlib.compress(b"\0" * (site.MAX_BYTES + 1000), 9)
    assert len(site.page_text(bomb) or "") == site.MAX_BYTES


def _zstd_rle_frame(total: int) -> bytes:
    """A zstd frame written by hand that unpacks to `total` bytes: 4 bytes a 128 KiB block
    (RLE blocks), so a query of a few hundred characters can name gigabytes."""
    import struct

    frame = bytearray(b"\x28\xb5\x2f\xfd" + bytes([0x00, 0x38]))  # no size, 128 KiB window
    block = 128 * 1024
    count = total // block
    for n in range(count):
        header = (n == count - 1) | (1 << 1) | (block << 3)  # last?, RLE, repeats
        frame += struct.pack("<I", header)[:3] + b"A"
    return bytes(frame)


def test_page_text_of_a_crafted_frame_stays_small(tmp_path: Path) -> None:
    """A hand-made zstd frame of 4 GiB (and a delta whose reference is one): page_text reads
    MAX_BYTES of it and stops, in a process that stays under 300 MB."""
    needs_datasette()
    frame = tmp_path / "frame"
    frame.write_bytes(_zstd_rle_frame(4 << 30))
    probe = (
        "import re\n"
        "from liveblog_cli import serve\n"
        f"frame = open({str(frame)!r}, 'rb').read()\n"
        "whole = serve.page_text(frame, None, 'zstd')\n"
        "delta = serve.page_text(frame, None, 'zstd-ref', frame)\n"
        # VmHWM, not ru_maxrss: the latter keeps the forking test worker's mark across exec.
        "status = open('/proc/self/status').read()\n"
        "peak = int(re.search(r'VmHWM:\\s*(\\d+)', status)[1]) // 1024\n"
        "print(len(whole), len(delta or ''), peak)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    whole, delta, peak = map(int, done.stdout.split())
    assert whole == site.MAX_BYTES
    assert delta <= site.MAX_BYTES
    assert peak < 300, f"peak {peak} MB"
    record(
        "serve-page-text-bomb",
        "`page_text()` (serve's raw-page column) over a hand-made 4 GiB zstd frame and a delta "
        "against it",
        2,
        f"{whole:,} bytes read, then stopped; peak memory {peak} MB (limit 300)",
    )


def test_built_read_only_and_immutable(archive: Path) -> None:
    ds = site.build(archive)
    (db,) = [d for d in ds.databases.values() if d.path == str(archive)]
    assert db.is_mutable  # opened mode=ro: a `follow` writing meanwhile shows
    ds = site.build(archive, immutable=True)
    (db,) = [d for d in ds.databases.values() if d.path == str(archive)]
    assert not db.is_mutable
    assert [r["post_id"] for r in rows(ds, "key_events.json")] == ["b0004", "b0001"]


def test_a_file_named_like_datasettes_own_database_still_gets_its_metadata(
    archive: Path,
) -> None:
    odd = archive.with_name("_internal.db")
    archive.rename(odd)
    ds = site.build(odd)
    name = site.served_name(ds, odd)
    (found,) = get(ds, f"/{name}/failed_polls_today.json?_shape=array")
    assert [r["outcome"] for r in found] == ["failed: HTTP 500"]


# --- the command ------------------------------------------------------------------------------


def _serve_app() -> Any:
    import typer

    from liveblog_cli.cli.serve import serve

    app = typer.Typer()
    app.command()(serve)
    return app


def test_serve_builds_datasette_on_localhost_and_upgrades_the_archive(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command as far as serving: the socket and the server are replaced, no port opens."""
    from typer.testing import CliRunner

    with sqlite3.connect(archive) as conn:  # an archive from before the views
        conn.execute("DROP VIEW posts")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '007_datasette_views'")
        for name in ("key_events", "edits", "post_deletions", "polls"):
            conn.execute(f"DROP VIEW {name}")
        conn.execute("DROP INDEX blocks_key_events")
        conn.execute("DROP INDEX revisions_edits")
    served: dict[str, Any] = {}

    class Bound:
        def getsockname(self) -> tuple[str, int]:
            return (site.HOST, served["port"])

    def listen(port: int) -> Bound:
        served["port"] = port
        return Bound()

    monkeypatch.setattr(site, "listen", listen)
    monkeypatch.setattr(site, "run", lambda ds, sock: served.update(ds=ds))
    result = CliRunner().invoke(_serve_app(), ["--db", str(archive), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/archive" in result.output
    assert served["port"] == 8123
    assert [r["post_id"] for r in rows(served["ds"], "key_events.json")] == ["b0004", "b0001"]


def test_serve_on_a_missing_archive_is_exit_66_and_creates_nothing(tmp_path: Path) -> None:
    needs_datasette()
    from typer.testing import CliRunner

    from liveblog_cli.errors import NoArchive

    missing = tmp_path / "nowhere" / "archive.db"
    result = CliRunner().invoke(_serve_app(), ["--db", str(missing)])
    assert isinstance(result.exception, NoArchive) and result.exception.exit_code == 66
    assert not missing.parent.exists()


# Runs `liveblog serve` through the real entry point with `import datasette` failing, as it
# does where the extra is not installed.
_WITHOUT_DATASETTE = """
import sys
sys.modules["datasette"] = None
from liveblog_cli import cli
cli.main()
"""


def test_serve_without_datasette_says_how_to_install_it_and_exits_78(tmp_path: Path) -> None:
    archive = tmp_path / "archive.db"
    with Archive(archive) as made:
        made.save(blog(make_block(1)))
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_DATASETTE, "serve", "--db", str(archive)],
        capture_output=True,
        env=_cli_env(None),
        timeout=60,
        check=False,
    )
    assert done.returncode == 78, done.stderr
    assert done.stderr.decode().splitlines() == [
        "liveblog: error: liveblog serve needs Datasette: pip install datasette (or, in "
        "liveblog's checkout, pip install -e '.[datasette]')"
    ]
    assert done.stdout == b""


def test_serve_refuses_a_foreign_host_header(archive: Path, tmp_path: Path) -> None:
    """`liveblog serve` for real on a free port: a request naming another host (what a
    DNS-rebinding page sends) gets 403 and no archive data; 127.0.0.1 and localhost work."""
    needs_datasette()
    import http.client

    from conftest import start_cli

    server = start_cli("serve", "--db", str(archive), "--port", "0")
    try:
        assert server.stderr is not None
        line = server.stderr.readline().decode()
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", line)[1])  # type: ignore[index]

        def get(host: str, path: str = "/archive/posts.json") -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for _ in range(100):  # the line comes when the port is bound, just before it listens
                try:
                    conn.connect()
                    break
                except ConnectionRefusedError:
                    time.sleep(0.05)
            conn.putrequest("GET", path, skip_host=True)
            conn.putheader("Host", host)
            conn.endheaders()
            answer = conn.getresponse()
            status, body = answer.status, answer.read()
            conn.close()
            return status, body

        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", ""):
            status, body = get(host)
            assert status == 403, host
            assert b"Harbour" not in body and b"harbour" not in body
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
            status, body = get(host)
            assert status == 200, host
            assert b"harbour" in body
        record(
            "serve-foreign-host",
            "`liveblog serve` asked with a foreign Host header (evil.example, with the port, "
            "127.0.0.1.nip.io, none): what a DNS-rebinding page sends",
            4,
            "403 and no archive data for 4 of 4; 127.0.0.1 and localhost served",
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_cookies_and_credentials_are_never_kept(tmp_path: Path) -> None:
    """Headers that carry a session (Set-Cookie, Cookie, Authorization) are not stored with
    a poll's exchanges, so neither serve nor a WARC export can hand them out; an archive that
    kept them loses them when it is next opened (migration 012)."""
    from liveblog_cli.exchange import Exchange

    db = tmp_path / "secrets.db"
    exchange = Exchange(
        url=URL,
        method="GET",
        request_headers=[("User-Agent", "liveblog"), ("Cookie", "session=SENT-SECRET")],
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        response_headers=[
            ("Content-Type", "text/html"),
            ("Set-Cookie", "session=SERVER-SECRET; HttpOnly"),
            ("set-cookie", "tracker=SECOND-SECRET"),
            ("ETag", '"v1"'),
        ],
        payload=PAGE,
        at=now_utc(),
    )
    with Archive(db) as archive:
        archive.save(blog(make_block(1)), fetch=FetchInfo(url=URL, exchanges=[exchange]))
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT request_headers, response_headers FROM exchanges").fetchall()
        assert kept and "SECRET" not in repr(kept)
        assert "ETag" in kept[0][1] and "User-Agent" in kept[0][0]
        # As an older liveblog kept them: the next open drops them.
        conn.execute(
            "UPDATE exchanges SET response_headers = ?",
            ['[["Set-Cookie", "session=OLD-SECRET"], ["ETag", "\\"v1\\""]]'],
        )
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '012_no_secret_headers'")
    with Archive(db) as archive:
        pass
    with sqlite3.connect(db) as conn:
        (headers,) = conn.execute("SELECT response_headers FROM exchanges").fetchone()
    assert "SECRET" not in headers and "ETag" in headers


# --- reading the views in Datasette (migration 017, serve's settings) --------------------------

WORDS = " ".join(f"word{n}" for n in range(60))  # a long post: ~500 characters
LONG_BEFORE = f"{WORDS} The ferry leaves at ten. {WORDS}"
LONG_AFTER = f"{WORDS} The ferry leaves at <script>alert(1)</script> noon. {WORDS}"


@pytest.fixture
def long_archive(archive: Path) -> Path:
    add_long_edit(archive)
    return archive


def add_long_edit(archive: Path) -> None:
    """A long post (5) edited in one place, with markup in its new words, and a fallback
    poll (the publisher's endpoint failed, the page answered)."""
    now = now_utc()
    with Archive(archive) as kept:
        kept.save(blog(make_block(5, text=LONG_BEFORE)), now=now - timedelta(minutes=4))
        edited = blog(make_block(5, text=LONG_AFTER, title="Ferry <b>times</b>"))
        kept.save(edited, now=now - timedelta(minutes=3))
        fallback = FetchInfo(url=URL + ".json", status=404, error="HTTP 404", kind="fallback")
        kept.record_poll(fallback, blog_id=BLOG_ID, now=now - timedelta(minutes=2))


def html_of(page: str, path: str) -> Any:
    import lxml.html

    return lxml.html.fromstring(page).xpath(path)


def test_the_database_page_lists_the_views_before_the_tables(archive: Path) -> None:
    (page,) = get(site.build(archive), "/archive")
    links = [a.get("href") for a in html_of(page, "//a[@href]")]
    views = [links.index(f"/archive/{view}") for view in site.VIEWS]
    tables = [links.index(f"/archive/{table}") for table in ("blogs", "blocks", "fetches")]
    assert views == sorted(views) and max(views) < min(tables)
    assert list(site.VIEWS) == [*VIEWS]  # every view, in the README's order


def test_posts_are_newest_first(archive: Path) -> None:
    ds = site.build(archive)
    assert [r["post_id"] for r in rows(ds, "posts.json")] == ["b0004", "b0003", "b0002", "b0001"]
    page = get(ds, "/archive/posts")[0]
    shown = [td.text_content() for td in html_of(page, "//td[contains(@class,'col-post_id')]")]
    assert shown == ["b0004", "b0003", "b0002", "b0001"]


def test_descriptions_leave_the_first_screen_to_the_rows(archive: Path) -> None:
    """Above each view's rows: a description of a line or two and a few column notes."""
    ds = site.build(archive)
    for view in VIEWS:
        (page,) = get(ds, f"/archive/{view}")
        description = html_of(page, "string(//div[@class='metadata-description'])").strip()
        notes = html_of(page, "//dl[@class='column-descriptions']/dd")
        assert 0 < len(description) <= 260, (view, description)
        assert len(notes) <= 3 and all(len(n.text_content()) <= 60 for n in notes), view
    for table, about in site.TABLES.items():
        assert len(about["description"]) <= 260, table
        assert len(about.get("columns", {})) <= 3, table


def test_long_texts_are_cut_with_all_of_it_one_click_away(long_archive: Path) -> None:
    ds = site.build(long_archive)
    (page,) = get(ds, "/archive/posts")
    (cell,) = [
        td
        for td in html_of(page, "//td[contains(@class,'col-text')]")
        if "word0" in td.text_content()
    ]
    assert len(cell.text_content()) <= site.CUT + 20 and "…" in cell.text_content()
    (link,) = cell.xpath(".//a/@href")
    assert link == "/archive/blocks/world~2Flive~2F2024~2Fmay~2F01~2Fharbour,b0005"
    (whole,) = get(ds, link)
    assert LONG_AFTER.replace("<", "&lt;").replace(">", "&gt;") in whole
    # The text before the edit: on the earlier revision's own row.
    (page,) = get(ds, "/archive/edits")
    befores = [a.get("href") for a in html_of(page, "//td[contains(@class,'col-text_before')]//a")]
    assert befores == ["/archive/block_revisions/world~2Flive~2F2024~2Fmay~2F01~2Fharbour,b0005,1"]
    (earlier,) = get(ds, befores[0])
    assert "The ferry leaves at ten." in earlier
    # JSON keeps every text whole.
    (post,) = [p for p in rows(ds, "posts.json") if p["post_id"] == "b0005"]
    assert post["text"] == LONG_AFTER


def test_edits_show_the_words_that_changed_escaped(long_archive: Path) -> None:
    ds = site.build(long_archive)
    edits = rows(ds, "edits.json")
    assert [(e["post_id"], e["change"], e["latest"]) for e in edits] == [
        ("b0005", "title and text", 1),
        ("b0001", "text", 1),
    ]
    (page,) = get(ds, "/archive/edits")
    (cell,) = html_of(page, "//td[contains(@class,'col-change')]")[:1]
    assert [d.text_content().strip() for d in cell.xpath(".//del")] == ["Title 5", "ten."]
    assert [i.text_content().strip() for i in cell.xpath(".//ins")] == [
        "Ferry <b>times</b>",
        "<script>alert(1)</script> noon.",
    ]
    shown = cell.text_content()
    assert "word59 The ferry leaves at" in shown and "word7" in shown  # the words around it
    assert "word30" not in shown  # and no more
    assert len(shown) < 250
    assert "<script>alert" not in page and "<b>times" not in page  # escaped, never markup
    assert not html_of(page, "//td//script | //td//b")


def test_a_fallback_poll_fell_back_and_did_not_fail(long_archive: Path) -> None:
    ds = site.build(long_archive)
    (poll,) = [p for p in rows(ds, "polls.json") if p["kind"] == "fallback"]
    assert poll["outcome"] == "fell back: HTTP 404"
    failed = rows(ds, "failed_polls_today.json")
    assert [r["outcome"] for r in failed] == ["failed: HTTP 500"]


def test_big_views_are_neither_counted_nor_given_facet_suggestions(archive: Path) -> None:
    """At a million posts a count through an ordered view, or a facet suggestion per column,
    costs seconds (benchmarks/scale.py): the pages of posts, key_events and polls are not
    counted unless filtered to one blog, and no page suggests facets."""
    ds = site.build(archive)
    assert ds.setting("suggest_facets") is False
    for view in VIEWS:
        (data,) = get(ds, f"/archive/{view}.json")
        assert data["suggested_facets"] == [], view
        counted = data["filtered_table_rows_count"] is not None
        assert counted is (view not in site.UNCOUNTED), view
    (one,) = get(ds, f"/archive/posts.json?blog_id={BLOG_ID}")
    assert one["filtered_table_rows_count"] == 4
    (asked,) = get(ds, "/archive/posts.json?_facet=key_event")
    assert {f["value"] for f in asked["facet_results"]["key_event"]["results"]} == {0, 1}
    assert site.uncounted(b"_search=x", "/archive/posts.json", ds.databases) == (
        b"_search=x&_nocount=1"
    )
    assert site.uncounted(b"", "/other/posts", ds.databases) == b""


# Per view, in a real browser window of 1280x800: where its first row starts and how tall
# its rows are (what "a row a screen tall" means), in CSS pixels.
_ROWS = """(() => {
  const rows = [...document.querySelectorAll("table.rows-and-columns tbody tr")];
  const heights = rows.map(r => r.getBoundingClientRect().height);
  return {screen: innerHeight, rows: rows.length, tallest: Math.max(...heights),
          first: rows.length ? rows[0].getBoundingClientRect().top : null};
})()"""


def test_each_views_first_screen_shows_rows_in_chromium(long_archive: Path, tmp_path: Path) -> None:
    """`liveblog serve` for real, each view opened in headless Chromium (skipped without
    it): the first row starts within the first screen, and no row is a third of it tall
    (before 017: the posts view's first row at 1,062 px, its long post 2,721 px tall)."""
    from chromium import BINARY, Browser

    if BINARY is None:
        pytest.skip("no Chromium (make check-html)")
    from conftest import start_cli

    server = start_cli("serve", "--db", str(long_archive), "--port", "0")
    try:
        assert server.stderr is not None
        line = server.stderr.readline().decode()
        base = re.search(r"http://127\.0\.0\.1:\d+/archive", line)[0]  # type: ignore[index]
        port = int(base.rsplit(":", 1)[1].split("/")[0])
        for _ in range(100):  # the line comes when the port is bound, just before it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
        with Browser(tmp_path / "profile") as browser:
            for view in VIEWS:
                seen = browser.evaluate(f"{base}/{view}", _ROWS)
                assert seen["rows"] > 0, view
                assert seen["first"] < seen["screen"], (view, seen)
                assert seen["tallest"] < seen["screen"] / 3, (view, seen)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_bench_times_every_views_page(long_archive: Path, tmp_path: Path) -> None:
    """benchmarks/scale.py's serve rows (run at a million posts by `make bench`), here on the
    small archive: a row for the database page and each view, each within its target."""
    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import common
    import scale

    empty = tmp_path / "empty.db"
    Archive(empty).close()
    before = len(common.ROWS)
    scale.serve_pages(long_archive, empty, 5, budget=0.2)
    rows_added = common.ROWS[before:]
    assert [r[1].split(" page")[0] for r in rows_added] == [
        "serve: database",
        *(f"serve: {view}" for view in VIEWS),
    ]
    assert all(r[4] == "pass" for r in rows_added), rows_added
    assert tuple(scale.SERVE_VIEWS) == VIEWS
