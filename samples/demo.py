"""`make demo`: fetch a sample live blog from a local server into the default archive, show it.

Everything happens on 127.0.0.1: the sample server stands in for theguardian.com.
"""

from __future__ import annotations

import os
import subprocess
import sys

from serve import start

PATH = "/uk-news/live/2026/jun/13/port-elstow-tall-ships-festival-live"


def main() -> int:
    server = start()
    url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    env = {**os.environ, "LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
    liveblog = [sys.executable, "-m", "liveblog_cli"]
    try:
        print(f"$ liveblog fetch {url}", file=sys.stderr, flush=True)
        fetched = subprocess.run([*liveblog, "fetch", url, "--delay", "0.2"], env=env, check=False)
        if fetched.returncode != 0:
            return fetched.returncode
        print(f"$ liveblog show {PATH.strip('/')}", file=sys.stderr, flush=True)
        return subprocess.run([*liveblog, "show", PATH.strip("/")], env=env, check=False).returncode
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
