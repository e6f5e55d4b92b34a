"""docs/FORMATS.md: what liveblog extracts from every format and site it has a real page of.

The table is made here, from `parse_page` run on the shared corpus and on samples/. Tests
never change tracked files: this one compares the committed file with what it would write,
and writes it only when LIVEBLOG_WRITE_DOCS=1 (`make formats-doc`).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from conftest import ROOT, SAMPLES, corpus_file

from liveblog_cli.model import LiveBlog
from liveblog_cli.parse import parse_page

DOC = ROOT / "docs" / "FORMATS.md"

# (what the input is, where it lives: "corpus/<path>" or "samples/<name>", the URL it came from)
PAGES: list[tuple[str, str, str | None]] = [
    ("Guardian DCR JSON, 2023", "corpus/guardian/politics-live-2023-12-13.dcr.json", None),
    ("Guardian DCR JSON, 2021", "corpus/guardian/mars-perseverance-2021-02-19.dcr.json", None),
    ("Guardian DCR JSON (sample)", "samples/guardian-tallships.dcr.json", None),
    ("Guardian DCR JSON, page 2 (sample)", "samples/guardian-tallships-page2.dcr.json", None),
    ("Guardian HTML page (sample)", "samples/guardian-lunar-lander.html", None),
    ("Guardian Content API item", "corpus/guardian/capi-item-with-blocks.json", None),
    ("Guardian page's JSON-LD", "corpus/jsonld/guardian-politics-2023-12-13.jsonld.html", None),
    ("scraped copy of a Guardian blog", "corpus/scraped/seed-kherson-scraped.txt", None),
    ("BBC page data, Hindi", "corpus/bbc/hindi-live-cm93v1d6rw4pt.json", None),
    ("BBC page data, Arabic", "corpus/bbc/arabic-live-67574192.json", None),
    ("Reach plc (CorkBeo)", "corpus/other/corkbeo-level3-live-2020-10-06.html", None),
    (
        "JSON-LD + rendered posts (la Repubblica)",
        "corpus/other/repubblica-israele-hamas-2023-11-02.html",
        None,
    ),
    ("microdata (NDTV Sports)", "corpus/other/ndtv-ind-vs-sl-2023-11-02.html", None),
    (
        "Sourcefabric Live Blog 3 posts API",
        "corpus/platforms/sourcefabric-liveblog3-demo-posts.json",
        "https://sourcefabric.liveblog.pro/api/client_blogs/58bfeb4c15720af1a94c1052/posts",
    ),
]


def _path(where: str) -> Path:
    if where.startswith("corpus/"):
        return corpus_file(where.removeprefix("corpus/"))  # skips (or fails in CI) if absent
    return SAMPLES / where.removeprefix("samples/")


def _share(blocks: int, count: int) -> str:
    return "all" if count == blocks and blocks else "–" if count == 0 else f"{count}"


def _yes(value: object) -> str:
    return "yes" if value else "–"


def _rows(label: str, where: str, blog: LiveBlog) -> tuple[str, str]:
    """One row of each table for one parsed page."""
    blocks = blog.blocks
    n = len(blocks)
    kinds = Counter(e.kind for b in blocks for e in b.elements)
    other = ", ".join(f"{k} {c}" for k, c in sorted(kinds.items()) if k not in ("text", "image"))
    live = {True: "live", False: "closed", None: "–"}[blog.is_live]
    counts = (
        f"| {label} | `{where}` | `{blog.source_format}` | {n} "
        f"| {sum(b.key_event for b in blocks)} | {sum(b.pinned for b in blocks)} "
        f"| {sum(b.summary for b in blocks)} | {', '.join(sorted(blog.pages)) or '–'} |"
    )
    fields = (
        f"| `{where.rsplit('/', 1)[-1]}` | {_yes(blog.title)} | {_yes(blog.standfirst)} "
        f"| {_yes(blog.publisher)} | {live} | {_yes(blog.authors)} "
        f"| {_share(n, sum(bool(b.title) for b in blocks))} "
        f"| {_share(n, sum(bool(b.authors) for b in blocks))} "
        f"| {_share(n, sum(b.published_at is not None for b in blocks))} "
        f"| {_share(n, sum(b.updated_at is not None for b in blocks))} "
        f"| {_share(n, sum(bool(b.text) for b in blocks))} "
        f"| {_share(n, sum(any(e.kind == 'image' for e in b.elements) for b in blocks))} "
        f"| {other or '–'} |"
    )
    return counts, fields


def formats_doc() -> str:
    counts, fields = [], []
    for label, where, url in PAGES:
        blog = parse_page(_path(where).read_bytes(), url=url)
        row = _rows(label, where, blog)
        counts.append(row[0])
        fields.append(row[1])
    return "\n".join(
        [
            "# Formats and sites",
            "",
            "What `liveblog parse` extracts from each kind of input it has a real page of: the",
            "shared corpus (`../shared/corpus`, pages kept by public projects) and `samples/`.",
            "Written by `tests/test_formats_doc.py` from its own parse of each file; nobody types",
            "it. Run `make formats-doc` to make it again.",
            "",
            "## Posts",
            "",
            "| input | file | `source_format` | posts | key events | pinned | summary "
            "| other pages |",
            "|---|---|---|---|---|---|---|---|",
            *counts,
            "",
            "## Fields filled",
            "",
            "Blog: title, standfirst, publisher, live or closed, authors. Posts: how many of them",
            "have each field (`all`, a count, or `–` for none), and the other kinds of element",
            "found.",
            "",
            "| file | title | standfirst | publisher | live | authors | post titles "
            "| post authors | published | updated | text | images | other elements |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *fields,
            "",
        ]
    )


def test_formats_doc_is_current() -> None:
    text = formats_doc()
    if os.environ.get("LIVEBLOG_WRITE_DOCS") == "1":
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        return
    committed = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    assert committed == text, "docs/FORMATS.md is stale: run `make formats-doc`"
