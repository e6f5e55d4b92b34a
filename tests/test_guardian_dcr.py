"""Guardian DCR JSON: the corpus pages parse to the counts the corpus README lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SAMPLES, corpus_file, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.errors import ParseError
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


# --- what is a live blog: what the payload says, not the presence of keyEvents ---------------


def _payload(design: str, content_type: str, **more: object) -> dict:  # type: ignore[type-arg]
    """A small DCR payload with the top-level keys of today's renderer (as in the corpus)."""
    return {
        "pageId": "world/2024/may/01/a-page",
        "canonicalUrl": "https://www.theguardian.com/world/2024/may/01/a-page",
        "headline": "A page",
        "format": {"design": design, "display": "StandardDisplay", "theme": "NewsPillar"},
        "contentType": content_type,
        "config": {"isLiveBlog": False, "isLive": False},
        "pageType": {"isLiveblog": False},
        "blocks": [
            {
                "id": "5f0000000000000000000001",
                "elements": [
                    {
                        "_type": "model.dotcomrendering.pageElements.TextBlockElement",
                        "html": "<p>The whole story, in one body block.</p>",
                    }
                ],
                "blockFirstPublished": 1714554000000,
            }
        ],
        "keyEvents": [],
        **more,
    }


NOT_LIVE = [
    ("ArticleDesign", "Article"),
    ("InterviewDesign", "Interview"),
    ("MatchReportDesign", "Article"),
    ("GalleryDesign", "Gallery"),
    ("ReviewDesign", "Article"),
    ("QuizDesign", "Article"),
    ("CommentDesign", "Article"),
]


@pytest.mark.parametrize(("design", "content_type"), NOT_LIVE)
def test_pages_that_are_not_live_blogs_are_rejected(design: str, content_type: str) -> None:
    with pytest.raises(ParseError, match=r"^not a live blog: ") as info:
        parse_page(json.dumps(_payload(design, content_type)).encode())
    assert "Guardian" in str(info.value)


def test_a_match_report_is_rejected_with_exit_65(tmp_path: Path) -> None:
    page = tmp_path / "report.json"
    page.write_text(json.dumps(_payload("MatchReportDesign", "Article")))
    result = run_cli("parse", str(page))
    assert result.returncode == 65
    assert result.stderr.decode().startswith("liveblog: error: not a live blog: ")
    assert "match report" in result.stderr.decode() and result.stdout == b""


@pytest.mark.parametrize(
    "says",
    [
        {"format": {"design": "LiveBlogDesign"}},
        {"format": {"design": "DeadBlogDesign"}},
        {"contentType": "LiveBlog"},
        {"config": {"isLiveBlog": True}},
        {"pageType": {"isLiveblog": True}},
    ],
)
def test_a_payload_naming_a_live_blog_in_any_one_key_is_one(says: dict) -> None:  # type: ignore[type-arg]
    doc = {**_payload("ArticleDesign", "Article"), **says}
    if "format" not in says:
        doc.pop("format")
    if "contentType" not in says:
        doc.pop("contentType")
    if "pageType" not in says:
        doc.pop("pageType")
    assert len(parse_page(json.dumps(doc).encode()).blocks) == 1


def test_an_older_vintage_with_only_blocks_and_key_events_is_a_live_blog() -> None:
    doc = json.loads(corpus_file(CASES[0][0]).read_text())
    for key in ("format", "contentType", "config", "pageType", "designType"):
        doc.pop(key)
    blog = parse_page(json.dumps(doc).encode())
    assert (len(blog.blocks), sum(b.key_event for b in blog.blocks)) == (16, 3)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_corpus_blogs_say_so_despite_config_and_design_type(name: str) -> None:
    doc = json.loads(corpus_file(name).read_text())
    # Real live blogs carry these contradicting flags: they must not turn them away.
    assert doc["config"]["isLiveBlog"] is False and doc["designType"] == "Article"
    doc["keyEvents"] = []
    assert parse_page(json.dumps(doc).encode()).source_format == "guardian-dcr"


# --- key events without attributes (the 2021 vintage) ------------------------------------------


def _flags(blog) -> tuple[set[str], set[str], set[str]]:  # type: ignore[no-untyped-def]
    return (
        {b.id for b in blog.blocks if b.key_event},
        {b.id for b in blog.blocks if b.pinned},
        {b.id for b in blog.blocks if b.summary},
    )


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_key_events_listed_without_attributes(name: str) -> None:
    doc = json.loads(corpus_file(name).read_text())
    with_attributes = _flags(parse_page(json.dumps(doc).encode()))
    for block in doc["keyEvents"] + ([doc["pinnedPost"]] if doc.get("pinnedPost") else []):
        del block["attributes"]
    without = _flags(parse_page(json.dumps(doc).encode()))
    assert without == with_attributes
    keys, _, summaries = without
    # The summary is listed in keyEvents, yet its attributes (on the page) say summary.
    listed = {b["id"] for b in doc["keyEvents"]}
    assert summaries and summaries <= listed and not summaries & keys


def test_where_attributes_speak_they_rule() -> None:
    doc = _payload("LiveBlogDesign", "LiveBlog")
    block = doc["blocks"][0]
    block["attributes"] = {"keyEvent": False, "pinned": False, "summary": False}
    listed = {k: v for k, v in block.items() if k != "attributes"}
    doc["keyEvents"] = [listed]
    assert not parse_page(json.dumps(doc).encode()).blocks[0].key_event
    del block["attributes"]
    assert parse_page(json.dumps(doc).encode()).blocks[0].key_event


# --- summary lists -----------------------------------------------------------------------------


def test_summary_lists_are_one_bullet_line_each() -> None:
    from lxml import html

    doc = json.loads(corpus_file(CASES[1][0]).read_text())
    blog = parse_page(corpus_file(CASES[1][0]).read_bytes())
    summary = next(b for b in blog.blocks if b.summary)
    raw = next(b for b in doc["blocks"] if b["attributes"]["summary"])
    items = [
        " ".join(li.text_content().split())
        for e in raw["elements"]
        if "<li" in e.get("html", "")
        for li in html.fragment_fromstring(e["html"], create_parent="div").iter("li")
    ]
    assert len(items) == 4
    assert summary.text.split("\n\n") == [f"• {item}" for item in items]


WORDS = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N"]), min_size=1)
ITEM = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
WRAP = st.sampled_from(["{}", "<p>{}</p>", " <p> {} </p> ", "<div><p>{}</p></div>", "<b>{}</b>"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(ITEM, WRAP), min_size=1, max_size=5), st.sampled_from(["ul", "ol"]))
def test_every_list_item_is_one_bullet_line(items: list[tuple[str, str]], tag: str) -> None:
    from liveblog_cli.parse.text import html_to_text

    markup = f"<{tag}>" + "".join(f"<li>{wrap.format(t)}</li>" for t, wrap in items) + f"</{tag}>"
    assert html_to_text(f"<p>Before</p>{markup}<p>After</p>").split("\n\n") == [
        "Before",
        *(f"• {t}" for t, _ in items),
        "After",
    ]
