"""A record you can trust: provenance of every revision, sources of different richness, hosts
kept apart, partial walks, every poll logged, reparse, and the blog as of any time.

Real SQLite files throughout (or PostgreSQL archives under `make test-postgres`); fetches go
to a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import archive_db, corpus_file, run_cli, sql, sql_write, sqlite_only
from helpers import make_block, make_blog
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

from liveblog_cli.archive import Archive
from liveblog_cli.parse import parse_page

POLITICS = "guardian/politics-live-2023-12-13.dcr.json"
POLITICS_LD = "jsonld/guardian-politics-2023-12-13.jsonld.html"
PATH = "/world/live/2024/may/01/test-blog"
ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5", "--retries", "1"]


def rows(db: str | Path, query: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    return sql(db, query, *params)


def fetch(db: Path, *args: str) -> object:
    return run_cli("fetch", *args, "--db", str(db), *FAST, env=ENV)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with LiveServer() as srv:
        yield srv


# --- provenance -----------------------------------------------------------------------------


def test_each_revision_says_why_it_exists(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(make_blog([make_block(1), make_block(2)]))
        archive.save(make_blog([make_block(1, text="Post 1, corrected."), make_block(2)]))
        revisions = archive.revisions("test/live/2024/may/01/blog", "b0001")
    assert [(r["revision"], r["cause"]) for r in revisions] == [(1, "first"), (2, "edit")]
    assert {r["source_format"] for r in revisions} == {"test"}
    assert all(r["parser_version"] for r in revisions)
    result = run_cli("history", "test/live", "b0001", "--json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [(r["cause"], r["source_format"]) for r in shown] == [
        ("first", "test"),
        ("edit", "test"),
    ]
    assert all(r["seen_at"] and r["parser_version"] for r in shown)
    assert rows(db, "SELECT edits, revision FROM blocks WHERE id = 'b0001'") == [(1, 2)]


# --- sources of different richness ---------------------------------------------------------


def test_a_thinner_source_never_rewrites_a_richer_one(tmp_path: Path) -> None:
    """The Guardian's JSON-LD page of a blog archived from its DCR JSON: nothing is edited."""
    dcr = corpus_file(POLITICS).read_bytes()
    ld = corpus_file(POLITICS_LD).read_bytes()
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(parse_page(dcr), raw=dcr)
        before = rows(db, "SELECT id, title, key_event, pinned, summary, text, authors FROM blocks")
        thin = parse_page(ld)
        assert thin.id == parse_page(dcr).id  # the same blog: the Guardian's ids are global
        # Read alone, no post takes the blog's headline, byline or publication time.
        assert thin.title and all(b.title != thin.title for b in thin.blocks)
        assert all(b.authors != thin.authors for b in thin.blocks)
        assert all(b.published_at != thin.published_at for b in thin.blocks)
        report = archive.save(thin, raw=ld)
    assert report.updated == [] and report.rewritten == [] and report.deleted == []
    assert report.unchanged == len(thin.blocks)
    assert rows(db, "SELECT id, title, key_event, pinned, summary, text, authors FROM blocks") == (
        before
    )
    assert rows(db, "SELECT count(*) FROM block_revisions WHERE cause != 'first'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM blocks WHERE key_event = 1") == [(17,)]
    assert rows(db, "SELECT source_format FROM blogs") == [("guardian-dcr",)]


def test_a_richer_source_rewrites_without_calling_it_an_edit(tmp_path: Path) -> None:
    thin = make_blog([make_block(1, title=None)])
    thin.source_format = "jsonld"
    rich = make_blog([make_block(1, title="The real title", key_event=True)])
    rich.source_format = "guardian-dcr"
    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(thin)
        report = archive.save(rich)
        revisions = archive.revisions(rich.id, "b0001")
        again = archive.save(thin)  # the thin one once more: it says less, not something new
    assert report.updated == [] and report.rewritten == ["b0001"]
    assert [r["cause"] for r in revisions] == ["first", "source"]
    assert again.rewritten == [] and again.updated == [] and again.unchanged == 1


# --- identity -------------------------------------------------------------------------------


