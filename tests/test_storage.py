"""How the archive keeps its bytes: a post's content once per revision, compressed where it is
not queried; pages as zstd deltas against a reference; an older archive migrated in place,
losing nothing. Real SQLite files (or PostgreSQL archives under `make test-postgres`), real
pages."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import zlib
from pathlib import Path

import pytest
from conftest import archive_db, columns, corpus_file, sql, sqlite_only
from helpers import make_block, make_blog
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.archive import Archive
from liveblog_cli.archive.packing import block_dict, body_of
from liveblog_cli.model import Block, Element

POLITICS = "guardian/politics-live-2023-12-13.dcr.json"

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(
    title=st.none() | text,
    body=text,
    authors=st.lists(text, max_size=3),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    elements=st.lists(
        st.builds(
            Element,
            kind=st.sampled_from(["text", "image", "tweet", "unknown"]),
            text=st.none() | text,
            html=st.none() | text,
            url=st.none() | text,
            extra=st.dictionaries(text, text | st.integers(), max_size=2),
        ),
        max_size=3,
    ),
)
@settings(max_examples=150, deadline=None)
def test_a_post_reads_back_exactly_as_it_was_stored(
    title: str | None,
    body: str,
    authors: list[str],
    flags: tuple[bool, bool, bool],
    elements: list[Element],
) -> None:
    block = Block(
        id="b1",
        title=title,
        key_event=flags[0],
        pinned=flags[1],
        summary=flags[2],
        authors=authors,
        elements=elements,
        text=body,
        html=None if not body else f"<p>{body}</p>",
    )
    data = block.to_dict()
    assert block_dict("b1", title, body, body_of(data)) == data
    assert list(block_dict("b1", title, body, body_of(data))) == list(data)


@given(
    blog_ids=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3, unique=True),
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True),
    title=st.none() | st.text(max_size=20),
    body=st.text(max_size=30),
)
@settings(max_examples=60, deadline=None)
def test_export_lines_equal_the_posts_whatever_their_ids_and_text(
    tmp_path_factory: pytest.TempPathFactory,
    blog_ids: list[str],
    ids: list[str],
    title: str | None,
    body: str,
) -> None:
    """The export's fast lines (pieces quoted by SQLite, by liveblog, or kept as stored)
    read back as the same posts as the dicts, whatever a publisher put in an id, a title or
    a text: quotes, backslashes, controls; deleted posts too."""
    db = tmp_path_factory.mktemp("lines") / "a.db"
    with Archive(db) as archive:
        for blog_id in blog_ids:
            blocks = [make_block(1, title=title, text=body)]
            blocks += [Block(id=ident, title=title, text=body) for ident in ids]
            archive.save(make_blog(blocks, blog_id=blog_id))
            archive.save(make_blog(blocks[1:], blog_id=blog_id), complete=True)
        lines = list(archive.blocks_jsonl(None))
        rows = list(archive.blocks(None))
    assert [json.loads(line) for line in lines] == rows
    assert any(r["deleted_at"] for r in rows)


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="Linux pipes")
def test_export_into_a_pipe_widens_it_and_writes_the_same_lines(tmp_path: Path) -> None:
    """`liveblog export | jq`: the export asks for a 1 MiB pipe (fewer wake-ups of reader and
    writer per gigabyte), and what comes through the pipe is what a file gets."""
    import fcntl
    import subprocess

    from conftest import CLI, _cli_env

    from liveblog_cli.output import PIPE_BYTES

    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(make_blog([make_block(n, text=f"Post {n} \u2014 text.") for n in range(300)]))
    args = [*CLI, "export", "--all", "--format", "jsonl", "--db", str(db)]
    proc = subprocess.Popen(args, env=_cli_env(None), stdout=subprocess.PIPE)
    assert proc.stdout is not None
    piped = proc.stdout.read()
    assert proc.wait(timeout=60) == 0
    size = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ)
    proc.stdout.close()
    with (tmp_path / "out.jsonl").open("wb") as file:
        subprocess.run(args, env=_cli_env(None), stdout=file, check=True, timeout=60)
    assert piped == (tmp_path / "out.jsonl").read_bytes()
    assert len(piped.splitlines()) == 300
    assert size >= min(PIPE_BYTES, int(Path("/proc/sys/fs/pipe-max-size").read_text()))


def test_each_revision_is_kept_once_and_reads_back_whole(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "a")
    first = make_block(1, text="The first text of the post.")
    second = make_block(1, text="The second text, after an edit.")
    with Archive(db) as archive:
        archive.save(make_blog([first, make_block(2)]))
        archive.save(make_blog([second, make_block(2)]))
        revisions = archive.revisions("test/live/2024/may/01/blog", "b0001")
        exported = [json.loads(line) for line in archive.blocks_jsonl(None)]
        as_dicts = list(archive.blocks(None))
    assert [r["data"] for r in revisions] == [first.to_dict(), second.to_dict()]
    assert exported == as_dicts  # the fast lines and the dicts are the same posts
    # The current text once, in the post's row; the earlier one once, in its revision's.
    stored = sql(
        db, "SELECT revision, text FROM block_revisions WHERE block_id = 'b0001' ORDER BY 1"
    )
    assert stored == [(1, "The first text of the post."), (2, None)]
    assert sql(db, "SELECT text FROM blocks WHERE id = 'b0001'") == [
        ("The second text, after an edit.",)
    ]
    kept = set(columns(db, "blocks"))
    assert "html" not in kept and "elements" not in kept and "body" in kept


def test_pages_of_one_blog_are_kept_as_deltas_and_read_back_exactly(tmp_path: Path) -> None:
    doc = json.loads(corpus_file(POLITICS).read_bytes())
    pages = []
    for n in range(6):  # a poll a time, one post edited each time
        doc["blocks"][n]["elements"][0]["html"] += f"<p>Update {n}.</p>"
        pages.append(json.dumps(doc).encode())
    db = archive_db(tmp_path, "a")
    from liveblog_cli.archive import FetchInfo
    from liveblog_cli.parse import parse_page

    with Archive(db) as archive:
        for page in pages:
            archive.save(parse_page(page), fetch=FetchInfo(url="https://x/politics"), raw=page)
        for page in pages:
            assert archive.snapshot(hashlib.sha256(page).hexdigest()) == page
    codec_of = dict(sql(db, "SELECT hash, codec FROM snapshots"))
    codecs = [codec_of[hashlib.sha256(page).hexdigest()] for page in pages]  # in poll order
    ((sizes,),) = sql(db, "SELECT sum(length(compressed)) FROM snapshots")
    assert codecs[0] == "zstd" and set(codecs[1:]) == {"zstd-ref"}
    zlib_each = sum(len(zlib.compress(p, 6)) for p in pages)
    assert sizes * 3 < zlib_each  # (make bench measures the ratio on 100 polls)


def test_a_reference_page_is_read_once_by_the_polls_that_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `follow` opened on an existing archive decompresses its blog's reference page once,
    not once a poll."""
    from liveblog_cli.archive import FetchInfo
    from liveblog_cli.archive.packing import Packer
    from liveblog_cli.parse import parse_page

    doc = json.loads(corpus_file(POLITICS).read_bytes())
    pages = []
    for n in range(6):
        doc["blocks"][n]["elements"][0]["html"] += f"<p>Update {n}.</p>"
        pages.append(json.dumps(doc).encode())
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(parse_page(pages[0]), fetch=FetchInfo(url="https://x/politics"), raw=pages[0])
    read: list[str] = []
    unpack = Packer.unpack_page
    monkeypatch.setattr(
        Packer, "unpack_page", lambda self, codec, *a: read.append(codec) or unpack(self, codec, *a)
    )
    with Archive(db) as archive:
        for page in pages[1:]:
            archive.save(parse_page(page), fetch=FetchInfo(url="https://x/politics"), raw=page)
    assert read == ["zstd"]


