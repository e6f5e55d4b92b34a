"""The archive's reading views (migration 017) on both engines: the same rows from SQLite and
from PostgreSQL, from a new archive and from one made before 017 and upgraded on open.

`liveblog serve` shows SQLite archives only (Datasette reads files; tests/test_serve.py reads
the views through it); these views are part of the archive itself, for sqlite3 and psql.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import sql, sql_write
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive, FetchInfo, now_utc

BLOG_ID = "world/live/2024/may/01/views"
URL = f"https://news.example.org/{BLOG_ID}"
ENGINES = ("sqlite", "postgres")
OLD_VIEWS = ("posts", "edits", "polls")  # what 017 remade


def _archive(engine: str, tmp_path: Path, name: str) -> str:
    if engine == "sqlite":
        return str(tmp_path / f"{name}.db")
    import pgserver

    if pgserver.binaries() is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    pytest.importorskip("psycopg")
    return pgserver.server().archive(name)


def _fill(db: str) -> None:
    """Posts 1-3 (published 09:01-09:03), saved oldest last; post 2 edited in its text, post
    3 in its title; a poll that fell back to the page, one that failed, one not modified."""
    now = now_utc()
    blog = make_blog(
        [make_block(1), make_block(2), make_block(3)], blog_id=BLOG_ID, title="Views blog"
    )
    with Archive(db) as archive:
        archive.save(blog, fetch=FetchInfo(url=URL, status=200), now=now - timedelta(hours=1))
        edited = make_blog(
            [
                make_block(1),
                make_block(2, text="Post number 2 says something else."),
                make_block(3, title="A better title"),
            ],
            blog_id=BLOG_ID,
            title="Views blog",
        )
        archive.save(edited, fetch=FetchInfo(url=URL, status=200), now=now - timedelta(minutes=9))
        archive.record_poll(
            FetchInfo(url=URL + ".json", status=503, error="HTTP 503", kind="fallback"),
            blog_id=BLOG_ID,
            now=now - timedelta(minutes=6),
        )
        archive.record_poll(
            FetchInfo(url=URL, status=500, error="HTTP 500"),
            blog_id=BLOG_ID,
            now=now - timedelta(minutes=5),
        )
        archive.record_poll(
            FetchInfo(url=URL, status=304), blog_id=BLOG_ID, now=now - timedelta(minutes=4)
        )


def _check(db: str) -> None:
    posts = sql(db, "SELECT post_id, published FROM posts")
    assert posts == [
        ("b0003", "2024-05-01 09:03 UTC"),
        ("b0002", "2024-05-01 09:02 UTC"),
        ("b0001", "2024-05-01 09:01 UTC"),
    ]
    edits = sql(
        db,
        "SELECT post_id, revision, change, title_before, title_after, text_before, "
        "text_after, latest FROM edits",
    )
    assert sorted(edits) == [
        (
            "b0002",
            2,
            "text",
            "Title 2",
            "Title 2",
            "Post number 2 says something.",
            "Post number 2 says something else.",
            1,
        ),
        (
            "b0003",
            2,
            "title",
            "Title 3",
            "A better title",
            "Post number 3 says something.",
            "Post number 3 says something.",
            1,
        ),
    ]
    outcomes = sql(db, "SELECT kind, status, outcome FROM polls")
    assert outcomes == [
        ("fetch", 304, "not modified"),
        ("fetch", 500, "failed: HTTP 500"),
        ("fallback", 503, "fell back: HTTP 503"),
        ("fetch", 200, "changed"),
        ("fetch", 200, "changed"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_views_read_the_same_on_both_engines(engine: str, tmp_path: Path) -> None:
    db = _archive(engine, tmp_path, "views")
    _fill(db)
    _check(db)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_archive_from_before_017_gets_the_views_on_open(engine: str, tmp_path: Path) -> None:
    """An archive as liveblog left it before 017 (posts unordered, edits without change,
    polls without 'fell back', no blocks_newest index) is upgraded the next time it opens."""
    db = _archive(engine, tmp_path, "before")
    _fill(db)
    for view in OLD_VIEWS:
        sql_write(db, f"DROP VIEW {view}")
    sql_write(db, "DROP INDEX blocks_newest")
    sql_write(db, "CREATE VIEW polls AS SELECT id, 'failed' AS outcome FROM fetches")
    if engine == "sqlite":
        sql_write(db, "DELETE FROM _sqlite_migrations WHERE name = '017_views_for_reading'")
    else:
        sql_write(db, "DELETE FROM liveblog_migrations WHERE name = '017_views_for_reading'")
    Archive(db).close()
    _check(db)
    if engine == "sqlite":
        plan = sql(db, "EXPLAIN QUERY PLAN SELECT * FROM posts LIMIT 20")
        assert any("blocks_newest" in step[3] for step in plan), plan
    else:
        indexes = sql(db, "SELECT indexname FROM pg_indexes WHERE tablename = 'blocks'")
        assert ("blocks_newest",) in indexes
