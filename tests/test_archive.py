"""The archive (a real SQLite file, or PostgreSQL under `make test-postgres`): revisions,
deletions, merging, schema, concurrency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES, archive_db, corpus_file, on_postgres, sql, sqlite_only
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive, schema
from liveblog_cli.errors import AmbiguousBlog, BlogNotFound
from liveblog_cli.parse import parse_page

POLITICS = "guardian/politics-live-2023-12-13.dcr.json"


def count(db: str, query: str, *params: object) -> int:
    return sql(db, query, *params)[0][0]


def test_saving_the_same_page_twice_writes_nothing_new(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    raw = corpus_file(POLITICS).read_bytes()
    blog = parse_page(raw)
    with Archive(db) as archive:
        first = archive.save(blog, raw=raw)
        second = archive.save(parse_page(raw), raw=raw)
    assert len(first.new) == 23 and first.total == 23
    assert second.to_dict() | {"blog_id": ""} == {
        "blog_id": "",
        "new": 0,
        "updated": 0,
        "unchanged": 23,
        "deleted": 0,
        "restored": 0,
        "total": 23,
    }
    assert count(db, "SELECT count(*) FROM blocks") == 23
    assert count(db, "SELECT count(*) FROM block_revisions") == 23
    assert count(db, "SELECT count(*) FROM snapshots") == 1  # deduplicated by hash
    assert count(db, "SELECT count(*) FROM fetches") == 2


def test_an_edit_keeps_both_revisions(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    blocks = [make_block(i) for i in range(3)]
    with Archive(db) as archive:
        archive.save(make_blog(blocks))
        edited = [
            make_block(0, text="Post number 0 now says something else."),
            make_block(1, title="A corrected title"),
            make_block(2),
        ]
        report = archive.save(make_blog(edited))
        assert sorted(report.updated) == ["b0000", "b0001"] and report.unchanged == 1
        revisions = archive.revisions("test/live/2024/may/01/blog", "b0000")
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[0]["data"]["text"] == "Post number 0 says something."
    assert revisions[1]["data"]["text"] == "Post number 0 now says something else."
    assert count(db, "SELECT revision FROM blocks WHERE id = 'b0000'") == 2


def test_dropped_block_on_a_complete_page_is_marked_deleted_then_restored(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    blocks = [make_block(i) for i in range(4)]
    with Archive(db) as archive:
        archive.save(make_blog(blocks))
        report = archive.save(make_blog([b for b in blocks if b.id != "b0002"]))
        assert report.deleted == ["b0002"] and report.total == 3
        rows = list(archive.blocks("test/live/2024/may/01/blog"))
        deleted = [r for r in rows if r["deleted_at"]]
        assert [r["id"] for r in deleted] == ["b0002"] and len(rows) == 4
        back = archive.save(make_blog(blocks))
        assert back.restored == ["b0002"] and back.total == 4


def test_a_page_says_nothing_about_posts_outside_its_span(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    blocks = [make_block(i) for i in range(10)]
    older = {"older": "https://news.example.org/x?page=2"}
    with Archive(db) as archive:
        archive.save(make_blog(blocks), complete=True)
        # Page 1 shows posts 5..9 (and lists key event 1 from an older page); post 7 is gone.
        page1 = [b for b in blocks if b.id in ("b0005", "b0006", "b0008", "b0009", "b0001")]
        report = archive.save(
            make_blog(page1, pages=older, body_ids=["b0005", "b0006", "b0008", "b0009"])
        )
    assert report.deleted == ["b0007"]


def test_the_same_block_on_two_pages_is_one_row(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        for name in ("guardian-tallships.dcr.json", "guardian-tallships-page2.dcr.json"):
            raw = (SAMPLES / name).read_bytes()
            archive.save(parse_page(raw), raw=raw)
    assert count(db, "SELECT count(*) FROM blocks") == 6
    assert count(db, "SELECT count(*) FROM blocks WHERE deleted_at IS NOT NULL") == 0
    assert count(db, "SELECT count(*) FROM block_revisions") == 6
    keys = "SELECT count(*) FROM (SELECT blog_id, id FROM blocks GROUP BY 1, 2) AS k"
    assert count(db, keys) == 6


def test_schema_after_migrating_a_blank_file(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    sqlite_only(db)  # SQLite's migrations, triggers and pragmas
    Archive(db).close()
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {
            "blogs",
            "blocks",
            "block_revisions",
            "fetches",
            "snapshots",
            "blocks_fts",
            "_sqlite_migrations",
        } <= tables
        block_cols = [r[1] for r in conn.execute("PRAGMA table_info(blocks)")]
        assert block_cols[:2] == ["blog_id", "id"]
        assert {"content_hash", "revision", "first_seen_at", "deleted_at"} <= set(block_cols)
        seen_cols = [r[1] for r in conn.execute("PRAGMA table_info(block_seen)")]
        assert seen_cols == ["blog_id", "block_id", "last_seen_at"]
        triggers = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'"))
        assert "UPDATE OF title, text" in triggers["blocks_au"]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert applied == [name for name, _ in schema.STEPS]


def test_an_archive_from_an_older_version_opens_and_upgrades(tmp_path: Path) -> None:
    """An archive made with only the first migration (as version 0.1's first build made it)
    gets the later ones applied, and keeps its data, search index and last-seen times."""
    from sqlite_utils import Database

    from liveblog_cli.archive.schema import _initial

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        _initial(Database(conn))
        conn.execute(
            "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, "
            "migration_set TEXT, name TEXT, applied_at TEXT)"
        )
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('liveblog', '001_initial', '2026-01-01')"
        )
        conn.execute("INSERT INTO blogs (id, title) VALUES ('old/blog', 'Old')")
        conn.execute(
            "INSERT INTO blocks (blog_id, id, title, text, content_hash, revision, "
            "first_seen_at, last_seen_at) VALUES ('old/blog', 'b1', 'Old post', "
            "'kept through the upgrade', 'x', 1, '2026-01-01T00:00:00Z', "
            "'2026-01-02T00:00:00Z')"
        )
    with Archive(db) as archive:
        assert not schema.pending(archive.conn)
        rows = list(archive.blocks(None))
        assert [(r["id"], r["last_seen_at"]) for r in rows] == [("b1", "2026-01-02T00:00:00Z")]
        assert [h["id"] for h in archive.search("upgrade")] == ["b1"]
        report = archive.save(make_blog([make_block(1)], blog_id="old/blog"), complete=False)
        assert report.new == ["b0001"]


def test_a_file_that_is_not_an_archive_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    from liveblog_cli.errors import ArchiveError

    with pytest.raises(ArchiveError, match="not a liveblog archive"):
        Archive(bad)


def test_resolve_by_id_url_and_prefix(tmp_path: Path) -> None:
    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(make_blog([make_block(1)], blog_id="news/live/one"))
        archive.save(make_blog([make_block(1)], blog_id="news/live/two"))
        assert archive.resolve("news/live/one") == "news/live/one"
        assert archive.resolve("https://news.example.org/news/live/two") == "news/live/two"
        assert (
            archive.resolve("https://news.example.org/news/live/two?page=3#b1") == "news/live/two"
        )
        assert archive.resolve("news/live/t") == "news/live/two"
        with pytest.raises(AmbiguousBlog) as info:
            archive.resolve("news/live/")
        assert sorted(info.value.candidates) == ["news/live/one", "news/live/two"]
        with pytest.raises(BlogNotFound):
            archive.resolve("nothing")


def test_search_finds_words_and_says_why_a_query_cannot_be_read(tmp_path: Path) -> None:
    from liveblog_cli.errors import SearchSyntaxError

    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(
            make_blog(
                [
                    make_block(1, text="The harbour bridge opened at noon."),
                    make_block(2, text="Nothing to see."),
                ]
            )
        )
        hits = archive.search("bridge noon")
        assert [h["id"] for h in hits] == ["b0001"]
        assert "\x02bridge\x03" in hits[0]["snippet"]
        with pytest.raises(SearchSyntaxError, match="not closed"):
            archive.search('"unbalanced AND (')
        # Words that are FTS5 syntax elsewhere are words here.
        assert archive.search("bridge AND noon")[0]["id"] == "b0001"
        assert archive.search("harb*")[0]["id"] == "b0001"
        assert archive.search("title:Title text:harbour")[0]["id"] == "b0001"
        assert archive.search("bridge NOT noon") == []


_WRITER = """
import sys
from liveblog_cli.archive import Archive
sys.path.insert(0, {tests!r})
from helpers import make_blog, make_block
n = int(sys.argv[1])
with Archive(sys.argv[2]) as archive:
    for round in range(15):
        archive.save(make_blog([make_block(i, text=f"writer {{n}} round {{round}}")
                                for i in range(n * 50, n * 50 + 50)], blog_id=f"blog/{{n}}"))
"""


def test_two_processes_saving_at_once_both_succeed(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "shared")
    Archive(db).close()
    script = _WRITER.format(tests=str(Path(__file__).parent))
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(n), str(db)], stderr=subprocess.PIPE)
        for n in (1, 2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    if not on_postgres(db):  # SQLite's own check of its file
        assert count(db, "PRAGMA integrity_check") == "ok"
    assert count(db, "SELECT count(*) FROM blocks") == 100
    assert count(db, "SELECT count(*) FROM block_revisions") == 100 * 15


def test_jsonl_lines_built_by_sqlite_equal_the_python_rows(tmp_path: Path) -> None:
    """The export fast path (JSON assembled in SQL) gives exactly what block_row_dict gives."""
    import json

    from liveblog_cli.model import Element

    with Archive(archive_db(tmp_path, "a")) as archive:
        raw = corpus_file(POLITICS).read_bytes()
        archive.save(parse_page(raw), raw=raw)
        odd = make_block(
            1,
            title="tab\there \x85 nel",
            authors=["Ä", "B"],
            elements=[Element("image", url="https://x/y.jpg", extra={"k": [1, 2]})],
        )
        archive.save(make_blog([odd]))
        archive.save(make_blog([]), complete=True)  # nothing seen: nothing deleted
        python_rows = list(archive.blocks(None))
        sql_rows = [json.loads(line) for line in archive.blocks_jsonl(None)]
        assert all(isinstance(line, bytes) for line in archive.blocks_jsonl(None))
    assert sql_rows == python_rows
    assert [list(r) for r in sql_rows] == [list(r) for r in python_rows]  # same key order


def test_a_page_of_the_newest_posts_says_nothing_about_older_ones(tmp_path: Path) -> None:
    """A JSON-LD page listing only its newest posts: the posts it no longer lists because they
    are older than all it shows are kept; one missing from within its span is deleted."""
    blocks = [make_block(i) for i in range(10)]
    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(make_blog(blocks))
        shown = [b for b in blocks if b.id in ("b0005", "b0006", "b0008", "b0009")]
        report = archive.save(make_blog(shown))
    assert report.deleted == ["b0007"] and report.total == 9


def test_a_single_page_blog_is_complete(tmp_path: Path) -> None:
    import json

    doc = json.loads((SAMPLES / "guardian-tallships-page2.dcr.json").read_text())
    doc["pagination"] = {"currentPage": 1, "totalPages": 1}
    whole = parse_page(json.dumps(doc).encode())
    assert whole.complete
    oldest = min(whole.blocks, key=lambda b: b.published_at).id
    doc["blocks"] = [b for b in doc["blocks"] if b["id"] != oldest]
    doc["keyEvents"] = [b for b in doc["keyEvents"] if b["id"] != oldest]
    if doc["pinnedPost"]["id"] == oldest:
        doc["pinnedPost"] = None
    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(whole)
        report = archive.save(parse_page(json.dumps(doc).encode()))
    assert report.deleted == [oldest]
