"""Proof of robustness: bad input, SIGKILL mid-write, concurrent writers, full and read-only
disks, hostile content. Each test records its row of docs/RELIABILITY.md (see conftest)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RELIABILITY_ROWS, SAMPLES, corpus_file, record, run_cli, start_cli, tmpfs
from liveserver import LiveServer, Reply

from liveblog_cli.archive import Archive
from liveblog_cli.parse import parse_page

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import edited, guardian_dcr

RELIABILITY_ROWS.extend(
    [
        "fuzz",
        "empty",
        "one-byte",
        "binary",
        "50mb",
        "truncated",
        "invalid-utf8",
        "utf16",
        "nested",
        "surrogates",
        "wrong-types",
        "epoch",
        "long-id",
        "same-id",
        "zero-posts",
        "sigkill",
        "concurrent",
        "disk-full",
        "read-only",
        "hostile-terminal",
        "hostile-html",
        "hostile-csv",
        "hostile-path",
    ]
)

SAMPLE = SAMPLES / "guardian-tallships.dcr.json"


def state(db: Path) -> str:
    """A digest of everything the archive holds (timestamps included): equal means unchanged."""
    if not db.exists():
        return "absent"
    # immutable: readable on a read-only filesystem too, and never writes a byte itself.
    with contextlib.closing(sqlite3.connect(f"file:{db}?immutable=1", uri=True)) as conn:
        digest = hashlib.sha256()
        for table in ("blogs", "blocks", "block_revisions", "fetches", "snapshots", "block_seen"):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
        return digest.hexdigest()


@pytest.fixture
def archive_db(tmp_path: Path) -> Path:
    db = tmp_path / "archive.db"
    assert run_cli("parse", str(SAMPLE), "--save", "--db", str(db)).returncode == 0
    return db


def reject(db: Path, tmp_path: Path, payload: bytes, code: int = 65) -> str:
    """Feed a page to `parse --save`: the documented exit code, one line, archive unchanged."""
    page = tmp_path / "page.bin"
    page.write_bytes(payload)
    before = state(db)
    result = run_cli("parse", str(page), "--save", "--db", str(db), timeout=300)
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert err.startswith("liveblog: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and result.stdout == b""
    assert state(db) == before
    return err


# --- the bad-input table -----------------------------------------------------------------------


def test_empty_file(archive_db: Path, tmp_path: Path) -> None:
    assert "empty" in reject(archive_db, tmp_path, b"")
    record("empty", "empty file", 1, "exit 65, one line, archive unchanged")


def test_single_byte(archive_db: Path, tmp_path: Path) -> None:
    for byte in (b"<", b"{", b"\x00", b"a", b"\xff"):
        reject(archive_db, tmp_path, byte)
    record(
        "one-byte",
        "a single byte (`<`, `{`, NUL, `a`, 0xFF)",
        5,
        "exit 65, one line, archive unchanged",
    )


def test_binary_files(archive_db: Path, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
    for payload in (png, gzip.compress(SAMPLE.read_bytes()), os.urandom(4096)):
        assert "binary" in reject(archive_db, tmp_path, payload)
    record(
        "binary",
        "binary input: PNG, gzip, random bytes",
        3,
        "exit 65 (`binary input`), archive unchanged",
    )


def test_a_50_mb_page(archive_db: Path, tmp_path: Path) -> None:
    para = b"<p>" + b"A paragraph of an enormous page that is not a live blog at all. " * 20
    body = para * (50 * 1024 * 1024 // len(para) + 1)
    page = b"<html><head><title>Big</title></head><body>" + body + b"</body></html>"
    assert len(page) >= 50 * 1024 * 1024
    reject(archive_db, tmp_path, page)
    # And 50 MB that is a live blog: it parses.
    doc = guardian_dcr(100)
    doc["blocks"][0]["elements"][0]["html"] = "<p>" + "x" * (50 * 1024 * 1024) + "</p>"
    blog = parse_page(json.dumps(doc).encode())
    assert len(blog.blocks) == 100
    record(
        "50mb",
        "a 50 MB page (not a live blog; and a 50 MB live blog)",
        2,
        "exit 65 for the first, 100 blocks for the second",
    )


def test_truncated_at_every_percent(tmp_path: Path) -> None:
    """Truncations are run in-process (a hundred CLI start-ups would only test start-up);
    a sample of them goes through the CLI with --save."""
    pages = [SAMPLE.read_bytes(), (SAMPLES / "guardian-lunar-lander.html").read_bytes()]
    with contextlib.suppress(pytest.skip.Exception):
        pages.append(corpus_file("scraped/seed-kherson-scraped.txt").read_bytes())
    cases = 0
    from liveblog_cli.errors import ParseError

    for page in pages:
        for percent in range(100):
            cut = page[: len(page) * percent // 100]
            try:
                blog = parse_page(cut)
            except ParseError as exc:
                assert "\n" not in str(exc)
            else:
                assert blog.blocks
            cases += 1
    db = tmp_path / "a.db"
    run_cli("parse", str(SAMPLE), "--save", "--db", str(db))
    for percent in (1, 33, 50, 99):
        reject(db, tmp_path, SAMPLE.read_bytes()[: len(SAMPLE.read_bytes()) * percent // 100])
    record(
        "truncated",
        "pages truncated at every 1% of their length",
        cases + 4,
        "a parse or exit 65 with one line; never a traceback; archive unchanged",
    )


def test_invalid_utf8_is_read_with_replacement(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes().replace(b"Kittiwake", b"Kitti\xff\xfewake")
    result = run_cli("parse", "-", stdin=data)
    assert result.returncode == 0
    assert "Kitti\ufffd\ufffdwake" in result.stdout.decode()
    record(
        "invalid-utf8", "invalid UTF-8 bytes inside a page", 1, "parsed; bad bytes become U+FFFD"
    )


def test_utf16_page(tmp_path: Path) -> None:
    html = (SAMPLES / "guardian-lunar-lander.html").read_text()
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):
        result = run_cli("parse", "-", "-f", "jsonl", stdin=html.encode(codec))
        assert result.returncode == 0, codec
        assert len(result.stdout.splitlines()) == 4
    record("utf16", "a UTF-16 page (with BOM, and LE/BE without)", 3, "parsed, 4 blocks each")


def test_deeply_nested_html(archive_db: Path, tmp_path: Path) -> None:
    depth = 100_000
    page = (
        b"<html><body>" + b"<div>" * depth + b"<p>deep</p>" + b"</div>" * depth + b"</body></html>"
    )
    reject(archive_db, tmp_path, page)
    live = (
        b'<html><head><link rel="canonical" href="https://n.example/live/deep"></head><body>'
        + b"<div>" * depth
        + b"</div>" * depth
        + SAMPLE.read_bytes()[:0]
        + b"</body></html>"
    )
    reject(archive_db, tmp_path, live)
    record("nested", "HTML nested 100,000 levels deep", 2, "exit 65, one line, no crash")


def test_lone_surrogates_in_json(tmp_path: Path) -> None:
    """Half an emoji escaped in JSON (`\\ud83d`) decodes to a string no UTF-8 writer takes."""
    doc = json.loads(SAMPLE.read_text())
    doc["blocks"][0]["title"] = "half \ud83d emoji"
    doc["blocks"][0]["elements"][0]["html"] = "<p>broken \udc00 tail</p>"
    text = json.dumps(doc)  # ensure_ascii: the surrogates travel as \ud83d escapes
    assert "\\ud83d" in text
    page = tmp_path / "s.json"
    page.write_text(text)
    db = tmp_path / "a.db"
    result = run_cli("parse", str(page), "--save", "--db", str(db), "-f", "jsonl")
    assert result.returncode == 0, result.stderr
    assert "half \ufffd emoji" in result.stdout.decode()
    shown = run_cli("show", "uk-news", "--db", str(db), env={"COLUMNS": "200"})
    assert shown.returncode == 0 and "half \ufffd emoji" in shown.stdout.decode()
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "LiveBlogPosting",
            "url": "https://n.example/live/s",
            "headline": "h\ud800",
            "liveBlogUpdate": [
                {
                    "@type": "BlogPosting",
                    "headline": "x\udfff",
                    "articleBody": "body",
                    "url": "https://n.example/#a",
                }
            ],
        }
    )
    blog = parse_page(f'<script type="application/ld+json">{ld}</script>'.encode())
    assert blog.title == "h\ufffd" and blog.blocks[0].title == "x\ufffd"
    record(
        "surrogates",
        "lone UTF-16 surrogates escaped in Guardian JSON and JSON-LD",
        2,
        "replaced by U+FFFD; parsed, saved and shown",
    )


def _wrong(value: object) -> list[object]:
    return [None, 7, -1.5, True, "text", [], {}, ["x"], {"a": 1}, 10**30]


def _paths(doc: object, prefix: tuple = ()) -> Iterator[tuple]:  # type: ignore[type-arg]
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list) and doc:
        yield (*prefix, 0)
        yield from _paths(doc[0], (*prefix, 0))


def test_wrong_types_in_every_field_the_parsers_read(tmp_path: Path) -> None:
    from liveblog_cli.errors import ParseError

    base = json.loads(SAMPLE.read_text())
    cases = 0
    for path in list(_paths(base)):
        for bad in _wrong(None):
            doc = json.loads(json.dumps(base))
            target = doc
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = bad
            try:
                blog = parse_page(json.dumps(doc).encode())
            except ParseError:
                pass
            else:
                blog.to_dict()
            cases += 1
    assert cases > 800
    db = tmp_path / "a.db"
    run_cli("parse", str(SAMPLE), "--save", "--db", str(db))
    reject(db, tmp_path, json.dumps({**base, "blocks": "not a list", "keyEvents": 3}).encode())
    record(
        "wrong-types",
        "Guardian JSON with each field it reads set to each wrong type",
        cases,
        "a parse or ParseError; never a crash",
    )


def test_epoch_times_out_of_range() -> None:
    doc = json.loads(SAMPLE.read_text())
    for i, value in enumerate((10**30, -(10**30), 2**63, float("inf"), -1)):
        doc["blocks"][i % len(doc["blocks"])]["blockFirstPublished"] = value
    text = json.dumps(doc).replace("Infinity", "1e400")
    blog = parse_page(text.encode())
    assert len(blog.blocks) == 6
    assert all(
        d["published_at"] is None or d["published_at"].endswith("Z")
        for d in (b.to_dict() for b in blog.blocks)
    )
    record(
        "epoch",
        "epoch milliseconds out of range (±1e30, 2^63, 1e400)",
        5,
        "time left empty; the block is kept",
    )


def test_a_block_id_of_10_mb(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    doc["blocks"][0]["id"] = "x" * (10 * 1024 * 1024)
    page = tmp_path / "long.json"
    page.write_text(json.dumps(doc))
    db = tmp_path / "a.db"
    result = run_cli("parse", str(page), "--save", "--db", str(db), "-f", "jsonl")
    assert result.returncode == 0
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert max(len(i) for i in ids) <= 256 and len(ids) == 6
    again = run_cli("parse", str(page), "--save", "--db", str(db))
    assert b"+0 new, 0 edited" in again.stderr  # the hashed id is stable
    record("long-id", "a block id of 10 MB", 1, "replaced by a stable hash; saved once")


def test_10000_blocks_with_the_same_id(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    doc["blocks"] = [dict(doc["blocks"][0]) for _ in range(10_000)]
    doc["keyEvents"], doc["pinnedPost"] = [], None
    page = tmp_path / "same.json"
    page.write_text(json.dumps(doc))
    db = tmp_path / "a.db"
    result = run_cli("parse", str(page), "--save", "--db", str(db), "-f", "jsonl")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM blocks").fetchone() == (1,)
    record("same-id", "10,000 blocks with the same id", 10_000, "one block, one row")


def test_a_live_blog_of_zero_posts(archive_db: Path, tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    doc.update(blocks=[], keyEvents=[], pinnedPost=None)
    assert "no posts" in reject(archive_db, tmp_path, json.dumps(doc).encode())
    record("zero-posts", "a live blog of zero posts", 1, "exit 65 (`no posts`), archive unchanged")


# --- crash safety ----------------------------------------------------------------------------

KILLS = 50


def _logical(db: Path) -> tuple:  # type: ignore[type-arg]
    """What a fetch changes, without its timestamps: blocks, revisions, fetch and page counts."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        blocks = tuple(
            conn.execute(
                "SELECT blog_id, id, content_hash, revision, deleted_at IS NULL FROM blocks "
                "ORDER BY 1, 2"
            )
        )
        counts = tuple(
            conn.execute(
                "SELECT (SELECT count(*) FROM block_revisions), (SELECT count(*) FROM fetches), "
                "(SELECT count(*) FROM snapshots)"
            ).fetchone()
        )
        return blocks, counts


