"""The fast ways of reading JSON pages give what the ways they replaced give, for any input.

Issue 26: the Content API's post bodies are parsed as one lxml document (`html_fragments`)
rather than one each (`html_fragment`); the corpus digests (test_parse_identical.py) pin the
output on real pages, and these pin it on hostile markup too.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
