"""Full-size demonstration runs for issues 22 and 23, with real `liveblog` processes.

    .venv/bin/python benchmarks/full_runs.py [--only workers|reparse]
                                             [--engine sqlite|postgres|both]

The test suite checks the same things at a small size; this script runs them at the size
the issues name and prints the figures quoted in the closing note. It is not part of
`make test` nor of `make bench` (it takes minutes, and its figures are counts, not timings).

A) workers (issue 23): 300 Guardian-shaped blogs (3 posts each) served on 127.0.0.1, put
   on the archive's schedule by `liveblog schedule add --every 3600` (due at once, then not
   again for about an hour: each blog is due exactly once in the window), then 3 `liveblog
   worker` processes at once for 40 s (`--max-duration 40 --delay 0 --concurrency 4`).
   Shows: polls per blog counted from the server's own log (min/max; exactly 1 wanted),
   blogs in `list --json` (300 wanted), the workers' exit codes (0 wanted), wall time. On
   SQLite and on PostgreSQL (a `postgresql://` archive, its tables made on first use).
   With both engines: `export --all` of the two archives equal, fetch times aside (the
   first_seen_at and last_seen_at of each post, as tests/test_engines.py compares), and
   `liveblog copy` SQLite -> PostgreSQL -> SQLite: every table's row count kept (both
   copies' --json against the source's own counts), both copies' `export --all` byte-equal
   to the source's, and the `export --all -f warc` payloads byte-identical (warcio).

B) reparse beside fetch (issue 22): for 40 s, a loop of `liveblog fetch` processes (the
   blog's page changes before every request: a post added, then a post edited, in turn,
   never a 304) beside a loop of `liveblog reparse --all` processes, on one archive
   (SQLite, as the issue names; with --engine both, PostgreSQL too). Shows: runs of each
   and their exit codes, what `reparse --all --dry-run` then finds to change (nothing
   wanted), consecutive duplicate revisions (one post's revision n and n+1 with the same
   content hash; none wanted), revisions written by reparse, and posts whose current text
   differs from the last page served (as `liveblog parse` reads it; none wanted).

PostgreSQL is the tests' throwaway server (tests/pgserver.py: a socket only, fsync off,
run as the postgres user when root). Nothing but 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from liveserver import GuardianBlog, LiveServer, Reply, dcr_block  # noqa: E402

# The issues' sizes.
BLOGS = 300
POSTS = 3
WORKERS = 3
SECONDS = 40.0
EVERY = 3600  # seconds between two polls of a blog: one poll each in the window
RACE_SECONDS = 40.0
RACE_POSTS = 30

LIVEBLOG = str(Path(sys.executable).parent / "liveblog")  # the installed entry point
ENV = {**os.environ, "LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
ENV.pop("LIVEBLOG_DB", None)
ENV.pop("LIVEBLOG_DEBUG", None)


def say(text: str = "") -> None:
    print(text, flush=True)


def cli(*args: str, stdin: bytes = b"", timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LIVEBLOG, *args],
        input=stdin,
        capture_output=True,
        env=ENV,
        timeout=timeout,
        check=False,
    )


def checked(*args: str, stdin: bytes = b"", timeout: float = 600) -> bytes:
    done = cli(*args, stdin=stdin, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(
            f"liveblog {' '.join(args[:2])} exited {done.returncode}: "
            f"{done.stderr.decode(errors='replace')[-600:]}"
        )
    return done.stdout


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


# --- the two engines --------------------------------------------------------------------------


class Engines:
    """Where archives go: files in a temporary directory; PostgreSQL archives (a schema
    each) on one throwaway server, started when first asked for."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self._pg: Any = None
        self._n = itertools.count()

    def fresh(self, engine: str, name: str) -> str:
        if engine == "sqlite":
            return str(self.tmp / f"{name}-{next(self._n)}.db")
        if self._pg is None:
            spec = importlib.util.spec_from_file_location("pgserver", ROOT / "tests/pgserver.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._pg = module.Server()
            say(f"(PostgreSQL server started in {self._pg.started_in:.1f} s)")
        return self._pg.archive(name)

    def stop(self) -> None:
        if self._pg is not None:
            self._pg.stop()


def sql(db: str, query: str) -> list[tuple[Any, ...]]:
    """Rows of a query without parameters, on either engine."""
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(query).fetchall()]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(query).fetchall()