def test_an_archive_from_before_migrates_in_place_losing_nothing(tmp_path: Path) -> None:
    """An archive as version 0.1 left it (content in blocks' html/elements and in every
    revision's JSON, zlib pages) opens, moves to the new layout, and says the same."""
    from sqlite_utils import Database

    from liveblog_cli.archive.schema import migrations

    db = archive_db(tmp_path, "old")
    sqlite_only(db)  # an old SQLite file's migrations
    old = Database(db)
    migrations().apply(old, stop_before="009_compact_storage")
    blog = "test/live/2024/may/01/blog"
    posts = [make_block(1, text="Edited later."), make_block(2)]
    edited = make_block(1, text="Edited now, with an image.")
    edited.elements.append(Element("image", url="https://m.example/1.jpg", caption="A ship"))
    old.execute(
        "INSERT INTO blogs (id, url, title, source_format) VALUES (?, ?, 'A blog', 'test')",
        [blog, f"https://news.example.org/{blog}"],
    )
    page = b'{"a page": true}'
    old.execute(
        "INSERT INTO snapshots (hash, size, compressed, first_seen_at) VALUES (?, ?, ?, ?)",
        ["h" * 64, len(page), zlib.compress(page), "2024-05-01T09:00:00Z"],
    )
    current = {1: edited, 2: posts[1]}
    for n, block in current.items():
        data = block.to_dict()
        old.execute(
            "INSERT INTO blocks (blog_id, id, title, created_at, published_at, updated_at, "
            "key_event, pinned, summary, authors, text, html, elements, content_hash, revision, "
            "edits, richness, source_format, first_seen_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                blog,
                block.id,
                data["title"],
                data["created_at"],
                data["published_at"],
                data["updated_at"],
                0,
                0,
                0,
                "[]",
                data["text"],
                data["html"],
                json.dumps(data["elements"]),
                "c" * 64,
                2 if n == 1 else 1,
                1 if n == 1 else 0,
                1,
                "test",
                "2024-05-01T09:00:00Z",
            ],
        )
    for block, revision in ((posts[0], 1), (edited, 2), (posts[1], 1)):
        old.execute(
            "INSERT INTO block_revisions (blog_id, block_id, revision, content_hash, seen_at, "
            "data, cause) VALUES (?,?,?,?,?,?,?)",
            [
                blog,
                block.id,
                revision,
                "c" * 64,
                "2024-05-01T09:00:00Z",
                json.dumps(block.to_dict()),
                "first" if revision == 1 else "edit",
            ],
        )
    old.conn.commit()
    old.close()
    with Archive(db) as archive:
        revisions = archive.revisions(blog, "b0001")
        posts_now = {b["id"]: b for b in archive.blocks(blog)}
        assert archive.snapshot("h" * 64) == page
    assert [r["data"] for r in revisions] == [posts[0].to_dict(), edited.to_dict()]
    assert {k: posts_now["b0001"][k] for k in edited.to_dict()} == edited.to_dict()
    assert {k: posts_now["b0002"][k] for k in posts[1].to_dict()} == posts[1].to_dict()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT DISTINCT length(content_hash) FROM blocks").fetchall() == [
            (16,)
        ]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        edits = conn.execute("SELECT text_before, text_after FROM edits").fetchall()
    assert edits == [("Edited later.", "Edited now, with an image.")]


