"""Beyond the Guardian: schema.org JSON-LD and microdata, site adapters, BBC, the fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import corpus_file, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.errors import ParseError
from liveblog_cli.parse import parse_page


def _liveblog_ld(raw: bytes) -> dict:  # type: ignore[type-arg]
    """The page's LiveBlogPosting JSON-LD, read with lxml and json (not with our parser)."""
    from lxml import html

    for script in html.document_fromstring(raw).xpath("//script[@type='application/ld+json']"):
        try:
            value = json.loads(script.text)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("@type") == "LiveBlogPosting":
            return value
    raise AssertionError("no LiveBlogPosting in the page")


def z(blog, index: int) -> str:  # type: ignore[no-untyped-def]
    return blog.blocks[index].to_dict()["published_at"]


# --- the corpus ----------------------------------------------------------------------------


def test_corkbeo_reach_plc() -> None:
    raw = corpus_file("other/corkbeo-level3-live-2020-10-06.html").read_bytes()
    blog = parse_page(raw)
    assert blog.source_format == "reach-plc"
    assert len(blog.blocks) == 26
    keys = [b for b in blog.blocks if b.key_event]
    assert [(b.id, b.title) for b in keys] == [
        ("2258956", "Coronavirus Ireland: One death and 432 new cases")
    ]
    assert (z(blog, 0), blog.blocks[0].title) == ("2020-10-06T20:22:53Z", "Goodnight")
    assert z(blog, -1) == "2020-10-06T07:44:43Z"
    # The JSON-LD credits every post to the article's byline (so that says nothing about a
    # post); the rendered posts name their own authors: 10 of them someone else. The key
    # event's <mark> holds its label, not a name: it has no author.
    names = [a["name"] for a in _liveblog_ld(raw)["author"]]
    assert sum(bool(b.authors) and b.authors != names for b in blog.blocks) == 10
    assert [b.id for b in blog.blocks if not b.authors] == ["2258956"]
    assert all(len(b.authors) == 1 for b in blog.blocks if b.id != "2258956")


def test_repubblica_ids_from_html_and_full_headlines() -> None:
    blog = parse_page(corpus_file("other/repubblica-israele-hamas-2023-11-02.html").read_bytes())
    assert len(blog.blocks) == 79
    assert {b.id for b in blog.blocks} == {f"419364605_event{n}" for n in range(1, 80)}
    newest = blog.blocks[0]
    assert newest.id == "419364605_event79"
    assert newest.title == "Oms: “A Gaza fermi 14 ospedali su 36, gli altri in sovraccarico”"
    assert newest.to_dict()["published_at"] == "2023-11-02T15:56:32Z"  # JSON-LD, not the HTML
    assert z(blog, -1) == "2023-11-01T23:30:20Z"
    assert not any(b.title.endswith(("…", "...")) for b in blog.blocks)
    assert not any("&" in b.title and ";" in b.title for b in blog.blocks)  # entities decoded


def test_ndtv_microdata_despite_a_broken_json_ld_script() -> None:
    blog = parse_page(corpus_file("other/ndtv-ind-vs-sl-2023-11-02.html").read_bytes())
    assert blog.source_format == "microdata"
    assert [b.id for b in blog.blocks] == [str(n) for n in range(80, 40, -1)]
    assert (z(blog, 0), blog.blocks[0].title) == (
        "2023-11-02T15:36:52Z",
        "India vs Sri Lanka: It's a wrap!",
    )
    assert z(blog, -1) == "2023-11-02T10:30:24Z"


def test_guardian_json_ld_page() -> None:
    raw = corpus_file("jsonld/guardian-politics-2023-12-13.jsonld.html").read_bytes()
    blog = parse_page(raw)
    assert blog.source_format == "jsonld"
    updates = _liveblog_ld(raw)["liveBlogUpdate"]
    assert [b.id for b in blog.blocks] == [u["@id"] for u in updates]
    # Every update repeats the blog's own headline, byline and times: those are the blog's,
    # not the posts' (a post titled with the blog's headline would be a lie).
    assert {u["headline"] for u in updates} == {_liveblog_ld(raw)["headline"]}
    for block, update in zip(blog.blocks, updates, strict=True):
        assert block.title is None and block.authors == [] and block.published_at is None
        assert block.text[:40] == update["articleBody"][:40]
    assert blog.title == _liveblog_ld(raw)["headline"] and blog.authors == ["Andrew Sparrow"]


