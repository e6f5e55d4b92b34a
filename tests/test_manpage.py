"""The man page is the commands' own help and the README's exit codes, current (written by
`make man-doc`), and groff reads it without a warning."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

PAGE = ROOT / "docs" / "liveblog.1"


def _written() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "liveblog_cli.cli.manpage", str(ROOT / "README.md")],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode()


def test_the_man_page_is_current_and_names_every_command() -> None:
    from liveblog_cli.cli.app import COMMANDS

    page = _written()
    assert PAGE.read_text() == page, "docs/liveblog.1 is stale: run `make man-doc`"
    for name, _ in COMMANDS:
        assert f".SS {name}" in page, name
    assert ".SH EXIT STATUS" in page and "\n.B 75\n" in page


@pytest.mark.skipif(shutil.which("groff") is None, reason="no groff on this machine")
def test_groff_reads_the_man_page_without_a_warning() -> None:
    done = subprocess.run(
        ["groff", "-k", "-man", "-Tutf8", "-ww", "-z", str(PAGE)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode()
