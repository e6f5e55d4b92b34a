"""`liveblog parse` through the real entry point: output streams and exit codes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import SAMPLES, corpus_file, run_cli

SAMPLE = SAMPLES / "guardian-tallships.dcr.json"


def test_json_is_the_whole_blog_and_nothing_else_on_stdout() -> None:
    result = run_cli("parse", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    blog = json.loads(result.stdout)
    assert list(blog) == [
        "id",
        "url",
        "title",
        "standfirst",
        "publisher",
        "is_live",
        "published_at",
        "updated_at",
        "authors",
        "tags",
        "source_format",
        "pages",
        "blocks",
    ]
    assert len(blog["blocks"]) == 6
    assert result.stderr == b""


def test_jsonl_is_one_block_per_line() -> None:
    result = run_cli("parse", str(SAMPLE), "--format", "jsonl")
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0
    blocks = [json.loads(line) for line in lines]
    assert len(blocks) == 6
    assert list(blocks[0])[:3] == ["id", "title", "created_at"]


def test_stdin_and_url_option() -> None:
    result = run_cli("parse", "-", "--url", "https://example.org/x", stdin=SAMPLE.read_bytes())
    assert result.returncode == 0
    assert json.loads(result.stdout)["source_format"] == "guardian-dcr"


def test_table_shows_source_format_and_counts() -> None:
    result = run_cli(
        "parse",
        str(corpus_file("scraped/seed-kherson-scraped.txt")),
        "-f",
        "table",
        env={"COLUMNS": "160"},
    )
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "guardian-scraped" in out
    assert "10 key events" in out and "1 pinned" in out


def test_missing_file_exits_66() -> None:
    result = run_cli("parse", "/nonexistent/page.html")
    assert result.returncode == 66
    assert result.stdout == b""
    assert result.stderr.decode().count("\n") == 1
    assert "no such file" in result.stderr.decode()


def test_directory_exits_66(tmp_path: Path) -> None:
    assert run_cli("parse", str(tmp_path)).returncode == 66


def _rejected(payload: bytes, tmp_path: Path) -> str:
    page = tmp_path / "page"
    page.write_bytes(payload)
    result = run_cli("parse", str(page))
    assert result.returncode == 65, result.stderr
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.startswith("liveblog: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_empty_input_exits_65(tmp_path: Path) -> None:
    assert "empty" in _rejected(b"", tmp_path)
    assert "empty" in _rejected(b"  \n\t ", tmp_path)


def test_binary_input_exits_65(tmp_path: Path) -> None:
    assert "binary" in _rejected(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), tmp_path)
    assert "binary" in _rejected(gzip.compress(SAMPLE.read_bytes()), tmp_path)
    assert "binary" in _rejected(bytes(range(256)) * 10, tmp_path)


def test_not_a_live_blog_exits_65(tmp_path: Path) -> None:
    article = (
        b"<html><head><title>News</title></head><body><h1>A story</h1><p>Text.</p></body></html>"
    )
    assert "not a live blog" in _rejected(article, tmp_path)
    assert "not a live blog" in _rejected(b'{"hello": "world"}', tmp_path)
    assert "not a live blog" in _rejected(b"just some words", tmp_path)
    assert "invalid JSON" in _rejected(SAMPLE.read_bytes()[:500], tmp_path)


def test_no_input_on_a_terminal_is_a_usage_error() -> None:
    # With no FILE and nothing piped, parse must not hang waiting for a keyboard.
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pty, os, sys\n"
            "pid, fd = pty.fork()\n"
            "if pid == 0:\n"
            "    os.execvp(sys.executable, [sys.executable, '-c', "
            "'from liveblog_cli.cli import main; main()', 'parse'])\n"
            "out = b''\n"
            "while True:\n"
            "    try:\n"
            "        chunk = os.read(fd, 1024)\n"
            "    except OSError:\n"
            "        break\n"
            "    if not chunk: break\n"
            "    out += chunk\n"
            "_, status = os.waitpid(pid, 0)\n"
            "sys.stdout.write(str(os.waitstatus_to_exitcode(status)) + ' ' + out.decode())\n",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    code, _, message = proc.stdout.decode().partition(" ")
    assert code == "2"
    assert "no input" in message


def test_version_and_help() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith(b"liveblog ")
    helptext = run_cli("--help").stdout.decode()
    assert "parse" in helptext


def test_parse_is_bounded_by_max_bytes(tmp_path: Path) -> None:
    """A file or a stream larger than --max-bytes (default: fetch's 20 MiB) is refused in
    one line, exit 65, before it is read whole."""
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"a" * 4096 + b"</p>")
    for args, stdin in (([str(big)], None), (["-"], big.read_bytes())):
        done = run_cli("parse", *args, "--max-bytes", "2048", stdin=stdin)
        err = done.stderr.decode()
        assert done.returncode == 65, err
        assert err.count("\n") == 1 and "more than --max-bytes 2048" in err
    assert run_cli("parse", str(SAMPLES / "guardian-tallships.dcr.json")).returncode == 0