def without_fetch_times(export: bytes) -> list[dict[str, Any]]:
    """An export's posts, less the times that say when this archive fetched them."""
    posts = [json.loads(line) for line in export.splitlines()]
    for post in posts:
        post.pop("first_seen_at", None)
        post.pop("last_seen_at", None)
    return posts


def payloads(warc: bytes) -> list[tuple[str, bytes]]:
    from warcio.archiveiterator import ArchiveIterator

    return [
        (r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type in ("response", "resource")
    ]


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


# --- A: workers sharing the schedule (issue 23) -----------------------------------------------


def workers_run(engine: str, engines: Engines, server: LiveServer, urls: list[str]) -> str:
    db = engines.fresh(engine, "workers")
    say(f"\n[A] {engine}: {BLOGS} blogs, {WORKERS} workers at once for {SECONDS:g} s")
    checked(
        "schedule", "add", "--from", "-", "--every", str(EVERY), "--db", db,
        stdin="\n".join(urls).encode(),
    )  # fmt: skip
    server.requests.clear()
    logs = [engines.tmp / f"worker-{engine}-{i}.err" for i in range(WORKERS)]
    say(f"  before: {load()}")
    started = time.monotonic()
    procs = []
    for log in logs:
        with log.open("wb") as err:
            procs.append(
                subprocess.Popen(
                    [
                        LIVEBLOG, "worker", "--delay", "0", "--concurrency", "4",
                        "--max-duration", f"{SECONDS:g}", "--timeout", "5", "--retries", "0",
                        "--quiet", "--db", db,
                    ],
                    env=ENV, stdout=subprocess.DEVNULL, stderr=err,
                )
            )  # fmt: skip
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=SECONDS + 600))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(proc.wait())
    wall = time.monotonic() - started
    say(f"  after:  {load()}")
    requests = list(server.requests)

    polls = dict.fromkeys(urls, 0)
    other = 0
    for r in requests:
        url = server.url(r["path"].split(".json")[0])
        if url in polls and r["path"].endswith(".json?dcr=true"):
            polls[url] += 1
        else:
            other += 1
    spread = Counter(polls.values())
    times = sorted(r["time"] - started for r in requests)
    listed = json.loads(checked("list", "--json", "--db", db))
    scheduled = json.loads(checked("schedule", "list", "--json", "--db", db))
    sched_polls = Counter(row["polls"] for row in scheduled)
    outcomes = Counter(str(row.get("last_outcome")) for row in scheduled)

    say(f"  polls per blog (server log): min {min(polls.values())}, max {max(polls.values())}")
    say(f"  blogs by polls: {dict(sorted(spread.items()))} (other requests: {other})")
    say(f"  polls per blog (schedule list): {dict(sorted(sched_polls.items()))}")
    say(f"  schedule outcomes: {dict(outcomes)}")
    if times:
        say(f"  requests from {times[0]:.1f} s to {times[-1]:.1f} s after the workers started")
    say(f"  blogs in list --json: {len(listed)} of {BLOGS}")
    say(f"  worker exit codes: {codes}")
    say(f"  wall time: {wall:.1f} s")
    for i, log in enumerate(logs):
        text = log.read_text(errors="replace").strip()
        lines = text.splitlines()
        say(f"  worker {i} stderr: {len(lines)} lines" + (f", last: {lines[-1]}" if lines else ""))
        bad = [x for x in lines if "Traceback" in x or "rror" in x]
        for line in bad[:5]:
            say(f"    ! {line}")
    twice = sorted(u for u, n in polls.items() if n > 1)
    never = sorted(u for u, n in polls.items() if n == 0)
    if twice:
        say(f"  POLLED MORE THAN ONCE: {len(twice)}, e.g. {twice[:3]}")
    if never:
        say(f"  NEVER POLLED: {len(never)}, e.g. {never[:3]}")
    return db


