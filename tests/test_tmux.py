"""What a person sees in a real terminal: a fetch of blogs with long addresses inside tmux, at
80 and 120 columns. The progress line wraps over several rows and is redrawn as the walk
goes; every blog's summary line must still be on the screen when the command ends."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="no tmux on this machine")

# Real Guardian addresses run past 120 columns once a host and port are in front.
LONG = "/world/live/2026/dec/05/{n}-a-very-long-live-blog-address-about-the-summit-and-the-talks-"
LONG += "that-went-on-late-into-the-night-live-updates"
DONE = "ALL-DONE-MARK"


def _slow(route: object) -> object:
    """Each page answers after a pause, so the progress line is on screen while blogs end."""

    def answer(target: str, headers: dict[str, str]) -> Reply:
        reply = route(target, headers)  # type: ignore[operator]
        return dataclasses.replace(reply, delay=0.03)

    return answer


def _screen(socket: Path) -> str:
    """The pane's history and screen as a person would scroll back through it."""
    done = subprocess.run(
        ["tmux", "-S", str(socket), "capture-pane", "-p", "-J", "-S", "-", "-t", "t"],
        capture_output=True,
        timeout=30,
        check=True,
    )
    return done.stdout.decode()


@pytest.mark.parametrize("columns", [80, 120])
def test_every_summary_line_survives_the_progress_line(tmp_path: Path, columns: int) -> None:
    paths = [LONG.format(n=n) for n in range(4)]
    with LiveServer() as server:
        for path in paths:
            blog = GuardianBlog(path, [dcr_block(k) for k in range(8, 0, -1)], per_page=1)
            server.routes[path + ".json"] = _slow(blog.route)
        db = tmp_path / "a.db"
        command = [sys.executable, "-m", "liveblog_cli", "fetch", "--db", str(db), "--delay", "0"]
        command += [server.url(p) for p in paths]
        script = tmp_path / "run.sh"
        script.write_text(f"{shlex.join(command)}\necho {DONE} $?\nsleep 120\n", encoding="utf-8")
        socket = tmp_path / "tmux.sock"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1",  # served as the Guardian's JSON pages
        }
        env.pop("TMUX", None)
        session = ["new-session", "-d", "-s", "t", "-x", str(columns), "-y", "24"]
        subprocess.run(
            ["tmux", "-S", str(socket), "-f", "/dev/null", *session, "sh", str(script)],
            env=env,
            timeout=30,
            check=True,
        )
        try:
            deadline = time.monotonic() + 120
            while DONE not in (screen := _screen(socket)) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            subprocess.run(["tmux", "-S", str(socket), "kill-server"], timeout=30, check=False)
    assert f"{DONE} 0" in screen, screen
    # Joined (-J) so a summary wrapped at the pane's width reads as one line again.
    summaries = [line for line in screen.splitlines() if "+8 new, 0 edited, 0 deleted" in line]
    assert len(summaries) == len(paths), screen
    for path in paths:
        blog_id = path.strip("/")
        assert any(blog_id in line for line in summaries), (blog_id, screen)
    assert "fetching" not in screen  # the progress line is gone once the fetch ends
