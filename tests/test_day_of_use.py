"""What a day of real use tripped on (issue 25), each as a user meets it: the command line,
real archives, output read by the tools people read it with."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from conftest import SAMPLES, archive_db, run_cli
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive


def _saved(tmp_path: Path) -> str:
    db = archive_db(tmp_path)
    done = run_cli("parse", str(SAMPLES / "guardian-tallships.dcr.json"), "--save", "--db", db)
    assert done.returncode == 0, done.stderr
    return db


def test_show_to_a_file_keeps_whole_key_event_titles(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    title = "A key event whose title runs on " + "and on " * 20 + "to its very end"
    with Archive(db) as archive:
        archive.save(make_blog([make_block(1, title=title, key_event=True), make_block(2)]))
    out = run_cli("show", "test", "--db", db).stdout.decode()
    head = out.split("─" * 10, 1)[0]
    assert title in head.replace("\n", " ") and title in head  # one line, uncut


def test_a_warc_file_is_what_its_name_says(tmp_path: Path) -> None:
    db = _saved(tmp_path)
    plain, packed = tmp_path / "x.warc", tmp_path / "x.warc.gz"
    for path in (plain, packed):
        assert run_cli("export", "--all", "-f", "warc", "-o", str(path), "--db", db).returncode == 0
    assert plain.read_bytes().startswith(b"WARC/1.1")
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.read_bytes()).startswith(b"WARC/1.1")


def test_csv_has_an_edits_column(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    with Archive(db) as archive:
        archive.save(make_blog([make_block(1, text="First words.")]))
        archive.save(make_blog([make_block(1, text="Second words.")]))
    rows = list(
        csv.DictReader(
            io.StringIO(run_cli("export", "--all", "-f", "csv", "--db", db).stdout.decode())
        )
    )
    assert rows[0]["edits"] == "1" and rows[0]["revision"] == "2"


def test_show_as_of_does_not_say_todays_state(tmp_path: Path) -> None:
    db = _saved(tmp_path)
    out = run_cli("show", "tall", "--as-of", "2030-01-01T00:00Z", "--db", db, "--no-pager")
    head = out.stdout.decode().splitlines()[1]
    assert "as of 2030-01-01 00:00 UTC" in head and " live " not in f" {head} "


def test_history_tells_two_revisions_of_one_minute_apart(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    db = archive_db(tmp_path)
    with Archive(db) as archive:
        for second, text in ((5, "One."), (45, "Two.")):
            when = datetime(2026, 6, 13, 12, 2, second, tzinfo=UTC)
            archive.save(make_blog([make_block(1, text=text)]), now=when)
    out = run_cli("history", "test", "b0001", "--db", db, "--tz", "UTC").stdout.decode()
    assert "seen 2026-06-13 12:02:05 UTC" in out and "seen 2026-06-13 12:02:45 UTC" in out


def test_an_imported_blog_was_never_checked_on_its_site(tmp_path: Path) -> None:
    db = _saved(tmp_path)  # read from a file: its date is not a check of the site
    listed = run_cli("list", "--db", db).stdout.decode()
    assert "never checked on its site" in listed and " d ago" not in listed
    (blog,) = json.loads(run_cli("list", "--json", "--db", db).stdout)
    assert blog["last_fetched_at"] is None and blog["incomplete"] is False


def test_output_into_a_fifo_or_through_a_symlink_leaves_it_what_it_was(tmp_path: Path) -> None:
    """`-o /dev/null` once put a plain file where the device was (the atomic rename): a
    path that is not a plain file is written into; a symlink stays a symlink."""
    import contextlib
    import os
    import threading

    db = _saved(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = run_cli("export", "--all", "-o", str(fifo), "--db", db)
    if fifo.is_fifo():
        # A reader that nothing wrote to is let go (a write end opened and closed); once
        # the export wrote and closed it, no reader is left (ENXIO).
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(timeout=10)
    assert done.returncode == 0, done.stderr
    assert fifo.is_fifo() and len(got[0].splitlines()) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pipe.")]

    target, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n")
    link.symlink_to(target)
    assert run_cli("export", "--all", "-o", str(link), "--db", db).returncode == 0
    assert link.is_symlink() and len(target.read_bytes().splitlines()) == 6