def test_sigkill_mid_fetch_leaves_before_or_after(tmp_path: Path) -> None:
    """Kill `liveblog fetch` at random moments while it writes a 3,000-block blog, 50 times:
    the archive is always whole, and equals the state before or after that fetch."""
    base = guardian_dcr(3000, seed=7)
    versions = [json.dumps(edited(base, 0.3, seed=n)).encode() for n in range(KILLS + 2)]
    rng = random.Random(1)
    survived = interrupted = lost = 0
    with LiveServer() as server:
        db = tmp_path / "a.db"
        url = server.url("/world/live/2026/jan/01/benchmark-live")
        server.routes["/world/live/2026/jan/01/benchmark-live"] = Reply(200, versions[0])
        assert run_cli("fetch", url, "--db", str(db), "--delay", "0").returncode == 0
        # How long a full fetch of a new version takes, to aim the kills inside it.
        t0 = time.monotonic()
        server.routes["/world/live/2026/jan/01/benchmark-live"] = Reply(200, versions[1])
        assert run_cli("fetch", url, "--db", str(db), "--delay", "0").returncode == 0
        span = time.monotonic() - t0
        for n in range(2, KILLS + 2):
            before = _logical(db)
            body = versions[n]
            server.routes["/world/live/2026/jan/01/benchmark-live"] = Reply(200, body)
            # The state before, kept: a completed fetch is that plus the same save.
            copy = tmp_path / "before.db"
            copy.unlink(missing_ok=True)
            with (
                contextlib.closing(sqlite3.connect(db)) as src,
                contextlib.closing(sqlite3.connect(copy)) as dst,
            ):
                src.backup(dst)
            proc = start_cli("fetch", url, "--db", str(db), "--delay", "0", "--quiet", quiet=True)
            time.sleep(rng.uniform(0.2, span))
            killed = proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            now = _logical(db)
            if now != before:
                # Not the state before: it must be, exactly, the state a completed fetch
                # leaves (made on the copy, only when it is needed).
                with Archive(copy) as archive:
                    from liveblog_cli.archive import FetchInfo

                    # Parsed where the fetch parsed it: under its URL (a 127.0.0.1 page).
                    archive.save(parse_page(body, url), fetch=FetchInfo(url=url), raw=body)
                assert now == _logical(copy), f"run {n}: a mix of before and after"
            interrupted += killed and now == before
            lost += len({r[:2] for r in before[0]} - {r[:2] for r in now[0]})
            survived += 1
    assert lost == 0 and survived == KILLS
    assert interrupted >= 5, "the kills should land inside the write at least sometimes"
    record(
        "sigkill",
        f"SIGKILL at random points of `liveblog fetch` writing a 3,000-block blog "
        f"({interrupted} killed before commit)",
        survived,
        "integrity_check ok every time; state before or after, never a mix; 0 blocks lost",
    )


