"""`delete`, `check` and `fetch --live` on real archives (either engine) filled by real
fetches from a local server: what a user deletes goes and nothing else; what is damaged is
found and named; what is still live is polled again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import archive_db, on_postgres, run_cli, sql, sql_write
from liveserver import GuardianBlog, LiveServer, dcr_block

ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5", "--quiet"]
# Every table that holds a blog's rows, and the column that names the blog.
BLOG_TABLES = {
    "blogs": "id",
    "blocks": "blog_id",
    "block_revisions": "blog_id",
    "block_seen": "blog_id",
    "deletions": "blog_id",
    "walks": "blog_id",
    "fetches": "blog_id",
}


def _fill(db: str, server: LiveServer, blogs: dict[str, GuardianBlog]) -> None:
    for path, blog in blogs.items():
        server.routes[path + ".json"] = blog.route
    urls = [server.url(p) for p in blogs]
    done = run_cli("fetch", *urls, *FAST, "--db", db, env=ENV)
    assert done.returncode == 0, done.stderr.decode()


def _blogs(live: bool = True, server: LiveServer | None = None) -> dict[str, GuardianBlog]:
    """Three blogs (only the first live unless `live`), each saying it lives on `server`
    when one is given (else at the Guardian's address, never fetched)."""
    paths = [f"/world/live/2024/may/01/upkeep-{n}" for n in range(3)]
    return {
        path: GuardianBlog(
            path,
            [dcr_block(n * 100 + k, key=k == 3) for k in range(12, 0, -1)],
            per_page=5,
            live=live or n == 0,
            canonical=server.url(path) if server else None,
        )
        for n, path in enumerate(paths)
    }


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[tuple[str, LiveServer, dict[str, GuardianBlog]]]:
    db = archive_db(tmp_path)
    with LiveServer() as server:
        blogs = _blogs()
        _fill(db, server, blogs)
        # A second poll of one blog, after an edit and a deletion: revisions, a deletion
        # and a page kept as a delta against the first.
        edited = blogs["/world/live/2024/may/01/upkeep-1"]
        edited.blocks[0] = dcr_block(112, text="Post 112: corrected.")
        del edited.blocks[1]
        _fill(db, server, {"/world/live/2024/may/01/upkeep-1": edited})
        yield db, server, blogs


def _ids(db: str) -> list[str]:
    return [r[0] for r in sql(db, "SELECT id FROM blogs ORDER BY id")]


def test_delete_takes_the_blog_and_only_it(
    filled: tuple[str, LiveServer, dict[str, GuardianBlog]],
) -> None:
    db, _, _ = filled
    gone = _ids(db)[1]  # the one with an edit, a deletion and two polls
    kept = [b for b in _ids(db) if b != gone]
    before = {b: run_cli("export", b, "--db", db).stdout for b in kept}
    pages_before = sql(db, "SELECT count(*) FROM snapshots")[0][0]
    assert sql(db, "SELECT count(*) FROM deletions WHERE blog_id = ?", gone)[0][0] == 1

    url = sql(db, "SELECT url FROM blogs WHERE id = ?", gone)[0][0]
    done = run_cli("delete", url, "--yes", "--json", "--db", db)
    assert done.returncode == 0, done.stderr.decode()
    removed = json.loads(done.stdout)["removed"]
    assert removed["blocks"] == 12 and removed["deletions"] == 1 and removed["fetches"] >= 4
    assert b"deleted " in done.stderr and b"12 posts" in done.stderr

    for table, column in BLOG_TABLES.items():
        assert sql(db, f"SELECT count(*) FROM {table} WHERE {column} = ?", gone) == [(0,)]
    assert sql(
        db, "SELECT count(*) FROM exchanges WHERE fetch_id NOT IN (SELECT id FROM fetches)"
    ) == [(0,)]
    # Its pages went; every other blog's export is as it was, and the archive is whole.
    assert 0 < sql(db, "SELECT count(*) FROM snapshots")[0][0] < pages_before
    assert removed["snapshots"] == pages_before - sql(db, "SELECT count(*) FROM snapshots")[0][0]
    assert {b: run_cli("export", b, "--db", db).stdout for b in kept} == before
    assert run_cli("search", "Post", "--db", db, "--json").returncode == 0
    checked = run_cli("check", "--db", db, "--json")
    assert checked.returncode == 0, checked.stdout.decode()
    # The warc of the others still reads every page it names.
    assert run_cli("export", "--all", "-f", "warc", "--db", db).returncode == 0
    assert run_cli("show", gone, "--db", db).returncode == 66


def test_delete_asks_names_wholly_and_waits_for_no_fetch(
    filled: tuple[str, LiveServer, dict[str, GuardianBlog]],
) -> None:
    db, _, _ = filled
    blog = _ids(db)[0]
    # Off a terminal without --yes: a usage error, nothing deleted.
    asked = run_cli("delete", blog, "--db", db)
    assert asked.returncode == 2 and b"--yes" in asked.stderr
    # A prefix or a word finds a blog to read, never one to delete.
    word = run_cli("delete", "upkeep-0", "--yes", "--db", db)
    assert word.returncode == 2 and blog.encode() in word.stderr
    assert run_cli("delete", "nothing-like-it", "--yes", "--db", db).returncode == 66
    assert _ids(db)[0] == blog

    # A fetch holding the blog's lock: delete says so (75) and deletes nothing.
    from liveblog_cli.archive import Archive
    from liveblog_cli.urls import Address, lock_key

    url = sql(db, "SELECT url FROM blogs WHERE id = ?", blog)[0][0]
    with Archive(db) as archive, archive.engine.blog_locks([lock_key(Address.of(url))], wait=0):
        held = run_cli("delete", blog, "--yes", "--db", db)
    assert held.returncode == 75, held.stderr.decode()
    assert blog in _ids(db)


def _check(db: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    # Told, as the fetch was, that 127.0.0.1 is a Guardian host (its pages name the blog).
    done = run_cli("check", "--db", db, "--json", env=ENV)
    return done.returncode, json.loads(done.stdout)


def _failed(report: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["check"] for c in report["checks"] if not c["ok"]}


def test_check_passes_a_whole_archive_and_names_each_damage(
    filled: tuple[str, LiveServer, dict[str, GuardianBlog]],
) -> None:
    db, _, _ = filled
    code, report = _check(db)
    assert code == 0 and report["ok"] and not _failed(report)
    assert [(r["checked"], r["would_change"]) for r in report["reparse"]] == [(12, 0)] * 3
    checks = {c["check"]: c for c in report["checks"]}
    assert checks["posts"]["checked"] == 36 and checks["counts"]["checked"] == 3
    assert checks["pages"]["checked"] >= 9

    blog = _ids(db)[0]
    # A count that lies: list and show would say it.
    sql_write(db, "UPDATE blogs SET posts = posts + 1 WHERE id = ?", blog)
    code, report = _check(db)
    assert code == 74 and _failed(report) == {"counts"}
    sql_write(db, "UPDATE blogs SET posts = posts - 1 WHERE id = ?", blog)

    # A post changed behind the archive's back: its hash and a reparse both disagree.
    post = sql(db, "SELECT id FROM blocks WHERE blog_id = ? ORDER BY id LIMIT 1", blog)[0][0]
    sql_write(db, "UPDATE blocks SET title = 'forged' WHERE blog_id = ? AND id = ?", blog, post)
    code, report = _check(db)
    assert code == 74 and _failed(report) == {"posts"}
    assert post in " ".join(c for c in report["checks"][2]["first_problems"])
    assert [r["would_change"] for r in report["reparse"] if r["blog_id"] == blog] == [1]

    # A revision missing from the history.
    other = _ids(db)[2]
    sql_write(
        db,
        "DELETE FROM block_revisions WHERE blog_id = ? AND revision = 1 AND "
        "block_id = (SELECT min(block_id) FROM block_revisions WHERE blog_id = ?)",
        other,
        other,
    )
    code, report = _check(db)
    assert code == 74 and "posts" in _failed(report)

    # A kept page damaged, and a poll naming a page that is gone.
    digest = sql(db, "SELECT hash FROM snapshots WHERE ref IS NULL ORDER BY hash LIMIT 1")[0][0]
    sql_write(db, "UPDATE snapshots SET compressed = ? WHERE hash = ?", b"\x28\xb5junk", digest)
    sql_write(
        db,
        "UPDATE fetches SET snapshot_hash = ? WHERE id = (SELECT min(id) FROM fetches)",
        "0" * 64,
    )
    done = run_cli("check", "--db", db, "--no-reparse")
    assert done.returncode == 74
    out = done.stdout.decode()
    assert "FAIL  pages" in out and "does not decode" in out and "not kept" in out
    assert done.stderr.decode().count("\n") == 1 and "problems found" in done.stderr.decode()


def test_check_finds_a_damaged_sqlite_file(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    if on_postgres(db):
        pytest.skip("SQLite's file")
    with LiveServer() as server:
        _fill(db, server, _blogs())
    # The search index's shadow table loses rows: the file's own check still passes, the
    # index's does not.
    sql_write(
        db, "DELETE FROM blocks_fts_docsize WHERE id IN (SELECT id FROM blocks_fts_docsize LIMIT 3)"
    )
    code, report = _check(db)
    assert code == 74 and _failed(report) == {"database"}


def _reads(server: LiveServer, path: str) -> int:
    return len([r for r in server.requests if r["path"].startswith(path + ".json")])


def test_fetch_live_polls_what_is_still_live(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    with LiveServer() as server:
        blogs = _blogs(live=False, server=server)  # only upkeep-0 is live
        _fill(db, server, blogs)
        first = {p: _reads(server, p) for p in blogs}
        done = run_cli("fetch", "--live", "--json", *FAST[:-1], "--db", db, env=ENV)
        assert done.returncode == 0, done.stderr.decode()
        polled = [p for p in blogs if _reads(server, p) > first[p]]
        assert polled == ["/world/live/2024/may/01/upkeep-0"]
        summary = json.loads(done.stdout)
        assert len(summary if isinstance(summary, list) else summary["blogs"]) == 1
        # Nothing live: said, exit 0, nothing read.
        blogs["/world/live/2024/may/01/upkeep-0"].live = False
        _fill(
            db,
            server,
            {"/world/live/2024/may/01/upkeep-0": blogs["/world/live/2024/may/01/upkeep-0"]},
        )
        none = run_cli("fetch", "--live", *FAST[:-1], "--db", db, env=ENV)
        assert none.returncode == 0 and b"no blog in the archive is live" in none.stderr