def test_two_hosts_at_the_same_path_are_two_blogs(tmp_path: Path) -> None:
    arabic = corpus_file("bbc/arabic-live-67574192.json").read_bytes()
    hindi = corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_bytes()
    db = archive_db(tmp_path, "a")
    path = "/news/live/the-same-path"
    with LiveServer() as one, LiveServer() as two:
        one.routes[path] = Reply(200, arabic, {"Content-Type": "application/json"})
        two.routes[path] = Reply(200, hindi, {"Content-Type": "application/json"})
        first = fetch(db, one.url(path), "--max-pages", "1")
        second = fetch(db, two.url(path), "--max-pages", "1")
    assert first.returncode == 0 and second.returncode == 0, second.stderr  # type: ignore[attr-defined]
    blogs = rows(db, "SELECT id FROM blogs ORDER BY id")
    assert len(blogs) == 2
    assert {b[0].split("/", 1)[0] for b in blogs} == {
        f"127.0.0.1:{one.port}",
        f"127.0.0.1:{two.port}",
    }
    assert rows(db, "SELECT count(*) FROM blocks WHERE deleted_at IS NOT NULL") == [(0,)]
    assert rows(db, "SELECT count(*) FROM blocks") == [(20 + 12,)]


def test_an_older_archive_migrates_its_ids_and_keeps_every_revision(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from liveblog_cli.archive.schema import migrations

    db = archive_db(tmp_path, "old")
    sqlite_only(db)  # an old SQLite file's migrations
    old = Database(db)
    migrations().apply(old, stop_before="005_provenance_polls_walks_hosts")
    blog = "arabic/live/67574192"
    old.execute(
        "INSERT INTO blogs (id, url, source_format) VALUES (?, ?, 'bbc-simorgh')",
        [blog, "https://www.bbc.com/arabic/live/67574192"],
    )
    old.execute(
        "INSERT INTO blogs (id, url, source_format) VALUES (?, ?, 'guardian-dcr')",
        ["world/live/x", "https://www.theguardian.com/world/live/x"],
    )
    for n in range(2):
        old.execute(
            "INSERT INTO blocks (blog_id, id, text, content_hash, revision, first_seen_at, "
            "deleted_at) VALUES (?, ?, 't', 'h', ?, '2024-01-01T00:00:00Z', ?)",
            [blog, f"p{n}", 2 if n else 1, "2024-01-02T00:00:00Z" if n else None],
        )
        old.execute("INSERT INTO block_seen VALUES (?, ?, '2024-01-01T00:00:00Z')", [blog, f"p{n}"])
        for rev in range(1, (2 if n else 1) + 1):
            old.execute(
                "INSERT INTO block_revisions (blog_id, block_id, revision, content_hash, seen_at, "
                "data) VALUES (?, ?, ?, 'h', '2024-01-01T00:00:00Z', '{}')",
                [blog, f"p{n}", rev],
            )
    old.execute(
        "INSERT INTO fetches (blog_id, url, fetched_at, status) VALUES (?, ?, ?, 200)",
        [blog, "https://www.bbc.com/arabic/live/67574192", "2024-01-01T00:00:00Z"],
    )
    old.conn.commit()
    old.close()
    with Archive(db) as archive:
        assert archive.has_blog("bbc.com/arabic/live/67574192")
        assert archive.has_blog("world/live/x")  # the Guardian's ids are global: kept
    assert rows(db, "SELECT DISTINCT blog_id FROM blocks") == [("bbc.com/arabic/live/67574192",)]
    assert rows(db, "SELECT block_id, revision, cause FROM block_revisions ORDER BY 1, 2") == [
        ("p0", 1, "first"),
        ("p1", 1, "first"),
        ("p1", 2, "edit"),
    ]
    assert rows(db, "SELECT block_id FROM deletions") == [("p1",)]
    assert rows(db, "SELECT blog_id FROM fetches") == [("bbc.com/arabic/live/67574192",)]
    assert rows(db, "PRAGMA foreign_key_check") == []


# --- partial walks and polls ----------------------------------------------------------------


def test_a_failed_older_page_keeps_what_was_read_and_the_next_run_completes(
    server: LiveServer, tmp_path: Path
) -> None:
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(12, 0, -1)], per_page=5)
    healthy = blog.route
    broken = {"on": True}

    def route(target: str, headers: dict[str, str]) -> Reply:
        if broken["on"] and "page=" in target:
            return Reply(500, b"oops")
        return healthy(target, headers)

    server.routes[PATH + ".json"] = route
    db = archive_db(tmp_path, "a")
    failed = fetch(db, server.url(PATH))
    assert failed.returncode == 69  # type: ignore[attr-defined]
    message = failed.stderr.decode()  # type: ignore[attr-defined]
    assert "read 1 of 3 pages" in message and "HTTP 500" in message
    assert message.count("\n") == 1
    assert rows(db, "SELECT count(*) FROM blocks") == [(5,)]  # page 1 is kept
    assert rows(db, "SELECT count(*) FROM blocks WHERE deleted_at IS NOT NULL") == [(0,)]
    assert rows(db, "SELECT count(*) FROM fetches WHERE status = 500 AND error IS NOT NULL") == [
        (1,)
    ]
    assert rows(db, "SELECT walk_next IS NOT NULL FROM blogs") == [(1,)]
    broken["on"] = False
    again = fetch(db, server.url(PATH), "--json")
    assert again.returncode == 0, again.stderr  # type: ignore[attr-defined]
    assert rows(db, "SELECT count(*) FROM blocks") == [(12,)]
    assert rows(db, "SELECT count(*) FROM blocks WHERE deleted_at IS NOT NULL") == [(0,)]
    assert rows(db, "SELECT walk_next FROM blogs") == [(None,)]