# --- concurrency -----------------------------------------------------------------------------


def test_eight_processes_fetching_eight_blogs_into_one_archive(tmp_path: Path) -> None:
    rounds, writers = 3, 8
    with LiveServer() as server:
        paths = []
        for n in range(writers):
            doc = guardian_dcr(300, seed=n)
            doc["pageId"] = f"world/live/2026/jan/01/blog-{n}"
            doc["canonicalUrl"] = f"https://www.theguardian.com/{doc['pageId']}"
            paths.append(f"/blog/{n}")
            server.routes[paths[-1]] = Reply(200, json.dumps(doc).encode())
        db = tmp_path / "a.db"
        for round_ in range(rounds):
            procs = [
                start_cli(
                    "fetch",
                    server.url(p),
                    "--db",
                    str(db),
                    "--delay",
                    "0",
                    "--wait",
                    "120",
                    "--quiet",
                )
                for p in paths
            ]
            for proc in procs:
                _out, err = proc.communicate(timeout=300)
                assert proc.returncode == 0, err.decode()
                assert b"Traceback" not in err and b"locked" not in err
            for path in paths:  # the next round edits every blog
                doc = json.loads(server.routes[path].body)  # type: ignore[union-attr]
                server.routes[path] = Reply(200, json.dumps(edited(doc, 0.1, seed=round_)).encode())
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute(
            "SELECT count(*), count(DISTINCT blog_id || '/' || id) FROM blocks"
        ).fetchone() == (writers * 300, writers * 300)
        assert conn.execute("SELECT count(DISTINCT blog_id) FROM blocks").fetchone() == (writers,)
    record(
        "concurrent",
        f"{writers} `liveblog fetch` processes on one archive at once, {rounds} rounds",
        writers * rounds,
        "all exit 0; no block lost or duplicated; no `database is locked`",
    )


