"""The terminal and the pipe: what a demanding user hit in a day of real use, each item of
the issue reproduced against the real CLI (and, for terminal-only rendering, against the
renderer with a console that says it is a terminal)."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import archive_db, run_cli, start_cli
from helpers import make_block, make_blog
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

from liveblog_cli.archive import Archive

ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5"]
PATH = "/science/live/2026/jun/13/mars-sample-return-live"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A June post (summer time) and a January one, two blogs, an edit and a long line."""
    path = archive_db(tmp_path, "a")
    june = make_block(1, title="Rover lifts off from Jezero", text="Ignition. " + "x" * 300)
    june.published_at = datetime(2026, 6, 13, 11, 2, tzinfo=UTC)
    january = make_block(
        2, text="A winter post about Rwanda's bill https://example.org/" + "p" * 150
    )
    january.published_at = datetime(2026, 1, 13, 11, 2, tzinfo=UTC)
    with Archive(path) as archive:
        archive.save(
            make_blog(
                [june, january],
                blog_id="science/live/2026/jun/13/mars-live",
                title="Mars sample return – live",
            )
        )
        archive.save(
            make_blog(
                [make_block(3, title="Sunak at PMQs")],
                blog_id="politics/live/2026/jun/13/pmqs",
                title="Politics live",
            )
        )
        edited = make_block(
            2, text="A winter post about Rwanda's new bill https://example.org/" + "p" * 150
        )
        edited.published_at = january.published_at
        archive.save(
            make_blog(
                [june, edited],
                blog_id="science/live/2026/jun/13/mars-live",
                title="Mars sample return – live",
            )
        )
    return path


def cli(
    db: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return run_cli(*args, "--db", str(db), env={"COLUMNS": "80", **(env or {})})


# 1, 11: times ----------------------------------------------------------------------------


def test_local_times_follow_the_zone_rules_for_each_instant(db: Path) -> None:
    london = cli(db, "show", "mars", env={"TZ": "Europe/London"}).stdout.decode()
    assert "2026-06-13 12:02 BST" in london and "2026-01-13 11:02 GMT" in london
    york = cli(db, "show", "mars", env={"TZ": "America/New_York"}).stdout.decode()
    assert "2026-06-13 07:02 EDT" in york and "2026-01-13 06:02 EST" in york
    offset = cli(db, "show", "mars", "--tz", "+05:30").stdout.decode()
    assert "2026-06-13 16:32 +05:30" in offset
    assert cli(db, "show", "mars", "--tz", "Mars/Jezero").returncode == 2


def test_one_time_format_in_every_view_and_export(db: Path) -> None:
    stamp = "2026-06-13 12:02 BST"
    tz = ["--tz", "Europe/London"]
    views = {
        "list": cli(db, "list", *tz).stdout.decode(),
        "search": cli(db, "search", "Jezero", *tz).stdout.decode(),
        "show": cli(db, "show", "mars", *tz).stdout.decode(),
        "md": cli(db, "export", "mars", "-f", "md", *tz).stdout.decode(),
        "html": cli(db, "export", "mars", "-f", "html", *tz).stdout.decode(),
        "history": cli(db, "history", "mars", "b0001", *tz).stdout.decode(),
    }
    for name, text in views.items():
        if name == "history":
            assert "2026-" in text and ("BST" in text or "GMT" in text), name
            continue
        assert stamp in text, name
    # Machine output keeps ISO 8601 in UTC.
    assert json.loads(cli(db, "show", "mars", "--json").stdout)["blocks"][0]["published_at"] == (
        "2026-06-13T11:02:00Z"
    )


# 2: one fetch --json shape ---------------------------------------------------------------


def test_fetch_json_has_one_shape_whatever_happened(tmp_path: Path) -> None:
    keys = {
        "url",
        "blog_id",
        "pages",
        "not_modified",
        "new",
        "updated",
        "unchanged",
        "deleted",
        "restored",
        "total",
        "stopped",
        "error",
        "exit_code",
    }
    db = archive_db(tmp_path, "f")
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(3, 0, -1)], per_page=50)
    with LiveServer() as server:
        server.routes[PATH + ".json"] = blog.route
        first = run_cli("fetch", server.url(PATH), "--json", "--db", str(db), *FAST, env=ENV)
        again = run_cli("fetch", server.url(PATH), "--json", "--db", str(db), *FAST, env=ENV)
        server.routes[PATH + ".json"] = Reply(500, b"down")
        failed = run_cli(
            "fetch", server.url(PATH), "--json", "--db", str(db), *FAST, "--retries", "0", env=ENV
        )
    shapes = [json.loads(r.stdout)[0] for r in (first, again, failed)]
    assert all(set(s) == keys for s in shapes)
    assert all(s["blog_id"] == "science/live/2026/jun/13/mars-sample-return-live" for s in shapes)
    assert shapes[1]["not_modified"] and shapes[1]["new"] == 0 and shapes[1]["total"] == 3
    assert shapes[2]["exit_code"] == 69 and shapes[2]["updated"] == 0 and shapes[2]["total"] == 3
    assert PATH in shapes[2]["error"]