def test_every_poll_is_a_row_whatever_came_of_it(server: LiveServer, tmp_path: Path) -> None:
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(3, 0, -1)], per_page=10)
    server.routes[PATH + ".json"] = blog.route
    db = archive_db(tmp_path, "a")
    assert fetch(db, server.url(PATH)).returncode == 0  # type: ignore[attr-defined]
    assert fetch(db, server.url(PATH)).returncode == 0  # type: ignore[attr-defined]  # a 304
    server.routes[PATH + ".json"] = Reply(503, b"down")
    assert fetch(db, server.url(PATH)).returncode == 69  # type: ignore[attr-defined]
    polls = rows(
        db, "SELECT blog_id IS NOT NULL, status, error IS NOT NULL FROM fetches ORDER BY id"
    )
    # The JSON endpoint failed, then the page it falls back to: two requests, two rows.
    assert polls == [(1, 200, 0), (1, 304, 0), (1, 503, 1), (1, 404, 1)]
    listed = json.loads(run_cli("list", "--json", "--db", str(db)).stdout)
    assert listed[0]["failures_24h"] == 2 and listed[0]["last_fetched_at"]
    assert listed[0]["last_changed_at"]


# --- as of ----------------------------------------------------------------------------------


def test_the_blog_as_it_stood_between_two_fetches(server: LiveServer, tmp_path: Path) -> None:
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(5, 0, -1)], per_page=50)
    server.routes[PATH + ".json"] = blog.route
    db = archive_db(tmp_path, "a")
    assert fetch(db, server.url(PATH)).returncode == 0  # type: ignore[attr-defined]
    first = {
        r["id"]: r["text"]
        for r in map(
            json.loads, run_cli("export", "world/live", "--db", str(db)).stdout.splitlines()
        )
    }
    between = rows(db, "SELECT max(fetched_at) FROM fetches")[0][0]
    time.sleep(1.1)  # the archive keeps times to the second
    edited_id, deleted_id = f"{3:024x}", f"{2:024x}"
    blog.blocks = [dcr_block(6)] + [
        dcr_block(n, text="Post 3, corrected.") if n == 3 else dcr_block(n)
        for n in range(5, 0, -1)
        if n != 2
    ]
    assert fetch(db, server.url(PATH)).returncode == 0  # type: ignore[attr-defined]
    now = run_cli("export", "world/live", "--db", str(db)).stdout.splitlines()
    assert len(now) == 6 and any(json.loads(r)["deleted_at"] for r in now)
    then = run_cli("export", "world/live", "--as-of", between, "--db", str(db))
    assert then.returncode == 0, then.stderr
    posts = [json.loads(r) for r in then.stdout.splitlines()]
    assert {p["id"]: p["text"] for p in posts} == first
    assert all(p["deleted_at"] is None for p in posts)
    assert next(p for p in posts if p["id"] == edited_id)["revision"] == 1
    history = json.loads(
        run_cli("history", "world/live", edited_id, "--json", "--db", str(db)).stdout
    )
    assert [r["cause"] for r in history] == ["first", "edit"]
    shown = run_cli("show", "world/live", "--as-of", between, "--json", "--db", str(db))
    assert {b["id"] for b in json.loads(shown.stdout)["blocks"]} == set(first)
    listed = json.loads(run_cli("list", "--json", "--as-of", between, "--db", str(db)).stdout)
    assert listed[0]["blocks"] == 5
    assert deleted_id in first


