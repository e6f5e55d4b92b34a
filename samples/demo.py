"""`make demo`: fetch a sample live blog from a local server into a demo archive, show it.

Everything happens on 127.0.0.1: the sample server stands in for theguardian.com. The
archive is `demo.db` at the top of the repository (LIVEBLOG_DEMO_DB names another): the
demo never writes into your real archive.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from serve import start

PATH = "/uk-news/live/2026/jun/13/port-elstow-tall-ships-festival-live"


def main() -> int:
    server = start()
    url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    db = os.environ.get("LIVEBLOG_DEMO_DB") or str(
        Path(__file__).resolve().parent.parent / "demo.db"
    )
    env = {**os.environ, "LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1", "LIVEBLOG_DB": db}
    liveblog = [sys.executable, "-m", "liveblog_cli"]
    print(f"(the demo archive is {db}; your own archive is not touched)", file=sys.stderr)
    try:
        print(f"$ liveblog fetch {url}", file=sys.stderr, flush=True)
        fetched = subprocess.run([*liveblog, "fetch", url, "--delay", "0.2"], env=env, check=False)
        if fetched.returncode != 0:
            return fetched.returncode
        print(f"$ liveblog show {PATH.strip('/')}", file=sys.stderr, flush=True)
        shown = subprocess.run(
            [*liveblog, "show", PATH.strip("/"), "--no-pager"], env=env, check=False
        ).returncode
        print(f"$ liveblog --db {db} list   # explore it further", file=sys.stderr)
        return shown
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