def compare_engines(lite: str, pg: str, engines: Engines) -> None:
    say("\n[A] SQLite and PostgreSQL archives of the same 300 blogs")
    exports = {db: checked("export", "--all", "--db", db) for db in (lite, pg)}
    a, b = (without_fetch_times(exports[db]) for db in (lite, pg))
    say(f"  export --all: {len(a)} posts (SQLite), {len(b)} (PostgreSQL)")
    say(f"  export equal (fetch times aside): {yes(a == b and len(a) == BLOGS * POSTS)}")
    if a != b:
        diff = sum(1 for x, y in zip(a, b, strict=False) if x != y)
        say(f"    posts differing at the same position: {diff}")

    say("\n[A] liveblog copy SQLite -> PostgreSQL -> SQLite (the SQLite workers' archive)")
    there = engines.fresh("postgres", "copy")
    back = engines.fresh("sqlite", "back")
    t0 = time.monotonic()
    to_pg = json.loads(checked("copy", lite, there, "--json"))
    t1 = time.monotonic()
    from_pg = json.loads(checked("copy", there, back, "--json"))
    t2 = time.monotonic()
    source = {table: sql(lite, f'SELECT count(*) FROM "{table}"')[0][0] for table in to_pg}
    say(f"  copy times: to PostgreSQL {t1 - t0:.1f} s, back {t2 - t1:.1f} s")
    say(f"  rows per table (source / to PostgreSQL / back): {len(to_pg)} tables")
    for table in to_pg:
        say(f"    {table:<14} {source[table]:>7} {to_pg[table]:>7} {from_pg.get(table, '-'):>7}")
    say(f"  copy counts equal: {yes(to_pg == from_pg == source)}")
    same = [checked("export", "--all", "--db", db) == exports[lite] for db in (there, back)]
    say(f"  export --all of both copies byte-equal to the source's: {yes(all(same))}")
    warcs = [checked("export", "--all", "-f", "warc", "--db", db) for db in (lite, back)]
    original, returned = (payloads(w) for w in warcs)
    size = sum(len(p) for _, p in original)
    say(f"  WARC records with a payload: {len(original)} ({size:,} bytes) and {len(returned)}")
    say(f"  WARC payloads equal: {yes(original == returned and len(original) >= BLOGS)}")


def part_a(chosen: list[str], engines: Engines) -> None:
    dbs = {}
    with LiveServer() as server:
        urls = []
        for n in range(BLOGS):
            path = f"/world/live/2026/jan/01/blog-{n:04d}"
            posts = [dcr_block(n * 10 + k) for k in range(POSTS, 0, -1)]
            blog = GuardianBlog(path, posts, per_page=5)
            server.routes[path + ".json"] = blog.route
            urls.append(server.url(path))
        for engine in chosen:
            dbs[engine] = workers_run(engine, engines, server, urls)
    if len(dbs) == 2:
        compare_engines(dbs["sqlite"], dbs["postgres"], engines)


# --- B: reparse beside a fetch loop (issue 22) ------------------------------------------------


