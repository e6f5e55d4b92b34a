"""Hostile and broken input: parse_page raises ParseError or returns a blog, nothing else.

Two fuzzers: one over bytes (random, and corpus/sample pages truncated and overwritten), one
over the JSON the readers decode (every corpus and sample JSON file, values at random places
in it replaced by the wrong type, NUL and control characters, or a few megabytes). A blog
that comes back is checked to be made of the model's types, since a list where a title is
would crash whatever prints or saves it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, SAMPLES, corpus_file, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveblog_cli.errors import ParseError
from liveblog_cli.model import Block, Element, LiveBlog
from liveblog_cli.parse import parse_page
from liveblog_cli.parse.bbc import find_page_data
from liveblog_cli.parse.text import html_to_text


def _seeds() -> list[bytes]:
    files = sorted(SAMPLES.glob("*.*"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md")
    return [p.read_bytes() for p in files]


SEEDS = _seeds()
# `make fuzz` raises this (LIVEBLOG_FUZZ_EXAMPLES); `make test` runs a short burst.
EXAMPLES = int(os.environ.get("LIVEBLOG_FUZZ_EXAMPLES", "150"))
TRIED = {"inputs": 0}


@pytest.fixture(scope="module", autouse=True)
def _fuzz_row() -> Iterator[None]:
    yield
    record(
        "fuzz",
        "parse_page on random bytes, on corpus/sample pages truncated and mutated "
        f"({len(SEEDS)} seeds), and on their {len(JSON_SEEDS)} JSON files with values "
        "replaced by wrong types, control characters and megabytes (hypothesis)",
        TRIED["inputs"],
        "every input parsed or rejected with a one-line ParseError; no crash",
    )


def _parse_or_reject(data: bytes, url: str | None = None) -> None:
    TRIED["inputs"] += 1
    try:
        blog = parse_page(data, url)
    except ParseError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert blog.blocks, "a parsed blog has blocks"
    assert len({b.id for b in blog.blocks}) == len(blog.blocks)
    _well_typed(blog)
    json.dumps(blog.to_dict(), ensure_ascii=False)


def _optional_str(*values: object) -> bool:
    return all(v is None or isinstance(v, str) for v in values)


def _strs(values: object) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _well_typed(blog: LiveBlog) -> None:
    """The blog is made of the model's types (what the archive, the views and the exports
    rely on): a reader handed a list or a number where a string was due lets none through."""
    assert isinstance(blog.id, str) and blog.id
    assert _optional_str(blog.url, blog.title, blog.standfirst, blog.publisher, blog.language)
    assert _optional_str(blog.claimed_url)
    assert blog.is_live is None or isinstance(blog.is_live, bool)
    assert _strs(blog.authors) and _strs(blog.tags) and _strs(blog.deleted_ids)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in blog.pages.items())
    assert blog.body_ids is None or _strs(blog.body_ids)
    assert blog.page_count is None or type(blog.page_count) is int
    for block in blog.blocks:
        assert isinstance(block, Block) and isinstance(block.id, str) and block.id
        assert _optional_str(block.title, block.html) and isinstance(block.text, str)
        assert _strs(block.authors)
        assert all(type(f) is bool for f in (block.key_event, block.pinned, block.summary))
        for element in block.elements:
            assert isinstance(element, Element) and isinstance(element.kind, str)
            assert _optional_str(element.text, element.html, element.url)
            assert _optional_str(element.caption, element.credit, element.alt)
            assert isinstance(element.extra, dict)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.floats(0, 1), st.integers(0, 255), st.integers(0, 20))
def test_truncated_and_mutated_pages(seed: bytes, where: float, byte: int, flips: int) -> None:
    cut = seed[: int(len(seed) * where)]
    _parse_or_reject(cut)
    mutated = bytearray(seed)
    for i in range(flips):
        mutated[(i * 7919 + byte * 104729) % len(mutated)] = byte
    _parse_or_reject(bytes(mutated))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _parse_or_reject(data)


# --- the JSON the readers decode, mutated ----------------------------------------------------


def _json_seeds() -> list[tuple[str, Any]]:
    files = sorted(SAMPLES.glob("*.json"))
    if CORPUS.is_dir():
        files += sorted(CORPUS.rglob("*.json"))
    return [(p.name, json.loads(p.read_bytes())) for p in files]


JSON_SEEDS = _json_seeds()
# What a hostile page puts where a reader expects something else.
_CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\u2028\ufeff\ufffe"
_HUGE = [
    "x" * 3_000_000,
    "<p>" + "é " * 1_000_000 + "</p>",
    "<p>a</p>" * 400_000,
]
HOSTILE: list[st.SearchStrategy[Any]] = [
    st.sampled_from([None, True, False, 0, -1, 1.5, 2**64, 10**30, -(10**30), [], {}, ""]),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, 5e-324]),
    st.integers(),
    st.floats(),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=4), st.just({})), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
    st.text(alphabet=st.sampled_from([*_CONTROLS, *"<p>/&#;x1b0 a"]), max_size=24),
    st.sampled_from(
        [
            "a\x00b",
            "<p>a\x00b</p>",
            "\x1b[2J<p>x</p>",
            "&#27;]0;owned&#7;<p>x</p>",
            "&#x0;<p>x</p>",
            "<html></html>",
            "<!doctype html>",
            "<html><head><title>t</title></head></html>",
            "<body>a</body><body>b</body>",
            "javascript:alert(1)",
            "2024-02-30T25:61:00Z",
            "99999-01-01T00:00:00Z",
            "true",
            "1e400",
        ]
    ),
    st.sampled_from(_HUGE),
]
_URLS = [
    None,
    "https://www.theguardian.com/world/live/2024/jan/01/x",
    "https://www.bbc.com/hindi/live/cm93v1d6rw4pt?page=2",
    "http://127.0.0.1:9/",
]


def _kind(value: Any) -> object:
    """What tells one list item's shape from another's: its type name, where it has one."""
    if not isinstance(value, dict):
        return type(value).__name__
    named = [value.get(k) for k in ("_type", "type", "item_type", "@type", "kind")]
    return repr(named)


def _shape(doc: Any, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """A place in general: `blocks[*].elements[*].html` of one element type, whichever
    block and element it was found in."""
    shape: list[Any] = []
    for key in path:
        if isinstance(doc, list):
            shape += ["*", _kind(doc[key])]
        else:
            shape.append(key)
        doc = doc[key]
    return tuple(shape)


def _shapes(doc: Any) -> list[tuple[Any, ...]]:
    """One place for every distinct place in a document's shape (`blocks[*].elements[*]`
    of each element type once, every key of the top once: a few hundred per file)."""
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def walk(value: Any, path: tuple[Any, ...], shape: tuple[Any, ...], depth: int) -> None:
        found.setdefault(shape, path)
        if depth > 40:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, key), (*shape, key), depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index), (*shape, "*", _kind(item)), depth + 1)

    walk(doc, (), (), 0)
    return [path for path in found.values() if path]  # not the whole document


class _Watched(dict):  # type: ignore[type-arg]
    """A JSON object that notes which of its keys a reader asks for (`get`, `[]`, `in`)."""

    def __init__(self, value: dict[str, Any], path: tuple[Any, ...], seen: set[Any]) -> None:
        super().__init__(value)
        self.path, self.seen = path, seen

    def get(self, key: Any, default: Any = None) -> Any:
        self.seen.add((*self.path, key))
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.seen.add((*self.path, key))
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.seen.add((*self.path, key))
        return super().__contains__(key)


def _watched(value: Any, path: tuple[Any, ...], seen: set[Any]) -> Any:
    if isinstance(value, dict):
        return _Watched({k: _watched(v, (*path, k), seen) for k, v in value.items()}, path, seen)
    if isinstance(value, list):
        return [_watched(v, (*path, i), seen) for i, v in enumerate(value)]
    return value


def _read_places(doc: Any) -> list[tuple[Any, ...]]:
    """The places of a document its reader asks for, one of each shape: where a hostile
    value meets code (most of a document is never looked at)."""
    from liveblog_cli.parse import _parse_json
    from liveblog_cli.parse.page import Doc

    seen: set[tuple[Any, ...]] = set()
    page = Doc(json.dumps(doc), None)
    page.__dict__["json"] = _watched(doc, (), seen)  # the decoded value, watched
    with contextlib.suppress(ParseError):
        _parse_json(page)
    places: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for path in sorted(seen, key=lambda p: [str(k) for k in p]):
        try:
            places.setdefault(_shape(doc, path), path)
        except (KeyError, IndexError, TypeError):
            continue  # asked for and absent: nothing there to replace
    return list(places.values())


SHAPES = [_shapes(doc) for _, doc in JSON_SEEDS]
READ = [_read_places(doc) for _, doc in JSON_SEEDS]
# The seeds that are BBC page data, which a served page carries in a script.
SERVED = {i for i, (_, doc) in enumerate(JSON_SEEDS) if find_page_data(doc) is not None}


def _path(seed: int, doc: Any, rnd: random.Random) -> list[Any]:
    """A place in a decoded document, never the whole of it: one of the distinct places of
    its seed's shape (as far as the mutations before left it there), or a walk from its top
    down to anywhere."""
    if not isinstance(doc, dict | list) or not doc:
        return []  # an earlier mutation replaced the document itself
    if rnd.random() < 0.85:
        # Mostly where the reader looks, else anywhere in the document's shape.
        path = list(rnd.choice(READ[seed] if rnd.random() < 0.7 else SHAPES[seed]))
        value = doc
        for depth, key in enumerate(path):
            if (isinstance(value, dict) and key in value) or (
                isinstance(value, list) and isinstance(key, int) and key < len(value)
            ):
                value = value[key]
            else:
                path = path[:depth]
                break
        if path:
            return path
    path = []
    while isinstance(doc, dict | list) and doc and (not path or rnd.random() < 0.8):
        key = rnd.choice(list(doc)) if isinstance(doc, dict) else rnd.randrange(len(doc))
        path.append(key)
        doc = doc[key]
    return path


def _replaced(doc: Any, path: list[Any], value: Any) -> Any:
    """A copy of `doc` with the value at `path` replaced (only the containers on the path
    are copied: the seeds are shared by every example)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    clone: Any = dict(doc) if isinstance(doc, dict) else list(doc)
    clone[head] = _replaced(doc[head], rest, value)
    return clone


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.sampled_from(range(len(JSON_SEEDS))),
    data=st.data(),
    mutations=st.integers(1, 4),
    ascii_only=st.booleans(),
    url=st.sampled_from(_URLS),
    served=st.booleans(),
)
def test_mutated_json_is_read_or_refused(
    seed: int,
    data: st.DataObject,
    mutations: int,
    ascii_only: bool,
    url: str | None,
    served: bool,
) -> None:
    """Any JSON the readers know, with values replaced by what a hostile page sends: a blog
    of the model's types, or a ParseError (exit 65); never an exception (exit 70). BBC page
    data is also read as a served page carries it (`window.SIMORGH_DATA` in a script)."""
    # Where and what kind of value: chosen evenly (hypothesis leans to its first choices,
    # which would hit the top of every document and little else), by a seeded generator.
    rnd = data.draw(st.randoms(use_true_random=True))
    doc = JSON_SEEDS[seed][1]
    for _ in range(mutations):
        doc = _replaced(doc, _path(seed, doc, rnd), data.draw(rnd.choice(HOSTILE)))
    text = json.dumps(doc, ensure_ascii=ascii_only)
    if served and seed in SERVED:
        text = f"<html><body><script>window.SIMORGH_DATA={text}</script></body></html>"
    _parse_or_reject(text.encode(), url)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_html_to_text_never_keeps_controls(markup: str) -> None:
    out = html_to_text(markup)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
    assert "\x1b" not in out and "\x9b" not in out


