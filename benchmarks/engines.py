"""5. engines: the same work on SQLite and on PostgreSQL, side by side in one run.

    python benchmarks/run.py --only engines [--quick]

PostgreSQL is a throwaway server started for the run (tests/pgserver.py: the machine's
server binaries, a socket only, fsync off), on the same machine as its clients; without
server binaries or psycopg its rows say why they are skipped. Every figure is measured on
both engines in turn (A B, then B A), and read as PostgreSQL / SQLite:

  - saves of new blogs by 1, 4 and 16 writer processes, each its own connection and blogs:
    posts/s overall, p95 and max latency of a save;
  - 8 worker processes claiming 10,000 due schedule rows (the claiming machinery only: each
    row claimed, then finished without a fetch): claims/s against one worker, how the rows
    spread over the workers, rows claimed twice while leased;
  - unchanged polls per second: a page of a 200-post blog saved again as a follow saves
    it when nothing changed (its page kept, a poll recorded), by 1 and by 16 writers;
  - list, show and search on the archive at scale (LIVEBLOG_BENCH_POSTS, _BLOGS, as section
    2), built on SQLite and copied into PostgreSQL by `liveblog copy`, timed in-process.

Writers and workers are processes (spawned: each imports liveblog and opens its archive,
then all start at one barrier). Saves and polls: the work finished within the same window
for all (8 s, twice, A B then B A; --quick: 4 s once); a step still under way at its end
counts for latency, not for work. Claims: the rows over the wall time from the barrier to
the last worker's end (a worker ends when a claim finds nothing).
"""

from __future__ import annotations

import importlib.util
import multiprocessing as mp
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import ms, note, paired, row  # noqa: E402
from scale import COMMON_WORD, LIVEBLOG, blog_page, build  # noqa: E402

SECTION = "engines"
WRITERS = (1, 4, 16)
SAVE_POSTS = 50  # posts in each new blog a writer saves
CLAIM_ROWS = 10_000
CLAIM_WORKERS = 8
CLAIM_BATCH = 4  # what `liveblog worker` claims at once with its default --concurrency
POLL_POSTS = 200  # the blog whose unchanged page is polled
POLL_WRITERS = (1, 16)
RARE_WORD = "zeppelin"  # in the oldest post of every tenth blog of the archive at scale
SETUP_LIMIT = 300.0  # seconds a process may take to be ready (import, parse, first save)


# --- the two engines --------------------------------------------------------------------------


@dataclass
class Engine:
    name: str  # as rows say it
    fresh: Callable[[str], str]  # a new, empty archive's location, for a name
    skipped: str | None = None  # why this engine is not measured
    stop: Callable[[], None] = field(default=lambda: None)


def _pgserver() -> Any:
    """tests/pgserver.py, the tests' throwaway server, imported from its file."""
    spec = importlib.util.spec_from_file_location("pgserver", ROOT / "tests" / "pgserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sqlite_engine(tmp: Path) -> Engine:
    folder = tmp / "engines"
    folder.mkdir(exist_ok=True)
    return Engine("SQLite", lambda name: str(folder / f"{name}.db"))


def postgres_engine() -> Engine:
    """A server started for this run, or the reason there is none."""
    try:
        import psycopg
    except ImportError:
        return Engine("PostgreSQL", str, skipped="no psycopg (pip install -e '.[postgres]')")
    pgserver = _pgserver()
    if pgserver.binaries() is None:
        return Engine("PostgreSQL", str, skipped="no PostgreSQL server binaries (initdb)")
    try:
        server = pgserver.Server()
    except Exception as exc:  # a server that will not start: its rows say why
        return Engine("PostgreSQL", str, skipped=f"server did not start: {exc}")
    with psycopg.connect(server.base) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    note(
        f"PostgreSQL {version} on this machine, started in {server.started_in:.1f} s "
        "(tests/pgserver.py: socket, fsync=off, synchronous_commit=off; "
        "SQLite: WAL, synchronous=NORMAL)"
    )
    return Engine("PostgreSQL", server.archive, stop=server.stop)


# --- processes started at one barrier ---------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _child(
    kind: str,
    location: str,
    index: int,
    params: dict[str, Any],
    barrier: Any,
    out: Any,
) -> None:
    """One writer or worker: set up, wait at the barrier, work, hand back what it measured."""
    result: dict[str, Any] = {"index": index, "error": None}
    try:
        from liveblog_cli.archive import Archive

        with Archive(location) as archive:
            work = {"save": _save, "poll": _poll, "claim": _claim}[kind]
            result.update(work(archive, index, params, barrier))
    except BaseException:
        result["error"] = traceback.format_exc(limit=3).strip().splitlines()[-1]
        barrier.abort()  # no one waits for a process that failed before the start
    out.put(result)