# 3: a mistyped archive -------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["list"], ["show", "x"], ["search", "x"], ["export", "--all"], ["history", "x", "y"]],
)
def test_read_commands_never_create_an_archive(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "archive.db"
    result = run_cli(*command, "--db", str(missing))
    assert result.returncode == 66 and b"no archive at" in result.stderr
    assert result.stderr.count(b"\n") == 1
    assert not missing.parent.exists()
    env = run_cli(*command, env={"LIVEBLOG_DB": str(missing)})
    assert env.returncode == 66 and not missing.parent.exists()


def test_db_before_the_command(db: Path) -> None:
    result = run_cli("--db", str(db), "list", "--json")
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 2


# 4: search -------------------------------------------------------------------------------


def test_search_syntax_and_its_errors(db: Path) -> None:
    def ids(*query: str) -> list[str]:
        result = cli(db, "search", *query, "--json")
        assert result.returncode == 0, result.stderr
        return sorted(h["id"] for h in json.loads(result.stdout))

    assert ids("Rwan*") == ["b0002"]
    assert ids("title:Sunak") == ["b0003"]
    assert ids("text:Sunak") == []
    assert ids('"new bill"') == ["b0002"]
    assert ids("Jezero OR Sunak") == ["b0001", "b0003"]
    assert ids("winter -Rwanda") == []
    assert ids("Sunak", "--blog", "politics") == ["b0003"]
    for bad in ('"', "", "-Rwanda", "Rwanda OR", "(Rwanda"):
        result = cli(db, "search", bad)
        assert result.returncode == 2, bad
        assert result.stderr.count(b"\n") == 1 and b"liveblog search --help" in result.stderr
    nl = cli(db, "search", "Rwanda", "--nl").stdout.decode().splitlines()
    assert len(nl) == 1 and json.loads(nl[0])["id"] == "b0002"
    csv = cli(db, "search", "Rwanda", "--csv").stdout.decode().splitlines()
    assert csv[0].startswith("blog_id,id,title") and len(csv) == 2
    listed = cli(db, "list", "--csv").stdout.decode().splitlines()
    assert listed[0].startswith("id,url,title") and len(listed) == 3
    assert len(cli(db, "list", "--nl").stdout.decode().splitlines()) == 2


# 5: export mode --------------------------------------------------------------------------


def test_exports_have_the_usual_mode(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [
            "bash",
            "-c",
            f"umask 022; {' '.join(_cli_words())} export --all -o {out} --db {shlex.quote(db)}",
        ],
        capture_output=True,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o644


def _cli_words() -> list[str]:
    from conftest import CLI

    return [f"'{w}'" for w in CLI]


# 6: URLs ---------------------------------------------------------------------------------


def test_urls_are_checked_at_once_and_errors_name_their_url(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "u")
    started = time.monotonic()
    result = run_cli("fetch", "example.com/live/x", "--db", str(db))
    assert result.returncode == 2 and time.monotonic() - started < 10
    assert b"did you mean https://example.com/live/x" in result.stderr
    assert run_cli("fetch", "http://[::1", "--db", str(db)).returncode == 2
    with LiveServer() as server:
        server.routes["/article"] = Reply(
            200, b"<html><body><p>Not a blog.</p></body></html>", {"Content-Type": "text/html"}
        )
        server.routes["/other"] = Reply(
            200, b"<html><body><p>Nor this.</p></body></html>", {"Content-Type": "text/html"}
        )
        both = run_cli(
            "fetch", server.url("/article"), server.url("/other"), "--db", str(db), *FAST
        )
    lines = both.stderr.decode().splitlines()
    assert both.returncode == 65 and len(lines) == 2
    assert any(server.url("/article") in line for line in lines)
    assert any(server.url("/other") in line for line in lines)
    assert all("httpx" not in line and "Error:" not in line for line in lines)


# 7: no hard wrap in a pipe ---------------------------------------------------------------


def test_piped_text_is_never_hard_wrapped(db: Path) -> None:
    shown = cli(db, "show", "mars").stdout.decode()
    assert "https://example.org/" + "p" * 150 in shown  # the URL whole, on one line
    assert any(len(line) > 200 for line in shown.splitlines())
    diff = cli(db, "history", "mars", "b0002").stdout.decode()
    removed = [line for line in diff.splitlines() if line.startswith("-") and "Rwanda" in line]
    assert len(removed) == 1 and removed[0].endswith("p" * 150)


# 9: follow on a terminal -----------------------------------------------------------------


def test_follow_marks_edits_and_keeps_quiet_polls_quiet(tmp_path: Path) -> None:
    from liveblog_cli.render import timeline

    view = _terminal()
    row = {"blog_id": "b", "change": "edited", **make_block(1).to_dict()}
    timeline({"id": "b"}, [row], view, key_panel=False, header=False)
    assert "edited" in view.file.getvalue()  # type: ignore[attr-defined]
    gone = {"blog_id": "b", "change": "deleted", **make_block(2).to_dict()}
    gone["deleted_at"] = "2024-05-01T12:00:00Z"
    view = _terminal()
    timeline({"id": "b"}, [gone], view, key_panel=False, header=False)
    assert "✗ deleted" in view.file.getvalue()  # type: ignore[attr-defined]
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(2, 0, -1)], per_page=50)
    with LiveServer() as server:
        server.routes[PATH + ".json"] = blog.route
        quiet = run_cli(
            "follow",
            server.url(PATH),
            "--db",
            archive_db(tmp_path, "q"),
            "--delay",
            "0",
            "--interval",
            "0",
            "--max-duration",
            "2",
            env={**ENV, "LIVEBLOG_MIN_INTERVAL": "0.2"},
        )
        loud = run_cli(
            "follow",
            server.url(PATH),
            "--db",
            archive_db(tmp_path, "q"),
            "--delay",
            "0",
            "--interval",
            "0",
            "--max-duration",
            "1",
            "-v",
            env={**ENV, "LIVEBLOG_MIN_INTERVAL": "0.2"},
        )
    assert quiet.returncode == 0 and b"not modified" not in quiet.stderr
    assert loud.returncode == 0 and b"not modified" in loud.stderr


