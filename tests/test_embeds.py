"""Pages that embed a third-party live-blog platform (issue 24.4): named, not "no posts".

The pages in tests/fixtures carry each platform's public embed snippet (its placeholder
element with the ticker's id in data attributes, and its loader script or frame) in a page
that has no posts of its own; `liveblog parse` and `liveblog fetch` say in one line which
platform and which ticker, and exit 65. A page with posts of its own and an embed besides
is read as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SAMPLES, archive_db, run_cli, sql
from hypothesis import given, settings
from hypothesis import strategies as st
from liveserver import LiveServer, Reply

from liveblog_cli.errors import EmbeddedPlatform, ParseError
from liveblog_cli.parse import parse_page

FIXTURES = Path(__file__).parent / "fixtures"

# fixture: (platform, what it calls one, its id as the page gives it)
EMBEDS = {
    "embed-tickaroo.html": ("Tickaroo", "ticker", "5f2c7e1b9a4d3c2b1a0f9e8d"),
    "embed-tickaroo-script.html": ("Tickaroo", "ticker", "6a1d2c3b4e5f60718293a4b5"),
    "embed-scribblelive.html": ("ScribbleLive", "event", "3187425"),
    "embed-scribblelive-iframe.html": ("ScribbleLive", "event", "2298741"),
    "embed-arena.html": ("Arena", "live blog", "example-sport/cup-final-2024"),
    "embed-24liveblog.html": ("24liveblog", "event", "3159487263015842716"),
    "embed-24liveblog-iframe.html": ("24liveblog", "event", "3159487263015842716"),
    "embed-wordpress-liveblog.html": ("WordPress Liveblog", "live blog", "4821"),
}


def _said(name: str) -> str:
    platform, noun, ticker = EMBEDS[name]
    article = "an" if platform == "Arena" else "a"
    return (
        f"this page embeds {article} {platform} {noun} {ticker}; "
        f"liveblog cannot read {platform} yet"
    )


@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_parse_names_the_platform_and_its_ticker(name: str, tmp_path: Path) -> None:
    db = archive_db(tmp_path, "e")
    done = run_cli("parse", str(FIXTURES / name), "--save", "--db", db)
    assert done.returncode == 65
    assert done.stdout == b""
    assert done.stderr.decode() == f"liveblog: error: {_said(name)}\n"


@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_the_error_carries_the_platform_and_ticker(name: str) -> None:
    with pytest.raises(EmbeddedPlatform) as raised:
        parse_page((FIXTURES / name).read_bytes())
    platform, _, ticker = EMBEDS[name]
    assert (raised.value.platform, raised.value.ticker, raised.value.exit_code) == (
        platform,
        ticker,
        65,
    )


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with LiveServer() as srv:
        for name in EMBEDS:
            srv.routes[f"/live/{name}"] = Reply(
                200, (FIXTURES / name).read_bytes(), {"Content-Type": "text/html; charset=utf-8"}
            )
        yield srv


@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_fetch_names_the_platform_and_keeps_no_posts(
    server: LiveServer, name: str, tmp_path: Path
) -> None:
    db = archive_db(tmp_path, "f")
    url = server.url(f"/live/{name}")
    done = run_cli("fetch", url, "--db", db, "--delay", "0", "--timeout", "5")
    assert done.returncode == 65, done.stderr
    lines = done.stderr.decode().splitlines()
    assert lines == [f"liveblog: error: {url}: {_said(name)}"]
    assert sql(db, "SELECT count(*) FROM blocks") == [(0,)]


def test_fetch_json_says_it_too(server: LiveServer, tmp_path: Path) -> None:
    db = archive_db(tmp_path, "j")
    url = server.url("/live/embed-tickaroo.html")
    done = run_cli("fetch", url, "--db", db, "--delay", "0", "--timeout", "5", "--json")
    (result,) = json.loads(done.stdout)
    assert (done.returncode, result["exit_code"]) == (65, 65)
    assert result["error"].endswith(_said("embed-tickaroo.html"))


# --- what is read as before -------------------------------------------------------------------

SNIPPETS = [
    '<tickaroo-liveblog liveblogId="5f2c7e1b9a4d3c2b1a0f9e8d"></tickaroo-liveblog>'
    '<script src="https://cdn.tickaroo.com/webng/embedjs/tik4.js"></script>',
    '<div id="LB24_LIVE_CONTENT" data-eid="315948"></div>'
    '<script src="https://v.24liveblog.com/24.js"></script>',
    '<div id="wpcom-liveblog-container" class="77"></div>',
]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_a_page_with_posts_of_its_own_and_an_embed_reads_as_before(snippet: str) -> None:
    page = (SAMPLES / "guardian-lunar-lander.html").read_bytes()
    embedded = page.replace(b"</body>", snippet.encode() + b"</body>", 1)
    assert embedded != page
    assert parse_page(embedded).to_dict() == parse_page(page).to_dict()


def test_a_ticker_with_an_embed_beside_it_reads_as_before() -> None:
    page = (FIXTURES / "ticker-microdata-results-first.html").read_bytes()
    embedded = page.replace(b"<footer>", SNIPPETS[0].encode() + b"<footer>", 1)
    assert parse_page(embedded).to_dict() == parse_page(page).to_dict()


def test_a_declared_blog_with_no_posts_that_embeds_one_is_named() -> None:
    """A page whose JSON-LD declares its live blog but lists no updates (the platform's
    script fills it in): named rather than "no posts"."""
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": '
        '"LiveBlogPosting", "headline": "Cup final live", "url": '
        '"https://sport.example.com/live/cup-final", "coverageStartTime": '
        '"2024-06-14T18:00:00+02:00"}</script>'
    )
    page = (
        (FIXTURES / "embed-arena.html").read_bytes().replace(b"</head>", ld.encode() + b"</head>")
    )
    with pytest.raises(EmbeddedPlatform, match="an Arena live blog example-sport/cup-final-2024"):
        parse_page(page)
    bare = re.sub(rb'<div class="arena-embed-widget".*?</script>', b"", page, flags=re.S)
    with pytest.raises(ParseError, match=r"^no posts"):
        parse_page(bare)  # no embed: the message it had


def test_a_page_with_no_posts_and_no_embed_is_no_live_blog_as_before() -> None:
    page = (FIXTURES / "embed-tickaroo.html").read_text(encoding="utf-8")
    bare = re.sub(r"<tickaroo-liveblog.*?</script>", "", page, flags=re.S)
    bare = bare.replace("cdn.tickaroo.com", "cdn.example.com")
    with pytest.raises(ParseError, match=r"^not a live blog: no live-blog posts found"):
        parse_page(bare.encode())


def test_a_platform_known_by_its_script_alone_is_named_without_an_id() -> None:
    page = (
        b"<html><head><title>Live</title></head><body><p>Loading the live blog.</p>"
        b'<script src="https://v.24liveblog.com/24.js"></script></body></html>'
    )
    with pytest.raises(EmbeddedPlatform) as raised:
        parse_page(page)
    assert str(raised.value) == (
        "this page embeds a 24liveblog event; liveblog cannot read 24liveblog yet"
    )


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_whatever_the_id_attribute_holds_the_message_is_one_clean_line(ticker: str) -> None:
    from html import escape

    page = (
        "<html><head><title>Live</title></head><body>"
        f'<tickaroo-liveblog liveblogId="{escape(ticker)}"></tickaroo-liveblog></body></html>'
    )
    try:
        parse_page(page.encode("utf-8", "surrogatepass"))
    except EmbeddedPlatform as exc:
        message = str(exc)
    except ParseError:
        return  # a page lxml could not read at all
    else:
        raise AssertionError("a page of an embed alone has no posts")
    assert message.isprintable() and len(message) < 200
    shown = message.removeprefix("this page embeds a Tickaroo ticker").split(";")[0].strip()
    # The id as given when it is one (lxml may drop what it will not keep in an attribute),
    # else none at all: never page text of any other shape.
    assert shown == "" or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}", shown)
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}", ticker.strip()):
        assert shown == ticker.strip()


# --- the WordPress Liveblog plugin, where the page renders its entries --------------------------


def test_wordpress_liveblog_entries_rendered_in_the_page_are_read() -> None:
    blog = parse_page((FIXTURES / "wordpress-liveblog-entries.html").read_bytes())
    assert (blog.source_format, blog.id, blog.title, blog.publisher) == (
        "wp-liveblog",
        "town.example.org/2024/03/01/council-meeting-live",
        "Council meeting live",
        "Example Sport",
    )
    assert [b.id for b in blog.blocks] == [str(5300 + n) for n in range(6, 0, -1)]
    # data-timestamp is the instant; the time shown (14:54 at +01:00 as 3:54 PM) is not.
    assert [b.published_at.strftime("%H:%M") for b in blog.blocks if b.published_at] == [
        "14:54",
        "14:45",
        "14:36",
        "14:27",
        "14:18",
        "14:09",
    ]
    assert {b.id for b in blog.blocks if b.key_event} == {"5302", "5305"}
    assert [b.authors for b in blog.blocks[:2]] == [["Jo Smith"], ["Sam Patel"]]
    newest = blog.blocks[0]
    assert newest.text == "The meeting has closed. The budget passes by 23 votes to 11."
    assert not any("PM" in b.text or "March" in b.text for b in blog.blocks)  # the header
    (picture,) = [e for b in blog.blocks for e in b.elements if e.kind == "image"]
    assert (picture.alt, picture.caption) == ("The public gallery", "The gallery before the vote")
    assert any("• Charges rise 20p an hour" in b.text for b in blog.blocks)