def _timed_loop(step: Callable[[], int], duration: float) -> dict[str, Any]:
    """`step` again and again for `duration` seconds: when each one ended, its latency and
    work (none for one that failed), and the errors."""
    from liveblog_cli.errors import LiveblogError

    latencies: list[float] = []
    ends: list[float] = []
    works: list[int] = []
    errors = []
    start = time.monotonic()
    deadline = start + duration
    while (t0 := time.monotonic()) < deadline:
        work = 0
        try:
            work = step()
        except LiveblogError as exc:
            errors.append(str(exc))
        ends.append(time.monotonic())
        latencies.append(ends[-1] - t0)
        works.append(work)
    return {"latencies": latencies, "ends": ends, "works": works, "errors": errors, "start": start}


def _save(archive: Any, index: int, params: dict[str, Any], barrier: Any) -> dict[str, Any]:
    """New blogs of SAVE_POSTS posts, each its own (this writer's id and a counter)."""
    from liveblog_cli.parse import parse_page

    base = parse_page(blog_page(index, params["posts"]))
    count = iter(range(1 << 30))

    def step() -> int:
        n = next(count)
        blog = replace(base, id=f"{base.id}-w{index}-{n}", url=f"{base.url}-w{index}-{n}")
        archive.save(blog)
        return len(blog.blocks)

    barrier.wait()
    return _timed_loop(step, params["duration"])


def _poll(archive: Any, index: int, params: dict[str, Any], barrier: Any) -> dict[str, Any]:
    """This writer's blog saved once, then its unchanged page again and again as a follow's
    poll saves it (the page kept as a snapshot, the poll recorded)."""
    from liveblog_cli.archive import FetchInfo
    from liveblog_cli.parse import parse_page

    page = blog_page(1000 + index, params["posts"])
    blog = parse_page(page)
    archive.save(blog, raw=page, fetch=FetchInfo(url=blog.url, status=200))
    changed = 0

    def step() -> int:
        nonlocal changed
        report = archive.save(blog, raw=page, fetch=FetchInfo(url=blog.url, status=200))
        changed += report.changed
        return 1

    barrier.wait()
    result = _timed_loop(step, params["duration"])
    result["changed"] = changed
    return result


def _claim(archive: Any, index: int, params: dict[str, Any], barrier: Any) -> dict[str, Any]:
    """Claim due rows a batch at a time, finish each at once (due again in a day), until a
    claim finds none: what was claimed, and finishes that found their lease gone."""
    owner = f"bench-worker-{index}"
    later = archive.clock() + 86_400
    claimed: list[str] = []
    lost = 0
    latencies: list[float] = []
    barrier.wait()
    start = time.monotonic()
    while True:
        t0 = time.monotonic()
        rows = archive.claim(owner, params["batch"], 300)
        latencies.append(time.monotonic() - t0)
        if not rows:
            break
        for r in rows:
            claimed.append(r.url)
            done = archive.finish(
                owner, r.url, outcome="unchanged", next_due=later, failures=0, blog_id=None
            )
            lost += not done
    return {
        "claimed": claimed,
        "lost": lost,
        "latencies": latencies,
        "start": start,
        "end": time.monotonic(),
    }


