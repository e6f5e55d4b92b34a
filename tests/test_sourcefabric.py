"""Sourcefabric Live Blog 3: its public posts API, a change feed (the vendor's demo blog)."""

from __future__ import annotations

import json
from typing import Any

from conftest import corpus_file
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.parse import parse_page
from liveblog_cli.parse.sourcefabric import item_elements

FEED = "platforms/sourcefabric-liveblog3-demo-posts.json"
BLOG = "58bfeb4c15720af1a94c1052"
API = f"https://sourcefabric.liveblog.pro/api/client_blogs/{BLOG}/posts"


def _raw() -> dict[str, Any]:
    return json.loads(corpus_file(FEED).read_text())


def _by_name() -> dict[str, dict[str, Any]]:
    """The feed's items by the name the editor sees (`#192`)."""
    return {i["unique_name"]: i for i in _raw()["posts"]["_items"]}


def _ids(*names: str) -> set[str]:
    items = _by_name()
    return {items[n]["_id"] for n in names}


def _parse(doc: dict[str, Any], url: str | None = None):  # type: ignore[no-untyped-def]
    return parse_page(json.dumps(doc).encode(), url=url)


def test_the_demo_feed() -> None:
    blog = parse_page(corpus_file(FEED).read_bytes(), url=API)
    assert blog.source_format == "sourcefabric"
    # The corpus README's figures, counted from the file.
    assert len(blog.blocks) == 11
    assert {b.id for b in blog.blocks if b.key_event} == _ids("#198", "#194", "#87", "#145")
    assert {b.id for b in blog.blocks if b.pinned} == _ids("#4", "#142")
    assert blog.blocks[0].to_dict()["published_at"] == "2017-03-23T10:46:19Z"
    assert blog.blocks[-1].to_dict()["published_at"] == "2017-03-08T11:36:11Z"
    assert blog.blocks[0].id == _by_name()["#200"]["_id"]


def test_tombstones_and_comments() -> None:
    items = _raw()["posts"]["_items"]
    blog = parse_page(corpus_file(FEED).read_bytes())
    tombstones = [i["_id"] for i in items if i["deleted"]]
    assert len(tombstones) == 13
    assert sorted(blog.deleted_ids) == sorted(tombstones)
    comment = _by_name()["#140"]
    assert comment["post_status"] == "comment"
    assert comment["_id"] not in {b.id for b in blog.blocks} | set(blog.deleted_ids)
    assert not any("Geiler Blog" in b.text for b in blog.blocks)


def test_a_change_feed_is_not_a_timeline() -> None:
    blog = parse_page(corpus_file(FEED).read_bytes())
    assert blog.time_ordered is False
    times = [b.published_at for b in blog.blocks]
    assert times == sorted(times, reverse=True)
    # The feed itself is in order of last update, which is not the order of publication.
    feed_order = [i["_id"] for i in _raw()["posts"]["_items"] if i["_id"] in set(blog.body_ids)]
    assert feed_order != [b.id for b in blog.blocks]


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_feed_order_changes_nothing(rnd: Any) -> None:
    doc = _raw()
    expected = _parse(doc, API)
    rnd.shuffle(doc["posts"]["_items"])
    again = _parse(doc, API)
    assert [b.to_dict() for b in again.blocks] == [b.to_dict() for b in expected.blocks]
    assert sorted(again.deleted_ids) == sorted(expected.deleted_ids)


def test_blog_id_and_the_next_page() -> None:
    offline = parse_page(corpus_file(FEED).read_bytes())
    assert offline.id == f"sourcefabric/{BLOG}"
    assert offline.pages == {}  # nothing to resolve the link against
    online = parse_page(corpus_file(FEED).read_bytes(), url=API)
    assert online.id.endswith(f"api/client_blogs/{BLOG}/posts")
    assert online.pages == {"older": f"{API}?page=2"}
    # Page 2 names the same blog.
    second = parse_page(corpus_file(FEED).read_bytes(), url=f"{API}?page=2")
    assert (second.id, second.url) == (online.id, online.url)
    # Eve writes links from the API root; a root elsewhere, and an absolute link.
    other = "http://127.0.0.1:8080/lb/api/v2/client_blogs/{}/posts?max_results=25"
    moved = parse_page(corpus_file(FEED).read_bytes(), url=other.format(BLOG))
    assert (
        moved.pages["older"] == f"http://127.0.0.1:8080/lb/api/v2/client_blogs/{BLOG}/posts?page=2"
    )
    doc = _raw()
    doc["posts"]["_links"]["next"]["href"] = "/api/elsewhere?page=2"
    assert (
        _parse(doc, API).pages["older"] == "https://sourcefabric.liveblog.pro/api/elsewhere?page=2"
    )


def test_what_a_post_holds() -> None:
    blog = parse_page(corpus_file(FEED).read_bytes())
    by_id = {b.id: b for b in blog.blocks}
    items = _by_name()
    welcome = by_id[items["#4"]["_id"]]
    assert welcome.text.startswith("Hello Live Bloggers, welcome to our news liveblogged")
    assert welcome.authors == [items["#4"]["publisher"]["display_name"]]
    gallery = by_id[items["#97"]["_id"]]
    assert [e.kind for e in gallery.elements] == ["text", "image", "image", "image", "image"]
    assert all(e.url.startswith("https://sourcefabric.liveblog.pro/") for e in gallery.elements[1:])
    tweet = by_id[items["#147"]["_id"]].elements[0]
    assert (tweet.kind, tweet.url) == (
        "tweet",
        "https://twitter.com/gidze3000/status/844461698979434496",
    )
    assert "3 month to lift @Sourcefabric" in tweet.text and "twttr" not in tweet.text
    link = by_id[items["#142"]["_id"]].elements[0]
    assert (link.kind, link.url) == ("embed", "http://liveblog.pro/live-news-new-live-blog-3-1/")
    assert link.caption == "The New Live Blog 3.1 is Here - Live Blog pro"
    results = by_id[items["#194"]["_id"]]  # a free type: rendered HTML, its words kept
    assert "Marine Le Pen" in results.text and "25,6 %" in results.text
    assert results.elements[0].extra["type"] == "Election results"
    scorecard = by_id[items["#198"]["_id"]]
    assert "Germany" in scorecard.text and "display: inline-flex" not in scorecard.text


def test_an_image_item_with_its_credit_in_the_caption() -> None:
    # #8 is a tombstone, but its images show how the theme writes captions and credits.
    ref = next(g for g in _by_name()["#8"]["groups"] if g["id"] == "main")["refs"][0]
    (image,) = item_elements(ref["item"])
    assert (image.kind, image.caption, image.credit, image.alt) == (
        "image",
        "Relax",
        "Sourcefabric",
        "Relax",
    )
    assert image.url.endswith(
        "fd581d7bde8eff3ef7c43b26375b9ee1483f1b5bb820af6ef54fbb78b3adbc06.jpg"
    )


def test_a_quote_item() -> None:
    (quote,) = item_elements(
        {
            "item_type": "quote",
            "text": "<blockquote><p>Words</p></blockquote>",
            "meta": {"quote": "Words, quoted.", "credit": "Somebody"},
        }
    )
    assert (quote.kind, quote.text, quote.extra["attribution"]) == (
        "blockquote",
        "Words, quoted.",
        "Somebody",
    )
