"""One archive, two engines: the same blogs fetched into SQLite and into PostgreSQL give the
same export, and `liveblog copy` SQLite -> PostgreSQL -> SQLite keeps every row and every
byte of every page. Needs PostgreSQL's server binaries (skipped with the reason without)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import run_cli
from liveserver import GuardianBlog, LiveServer, dcr_block

ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5"]
BLOGS = 30


def _postgres(name: str) -> str:
    import pgserver

    if pgserver.binaries() is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    pytest.importorskip("psycopg")
    return pgserver.server().archive(name)


def _without_fetch_times(export: bytes) -> list[dict]:  # type: ignore[type-arg]
    """The export's posts, less the times that say when this archive fetched them."""
    posts = [json.loads(line) for line in export.splitlines()]
    for post in posts:
        post.pop("first_seen_at")
        post.pop("last_seen_at")
    return posts


def _payloads(warc: bytes) -> list[tuple[str, bytes]]:
    from warcio.archiveiterator import ArchiveIterator

    return [
        (r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type in ("response", "resource")
    ]


def test_both_engines_archive_the_same_and_copy_keeps_everything(tmp_path: Path) -> None:
    pg = _postgres("engines")
    lite = str(tmp_path / "lite.db")
    with LiveServer() as server:
        urls = []
        for n in range(BLOGS):
            path = f"/world/live/2026/jan/01/engine-{n}"
            blog = GuardianBlog(
                path, [dcr_block(n * 100 + k) for k in range(12, 0, -1)], per_page=5
            )
            server.routes[path + ".json"] = blog.route
            urls.append(server.url(path))
        for db in (lite, pg):
            done = run_cli("fetch", *urls, *FAST, "--quiet", "--db", db, env=ENV)
            assert done.returncode == 0, done.stderr.decode()
    exports = {db: run_cli("export", "--all", "--db", db).stdout for db in (lite, pg)}
    assert len(exports[lite].splitlines()) == BLOGS * 12
    assert _without_fetch_times(exports[lite]) == _without_fetch_times(exports[pg])
    assert run_cli("search", "Post", "--json", "--db", pg).returncode == 0

    # SQLite -> PostgreSQL -> SQLite.
    there, back = _postgres("copy"), str(tmp_path / "back.db")
    to_pg = run_cli("copy", lite, there, "--json")
    assert to_pg.returncode == 0, to_pg.stderr.decode()
    from_pg = run_cli("copy", there, back, "--json")
    assert from_pg.returncode == 0, from_pg.stderr.decode()
    counts = json.loads(to_pg.stdout)
    assert counts == json.loads(from_pg.stdout)
    assert counts["blocks"] == BLOGS * 12 and counts["exchanges"] >= BLOGS * 3
    for db in (there, back):
        assert run_cli("export", "--all", "--db", db).stdout == exports[lite]
    warcs = [run_cli("export", "--all", "-f", "warc", "--db", db).stdout for db in (lite, back)]
    original, returned = (_payloads(w) for w in warcs)
    assert original == returned and len(original) >= BLOGS * 3
    again = run_cli("copy", lite, there)
    assert again.returncode == 74 and b"already holds" in again.stderr


def test_an_unreachable_server_is_one_line_and_no_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://ann:s3cret-pw@/nowhere?host={tmp_path}&connect_timeout=2"
    for args in (["list"], ["schedule", "list"], ["fetch", "https://example.org/x"]):
        done = run_cli(*args, "--db", url)
        err = done.stderr.decode()
        assert done.returncode == 75, err
        assert err.count("\n") == 1 and "s3cret-pw" not in err and "cannot reach" in err


def test_postgres_archives_migrate_and_a_newer_one_is_read_not_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    from liveblog_cli.archive import Archive, schema
    from liveblog_cli.errors import ArchiveError

    url = _postgres("migrate")
    Archive(url).close()  # made at today's version
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM liveblog_migrations WHERE name = '013_schedule'")
    with pytest.raises(ArchiveError, match="lacks migrations 013_schedule"):
        Archive(url)
    ran: list[str] = []
    monkeypatch.setitem(schema.POSTGRES_STEPS, "013_schedule", lambda conn: ran.append("013"))
    Archive(url).close()
    assert ran == ["013"]
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM liveblog_migrations WHERE name = '013_schedule'"
        ).fetchone() == (1,)
        conn.execute("INSERT INTO liveblog_migrations VALUES ('999_from_the_future', 'x')")
    listed = run_cli("list", "--json", "--db", url)
    assert listed.returncode == 0 and listed.stdout.startswith(b"[")
    refused = run_cli("schedule", "add", "https://example.org/x", "--db", url)
    assert refused.returncode == 74 and b"made by a newer liveblog" in refused.stderr


def test_copy_takes_every_column_the_schema_has(tmp_path: Path) -> None:
    """A column a migration adds and copy does not name is lost by every copy: the list of
    copied columns must be the schema's, less what each engine generates itself."""
    import sqlite3

    from liveblog_cli.archive import Archive
    from liveblog_cli.archive.copying import TABLES

    db = tmp_path / "new.db"
    Archive(db, create=True).close()
    conn = sqlite3.connect(db)
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].startswith(("_sqlite", "blocks_fts", "sqlite_"))
    ]
    copied = dict(TABLES)
    assert sorted(names) == sorted(copied)
    for table in names:
        # table_xinfo's `hidden`: 0 for a stored column, 2 or 3 for a generated one.
        stored = {r[1] for r in conn.execute(f"PRAGMA table_xinfo({table})") if r[6] == 0}
        assert stored == set(copied[table]) - {"rowid"}, table
    conn.close()
