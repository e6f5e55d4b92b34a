"""The Guardian Content API: its item JSON (the API's own fixture), its URL plan, a real fetch."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import archive_db, corpus_file, dump, run_cli, sql
from hypothesis import given, settings
from hypothesis import strategies as st
from liveserver import LiveServer, Reply

from liveblog_cli.errors import ParseError
from liveblog_cli.parse import Reach, parse_page, plan
from liveblog_cli.parse.guardian_api import looks_like_capi

ITEM = "guardian/capi-item-with-blocks.json"
PATH = "news/blog/live/2015/apr/09/example-liveblog"
BLOG_URL = f"https://www.theguardian.com/{PATH}"
# The corpus README's figures for this item.
NEWEST = ("5530debce4b078ada18a4602", "2015-04-17T11:21:49Z")
OLDEST = "2015-04-09T14:30:51Z"
KEY_AND_PINNED = "55267da9e4b091b2a1c75fe0"
SUMMARY = "55267dc0e4b091b2a1c75fe1"


def _item() -> dict[str, Any]:
    return json.loads(corpus_file(ITEM).read_text())


def _parse(doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_page(json.dumps(doc).encode())


def _check(blog) -> None:  # type: ignore[no-untyped-def]
    raw = _item()["response"]["content"]["blocks"]
    assert blog.source_format == "guardian-capi"
    assert blog.id == PATH and blog.url == BLOG_URL
    assert len(blog.blocks) == 6
    assert [b.id for b in blog.blocks] == [b["id"] for b in raw["body"]]  # ids kept, in order
    assert raw["main"]["id"] not in {b.id for b in blog.blocks}  # the standfirst is no post
    assert (blog.blocks[0].id, blog.blocks[0].to_dict()["published_at"]) == NEWEST
    assert blog.blocks[-1].to_dict()["published_at"] == OLDEST
    assert [b.id for b in blog.blocks if b.key_event] == [KEY_AND_PINNED]
    assert [b.id for b in blog.blocks if b.pinned] == [KEY_AND_PINNED]
    assert [b.id for b in blog.blocks if b.summary] == [SUMMARY]
    key = next(b for b in blog.blocks if b.key_event)
    assert (key.title, key.text) == ("key event title", "key event text")
    assert blog.is_live is None  # no `fields` were asked for: the API did not say


def test_the_api_fixture() -> None:
    _check(_parse(_item()))


def test_typed_elements_and_a_body_only_in_html() -> None:
    blog = _parse(_item())
    by_id = {b.id: b for b in blog.blocks}
    typed = by_id["5530d2ede4b078ada18a45ff"]
    assert [e.kind for e in typed.elements] == [
        "text",
        "pullquote",
        "embed",
        "video",
        "audio",
        "tweet",
        "image",
        "image",  # a cartoon is a picture
    ]
    tweet = typed.elements[5]
    assert tweet.url == "https://twitter.com/elenacresci/status/596605887244083201"
    assert typed.elements[3].url == "http://www.youtube.com/watch?v=p0jSGkf4DQc"
    assert typed.elements[7].url and typed.elements[7].alt == "The Mary Poppins Method"
    # No typed elements: the published HTML is the body, its figure an image, not prose.
    picture = by_id["5527be22e4b0505fae058181"]
    assert [e.kind for e in picture.elements] == ["image"]
    assert picture.elements[0].url.endswith("/1000.jpg")
    assert picture.elements[0].caption.startswith("Workers stand on scaffolding")
    assert picture.text == ""


def _as_strings(doc: dict[str, Any], choose: Any = lambda: True) -> dict[str, Any]:
    """The item with its blocks' boolean attributes written as "true"/"false" strings (as a
    sibling fixture of the API writes them), each one where `choose()` says so."""
    doc = copy.deepcopy(doc)
    for block in doc["response"]["content"]["blocks"]["body"]:
        for name, value in block["attributes"].items():
            if isinstance(value, bool) and choose():
                block["attributes"][name] = "true" if value else "false"
    return doc


def test_attributes_written_as_strings() -> None:
    doc = _as_strings(_item())
    flags = [b["attributes"] for b in doc["response"]["content"]["blocks"]["body"]]
    assert {"keyEvent": "true", "pinned": "true"}.items() <= flags[4].items()
    assert flags[5]["summary"] == "true"
    _check(_parse(doc))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_mix_of_strings_and_booleans_reads_the_same(data: st.DataObject) -> None:
    doc = _item()
    extra = doc["response"]["content"]["blocks"]["body"]
    # Some "false" attributes too, so that a string "false" is seen to be false.
    for block in extra[:3]:
        block["attributes"].update(keyEvent=False, pinned=False, summary=False)
    expected = _parse(doc).to_dict()
    mixed = _as_strings(doc, lambda: data.draw(st.booleans()))
    assert _parse(mixed).to_dict() == expected


def test_the_same_blog_id_as_the_dcr_reader() -> None:
    dcr = {
        "pageId": PATH,
        "format": {"design": "LiveBlogDesign", "display": "StandardDisplay", "theme": "NewsPillar"},
        "contentType": "LiveBlog",
        "config": {"isLiveBlog": True},
        "canonicalUrl": BLOG_URL,
        "keyEvents": [],
        "blocks": [
            {
                "id": NEWEST[0],
                "elements": [
                    {
                        "_type": "model.dotcomrendering.pageElements.TextBlockElement",
                        "html": "<p>hi</p>",
                    }
                ],
                "blockFirstPublished": 1429269709000,
            }
        ],
    }
    from_dcr, from_api = _parse(dcr), _parse(_item())
    assert from_dcr.source_format == "guardian-dcr"
    assert (from_api.id, from_api.url) == (from_dcr.id, from_dcr.url)
    shared = next(b for b in from_api.blocks if b.id == NEWEST[0])
    assert shared.to_dict()["published_at"] == from_dcr.blocks[0].to_dict()["published_at"]


def test_dcr_payloads_are_not_api_answers() -> None:
    for name in ("politics-live-2023-12-13.dcr.json", "mars-perseverance-2021-02-19.dcr.json"):
        assert not looks_like_capi(json.loads(corpus_file(f"guardian/{name}").read_text()))
    assert looks_like_capi(_item())


def test_an_api_error_and_an_ordinary_article_are_rejected() -> None:
    with pytest.raises(ParseError, match=r"^not a live blog: .*API answered: The requested"):
        _parse({"response": {"status": "error", "message": "The requested resource not found"}})
    article = _item()
    content = article["response"]["content"]
    content.update(id="news/2015/apr/09/a-story", type="article")
    with pytest.raises(ParseError, match=r"^not a live blog: .* item of type article$"):
        _parse(article)


# --- which address to ask -----------------------------------------------------------------------


def test_plan_without_a_key_is_the_dcr_json_then_the_page() -> None:
    how = plan(BLOG_URL, Reach())
    assert how.addresses == (f"{BLOG_URL}.json?dcr=true", BLOG_URL)
    assert how.secret is False


def test_plan_with_a_key_asks_the_api_first() -> None:
    reach = Reach(guardian_api_key="s3cret/+", guardian_api="http://api.test/capi")
    how = plan(BLOG_URL, reach)
    assert how.addresses == (
        f"http://api.test/capi/{PATH}?show-blocks=all&api-key=s3cret%2F%2B",
        f"{BLOG_URL}.json?dcr=true",
        BLOG_URL,
    )
    assert how.secret is True
    # Each address names the blog by the Guardian URL; the key never reaches a blog's name.
    assert how.page_url(how.addresses[0]) == BLOG_URL
    assert how.page_url(how.addresses[1]) == BLOG_URL
    # The default API host, and a URL of a page other than the first.
    default = plan(BLOG_URL + "?page=with:block-x", Reach(guardian_api_key="k"))
    assert default.addresses[0] == (
        f"https://content.guardianapis.com/{PATH}?show-blocks=all&api-key=k"
    )


def test_plan_with_a_key_leaves_other_sites_alone() -> None:
    reach = Reach(guardian_api_key="k")
    assert plan("https://news.example/live/x", reach).addresses == ("https://news.example/live/x",)
    article = "https://www.theguardian.com/world/2024/may/01/a-story"
    assert plan(article, reach).addresses == (article,)


# --- a real fetch through the CLI ---------------------------------------------------------------


def test_fetch_through_the_api(tmp_path: Path) -> None:
    body = corpus_file(ITEM).read_bytes()
    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        server.routes[f"/{PATH}"] = Reply(200, body, {"Content-Type": "application/json"})
        # Any request that would leave 127.0.0.1 goes to a closed local port instead.
        offline = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
        result = run_cli(
            "fetch",
            BLOG_URL,
            "--guardian-api-key",
            "test",
            "--db",
            str(db),
            "--delay",
            "0",
            "--retries",
            "0",
            "--json",
            env={"LIVEBLOG_GUARDIAN_API": server.base, **offline, "NO_PROXY": "127.0.0.1"},
        )
        asked = [r["path"] for r in server.requests]
    assert asked == [f"/{PATH}?show-blocks=all&api-key=test"]
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)[0]
    assert (summary["blog_id"], summary["new"], summary["total"]) == (PATH, 6, 6)
    ids = {r[0] for r in sql(db, "SELECT id FROM blocks WHERE blog_id = ?", PATH)}
    assert ids == {b["id"] for b in _item()["response"]["content"]["blocks"]["body"]}


def test_the_api_key_is_never_stored(tmp_path: Path) -> None:
    key = "k-3f9a1c77e"
    db = archive_db(tmp_path, "a")
    with LiveServer() as server:
        server.routes[f"/{PATH}"] = Reply(200, corpus_file(ITEM).read_bytes())
        result = run_cli(
            "fetch",
            BLOG_URL,
            "--db",
            str(db),
            "--delay",
            "0",
            "--retries",
            "0",
            env={
                "GUARDIAN_API_KEY": key,
                "LIVEBLOG_GUARDIAN_API": server.base,
                "HTTPS_PROXY": "http://127.0.0.1:9",
                "NO_PROXY": "127.0.0.1",
            },
        )
    assert result.returncode == 0, result.stderr
    assert key.encode() not in result.stdout + result.stderr
    everything = dump(db)
    assert "6 blocks" in result.stderr.decode() and PATH in everything
    assert key not in everything
