"""Import bounded whatever a web archive holds (issues 22 and 27): a valid capture followed
by a hostile tail, as .warc, .warc.gz and WACZ; truncated files; records that cannot be
used; secrets in captured URLs. Every import ends in bounded time and memory, keeps the
good head, says where it stopped, and exits 65 when it could not read a file to its end.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import (
    RELIABILITY_ROWS,
    archive_db,
    corpus_file,
    dump,
    measured_cli,
    record,
    run_cli,
    sql,
    tmpfs,
)

pytest.importorskip("warcio")
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

RELIABILITY_ROWS.extend(["import-bomb-tail", "import-truncated", "import-bad-records"])

MARS = "guardian/mars-perseverance-2021-02-19.dcr.json"
NUL_TAIL = 256 << 20


def _record(
    url: str, body: bytes, date: str = "2021-02-19T14:00:00Z", status: str = "200 OK"
) -> bytes:
    """One response record as WARC bytes (uncompressed)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    http = StatusAndHeaders(status, [("Content-Type", "application/json")], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
    )
    return out.getvalue()


def _valid() -> tuple[str, bytes]:
    page = json.loads(corpus_file(MARS).read_bytes())
    return page["pageId"], _record(page["webURL"] + ".json?dcr=true", json.dumps(page).encode())


def _zeros(out: io.RawIOBase | object, size: int) -> None:
    chunk = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        out.write(chunk)  # type: ignore[attr-defined]


def _tailed(tmp_path: Path, form: str) -> Path:
    """A valid capture, then 256 MB of NUL: as a .warc, a .warc.gz (two gzip members), or a
    WACZ whose WARC member inflates to it."""
    _, good = _valid()
    if form == "warc":
        path = tmp_path / "tail.warc"
        with path.open("wb") as out:
            out.write(good)
            _zeros(out, NUL_TAIL)
    elif form == "warc.gz":
        path = tmp_path / "tail.warc.gz"
        with path.open("wb") as out:
            out.write(gzip.compress(good))
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            chunk = b"\0" * (1 << 20)
            for _ in range(NUL_TAIL >> 20):
                out.write(packer.compress(chunk))
            out.write(packer.flush())
    else:
        path = tmp_path / "tail.wacz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wacz:
            with wacz.open("archive/data.warc", "w", force_zip64=True) as member:
                member.write(good)
                _zeros(member, NUL_TAIL)
            wacz.writestr("datapackage.json", "{}")
    return path


_BOMB_FIGURES: dict[str, str] = {}


@pytest.mark.parametrize("form", ["warc", "warc.gz", "wacz"])
def test_a_valid_capture_then_256_mb_of_nul(tmp_path: Path, form: str) -> None:
    blog_id, _ = _valid()
    path = _tailed(tmp_path, form)
    db = archive_db(tmp_path, "a")
    started = time.monotonic()
    result, peak = measured_cli("import", str(path), "--db", str(db), timeout=120)
    took = time.monotonic() - started
    err = result.stderr.decode()
    (saved,) = sql(db, "SELECT count(*) FROM blocks WHERE blog_id = ?", blog_id)
    # One row for the three forms: each form's figures, in the order they were measured.
    _BOMB_FIGURES[form] = f"{form} {took:.1f} s, peak {peak:.0f} MB, exit {result.returncode}"
    record(
        "import-bomb-tail",
        "import of a valid capture followed by 256 MB of NUL bytes, as .warc, .warc.gz "
        "(a second gzip member) and WACZ (a deflated member)",
        3,
        "; ".join(_BOMB_FIGURES.values()) + "; the capture saved, where it stopped said",
    )
    assert result.returncode == 65, err
    assert "Traceback" not in err and "internal error" not in err
    assert "stopped reading" in err and ("byte" in err or "record" in err)
    assert saved[0] > 0  # the good head is kept
    assert took < 60 and peak < 300, (took, peak)


def test_a_truncated_warc_gz_keeps_what_it_read_and_says_where(tmp_path: Path) -> None:
    """Three captures, the file cut inside the third: two saved, exit 65, where it stopped."""
    page = json.loads(corpus_file(MARS).read_bytes())
    url = page["webURL"] + ".json?dcr=true"
    members = []
    for n, hour in enumerate(("14", "15", "16")):
        page["blocks"][0]["elements"][0]["html"] = f"<p>Version {n}</p>"
        members.append(
            gzip.compress(_record(url, json.dumps(page).encode(), f"2021-02-19T{hour}:00:00Z"))
        )
    data = b"".join(members)
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: len(data) - len(members[-1]) // 2])
    db = archive_db(tmp_path, "cut")
    result = run_cli("import", str(path), "--db", str(db))
    err = result.stderr.decode()
    ((captures,),) = sql(db, "SELECT count(*) FROM fetches WHERE kind = 'import'")
    record(
        "import-truncated",
        "a .warc.gz of three captures cut inside the third",
        1,
        f"exit {result.returncode}; {captures} captures saved; said: "
        # The file by its name: a temporary directory's path says nothing in the table.
        + err.splitlines()[0].replace(str(path), path.name)[:160].replace("|", "/"),
    )
    assert result.returncode == 65, err
    assert captures == 2
    assert "stopped reading" in err and str(path) in err