def run_processes(kind: str, location: str, n: int, params: dict[str, Any]) -> list[dict]:
    """`n` processes doing `kind` on one archive, started together; each one's result."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(n + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(kind, location, i, params, barrier, out), daemon=True)
        for i in range(n)
    ]
    for p in procs:
        p.start()
    with suppress(threading.BrokenBarrierError):  # a process failed: its result says why
        barrier.wait(timeout=SETUP_LIMIT)
    limit = SETUP_LIMIT + params.get("duration", 0) + 120
    results = []
    for _ in procs:
        try:
            results.append(out.get(timeout=limit))
        except Exception:
            results.append({"index": -1, "error": f"no result within {limit:.0f} s"})
            break
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    return results


def _failed(results: list[dict]) -> str | None:
    errors = [r["error"] for r in results if r["error"]]
    return f"{len(errors)} process(es) failed: {errors[0]}" if errors else None


@dataclass
class Load:
    """Work of several processes, counted over the window they all had: from the barrier,
    `duration` seconds (work still under way at its end is not counted; its latency is)."""

    duration: float
    work: float = 0
    seconds: float = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: str | None = None
    changed: int = 0
    thirds: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    steps: list[int] = field(default_factory=list)  # steps each process finished in the window

    def add(self, results: list[dict]) -> None:
        self.failed = self.failed or _failed(results)
        good = [r for r in results if not r["error"]]
        if not good:
            return
        start = min(r["start"] for r in good)
        self.seconds += self.duration
        for r in good:
            self.latencies += r["latencies"]
            self.errors += r["errors"]
            self.changed += r.get("changed", 0)
            steps = 0
            for end, work in zip(r["ends"], r["works"], strict=True):
                part = int(3 * (end - start) / self.duration)
                if part < 3:  # done within the window: in its first, second or last third
                    self.work += work
                    self.thirds[part] += work
                    steps += 1
            self.steps.append(steps)

    @property
    def rate(self) -> float:
        return self.work / self.seconds if self.seconds else float("nan")

    def p95(self) -> float:
        return _percentile(self.latencies, 0.95)

    @property
    def sustained(self) -> float:
        """Work in the window's last third over its first (1: as fast at the end)."""
        return self.thirds[2] / max(self.thirds[0], 1e-9)


# --- 1. saves by 1, 4, 16 writers -------------------------------------------------------------


def _each_round(engines: list[Engine], rounds: int) -> Iterator[tuple[int, Engine]]:
    """Engines in turn: A B in even rounds, B A in odd ones."""
    for n in range(rounds):
        for engine in engines if n % 2 == 0 else engines[::-1]:
            yield n, engine


def _writers_label(n: int) -> str:
    return f"{n} writer{'s' if n > 1 else ''}"


def _measure(
    loads: dict[tuple[str, int], Load],
    engines: list[Engine],
    kind: str,
    writers: int,
    posts: int,
    duration: float,
    rounds: int,
) -> None:
    """`writers` processes doing `kind` ("save" or "poll") on a fresh archive of each engine,
    the engines in turn each round, added to `loads` under (engine, writers)."""
    for n, engine in _each_round(engines, rounds):
        location = engine.fresh(f"{kind}s_{writers}_{n}")
        results = run_processes(kind, location, writers, {"posts": posts, "duration": duration})
        loads.setdefault((engine.name, writers), Load(duration)).add(results)


def bench_saves(engines: list[Engine], duration: float, rounds: int) -> None:
    print(
        f"  saves of new {SAVE_POSTS}-post blogs, each writer a process with its own blogs "
        f"({duration:g} s x {rounds} round(s) a figure):",
        flush=True,
    )
    loads: dict[tuple[str, int], Load] = {}
    for writers in WRITERS:
        _measure(loads, engines, "save", writers, SAVE_POSTS, duration, rounds)
        for engine in engines:
            load = loads[(engine.name, writers)]
            one = loads[(engine.name, 1)]
            what = f"save, {_writers_label(writers)}, {engine.name}: posts/s (p95 / max save)"
            if load.failed:
                row(SECTION, what, load.failed, "no errors", False)
                continue
            scaling = "" if writers == 1 else f", {load.rate / one.rate:.2f}x 1 writer"
            errors = f", {len(load.errors)} errors" if load.errors else ""
            row(
                SECTION,
                what,
                f"{load.rate:,.0f} ({ms(load.p95())} / {ms(max(load.latencies))}{scaling}{errors})",
                "no errors",
                not load.errors,
            )
            if load.errors:
                note(f"{engine.name}: {Counter(load.errors).most_common(1)[0][0]}")
    _spread(loads, WRITERS[-1], "save", "saves")
    _peer_ratio(loads, WRITERS[-1], "save", "posts/s")


def _spread(loads: dict[tuple[str, int], Load], writers: int, what: str, unit: str) -> None:
    """How evenly the writers got their turns: the fewest and most steps one finished."""
    for (name, n), load in loads.items():
        if n == writers and load.steps and not load.failed:
            row(
                SECTION,
                f"{what}, {_writers_label(writers)}, {name}: fewest / most {unit} a writer",
                f"{min(load.steps):,} / {max(load.steps):,}",
            )