# --- reparse --------------------------------------------------------------------------------


def test_reparse_of_an_intact_archive_changes_nothing_and_mends_a_damaged_row(
    tmp_path: Path,
) -> None:
    db = archive_db(tmp_path, "a")
    page = corpus_file(POLITICS)
    assert run_cli("parse", str(page), "--save", "--db", str(db)).returncode == 0
    revisions = rows(db, "SELECT count(*) FROM block_revisions")
    intact = run_cli("reparse", "--all", "--db", str(db))
    assert intact.returncode == 0, intact.stderr
    assert b"nothing to change" in intact.stderr
    assert rows(db, "SELECT count(*) FROM block_revisions") == revisions
    victim, text = rows(db, "SELECT id, text FROM blocks ORDER BY id LIMIT 1")[0]
    assert sql_write(db, "UPDATE blocks SET text = 'damaged by hand' WHERE id = ?", victim) == 1
    dry = run_cli("reparse", "politics", "--dry-run", "--db", str(db))
    assert dry.returncode == 0 and f"{victim}: differs in text".encode() in dry.stdout
    assert rows(db, "SELECT text FROM blocks WHERE id = ?", victim) == [("damaged by hand",)]
    mended = run_cli("reparse", "politics", "--db", str(db))
    assert mended.returncode == 0, mended.stderr
    assert rows(db, "SELECT text, edits FROM blocks WHERE id = ?", victim) == [(text, 0)]
    assert rows(
        db, "SELECT cause FROM block_revisions WHERE block_id = ? ORDER BY revision", victim
    ) == [("first",), ("reparse",)]
    again = run_cli("reparse", "politics", "--db", str(db))
    assert b"nothing to change" in again.stderr
    found = run_cli("search", "damaged", "--json", "--db", str(db))
    assert json.loads(found.stdout) == []  # the search index follows the mended row