def test_a_search_within_one_blog_is_not_crowded_out_by_other_blogs(tmp_path: Path) -> None:
    """The blog is part of the index query: a blog whose matches are older than thousands
    of another blog's still has all of them found, and `list` counts from the blogs' rows."""
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        archive.save(
            make_blog(
                [make_block(n, text=f"Harbour note {n}.") for n in range(5)],
                blog_id="news/live/small",
            )
        )
        archive.save(
            make_blog(
                [make_block(n, text=f"Harbour crowd {n}.") for n in range(3000)],
                blog_id="news/live/big",
            )
        )
        archive.save(
            make_blog(
                [make_block(n, text=f"Harbour note {n}.") for n in range(4)],
                blog_id="news/live/small",
            )
        )  # one post gone
        small = archive.search("harbour", blog_id="news/live/small", limit=50)
        everywhere = archive.search("harbour", limit=20)
        listed = {b["id"]: b for b in archive.list_blogs()}
    assert sorted(h["id"] for h in small) == [f"b{n:04d}" for n in range(5)]
    assert all(h["blog_id"] == "news/live/small" for h in small)
    assert len(everywhere) == 20 and all("\x02" in h["snippet"] for h in everywhere)
    assert (listed["news/live/small"]["blocks"], listed["news/live/small"]["deleted"]) == (4, 1)
    assert listed["news/live/big"]["blocks"] == 3000 and listed["news/live/big"]["key_events"] == 0
    assert listed["news/live/small"]["last_changed_at"] is not None