@pytest.mark.parametrize(
    "payload",
    [
        "<p>a\x1b]0;pwned\x07b</p>",
        "<p>x\x1b[2Jy</p>",
        "<p>\x9b31mred</p>",
    ],
)
def test_escape_sequences_are_removed_from_text(payload: str) -> None:
    out = html_to_text(payload)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out


def test_utf16_page_with_bom_is_read(tmp_path: Path) -> None:
    data = (SAMPLES / "guardian-lunar-lander.html").read_text(encoding="utf-8")
    blog = parse_page(data.encode("utf-16"))
    assert len(blog.blocks) == 4


def test_utf16_page_without_bom_is_read() -> None:
    data = (SAMPLES / "guardian-lunar-lander.html").read_text(encoding="utf-8")
    for codec in ("utf-16-le", "utf-16-be"):
        assert len(parse_page(data.encode(codec)).blocks) == 4


# --- the crash shapes found by hand and by the fuzzer (issue 22, item 6) -----------------------
# Each ended `parse` and `fetch` with exit 70 (an exception escaping a reader) before.

_CONTROL_BODIES = [
    "\x1b[2J<p>cleared</p>",  # a control character before the first tag
    "&#27;]0;owned&#7;<p>titled</p>",  # the same, written as entities the parser decodes
    "<p>a\x00b</p>\x00",  # NUL in the body
    "<html></html>",  # a whole page with no body where a fragment was due
    "<!doctype html>",
    "<body>one</body><body>two</body>",
]


