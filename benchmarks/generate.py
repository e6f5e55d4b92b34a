"""Synthetic Guardian DCR pages for benchmarks: realistic shape, invented text, any size."""

from __future__ import annotations

import json
import random
from typing import Any

BASE_URL = "https://www.theguardian.com/world/live/2026/jan/01/benchmark-live"
T0 = 1767225600000  # 2026-01-01T00:00:00Z
WORDS = (
    "harbour council minister ship storm report said officials crowd morning vote "
    "bridge river police statement evening update earlier confirmed local national "
    "weather road train station hospital school market election result"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _text(rng: random.Random, i: int, j: int) -> dict[str, Any]:
    body = " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(1, 4)))
    if j % 3 == 0:
        body = body.replace(" said ", ' said <a href="https://example.org/x">“a source”</a> ', 1)
    return {
        "_type": "model.dotcomrendering.pageElements.TextBlockElement",
        "html": f"<p>{body}</p>",
        "elementId": f"t{i}-{j}",
    }


def _extra(rng: random.Random, i: int) -> dict[str, Any]:
    kind = i % 4
    if kind == 0:
        return {
            "_type": "model.dotcomrendering.pageElements.ImageBlockElement",
            "role": "inline",
            "media": {
                "allImages": [
                    {
                        "index": 0,
                        "fields": {"width": "1000", "height": "600"},
                        "url": f"https://media.example.org/{i}/1000.jpg",
                    }
                ]
            },
            "data": {
                "alt": _sentence(rng, 5),
                "caption": _sentence(rng, 9),
                "credit": "Photograph: Bench Mark",
            },
            "elementId": f"i{i}",
        }
    if kind == 1:
        return {
            "_type": "model.dotcomrendering.pageElements.TweetBlockElement",
            "id": str(10**18 + i),
            "url": f"https://twitter.com/x/status/{10**18 + i}",
            "html": f'<blockquote class="twitter-tweet"><p>{_sentence(rng, 12)}</p>'
            "&mdash; X (@x) January 1, 2026</blockquote>",
            "elementId": f"w{i}",
        }
    if kind == 2:
        return {
            "_type": "model.dotcomrendering.pageElements.BlockquoteBlockElement",
            "html": f'<blockquote class="quoted"><p>{_sentence(rng, 15)}</p></blockquote>',
            "elementId": f"q{i}",
        }
    return {
        "_type": "model.dotcomrendering.pageElements.RichLinkBlockElement",
        "url": f"https://www.theguardian.com/world/2026/jan/01/story-{i}",
        "text": _sentence(rng, 7),
        "prefix": "Related: ",
        "elementId": f"r{i}",
    }


def block(i: int, rng: random.Random) -> dict[str, Any]:
    t = T0 + i * 90_000
    elements = [_text(rng, i, j) for j in range(rng.randint(1, 4))] + [_extra(rng, i)]
    raw: dict[str, Any] = {
        "id": f"{i:024x}",
        "elements": elements,
        "attributes": {"pinned": i == 0, "keyEvent": i % 10 == 0, "summary": i % 250 == 0},
        "blockCreatedOn": t - 30_000,
        "blockFirstPublished": t,
        "blockLastUpdated": t + 60_000,
        "contributors": [{"name": "Bench Writer"}] if i % 5 == 0 else [],
    }
    if i % 10 == 0:
        raw["title"] = _sentence(rng, 6)
    return raw


def guardian_dcr(n_blocks: int, seed: int = 1) -> dict[str, Any]:
    """One DCR page holding n blocks (newest first), with key events and a pinned post."""
    rng = random.Random(seed)
    blocks = [block(i, rng) for i in range(n_blocks - 1, -1, -1)]
    return {
        "headline": f"Benchmark live blog of {n_blocks} posts",
        "contentType": "LiveBlog",
        "pageId": BASE_URL.split(".com/", 1)[1],
        "canonicalUrl": BASE_URL,
        "webURL": BASE_URL,
        "webPublicationDate": "2026-01-01T00:00:00.000Z",
        "standfirst": "<p>Invented text for measuring liveblog</p>",
        "config": {"isLive": True, "isLiveBlog": True},
        "blocks": blocks,
        "keyEvents": [b for b in blocks if b["attributes"]["keyEvent"]][:20],
        "pinnedPost": blocks[-1],
        "pagination": {"currentPage": 1, "totalPages": 1},
    }


def guardian_dcr_bytes(n_blocks: int, seed: int = 1) -> bytes:
    return json.dumps(guardian_dcr(n_blocks, seed), ensure_ascii=False).encode("utf-8")


def edited(doc: dict[str, Any], fraction: float, seed: int = 2) -> dict[str, Any]:
    """A copy of a page in which `fraction` of the blocks have had their text edited."""
    rng = random.Random(seed)
    out = json.loads(json.dumps(doc))
    chosen = rng.sample(range(len(out["blocks"])), max(1, int(len(out["blocks"]) * fraction)))
    for index in chosen:
        first = out["blocks"][index]["elements"][0]
        first["html"] = first["html"].replace("</p>", " (Updated.)</p>")
        out["blocks"][index]["blockLastUpdated"] += 600_000
    return out
