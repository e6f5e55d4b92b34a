"""A throwaway PostgreSQL server for the tests: initdb into a temporary directory, a Unix
socket only (no TCP port), fsync off; one server per test process (xdist worker), one
schema per archive a test asks for.

`LIVEBLOG_TEST_ENGINE=postgres` (what `make test-postgres` sets) makes `archive_db()` hand
out PostgreSQL archives; without server binaries it skips with the reason.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

BIN_DIRS = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)
USER = "postgres"


def binaries() -> Path | None:
    """Where initdb and postgres are (Debian's directories, else the PATH), or None."""
    for directory in BIN_DIRS:
        if (Path(directory) / "initdb").is_file():
            return Path(directory)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    """initdb refuses root: run the server's commands as the postgres user when root."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", USER, "--", *command]


class Server:
    """One PostgreSQL cluster in a temporary directory, started and stopped with it."""

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb) on this machine")
        self.dir = Path(tempfile.mkdtemp(prefix="liveblog-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, USER)
        data = self.dir / "data"
        started = time.monotonic()
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    USER,
                    "--no-locale",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-k {self.dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(self.dir / "log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.ctl = bin_dir / "pg_ctl"
        self.data = data
        self.started_in = time.monotonic() - started
        self.base = f"postgresql://{USER}@/postgres?host={self.dir}"
        self._schemas = itertools.count()
        import psycopg

        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        atexit.register(self.stop)

    def archive(self, name: str = "a") -> str:
        """The URL of a new, empty archive: a schema of its own in the server's database."""
        import psycopg

        schema = f"t{os.getpid()}_{next(self._schemas)}_{''.join(c for c in name if c.isalnum())}"
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return f"{self.base}&options=-csearch_path%3D{schema}"

    def stop(self) -> None:
        subprocess.run(
            _as_server_user([str(self.ctl), "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


_SERVER: list[Server] = []


def server() -> Server:
    """This process's server, started on first use."""
    if not _SERVER:
        _SERVER.append(Server())
    return _SERVER[0]


def wanted() -> bool:
    return os.environ.get("LIVEBLOG_TEST_ENGINE", "sqlite") == "postgres"
