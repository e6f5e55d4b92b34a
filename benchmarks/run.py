"""`make bench`: liveblog measured against a floor and against peers, in one run.

Every figure is a ratio or a throughput measured side by side in this run (median of
several repetitions), so it means something on a noisy machine. Prints one table and
writes it, with the date, Python version and machine, to benchmarks/RESULTS.md.

    python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import edited, guardian_dcr, guardian_dcr_bytes  # noqa: E402

CORPUS = Path(os.environ.get("LIVEBLOG_CORPUS", ROOT.parent / "shared" / "corpus"))
BIN = Path(sys.executable).parent
ROWS: list[tuple[str, str, str, str, str]] = []  # section, measurement, value, target, verdict


def row(section: str, what: str, value: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("pass" if ok else "MISS")
    ROWS.append((section, what, value, target, verdict))
    print(f"  {what:<58} {value:>20}  {target:<24} {verdict}", flush=True)


def median_time(fn: Callable[[], object], *, reps: int = 7, budget: float = 2.0) -> float:
    """Median wall time of fn over `reps` runs (fewer when one run is slow)."""
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget and len(times) >= 3:
            break
    return statistics.median(times)


# --- 1. parse ---------------------------------------------------------------------------------


def _pages() -> list[tuple[str, bytes]]:
    pages = [
        (p.name, p.read_bytes())
        for p in sorted((ROOT / "samples").glob("*.*"))
        if p.suffix in (".json", ".html")
    ]
    if CORPUS.is_dir():
        pages += [
            (f"{p.parent.name}/{p.name}", p.read_bytes())
            for p in sorted(CORPUS.rglob("*"))
            if p.is_file() and p.name != "README.md"
        ]
    else:
        print(f"  (no corpus at {CORPUS}: samples and the generated page only)")
    pages.append(("generated 5,000-block Guardian DCR page", guardian_dcr_bytes(5000)))
    return pages


def _floor(data: bytes) -> Callable[[], object]:
    """The least any parser must do: decode the JSON, or build the HTML tree and decode the
    JSON embedded in it."""
    from lxml import html

    if data.lstrip()[:1] in (b"{", b"["):
        return lambda: json.loads(data)

    def parse_html() -> None:
        root = html.document_fromstring(data)
        for script in root.xpath("//script[@type='application/ld+json']"):
            with contextlib.suppress(ValueError):
                json.loads(script.text or "")

    return parse_html


def bench_parse() -> None:
    print("\n1. parse: liveblog / floor, and peers / liveblog", flush=True)
    from liveblog_cli.parse import parse_page

    try:
        import extruct
        import trafilatura
    except ImportError:
        extruct = trafilatura = None  # type: ignore[assignment]
        print("  (peers not installed: pip install -e '.[bench]')")
    for name, data in _pages():
        ours = median_time(lambda d=data: parse_page(d))
        floor = median_time(_floor(data))
        ratio = ours / floor
        row(
            "parse",
            f"{name[:44]}: liveblog / floor",
            f"{ratio:.2f}x ({ours * 1000:.1f} ms)",
            "≤ 1.5x",
            ratio <= 1.5,
        )
        is_html = data.lstrip()[:1] == b"<"
        if trafilatura is not None and is_html:
            text = data.decode("utf-8", errors="replace")
            peer = median_time(lambda t=text: trafilatura.extract(t), reps=3)
            guardian = "guardian" in name.lower()
            row(
                "parse",
                f"{name[:44]}: trafilatura / liveblog",
                f"{peer / ours:.1f}x",
                "≥ 5x" if guardian else "",
                (peer / ours >= 5) if guardian else None,
            )
            peer = median_time(lambda t=text: extruct.extract(t, syntaxes=["json-ld"]), reps=3)
            row("parse", f"{name[:44]}: extruct json-ld / liveblog", f"{peer / ours:.1f}x")


# --- 2. archive -------------------------------------------------------------------------------


def bench_archive(tmp: Path) -> None:
    print("\n2. archive: saving a 5,000-block blog", flush=True)
    from liveblog_cli.archive import Archive
    from liveblog_cli.parse import parse_page

    doc = guardian_dcr(5000)
    blog = parse_page(json.dumps(doc).encode())
    blog_edited = parse_page(json.dumps(edited(doc, 0.01)).encode())
    firsts, unchanged, edits = [], [], []
    for rep in range(3):
        path = tmp / f"archive-{rep}.db"
        with Archive(path) as archive:
            t0 = time.perf_counter()
            archive.save(blog)
            firsts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report = archive.save(blog)
            unchanged.append(time.perf_counter() - t0)
            assert not report.changed
            t0 = time.perf_counter()
            report = archive.save(blog_edited)
            edits.append(time.perf_counter() - t0)
            assert len(report.updated) == 50, report.to_dict()
    first, same, edit = (statistics.median(x) for x in (firsts, unchanged, edits))
    row("archive", "first save", f"{5000 / first:,.0f} blocks/s ({first * 1000:.0f} ms)")
    row(
        "archive",
        "re-save unchanged / first save",
        f"{same / first:.1%}",
        "≤ 10%",
        same / first <= 0.10,
    )
    row(
        "archive",
        "re-save with 1% edited / first save",
        f"{edit / first:.1%}",
        "≤ 20%",
        edit / first <= 0.20,
    )


# --- 3. export --------------------------------------------------------------------------------

_EXPORT = """
import resource, sys
from liveblog_cli.cli import main
sys.argv = ["liveblog", "export", "--all", "--db", sys.argv[1], "--limit", sys.argv[2]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write(f"maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
"""


def _build_archive(path: Path, total: int) -> None:
    from liveblog_cli.archive import Archive
    from liveblog_cli.parse import parse_page

    per_blog = 5000
    with Archive(path) as archive:
        for n in range(total // per_blog):
            doc = guardian_dcr(per_blog, seed=n)
            doc["pageId"] = f"world/live/2026/jan/01/bench-{n}"
            doc["canonicalUrl"] = doc["webURL"] = f"https://www.theguardian.com/{doc['pageId']}"
            archive.save(parse_page(json.dumps(doc).encode()))


def _export(path: Path, limit: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _EXPORT, str(path), str(limit)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
    )
    wall = time.perf_counter() - t0
    rss = int(proc.stderr.decode().rsplit("maxrss_kb=", 1)[1].split()[0])
    return wall, rss


def bench_export(tmp: Path, total: int) -> None:
    print(f"\n3. export: jsonl of an archive of {total:,} blocks", flush=True)
    path = tmp / "big.db"
    t0 = time.perf_counter()
    _build_archive(path, total)
    print(f"  (built in {time.perf_counter() - t0:.0f} s)", flush=True)
    small = total // 10
    runs = [_export(path, total) for _ in range(3)]
    wall = statistics.median(w for w, _ in runs)
    big_rss = statistics.median(r for _, r in runs)
    small_rss = statistics.median(_export(path, small)[1] for _ in range(3))
    # The interpreter and imports alone: an export of nothing.
    base = statistics.median(_export(path, 1)[0] for _ in range(3))
    rate = total / max(wall - base, 1e-9)
    row(
        "export",
        f"jsonl blocks/s (start-up of {base * 1000:.0f} ms taken out)",
        f"{rate:,.0f}",
        "≥ 100,000",
        rate >= 100_000,
    )
    row("export", f"jsonl blocks/s (whole command, {total:,} blocks)", f"{total / wall:,.0f}")
    grow = (big_rss - small_rss) / 1024
    row(
        "export",
        f"peak memory at {total:,} minus at {small:,} blocks",
        f"{grow:+.1f} MB",
        "≤ 10 MB",
        grow <= 10,
    )


# --- 4. start-up ------------------------------------------------------------------------------


def _wall(cmd: list[str], reps: int = 15) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_startup() -> None:
    print("\n4. start-up", flush=True)
    python = _wall([sys.executable, "-c", "pass"])
    version = _wall([str(BIN / "liveblog"), "--version"])
    helptext = _wall([str(BIN / "liveblog"), "--help"])
    row(
        "start-up",
        "liveblog --version / python -c pass",
        f"{version / python:.2f}x",
        "≤ 2.5x",
        version / python <= 2.5,
    )
    row("start-up", "liveblog --help / python -c pass", f"{helptext / python:.2f}x")
    peer = shutil.which("sqlite-utils", path=str(BIN)) or shutil.which("sqlite-utils")
    if peer:
        theirs = _wall([peer, "--version"])
        row(
            "start-up",
            "sqlite-utils --version / liveblog --version",
            f"{theirs / version:.2f}x",
            "> 1x (we are faster)",
            theirs > version,
        )


# --- 5. fetch ---------------------------------------------------------------------------------


def bench_fetch(tmp: Path, blogs: int) -> None:
    print(
        f"\n5. fetch: {blogs} small blogs from a local server in one `liveblog fetch`", flush=True
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


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}{memory}"


def write_results(elapsed: float) -> str:
    from liveblog_cli import __version__

    lines = [
        "# Benchmark results",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- liveblog {__version__}, Python {platform.python_version()}",
        f"- machine: {machine()}",
        f"- command: `make bench` ({elapsed:.0f} s)",
        "",
        "Ratios and throughputs measured side by side in one run; medians of repeated runs.",
        "",
        "| section | measurement | value | target | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(r)} |" for r in ROWS]
    text = "\n".join(lines) + "\n"
    (HERE / "RESULTS.md").write_text(text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller export and fetch runs")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="liveblog-bench-") as tmp:
        bench_parse() if not os.environ.get("BENCH_SKIP_PARSE") else None
        bench_archive(Path(tmp))
        bench_export(Path(tmp), 20_000 if args.quick else 100_000)
        bench_startup()
        bench_fetch(Path(tmp), 40 if args.quick else 200)
    text = write_results(time.perf_counter() - started)
    print("\n" + text)
    misses = sum(1 for r in ROWS if r[4] == "MISS")
    print(f"{misses} target(s) missed; written to benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