def _capi(edit: Any) -> bytes:
    doc = json.loads(corpus_file("guardian/capi-item-with-blocks.json").read_bytes())
    edit(doc["response"]["content"])
    return json.dumps(doc).encode()


def _bbc(edit: Any) -> bytes:
    doc = json.loads(corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_bytes())
    edit(doc["data"])
    return json.dumps(doc).encode()


def _read(data: bytes, url: str | None = None) -> LiveBlog:
    """A parse that must give a blog of the model's types (no crash, no refusal)."""
    blog = parse_page(data, url)
    _well_typed(blog)
    return blog


def _controls(text: str | None) -> bool:
    return any(ord(c) < 32 and c not in "\n\t" for c in text or "")


@pytest.mark.parametrize("body", _CONTROL_BODIES)
def test_capi_body_html_with_controls_or_a_whole_page(body: str) -> None:
    def edit(content: dict[str, Any]) -> None:
        for block in content["blocks"]["body"]:
            block["bodyHtml"] = body
        content["blocks"]["main"]["bodyHtml"] = body

    blog = _read(_capi(edit))
    assert len(blog.blocks) == 6  # every post kept
    assert not any(_controls(b.text) for b in blog.blocks)
    assert not _controls(blog.standfirst)


def test_capi_a_list_where_a_name_is() -> None:
    def edit(content: dict[str, Any]) -> None:
        content["blocks"]["body"][0]["contributors"] = [["profile/x"], {"id": "y"}, 7]
        content["webTitle"] = ["a", "title"]
        content["tags"] = [{"id": ["tone/minutebyminute"], "type": ["contributor"]}]

    blog = _read(_capi(edit))
    assert len(blog.blocks) == 6 and blog.title is None and blog.tags == []

    # Its type and path no longer say it is a live blog, and its tags cannot: refused.
    def unnamed(content: dict[str, Any]) -> None:
        edit(content)
        content["id"] = "news/blog/2015/apr/09/example"

    with pytest.raises(ParseError):
        parse_page(_capi(unnamed))


