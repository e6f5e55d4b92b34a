"""`make demo` keeps working: the sample server, a fetch of both pages, the timeline."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SAMPLES


def test_demo_fetches_the_sample_blog_and_shows_it(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    env = {
        **os.environ,
        "LIVEBLOG_DEMO_DB": str(tmp_path / "demo.db"),
        "LIVEBLOG_DB": str(real),
        "COLUMNS": "120",
    }
    result = subprocess.run(
        [sys.executable, "demo.py"],
        cwd=SAMPLES,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"+6 new, 0 edited, 0 deleted, 6 blocks" in result.stderr
    out = result.stdout.decode()
    assert "Port Elstow tall ships festival" in out and "Key events" in out
    assert "Welcome to the tall ships festival" in out
    with sqlite3.connect(tmp_path / "demo.db") as conn:  # the walk reached page 2
        assert conn.execute(
            "SELECT count(*) FROM fetches WHERE snapshot_hash IS NOT NULL"
        ).fetchone() == (2,)
    assert not real.exists()  # the demo never writes into the user's archive
    assert "demo archive is" in result.stderr.decode()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="no git/make"
)
def test_demo_and_the_file_writing_tests_leave_the_tree_clean(tmp_path: Path) -> None:
    """`make demo` and the tests that write files (the demo, the generated docs' tests, a
    reliability row's) change no tracked file and leave no untracked one: run in a copy of
    this checkout made a git repository of its own, then `git status --porcelain` there."""
    copy = tmp_path / "checkout"
    files = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, files.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy")
    venv = Path(sys.prefix)
    # This interpreter's environment stands in for the copy's .venv (no install, no network),
    # with the copy's own package first on the path.
    # The copy has no ../shared beside it: its tests read this checkout's corpus.
    env = {
        **os.environ,
        "PYTHONPATH": str(copy),
        "LIVEBLOG_DB": str(tmp_path / "user.db"),
        "LIVEBLOG_CORPUS": str(CORPUS),
    }
    env.pop("LIVEBLOG_WRITE_DOCS", None)
    bin_dir = venv / "bin"
    demo = subprocess.run(
        ["make", "-o", f"{bin_dir}/liveblog", "demo", f"VENV={venv}", f"BIN={bin_dir}"],
        cwd=copy,
        env=env,
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr.decode()[-2000:]
    assert (copy / "demo.db").is_file()  # written where the README says, and ignored by git
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_demo.py::test_demo_fetches_the_sample_blog_and_shows_it",
            "tests/test_formats_doc.py",
            # A reliability row's test: the run ends in the hook that writes the docs on request.
            "tests/test_reliability.py::test_truncated_at_every_percent",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout.decode()[-2000:]
    assert _git(copy, "status", "--porcelain", "--untracked-files=all") == ""