def _peer_ratio(loads: dict[tuple[str, int], Load], writers: int, what: str, unit: str) -> None:
    """PostgreSQL / SQLite of one figure, when both were measured."""
    pg, lite = loads.get(("PostgreSQL", writers)), loads.get(("SQLite", writers))
    if not pg or not lite or pg.failed or lite.failed:
        return
    ratio = pg.rate / lite.rate
    row(
        SECTION,
        f"{what}, {_writers_label(writers)}: PostgreSQL / SQLite {unit}",
        f"{ratio:.2f}x (p95 {ms(pg.p95())} / {ms(lite.p95())})",
        "≥ 1x",
        ratio >= 1,
    )


# --- 2. claims by 8 workers -------------------------------------------------------------------


def _schedule(location: str, rows: int) -> None:
    from liveblog_cli.archive import Archive

    with Archive(location) as archive:
        urls = [f"https://news.example.org/live/bench-{n:05d}" for n in range(rows)]
        archive.schedule_add(urls, every=3600)


def _left(location: str) -> tuple[int, int]:
    """(rows never finished, rows finished more than once), read from the schedule."""
    from liveblog_cli.archive import Archive

    with Archive(location, create=False) as archive:
        polls = Counter(s.polls for s in archive.scheduled())
    return polls[0], sum(count for n, count in polls.items() if n > 1)


def bench_claims(engines: list[Engine], rows: int) -> None:
    print(
        f"  {rows:,} due schedule rows claimed {CLAIM_BATCH} at a time, each finished at "
        "once (no fetch):",
        flush=True,
    )
    rates: dict[str, float] = {}
    for _, engine in _each_round(engines, 1):
        figures: dict[int, tuple[float, list[dict]]] = {}
        failed = None
        for workers in (1, CLAIM_WORKERS):
            location = engine.fresh(f"claims_{workers}")
            _schedule(location, rows)
            results = run_processes("claim", location, workers, {"batch": CLAIM_BATCH})
            failed = failed or _failed(results)
            if failed:
                break
            seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
            claimed = sum(len(r["claimed"]) for r in results)
            figures[workers] = (claimed / seconds, results)
            unfinished, twice = _left(location)
        what = (
            f"claims, {CLAIM_WORKERS} workers, {engine.name}: rows/s (x 1 worker; p95 / max claim)"
        )
        if failed:
            row(SECTION, what, failed, "no errors", False)
            continue
        rate, results = figures[CLAIM_WORKERS]
        rates[engine.name] = rate
        latencies = [x for r in results for x in r["latencies"]]
        row(
            SECTION,
            what,
            f"{rate:,.0f} ({rate / figures[1][0]:.2f}x; "
            f"{ms(_percentile(latencies, 0.95))} / {ms(max(latencies))})",
        )
        per_worker = sorted(len(r["claimed"]) for r in results)
        idle = sum(1 for n in per_worker if n == 0)
        row(
            SECTION,
            f"claims, {engine.name}: fewest / most rows a worker, workers with none",
            f"{per_worker[0]:,} / {per_worker[-1]:,}, {idle} idle",
            "none idle",
            idle == 0,
        )
        seen = Counter(url for r in results for url in r["claimed"])
        double = sum(n - 1 for n in seen.values() if n > 1)
        lost = sum(r["lost"] for r in results)
        row(
            SECTION,
            f"claims, {engine.name}: rows claimed twice (unclaimed, finished twice, lost)",
            f"{double} ({unfinished}, {twice}, {lost})",
            "0 (0, 0, 0)",
            double == unfinished == twice == lost == 0,
        )
    if len(rates) == 2:
        ratio = rates["PostgreSQL"] / rates["SQLite"]
        row(
            SECTION,
            f"claims, {CLAIM_WORKERS} workers: PostgreSQL / SQLite rows/s",
            f"{ratio:.2f}x",
            "≥ 1x",
            ratio >= 1,
        )


# --- 3. unchanged polls -----------------------------------------------------------------------