def test_capi_a_number_where_text_is() -> None:
    def edit(content: dict[str, Any]) -> None:
        content["webTitle"] = 5
        content["blocks"]["totalBodyBlocks"] = 1e400
        for block in content["blocks"]["body"]:
            block.update(bodyHtml=12, title=2, attributes={"title": 3, "keyEvent": 1})
        for element in content["blocks"]["body"][0]["elements"]:
            element["type"] = 4
            element["assets"] = [{"file": 8, "typeData": {"width": math.inf}}]

    blog = _read(_capi(edit))
    assert len(blog.blocks) == 6 and blog.title is None
    assert not any(b.title or b.key_event for b in blog.blocks)


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[2Jcleared\x07", "<p>a\x00</p>"])
def test_bbc_controls_in_a_post(text: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        post = data["liveTextStream"]["content"]["data"]["results"][0]
        post["content"]["model"]["blocks"].insert(0, {"type": "paragraph", "model": {"text": text}})
        post["header"]["model"]["blocks"] = [
            {
                "type": "headline",
                "model": {"blocks": [{"type": "paragraph", "model": {"text": text}}]},
            }
        ]

    blog = _read(_bbc(edit))
    assert len(blog.blocks) == 12
    assert not any(_controls(b.text) or _controls(b.title) for b in blog.blocks)


def test_bbc_a_list_where_a_name_is() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["title"] = ["a", "title"]
        data["seo"]["seoTitle"] = [{"name": "x"}]
        data["home"] = ["hindi"]
        data["metadata"]["atiAnalytics"]["pageIdentifier"] = ["live_coverage.x.page"]
        results = data["liveTextStream"]["content"]["data"]["results"]
        results[0]["urn"] = ["asset:x"]  # no id: not a post
        for post in results[1:]:
            for block in post["content"]["model"]["blocks"]:
                block["type"] = [block.get("type")]
                for inner in block.get("model", {}).get("blocks", []):
                    inner.setdefault("model", {})["copyrightHolder"] = ["x"]

    blog = _read(_bbc(edit), "https://www.bbc.com/hindi/live/cm93v1d6rw4pt")
    assert len(blog.blocks) == 11
    assert blog.title is None  # not "['a', 'title']"
    assert not any(isinstance(e.extra.get("type"), list) for b in blog.blocks for e in b.elements)


def test_bbc_a_number_where_text_is() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["title"] = 5
        data["seo"] = {"seoTitle": 6, "seoDescription": 7}
        data["description"] = 8
        data["liveTextStream"]["contributors"] = 9
        data["liveTextStream"]["content"]["data"]["page"] = {"index": True, "total": 1e400}
        data["metadata"]["atiAnalytics"]["pageIdentifier"] = 10
        for post in data["liveTextStream"]["content"]["data"]["results"]:
            post["urn"] = f"{post['urn']}"
            for block in post["content"]["model"]["blocks"]:
                if block.get("type") == "image":
                    for raw in block["model"]["blocks"]:
                        raw["model"].update(originCode=11, copyrightHolder=12, locator=13)

    blog = _read(_bbc(edit), "https://www.bbc.com/hindi/live/cm93v1d6rw4pt")
    assert len(blog.blocks) == 12
    assert (blog.title, blog.standfirst, blog.authors, blog.pages) == (None, None, [], {})
    images = [e for b in blog.blocks for e in b.elements if e.kind == "image"]
    assert images and all(e.url is None and e.credit is None for e in images)


@pytest.mark.parametrize(
    "page",
    [
        b"[" + b"1" * 4301 + b"]",  # valid JSON, but a number Python will not convert
        b'{"pagination": {"totalPages": 1e400}, "keyEvents": [], "blocks": []}',
    ],
)
def test_json_python_cannot_hold_is_refused(page: bytes) -> None:
    with pytest.raises(ParseError) as refused:
        parse_page(page)
    assert "\n" not in str(refused.value)


def test_dcr_hostile_types_in_its_structure() -> None:
    doc = json.loads((SAMPLES / "guardian-tallships.dcr.json").read_bytes())
    doc["format"] = {"design": ["LiveBlogDesign"]}  # unhashable where a name is
    doc["pagination"] = {"totalPages": 1e400, "older": "?page=2"}
    doc["canonicalUrl"] = "http://[unclosed/live/x"  # a URL Python cannot split
    for block in doc["blocks"]:
        for element in block["elements"]:
            element.setdefault("media", {"allImages": [{"fields": {"width": math.inf}}]})
    blog = _read(json.dumps(doc).encode())
    assert blog.page_count is None and blog.pages == {"older": "?page=2"}


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("capi", lambda c: c["blocks"]["body"][0].update(bodyHtml="\x1b[2J<p>x</p>")),
        ("capi", lambda c: c["blocks"]["body"][0].update(contributors=[["x"]])),
        ("bbc", lambda d: d.update(title=5, seo=[1])),
        ("bbc", lambda d: d["liveTextStream"]["content"]["data"].update(page={"total": 1e400})),
    ],
)
def test_parse_and_save_exit_0_not_70(name: str, edit: Any, tmp_path: Path) -> None:
    """The four shapes through the command itself: parsed, saved, printed as JSON."""
    from conftest import run_cli

    page = _capi(edit) if name == "capi" else _bbc(edit)
    result = run_cli("parse", "-", "--save", "--db", str(tmp_path / "a.db"), stdin=page)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["blocks"]
