"""`make bench`: liveblog measured against a floor and against peers, in one run.

Every figure is a ratio measured side by side in this run (things timed in turn, the median
of the per-round ratios), or a throughput or latency quoted beside the floor it was measured
with, so it means something on a noisy machine. Prints one table and, for a whole run,
writes it with the date, versions and machine to benchmarks/RESULTS.md.

    python benchmarks/run.py [--quick] [--only parse|scale|startup|fetch|engines ...]

Sections: 1. parse (parse_bench.py), 2. archive at scale (scale.py; its size is set by
LIVEBLOG_BENCH_POSTS and LIVEBLOG_BENCH_BLOGS), 3. start-up, 4. fetch, 5. engines (engines.py:
SQLite and a throwaway PostgreSQL side by side; the archive at scale again, copied).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import ROWS, machine, paired_commands, row, versions  # noqa: E402
from engines import bench_engines  # noqa: E402
from generate import guardian_dcr  # noqa: E402
from parse_bench import bench_parse  # noqa: E402
from scale import bench_scale, bench_upgrade, settings  # noqa: E402

BIN = Path(sys.executable).parent
PYTHON_PASS = [sys.executable, "-c", "pass"]


# --- 3. start-up ------------------------------------------------------------------------------


def bench_startup(tmp: Path) -> None:
    print("\n3. start-up: whole commands against `python -c pass`", flush=True)
    from liveblog_cli.archive import Archive

    empty = tmp / "empty.db"
    Archive(empty).close()
    liveblog = str(BIN / "liveblog")
    for what, cmd, target, limit in (
        ("liveblog list (empty archive)", [liveblog, "list", "--db", str(empty)], "≤ 3x", 3.0),
        ("liveblog --version", [liveblog, "--version"], "", None),
        ("liveblog --help", [liveblog, "--help"], "", None),
    ):
        pair = paired_commands(cmd, PYTHON_PASS)
        row(
            "start-up",
            f"{what} / python -c pass",
            f"{pair.ratio:.2f}x ({pair.a * 1000:.0f} ms)",
            target,
            None if limit is None else pair.ratio <= limit,
        )


# --- 4. fetch ---------------------------------------------------------------------------------


def bench_fetch(tmp: Path, blogs: int) -> None:
    print(
        f"\n4. fetch: {blogs} small blogs from a local server in one `liveblog fetch`", flush=True
    )
    pages = {}
    for n in range(blogs):
        doc = guardian_dcr(10, seed=n)
        doc["pageId"] = f"world/live/2026/jan/01/small-{n}"
        doc["canonicalUrl"] = doc["webURL"] = f"https://www.theguardian.com/{doc['pageId']}"
        pages[f"/blog/{n}"] = json.dumps(doc).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = [f"http://127.0.0.1:{server.server_address[1]}{p}" for p in pages]
    walls, cpus = [], []
    try:
        for rep in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                [
                    str(BIN / "liveblog"),
                    "fetch",
                    *urls,
                    "--delay",
                    "0",
                    "--quiet",
                    "--db",
                    str(tmp / f"fetch-{rep}.db"),
                ],
                check=True,
            )
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    finally:
        server.shutdown()
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    row(
        "fetch",
        f"wall time per blog ({blogs} blogs, {wall:.1f} s in all)",
        f"{wall / blogs * 1000:.1f} ms",
    )
    row(
        "fetch",
        "CPU time per blog (liveblog process, start-up included)",
        f"{cpu / blogs * 1000:.1f} ms",
        "< 10 ms",
        cpu / blogs < 0.010,
    )


# --- report -----------------------------------------------------------------------------------


def write_results(elapsed: float, command: str, scale: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- versions: {versions()}",
        f"- machine: {machine()}",
        f"- command: `{command}` ({elapsed / 60:.0f} min)",
        f"- archive at scale: {scale}",
        "",
        "Ratios measured side by side in one run: the two things timed in turn, the median of",
        "the per-round ratios (milliseconds in brackets are liveblog's median, for scale only).",
        "Floors: `json.loads` of a JSON page; lxml's parse of an HTML page plus `json.loads` of",
        "its JSON-LD. Latencies at scale are medians of whole commands, beside the start-up",
        "floor of the same run. Engines: SQLite and PostgreSQL (a throwaway server on the",
        "same machine, fsync off) doing the same work in turn, PostgreSQL / SQLite.",
        "",
        "| section | measurement | value | target | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(r)} |" for r in ROWS]
    text = "\n".join(lines) + "\n"
    (HERE / "RESULTS.md").write_text(text)
    return text


SECTIONS = ("parse", "scale", "startup", "fetch", "engines")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller pages, archive and fetch")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    args = parser.parse_args()
    chosen = args.only or SECTIONS
    posts, blogs, plain = settings()
    if args.quick:
        posts, blogs, plain = min(posts, 50_000), min(blogs, 50), min(plain, 10_000)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="liveblog-bench-") as tmp:
        if "parse" in chosen:
            bench_parse(quick=args.quick)
        if "scale" in chosen:
            bench_scale(Path(tmp), posts, blogs, plain)
            bench_upgrade(Path(tmp), plain, max(1, blogs // 10))
        if "startup" in chosen:
            bench_startup(Path(tmp))
        if "fetch" in chosen:
            bench_fetch(Path(tmp), 40 if args.quick else 200)
        if "engines" in chosen:
            bench_engines(Path(tmp), posts, blogs, quick=args.quick)
    misses = sum(1 for r in ROWS if r[4] == "MISS")
    if args.only:
        print(f"\n{misses} target(s) missed (a partial run: RESULTS.md left as it was)")
        return 0
    command = "make bench" + (" (--quick)" if args.quick else "")
    scale = f"{blogs:,} blogs, {posts:,} posts (LIVEBLOG_BENCH_POSTS, LIVEBLOG_BENCH_BLOGS)"
    text = write_results(time.perf_counter() - started, command, scale)
    print("\n" + text)
    print(f"{misses} target(s) missed; written to benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
