"""`make demo` keeps working: the sample server, a fetch of both pages, the timeline."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES


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
