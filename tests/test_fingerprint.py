"""A post known unchanged by a fingerprint of what it was read from (migration 018): a re-save
of the same page hashes no post's content and records nothing; anything that changes what a
post says still records it, whatever the page does to look the same; reparse and new code
compare in full. Both engines; an archive from before 018 gets the column on open."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import sql, sql_write

from liveblog_cli.archive import Archive, saving
from liveblog_cli.model import Block
from liveblog_cli.parse import parse_page

ENGINES = ("sqlite", "postgres")
PAGE_ID = "world/live/2024/may/01/fingerprints"
T0 = 1714554000000  # 2024-05-01 09:00 UTC, in the Guardian's epoch milliseconds


def _archive(engine: str, tmp_path: Path, name: str = "fp") -> str:
    if engine == "sqlite":
        return str(tmp_path / f"{name}.db")
    import pgserver

    if pgserver.binaries() is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    pytest.importorskip("psycopg")
    return pgserver.server().archive(name)


def _post(n: int, text: str | None = None) -> dict[str, Any]:
    body = text if text is not None else f"Post number {n} says something."
    return {
        "id": f"block-{n}",
        "title": f"Title {n}",
        "blockCreatedOn": T0 + n * 60000,
        "blockFirstPublished": T0 + n * 60000,
        "blockLastUpdated": T0 + n * 60000,
        "attributes": {"keyEvent": False, "pinned": False, "summary": False},
        "contributors": [{"name": "A Reporter"}],
        "elements": [
            {
                "_type": "model.dotcomrendering.pageElements.TextBlockElement",
                "html": f"<p>{body}</p>",
            }
        ],
    }


def _doc(posts: int = 5) -> dict[str, Any]:
    """A Guardian DCR page of `posts` posts, the whole blog (one page of one)."""
    return {
        "pageId": PAGE_ID,
        "canonicalUrl": f"https://www.theguardian.com/{PAGE_ID}",
        "headline": "Fingerprints live",
        "format": {"design": "LiveBlogDesign"},
        "webPublicationDate": "2024-05-01T09:00:00Z",
        "blocks": [_post(n) for n in range(posts, 0, -1)],
        "keyEvents": [],
        "pagination": {"totalPages": 1},
    }


def _page(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


class _Hashes:
    """content_hash, counted: how many posts a save read in full."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = saving.content_hash

        def counted(block: Block) -> str:
            self.calls += 1
            return real(block)

        monkeypatch.setattr(saving, "content_hash", counted)


def _revisions(db: str) -> list[tuple[Any, ...]]:
    return sql(
        db, "SELECT block_id, revision, cause FROM block_revisions ORDER BY block_id, revision"
    )