@pytest.mark.parametrize(
    ("name", "count", "live", "newest", "oldest"),
    [
        (
            "bbc/hindi-live-cm93v1d6rw4pt.json",
            12,
            True,
            "2026-09-16T08:18:05Z",
            "2026-09-16T01:06:11Z",
        ),
        (
            "bbc/arabic-live-67574192.json",
            20,
            False,
            "2023-11-30T23:19:29Z",
            "2023-11-30T17:27:04Z",
        ),
    ],
)
def test_bbc_page_data(name: str, count: int, live: bool, newest: str, oldest: str) -> None:
    raw = corpus_file(name).read_bytes()
    blog = parse_page(raw)
    assert blog.source_format == "bbc-simorgh" and blog.publisher == "BBC"
    assert len(blog.blocks) == count and blog.is_live is live
    assert (z(blog, 0), z(blog, -1)) == (newest, oldest)
    first_urn = json.loads(raw)["data"]["liveTextStream"]["content"]["data"]["results"][0]["urn"]
    assert blog.blocks[0].id == first_urn.removeprefix("asset:")
    assert all(b.text or b.title for b in blog.blocks)
    # Served pages embed the same data in a script; find it wherever it sits.
    page = (
        "<html><head><title>live</title></head><body><div id=root></div><script>"
        f'window.SIMORGH_DATA={{"pageData":{raw.decode()},"path":"/x"}}</script>'
        "</body></html>"
    )
    again = parse_page(page.encode(), url="https://www.bbc.com/hindi/live/cm93v1d6rw4pt")
    assert [b.id for b in again.blocks] == [b.id for b in blog.blocks]
    assert again.id == "bbc.com/hindi/live/cm93v1d6rw4pt"  # ids keep hosts apart


def test_bbc_pagination_links() -> None:
    url = "https://www.bbc.com/arabic/live/67574192"
    blog = parse_page(corpus_file("bbc/arabic-live-67574192.json").read_bytes(), url=url)
    assert blog.pages == {"older": url + "?page=2", "oldest": url + "?page=4"}


# --- JSON-LD shapes the team writes ----------------------------------------------------------

UPDATE = {
    "@type": "BlogPosting",
    "headline": "First",
    "articleBody": "Body one.",
    "datePublished": "2024-03-01T10:00:00+01:00",
    "url": "https://n.example/live/x#p1",
    "author": "Ann Writer",
}
UPDATE2 = {
    "@type": "NewsArticle",
    "headline": "Second",
    "articleBody": "<p>Body &amp; two.</p>",
    "datePublished": "2024-03-01T10:05:00Z",
    "@id": "https://n.example/live/x#p2",
    "author": [{"@type": "Person", "name": "Bo"}, {"@type": "Person", "name": "Cy"}],
    "image": {"@type": "ImageObject", "url": "https://n.example/i.jpg"},
}
BLOG = {
    "@context": "https://schema.org",
    "@type": "LiveBlogPosting",
    "url": "https://n.example/live/x",
    "headline": "Test live",
    "coverageStartTime": "2024-03-01T09:00:00Z",
    "coverageEndTime": "2024-03-01T18:00:00Z",
}


def page(*scripts: str, body: str = "") -> bytes:
    tags = "".join(f'<script type="application/ld+json">{s}</script>' for s in scripts)
    return f"<html><head><title>t</title>{tags}</head><body>{body}</body></html>".encode()