# --- full and read-only disks ------------------------------------------------------------------


def test_disk_full_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "2m") as disk:
        db = disk / "a.db"
        assert run_cli("parse", str(SAMPLE), "--save", "--db", str(db)).returncode == 0
        before = state(db)
        filler = disk / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as f:
            while True:
                f.write(b"\0" * 65536)
        big = tmp_path / "big.json"
        big.write_text(json.dumps(guardian_dcr(800)))
        result = run_cli("parse", str(big), "--save", "--db", str(db))
        err = result.stderr.decode()
        assert result.returncode == 74, err
        assert "full" in err and err.count("\n") == 1 and "Traceback" not in err
        filler.unlink()
        assert state(db) == before
    record(
        "disk-full",
        "saving a blog onto a full disk",
        1,
        "exit 74 (`disk full, nothing was written`), archive unchanged",
    )


def test_read_only_archive_is_a_clear_error(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "4m") as disk:
        db = disk / "a.db"
        assert run_cli("parse", str(SAMPLE), "--save", "--db", str(db)).returncode == 0
        before = state(db)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = run_cli(
            "parse", str(SAMPLES / "guardian-tallships-page2.dcr.json"), "--save", "--db", str(db)
        )
        err = result.stderr.decode()
        assert result.returncode == 74, err
        assert err.count("\n") == 1 and "Traceback" not in err
        fetched = run_cli("fetch", "http://127.0.0.1:9/x", "--db", str(db))
        assert fetched.returncode == 74, fetched.stderr
        # Reading still works: an archive on read-only media can be listed and exported.
        listed = run_cli("list", "--json", "--db", str(db))
        assert listed.returncode == 0, listed.stderr
        assert [b["blocks"] for b in json.loads(listed.stdout)] == [6]
        exported = run_cli("export", "--all", "--db", str(db))
        assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 6
        assert state(db) == before
    record(
        "read-only",
        "saving, fetching, listing and exporting with an archive on a read-only filesystem",
        4,
        "writes: exit 74, one line, archive unchanged; reads: work",
    )