def _marks(db: str) -> dict[str, Any]:
    return dict(sql(db, "SELECT id, fingerprint FROM blocks"))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unchanged_resave_hashes_nothing_and_records_nothing(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _archive(engine, tmp_path)
    page = _page(_doc())
    hashes = _Hashes(monkeypatch)
    with Archive(db) as archive:
        first = archive.save(parse_page(page), raw=page)
        assert len(first.new) == 5 and hashes.calls == 5
        before = _revisions(db)
        marks = _marks(db)
        assert all(isinstance(m, bytes) and len(m) == 16 for m in marks.values()), marks
        hashes.calls = 0
        again = archive.save(parse_page(page), raw=page)
    assert hashes.calls == 0  # decided by the fingerprints alone
    assert not again.changed and again.unchanged == 5 and not again.rewritten
    assert _revisions(db) == before
    assert _marks(db) == marks


@pytest.mark.parametrize("engine", ENGINES)
def test_a_changed_body_under_the_same_id_is_an_edit(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _archive(engine, tmp_path)
    doc = _doc()
    with Archive(db) as archive:
        archive.save(parse_page(_page(doc)))
        marks = _marks(db)
        doc["blocks"][0] = _post(5, "Post number 5 says something else now.")
        hashes = _Hashes(monkeypatch)
        report = archive.save(parse_page(_page(doc)))
    assert report.updated == ["block-5"] and report.unchanged == 4
    assert hashes.calls == 1  # only the post whose source changed was read in full
    assert ("block-5", 2, "edit") in _revisions(db)
    now = _marks(db)
    assert now["block-5"] != marks["block-5"]
    assert {k: v for k, v in now.items() if k != "block-5"} == {
        k: v for k, v in marks.items() if k != "block-5"
    }
    rows = sql(db, "SELECT text FROM blocks WHERE id = 'block-5'")
    assert rows == [("Post number 5 says something else now.",)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_source_that_says_the_same_records_nothing(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post's JSON changed where the parser does not read (a key it ignores): the full
    comparison finds it the same, no edit; the new fingerprint is kept for the next save."""
    db = _archive(engine, tmp_path)
    doc = _doc()
    with Archive(db) as archive:
        archive.save(parse_page(_page(doc)))
        before, marks = _revisions(db), _marks(db)
        # Inside a value kept whole (a contributor), so the fingerprint sees it; a key of
        # the post itself that no reader decodes is not in the source at all.
        doc["blocks"][1]["contributors"][0]["trackingId"] = "ignored-by-the-parser"
        hashes = _Hashes(monkeypatch)
        report = archive.save(parse_page(_page(doc)))
        assert not report.changed and report.unchanged == 5 and hashes.calls == 1
        assert _revisions(db) == before
        assert _marks(db)["block-4"] != marks["block-4"]
        hashes.calls = 0
        archive.save(parse_page(_page(doc)))
        assert hashes.calls == 0
        # A key no reader decodes (the typed reading keeps only what it reads): same source.
        doc["blocks"][2]["trackingId"] = "not-read"
        report = archive.save(parse_page(_page(doc)))
    assert not report.changed and hashes.calls == 0 and _revisions(db) == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_flag_set_from_elsewhere_on_the_page_is_still_seen(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post's own JSON unchanged, but the page's key-event list now names it (a post
    without attributes, as the 2021 pages give them): it is a key event now, an edit."""
    db = _archive(engine, tmp_path)
    doc = _doc()
    for post in doc["blocks"]:
        del post["attributes"]
    with Archive(db) as archive:
        archive.save(parse_page(_page(doc)))
        doc["keyEvents"] = [copy.deepcopy(doc["blocks"][2])]
        blog = parse_page(_page(doc))
        assert [b.id for b in blog.blocks if b.key_event] == ["block-3"]
        report = archive.save(blog)
    assert report.updated == ["block-3"]
    assert sql(db, "SELECT id FROM blocks WHERE key_event = 1") == [("block-3",)]


def test_what_json_tells_apart_the_fingerprint_tells_apart(tmp_path: Path) -> None:
    """A page cannot make a changed post agree with its old fingerprint by writing a value
    that serializes alike: NaN is not null, 1 is not 1.0 nor true, a number is not a string.
    An element the parser does not know keeps its fields, so each of these is an edit."""
    db = str(tmp_path / "values.db")
    kept = "model.dotcomrendering.pageElements.SomethingNewBlockElement"
    doc = _doc(1)
    values = ["null", "NaN", "1", "1.0", "true", '"1"', "[]", "{}"]
    marks = []
    with Archive(db) as archive:
        for value in values:
            doc["blocks"][0]["elements"] = [{"_type": kept, "html": "<p>x</p>", "value": 0}]
            page = _page(doc).replace(b'"value": 0', b'"value": ' + value.encode())
            report = archive.save(parse_page(page))
            assert report.new or report.updated, value
            marks.append(_marks(db)["block-1"])
    assert sql(db, "SELECT revision, edits FROM blocks") == [(len(values), len(values) - 1)]
    assert len(set(marks)) == len(values)


def test_a_post_its_source_cannot_fingerprint_takes_the_full_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value MessagePack cannot hold in a post's JSON (an integer past 64 bits; a lone
    surrogate, which the parser makes harmless first): no fingerprint (NULL), and the post
    is compared in full, as before 018."""
    db = str(tmp_path / "odd.db")
    doc = _doc(2)
    doc["blocks"][1]["contributors"][0]["huge"] = 10**30
    page = _page(doc)
    blog = parse_page(page)
    marks = {b.id: saving.fingerprint(b, blog.source_format) for b in blog.blocks}
    assert marks["block-1"] is None and marks["block-2"] is not None
    assert saving.fingerprint(Block("z", source={"html": "\ud800"}), "guardian-dcr") is None
    with Archive(db) as archive:
        archive.save(blog)
        hashes = _Hashes(monkeypatch)
        report = archive.save(parse_page(page))
    assert not report.changed and report.unchanged == 2 and hashes.calls == 1
    assert _marks(db)["block-1"] is None


def test_new_reading_code_compares_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fingerprint is of the code that read the post too: after an upgrade (here, another
    digest of the code) the same page is read in full once, records nothing, and the new
    fingerprints are kept."""
    db = str(tmp_path / "upgrade.db")
    page = _page(_doc())
    with Archive(db) as archive:
        archive.save(parse_page(page))
        marks = _marks(db)
        monkeypatch.setattr(saving, "reading_code", lambda: b"\x01" * 32)
        hashes = _Hashes(monkeypatch)
        report = archive.save(parse_page(page))
        assert not report.changed and hashes.calls == 5
        assert set(_marks(db).values()).isdisjoint(marks.values())
        hashes.calls = 0
        archive.save(parse_page(page))
    assert hashes.calls == 0


def test_the_code_digest_is_of_the_package_source(tmp_path: Path) -> None:
    """Another module text, another digest (computed once a process, so asked afresh here)."""
    block = parse_page(_page(_doc(1))).blocks[0]
    code = saving.reading_code()
    assert len(code) == 32
    assert saving.fingerprint(block, "guardian-dcr") == saving.fingerprint(
        block, "guardian-dcr", code
    )
    assert saving.fingerprint(block, "guardian-dcr") != saving.fingerprint(
        block, "guardian-dcr", b"\x02" * 32
    )
    assert saving.fingerprint(block, "guardian-dcr") != saving.fingerprint(block, "guardian-html")


def test_a_reparse_walk_never_takes_the_shortcut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "reparse.db")
    page = _page(_doc())
    with Archive(db) as archive:
        archive.save(parse_page(page))
        hashes = _Hashes(monkeypatch)
        report = archive.save(parse_page(page), cause="reparse")
    assert not report.changed and hashes.calls == 5


def test_reparse_rewrites_and_forgets_the_fingerprint(tmp_path: Path) -> None:
    """A post `reparse` corrects loses its fingerprint (it was of the row before)."""
    from liveblog_cli.reparse import reparse_blog

    db = str(tmp_path / "corrected.db")
    page = _page(_doc(2))
    with Archive(db) as archive:
        archive.save(parse_page(page), raw=page)
        sql_write(db, "UPDATE blocks SET content_hash = 'stale' WHERE id = 'block-1'")
        sql_write(db, "UPDATE blocks SET text = 'what an old parser read' WHERE id = 'block-1'")
    with Archive(db) as archive:
        report = reparse_blog(archive, PAGE_ID)
    assert [c.block_id for c in report.corrections] == ["block-1"]
    marks = _marks(db)
    assert marks["block-1"] is None and marks["block-2"] is not None
    assert sql(db, "SELECT text FROM blocks WHERE id = 'block-1'") == [
        ("Post number 1 says something.",)
    ]


def test_a_merged_post_has_no_source() -> None:
    """Two sightings folded into one post: no single source says all of it."""
    from liveblog_cli.model import merge_blocks

    a, b = Block("x", text="short", source={"id": "x"}), Block("x", text="longer text")
    assert merge_blocks([a, b])[0].source is None
    assert Block("y", source={"id": "y"}) == Block("y")  # not part of what a post is


def _before_018(db: str) -> None:
    """The archive as liveblog left it before migration 018: no fingerprint column."""
    old_index = (
        "CREATE INDEX blocks_state ON blocks (blog_id, id, content_hash, revision, deleted_at, "
        "richness, source_format, edits)"
    )
    sql_write(db, "DROP INDEX blocks_state")
    sql_write(db, "ALTER TABLE blocks DROP COLUMN fingerprint")
    sql_write(db, old_index)
    if db.startswith("postgresql://"):
        sql_write(db, "DELETE FROM liveblog_migrations WHERE name = '018_post_fingerprint'")
    else:
        sql_write(db, "DELETE FROM _sqlite_migrations WHERE name = '018_post_fingerprint'")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_archive_from_before_018_compares_in_full_then_fingerprints(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _archive(engine, tmp_path, "before")
    page = _page(_doc())
    with Archive(db) as archive:
        archive.save(parse_page(page), raw=page)
    _before_018(db)
    assert "fingerprint" not in [c.lower() for c in _columns(db)]
    hashes = _Hashes(monkeypatch)
    with Archive(db) as archive:  # upgraded on open: the column, every old row NULL
        assert set(_marks(db).values()) == {None}
        report = archive.save(parse_page(page), raw=page)
        assert not report.changed and report.unchanged == 5 and hashes.calls == 5
        assert None not in _marks(db).values()
        hashes.calls = 0
        archive.save(parse_page(page), raw=page)
    assert hashes.calls == 0
    assert [r[1:] for r in _revisions(db)] == [(1, "first")] * 5
    if engine == "sqlite":
        plan = sql(db, "EXPLAIN QUERY PLAN SELECT fingerprint FROM blocks WHERE blog_id = 'x'")
        assert any("COVERING INDEX blocks_state" in step[3] for step in plan), plan


def _columns(db: str) -> list[str]:
    if db.startswith("postgresql://"):
        rows = sql(
            db,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'blocks' AND table_schema = current_schema()",
        )
    else:
        rows = [(r[1],) for r in sql(db, "PRAGMA table_info(blocks)")]
    return [r[0] for r in rows]


def test_a_copy_keeps_the_fingerprints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive copied to another (here SQLite to SQLite) keeps each post's fingerprint:
    the copy's next save of the same page is decided by them."""
    from liveblog_cli.archive.copying import copy_archive

    source, target = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    page = _page(_doc())
    with Archive(source) as archive:
        archive.save(parse_page(page), raw=page)
    with Archive(source) as a, Archive(target) as b:
        copy_archive(a, b)
    assert _marks(target) == _marks(source)
    hashes = _Hashes(monkeypatch)
    with Archive(target) as archive:
        report = archive.save(parse_page(page), raw=page)
    assert not report.changed and hashes.calls == 0
