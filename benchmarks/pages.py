"""Pages of any size made of real posts, built at run time from the shared corpus.

The corpus text belongs to its publishers: it is read from ../shared/corpus when the bench
runs and never copied into this repository. A big page is the real page with its posts
repeated, each copy under a new id and a little earlier in time, so that every post on it is
one a real blog published (real lengths, real markup, real elements).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("LIVEBLOG_CORPUS", ROOT.parent / "shared" / "corpus"))
POLITICS_DCR = CORPUS / "guardian" / "politics-live-2023-12-13.dcr.json"
POLITICS_JSONLD = CORPUS / "jsonld" / "guardian-politics-2023-12-13.jsonld.html"
MINUTE_MS = 60_000
_TIME_KEYS = ("blockCreatedOn", "blockFirstPublished", "blockLastUpdated")


def corpus_pages() -> list[tuple[str, bytes]]:
    """Every real page of the corpus, as (corpus-relative name, bytes), in a stable order."""
    if not CORPUS.is_dir():
        return []
    return [
        (str(p.relative_to(CORPUS)), p.read_bytes())
        for p in sorted(CORPUS.rglob("*"))
        if p.is_file() and p.name != "README.md"
    ]


def _distinct_blocks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's posts (body, key events, pinned), each id once, in page order."""
    seen: dict[str, dict[str, Any]] = {}
    pinned = [doc["pinnedPost"]] if isinstance(doc.get("pinnedPost"), dict) else []
    for block in [*doc["blocks"], *doc["keyEvents"], *pinned]:
        seen.setdefault(block["id"], block)
    return list(seen.values())


def _copies(originals: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    """`count` posts cycling through `originals`, copy n under a new 24-hex id (the
    Guardian's shape) and n minutes earlier, so the page stays newest first."""
    for n in range(count):
        block = copy.deepcopy(originals[n % len(originals)])
        block["id"] = f"{block['id'][:16]}{n:08x}"
        for key in _TIME_KEYS:
            if isinstance(block.get(key), int):
                block[key] -= n * MINUTE_MS
        yield block


def politics_dcr(blocks: int) -> bytes:
    """The Guardian's politics live blog of 2023-12-13 (DCR JSON) with `blocks` posts on its
    page, copied from its 23 real ones; key events and pinned post as published."""
    doc = json.loads(POLITICS_DCR.read_bytes())
    doc["blocks"] = list(_copies(_distinct_blocks(doc), blocks))
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def politics_jsonld(updates: int) -> bytes:
    """The same blog's JSON-LD page with `updates` liveBlogUpdates, copied from its 11 real
    ones (each copy under a new `@id`, a minute earlier per copy)."""
    text = POLITICS_JSONLD.read_text(encoding="utf-8")
    start = text.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    end = text.index("</script>", start)
    blog = json.loads(text[start:end])
    originals = blog["liveBlogUpdate"]
    copies = []
    for n in range(updates):
        update = copy.deepcopy(originals[n % len(originals)])
        update["@id"] = f"{update['@id'][:16]}{n:08x}"
        copies.append(update)
    blog["liveBlogUpdate"] = copies
    return (text[:start] + json.dumps(blog, ensure_ascii=False) + text[end:]).encode()


def _poll_post(originals: list[dict[str, Any]], seq: int, edited: bool) -> dict[str, Any]:
    """Post number `seq` of a growing blog: a real post under its own id, a minute after
    post `seq - 1`; an edited one says so at the end of its first element."""
    block = copy.deepcopy(originals[seq % len(originals)])
    block["id"] = f"{block['id'][:16]}{seq:08x}"
    for key in _TIME_KEYS:
        if isinstance(block.get(key), int):
            block[key] += seq * MINUTE_MS
    if edited:
        first = block["elements"][0]
        first["html"] = (first.get("html") or "") + "<p>(Updated.)</p>"
        block["blockLastUpdated"] = block.get("blockLastUpdated", 0) + MINUTE_MS // 2
    return block


def politics_polls(polls: int, *, shown: int = 20, start: int = 200) -> Iterator[bytes]:
    """What `polls` successive polls of the politics blog's first page would read while it
    runs: the real page around the newest `shown` posts of a blog that gains a post each
    poll, and sees one of its visible posts edited every fifth poll."""
    doc = json.loads(POLITICS_DCR.read_bytes())
    originals = _distinct_blocks(doc)
    edited: set[int] = set()
    for poll in range(polls):
        newest = start + poll
        if poll % 5 == 4:
            edited.add(newest - 3)
        doc["blocks"] = [
            _poll_post(originals, seq, seq in edited)
            for seq in range(newest, max(newest - shown, -1), -1)
        ]
        yield json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