def _terminal():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        force_terminal=True,
        width=100,
        markup=False,
        emoji=False,
        highlight=False,
        color_system="truecolor",
    )


# 10: naming blogs, help, usage errors ----------------------------------------------------


def test_a_word_names_a_blog_and_the_help_leads_with_the_everyday_commands(db: Path) -> None:
    assert b"Rover lifts off" in cli(db, "show", "mars").stdout
    assert b"Sunak at PMQs" in cli(db, "show", "politics").stdout
    assert (
        b"Rover lifts off" in cli(db, "show", "Jezero").stdout
        or cli(db, "show", "sample").returncode == 0
    )
    ambiguous = cli(db, "show", "live")
    assert ambiguous.returncode == 2 and b"matches 2 blogs" in ambiguous.stderr
    helped = run_cli("--help").stdout.decode()
    order = [
        helped.index(f"  {c} ") for c in ("fetch", "follow", "show", "list", "search", "export")
    ]
    assert order == sorted(order) and helped.index("  fetch ") < helped.index("  parse ")
    assert b"Oldest post first" in run_cli("export", "--help").stdout
    usage = run_cli("show", "--bogus")
    assert usage.returncode == 2 and usage.stderr.count(b"\n") == 1
    assert b"liveblog show --help" in usage.stderr


# 12: history word by word ----------------------------------------------------------------


