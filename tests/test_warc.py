"""WARC in and out: every fetch kept as web-archive records, exports to WARC and WACZ that
standard tools read and validate, and imports of captures into per-post history.

Real files throughout: warcio reads what liveblog writes, the `wacz` tool validates it,
and warcio writes what liveblog imports. Fetches go to a real server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import archive_db, corpus_file, run_cli, sql, sql_write
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

warcio = pytest.importorskip("warcio")
from warcio.archiveiterator import ArchiveIterator  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

PATH = "/world/live/2024/may/01/warc-blog"
ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5"]
MARS = "guardian/mars-perseverance-2021-02-19.dcr.json"


def rows(db: str | Path, query: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    return sql(db, query, *params)


def records(path: Path) -> list[object]:
    """Every record of a WARC, read by warcio, with its payload read out."""
    out = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            record.body = record.content_stream().read()  # type: ignore[attr-defined]
            out.append(record)
    return out


@pytest.fixture
def fetched(tmp_path: Path) -> tuple[Path, list[bytes]]:
    """A blog fetched three times: first, after an edit, then a 304. Returns the archive
    and the bodies the server sent with 200."""
    served: list[bytes] = []
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(4, 0, -1)], per_page=50)

    def route(target: str, headers: dict[str, str]) -> Reply:
        reply = blog.route(target, headers)
        if headers.get("if-none-match") != '"' + hashlib.sha1(reply.body).hexdigest()[:16] + '"':
            served.append(reply.body)
        return reply

    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        server.routes[PATH + ".json"] = route
        assert run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV).returncode == 0
        blog.blocks[1] = dcr_block(3, text="Post 3, corrected.")
        assert run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV).returncode == 0
        third = run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, "--json", env=ENV)
        assert json.loads(third.stdout)[0]["not_modified"] is True
    return db, served


def test_fetches_export_as_warc_records_standard_tools_read(
    fetched: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    db, served = fetched
    out = tmp_path / "blog.warc.gz"
    result = run_cli("export", "world/live", "-f", "warc", "-o", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    with gzip.open(out) as unpacked:
        assert unpacked.read(8) == b"WARC/1.1"
    got = records(out)
    kinds = [r.rec_type for r in got]  # type: ignore[attr-defined]
    assert kinds[0] == "warcinfo"
    assert kinds[1:] == [
        "request",
        "response",
        "request",
        "response",
        "request",
        "revisit",
        "metadata",
    ]
    responses = [r for r in got if r.rec_type == "response"]  # type: ignore[attr-defined]
    assert [r.body for r in responses] == served  # type: ignore[attr-defined]
    for record, body in zip(responses, served, strict=True):
        etag = record.http_headers.get_header("ETag")  # type: ignore[attr-defined]
        assert etag == '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # the server's own
        assert record.http_headers.get_header("Last-Modified")  # type: ignore[attr-defined]
        digest = record.rec_headers.get_header("WARC-Payload-Digest")  # type: ignore[attr-defined]
        assert digest == "sha1:" + _base32(hashlib.sha1(body).digest())
    requests = [r for r in got if r.rec_type == "request"]  # type: ignore[attr-defined]
    assert all(r.http_headers.get_header("User-Agent").startswith("liveblog/") for r in requests)  # type: ignore[attr-defined]
    assert requests[2].http_headers.get_header("If-None-Match")  # type: ignore[attr-defined]
    # The 304: a revisit with no block that names the capture it confirmed (the newest 200),
    # so replay shows that page; the 304's own status and headers in a metadata record.
    revisit, notes = got[-2], got[-1]
    confirmed = responses[-1].rec_headers  # type: ignore[attr-defined]
    head = revisit.rec_headers  # type: ignore[attr-defined]
    assert head.get_header("WARC-Profile").endswith("/revisit/server-not-modified")
    assert head.get_header("Content-Length") == "0" and revisit.body == b""  # type: ignore[attr-defined]
    assert head.get_header("WARC-Refers-To") == confirmed.get_header("WARC-Record-ID")
    assert head.get_header("WARC-Refers-To-Target-URI") == confirmed.get_header("WARC-Target-URI")
    assert head.get_header("WARC-Refers-To-Date") == confirmed.get_header("WARC-Date")
    assert head.get_header("WARC-Payload-Digest") == confirmed.get_header("WARC-Payload-Digest")
    assert notes.rec_headers.get_header("WARC-Concurrent-To") == head.get_header("WARC-Record-ID")  # type: ignore[attr-defined]
    assert notes.rec_headers.get_header("Content-Type") == "application/warc-fields"  # type: ignore[attr-defined]
    fields = notes.body.decode().splitlines()  # type: ignore[attr-defined]
    assert fields[0] == "http-status-line: HTTP/1.1 304 Not Modified"
    assert f"http-header: ETag: {requests[2].http_headers.get_header('If-None-Match')}" in fields  # type: ignore[attr-defined]
    dates = [r.rec_headers.get_header("WARC-Date") for r in got[1:]]  # type: ignore[attr-defined]
    assert dates == sorted(dates)
    fetched_at = [r[0] for r in rows(db, "SELECT fetched_at FROM fetches ORDER BY id")]
    assert [d[:19] for d in dates[1:6:2]] == [f[:19] for f in fetched_at]
    assert (out.stat().st_mode & 0o777) == 0o644  # the usual mode, not mkstemp's 0600


def _base32(digest: bytes) -> str:
    import base64

    return base64.b32encode(digest).decode()


def test_wacz_passes_wacz_validate(fetched: tuple[Path, list[bytes]], tmp_path: Path) -> None:
    pytest.importorskip("wacz")
    db, _ = fetched
    out = tmp_path / "blog.wacz"
    result = run_cli("export", "--all", "-f", "wacz", "-o", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        assert {"datapackage.json", "pages/pages.jsonl"} <= names
        assert any(n.startswith("indexes/") for n in names)
        pages = wacz.read("pages/pages.jsonl").decode().splitlines()
    assert len(pages) == 2 and "warc-blog" in pages[1]
    checked = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out)],
        capture_output=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert b"Validation succeeded" in checked.stdout


def _capture(writer: WARCWriter, url: str, body: bytes, date: str) -> None:
    http = StatusAndHeaders(
        "200 OK",
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
        protocol="HTTP/1.1",
    )
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)


def test_two_captures_of_the_mars_blog_give_its_history(tmp_path: Path) -> None:
    page = json.loads(corpus_file(MARS).read_bytes())
    url = page["webURL"] + ".json?dcr=true"
    edited = json.loads(json.dumps(page))
    target = edited["blocks"][2]
    target["elements"][0]["html"] = "<p>Corrected: the rover has landed safely.</p>"
    warc = tmp_path / "mars.warc.gz"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record("mars.warc.gz", {"software": "test"}))
        # Written out of order, in two files: the import orders captures by their dates.
        _capture(writer, url, json.dumps(edited).encode(), "2021-02-19T14:30:00Z")
    other = tmp_path / "mars-early.warc"
    with other.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        _capture(writer, url, json.dumps(page).encode(), "2021-02-19T14:00:00Z")
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/logo.png",
                "resource",
                payload=io.BytesIO(b"\x89PNG..."),
                length=7,
            )
        )
    db = archive_db(tmp_path, "a")
    result = run_cli("import", str(warc), str(other), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["pages"] == 2 and summary["skipped"]["not a live blog page"] == 1
    assert rows(db, "SELECT count(*) FROM blocks") == [(16,)]
    blog = rows(db, "SELECT id FROM blogs")[0][0]
    history = json.loads(run_cli("history", blog, target["id"], "--json", "--db", str(db)).stdout)
    assert [(h["revision"], h["cause"], h["seen_at"]) for h in history] == [
        (1, "import", "2021-02-19T14:00:00Z"),
        (2, "edit", "2021-02-19T14:30:00Z"),
    ]
    assert "Corrected" in history[1]["block"]["text"]
    between = run_cli(
        "export", blog, "--as-of", "2021-02-19T14:15:00Z", "--db", str(db)
    ).stdout.splitlines()
    then = {json.loads(r)["id"]: json.loads(r)["text"] for r in between}
    assert len(then) == 16 and "Corrected" not in then[target["id"]]
    # Imported twice: the same captures cost nothing.
    again = run_cli("import", str(warc), str(other), "--db", str(db), "--json")
    assert json.loads(again.stdout)["pages"] == 0
    assert rows(db, "SELECT count(*) FROM block_revisions") == [(17,)]


def test_a_warc_export_imported_into_an_empty_archive_gives_the_same_record(
    fetched: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    db, _ = fetched
    out = tmp_path / "blog.warc.gz"
    assert run_cli("export", "--all", "-f", "warc", "-o", str(out), "--db", str(db)).returncode == 0
    copy = archive_db(tmp_path, "copy")
    # Imported as it was fetched: with 127.0.0.1 a Guardian host, so its pages earn the pageId.
    result = run_cli("import", str(out), "--db", str(copy), env=ENV)
    assert result.returncode == 0, result.stderr
    query = "SELECT blog_id, block_id, revision, content_hash FROM block_revisions ORDER BY 1, 2, 3"
    assert rows(copy, query) == rows(db, query)
    from liveblog_cli.archive import Archive

    with Archive(db) as first, Archive(copy) as second:
        for blog_id, block_id in rows(db, "SELECT blog_id, id FROM blocks"):
            assert [r["data"] for r in first.revisions(blog_id, block_id)] == [
                r["data"] for r in second.revisions(blog_id, block_id)
            ]
    blocks = (
        "SELECT blog_id, id, content_hash, revision, edits, deleted_at FROM blocks ORDER BY 1, 2"
    )
    assert rows(copy, blocks) == rows(db, blocks)
    # And the copy exports its captures again: the same responses, byte for byte.
    again = tmp_path / "again.warc.gz"
    assert (
        run_cli("export", "--all", "-f", "warc", "-o", str(again), "--db", str(copy)).returncode
        == 0
    )
    first = [r.body for r in records(out) if r.rec_type == "response"]  # type: ignore[attr-defined]
    second = [r.body for r in records(again) if r.rec_type == "response"]  # type: ignore[attr-defined]
    assert first == second


def test_an_archive_from_before_capture_exports_its_pages(tmp_path: Path) -> None:
    """Snapshots saved before exchanges were kept export as responses with the headers that
    were recorded (and files saved with parse --save as resources)."""
    db = archive_db(tmp_path, "a")
    page = corpus_file(MARS)
    assert run_cli("parse", str(page), "--save", "--db", str(db)).returncode == 0
    added = sql_write(
        db,
        "INSERT INTO fetches (blog_id, url, fetched_at, status, etag, snapshot_hash, kind) "
        "SELECT blog_id, 'https://www.theguardian.com/x.json?dcr=true', "
        "'2021-02-19T15:00:00Z', 200, '\"e1\"', snapshot_hash, 'fetch' FROM fetches",
    )
    assert added == 1
    out = tmp_path / "old.warc.gz"
    assert run_cli("export", "--all", "-f", "warc", "-o", str(out), "--db", str(db)).returncode == 0
    got = records(out)
    kinds = [r.rec_type for r in got]  # type: ignore[attr-defined]
    assert kinds == ["warcinfo", "response", "resource"]  # in time order: 2021, then today
    assert got[1].http_headers.get_header("ETag") == '"e1"'  # type: ignore[attr-defined]
    assert got[1].rec_headers.get_header("WARC-Date") == "2021-02-19T15:00:00Z"  # type: ignore[attr-defined]
    assert got[1].body == got[2].body == page.read_bytes()  # type: ignore[attr-defined]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not-a-warc", "wacz-no-index"])
def test_damaged_web_archives(
    damage: str, fetched: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    db, _ = fetched
    good = tmp_path / "good.warc.gz"
    assert (
        run_cli("export", "--all", "-f", "warc", "-o", str(good), "--db", str(db)).returncode == 0
    )
    data = good.read_bytes()
    bad = tmp_path / f"{damage}.warc.gz"
    target = tmp_path / "target.db"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "garbage":
        bad.write_bytes(data[:200] + b"\x00garbage\xff" * 50 + data[200:])
    elif damage == "not-a-warc":
        bad.write_bytes(b"<html>just a page</html>")
    else:
        pytest.importorskip("wacz")
        wacz = tmp_path / "x.wacz"
        assert (
            run_cli("export", "--all", "-f", "wacz", "-o", str(wacz), "--db", str(db)).returncode
            == 0
        )
        bad = tmp_path / "no-index.wacz"
        with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(bad, "w") as dst:
            for item in src.infolist():
                if not item.filename.startswith("indexes/"):
                    dst.writestr(item, src.read(item.filename))
    result = run_cli("import", str(bad), "--db", str(target), "--json")
    err = result.stderr.decode()
    assert "Traceback" not in err and "internal error" not in err
    if damage == "not-a-warc":
        assert result.returncode == 65 and err.count("\n") == 1 and "not a WARC" in err
        assert not target.exists() or rows(target, "SELECT count(*) FROM blocks") == [(0,)]
        return
    assert result.returncode in (0, 65), err
    if result.returncode == 0:
        summary = json.loads(result.stdout)
        # Whatever was saved is whole: each saved capture is one page, all of its posts.
        assert summary["pages"] >= 1
        per_page = rows(target, "SELECT count(*) FROM blocks")[0][0]
        assert per_page == 4
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_wacz_page_title_is_plain_text_on_one_line(tmp_path: Path) -> None:
    """The blog's title is the publisher's: in pages.jsonl it is one line of plain text
    (controls dropped, line breaks folded), and the file stays one JSON object a line, even
    from an archive whose title the parser of its day did not clean."""
    pytest.importorskip("wacz")
    blog = GuardianBlog(PATH, [dcr_block(1)], per_page=50)
    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        server.routes[PATH + ".json"] = blog.route
        assert run_cli("fetch", server.url(PATH), "--db", str(db), *FAST, env=ENV).returncode == 0
    hostile = "Storm\u2028live\x1b[2J \u0085 updates\r\nlater"
    assert sql_write(db, "UPDATE blogs SET title = ?", hostile) == 1
    out = tmp_path / "blog.wacz"
    assert run_cli("export", "--all", "-f", "wacz", "-o", str(out), "--db", str(db)).returncode == 0
    with zipfile.ZipFile(out) as wacz:
        raw = wacz.read("pages/pages.jsonl")
    lines = raw.decode().split("\n")
    assert len(lines) == 3 and lines[2] == ""  # header, the blog, the final newline
    assert not any(c in raw.decode() for c in "\u2028\x1b\x85\r")
    assert json.loads(lines[1])["title"] == "Storm live[2J updates later"
