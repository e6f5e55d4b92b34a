"""Parse output stays byte-identical while the parsers are made faster.

Each page of the shared corpus and of samples/ is parsed, and the JSON of what `parse_page`
gives (`to_dict()`, and the bookkeeping the archive reads beside it) is compared with a
SHA-256 digest recorded before any optimisation. A digest that changes means the parse
changed: that is a behaviour change to make on purpose, never a side effect of speed work.

To record the digests again after a deliberate change of output:
    LIVEBLOG_PRINT_DIGESTS=1 python -m pytest -q tests/test_parse_identical.py -s
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, SAMPLES, corpus_file
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.parse import ParseError, parse_page, text

SOURCEFABRIC_URL = (
    "https://sourcefabric.liveblog.pro/api/client_blogs/58bfeb4c15720af1a94c1052/posts"
)
# (where the page lives: "corpus/<path>" or "samples/<name>", the URL it is parsed under)
PAGES: list[tuple[str, str | None]] = [
    ("samples/guardian-lunar-lander.html", None),
    ("samples/guardian-tallships.dcr.json", None),
    ("samples/guardian-tallships-page2.dcr.json", None),
    ("corpus/bbc/arabic-live-67574192.json", None),
    ("corpus/bbc/hindi-live-cm93v1d6rw4pt.json", None),
    ("corpus/guardian/capi-item-with-blocks.json", None),
    ("corpus/guardian/mars-perseverance-2021-02-19.dcr.json", None),
    ("corpus/guardian/politics-live-2023-12-13.dcr.json", None),
    ("corpus/jsonld/guardian-politics-2023-12-13.jsonld.html", None),
    ("corpus/other/corkbeo-level3-live-2020-10-06.html", None),
    ("corpus/other/ndtv-ind-vs-sl-2023-11-02.html", None),
    ("corpus/other/repubblica-israele-hamas-2023-11-02.html", None),
    ("corpus/platforms/sourcefabric-liveblog3-demo-posts.json", None),
    ("corpus/platforms/sourcefabric-liveblog3-demo-posts.json", SOURCEFABRIC_URL),
    ("corpus/scraped/seed-kherson-scraped.txt", None),
]

# Recorded from the parsers as they were before the speed work of issue 17.
DIGESTS: dict[str, str] = {
    "built dcr:600": ("71129150598b7d3bdd2caba4528de8afaa6e147f6856cba60bc3e81b346d2475"),
    "built jsonld:600": ("9e9753e0fe73ec1c341eb5173e101ab3deb969bbc2ea7bf28b52f6fae0d5d4c7"),
    "samples/guardian-lunar-lander.html": (
        "6fa8912d2f5379ade215004eb90130515bf4fc37f576de4d0e251fd46b60ed9c"
    ),
    "samples/guardian-tallships.dcr.json": (
        "3fea9438ddbefd0498f904ec10a0e38b40b1728306168e01b82d055f2dc0fe26"
    ),
    "samples/guardian-tallships-page2.dcr.json": (
        "3b976536d256f09c2006f8ecd027421885cfca24345fd078900364dc504fd646"
    ),
    "corpus/bbc/arabic-live-67574192.json": (
        "4be364bb38ceaa0dd76227109858c3ba6a6f3a0e1b4474b7eea15239639aed6a"
    ),
    "corpus/bbc/hindi-live-cm93v1d6rw4pt.json": (
        "9945394a6d90639292aa745c681cd5dee02d55744d243ce539b88c861ab1cd92"
    ),
    "corpus/guardian/capi-item-with-blocks.json": (
        "da8db5c3eefbe663783a314a6a6c73a2ca23d9ddc793e64cd791003f2ddadf1d"
    ),
    "corpus/guardian/mars-perseverance-2021-02-19.dcr.json": (
        "6f7743f0ae00383a1f106242801cdfc4085ba3b44de980e46d7bd727edc5807a"
    ),
    "corpus/guardian/politics-live-2023-12-13.dcr.json": (
        "634c2ca581eebadd7e719aa6c14317c93394cae5e1dd14c5e14ba361cfbafd0f"
    ),
    "corpus/jsonld/guardian-politics-2023-12-13.jsonld.html": (
        "e21166e3eff89d7af2493a2dbd1bf0a1cc04ce4d74bc6f016600453de2645ee0"
    ),
    "corpus/other/corkbeo-level3-live-2020-10-06.html": (
        "a00649f0fbf38399ae332dd80ba62e7be851e3cf76d71f2a464c82163ff51350"
    ),
    "corpus/other/ndtv-ind-vs-sl-2023-11-02.html": (
        "30eaf11d9786574529cc5b17522a85213aecad84803c3359079003f0bf590640"
    ),
    "corpus/other/repubblica-israele-hamas-2023-11-02.html": (
        "0cb1f94f8543205834f49cbd363d79b395472b8fff1d3072809100da01fd32d4"
    ),
    "corpus/platforms/sourcefabric-liveblog3-demo-posts.json": (
        "e5fae915de4f84eb603bfc5d589f781381836d5ea1e0474383f0812dcfec11ce"
    ),
    "corpus/platforms/sourcefabric-liveblog3-demo-posts.json @ sourcefabric.liveblog.pro": (
        "6ae9f361b4794c9fa1fe3f44715cf84afb418d4489400e13a327643c5593a6f3"
    ),
    "corpus/scraped/seed-kherson-scraped.txt": (
        "8946b158b0bc538b36216cda42abb629e57884c969adc2fa4e67737208231196"
    ),
}


def _path(where: str) -> Path:
    if where.startswith("corpus/"):
        return corpus_file(where.removeprefix("corpus/"))  # skips (or fails in CI) if absent
    return SAMPLES / where.removeprefix("samples/")


def parse_digest(data: bytes, url: str | None) -> str:
    """SHA-256 of the parse's JSON: the blog as printed, and what the archive reads beside it
    (or the one-line error, when the page is refused)."""
    try:
        blog = parse_page(data, url)
    except ParseError as exc:
        outcome: object = {"error": str(exc)}
    else:
        outcome = {
            "blog": blog.to_dict(),
            "body_ids": blog.body_ids,
            "complete": blog.complete,
            "deleted_ids": blog.deleted_ids,
            "time_ordered": blog.time_ordered,
            "page_count": blog.page_count,
        }
    text = json.dumps(outcome, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _built(name: str) -> bytes:
    """A big page of real posts, built as the bench builds it (benchmarks/pages.py)."""
    import sys

    corpus_file("guardian/politics-live-2023-12-13.dcr.json")  # skips when absent
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import pages
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    kind, size = name.split(":")
    return pages.politics_dcr(int(size)) if kind == "dcr" else pages.politics_jsonld(int(size))


@pytest.mark.parametrize("name", ["dcr:600", "jsonld:600"])
def test_big_pages_parse_unchanged(name: str) -> None:
    """Pages of 600 real posts, where per-page (not per-post) costs would show."""
    digest = parse_digest(_built(name), None)
    if os.environ.get("LIVEBLOG_PRINT_DIGESTS"):
        print(f'    "built {name}": "{digest}",')
        return
    assert digest == DIGESTS[f"built {name}"], f"parse output of the built {name} page changed"


def _key(where: str, url: str | None) -> str:
    return f"{where} @ {urlsplit(url).hostname}" if url else where


@pytest.mark.parametrize(("where", "url"), PAGES, ids=[_key(w, u) for w, u in PAGES])
def test_parse_output_is_unchanged(where: str, url: str | None) -> None:
    digest = parse_digest(_path(where).read_bytes(), url)
    if os.environ.get("LIVEBLOG_PRINT_DIGESTS"):
        print(f'    "{_key(where, url)}": "{digest}",')
        return
    assert digest == DIGESTS[_key(where, url)], f"parse output of {where} changed"


# --- the fast paths against what they replaced ---------------------------------------------
# The speed work replaced some steps by faster ones said to give the same result for every
# input, not only for the corpus: each is checked here against the step as it was.

_OLD_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    r"|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>",
    re.S,
)
_OLD_BAD = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\xa0\u2000-\u200a\u202f\u205f\u3000]")
_OLD_ODD = re.compile(
    r"(?P<c>[\x00-\x08\x0b-\x1f\x7f-\x9f])|[\t\xa0\u2000-\u200a\u202f\u205f\u3000]"
)
_OLD_RUNS = re.compile(r" {2,}")
_OLD_EDGES = re.compile(r" ?\n ?")
_OLD_BLANKS = re.compile(r"\n{3,}")


def _old_clean_text(value: str | None) -> str:
    if not value:
        return ""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _OLD_BAD.search(value):
        value = _OLD_ODD.sub(lambda m: "" if m.group("c") else " ", value)
    if "  " in value:
        value = _OLD_RUNS.sub(" ", value)
    value = value.strip()
    if "\n" in value:
        if " \n" in value or "\n " in value:
            value = _OLD_EDGES.sub("\n", value)
        if "\n\n\n" in value:
            value = _OLD_BLANKS.sub("\n\n", value)
    return value


# Characters where the old and new steps could part: controls, odd spaces, separators,
# format characters, quotes and brackets of tags, surrogates, letters.
_CHARS = st.sampled_from(
    [
        *" \n\r\t<>/\"'=!?-[]ab&;#",
        *("\x00", "\x0b", "\x7f", "\x85", "\xa0", "\xad", "\u1680", "\u2000", "\u200b"),
        *("\u2028", "\u202f", "\u205f", "\u3000", "\ufeff", "\ud800", "é", "\U0001f600"),
    ]
)
_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<li>",
        "<br/>",
        '<a href="x>y">',
        "<a title='<p>'>",
        "<!-- c -->",
        "<![CDATA[<p>]]>",
        "<!doctype html>",
        "<?x?>",
        "<td>",
        "<TD>",
        "<Li>",
        "<div class=a>",
        "<p",
        '"',
        "  ",
        "\n \n",
        " \n",
        "&amp;",
        "&nbsp;",
    ]
)
_MARKUP = st.lists(st.one_of(_PIECES, st.text(_CHARS, max_size=4)), max_size=30).map("".join)


@settings(max_examples=500, deadline=None)
@given(_MARKUP)
def test_tag_scan_as_before(markup: str) -> None:
    assert text._TAG.sub(text._tag, markup) == _OLD_TAG.sub(text._tag, markup)
    assert text._TAG.findall(markup) == _OLD_TAG.findall(markup)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_MARKUP, st.text(_CHARS, max_size=40)))
def test_clean_text_as_before(value: str) -> None:
    assert text.clean_text(value) == _old_clean_text(value)


def _old_load_json(value: str) -> object:
    loaded = json.loads(value)
    if "\\ud" in value or "\\uD" in value:
        loaded = text.without_surrogates(loaded)
    return loaded


_JSON_ODDITIES = [
    '"\\ud83d"',
    '"\\ud83d\\ude00"',
    "123456789012345678901234567890",
    "-0",
    "1e400",
    "NaN",
    "Infinity",
    '{"a":1,"b":2,"a":3}',
    "[1,2] x",
    '"a\tb"',
    '"\\u0000"',
    "5e-324",
    "2.4e-324",
    '{"\\ud800":1}',
    "18446744073709551616",
    "1" * 4301,
    "[" * 2000 + "]" * 2000,
    " [1] ",
    "01",
    "[1,]",
    '"\x7f"',
    "\ufeff[]",
    '"\\/"',
    "1.7976931348623157e308",
]


@pytest.mark.parametrize("value", _JSON_ODDITIES)
def test_load_json_as_json_loads(value: str) -> None:
    """Whatever the fast decoder does with it, the answer is json.loads's: the same value,
    or the same error."""
    try:
        expected: object = ("value", _old_load_json(value))
    except (ValueError, RecursionError) as exc:
        expected = ("error", type(exc), str(exc))
    try:
        got: object = ("value", text.load_json(value))
    except (ValueError, RecursionError) as exc:
        got = ("error", type(exc), str(exc))
    assert repr(got) == repr(expected)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(_CHARS, max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES, st.booleans())
def test_load_json_values_as_json_loads(value: object, ascii_only: bool) -> None:
    encoded = json.dumps(value, ensure_ascii=ascii_only)
    assert repr(text.load_json(encoded)) == repr(_old_load_json(encoded))


def test_tag_scan_of_an_unclosed_tag_ends() -> None:
    """A tag that never closes is scanned once, not in every way its characters could be
    grouped (a scan that tried them all never finished on this)."""
    assert text.html_to_text("<p>a</p><a " + "x" * 5000) == "a\n\n<a " + "x" * 5000


def _old_fold(value: str) -> str:
    return re.sub(r"\W+", " ", value).casefold().strip()


_FOLD_TEXT = st.lists(
    st.sampled_from(
        ["Ab", "ß", "ΣΑ", " ", "  ", "\n", "—", "…", "İ", "ﬁ", "x" * 50, "é", "\u0301"]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_FOLD_TEXT, _FOLD_TEXT)
def test_folded_openings_as_before(body: str, rendered: str) -> None:
    from liveblog_cli.parse import rendered as sites

    for n in (3, 120):
        assert sites._folded_head(body, n) == _old_fold(body)[:n]
    head = _old_fold(body)[:120]
    assert sites._says(rendered, head) == (head in _old_fold(rendered))
    assert sites._says(body + rendered, head) == (head in _old_fold(body + rendered))


def test_meta_lookup_as_the_xpath_it_replaced() -> None:
    from lxml import html as lxml_html

    from liveblog_cli.parse import rendered as sites

    page = lxml_html.document_fromstring(
        "<html><head><meta name='og:site_name'><meta property='x' content='first'>"
        "<meta name='og:site_name' content=' Site  One '><meta property='og:site_name' "
        "content='Two'><meta name='y' content=''></head><body><meta name='z' content='late'>"
        "</body></html>"
    )
    for name in ("og:site_name", "x", "y", "z", "absent"):
        xpath = f"string(//meta[@property='{name}' or @name='{name}']/@content)"
        assert sites._meta(page, name) == text.clean_line(page.xpath(xpath))


@pytest.mark.parametrize(
    "where",
    [w for w, _ in PAGES if w.endswith(".html")],
)
def test_one_walk_finds_what_the_xpaths_found(where: str) -> None:
    from lxml import html as lxml_html

    from liveblog_cli.parse import guardian_html as guardian
    from liveblog_cli.parse import page as source

    page = lxml_html.document_fromstring(
        _path(where).read_bytes(), parser=lxml_html.HTMLParser(huge_tree=True)
    )
    for tag in source._GATHERED:
        assert source.tagged(page, tag) == page.xpath(f"//{tag}")
    assert source.canonical_link(page) == page.xpath("string(//link[@rel='canonical']/@href)")
    assert guardian._block_articles(page) == page.xpath("//article[starts-with(@id,'block-')]")


@settings(max_examples=500, deadline=None)
@given(_FOLD_TEXT, _FOLD_TEXT, _FOLD_TEXT)
def test_rendered_body_shows_the_given_as_before(before: str, given_text: str, after: str) -> None:
    """The word-for-word shortcut answers as folding both texts did, whether the rendered
    body holds the given text as it is (with anything either side) or not."""
    from liveblog_cli.parse import rendered as sites

    for rendered in (before + given_text + after, before + after, given_text[1:] + after):
        head = _old_fold(given_text)[:120]
        assert sites._shows(rendered, given_text) == (head in _old_fold(rendered))


@pytest.mark.parametrize("where", [w for w, _ in PAGES if w.endswith(".html")])
def test_parser_builds_the_trees_lxml_html_built(where: str) -> None:
    """The readers' parser (element classes looked up in C) gives lxml.html's tree: the same
    serialisation, the same text, and lxml.html's element class for every element (its
    form classes aside, whose helpers no reader calls)."""
    from lxml import html as lxml_html

    from liveblog_cli.parse import page as source

    data = _path(where).read_bytes()
    old = lxml_html.document_fromstring(data, parser=lxml_html.HTMLParser(huge_tree=True))
    new = lxml_html.document_fromstring(data, parser=source.html_parser(huge_tree=True))
    assert lxml_html.tostring(new, encoding="unicode") == lxml_html.tostring(
        old, encoding="unicode"
    )
    assert new.text_content() == old.text_content()
    for a, b in zip(old.iter(), new.iter(), strict=True):
        assert isinstance(b, lxml_html.HtmlMixin) and a.tag == b.tag
        assert type(a) is type(b) or isinstance(a, lxml_html.HtmlElement)
    fragment = "<p>a <b>b</b></p><input value=x><!-- c --><?pi x?>tail"
    assert lxml_html.tostring(
        lxml_html.fragment_fromstring(fragment, create_parent="div", parser=source.html_parser())
    ) == lxml_html.tostring(lxml_html.fragment_fromstring(fragment, create_parent="div"))


# --- an HTML page's tree from its UTF-8 bytes, and its scans in them (issue 26) ------------

# Markup and text where a str and its UTF-8 could part: declared charsets (which neither
# parse may read), an XML declaration, BOMs, controls, non-characters, every plane.
_PAGE_PIECES = st.sampled_from(
    [
        "<html>",
        "<head>",
        '<meta charset="utf-16">',
        '<meta charset="iso-8859-1">',
        '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">',
        '<?xml version="1.0" encoding="latin-1"?>',
        "<body>",
        "<p>",
        "</p>",
        "<script>“x”</script>",
        "<!-- ” -->",
        "&#8220;",
        "&#822",
        "\ufeff",
        "\x00",
        "\x0c",
        "\x1b",
        "\ufffe",
        "\U0010ffff",
        "”elementId”",
        "“_type”",
        "_type”",
        "é",
        "一",
        "\U0001f600",
        "\ud800",
    ]
)
_PAGES = st.lists(st.one_of(_PAGE_PIECES, st.text(_CHARS, max_size=4)), max_size=30).map("".join)


def _tree_or_error(doc: object) -> str:
    from lxml import etree

    try:
        root = doc.root  # type: ignore[attr-defined]
    except (etree.ParserError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return etree.tostring(root, encoding="unicode")


@settings(max_examples=500, deadline=None)
@given(_PAGES)
def test_tree_from_the_bytes_is_the_tree_of_the_text(page: str) -> None:
    """Where the parse reads a page's UTF-8 bytes instead of its text (valid UTF-8, no XML
    declaration), lxml builds the same tree from them (or fails the same way)."""
    from liveblog_cli.parse import _exactly_decoded
    from liveblog_cli.parse.page import Doc

    raw = page.encode("utf-8", "surrogatepass")
    decoded = raw.decode("utf-8", errors="replace")
    if not _exactly_decoded(raw, decoded):
        return
    assert decoded == page
    assert _tree_or_error(Doc(decoded, None, html_bytes=raw)) == _tree_or_error(Doc(decoded, None))


@settings(max_examples=500, deadline=None)
@given(_PAGES, st.lists(st.binary(max_size=3), max_size=3))
def test_scraped_scans_of_the_bytes_as_of_the_text(page: str, junk: list[bytes]) -> None:
    """The scraped-copy sniff asked of a page's UTF-8 bytes (invalid ones among them)
    answers as asked of their decoded text."""
    from liveblog_cli.parse import guardian_scraped as scraped

    raw = page.encode("utf-8", "surrogatepass")
    for piece in junk:
        raw = raw[: len(raw) // 2] + piece + raw[len(raw) // 2 :]
    decoded = raw.decode("utf-8", errors="replace")
    assert scraped._looks_scraped_bytes(raw) == scraped.looks_scraped(decoded)
    assert (b"&#822" in raw) == ("&#822" in decoded)


@pytest.mark.parametrize("where", [w for w, _ in PAGES if w.endswith(".html")])
def test_serialised_as_lxml_html_serialised(where: str) -> None:
    """A body's markup made by lxml's serialiser called directly is what lxml.html.tostring
    made of every element of every page (and of one with the meta it takes out)."""
    from lxml import html as lxml_html

    from liveblog_cli.parse import htmlbody
    from liveblog_cli.parse.page import html_parser

    page = lxml_html.document_fromstring(
        _path(where).read_bytes(), parser=html_parser(huge_tree=True)
    )
    extra = lxml_html.fragment_fromstring(
        '<div><meta http-equiv="Content-Type" content="text/html"><p>a</p>'
        '<meta http-equiv="content-type" content="x"></div>'
    )
    for element in [*page.iter(), *extra.iter()]:
        expected = lxml_html.tostring(element, encoding="unicode", with_tail=False)
        assert htmlbody._html(element) == expected


# The queries issue 26 rewrote, beside what they were: `//x[p]` as `/descendant::x[p]` and
# `.//x` as `descendant::x` (no predicate asks for a position), `x[@a]` as `x/@a/parent::*`,
# unions as one step.
_REWRITTEN_QUERIES = [
    (
        "//*[@itemscope][contains(@itemtype, 'LiveBlogPosting')]",
        "/descendant::*/@itemtype[contains(., 'LiveBlogPosting')]/parent::*[@itemscope]",
    ),
    (
        "//div[@id][contains(@class, 'live-event-entry')]"
        "[contains(concat(' ', normalize-space(@class), ' '), ' live-event-entry ')]",
        "/descendant::div/@id/parent::*[contains(@class, 'live-event-entry')]"
        "[contains(concat(' ', normalize-space(@class), ' '), ' live-event-entry ')]",
    ),
    (
        "//section[@id][contains(@class, 'liveblog__post')]"
        "[contains(concat(' ', normalize-space(@class), ' '), ' liveblog__post ')]",
        "/descendant::section[@id][contains(@class, 'liveblog__post')]"
        "[contains(concat(' ', normalize-space(@class), ' '), ' liveblog__post ')]",
    ),
    (".//*[@itemprop]", "descendant::*/@itemprop/parent::*"),
    ("string(.//mark)", "string(descendant::mark)"),
    (".//*[contains(@class,'entry-content')]", "descendant::*[contains(@class,'entry-content')]"),
    (".//*[contains(@class,'content')]", "descendant::*[contains(@class,'content')]"),
    ("string(.//h3|.//h2)", "string(descendant::*[self::h3 or self::h2])"),
    (".//h3|.//h2", "descendant::*[self::h3 or self::h2]"),
    (".//p", "descendant::p"),
]
_REWRITE_PAGE = (
    "<html><body><section id=s class='liveblog__post'><time>1</time><div class='content x'>"
    "<h2>t<mark>m</mark></h2><h3>u</h3><p>a<h1>b</h1></p><!-- c --><p itemprop=x>d</p></div>"
    "</section><div id=d class='live-event-entry'><div class=entry-content><h3>h</h3></div>"
    "</div><div itemscope itemtype='https://schema.org/LiveBlogPosting'><span itemprop=y>"
    "<mark>n</mark></span><div itemscope itemprop=z itemtype='LiveBlogPosting'><i itemprop>"
    "</i></div></div><p itemtype='LiveBlogPosting'><b itemscope itemtype=''></b></p>"
    "<div id=e class='x\tlive-event-entry'></div><div id class=' live-event-entry'></div>"
    "<div class='live-event-entry'></div><section id=f class='liveblog__post\n'></section>"
    "</body></html>"
)


@pytest.mark.parametrize("where", [*(w for w, _ in PAGES if w.endswith(".html")), "built"])
def test_rewritten_queries_find_what_they_found(where: str) -> None:
    from lxml import etree
    from lxml import html as lxml_html

    from liveblog_cli.parse import rendered as sites

    data = _REWRITE_PAGE.encode() if where == "built" else _path(where).read_bytes()
    page = lxml_html.document_fromstring(data, parser=lxml_html.HTMLParser(huge_tree=True))
    elements = [e for e in page.iter() if isinstance(e.tag, str)]
    contexts = [page, *elements[:: max(1, len(elements) // 400)]]
    for old, new in _REWRITTEN_QUERIES:
        before, after = etree.XPath(old), etree.XPath(new)
        for node in contexts:
            assert after(node) == before(node), (old, node.tag)
    for node in contexts:
        assert list(node.iterdescendants("time", "h1", "h2", "h3")) == node.xpath(
            ".//time|.//h1|.//h2|.//h3"
        )
        assert next(node.iterdescendants("p"), None) == next(iter(node.xpath(".//p")), None)
        for word in ("content", "entry-content", "x"):
            expected = next(iter(node.xpath(f".//*[contains(@class,'{word}')]")), None)
            assert sites._first_classed(node, word) == expected
        mark = next(node.iterdescendants("mark"), None)
        assert (mark.text_content() if mark is not None else "") == node.xpath("string(.//mark)")


@settings(max_examples=500, deadline=None)
@given(_MARKUP)
def test_tags_to_breaks_as_the_substitution(markup: str) -> None:
    """Tags made breaks from the split of the markup, as the substitution made them."""
    assert text._tags_to_breaks(markup) == text._TAG.sub(text._tag, markup)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["\xa0", " ", "a", "\n", "\t", "\x85", "\u3000", "\x00"])))
def test_clean_text_of_no_break_spaces_as_before(chars: list[str]) -> None:
    value = "".join(chars)
    assert text.clean_text(value) == _old_clean_text(value)


@pytest.mark.parametrize("where", [w for w, _ in PAGES if w.endswith(".html")])
def test_element_copy_as_deepcopy(where: str) -> None:
    """A post copied by the element's `__copy__` is what `copy.deepcopy` made of it."""
    import copy

    from lxml import etree
    from lxml import html as lxml_html

    from liveblog_cli.parse.page import html_parser

    page = lxml_html.document_fromstring(
        _path(where).read_bytes(), parser=html_parser(huge_tree=True)
    )
    elements = list(page.iter(etree.Element))
    for element in elements[:: max(1, len(elements) // 400)]:
        deep, direct = copy.deepcopy(element), element.__copy__()
        assert type(deep) is type(direct)
        assert etree.tostring(deep, with_tail=True) == etree.tostring(direct, with_tail=True)


_REFS_TEXT = st.lists(
    st.one_of(
        st.sampled_from([f"&{name};" for name in text._COMMON_REFS]),
        st.sampled_from(
            ["&", ";", "&amp", "&quot", "&#", "&#39", "&#x", "&notit;", "&AMP;", "&#0;", "#"]
        ),
        st.sampled_from(["&#128;", "&#xd800;", "&unknown;", "&lt;p&gt;", "&amp;quot;", " "]),
        st.text(_CHARS, max_size=3),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_REFS_TEXT)
def test_unescape_as_html_unescape(value: str) -> None:
    import html as htmllib

    assert text.unescape(value) == htmllib.unescape(value)


def _old_ld_scripts(root: object) -> list[object]:
    from liveblog_cli.parse import page as source

    found = []
    for node in source.tagged(root, "script"):
        if (node.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        value = (node.text or "").strip()
        if not value:
            continue
        try:
            found.append(text.load_json(value))
        except ValueError:
            continue
    return found


_SCRIPT_EDGES = st.sampled_from(
    [" ", "\n", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2028", "\u3000", "", "x"]
)
_SCRIPT_BODIES = st.one_of(
    _JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.sampled_from(
        ['{"a": 1} // c', '{"a": NaN}', '["\\ud83d"]', "{", "[1,]", '{"@type": "X"}', "]["]
    ),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_SCRIPT_EDGES, _SCRIPT_BODIES, _SCRIPT_EDGES), max_size=3))
def test_jsonld_scripts_read_as_before(scripts: list[tuple[str, str, str]]) -> None:
    """JSON-LD read from lxml's UTF-8 of a script is what was read from its text."""
    import html as htmllib

    from lxml import html as lxml_html

    from liveblog_cli.parse import page as source

    body = "".join(
        f'<script type="application/ld+json">{before}{htmllib.escape(json_text, quote=False)}'
        f"{after}</script>"
        for before, json_text, after in scripts
    )
    root = lxml_html.document_fromstring(
        f"<html><head>{body}</head><body><p>x</p></body></html>",
        parser=source.html_parser(huge_tree=True),
    )
    assert repr(list(source._ld_scripts(root))) == repr(_old_ld_scripts(root))


@pytest.mark.parametrize("where", [w for w, _ in PAGES if w.endswith(".html")])
def test_jsonld_scripts_of_the_corpus_read_as_before(where: str) -> None:
    from lxml import html as lxml_html

    from liveblog_cli.parse import page as source

    root = lxml_html.document_fromstring(
        _path(where).read_bytes(), parser=source.html_parser(huge_tree=True)
    )
    assert repr(list(source._ld_scripts(root))) == repr(_old_ld_scripts(root))