def check(blog) -> None:  # type: ignore[no-untyped-def]
    assert blog.id == "n.example/live/x" and blog.title == "Test live"
    assert [b.id for b in blog.blocks] == ["p2", "p1"]
    second, first = blog.blocks
    assert first.to_dict()["published_at"] == "2024-03-01T09:00:00Z"
    assert first.authors == ["Ann Writer"] and second.authors == ["Bo", "Cy"]
    assert second.text == "Body & two."
    assert [e.url for e in second.elements if e.kind == "image"] == ["https://n.example/i.jpg"]
    assert blog.is_live is False  # coverage ended


def test_jsonld_in_graph() -> None:
    doc = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "url": "https://n.example/live/x"},
            {**BLOG, "liveBlogUpdate": [UPDATE, UPDATE2]},
        ],
    }
    check(parse_page(page(json.dumps(doc))))


def test_jsonld_as_a_top_level_list_with_a_bad_script_beside_it() -> None:
    good = json.dumps(
        [{"@type": "Organization", "name": "N"}, {**BLOG, "liveBlogUpdate": [UPDATE, UPDATE2]}]
    )
    check(parse_page(page('{"@type": "NewsArticle", // a comment\n}', good)))


def test_jsonld_single_update_object() -> None:
    blog = parse_page(page(json.dumps({**BLOG, "liveBlogUpdate": UPDATE})))
    assert [b.id for b in blog.blocks] == ["p1"]


def test_live_when_coverage_has_not_ended() -> None:
    doc = {**BLOG, "coverageEndTime": "2999-01-01T00:00:00Z", "liveBlogUpdate": [UPDATE]}
    assert parse_page(page(json.dumps(doc))).is_live is True


def test_microdata() -> None:
    body = """
    <div itemscope itemtype="https://schema.org/LiveBlogPosting">
      <meta itemprop="headline" content="Test live"><link itemprop="url" href="https://n.example/live/x">
      <meta itemprop="coverageEndTime" content="2024-03-01T18:00:00Z">
      <div itemprop="liveBlogUpdate" itemscope itemtype="https://schema.org/BlogPosting">
        <meta itemprop="url" content="https://n.example/live/x#p2">
        <h3 itemprop="headline">Second</h3><time itemprop="datePublished" datetime="2024-03-01T10:05:00Z">10:05</time>
        <div itemprop="articleBody"><p>Body &amp; two.</p></div>
        <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Bo</span></span>
        <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Cy</span></span>
        <img itemprop="image" src="https://n.example/i.jpg">
      </div>
      <div itemprop="liveBlogUpdate" itemscope itemtype="https://schema.org/BlogPosting">
        <meta itemprop="url" content="https://n.example/live/x#p1"><meta itemprop="headline" content="First">
        <meta itemprop="datePublished" content="2024-03-01T10:00:00+01:00">
        <meta itemprop="articleBody" content="Body one."><meta itemprop="author" content="Ann Writer">
      </div>
    </div>"""
    blog = parse_page(page(body=body))
    assert blog.source_format == "microdata"
    check(blog)


# --- the generic fallback, and what must be rejected ------------------------------------------

POSTS = "".join(
    f'<article class="post" id="post-{n}"><time datetime="2024-03-01T1{n}:00:00Z">1{n}:00</time>'
    f"<h2>Update {n}</h2><p>Something substantial happened at the harbour, number {n}, and "
    f"here is a paragraph long enough to be a post.</p></article>"
    for n in range(5, 0, -1)
)


def test_generic_fallback_finds_a_run_of_timed_posts() -> None:
    html = (
        f'<html><head><title>Harbour live</title><link rel="canonical" '
        f'href="https://n.example/live/harbour"></head><body><h1>Harbour live</h1>{POSTS}'
        "</body></html>"
    ).encode()
    blog = parse_page(html)
    assert blog.source_format == "html-generic"
    assert [b.id for b in blog.blocks] == [f"post-{n}" for n in range(5, 0, -1)]
    assert blog.blocks[0].title == "Update 5"
    assert blog.blocks[0].to_dict()["published_at"] == "2024-03-01T15:00:00Z"
    assert blog.blocks[0].text.startswith("Something substantial happened")


