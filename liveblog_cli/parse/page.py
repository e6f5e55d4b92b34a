"""Everything that lives for one parse of one page: the page as the readers see it (`Doc`),
the answers to whole-page questions several readers ask, and the collector paused meanwhile.

A page is sniffed by reader after reader until one claims it, and most of them ask the same
things (its JSON value, its HTML tree, its canonical link, its scripts). Each answer is
made once per page and shared; `pages_remembered()` bounds that memory to the parse, and
`collector_paused()` keeps the cyclic garbage collector from walking what a parse builds
while it builds it. The readers' own lxml parser is here too, made once per thread.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any


class Doc:
    """A page as the readers see it: its text and URL, and its JSON value or HTML tree, each
    built once, on first use, and shared by every reader that looks."""

    def __init__(
        self,
        text: str | Callable[[], str],
        url: str | None,
        *,
        raw: bytes | None = None,
        html_bytes: bytes | None = None,
    ) -> None:
        # The text, or how to decode it when a reader first asks (a JSON page's readers
        # mostly read its decoded JSON value, never its text).
        self._text = text
        self.url = url
        # The UTF-8 bytes `text` was decoded from (leading whitespace and all), when it was:
        # a JSON decoder reads them as they are rather than the text encoded back to UTF-8.
        self.raw = raw
        # The same for an HTML page, given only when `text` is exactly their decoding (valid
        # UTF-8, nothing replaced): its tree is parsed from them (see `root`).
        self.html_bytes = html_bytes
        self._made: dict[str, Any] = {}

    @property
    def text(self) -> str:
        if not isinstance(self._text, str):
            self._text = self._text()
        return self._text

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        """What a reader finds in the page, found once and shared by its sniff and read."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    @functools.cached_property
    def json(self) -> Any:
        from liveblog_cli.parse.text import load_json

        return load_json(lambda: self.text, self.raw)

    @functools.cached_property
    def root(self) -> Any:
        from lxml import html as lxml_html

        # huge_tree: deeply nested or very large pages are legitimate input, not an attack.
        if self.html_bytes is not None:
            # The tree of the text, parsed from its UTF-8 bytes: lxml hands a str to libxml2
            # as UTF-16 or UCS-4 (anything beyond Latin-1), which converts it back to UTF-8
            # first; with the encoding given, neither reads a `<meta charset>`, so the trees
            # are the same (tests/test_parse_identical.py), made in half the time on big pages.
            return lxml_html.document_fromstring(
                self.html_bytes, parser=html_parser(huge_tree=True, utf8=True)
            )
        return lxml_html.document_fromstring(self.text, parser=html_parser(huge_tree=True))


# The microdata scopes of live blogs: one spelling, so a page's answer is found once (see on_page).
# `//*[@itemscope][contains(@itemtype, 'LiveBlogPosting')]`, the same elements in the same
# order, found by way of the `itemtype` attributes: libxml2 tests a step's attributes far
# faster than it evaluates an `[@attr]` predicate for every element of the page (0.15 ms
# rather than 4 ms on the NDTV page).
LIVEBLOG_SCOPES = "/descendant::*/@itemtype[contains(., 'LiveBlogPosting')]/parent::*[@itemscope]"

_PARSERS = threading.local()


def html_parser(*, huge_tree: bool = False, utf8: bool = False) -> Any:
    """lxml.html's parser (the same trees, elements of the same `HtmlElement` class), whose
    elements are made without a call into Python each.

    lxml.html picks an element's class by a lookup written in Python, called for every
    element the readers touch (a quarter of a la Repubblica parse); its special classes
    (forms, inputs, labels) add only form helpers no reader uses. A C lookup of the one
    class does the rest. One parser per thread and kind: an lxml parser is not for two
    threads at once. `utf8`: one for bytes known to be UTF-8 (its `<meta charset>` unread)."""
    parsers: dict[tuple[bool, bool], Any] | None = getattr(_PARSERS, "made", None)
    if parsers is None:
        parsers = _PARSERS.made = {}
    parser = parsers.get((huge_tree, utf8))
    if parser is None:
        from lxml import etree
        from lxml import html as lxml_html

        parser = lxml_html.HTMLParser(huge_tree=huge_tree, encoding="utf-8" if utf8 else None)
        parser.set_element_class_lookup(
            etree.ElementDefaultClassLookup(
                element=lxml_html.HtmlElement,
                comment=lxml_html.HtmlComment,
                pi=lxml_html.HtmlProcessingInstruction,
                entity=lxml_html.HtmlEntity,
            )
        )
        parsers[(huge_tree, utf8)] = parser
    return parser


