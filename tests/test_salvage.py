"""Scraped copies of Guardian live blogs: curled JSON plus flattened posts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from conftest import corpus_file
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from liveblog_cli.parse import parse_page
from liveblog_cli.parse.guardian_scraped import CurledJson, resolve_clock

SEED = "scraped/seed-kherson-scraped.txt"
Q = '[“”″"]'


@pytest.fixture(scope="module")
def seed_raw() -> str:
    return corpus_file(SEED).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_raw: str):  # type: ignore[no-untyped-def]
    return parse_page(seed_raw.encode("utf-8"))


def test_seed_counts(seed) -> None:  # type: ignore[no-untyped-def]
    assert seed.source_format == "guardian-scraped"
    assert len(seed.blocks) >= 17
    assert len({b.id for b in seed.blocks}) == len(seed.blocks)
    assert sum(b.key_event for b in seed.blocks) == 10
    pinned = [b for b in seed.blocks if b.pinned]
    assert [b.title for b in pinned] == ["Ukrainian army arrives in centre of Kherson city"]


def test_seed_key_event_ids_titles_and_times_match_the_raw_json(seed, seed_raw) -> None:  # type: ignore[no-untyped-def]
    # Read the ids, titles and times straight out of the curled text with plain regexes,
    # independently of the parser.
    pattern = re.compile(
        rf"{Q}id{Q}:{Q}([0-9a-f]{{24}}){Q},{Q}elements.*?{Q}blockCreatedOn{Q}:(\d+).*?"
        rf"{Q}blockLastUpdated{Q}:(\d+).*?{Q}blockFirstPublished{Q}:(\d+).*?"
        rf"{Q}title{Q}:{Q}(.*?){Q},{Q}contributors",
        re.S,
    )
    raw = pattern.findall(seed_raw)
    assert len(raw) == 9  # the tenth block's id was cut off
    by_id = {b.id: b for b in seed.blocks}
    for ident, created, updated, first, title in raw:
        block = by_id[ident]
        assert block.key_event
        assert block.title.replace("’", "'") == title.replace("’", "'")

        def z(ms: str) -> str:
            return datetime.fromtimestamp(int(ms) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        d = block.to_dict()
        assert (d["created_at"], d["published_at"], d["updated_at"]) == (
            z(created),
            z(first),
            z(updated),
        )


def test_seed_cut_block_has_stable_synthetic_id_and_times(seed) -> None:  # type: ignore[no-untyped-def]
    cut = [b for b in seed.blocks if b.title and b.title.startswith("Putin’s press spokesperson")]
    assert len(cut) == 1
    block = cut[0]
    assert block.key_event and not re.fullmatch(r"[0-9a-f]{24}", block.id)
    assert block.to_dict()["published_at"] == "2022-11-11T11:51:39Z"  # 1668167499000 ms
    assert "Dmitry Peskov" in block.text
    assert any(e.kind == "tweet" and e.url.endswith("/1591001574259638272") for e in block.elements)
    again = parse_page(corpus_file(SEED).read_bytes())
    assert block.id in {b.id for b in again.blocks}


def test_seed_contributors(seed) -> None:  # type: ignore[no-untyped-def]
    by_title = {b.title: b for b in seed.blocks if b.title}
    assert by_title["Ukrainian army arrives in centre of Kherson city"].authors == [
        "Peter Beaumont"
    ]
    assert by_title["Ukrainian flag raised in Kherson amid chaotic Russian retreat"].authors == [
        "Peter Beaumont"
    ]
    assert by_title["Summary and welcome"].authors == []


def test_seed_no_duplicate_titles_and_no_json_debris(seed) -> None:  # type: ignore[no-untyped-def]
    titles = [b.title for b in seed.blocks if b.title]
    assert len(titles) == len(set(titles))
    for block in seed.blocks:
        for field in [block.text, block.html or "", block.title or ""] + [
            e.text or "" for e in block.elements
        ]:
            for debris in ("elementId", "_type", "”,”", "}}”", "pageElements"):
                assert debris not in field, (block.id, debris)


def test_seed_flattened_posts_are_blocks_with_resolved_times(seed) -> None:  # type: ignore[no-untyped-def]
    flat = [b for b in seed.blocks if not b.key_event]
    assert len(flat) >= 7  # 12 flattened posts, 5 of them repeat key events
    bridge = [b for b in flat if "Antonivskiy Bridge" in b.text]
    assert len(bridge) == 1
    # "Updated at 04.23 EST" on a blog dated Fri 11 Nov 2022 (EST = UTC-5).
    assert bridge[0].to_dict()["updated_at"] == "2022-11-11T09:23:00Z"
    nexta = [b for b in flat if "NEXTA" in b.text]
    assert len(nexta) == 1
    assert [e.url for e in nexta[0].elements if e.kind == "tweet"] == [
        "https://twitter.com/nexta_tv/status/1591027612431908864"
    ]
    soldier = [b for b in flat if "unidentified Russian soldier" in b.text]
    assert len(soldier) == 1 and soldier[0].text.count("pic.twitter.com/yHFRRDIZnU") == 1


def test_seed_key_event_seen_twice_in_flattened_text_is_one_block(seed) -> None:  # type: ignore[no-untyped-def]
    arrives = [b for b in seed.blocks if "Korabelnyi district" in b.text]
    assert len(arrives) == 1


def test_resolve_clock_picks_the_day_within_the_blog() -> None:
    first = datetime(2022, 11, 10, 23, 0, tzinfo=UTC)
    latest = datetime(2022, 11, 11, 12, 30, tzinfo=UTC)
    assert resolve_clock(7, 14, "EST", first, latest) == datetime(2022, 11, 11, 12, 14, tzinfo=UTC)
    # 23.50 EST is after the last update on the 11th, so it was the day before.
    assert resolve_clock(23, 50, "EST", first, latest) == datetime(2022, 11, 11, 4, 50, tzinfo=UTC)
    assert resolve_clock(7, 14, "XYZ", first, latest) is None
    assert resolve_clock(7, 14, "EST", first, None) is None


# --- the tolerant reader, property-tested against a model of the texturizer ------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ’‘“”.,:;!?0123456789()-–", max_size=40)
KEY = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | WORD,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEY, children, max_size=4),
    max_leaves=20,
)


def texturize(text: str) -> str:
    """What a WordPress-style filter does to a JSON document's ASCII double quotes."""
    out = []
    for i, ch in enumerate(text):
        if ch != '"':
            out.append(ch)
            continue
        prev = text[i - 1] if i else " "
        out.append("″" if prev.isdigit() else "“" if prev in " \n([{" else "”")
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(JSONISH.filter(lambda v: isinstance(v, dict | list)))
def test_curled_json_reads_back_what_was_curled(value) -> None:  # type: ignore[no-untyped-def]
    doc = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Text that itself reads as JSON structure is ambiguous by construction; leave it out.
    assume(
        not re.search(
            r"[“”\"″]\s*[,:}\]]",
            doc.replace('",', "").replace('":', "").replace('"}', "").replace('"]', ""),
        )
    )
    parsed, end = CurledJson(texturize(doc)).value(0)
    assert parsed == value
    assert end == len(doc)