def test_bad_records_are_skipped_and_counted_never_the_end(tmp_path: Path) -> None:
    """A status line `HTTP/1.1 2xx OK`, a WARC-Date in year 1, a record with no WARC-Type
    and a capture with credentials and a key in its URL, around one good capture: the bad
    ones skipped and counted, the good one saved, no secret kept anywhere."""
    page = json.loads(corpus_file(MARS).read_bytes())
    body = json.dumps(page).encode()
    secret_url = (
        "https://ann:hunter2@www.theguardian.com/science/live/2021/feb/19/"
        "mars-landing-nasa-perseverance-rover-briefing-latest-live-news-updates"
        ".json?dcr=true&api-key=K-SECRET"
    )
    parts = [
        _record("https://example.org/a", b"{}", status="2xx OK"),
        _record("https://example.org/b", body, date="0001-01-01T00:00:00Z"),
        b"WARC/1.0\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n",
        _record(secret_url, body),
    ]
    path = tmp_path / "mixed.warc"
    path.write_bytes(b"".join(parts))
    db = archive_db(tmp_path, "mixed")
    result = run_cli("import", str(path), "--db", str(db), "--json")
    err = result.stderr.decode()
    summary = json.loads(result.stdout)
    everything = dump(db)
    kept = "hunter2" in everything or "K-SECRET" in everything
    record(
        "import-bad-records",
        "a WARC holding an `HTTP/1.1 2xx OK` status line, a year-1 WARC-Date, a record with "
        "no WARC-Type and a capture whose URL carries user:password and api-key",
        4,
        f"exit {result.returncode}; skipped {summary['skipped']}; "
        f"{summary['pages']} saved; " + ("a secret kept" if kept else "no password or key kept"),
    )
    assert result.returncode == 0, err
    assert summary["pages"] == 1
    assert summary["skipped"] == {
        "HTTP status line that cannot be read": 1,
        "WARC-Date outside 1991 to now": 1,
        "record without a WARC-Type": 1,
    }
    assert "hunter2" not in everything and "K-SECRET" not in everything
    assert "ann:" not in everything


def test_an_import_that_fills_the_disk_says_what_it_kept(tmp_path: Path) -> None:
    """Each capture is committed as it is read: when the disk fills, the message says how
    many were saved before, and exactly those are in the archive (exit 74)."""
    import os

    page = json.loads(corpus_file(MARS).read_bytes())
    url = page["webURL"] + ".json?dcr=true"
    path = tmp_path / "many.warc"
    with path.open("wb") as out:
        for n in range(40):  # incompressible posts: each capture costs its size
            page["blocks"][0]["elements"][0]["html"] = f"<p>{os.urandom(150_000).hex()}</p>"
            out.write(_record(url, json.dumps(page).encode(), f"2021-02-19T14:{n:02d}:00Z"))
    with tmpfs(tmp_path / "small", "6m") as disk:
        db = disk / "a.db"  # a SQLite file on a full disk, whatever the engine under test
        result = run_cli("import", str(path), "--db", str(db))
        err = result.stderr.decode()
        with sqlite3.connect(db) as conn:
            kept = conn.execute("SELECT count(*) FROM fetches WHERE kind = 'import'").fetchone()[0]
    assert result.returncode == 74, err
    assert "Traceback" not in err
    assert f"the {kept} saved before it are kept" in err
    assert 0 < kept < 40


def test_counts_of_one_read_singular(tmp_path: Path) -> None:
    """`1 capture`, `read 1 record: 1 live-blog page saved`, never `1 captures`."""
    _, good = _valid()
    path = tmp_path / "one.warc"
    path.write_bytes(good)
    done = run_cli("import", str(path), "--db", archive_db(tmp_path, "one"))
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert ": 1 capture 2021-02-19T14:00:00Z" in err
    assert "read 1 record: 1 live-blog page saved; skipped: none" in err
    assert "1 captures" not in err and "1 records" not in err
    from liveblog_cli.words import counted

    assert [counted(n, "key events") for n in (0, 1, 2)] == [
        "0 key events",
        "1 key event",
        "2 key events",
    ]
