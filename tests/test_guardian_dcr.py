"""Guardian DCR JSON: the corpus pages parse to the counts the corpus README lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import SAMPLES, corpus_file

from liveblog_cli.parse import parse_page

# (file, distinct blocks, key events, pinned, summary, total pages): the corpus README's table.
CASES = [
    ("guardian/mars-perseverance-2021-02-19.dcr.json", 16, 3, 0, 1, 4),
    ("guardian/politics-live-2023-12-13.dcr.json", 23, 17, 1, 1, 5),
]


@pytest.mark.parametrize(("name", "distinct", "key", "pinned", "summary", "pages"), CASES)
def test_corpus_counts(
    name: str, distinct: int, key: int, pinned: int, summary: int, pages: int
) -> None:
    blog = parse_page(corpus_file(name).read_bytes())
    assert blog.source_format == "guardian-dcr"
    assert len(blog.blocks) == distinct
    assert len({b.id for b in blog.blocks}) == distinct
    assert sum(b.key_event for b in blog.blocks) == key
    assert sum(b.pinned for b in blog.blocks) == pinned
    assert sum(b.summary for b in blog.blocks) == summary
    assert blog.publisher == "The Guardian"
    assert blog.title and blog.url and blog.url.startswith("https://www.theguardian.com/")


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_pages_resolved_against_blog_url(name: str) -> None:
    raw = json.loads(corpus_file(name).read_text())
    blog = parse_page(corpus_file(name).read_bytes())
    assert set(blog.pages) == {"older", "oldest"}  # page 1 has nothing newer
    for rel, url in blog.pages.items():
        assert url == raw["canonicalUrl"] + raw["pagination"][rel]


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_block_times_are_the_epoch_milliseconds_in_utc(name: str) -> None:
    raw = json.loads(corpus_file(name).read_text())
    blog = parse_page(corpus_file(name).read_bytes())
    by_id = {b.id: b.to_dict() for b in blog.blocks}
    for rb in raw["blocks"] + raw["keyEvents"]:
        expected = datetime.fromtimestamp(rb["blockFirstPublished"] / 1000, UTC)
        assert by_id[rb["id"]]["published_at"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert by_id[rb["id"]]["updated_at"].endswith("Z")


def test_blocks_are_newest_first_with_text_and_elements() -> None:
    blog = parse_page(corpus_file(CASES[1][0]).read_bytes())
    times = [b.published_at for b in blog.blocks]
    assert times == sorted(times, reverse=True)
    kinds = {e.kind for b in blog.blocks for e in b.elements}
    assert {"text", "tweet", "blockquote", "image", "rich-link"} <= kinds
    tweets = [e for b in blog.blocks for e in b.elements if e.kind == "tweet"]
    assert all(e.url and "/status/" in e.url for e in tweets)
    images = [e for b in blog.blocks for e in b.elements if e.kind == "image"]
    assert all(e.url and e.url.startswith("https://") for e in images)
    assert all("<" not in b.text for b in blog.blocks)


def test_video_elements_keep_their_url() -> None:
    blog = parse_page(corpus_file(CASES[0][0]).read_bytes())
    videos = [e for b in blog.blocks for e in b.elements if e.kind == "video"]
    assert videos and all(e.url and "youtube" in e.url for e in videos)


def test_sample_merges_key_events_pinned_and_keeps_unknown_elements() -> None:
    raw = json.loads((SAMPLES / "guardian-tallships.dcr.json").read_text())
    blog = parse_page((SAMPLES / "guardian-tallships.dcr.json").read_bytes())
    ids = {b["id"] for b in raw["blocks"] + raw["keyEvents"] + [raw["pinnedPost"]]}
    assert {b.id for b in blog.blocks} == ids
    assert blog.is_live is True
    assert blog.authors == ["Ada Lanyon", "Ben Tregear"]
    pinned = [b for b in blog.blocks if b.pinned]
    assert len(pinned) == 1 and pinned[0].key_event and pinned[0].authors == ["Ada Lanyon"]
    unknown = [e for b in blog.blocks for e in b.elements if e.kind == "unknown"]
    assert len(unknown) == 1
    assert unknown[0].extra["type"] == "SailingTimetableBlockElement"
    assert "Kittiwake" in (unknown[0].text or "")
    image = next(e for b in blog.blocks for e in b.elements if e.kind == "image")
    assert image.url.endswith("/master/4000.jpg")
    assert image.caption and image.credit == "Photograph: Sample Photographer"


def test_second_page_links_back_to_newer() -> None:
    blog = parse_page((SAMPLES / "guardian-tallships-page2.dcr.json").read_bytes())
    assert set(blog.pages) == {"newer", "newest"}
    assert blog.pages["newer"].startswith(blog.url + "?page=with:block-")


def test_guardian_html_merges_islands_rendered_posts_and_json_ld() -> None:
    blog = parse_page((SAMPLES / "guardian-lunar-lander.html").read_bytes())
    assert blog.source_format == "guardian-html"
    assert blog.id == "science/live/2026/mar/02/lunar-lander-touchdown-live"
    by_id = {b.id[-1]: b for b in blog.blocks}
    assert sorted(by_id) == ["1", "2", "3", "4"]  # island-only, rendered-only and both, once
    assert [b.id[-1] for b in blog.blocks if b.key_event] == ["3", "1"]
    touchdown = by_id["3"]  # in the carousel, the rendered page and the JSON-LD
    assert touchdown.text == (
        "Mission control confirms the lander is down, upright and "
        "talking to Earth.\n\nApplause fills the room."
    )
    assert touchdown.authors == ["Rhys Penhale"]
    picture = by_id["4"]  # rendered and JSON-LD: the rendered body, the JSON-LD edit time
    assert [e.kind for e in picture.elements] == ["text", "image", "text"]
    assert picture.to_dict()["updated_at"] == "2026-03-02T10:20:00Z"
    assert "[bold]more[/bold]" in picture.text  # markup-like text stays text
    assert blog.pages["older"].endswith("?page=with:block-6b0000000000000000000002")
    assert blog.is_live is False  # coverageEndTime has passed
