"""Parse: liveblog against the floor on every real page, against peers on the HTML pages,
and its cost per post from 500 to 50,000 posts on one page.

The floor is the least any reader of the page must do: `json.loads` of a JSON page; for an
HTML page, lxml's parse of it and `json.loads` of each JSON-LD script in it.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Pair, median_time, ms, note, paired, row  # noqa: E402
from pages import CORPUS, ROOT, corpus_pages, politics_dcr, politics_jsonld  # noqa: E402

JSON_TARGET = 1.5
HTML_TARGET = 2.0
PER_BLOCK_TARGET = 1.15


def kind(data: bytes) -> str:
    """ "json", "html", or "text" (a scraped copy: neither)."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    return "html" if head == b"<" else "text"


def floor(data: bytes) -> Callable[[], object]:
    """The least any parser must do with the page."""
    from lxml import html

    if kind(data) == "json":
        return lambda: json.loads(data)

    # huge_tree as liveblog parses: without it libxml2 cuts text nodes over 10 MB short.
    parser = html.HTMLParser(huge_tree=True)

    def parse_html() -> None:
        root = html.document_fromstring(data, parser=parser)
        for script in root.xpath("//script[@type='application/ld+json']"):
            with contextlib.suppress(ValueError):
                json.loads(script.text or "")

    return parse_html


def _ours(data: bytes) -> Callable[[], object]:
    from liveblog_cli.parse import parse_page

    return lambda: parse_page(data)


def _verdict(page_kind: str) -> tuple[str, float | None]:
    if page_kind == "json":
        return f"≤ {JSON_TARGET}x", JSON_TARGET
    if page_kind == "html":
        return f"≤ {HTML_TARGET}x", HTML_TARGET
    return "", None


def page_vs_floor(name: str, data: bytes, *, targeted: bool = True) -> Pair:
    """One row: liveblog / floor on one page (the target of its kind when `targeted`)."""
    page_kind = kind(data)
    pair = paired(_ours(data), floor(data))
    target, limit = _verdict(page_kind) if targeted else ("", None)
    label = name[:50] if targeted else f"{name[:46]} (no target)"
    row(
        "parse",
        f"{label}: liveblog / floor",
        f"{pair.ratio:.2f}x ({ms(pair.a)})",
        target,
        None if limit is None else pair.ratio <= limit,
    )
    return pair


def peers(name: str, data: bytes) -> None:
    """An HTML page against extruct (JSON-LD and microdata: the structured data liveblog
    reads, lifted as raw dicts) and trafilatura (main text)."""
    try:
        import extruct
        import trafilatura
    except ImportError:
        note("peers not installed: pip install -e '.[bench]'")
        return
    ours = _ours(data)
    pair = paired(ours, lambda: extruct.extract(data, syntaxes=["json-ld", "microdata"]), rounds=7)
    row(
        "parse",
        f"{name[:50]}: liveblog / extruct",
        f"{pair.ratio:.2f}x ({ms(pair.b)})",
        "< 1x",
        pair.ratio < 1,
    )
    pair = paired(lambda: trafilatura.extract(data), ours, rounds=5)
    row("parse", f"{name[:50]}: trafilatura / liveblog", f"{pair.ratio:.1f}x ({ms(pair.a)})")


def per_block(sizes: tuple[int, ...], rounds: int = 3) -> None:
    """Cost per post of the politics page at each size, sizes timed in turn each round."""
    from liveblog_cli.parse import parse_page

    pages = {n: politics_dcr(n) for n in sizes}
    ours: dict[int, list[float]] = {n: [] for n in sizes}
    floors: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            data = pages[n]
            # Small pages are parsed many times per sample, so each sample lasts long enough.
            loops = max(1, sizes[-1] // n // 10)
            ours[n].append(median_time(lambda d=data: parse_page(d), reps=loops) / n)
            floors[n].append(median_time(lambda d=data: json.loads(d), reps=loops) / n)
    cost = {n: statistics.median(ours[n]) for n in sizes}
    floor_cost = {n: statistics.median(floors[n]) for n in sizes}
    for n in sizes:
        row(
            "parse",
            f"politics page of {n:,} posts: cost per post (floor)",
            f"{cost[n] * 1e6:.0f} µs ({floor_cost[n] * 1e6:.0f} µs)",
        )
    first = sizes[0]
    for n in sizes[1:]:
        ratio = cost[n] / cost[first]
        row(
            "parse",
            f"cost per post at {n:,} / at {first:,} posts (floor's)",
            f"{ratio:.2f}x ({floor_cost[n] / floor_cost[first]:.2f}x)",
            f"≤ {PER_BLOCK_TARGET}x",
            ratio <= PER_BLOCK_TARGET,
        )


def bench_parse(*, quick: bool = False) -> None:
    print("\n1. parse: liveblog / floor on every page; peers on the HTML pages", flush=True)
    real = corpus_pages()
    if not real:
        note(f"no corpus at {CORPUS}: nothing real to measure")
        return
    for name, data in real:
        page_vs_floor(name, data)
    samples = sorted((ROOT / "samples").glob("*.*"))
    for path in samples:
        if path.suffix in (".json", ".html"):
            page_vs_floor(f"samples/{path.name}", path.read_bytes(), targeted=False)
    page_vs_floor("politics DCR page of 5,000 real posts", politics_dcr(5000))
    page_vs_floor("politics JSON-LD, 5,000 updates", politics_jsonld(5000))  # HTML: ≤ 2x
    for name, data in real:
        if kind(data) == "html":
            peers(name, data)
    per_block((500, 5000, 20000) if quick else (500, 5000, 50000))
