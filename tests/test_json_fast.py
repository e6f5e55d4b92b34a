"""The fast ways of reading JSON pages give what the ways they replaced give, for any input.

Issue 26: the Content API's post bodies are parsed as one lxml document (`html_fragments`)
rather than one each (`html_fragment`); the corpus digests (test_parse_identical.py) pin the
output on real pages, and these pin it on hostile markup too.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from unittest import mock

import pytest
import test_parse_fuzz as fuzz
from conftest import corpus_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveblog_cli.errors import ParseError
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import html_fragment, html_fragments


def _shape(node: Any) -> tuple[Any, ...]:
    """A tree as plain values: tag (a comment's or PI's as its kind), text, tail,
    attributes, children."""
    tag = node.tag if isinstance(node.tag, str) else repr(node.tag)
    return (tag, node.text, node.tail, sorted(node.attrib.items()), [_shape(c) for c in node])


# Pieces of markup that end where they should not, act on the page, or hold what lxml refuses.
_PIECES = st.sampled_from(
    [
        *("<p>", "</p>", "<div>", "</div>", "<span>", "</span>", "<b>", "<br>", "<p/>", "<p"),
        *("<table>", "<tr><td>", "</table>", "<tbody>", "<caption>", "<col>", "<dl><dt>"),
        *("<!--", "-->", "<script>", "</script>", "<style>", "</style>", "<textarea>"),
        *("<title>", "<xmp>", "<plaintext>", "<noscript>", "<svg>", "</svg>", "<math>"),
        *("<a href='", "'", '"', '<p title="', "<", ">", "<li>", "<ul>", "</ul>", "<h1>"),
        *("<html>", "</html>", "<body>", "</body>", "<head>", "<frameset>", "<!doctype html>"),
        *("<?x?>", "<meta charset=latin1>", "<select>", "<option>", "<form>", "<input>"),
        *("<img src=x>", "<figure>", "</figure>", "<iframe src=y>", "</iframe>"),
        *("<blockquote class=twitter-tweet>", '<div data-part="x-1">', "<DIV DATA-PART=x-0>"),
        *("\x1b", "\x00", "\x1c", "&amp", "&#27;", "&", " ", "\n", "text", "\ufeff", "é", "\ud800"),
    ]
)
_FRAGMENT = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_FRAGMENT, max_size=5))
def test_fragments_parsed_together_as_alone(markups: list[str]) -> None:
    alone = [html_fragment(m) for m in markups]
    together = html_fragments(markups)
    assert [_shape(r) for r in together] == [_shape(r) for r in alone]
    assert [[e.to_dict() for e in body_elements(r)] for r in together] == [
        [e.to_dict() for e in body_elements(r)] for r in alone
    ]


def test_fragments_of_real_bodies_share_one_parse() -> None:
    """Bodies that close what they open are read from the one page (no fallback)."""
    markups = [
        "<p>one</p>",
        "  <p>two</p> tail",
        "lead <b>three</b>",
        "<figure><img src=a></figure>",
    ]
    roots = html_fragments(markups)
    assert len({r.getroottree().getroot() for r in roots}) == 1
    assert [_shape(r) for r in roots] == [_shape(html_fragment(m)) for m in markups]


# --- typed decoding (Source.typed) against the readers of the decoded value -----------------
# Issue 26 item 7: known JSON shapes are decoded into msgspec Structs of the keys read, and
# read from those; any page the Struct does not fit, or its reader is not sure of, is read as
# before. Every JSON seed (corpus and samples), mutated where the readers look, must give
# the same blog (or the same refusal) both ways.


def _outcome(data: bytes, url: str | None, *, typed: bool) -> object:
    import liveblog_cli.parse as parse

    with contextlib.ExitStack() as stack:
        if not typed:
            stack.enter_context(mock.patch.object(parse, "_typed_readers", lambda: ()))
        try:
            blog = parse.parse_page(data, url)
        except ParseError as exc:
            return {"error": str(exc)}
    return {
        "blog": blog.to_dict(),
        "body_ids": blog.body_ids,
        "complete": blog.complete,
        "deleted_ids": blog.deleted_ids,
        "time_ordered": blog.time_ordered,
        "page_count": blog.page_count,
    }


# Values the typed readings tell apart from absence, or read by kind.
_TYPED_EDGES: list[Any] = [
    None,
    {},
    [],
    "",
    "true",
    "model.dotcomrendering.pageElements.TextBlockElement",
    "x.MultiImageBlockElement",
    "YoutubeBlockElement",
    "LiveBlogDesign",
    "LiveBlog",
    {"design": "LiveBlogDesign"},
    {"isLiveBlog": None},
    {"isLiveblog": True},
    {"_type": "TweetBlockElement", "role": None, "id": "1", "url": "u"},
]


def test_typed_reading_is_taken_on_the_corpus() -> None:
    """The typed reading reads the real DCR pages (else the tests below prove nothing)."""
    import liveblog_cli.parse as parse
    from liveblog_cli.parse.page import Doc

    for name in ("mars-perseverance-2021-02-19.dcr.json", "politics-live-2023-12-13.dcr.json"):
        raw = corpus_file(f"guardian/{name}").read_bytes()
        assert parse._read_typed(Doc(raw.decode(), None, raw=raw)) is not None, name


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.sampled_from(range(len(fuzz.JSON_SEEDS))),
    data=st.data(),
    mutations=st.integers(0, 4),
    ascii_only=st.booleans(),
    url=st.sampled_from(fuzz._URLS),
)
def test_typed_reading_as_the_readers(
    seed: int, data: st.DataObject, mutations: int, ascii_only: bool, url: str | None
) -> None:
    rnd = data.draw(st.randoms(use_true_random=True))
    doc = fuzz.JSON_SEEDS[seed][1]
    for _ in range(mutations):
        place = fuzz._path(seed, doc, rnd)
        if rnd.random() < 0.3:
            value = rnd.choice(_TYPED_EDGES)
        else:
            value = data.draw(rnd.choice(fuzz.HOSTILE[:-1]))  # not the megabytes: too slow
        doc = fuzz._replaced(doc, place, value)
    page = json.dumps(doc, ensure_ascii=ascii_only).encode()
    assert _outcome(page, url, typed=True) == _outcome(page, url, typed=False)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace('"blocks":', '"blocks": null, "blocks":', 1),  # a key twice
        lambda t: t.replace('"blocks":', '"blocks": [], "blocks":', 1),
        lambda t: t.replace('"config":', '"config": [], "config":', 1),
        lambda t: t.replace('"html":', '"role": null, "html":', 1),
        lambda t: t.replace('"html":', '"role": "inline", "html":', 1),
        lambda t: t.replace('{"', '{"response": {}, "', 1),
        lambda t: t.replace('"attributes":', '"attributes": 1, "attributes":', 1),
        lambda t: t.replace('"elements":', '"elements": null, "elements":', 1),
        lambda t: t.replace('"html":', '"html": "\\ud83d", "html":', 1),
        lambda t: t.replace('"blockCreatedOn":', '"blockCreatedOn": 1e400, "blockCreatedOn":', 1),
        lambda t: t.replace('{"', '{"data": {"language": "fr"}, "', 1),
        lambda t: t.replace('{"', '{"data": 5, "', 1),
        lambda t: t.replace('"keyEvents"', '"key\\u0045vents"'),  # read the long way
        lambda t: t.replace('"keyEvents"', '"keyEventsX"'),
    ],
)
def test_typed_reading_of_edited_pages(edit: Any) -> None:
    for name in ("mars-perseverance-2021-02-19.dcr.json", "politics-live-2023-12-13.dcr.json"):
        text = edit(corpus_file(f"guardian/{name}").read_text(encoding="utf-8"))
        page = text.encode()
        assert _outcome(page, None, typed=True) == _outcome(page, None, typed=False)