def bench_polls(engines: list[Engine], duration: float, rounds: int) -> None:
    print(
        f"  unchanged polls: a {POLL_POSTS}-post blog's page saved again as a follow saves it "
        f"(page kept, poll recorded), each writer its own blog:",
        flush=True,
    )
    loads: dict[tuple[str, int], Load] = {}
    for writers in POLL_WRITERS:
        _measure(loads, engines, "poll", writers, POLL_POSTS, duration, rounds)
        for engine in engines:
            load = loads[(engine.name, writers)]
            what = f"unchanged polls/s, {_writers_label(writers)}, {engine.name} (p95 / max)"
            if load.failed:
                row(SECTION, what, load.failed, "no errors", False)
                continue
            wrong = load.changed
            errors = f", {len(load.errors)} errors" if load.errors else ""
            changed = f", {wrong} said changed" if wrong else ""
            row(
                SECTION,
                what,
                f"{load.rate:,.0f} ({ms(load.p95())} / {ms(max(load.latencies))}; "
                f"last/first third {load.sustained:.2f}{errors}{changed})",
                "no errors",
                not load.errors and not wrong,
            )
    _spread(loads, POLL_WRITERS[-1], "unchanged polls", "polls")
    _peer_ratio(loads, POLL_WRITERS[-1], "unchanged polls", "polls/s")


# --- 4. the archive at scale, read ------------------------------------------------------------


def rare_page(every: int) -> Callable[[int, int], bytes]:
    """scale's blog pages, with RARE_WORD beginning the oldest post of every `every`th blog
    (old posts, spread over the archive: no newest-first walk finds them early)."""
    word = RARE_WORD.capitalize()
    return lambda n, posts: blog_page(n, posts, word=None if n % every else word)


