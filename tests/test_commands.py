"""The archive commands through the real entry point: list, show, export, search, history."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import SAMPLES, archive_db, corpus_file, run_cli
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive
from liveblog_cli.model import Element

BLOG = "uk-news/live/2026/jun/13/port-elstow-tall-ships-festival-live"
HOSTILE_TITLE = "[bold red]x[/] \x1b]0;pwned\x07 \x1b[2J"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = archive_db(tmp_path, "archive")
    for name in ("guardian-tallships.dcr.json", "guardian-tallships-page2.dcr.json"):
        result = run_cli("parse", str(SAMPLES / name), "--save", "--db", str(path))
        assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    path = archive_db(tmp_path, "hostile")
    evil_html = (
        '<p onclick="steal()">Hi<script>alert(1)</script>'
        '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
        '<iframe src="https://evil.example"></iframe></p>'
    )
    block = make_block(
        1,
        title=HOSTILE_TITLE,
        text='=HYPERLINK("http://evil") harbour',
        authors=["@attacker", "+44 123"],
        html=evil_html,
        elements=[
            Element("text", text="harbour", html=evil_html),
            Element("image", url="javascript:alert(4)", caption="-2+3"),
            Element("image", url="data:text/html;base64,PHNjcmlwdD4="),
        ],
    )
    with Archive(path) as archive:
        archive.save(make_blog([block, make_block(2, title="-1+1")], title=HOSTILE_TITLE))
    return path


def test_list_json_and_text(db: Path) -> None:
    result = run_cli("list", "--json", "--db", str(db))
    blogs = json.loads(result.stdout)
    assert [b["id"] for b in blogs] == [BLOG]
    assert blogs[0]["blocks"] == 6 and blogs[0]["key_events"] == 3
    assert blogs[0]["is_live"] is True
    text = run_cli("list", "--db", str(db)).stdout.decode()
    assert BLOG in text and "6 blocks" in text


def test_show_timeline_with_key_events_and_filters(db: Path) -> None:
    out = run_cli(
        "show", "uk-news", "--db", str(db), "--tz", "UTC", env={"COLUMNS": "200"}
    ).stdout.decode()
    assert "Key events" in out and "Swing bridge opens for the fleet" in out
    assert "📌 pinned" in out and "[image]" in out and "by Ada Lanyon" in out
    # newest first by default, oldest first on request
    assert out.index("That's where we leave") < out.index("Good morning and welcome")
    old = run_cli(
        "show", "uk-news", "--db", str(db), "--oldest-first", env={"COLUMNS": "200"}
    ).stdout.decode()
    assert old.index("Good morning and welcome") < old.index("That's where we leave")
    data = json.loads(run_cli("show", BLOG, "--db", str(db), "--json", "--key-events").stdout)
    assert len(data["blocks"]) == 3 and all(b["key_event"] for b in data["blocks"])
    data = json.loads(
        run_cli(
            "show",
            BLOG,
            "--db",
            str(db),
            "--json",
            "--limit",
            "2",
            "--since",
            "2026-06-13T09:30:00Z",
        ).stdout
    )
    assert len(data["blocks"]) == 2
    assert all(b["published_at"] >= "2026-06-13T09:30:00Z" for b in data["blocks"])


def test_show_errors(db: Path) -> None:
    missing = run_cli("show", "nope", "--db", str(db))
    assert missing.returncode == 66 and b"no archived blog" in missing.stderr
    bad_tz = run_cli("show", BLOG, "--db", str(db), "--tz", "Mars/Olympus")
    assert bad_tz.returncode == 2 and b"unknown time zone" in bad_tz.stderr
    bad_since = run_cli("show", BLOG, "--db", str(db), "--since", "last tuesday")
    assert bad_since.returncode == 2


def test_ambiguous_blog_lists_candidates_and_exits_2(tmp_path: Path) -> None:
    path = archive_db(tmp_path, "two")
    with Archive(path) as archive:
        archive.save(make_blog([make_block(1)], blog_id="news/live/a"))
        archive.save(make_blog([make_block(1)], blog_id="news/live/b"))
    result = run_cli("show", "news/live", "--db", str(path))
    assert result.returncode == 2
    assert b"news/live/a" in result.stderr and b"news/live/b" in result.stderr


def test_export_jsonl_every_line_is_json_for_jq(tmp_path: Path) -> None:
    path = archive_db(tmp_path, "corpus")
    run_cli(
        "parse",
        str(corpus_file("guardian/politics-live-2023-12-13.dcr.json")),
        "--save",
        "--db",
        str(path),
    )
    result = run_cli("export", "politics", "--db", str(path))
    assert result.returncode == 0 and result.stderr == b""
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 23
    rows = [json.loads(line) for line in lines]
    assert {"blog_id", "id", "title", "revision", "deleted_at"} <= set(rows[0])
    if shutil.which("jq"):
        jq = subprocess.run(
            ["jq", "-c", ".title"], input=result.stdout, capture_output=True, check=True
        )
        assert len(jq.stdout.decode().splitlines()) == 23


def test_export_json_is_one_array(db: Path) -> None:
    rows = json.loads(run_cli("export", BLOG, "-f", "json", "--db", str(db)).stdout)
    assert isinstance(rows, list) and len(rows) == 6
    empty = run_cli("export", BLOG, "-f", "json", "--db", str(db), "--since", "2030-01-01")
    assert json.loads(empty.stdout) == []


def test_export_atom_is_a_valid_feed(db: Path) -> None:
    feed = ElementTree.fromstring(run_cli("export", BLOG, "-f", "atom", "--db", str(db)).stdout)
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 6
    for entry in entries:
        for tag in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 6


@pytest.mark.parametrize("extra", [[], ["--limit", "1"], ["--limit", "2", "--oldest-first"]])
def test_an_atom_feed_is_updated_when_its_newest_entry_is(db: Path, extra: list[str]) -> None:
    """The feed's <updated> is its entries' newest, whatever part of the blog it holds."""
    for when in ([], ["--as-of", "2100-01-01"]):
        out = run_cli("export", BLOG, "-f", "atom", *extra, *when, "--db", str(db)).stdout
        feed = ElementTree.fromstring(out)
        entries = [e.find(f"{ATOM}updated").text for e in feed.findall(f"{ATOM}entry")]
        assert entries and feed.find(f"{ATOM}updated").text == max(entries), (extra, when)


def test_export_output_is_atomic_and_reports_on_stderr(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    target.write_text("old contents")
    result = run_cli("export", BLOG, "-f", "md", "-o", str(target), "--db", str(db))
    assert result.returncode == 0 and result.stdout == b""
    assert b"wrote 6 posts" in result.stderr
    text = target.read_text()
    assert text.startswith("# Port Elstow") and "Swing bridge opens for the fleet" in text
    assert not list(tmp_path.glob(".out.md.*"))  # no temp file left behind
    # Into a directory: a file named after the blog (its id made safe, with a hash of the id
    # since making it safe changed it), inside it.
    into_dir = run_cli("export", BLOG, "-o", str(tmp_path), "--db", str(db))
    assert into_dir.returncode == 0, into_dir.stderr
    [written] = tmp_path.glob(BLOG.replace("/", "-") + "-*.jsonl")
    assert written.read_text().count("\n") == 6


def test_export_needs_a_blog_or_all(db: Path) -> None:
    assert run_cli("export", "--db", str(db)).returncode == 2
    assert len(run_cli("export", "--all", "--db", str(db)).stdout.splitlines()) == 6


def test_search_and_history(tmp_path: Path) -> None:
    path = archive_db(tmp_path, "h")
    with Archive(path) as archive:
        archive.save(make_blog([make_block(1, text="The harbour bridge opened at noon.")]))
        archive.save(make_blog([make_block(1, text="The harbour bridge opened at one.")]))
    hits = json.loads(run_cli("search", "bridge", "--json", "--db", str(path)).stdout)
    assert [h["id"] for h in hits] == ["b0001"] and "bridge" in hits[0]["snippet"]
    out = run_cli("history", "test", "b0001", "--db", str(path)).stdout.decode()
    assert "revision 1" in out and "revision 2" in out
    assert "-The harbour bridge opened at noon." in out
    assert "+The harbour bridge opened at one." in out
    revs = json.loads(run_cli("history", "test", "b0001", "--json", "--db", str(path)).stdout)
    assert [r["revision"] for r in revs] == [1, 2] and revs[0]["diff"] is None
    assert run_cli("history", "test", "nope", "--db", str(path)).returncode == 66


def test_hostile_text_prints_literally(hostile_db: Path) -> None:
    env = {"COLUMNS": "200"}
    for args in (["show", "test"], ["list"], ["search", "harbour"]):
        result = run_cli(*args, "--db", str(hostile_db), env=env)
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode()
        assert "\x1b" not in out and "\x07" not in out, args
        if args[0] != "search":
            assert "[bold red]x[/]" in out, args
        if args[0] == "show":
            assert "\\x1b]0;pwned\\x07" in out


def test_hostile_html_export_is_inert(hostile_db: Path) -> None:
    page = run_cli("export", "test", "-f", "html", "--db", str(hostile_db)).stdout.decode()
    lowered = page.lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "data:text", "<iframe"):
        assert bad not in lowered, bad
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "[bold red]x[/]" in page


def test_hostile_csv_cells_never_start_a_formula(hostile_db: Path) -> None:
    data = run_cli("export", "test", "-f", "csv", "--db", str(hostile_db)).stdout.decode()
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][0] == "blog_id" and len(rows) == 3
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1] + rows[2])


def test_hostile_markdown_and_atom_are_inert(hostile_db: Path) -> None:
    md = run_cli("export", "test", "-f", "md", "--db", str(hostile_db)).stdout.decode()
    assert "<script" not in md and "javascript:" not in md and "\x1b" not in md
    atom = run_cli("export", "test", "-f", "atom", "--db", str(hostile_db)).stdout
    feed = ElementTree.fromstring(atom)
    content = " ".join(e.text or "" for e in feed.iter(f"{ATOM}content"))
    assert "<script" not in content and "onerror" not in content and "javascript:" not in content


def test_parse_save_reports_on_stderr_and_prints_json(tmp_path: Path) -> None:
    result = run_cli(
        "parse",
        str(SAMPLES / "guardian-tallships.dcr.json"),
        "--save",
        "--db",
        archive_db(tmp_path, "x"),
        "-f",
        "jsonl",
    )
    assert result.returncode == 0
    assert b"+6 new, 0 edited, 0 deleted, 6 blocks" in result.stderr
    assert len([json.loads(x) for x in result.stdout.splitlines()]) == 6


def test_unwritable_archive_exits_74(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli(
        "parse",
        str(SAMPLES / "guardian-tallships.dcr.json"),
        "--save",
        "--db",
        str(blocker / "sub" / "a.db"),
    )
    assert result.returncode == 74
    assert result.stderr.decode().count("\n") == 1


def test_an_atom_feed_says_its_language_and_where_it_lives(tmp_path: Path) -> None:
    """xml:lang from the blog's language; rel="self" only from --feed-url (only the user knows
    where the file will be served), which other formats and non-http addresses refuse."""
    import dataclasses

    path = archive_db(tmp_path)
    with Archive(path) as archive:
        archive.save(dataclasses.replace(make_blog([make_block(1)]), language="ar"))
    feed = ["export", "test", "-f", "atom", "--db", str(path)]
    plain = ElementTree.fromstring(run_cli(*feed).stdout)
    assert plain.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    assert not [link for link in plain.findall(f"{ATOM}link") if link.get("rel") == "self"]
    url = "https://example.org/feeds/tall-ships.atom"
    links = ElementTree.fromstring(run_cli(*feed, "--feed-url", url).stdout).findall(f"{ATOM}link")
    assert [e.get("href") for e in links if e.get("rel") == "self"] == [url]
    for args in ([*feed, "--feed-url", "javascript:alert(1)"], [*feed[:2], "--feed-url", url]):
        refused = run_cli(*args)
        assert refused.returncode == 2 and refused.stdout == b"", args
        assert b"--feed-url" in refused.stderr