def test_history_word_by_word_on_a_terminal_unified_when_piped(db: Path) -> None:
    from liveblog_cli.history import with_diffs
    from liveblog_cli.render import revisions_view

    with Archive(db) as archive:
        revisions = with_diffs(archive.revisions("science/live/2026/jun/13/mars-live", "b0002"))
    view = _terminal()
    revisions_view(revisions, view)
    shown = view.file.getvalue()  # type: ignore[attr-defined]
    assert "{+new+}" in shown and "Rwanda's" in shown
    assert "\x1b[" in shown  # coloured
    changed = [line for line in shown.splitlines() if "{+new+}" in line]
    assert len(changed) == 1 and "[-" not in changed[0]  # a one-word insertion, nothing removed
    piped = cli(db, "history", "mars", "b0002").stdout.decode()
    assert (
        "\x1b[" not in piped and "@@" in piped and "+A winter post about Rwanda's new bill" in piped
    )


# 15: summaries as each blog finishes -----------------------------------------------------


def test_each_blog_says_it_is_done_as_it_finishes(tmp_path: Path) -> None:
    fast = GuardianBlog("/world/live/2026/jan/01/fast", [dcr_block(1)], per_page=50)
    slow = GuardianBlog("/world/live/2026/jan/01/slow", [dcr_block(2)], per_page=50)
    with LiveServer() as server, LiveServer() as other:
        server.routes["/world/live/2026/jan/01/fast.json"] = fast.route
        other.routes["/world/live/2026/jan/01/slow.json"] = lambda t, h: Reply(
            **{**vars(slow.route(t, h)), "delay": 4.0}
        )
        proc = start_cli(
            "fetch",
            other.url("/world/live/2026/jan/01/slow"),
            server.url("/world/live/2026/jan/01/fast"),
            "--db",
            archive_db(tmp_path, "s"),
            *FAST,
            env=ENV,
        )
        assert proc.stderr is not None
        first = proc.stderr.readline()
        seen_at = time.monotonic()
        proc.communicate(timeout=60)
        finished = time.monotonic()
    assert b"fast" in first
    assert finished - seen_at > 1.0  # the fast blog's line came while the slow one still ran


@pytest.mark.parametrize(
    ("relative", "lang", "rtl"),
    [
        ("bbc/arabic-live-67574192.json", "ar", True),
        ("bbc/hindi-live-cm93v1d6rw4pt.json", "hi", False),
        ("guardian/politics-live-2023-12-13.dcr.json", "en", False),
        ("other/repubblica-israele-hamas-2023-11-02.html", "it", False),
    ],
)
def test_html_export_says_the_blogs_language_and_direction(
    tmp_path: Path, relative: str, lang: str, rtl: bool
) -> None:
    """An Arabic blog exported as a page reads right to left, and every page says its
    language (for screen readers, hyphenation, fonts), not a blanket English."""
    from conftest import corpus_file

    source = corpus_file(relative)
    db = archive_db(tmp_path, "l")
    assert run_cli("parse", str(source), "--save", "--db", db).returncode == 0
    done = run_cli("export", "--all", "--db", db, "-f", "html")
    assert done.returncode == 0, done.stderr
    page = done.stdout.decode()
    opening = page.split("<head>", 1)[0]
    assert f'lang="{lang}"' in opening
    assert ('dir="rtl"' in opening) is rtl
    # Each post says its direction: its blog's when that is right to left, else its own
    # text's (tests/test_html_render.py checks what a browser computes from it).
    articles = page.count("<article ")
    assert articles > 0 and page.count('dir="rtl"' if rtl else 'dir="auto"') >= articles


@pytest.mark.parametrize(
    ("given", "tag"),
    [
        ("ar", "ar"),
        ("en_GB", "en-GB"),
        (" hi-IN ", "hi-IN"),
        ({"@type": "Language", "name": "English", "alternateName": "en"}, "en"),
        ("English", None),
        ('en" onload="x', None),
        ("", None),
        (7, None),
    ],
)
def test_language_tags_are_cleaned_or_refused(given: object, tag: str | None) -> None:
    from liveblog_cli.model import language_tag

    assert language_tag(given) == tag


def test_a_page_without_a_language_claims_none(tmp_path: Path) -> None:
    db = archive_db(tmp_path, "n")
    with Archive(db) as archive:
        archive.save(make_blog([make_block(1)], blog_id="world/live/x", title="x"))
    page = run_cli("export", "x", "--db", str(db), "-f", "html").stdout.decode()
    assert "<html>" in page and 'lang="' not in page.split("<head>", 1)[0]