def _rejected(data: bytes) -> str:
    with pytest.raises(ParseError) as info:
        parse_page(data)
    return str(info.value)


def test_ordinary_article_is_rejected() -> None:
    article = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "A story",
            "articleBody": "Words.",
            "datePublished": "2024-03-01T10:00:00Z",
        }
    )
    body = (
        "<article><h1>A story</h1><time datetime='2024-03-01T10:00:00Z'>1 March</time>"
        + "<p>A long paragraph of an ordinary news story. </p>" * 10
        + "</article>"
    )
    assert "not a live blog" in _rejected(page(article, body=body))


def test_index_page_of_teasers_is_rejected() -> None:
    cards = "".join(
        f'<li class="card"><a href="/news/{n}"><h3>Headline number {n} about the live '
        f'events of the day and more</h3></a><time datetime="2024-03-01T1{n}:00:00Z">'
        f"1{n}:00</time></li>"
        for n in range(9)
    )
    html = f"<html><head><title>Live news index</title></head><body><ul>{cards}</ul></body></html>"
    assert "not a live blog" in _rejected(html.encode())


def test_timed_posts_without_any_live_hint_are_rejected() -> None:
    html = f"<html><head><title>Comments</title></head><body>{POSTS}</body></html>"
    assert "not a live blog" in _rejected(html.encode())


def test_empty_pages_and_blogs_without_posts_are_rejected() -> None:
    assert "not a live blog" in _rejected(b"<html><head></head><body></body></html>")
    assert "no posts" in _rejected(page(json.dumps({**BLOG, "liveBlogUpdate": []})))