def test_search_ranks_the_recent_matches_best_first(tmp_path: Path) -> None:
    """Among the most recent matches, BM25's order: more of the words in a shorter post
    first; a post that matches only by an excluded word is not found; title matches count."""
    filler = " ".join(["council", "budget", "meeting"] * 20)
    posts = [
        make_block(1, text=f"Rwanda once. {filler}"),
        make_block(2, text="Rwanda Rwanda Rwanda bill: the Rwanda vote."),
        make_block(3, title="Rwanda", text="The bill passes."),
        make_block(4, text=f"Nothing here. {filler}"),
        make_block(5, text="Rwanda plan, Sunak says."),
    ]
    with Archive(archive_db(tmp_path, "a")) as archive:
        archive.save(make_blog(posts))
        order = [h["id"] for h in archive.search("rwanda", limit=10)]
        without = [h["id"] for h in archive.search("rwanda -sunak", limit=10)]
        both = [h["id"] for h in archive.search("rwanda sunak", limit=10)]
    assert order[0] == "b0002" and order[-1] == "b0001"
    assert set(order) == {"b0001", "b0002", "b0003", "b0005"}
    assert "b0005" not in without and len(without) == 3
    assert both == ["b0005"]


def _archive_before_009(db: str, posts: int, *, edited_every: int = 5) -> dict[str, list[Block]]:
    """An SQLite archive as liveblog left it before migration 009 (content in blocks'
    html/elements and in every revision's JSON): `posts` posts in two blogs, every
    `edited_every`th edited once. Each post's versions, oldest first, by id."""
    from sqlite_utils import Database

    from liveblog_cli.archive.schema import migrations

    old = Database(db)
    migrations().apply(old, stop_before="009_compact_storage")
    old.execute("BEGIN")
    versions: dict[str, list[Block]] = {}
    blogs = ("test/live/2024/may/01/one", "test/live/2024/may/01/two")
    for blog in blogs:
        old.execute(
            "INSERT INTO blogs (id, url, title, source_format) VALUES (?, ?, 'A blog', 'test')",
            [blog, f"https://news.example.org/{blog}"],
        )
    for n in range(posts):
        blog = blogs[n % 2]
        words = " ".join(f"word{(n * 7 + k) % 97}" for k in range(60))
        first = make_block(n, text=f"Post {n} first says {words}.")
        # As a real post's: its html and typed elements several times its text's size.
        first.html = "".join(f'<p class="para" data-n="{k}">{words}</p>' for k in range(4))
        first.elements *= 4
        chain = [first]
        if n % edited_every == 0:
            later = make_block(n, text=f"Post {n} now says {words}.")
            later.html = first.html + "<p>Update.</p>"
            later.elements = [*first.elements, Element("image", url=f"https://m.example/{n}")]
            chain.append(later)
        versions[f"{blog}/{first.id}"] = chain
        data = chain[-1].to_dict()
        old.execute(
            "INSERT INTO blocks (blog_id, id, title, created_at, published_at, updated_at, "
            "key_event, pinned, summary, authors, text, html, elements, content_hash, revision, "
            "edits, richness, source_format, first_seen_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                blog,
                first.id,
                data["title"],
                data["created_at"],
                data["published_at"],
                data["updated_at"],
                0,
                0,
                0,
                "[]",
                data["text"],
                data["html"],
                json.dumps(data["elements"]),
                f"{n:064x}",
                len(chain),
                len(chain) - 1,
                1,
                "test",
                "2024-05-01T09:00:00Z",
            ],
        )
        for revision, block in enumerate(chain, 1):
            old.execute(
                "INSERT INTO block_revisions (blog_id, block_id, revision, content_hash, "
                "seen_at, data, cause) VALUES (?,?,?,?,?,?,?)",
                [
                    blog,
                    block.id,
                    revision,
                    f"{n:063x}{revision}",
                    "2024-05-01T09:00:00Z",
                    json.dumps(block.to_dict()),
                    "first" if revision == 1 else "edit",
                ],
            )
    old.execute("COMMIT")
    old.close()
    return versions