# --- other blogs scraped the same way: the corpus Guardian pages, curled and cut -------------


def scraped_copy(doc: dict, cut: float) -> tuple[str, str, int]:  # type: ignore[type-arg]
    """A re-publisher's copy of a DCR page, made the way the seed copy was: the key-events
    JSON with its quotes curled and tags gone, cut at `cut` of its length, then the posts
    flattened one to a paragraph. Returns the text, the curled JSON and where it was cut."""
    from liveblog_cli.parse.text import html_to_text

    carousel = json.dumps(
        {"keyEvents": doc["keyEvents"], "id": "key-events-carousel-mobile"}, ensure_ascii=False
    )
    carousel = re.sub(r"<[^>]+>", "", re.sub(r"</?p>", "\n\n", carousel))
    curled = texturize(carousel)
    start = int(len(curled) * cut)
    posts = []
    for block in doc["blocks"]:
        body = " ".join(html_to_text("".join(e.get("html", "") for e in block["elements"])).split())
        updated = block.get("blockLastUpdatedDisplay", "").replace("\u00a0", " ")
        posts.append(
            " ".join(x for x in (block.get("title", ""), body) if x)
            + (f" Updated at {updated}" if updated else "")
        )
    return curled[start:] + "\n\nKey events\n\n" + "\n\n".join(posts) + "\n", curled, start


@pytest.mark.parametrize(
    "name",
    [
        "guardian/mars-perseverance-2021-02-19.dcr.json",
        "guardian/politics-live-2023-12-13.dcr.json",
    ],
)
@pytest.mark.parametrize("cut", [0.0, 0.02, 0.1, 0.27, 0.55])
def test_other_blogs_scraped_the_same_way(name: str, cut: float) -> None:
    doc = json.loads(corpus_file(name).read_text())
    text, curled, start = scraped_copy(doc, cut)
    blog = parse_page(text.encode())
    assert blog.source_format == "guardian-scraped"
    by_id = {b.id: b for b in blog.blocks}
    # The key events whose JSON begins after the cut survived whole.
    whole = [k for k in doc["keyEvents"] if curled.find(f"{k['id']}") - 12 >= start]
    for raw in whole:  # every key event whose JSON survived whole: its id, title and times
        block = by_id[raw["id"]]
        assert block.key_event == raw["attributes"]["keyEvent"]
        assert block.summary == raw["attributes"]["summary"]
        assert (block.title or None) == (raw.get("title") or None)
        assert block.to_dict()["published_at"] == datetime.fromtimestamp(
            raw["blockFirstPublished"] / 1000, UTC
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
    for block in blog.blocks:
        assert "elementId" not in block.text and "”,”" not in block.text
        assert not block.text.startswith((",", "”", "“", "}"))
    titles = [b.title for b in blog.blocks if b.title]
    assert len(titles) == len(set(titles))
    # (A post with no text at all, an image alone, leaves no flattened paragraph to find.)
    page_ids = {
        b["id"]
        for b in doc["blocks"]
        if any(e.get("html") for e in b["elements"]) or b.get("title")
    }
    # Every post on the page is one block: found by id when its key event survived, else
    # from its flattened paragraph; none is doubled.
    assert len(blog.blocks) >= len(page_ids | {k["id"] for k in whole})