def test_parse_table_shows_the_source_format(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_bytes(page(json.dumps({**BLOG, "liveBlogUpdate": [UPDATE, UPDATE2]})))
    out = run_cli("parse", str(path), "-f", "table", env={"COLUMNS": "150"}).stdout.decode()
    assert "source format" in out and "jsonld" in out


def test_an_update_without_an_id_keeps_its_identity_when_edited() -> None:
    def blog_with(body: str):  # type: ignore[no-untyped-def]
        update = {
            "@type": "BlogPosting",
            "headline": "Same post",
            "articleBody": body,
            "datePublished": "2024-03-01T10:00:00Z",
        }
        other = {
            "@type": "BlogPosting",
            "headline": "Another post",
            "articleBody": "Other.",
            "datePublished": "2024-03-01T10:00:00Z",
        }
        return parse_page(page(json.dumps({**BLOG, "liveBlogUpdate": [update, other]})))

    first, edited = blog_with("Before the edit."), blog_with("After the edit, longer now.")
    assert [b.id for b in first.blocks] == [b.id for b in edited.blocks]
    assert len({b.id for b in first.blocks}) == 2  # same second, told apart


def test_guardian_prose_and_multi_image_elements() -> None:
    from liveblog_cli.parse.guardian_dcr import dcr_block

    block = dcr_block(
        {
            "id": "x",
            "elements": [
                {
                    "_type": "model.dotcomrendering.pageElements.SubheadingBlockElement",
                    "html": "<h2>What we know</h2>",
                },
                {
                    "_type": "model.dotcomrendering.pageElements.TextBlockElement",
                    "html": "<p>Body.</p>",
                },
                {
                    "_type": "model.dotcomrendering.pageElements.MultiImageBlockElement",
                    "caption": "Two",
                    "images": [
                        {
                            "media": {
                                "allImages": [
                                    {"url": "https://i.example/1.jpg", "fields": {"width": "10"}}
                                ]
                            }
                        },
                        {
                            "media": {
                                "allImages": [
                                    {"url": "https://i.example/2.jpg", "fields": {"width": "10"}}
                                ]
                            }
                        },
                    ],
                },
                {
                    "_type": "model.dotcomrendering.pageElements.FutureBlockElement",
                    "html": "<p>New!</p>",
                },
            ],
        }
    )
    assert block.text == "What we know\n\nBody.\n\nNew!"
    image = block.elements[2]
    assert (image.kind, image.url, image.caption) == ("image", "https://i.example/1.jpg", "Two")
    assert image.extra["images"][0]["url"] == "https://i.example/2.jpg"
    assert block.elements[3].kind == "unknown"


def test_scraped_copy_with_entity_encoded_quotes() -> None:
    raw = corpus_file("scraped/seed-kherson-scraped.txt").read_text()
    encoded = raw.replace("“", "&#8220;").replace("”", "&#8221;").replace("″", "&#8243;")
    plain, entities = parse_page(raw.encode()), parse_page(encoded.encode())
    assert [b.id for b in entities.blocks] == [b.id for b in plain.blocks]
    assert sum(b.key_event for b in entities.blocks) == 10


# --- BBC pages whose analytics name no service ------------------------------------------------


def _bbc(name: str, *, service: str | None, home: str | None, index: int = 1, total: int = 1):  # type: ignore[no-untyped-def]
    """A corpus BBC page with its `pageIdentifier` written with or without a service prefix,
    its `home` set (or removed) and its page numbers set."""
    doc = json.loads(corpus_file(name).read_text())
    data = doc["data"]
    analytics = data["metadata"]["atiAnalytics"]
    ident = analytics["pageIdentifier"].split("live_coverage.", 1)[1]
    analytics["pageIdentifier"] = (f"{service}." if service else "") + f"live_coverage.{ident}"
    if home is None:
        data.pop("home", None)
    else:
        data["home"] = home
    data["liveTextStream"]["content"]["data"]["page"] = {"index": index, "total": total}
    return doc, ident.removesuffix(".page")


def test_bbc_service_from_home_names_the_blog_offline() -> None:
    from liveblog_cli.parse.bbc import parse_bbc

    raw = json.loads(corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_text())
    assert raw["data"]["metadata"]["atiAnalytics"]["pageIdentifier"].startswith("live_coverage.")
    blog = parse_bbc(raw)
    assert blog.id == "hindi/live/cm93v1d6rw4pt"
    assert blog.url == "https://www.bbc.com/hindi/live/cm93v1d6rw4pt"
    assert blog.pages == {}  # page 1 of 1
    offline = parse_page(corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_bytes())
    online = parse_page(corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_bytes(), url=blog.url)
    assert offline.id == online.id and offline.url == online.url


def test_bbc_derived_url_gives_the_other_pages() -> None:
    from liveblog_cli.parse.bbc import parse_bbc

    doc, _ = _bbc("bbc/arabic-live-67574192.json", service=None, home="arabic", total=4)
    blog = parse_bbc(doc)
    url = "https://www.bbc.com/arabic/live/67574192"
    assert (blog.id, blog.url) == ("arabic/live/67574192", url)
    assert blog.pages == {"older": url + "?page=2", "oldest": url + "?page=4"}
    # The service in the URL, when the page data names none at all.
    doc, _ = _bbc("bbc/arabic-live-67574192.json", service=None, home=None, index=2, total=4)
    given = parse_bbc(doc, "https://www.bbc.com/arabic/live/67574192?page=2")
    assert given.id == "arabic/live/67574192"
    assert given.pages == {
        "older": url + "?page=3",
        "oldest": url + "?page=4",
        "newer": url + "?page=1",
        "newest": url + "?page=1",
    }


SERVICE = st.from_regex(r"[a-z]{2,12}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    service=SERVICE,
    prefixed=st.booleans(),
    index=st.integers(1, 9),
    extra=st.integers(0, 9),
)
def test_bbc_blog_names_agree_however_the_service_is_given(
    service: str, prefixed: bool, index: int, extra: int
) -> None:
    from liveblog_cli.parse.bbc import parse_bbc

    total = index + extra
    doc, ident = _bbc(
        "bbc/hindi-live-cm93v1d6rw4pt.json",
        service=service if prefixed else None,
        home=service,
        index=index,
        total=total,
    )
    url = f"https://www.bbc.com/{service}/live/{ident}"
    offline, online = parse_bbc(doc), parse_bbc(doc, f"{url}?page={index}")
    assert offline.id == online.id == f"{service}/live/{ident}"
    assert offline.url == online.url == url
    assert offline.pages == online.pages
    assert ("older" in offline.pages) is (index < total)
    assert ("newer" in offline.pages) is (index > 1)
    assert all(p.startswith(url + "?page=") for p in offline.pages.values())


def test_twenty_thousand_updates_known_by_their_own_urls() -> None:
    # Every update the same second and words: only its own URL tells it from the others,
    # and the blog's URL, which all of them also name, tells nothing.
    count = 20_000
    updates = [
        {
            "@type": "BlogPosting",
            "@id": "https://n.example/live/x",
            "url": f"https://n.example/live/x/update-{n}",
            "articleBody": "The same words.",
            "datePublished": "2024-03-01T10:00:00Z",
        }
        for n in range(count)
    ]
    blog = parse_page(page(json.dumps({**BLOG, "liveBlogUpdate": updates})))
    assert len(blog.blocks) == count
    assert len({b.id for b in blog.blocks}) == count
    backwards = parse_page(page(json.dumps({**BLOG, "liveBlogUpdate": updates[::-1]})))
    assert {b.id for b in backwards.blocks} == {b.id for b in blog.blocks}


# --- what real pages render beyond their structured data --------------------------------------


def _root(raw: bytes):  # type: ignore[no-untyped-def]
    from lxml import html

    return html.document_fromstring(raw)


def test_corkbeo_posts_keep_what_only_their_rendered_body_shows() -> None:
    raw = corpus_file("other/corkbeo-level3-live-2020-10-06.html").read_bytes()
    root = _root(raw)
    blog = parse_page(raw)
    by_id = {b.id: b for b in blog.blocks}
    # A list the JSON-LD flattens away: each item a bullet line.
    items = [" ".join(li.text_content().split()) for li in root.xpath("//div[@id='2259111']//li")]
    assert any("Dursey Island Cable Car" in i for i in items)
    lines = by_id["2259111"].text.split("\n\n")
    assert [f"• {i}" for i in items] == lines[-len(items) :]
    # Pictures only the rendered posts show.
    for post in ("2259057", "2259033"):
        src = root.xpath(f"string(//div[@id='{post}']//img/@src)")
        assert [e.url for e in by_id[post].elements if e.kind == "image"] == [src]
    # Embeds a script fills in later: named by the placeholder's address.
    tweet_url = root.xpath("string(//div[@id='2258591']//*[@data-url]/@data-url)")
    assert [(e.kind, e.url) for e in by_id["2258591"].elements] == [("tweet", tweet_url)]
    # The JSON-LD's one picture of every post is the page's picture, on no post.
    shared = {i["url"] for i in (u.get("image") for u in _liveblog_ld(raw)["liveBlogUpdate"])}
    assert len(shared) == 1
    images = [e.url for b in blog.blocks for e in b.elements if e.kind == "image"]
    assert not set(images) & shared
    assert not any(u.startswith("blob:") for u in images)
    assert all(b.elements for b in blog.blocks)


def test_ndtv_default_picture_and_publisher() -> None:
    raw = corpus_file("other/ndtv-ind-vs-sl-2023-11-02.html").read_bytes()
    root = _root(raw)
    defaults = set(
        root.xpath(
            "//*[@itemprop='liveBlogUpdate']/*[@itemprop='image']/*[@itemprop='url']/@content"
        )
    )
    assert len(defaults) == 1 and "default" in next(iter(defaults))
    blog = parse_page(raw)
    assert not any(e.url in defaults for b in blog.blocks for e in b.elements)
    assert blog.publisher == root.xpath("string(//meta[@property='og:site_name']/@content)")


def test_repubblica_full_title_and_pictures() -> None:
    raw = corpus_file("other/repubblica-israele-hamas-2023-11-02.html").read_bytes()
    root = _root(raw)
    blog = parse_page(raw)
    assert blog.title == root.xpath("string(//meta[@property='og:title']/@content)")
    pictured = {
        p.get("id") for p in root.xpath("//section[contains(@class,'liveblog__post')][.//img]")
    }
    assert len(pictured) == 15
    by_id = {b.id: b for b in blog.blocks}
    for post in pictured:
        images = [e for e in by_id[post].elements if e.kind == "image"]
        assert len(images) == 1 and images[0].url.startswith("https://www.repstatic.it/")
    # The body is the rendered one without the headline it opens with.
    assert not any(b.text.startswith(b.title) for b in blog.blocks if b.id in pictured)


# Pages of these kinds written here, so that the rules are seen to be general.

SITE_IMAGE = "https://cdn.n.example/static/site-share_1200x630.jpg"


def _ld_page(
    updates: list[dict], *, head: str = "", body: str = "", blog: dict | None = None
) -> bytes:  # type: ignore[type-arg]
    doc = {**BLOG, "liveBlogUpdate": updates, **(blog or {})}
    return (
        f"<html><head>{'' if '<title' in head else '<title>t</title>'}{head}"
        f'<script type="application/ld+json">{json.dumps(doc)}</script></head>'
        f"<body>{body}</body></html>"
    ).encode()


def _update(n: int, **more: object) -> dict:  # type: ignore[type-arg]
    return {
        "@type": "BlogPosting",
        "headline": f"Post {n}",
        "articleBody": f"What happened at the harbour, part {n}.",
        "datePublished": f"2024-03-01T1{n}:00:00Z",
        "url": f"https://n.example/live/x#p{n}",
        **more,
    }


def test_a_picture_on_every_post_or_the_sites_own_is_no_posts_picture() -> None:
    own = "https://cdn.n.example/photos/2024/03/01/harbour.jpg"
    placeholder = "https://cdn.n.example/img/placeholder-square.png"
    updates = [
        _update(1, image=SITE_IMAGE.replace("1200x630", "640x480")),
        _update(2, image=[own, placeholder]),
        _update(3, image=placeholder),
        _update(4),
        _update(5, image=SITE_IMAGE),
    ]
    head = f'<meta property="og:image" content="{SITE_IMAGE}">'
    blog = parse_page(_ld_page(updates, head=head))
    images = {b.id: [e.url for e in b.elements if e.kind == "image"] for b in blog.blocks}
    assert images == {"p5": [], "p4": [], "p3": [], "p2": [own], "p1": []}
    # One post showing the page's own picture is a post's picture after all.
    alone = parse_page(_ld_page([_update(1, image=SITE_IMAGE), _update(2)], head=head))
    assert [e.url for e in alone.blocks[-1].elements if e.kind == "image"] == [SITE_IMAGE]


def test_one_picture_every_post_repeats_whatever_its_name() -> None:
    shared = "https://n.example/avatars/desk.png"
    updates = [_update(n, image=shared) for n in range(1, 5)]
    blog = parse_page(_ld_page(updates))
    assert not any(e.kind == "image" for b in blog.blocks for e in b.elements)


def test_a_generic_page_whose_posts_all_show_the_desks_avatar() -> None:
    avatar = '<img src="https://n.example/avatars/desk-96x96.png" alt="Live desk">'
    photo = '<figure><img src="https://n.example/photos/boat.jpg"></figure>'
    html = (
        '<html><head><title>Harbour live</title><link rel="canonical" '
        'href="https://n.example/live/harbour"></head><body>'
        + "".join(
            f'<article class="post" id="post-{n}">{avatar}<time datetime="2024-03-01T1{n}:00:00Z">'
            f"1{n}:00</time><p>Something substantial happened at the harbour, number {n}, and "
            f"here is a paragraph long enough to be a post.</p>{photo if n == 2 else ''}</article>"
            for n in range(4, 0, -1)
        )
        + "</body></html>"
    ).encode()
    blog = parse_page(html)
    assert blog.source_format == "html-generic"
    images = {b.id: [e.url for e in b.elements if e.kind == "image"] for b in blog.blocks}
    assert images == {
        "post-4": [],
        "post-3": [],
        "post-2": ["https://n.example/photos/boat.jpg"],
        "post-1": [],
    }


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="og:title" content="Harbour fire: live updates as crews fight the blaze">',
            "Harbour fire: live updates as crews fight the blaze",
        ),
        (
            '<meta name="twitter:title" content="Harbour fire: live updates as crews fight it">',
            "Harbour fire: live updates as crews fight it",
        ),
        (
            '<meta property="og:site_name" content="N News"><title>Harbour fire: live updates as crews arrive – N News</title>',
            "Harbour fire: live updates as crews arrive",
        ),
        (
            '<meta property="og:title" content="Something else entirely">',
            "Harbour fire: live updates as cr…",
        ),
    ],
)
def test_a_cut_title_is_completed_from_the_pages_title_tags(head: str, expected: str) -> None:
    page_bytes = _ld_page(
        [_update(1)], head=head, blog={"headline": "Harbour fire: live updates as cr…"}
    )
    assert parse_page(page_bytes).title == expected