# --- hostile content, end to end -----------------------------------------------------------------

EVIL = "[bold red]x[/] \x1b]0;pwned\x07 \x1b[2J \x9b31m"


def _hostile_db(tmp_path: Path) -> Path:
    from liveblog_cli.model import Block, Element, LiveBlog

    block = Block(
        id="evil-1",
        title=EVIL,
        text=f"{EVIL}\n\n=cmd|' /C calc'!A0",
        authors=["@SUM(1+1)", EVIL],
        html='<p onmouseover="x()">hi<script>alert(1)</script>'
        '<a href="javascript:alert(2)">a</a><img src="data:image/png;base64,AAAA" onerror=y()>'
        '<a href="data:text/html,<script>z()</script>">d</a></p>',
        elements=[
            Element("text", text=EVIL, html="<p><script>alert(3)</script></p>"),
            Element("image", url="javascript:alert(4)", caption=EVIL),
            Element("tweet", url="data:text/html,boom", text=EVIL),
        ],
    )
    blog = LiveBlog(
        id="news/live/evil",
        url="https://n.example/news/live/evil",
        title=EVIL,
        publisher=EVIL,
        source_format="test",
        blocks=[block],
    )
    db = tmp_path / "evil.db"
    with Archive(db) as archive:
        archive.save(blog)
        archive.save(
            LiveBlog(
                id="news/live/evil",
                url=blog.url,
                title=EVIL,
                publisher=EVIL,
                source_format="test",
                blocks=[
                    Block(id="evil-1", title=EVIL + "!", text="=1+2 edited", authors=["@SUM(1+1)"])
                ],
            )
        )
    return db