def test_a_reparse_packs_with_the_archive_dictionary_and_trains_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reparse replays each blog into a scratch archive with its archive's dictionary:
    no dictionary is trained per blog, and what it writes is byte for byte what a reparse
    that trained one wrote (every stored body decodes)."""
    import sqlite3
    import sys

    import zstandard

    from liveblog_cli.archive.packing import TRAIN_AFTER, Packer
    from liveblog_cli.reparse import reparse_blog

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generate import guardian_dcr_bytes

    page = guardian_dcr_bytes(TRAIN_AFTER + 100, seed=5)
    db = archive_db(tmp_path, "a")
    sqlite_only(db)
    with Archive(db) as archive:
        blog = parse_page(page)
        archive.save(blog, raw=page)
    damaged = [b.id for b in blog.blocks[::50]]
    for block_id in damaged:
        sql_write(db, "UPDATE blocks SET text = 'damaged by hand' WHERE id = ?", block_id)
    trained_again = tmp_path / "trained.db"
    with sqlite3.connect(db) as src, sqlite3.connect(trained_again) as dst:
        src.backup(dst)
    trained = []
    train = zstandard.train_dictionary
    monkeypatch.setattr(zstandard, "train_dictionary", lambda *a: trained.append(1) or train(*a))
    with Archive(db) as archive:
        report = reparse_blog(archive, blog.id)
    assert trained == []
    assert sorted(c.block_id for c in report.corrections) == sorted(damaged)
    with monkeypatch.context() as before:  # as reparse was: each scratch archive trains
        before.setattr(Packer, "adopt", lambda self, dictionary: None)
        with Archive(trained_again) as archive:
            reparse_blog(archive, blog.id)
    assert trained == [1]
    stored = (
        "SELECT id, title, text, body, content_hash, revision FROM blocks ORDER BY id",
        "SELECT block_id, revision, cause, title, text, body FROM block_revisions "
        "ORDER BY block_id, revision",
    )
    for query in stored:
        assert rows(db, query) == rows(trained_again, query)
    with Archive(db) as archive:
        mended = {b["id"]: b for b in archive.blocks(blog.id)}
    assert {k: mended[k]["text"] for k in damaged} == {
        b.id: b.text for b in blog.blocks if b.id in damaged
    }


def test_a_reparse_keeps_the_blog_counts_that_list_shows(tmp_path: Path) -> None:
    """Posts a reparse adds, or makes key events, are counted on the blog's row, where `list`
    reads its counts: the same numbers as counting the posts themselves."""
    blog = make_blog([make_block(1), make_block(2)])
    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(blog)
        archive.correct_blocks(
            blog.id, [make_block(1, key_event=True), make_block(3)], blog.source_format
        )
        listed = {b["id"]: b for b in archive.list_blogs()}[blog.id]
        assert archive.count_posts(blog.id) == 3
    assert (listed["blocks"], listed["key_events"]) == (3, 1)


def test_a_blog_with_a_gap_says_so_everywhere_until_it_is_accepted(
    server: LiveServer, tmp_path: Path
) -> None:
    """1 of 3 pages read: list (both), show and every export say the blog is incomplete; a
    failed resume counts the posts there are; --accept-gap stops the retries (exit 0)."""
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(12, 0, -1)], per_page=5)
    healthy = blog.route

    def route(target: str, headers: dict[str, str]) -> Reply:
        return Reply(500, b"oops") if "page=" in target else healthy(target, headers)

    server.routes[PATH + ".json"] = route
    db = archive_db(tmp_path, "a")
    assert fetch(db, server.url(PATH)).returncode == 69  # type: ignore[attr-defined]
    resumed = fetch(db, server.url(PATH), "--json")
    assert resumed.returncode == 69  # type: ignore[attr-defined]
    (result,) = json.loads(resumed.stdout)  # type: ignore[attr-defined]
    assert result["total"] == 5
    listed = run_cli("list", "--db", db).stdout.decode()
    assert "incomplete: read 1 of 3 pages, then" in listed and "resumes next run" in listed
    (as_json,) = json.loads(run_cli("list", "--json", "--db", db).stdout)
    assert as_json["incomplete"] is True and "HTTP 500" in as_json["gap"]
    shown = run_cli("show", "test", "--db", db, "--no-pager").stdout.decode()
    assert "incomplete: read 1 of 3 pages" in shown
    for form in ("md", "html", "atom"):
        out = run_cli("export", "--all", "-f", form, "--db", db).stdout.decode()
        assert "incomplete: read 1 of 3 pages" in out, form
    jsonl = run_cli("export", "--all", "--db", db)
    assert b"warning" in jsonl.stderr and b"incomplete" in jsonl.stderr
    asked = len(server.requests)
    accepted = fetch(db, server.url(PATH), "--accept-gap")
    assert accepted.returncode == 0, accepted.stderr  # type: ignore[attr-defined]
    assert b"gap accepted: read 1 of 3 pages" in accepted.stderr  # type: ignore[attr-defined]
    assert not any("page=" in r["path"] for r in server.requests[asked:])
    assert "gap accepted" in run_cli("list", "--db", db).stdout.decode()
    assert fetch(db, server.url(PATH)).returncode == 0  # type: ignore[attr-defined]