def test_publisher_from_og_site_name_only_when_nothing_else_names_it() -> None:
    head = '<meta property="og:site_name" content="N News Online">'
    assert parse_page(_ld_page([_update(1)], head=head)).publisher == "N News Online"
    named = _ld_page([_update(1)], head=head, blog={"publisher": {"name": "N News"}})
    assert parse_page(named).publisher == "N News"


def test_reach_style_rendered_posts_richer_than_json_ld() -> None:
    updates = [_update(n, articleBody=f"Plain words of post {n}. Included are:") for n in (1, 2, 3)]
    entries = "".join(
        f'<div class="live-event-entry" id="p{n}" data-type="default"><div class="entry-info">'
        f'<time>1{n}:00</time><mark>Reporter {n}</mark></div><div class="entry-content">'
        f"<h3>Post {n}</h3><p>Plain words of post {n}.</p><p>Included are:</p>{extra}</div></div>"
        for n, extra in (
            (1, "<ul><li>the harbour</li><li>the quay</li></ul>"),
            (
                2,
                '<figure><img src="https://n.example/p2.jpg" alt="Quay"><figcaption>The quay</figcaption></figure>',
            ),
            (3, ""),
        )
    )
    blog = parse_page(_ld_page(updates, body=entries))
    assert blog.source_format == "reach-plc"
    by_id = {b.id: b for b in blog.blocks}
    assert by_id["p1"].text.endswith("Included are:\n\n• the harbour\n\n• the quay")
    assert [(e.url, e.caption) for e in by_id["p2"].elements if e.kind == "image"] == [
        ("https://n.example/p2.jpg", "The quay")
    ]
    assert by_id["p3"].text == "Plain words of post 3. Included are:"  # nothing more to show
    assert [b.authors for b in blog.blocks] == [["Reporter 3"], ["Reporter 2"], ["Reporter 1"]]


def test_script_filled_placeholders_become_embeds_but_share_buttons_do_not() -> None:
    from lxml import html

    from liveblog_cli.parse.htmlbody import body_elements

    body = html.fragment_fromstring(
        "<div><p>Words.</p>"
        '<div class="tweet" data-url="https://twitter.com/a/status/1"></div>'
        '<div class="embed-card" data-embedded-content-path="https://n.example/news/story-2"></div>'
        '<div class="share-bar" data-url="https://n.example/live/x#p1"></div>'
        '<div class="placeholder" data-url="https://n.example/live/x#p1"></div>'
        '<img src="blob:https://cms.n.example/4b1e" alt="pasted">'
        '<img src="data:image/gif;base64,R0lGOD" data-src="https://n.example/lazy.jpg">'
        "</div>"
    )
    assert [(e.kind, e.url) for e in body_elements(body)] == [
        ("text", None),
        ("tweet", "https://twitter.com/a/status/1"),
        ("embed", "https://n.example/news/story-2"),
        ("image", "https://n.example/lazy.jpg"),
    ]