def html_fragment(markup: str) -> Any:
    """A fragment of published HTML (a post's body) as a `<div>` holding it, as lxml.html's
    `fragment_fromstring(create_parent="div")` makes it; never an exception.

    lxml refuses what a hostile body holds: control characters before the first tag (`\x1b`,
    or `&#27;`, which the parser decodes), which it will not set as the div's text, and a
    whole page with no body or two (`<html></html>`), which it asserts against. Such markup
    is read as the body of a page of our own instead, and that body handed over as the div.
    """
    from lxml import etree
    from lxml import html as lxml_html

    try:
        return lxml_html.fragment_fromstring(markup, create_parent="div", parser=html_parser())
    except (ValueError, AssertionError, IndexError, etree.ParserError):
        pass
    from liveblog_cli.untrusted import lxml_legal

    page = lxml_html.document_fromstring(
        f"<html><body>{lxml_legal(markup)}</body></html>", parser=html_parser()
    )
    body = page.find("body")
    if body is None:  # nothing lxml could keep
        return lxml_html.Element("div")
    body.tag = "div"
    return body


# Markup whose parse reaches beyond its own `<div>`: the page's own tags, a doctype, a
# processing instruction, a meta tag (which may name an encoding). Such a fragment is parsed
# alone, as `html_fragment` parses it.
_PAGE_LEVEL = re.compile(r"<(?:/?(?:html|head|body|frameset|meta)\b|!doctype|\?)", re.I)


def html_fragments(markups: list[str]) -> list[Any]:
    """`[html_fragment(m) for m in markups]`, the same trees from one lxml parse.

    Each parse of a fragment pays for a parser, a document and its freeing, however short
    the fragment; a post's body is mostly a few paragraphs. So the fragments are parsed as
    one page, each in a `<div>` of its own marked with a number no page can know, and each
    div is handed over as that fragment's. The page's structure is checked before any is:
    exactly one marked div per fragment and one after them, in order, as the body's only
    children and with nothing between them. A fragment that did not end where it was put
    (an unclosed comment, script or attribute swallowing its neighbours, a table the
    closing `</div>` cannot leave, a stray `</div>`) breaks that, and then every fragment is
    parsed alone. Fragments that may act on the page itself (see `_PAGE_LEVEL`), or whose
    leading text lxml would refuse to set, are parsed alone in any case.
    """
    if len(markups) < 2:
        return [html_fragment(m) for m in markups]
    from lxml import etree
    from lxml import html as lxml_html

    alone = [bool(_PAGE_LEVEL.search(m)) for m in markups]
    mark = os.urandom(8).hex()
    parts = ["<html><body>"]
    for i, markup in enumerate(markups):
        if not alone[i]:
            parts.append(f'<div data-part="{mark}-{i}">{markup}</div>')
    parts.append(f'<div data-part="{mark}-end"></div></body></html>')
    try:
        page = lxml_html.document_fromstring("".join(parts), parser=html_parser())
    except (ValueError, AssertionError, IndexError, etree.ParserError):
        return [html_fragment(m) for m in markups]
    body = page[0] if len(page) == 1 else None
    wanted = [f"{mark}-{i}" for i in range(len(markups)) if not alone[i]]
    wanted.append(f"{mark}-end")
    if (
        body is None
        or body.tag != "body"
        or body.text is not None
        or len(body) != len(wanted)
        or any(
            div.tag != "div" or div.tail is not None or div.get("data-part") != name
            for div, name in zip(body, wanted, strict=True)
        )
    ):
        return [html_fragment(m) for m in markups]
    divs = iter(body)
    out = []
    for i, markup in enumerate(markups):
        if alone[i]:
            out.append(html_fragment(markup))
            continue
        div = next(divs)
        del div.attrib["data-part"]
        text = div.text
        if text is not None and not text.strip():
            div.text = None  # as fragment_fromstring keeps it: not at all
        elif text is not None and not _settable(text):
            out.append(html_fragment(markup))  # the div it makes refuses this text
            continue
        out.append(div)
    return out


def _settable(text: str) -> bool:
    """Whether lxml lets an element's text be set to `text` (the parser keeps characters,
    controls among them, that lxml will not let be written back)."""
    from lxml import etree

    try:
        etree.Element("div").text = text
    except ValueError:
        return False
    return True


@functools.cache
def xpath(expr: str) -> Any:
    """An XPath expression compiled once (`node.xpath(expr)` compiles it on every call)."""
    from lxml import etree

    return etree.XPath(expr)


