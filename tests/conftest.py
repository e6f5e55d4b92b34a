"""Shared fixtures: the corpus (skipped cleanly when ../shared is absent), samples, the CLI."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = Path(os.environ.get("LIVEBLOG_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_file(relative: str) -> Path:
    """A file of the shared corpus, or a skip when this checkout has none (a user's clone)."""
    path = CORPUS / relative
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared corpus, missing {path}")
        pytest.skip(f"shared corpus not present ({path})")
    return path


def archive_db(tmp_path: Path, name: str = "archive") -> str:
    """Where a test keeps an archive: a file in its temporary directory, or, under
    `make test-postgres` (LIVEBLOG_TEST_ENGINE=postgres), a new PostgreSQL archive (a
    schema of its own on this process's throwaway server; skipped where none can run)."""
    import pgserver

    if not pgserver.wanted():
        return str(tmp_path / f"{name}.db")
    try:
        return pgserver.server().archive(name)
    except Exception as exc:  # no binaries, no psycopg, a server that will not start
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL for this test: {exc}")


def on_postgres(db: str | Path) -> bool:
    return str(db).startswith("postgresql://")


def sqlite_only(db: str | Path) -> None:
    """A test of SQLite's own ways (its file, its pragmas): skipped on PostgreSQL."""
    if on_postgres(db):
        pytest.skip("about SQLite's own file, not the archive's rules")


def sql(db: str | Path, query: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    """Rows of a query (SQLite's `?` placeholders) on a test's archive, either engine."""
    if on_postgres(db):
        import psycopg

        from liveblog_cli.archive.postgres import translate

        text, numbered = translate(query)
        values = {f"p{n}": v for n, v in enumerate(params, 1)} if numbered else list(params)
        with psycopg.connect(str(db), autocommit=True) as conn:
            return [tuple(row) for row in conn.execute(text, values or None).fetchall()]
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(query, params).fetchall()


def columns(db: str | Path, table: str) -> list[str]:
    """A table's columns in order, on either engine."""
    if on_postgres(db):
        query = (
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
        )
        return [r[0] for r in sql(db, query, table)]
    return [r[1] for r in sql(db, f"PRAGMA table_info({table})")]


def dump(db: str | Path) -> str:
    """Everything a test's archive holds, as text (to look for what must never be kept): SQLite's
    own dump of the file; on PostgreSQL every row of every table of the archive's schema."""
    if not on_postgres(db):
        import sqlite3

        with contextlib.closing(sqlite3.connect(db)) as conn:
            return "\n".join(conn.iterdump())
    tables = sql(
        db,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() ORDER BY 1",
    )
    assert tables, f"no tables in {db}"
    lines = []
    for (table,) in tables:
        lines.append(f"-- {table}")
        lines += [repr(row) for row in sql(db, f'SELECT * FROM "{table}"')]
    return "\n".join(lines)


def sql_write(db: str | Path, query: str, *params: object) -> int:
    """Run one statement that changes a test's archive by hand (to damage a row, say), on
    either engine, committed at once; how many rows it changed."""
    if on_postgres(db):
        import psycopg

        from liveblog_cli.archive.postgres import translate

        text, numbered = translate(query)
        values = {f"p{n}": v for n, v in enumerate(params, 1)} if numbered else list(params)
        with psycopg.connect(str(db), autocommit=True) as conn:
            return conn.execute(text, values or None).rowcount
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        return conn.execute(query, params).rowcount


@pytest.fixture(autouse=True)
def _private_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Tests never touch a real user archive: LIVEBLOG_DB names the test's own (a file, or
    under `make test-postgres` a PostgreSQL archive made when first used); nor read the
    user's settings file (the config directory is the test's own, empty)."""
    import pgserver

    monkeypatch.delenv("LIVEBLOG_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-settings"))

    db = str(tmp_path / "archive.db")
    if pgserver.wanted() and pgserver.binaries() is not None:
        db = archive_db(tmp_path)
    monkeypatch.setenv("LIVEBLOG_DB", db)
    return db


CLI = [sys.executable, "-c", "from liveblog_cli.cli import main; main()"]


def _cli_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("LIVEBLOG_DEBUG", None)
    # Hundreds of `liveblog` processes: let the first write the bytecode the rest then load
    # (__pycache__ is ignored by git), rather than each compiling every module again.
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return full_env


def run_cli(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run the real `liveblog` entry point in a process of its own, as a user's shell would:
    its own stdin, stdout and stderr (files, not terminals), environment, exit code.

    The process is forked from this one, with liveblog already imported: the same code
    runs as from the shell, minus an interpreter start-up per call (hundreds of calls),
    unless another thread runs here (a local server): then, and with
    LIVEBLOG_TEST_SUBPROCESS=1, a fresh interpreter.
    """
    import threading

    # A fork copies only the calling thread: a lock another thread held at that instant
    # (a local test server's, a stream's) stays held in the child for ever, and the child
    # hangs until its budget runs out; with threads about, a fresh interpreter instead.
    alone = threading.active_count() == 1
    if os.environ.get("LIVEBLOG_TEST_SUBPROCESS") or not hasattr(os, "fork") or not alone:
        return subprocess.run(
            [*CLI, *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env=_cli_env(env),
            timeout=timeout,
            check=False,
        )
    return _forked([*CLI, *args], list(args), stdin or b"", _cli_env(env), timeout)


def _forked(
    command: list[str], args: list[str], stdin: bytes, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[bytes]:
    import tempfile
    import time

    import liveblog_cli.cli.app  # noqa: F401 (imported once, here, for every child)

    with (
        tempfile.TemporaryFile() as inp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        inp.write(stdin)
        inp.seek(0)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _child(args, env, inp.fileno(), out.fileno(), err.fileno())
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(command, timeout)
            time.sleep(0.002)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(
            command, os.waitstatus_to_exitcode(status), out.read(), err.read()
        )


def _child(args: list[str], env: dict[str, str], fd_in: int, fd_out: int, fd_err: int) -> None:
    import io
    import signal
    import time
    import traceback

    code = 1
    try:
        for fd, target in ((fd_in, 0), (fd_out, 1), (fd_err, 2)):
            os.dup2(fd, target)
        os.environ.clear()
        os.environ.update(env)
        time.tzset()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True
        )
        sys.argv = ["liveblog", *args]
        from liveblog_cli import times
        from liveblog_cli.cli import main

        times.local_zone.cache_clear()  # the zone is the child's (its TZ), not this process's
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 70
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


# Peak memory of the process itself: VmHWM starts afresh at exec (ru_maxrss would carry over
# the high-water mark of the pytest process that forked it).
MEASURED = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('\\nMAXRSS ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "from liveblog_cli.cli import main\nmain()\n"
)


def measured_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """Run the real CLI in a fresh interpreter; its result and its peak resident memory (MB)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        capture_output=True,
        env=_cli_env(env),
        timeout=timeout,
        check=False,
    )
    peak = int(result.stderr.rsplit(b"MAXRSS ", 1)[1].split()[0]) / 1024
    result.stderr = result.stderr.rsplit(b"\nMAXRSS", 1)[0]
    return result, peak


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small filesystem of its own at `path` (to fill a disk), or a skip where none can be
    mounted (not root)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def start_cli(
    *args: str, env: dict[str, str] | None = None, quiet: bool = False
) -> subprocess.Popen[bytes]:
    """Start the real `liveblog` in the background (to kill, signal or race it)."""
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen([*CLI, *args], env=_cli_env(env), stdout=out, stderr=out)


# --- docs/RELIABILITY.md, written by the reliability tests themselves -------------------------

RELIABILITY: dict[str, tuple[str, str, str]] = {}  # row -> (what was tried, cases, result)
RELIABILITY_ROWS: list[str] = []  # filled by test_reliability.py: the rows a full run has


def record(row: str, tried: str, cases: int | str, result: str) -> None:
    """Record one row of the reliability table (called by the test that measured it)."""
    RELIABILITY[row] = (tried, f"{cases:,}" if isinstance(cases, int) else cases, result)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write docs/RELIABILITY.md when asked (`make reliability-doc` sets LIVEBLOG_WRITE_DOCS)
    and a run produced every row with nothing failed. A plain test run changes no file."""
    if not os.environ.get("LIVEBLOG_WRITE_DOCS"):
        return
    if not RELIABILITY_ROWS or exitstatus != 0:
        return
    if any(row not in RELIABILITY for row in RELIABILITY_ROWS):
        return  # a partial run (-k, -x ...): keep the last complete table
    import platform
    from datetime import UTC, datetime

    lines = [
        "# Reliability",
        "",
        "This table is written by the test suite (`tests/test_reliability.py`,",
        "`tests/test_hostile.py`, `tests/test_parse_fuzz.py`, `tests/test_record_order.py`,",
        "`tests/test_import_bounds.py`, `tests/test_schedule.py`, `tests/test_discover.py`,",
        "`tests/test_identity.py` and `tests/test_serve.py`) at the end of a run in which",
        "every row's test passed; nobody types it. `make reliability-doc` makes it again.",
        "",
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}",
        "",
        "| what was tried | cases | result |",
        "|---|---|---|",
    ]
    lines += [f"| {' | '.join(RELIABILITY[row])} |" for row in RELIABILITY_ROWS]
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "RELIABILITY.md").write_text("\n".join(lines) + "\n")
