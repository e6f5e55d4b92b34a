"""The html export renders in a real headless Chromium (run by `make check-html`).

Skipped where no Chromium is installed; `make check-html` installs Debian's and runs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLES, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (make check-html)")


def test_html_export_renders_in_chromium(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    for name in ("guardian-tallships.dcr.json", "guardian-tallships-page2.dcr.json"):
        assert run_cli("parse", str(SAMPLES / name), "--save", "--db", str(db)).returncode == 0
    page = tmp_path / "blog.html"
    assert (
        run_cli("export", "uk-news", "-f", "html", "-o", str(page), "--db", str(db)).returncode == 0
    )
    profile = tmp_path / "profile"
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True
    ).stdout.decode()
    # The browser parsed the page into the structure we wrote: header, key events, articles.
    assert dom.count('<article id="block-') == 6
    assert "Key events" in dom and "Port Elstow tall ships festival" in dom
    assert "<script" not in dom
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a rendered page, not a blank