_PAGE = threading.local()


def on_page(root: Any, expr: str) -> Any:
    """A whole-page XPath query (`//...`), run once per page however many readers ask.

    Several readers sniff the same page for the same things (its canonical link, its title,
    its scripts); each `//` query walks the whole tree. The answers of the page being
    parsed are kept (per thread) until the parse ends (`pages_remembered`); lists are
    handed out as copies, so no reader changes what the next one sees.
    """
    found = page_memo(root, expr, lambda: xpath(expr)(root))
    return list(found) if isinstance(found, list) else found


# The elements several readers look for in every HTML page, gathered in one walk.
_GATHERED = ("gu-island", "article", "link", "script", "meta")


def tagged(root: Any, tag: str) -> list[Any]:
    """The page's elements named `tag` (one of `_GATHERED`), in document order: `//tag`,
    answered for all five names by a single walk of the tree (in C) per page."""

    def gather() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {name: [] for name in _GATHERED}
        for element in root.iter(*_GATHERED):
            found[element.tag].append(element)
        return found

    return list(page_memo(root, "gathered", gather)[tag])


def ld_scripts(root: Any) -> Iterator[Any]:
    """Every JSON-LD value in the page; a script that is not valid JSON is skipped, not fatal.

    Decoded once per page (the blog's reader and the site-image finder both read them; no
    reader changes them)."""
    return iter(page_memo(root, "jsonld-scripts", lambda: list(_ld_scripts(root))))


def _ld_scripts(root: Any) -> Iterator[Any]:
    from liveblog_cli.parse.text import load_json

    for node in tagged(root, "script"):
        if (node.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        raw = _script_utf8(node)
        try:
            if raw is not None:
                yield load_json(functools.partial(raw.decode, "utf-8"), raw)
                continue
            text = (node.text or "").strip()
            if text:
                yield load_json(text)
        except ValueError:
            continue


def _script_utf8(node: Any) -> bytes | None:
    """`(node.text or "").strip()` as UTF-8, from lxml's own UTF-8 (no str of a script of
    megabytes made, and encoded again for the JSON decoder), when it is plainly that: a
    script of text alone whose JSON opens and closes inside ASCII whitespace (which both
    strips take; `str.strip` takes other spaces too, and such a script is read as text)."""
    if len(node):
        return None
    from lxml.etree import tostring

    raw: bytes = tostring(node, method="text", encoding="utf-8", with_tail=False).strip()
    if raw[:1] in (b"{", b"[") and raw[-1:] in (b"}", b"]"):
        return raw
    return None


def canonical_link(root: Any) -> str:
    """`string(//link[@rel='canonical']/@href)`: the first canonical link's address."""
    return next(
        (
            href
            for link in tagged(root, "link")
            if link.get("rel") == "canonical" and (href := link.get("href")) is not None
        ),
        "",
    )


def page_memo(root: Any, key: str, make: Callable[[], Any]) -> Any:
    """What `make` finds in the page being parsed, made once per page (see `on_page`).

    Only within `pages_remembered()` (a parse, which changes no page it reads); a caller
    outside one may change a tree between two questions, so it gets fresh answers."""
    if not getattr(_PAGE, "active", False):
        return make()
    memo = getattr(_PAGE, "memo", None)
    if memo is None or memo[0] is not root:
        memo = (root, {})
        _PAGE.memo = memo
    answers: dict[str, Any] = memo[1]
    if key not in answers:
        answers[key] = make()
    return answers[key]


@contextlib.contextmanager
def pages_remembered() -> Iterator[None]:
    """Within: whole-page answers are kept for the page being parsed; after: let go (the
    tree can be freed)."""
    _PAGE.active = True
    try:
        yield
    finally:
        _PAGE.active = False
        _PAGE.memo = None


class _CollectorPause:
    """The cyclic garbage collector paused while any thread parses, resumed after the last.

    A parse allocates hundreds of thousands of containers that all live until it ends; the
    collector, triggered by allocation counts, would walk them again and again (a page of
    50,000 posts cost half as much again per post as one of 500). A parse makes no cycles
    worth collecting meanwhile. Counted, so threads parsing at once (fetch reads several
    blogs at a time) leave the collector as they found it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


collector_paused = _CollectorPause()


__all__ = [
    "LIVEBLOG_SCOPES",
    "Doc",
    "canonical_link",
    "collector_paused",
    "html_fragment",
    "html_fragments",
    "html_parser",
    "ld_scripts",
    "on_page",
    "page_memo",
    "pages_remembered",
    "tagged",
    "xpath",
]