def _copy(source: str | Path, target: str | Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def _holds_exactly(archive: Archive, versions: dict[str, list[Block]]) -> None:
    """Every post as it stands, and every revision of it, as the versions say."""
    seen = 0
    for blog in ("test/live/2024/may/01/one", "test/live/2024/may/01/two"):
        for post in archive.blocks(blog):
            chain = versions[f"{blog}/{post['id']}"]
            want = chain[-1].to_dict()
            assert {k: post[k] for k in want} == want
            revisions = archive.revisions(blog, post["id"])
            assert [r["data"] for r in revisions] == [b.to_dict() for b in chain]
            seen += 1
    assert seen == len(versions)


def test_an_old_archive_migrates_in_batches_and_is_compacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 009 repacks posts and revisions a batch at a time (memory flat at any size;
    here batches of 50 and a dictionary sample of 300 among 1,200 posts): every post and
    revision comes through, the export is byte for byte the one a single batch gives, and
    the file, left a third empty by the rewrite, is compacted (VACUUM) afterwards."""
    from conftest import run_cli

    from liveblog_cli.archive import batches

    whole = str(tmp_path / "whole.db")
    sqlite_only(whole)
    versions = _archive_before_009(whole, 1200)
    batched = str(tmp_path / "batched.db")
    _copy(whole, batched)
    with Archive(whole):  # one batch, every post a sample (as before batches)
        pass
    monkeypatch.setattr(batches, "BATCH", 50)
    monkeypatch.setattr(batches, "SAMPLE", 300)
    old_size = Path(batched).stat().st_size
    with Archive(batched) as archive:
        _holds_exactly(archive, versions)
    with contextlib.closing(sqlite3.connect(batched)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        pages, free = (
            conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count")
        )
        assert free < pages / 20, (pages, free)
        assert conn.execute("SELECT count(*) FROM dictionaries").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM block_revisions WHERE body IS NULL").fetchone()[
            0
        ] == len(versions)  # the current revision's content is its post's
    assert Path(batched).stat().st_size < old_size / 2
    exports = [run_cli("export", "--all", "--db", db) for db in (whole, batched)]
    assert [e.returncode for e in exports] == [0, 0]
    assert exports[0].stdout == exports[1].stdout
    assert exports[0].stdout.count(b"\n") == len(versions)


def test_sigkill_during_a_migration_leaves_before_or_after(tmp_path: Path) -> None:
    """Kill `liveblog list` while it upgrades a 2,000-post archive from before migration
    009 (the repacking, then the VACUUM): the file is whole every time, and either not
    upgraded at all or upgraded with every post; the next open finishes the work."""
    import random
    import signal
    import time

    from conftest import start_cli

    from liveblog_cli.archive.schema import STEPS, applied

    db = str(tmp_path / "old.db")
    sqlite_only(db)
    versions = _archive_before_009(db, 2000)
    pristine = tmp_path / "pristine.db"
    _copy(db, pristine)
    names = [name for name, _ in STEPS]
    before = names[: names.index("009_compact_storage")]
    # How long an upgrade takes, to aim the kills inside it.
    t0 = time.monotonic()
    start_cli("list", "--db", db, quiet=True).wait(timeout=120)
    span = time.monotonic() - t0
    rng = random.Random(3)
    outcomes = []
    for _ in range(3):
        Path(db).unlink()
        for extra in ("-wal", "-shm"):
            Path(db + extra).unlink(missing_ok=True)
        _copy(pristine, db)
        proc = start_cli("list", "--db", db, quiet=True)
        time.sleep(rng.uniform(0.1, span))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with contextlib.closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            done = applied(conn)
        assert done in (before, names), f"a mix of before and after: {done}"
        outcomes.append(done == names)
        with Archive(db) as archive:  # upgrades what was not, compacts what was not
            _holds_exactly(archive, versions)
    assert not all(outcomes), "a kill should land inside the upgrade at least once"