def _copy(source: Path, target: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [LIVEBLOG, "copy", str(source), target],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return time.perf_counter() - t0


@dataclass
class Query:
    what: str
    short: str
    run: Callable[[Any], Any]
    limit: float  # seconds: scale's target for the whole command, here in-process
    exact: bool = True  # both engines must give the same posts (a ranking may differ)


def bench_reads(tmp: Path, engines: list[Engine], posts: int, blogs: int) -> None:
    from liveblog_cli.archive import Archive

    per_blog = max(1, posts // blogs)
    posts = per_blog * blogs
    every = max(1, blogs // 10)
    size = f"{blogs:,} blogs / {posts:,} posts"
    print(f"  the archive at scale, {size}: list, show, search in-process:", flush=True)
    path = tmp / "engines-scale.db"
    seconds = build(path, blogs, per_blog, snapshots=False, page_of=rare_page(every))
    note(f"SQLite built in {seconds:.0f} s of saving ({posts / seconds:,.0f} posts/s), no pages")
    locations = {"SQLite": str(path)}
    pg = next((e for e in engines if e.name == "PostgreSQL"), None)
    if pg is not None:
        url = pg.fresh("scale")
        try:
            took = _copy(path, url)
        except subprocess.CalledProcessError as exc:
            why = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
            row(SECTION, f"liveblog copy, {size}", f"failed: {' '.join(why)}", "", False)
        else:
            locations["PostgreSQL"] = url
            row(
                SECTION,
                f"liveblog copy into PostgreSQL, {size}: posts/s (x SQLite's saves)",
                f"{posts / took:,.0f} ({took:.0f} s; {seconds / took:.2f}x)",
            )
    blog_id = "world/live/2026/jan/01/bench-0"
    queries = [
        Query(f"list ({blogs:,} blogs)", "list", lambda a: a.list_blogs(), 0.5),
        Query(
            f"show of a {per_blog:,}-post blog, --limit 50",
            "show",
            lambda a: _show(a, blog_id),
            0.3,
        ),
        Query(
            f"search of a common word ({COMMON_WORD})",
            "common",
            lambda a: a.search(COMMON_WORD, limit=50),
            0.2,
            exact=False,
        ),
        Query(
            f"search of a rare word (in {len(range(0, blogs, every))} old posts)",
            "rare",
            lambda a: a.search(RARE_WORD, limit=50),
            0.2,
        ),
    ]
    archives = {name: Archive(where, create=False) for name, where in locations.items()}
    try:
        if "PostgreSQL" in archives:
            _fresh_copy(archives["PostgreSQL"], locations["PostgreSQL"], queries)
        for query in queries:
            _read(query, archives, size)
    finally:
        for archive in archives.values():
            archive.close()
    path.unlink()


def _fresh_copy(archive: Any, url: str, queries: list[Query]) -> None:
    """The copy as a user meets it at once (the planner has no statistics of its tables until
    autovacuum's ANALYZE, a minute or more later), against the same after an ANALYZE (run
    here, as autovacuum would): each query's median of 3 either way."""
    import psycopg

    def medians() -> list[float]:
        return [statistics.median(_once(q.run, archive) for _ in range(3)) for q in queries]

    with psycopg.connect(url, autocommit=True) as conn:
        analyzed = conn.execute(
            "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname = 'blocks' AND schemaname = current_schema()"
        ).fetchone()
        before = medians()
        t0 = time.perf_counter()
        conn.execute("ANALYZE")
        analyze = time.perf_counter() - t0
    after = medians()
    figures = ", ".join(
        f"{q.short} {b / a:.1f}x" for q, b, a in zip(queries, before, after, strict=True)
    )
    worst = max(range(len(queries)), key=lambda n: before[n] / after[n])
    stats = "analyzed by then" if analyzed and analyzed[0] else "no statistics yet"
    row(
        SECTION,
        f"PostgreSQL right after copy ({stats}) / after ANALYZE",
        f"{figures} ({queries[worst].short} {ms(before[worst])} / {ms(after[worst])})",
    )
    note(f"ANALYZE of the copy took {analyze:.1f} s")


def _read(query: Query, archives: dict[str, Any], size: str) -> None:
    """One query on both engines in turn: the ratio, and whether they answer alike."""
    answers = {name: _digest(query.run(a), exact=query.exact) for name, a in archives.items()}
    if "PostgreSQL" not in archives:
        took = statistics.median(_once(query.run, archives["SQLite"]) for _ in range(5))
        row(SECTION, f"{query.what}, {size}: SQLite", ms(took))
        return
    pair = paired(
        lambda: query.run(archives["PostgreSQL"]),
        lambda: query.run(archives["SQLite"]),
        rounds=7,
        min_time=0.2,
        budget=30,
    )
    row(
        SECTION,
        f"{query.what}, {size}: PostgreSQL / SQLite",
        f"{pair.ratio:.2f}x ({ms(pair.a)} / {ms(pair.b)})",
        f"PG ≤ {query.limit:g} s",
        pair.a <= query.limit,
    )
    if answers["PostgreSQL"] != answers["SQLite"]:
        row(
            SECTION,
            f"{query.short}: the same answer from both engines",
            f"PG {answers['PostgreSQL']}; SQLite {answers['SQLite']}",
            "the same",
            False,
        )


def _show(archive: Any, blog_id: str) -> Any:
    """What `liveblog show BLOG --limit 50` reads: the blog, 50 posts, its key events."""
    blog_id = archive.resolve(blog_id)
    return (
        archive.blog(blog_id),
        list(archive.blocks(blog_id, limit=50)),
        list(archive.blocks(blog_id, key_events=True)),
    )


def _digest(answer: Any, *, exact: bool) -> str:
    """What an answer holds, to compare the engines' answers: how many rows and, when
    `exact`, which (blogs for list, posts for show and search, by blog and id)."""
    if isinstance(answer, tuple):  # show
        _, posts, keys = answer
        rows = [(p["id"], p["revision"]) for p in posts] + [(k["id"], "key") for k in keys]
        return f"{len(posts)} posts, {len(keys)} key events" + (
            f" #{hash(tuple(rows)) & 0xFFFF:04x}" if exact else ""
        )
    ids = sorted((str(x.get("blog_id", "")), str(x["id"])) for x in answer)
    return f"{len(answer)} rows" + (f" #{hash(tuple(ids)) & 0xFFFF:04x}" if exact else "")


def _once(query: Callable[[Any], object], archive: Any) -> float:
    t0 = time.perf_counter()
    query(archive)
    return time.perf_counter() - t0


# --- the section ------------------------------------------------------------------------------


@contextmanager
def both_engines(tmp: Path) -> Iterator[list[Engine]]:
    engines = [sqlite_engine(tmp), postgres_engine()]
    try:
        yield engines
    finally:
        for engine in engines:
            engine.stop()


def bench_engines(tmp: Path, posts: int, blogs: int, *, quick: bool) -> None:
    print("\n5. engines: SQLite and PostgreSQL side by side", flush=True)
    started = time.perf_counter()
    duration, rounds = (4.0, 1) if quick else (8.0, 2)
    with both_engines(tmp) as engines:
        for engine in engines:
            if engine.skipped:
                row(SECTION, f"{engine.name}: not measured", engine.skipped)
        measured = [e for e in engines if not e.skipped]
        bench_saves(measured, duration, rounds)
        bench_claims(measured, CLAIM_ROWS)
        bench_polls(measured, duration, rounds)
        bench_reads(tmp, measured, posts, blogs)
    note(f"section took {(time.perf_counter() - started) / 60:.1f} min")