def test_hostile_text_never_drives_the_terminal(tmp_path: Path) -> None:
    db = _hostile_db(tmp_path)
    commands = [
        ["show", "news"],
        ["list"],
        ["search", "edited"],
        ["history", "news", "evil-1"],
        ["show", "news", "--json"],
        ["list", "--json"],
        ["export", "news"],
        ["export", "news", "-f", "md"],
        ["export", "news", "-f", "json"],
    ]
    for args in commands:
        result = run_cli(*args, "--db", str(db), env={"COLUMNS": "200"})
        assert result.returncode == 0, (args, result.stderr)
        out = result.stdout
        for raw in (b"\x1b", b"\x07", b"\xc2\x9b"):
            assert raw not in out, (args, raw)
    show = run_cli("show", "news", "--db", str(db), env={"COLUMNS": "200"}).stdout.decode()
    assert "[bold red]x[/]" in show and "\\x1b]0;pwned\\x07" in show
    record(
        "hostile-terminal",
        "Rich markup, OSC/CSI escapes and C1 controls in every printed "
        "field, through show, list, search, history and every text export",
        len(commands),
        "printed literally or escaped; no raw ESC, BEL or C1 byte on stdout",
    )


def test_hostile_html_export(tmp_path: Path) -> None:
    db = _hostile_db(tmp_path)
    page = run_cli("export", "news", "-f", "html", "--db", str(db)).stdout.decode().lower()
    for bad in ("<script", "onerror", "onmouseover", "javascript:", "data:text", "data:image"):
        assert bad not in page, bad
    atom = run_cli("export", "news", "-f", "atom", "--db", str(db)).stdout.decode().lower()
    for bad in ("&lt;script", "javascript:", "onerror"):
        assert bad not in atom, bad
    record(
        "hostile-html",
        "`<script>`, event handlers, `javascript:` and `data:` URLs in html and atom exports",
        6,
        "none survive sanitizing; strict CSP in the page",
    )


def test_hostile_csv(tmp_path: Path) -> None:
    import csv
    import io

    db = _hostile_db(tmp_path)
    data = run_cli("export", "news", "-f", "csv", "--db", str(db)).stdout.decode()
    cells = [c for row in csv.reader(io.StringIO(data)) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert any(c.startswith("'@SUM") for c in cells)
    record(
        "hostile-csv",
        "formulas (`=`, `+`, `-`, `@`) in csv cells",
        len(cells),
        "every formula-looking cell starts with `'`",
    )


def test_hostile_blog_id_used_as_a_file_name(tmp_path: Path) -> None:
    from liveblog_cli.model import Block, LiveBlog

    db = tmp_path / "a.db"
    with Archive(db) as archive:
        archive.save(
            LiveBlog(
                id="../../etc/passwd",
                title="../../etc/passwd",
                source_format="test",
                blocks=[Block(id="b", text="t")],
            )
        )
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    result = run_cli("export", "../../etc/passwd", "-f", "md", "-o", str(out_dir), "--db", str(db))
    assert result.returncode == 0, result.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".md"]
    assert len(written) == 1 and written[0].parent == out_dir
    assert ".." not in written[0].name and "/" not in written[0].name
    record(
        "hostile-path",
        "a blog id `../../etc/passwd` exported with `--output DIR`",
        1,
        "written inside DIR under a safe name",
    )


def test_zz_every_recorded_row_is_in_the_table() -> None:
    """Runs last in this module: a row a test records but the table does not list would be
    silently left out of docs/RELIABILITY.md."""
    from conftest import RELIABILITY

    assert set(RELIABILITY) <= set(RELIABILITY_ROWS)
    assert len(RELIABILITY_ROWS) == len(set(RELIABILITY_ROWS))
