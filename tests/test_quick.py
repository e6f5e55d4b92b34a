"""`liveblog list` and `liveblog search` answered without the command-line framework say
exactly what the full command line says, whatever the form they are asked in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import _cli_env, archive_db, run_cli
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive

ENTRY = [sys.executable, "-c", "from liveblog_cli.cli.entry import main; main()"]


_AGO = re.compile(rb"\d+ (?:s|min) ago")


def _timeless(listing: bytes) -> bytes:
    """A listing with its "12 s ago"s made alike: two runs a moment apart say the same."""
    return _AGO.sub(b"_ ago", listing)


def entry(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The console script as installed (`liveblog`), in a fresh interpreter."""
    return subprocess.run(
        [*ENTRY, *args], capture_output=True, env=_cli_env(env), check=False, timeout=60
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = archive_db(tmp_path, "a")
    with Archive(path) as archive:
        archive.save(make_blog([make_block(1), make_block(2, key_event=True)]))
        archive.save(make_blog([make_block(3)], blog_id="news/live/second", title="A \x1b[31m"))
    return path


@pytest.mark.parametrize(
    "form",
    [
        ["list"],
        ["list", "--json"],
        ["list", "--nl"],
        ["list", "--csv"],
        ["list", "--tz", "Europe/London"],
        ["list", "--tz", "Mars/Olympus"],
    ],
)
def test_the_quick_list_says_what_the_full_one_says(form: list[str], db: Path) -> None:
    quick = entry(*form, "--db", str(db), env={"TZ": "UTC"})
    full = run_cli(*form, "--db", str(db), env={"TZ": "UTC"})
    # The two runs may straddle a second (or, on a busy machine, a minute).
    assert (quick.returncode, _timeless(quick.stdout)) == (full.returncode, _timeless(full.stdout))
    assert quick.stderr.split(b"(see")[0] == full.stderr.split(b"(see")[0]
    assert b"\x1b" not in quick.stdout


@pytest.mark.parametrize(
    "form",
    [
        ["search", "says"],
        ["search", "says", "--json"],
        ["search", "says", "--nl", "--limit", "2"],
        ["search", "says", "--csv"],
        ["search", "says", "--tz", "Europe/London"],
        ["search", "says", "--tz", "Mars/Olympus"],
        ["search", "says", "--blog", "second"],
        ["search", "says", "--blog", "nowhere"],
        ["search", "title:3"],
        ["search", "nothing-like-it"],
        ["search", '"unclosed'],
        ["search", "says", "--limit", "0"],
        ["search", "says", "--json", "--csv"],
        ["search", "says", "extra"],
        ["search", "says", "--limit=1"],
        ["search", "--", "-says"],
    ],
)
def test_the_quick_search_says_what_the_full_one_says(form: list[str], db: Path) -> None:
    quick = entry(*form, "--db", str(db), env={"TZ": "UTC"})
    full = run_cli(*form, "--db", str(db), env={"TZ": "UTC"})
    assert (quick.returncode, quick.stdout) == (full.returncode, full.stdout)
    assert quick.stderr.split(b"(see")[0] == full.stderr.split(b"(see")[0]
    assert b"\x1b" not in quick.stdout


def test_the_quick_search_finds_and_fails_as_a_user_sees_it(db: Path, tmp_path: Path) -> None:
    found = entry("--db", str(db), "search", "says", "--blog", "second", "--nl")
    assert found.returncode == 0
    assert [json.loads(line)["id"] for line in found.stdout.splitlines()] == ["b0003"]
    missing = entry("search", "says", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 66 and b"no archive at" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    bad = entry("search", '"unclosed', "--db", str(db))
    assert bad.returncode == 2 and bad.stderr.startswith(b"liveblog: error:")


@pytest.mark.parametrize(
    "form",
    [
        ["list"],
        ["list", "--json"],
        ["search", "says"],
        ["--db", "{db}", "search", "says", "--blog", "second", "--csv"],
    ],
)
def test_the_plain_forms_never_load_the_framework(form: list[str], db: Path) -> None:
    """What makes the quick path quick: Typer (and click) are never imported for these."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('loaded:%s' % ('typer' in sys.modules)))\n"
        "from liveblog_cli.cli.entry import main\n"
        "main()\n"
    )
    args = [word.format(db=db) for word in form]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        env=_cli_env({"LIVEBLOG_DB": str(db)}),
        check=False,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout, done.stderr
    assert done.stderr.endswith(b"loaded:False")


def test_db_before_the_command_and_errors(db: Path, tmp_path: Path) -> None:
    quick, full = entry("--db", str(db), "list"), run_cli("--db", str(db), "list")
    assert _timeless(quick.stdout) == _timeless(full.stdout)
    missing = entry("list", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 66 and b"no archive at" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    # A form the quick path does not know goes to the full command line.
    other = entry("list", "--as-of", "2h", "--db", str(db), "--json")
    assert other.returncode == 0 and other.stdout.startswith(b"[")
    bad = entry("list", "--bogus", "--db", str(db))
    assert bad.returncode == 2 and b"No such option" in bad.stderr
    # An empty --db names no archive for either path (never the default one).
    empty, full = entry("list", "--db", "", "--json"), run_cli("list", "--db", "", "--json")
    assert (empty.returncode, empty.stderr) == (full.returncode, full.stderr) != (0, b"")


@pytest.mark.parametrize(
    "before", [["--db", "{db}"], ["--db={db}"], []], ids=["db-then-path", "db-equals", "none"]
)
def test_a_command_registered_alone_still_reads_every_form(db: Path, before: list[str]) -> None:
    """Only the command run is registered with Typer: the options before it, its own help,
    and its errors read as they do with every command registered."""
    env = {"LIVEBLOG_DB": str(db)} if not before else None
    head = [word.format(db=db) for word in before]
    found = run_cli(*head, "search", "Sunak", env=env)
    assert found.returncode == 0, found.stderr
    shown = run_cli(*head, "show", "second", env=env)
    assert shown.returncode == 0 and b"\\x1b[31m" in shown.stdout, shown.stderr
    assert b"Usage: liveblog search" in run_cli("search", "--help").stdout
    unknown = run_cli(*head, "serch", "x", env=env)
    assert unknown.returncode == 2 and b"No such command 'serch'" in unknown.stderr
