"""What every bench section shares: the table of rows, paired timing, the machine.

Timings on a shared two-core machine drift by tens of percent from one minute to the next,
so no figure here is a lone absolute time: each is a ratio of two things timed in turn
(A, B, B, A, ... with the median of the per-round ratios), or a throughput quoted beside the
floor it was measured against in the same run.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# section, measurement, value, target, verdict
ROWS: list[tuple[str, str, str, str, str]] = []


def row(section: str, what: str, value: str, target: str = "", ok: bool | None = None) -> None:
    """One line of the table, printed at once (a long run shows its progress)."""
    verdict = "" if ok is None else ("pass" if ok else "MISS")
    ROWS.append((section, what, value, target, verdict))
    print(f"  {what:<62} {value:>24}  {target:<14} {verdict}", flush=True)


def note(text: str) -> None:
    print(f"  ({text})", flush=True)


def _sample(fn: Callable[[], object], loops: int) -> float:
    """Seconds per call of fn over `loops` calls, starting from a collected heap (so that
    neither side of a pair pays for the other's garbage)."""
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - t0) / loops


def _loops(fn: Callable[[], object], min_time: float) -> int:
    """Calls per sample so that one sample lasts at least `min_time` (timer resolution and
    scheduler noise stop mattering)."""
    once = _sample(fn, 1)
    return max(1, min(1000, int(min_time / max(once, 1e-7)) + 1))


@dataclass
class Pair:
    a: float  # median seconds per call of A
    b: float  # median seconds per call of B
    ratio: float  # median over rounds of A/B within the round


def paired(
    a: Callable[[], object],
    b: Callable[[], object],
    *,
    rounds: int = 9,
    min_time: float = 0.05,
    budget: float = 20.0,
) -> Pair:
    """A and B timed in turn, A B B A ..., each round's ratio taken within the round.

    Fewer rounds (at least 3) when one round is slow: `budget` seconds bounds the pair.
    """
    loops_a, loops_b = _loops(a, min_time), _loops(b, min_time)
    times_a: list[float] = []
    times_b: list[float] = []
    started = time.perf_counter()
    for n in range(rounds):
        if n % 2 == 0:
            times_a.append(_sample(a, loops_a))
            times_b.append(_sample(b, loops_b))
        else:
            times_b.append(_sample(b, loops_b))
            times_a.append(_sample(a, loops_a))
        if n >= 2 and time.perf_counter() - started > budget:
            break
    ratios = [x / y for x, y in zip(times_a, times_b, strict=True)]
    return Pair(statistics.median(times_a), statistics.median(times_b), statistics.median(ratios))


def median_time(fn: Callable[[], object], *, reps: int = 5, budget: float = 30.0) -> float:
    """Median seconds of one call of fn (fewer reps, at least 3, when a call is slow)."""
    times: list[float] = []
    started = time.perf_counter()
    for n in range(reps):
        times.append(_sample(fn, 1))
        if n >= 2 and time.perf_counter() - started > budget:
            break
    return statistics.median(times)


def wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds one run of a command takes, output discarded."""
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    return time.perf_counter() - t0


def paired_commands(
    a: list[str], b: list[str], *, rounds: int = 11, env: dict[str, str] | None = None
) -> Pair:
    """Two commands run in turn (after one warm-up run each): medians and the median ratio."""
    wall(a, env)
    wall(b, env)
    times_a: list[float] = []
    times_b: list[float] = []
    for n in range(rounds):
        order = (a, b) if n % 2 == 0 else (b, a)
        first, second = wall(order[0], env), wall(order[1], env)
        ta, tb = (first, second) if n % 2 == 0 else (second, first)
        times_a.append(ta)
        times_b.append(tb)
    ratios = [x / y for x, y in zip(times_a, times_b, strict=True)]
    return Pair(statistics.median(times_a), statistics.median(times_b), statistics.median(ratios))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def machine() -> str:
    """OS, cores, processor and memory of the machine the figures come from."""
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


def versions() -> str:
    """Versions of what the figures depend on: liveblog, Python, SQLite, lxml, the JSON
    decoders, psycopg and the peers (PostgreSQL's server says its own in section 5)."""
    import sqlite3
    from importlib import metadata

    from liveblog_cli import __version__

    out = [f"liveblog {__version__}", f"Python {platform.python_version()}"]
    out.append(f"SQLite {sqlite3.sqlite_version}")
    for name in ("lxml", "orjson", "msgspec", "psycopg", "extruct", "trafilatura"):
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(out)