def reparse_run(engine: str, engines: Engines) -> None:
    say(f"\n[B] {engine}: {RACE_SECONDS:g} s of a fetch loop beside a reparse --all loop")
    blocks = [dcr_block(n) for n in range(RACE_POSTS, 0, -1)]
    blog = GuardianBlog("/world/live/2024/may/01/race", blocks, per_page=100_000)
    served = itertools.count()
    last: dict[str, Any] = {}
    lock = threading.Lock()
    changes = Counter()

    def changing(target: str, headers: dict[str, str]) -> Reply:
        with lock:
            n = next(served)
            if n % 2 == 0:  # a post added on top
                blocks.insert(0, dcr_block(RACE_POSTS + 1 + n // 2))
                changes["added"] += 1
            else:  # a post edited
                block = blocks[n % len(blocks)]
                block["elements"][0]["html"] = f"<p>Edited for the {n}th time.</p>"
                changes["edited"] += 1
            reply = blog.route(target, {})  # never 304: every poll brings a new page
            last["body"], last["n"] = reply.body, n
            return reply

    db = engines.fresh(engine, "race")
    runs = {"fetch": Counter(), "reparse": Counter()}
    failures: list[str] = []
    with LiveServer() as server:
        server.routes[blog.path + ".json"] = changing
        url = server.url(blog.path)
        checked("fetch", url, "--delay", "0", "--db", db)
        say(f"  before: {load()}")
        started = time.monotonic()
        stop = started + RACE_SECONDS

        def loop(name: str, *args: str) -> None:
            while time.monotonic() < stop:
                done = cli(*args, "--db", db, timeout=600)
                runs[name][done.returncode] += 1
                if done.returncode != 0:
                    failures.append(f"{name} {done.returncode}: {done.stderr.decode()[-300:]}")

        threads = [
            threading.Thread(target=loop, args=("fetch", "fetch", url, "--delay", "0")),
            threading.Thread(target=loop, args=("reparse", "reparse", "--all")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        say(f"  after:  {load()}")
    page = engines.tmp / f"last-page-{engine}.json"
    page.write_bytes(last["body"])

    dry = cli("reparse", "--all", "--dry-run", "--json", "--db", db)
    reports = json.loads(dry.stdout) if dry.returncode == 0 else []
    corrections = sum(len(r["corrections"]) for r in reports)
    ((repeats,),) = sql(
        db,
        "SELECT count(*) FROM block_revisions a JOIN block_revisions b "
        "ON b.blog_id = a.blog_id AND b.block_id = a.block_id "
        "AND b.revision = a.revision + 1 AND b.content_hash = a.content_hash",
    )
    ((revisions,),) = sql(db, "SELECT count(*) FROM block_revisions")
    ((reparsed,),) = sql(db, "SELECT count(*) FROM block_revisions WHERE cause = 'reparse'")
    ((fetches,),) = sql(db, "SELECT count(*) FROM fetches")
    exported = [json.loads(line) for line in checked("export", "--all", "--db", db).splitlines()]
    current = {p["id"]: p["text"] for p in exported}
    parsed = checked("parse", str(page), "--url", url + ".json?dcr=true", "-f", "jsonl")
    expected = {p["id"]: p["text"] for p in map(json.loads, parsed.splitlines())}
    differ = sorted(i for i in expected if current.get(i) != expected[i])
    extra = sorted(set(current) - set(expected))

    say(f"  wall time: {wall:.1f} s; page served {last['n'] + 1} times ({dict(changes)})")
    for name, codes in runs.items():
        say(f"  {name} runs: {sum(codes.values())}, exit codes {dict(sorted(codes.items()))}")
    for failure in failures[:5]:
        say(f"    ! {failure!r}")
    say(f"  polls recorded in the archive: {fetches}")
    say(
        f"  reparse --all --dry-run: exit {dry.returncode}, {len(reports)} blogs, "
        f"{corrections} posts it would change"
    )
    if dry.returncode != 0:
        say(f"    ! {dry.stderr.decode()[-300:]!r}")
    say(f"  revisions: {revisions}, written by reparse: {reparsed}")
    say(f"  consecutive duplicate revisions (same content hash twice in a row): {repeats}")
    say(
        f"  posts in the last page served: {len(expected)}, in the archive: {len(current)}; "
        f"current text differs from that page's: {len(differ)}; not in that page: {len(extra)}"
    )
    for block_id in differ[:5]:
        say(f"    ! {block_id}: archive {current.get(block_id)!r}, page {expected[block_id]!r}")


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["workers", "reparse"])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    chosen = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    started = time.monotonic()
    say(f"liveblog full runs: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    version = checked("--version").decode().strip()
    say(f"{version}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, {load()}")
    with tempfile.TemporaryDirectory(prefix="liveblog-full-") as tmp:
        engines = Engines(Path(tmp))
        try:
            if args.only in (None, "workers"):
                part_a(chosen, engines)
            if args.only in (None, "reparse"):
                for engine in chosen:
                    reparse_run(engine, engines)
        finally:
            engines.stop()
    say(f"\ndone in {time.monotonic() - started:.0f} s, {load()}")


if __name__ == "__main__":
    main()
