"""The html export renders in a real headless Chromium (run by `make check-html`, and by
`make test` wherever Chromium is installed).

Skipped where no Chromium is installed; `make check-html` installs Debian's and runs it.
Directions are the browser's own (`getComputedStyle(el).direction`, read through the DevTools
protocol: tests/chromium.py), on the export exactly as written, its no-script CSP in force.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import BINARY, FLAGS, Browser
from conftest import SAMPLES, archive_db, corpus_file, run_cli
from helpers import make_block, make_blog

from liveblog_cli.archive import Archive

if BINARY is None and os.environ.get("LIVEBLOG_CHECK_HTML"):
    raise RuntimeError("make check-html: no chromium on PATH after installing it")
pytestmark = pytest.mark.skipif(BINARY is None, reason="no Chromium (make check-html)")

# Per post: its id, the computed direction of the post, of its time line and of its time,
# and whether the time sits at the line's start edge (the right one, right to left): what a
# reader sees, beyond the style the browser computed.
POSTS = """[...document.querySelectorAll("article")].map(a => {
  const meta = a.querySelector("p.meta"), time = a.querySelector("p.meta > :first-child");
  const line = meta.getBoundingClientRect(), at = time.getBoundingClientRect();
  const style = getComputedStyle(a);
  const starts = style.direction === "rtl"
    ? Math.abs(line.right - at.right) < 2 : Math.abs(line.left - at.left) < 2;
  return {id: a.id, dir: style.direction, meta: getComputedStyle(meta).direction,
          time: getComputedStyle(time).direction, timeText: time.textContent,
          starts, lang: a.closest("[lang]")?.getAttribute("lang") ?? null};
})"""
PAGE = """({dir: getComputedStyle(document.documentElement).direction,
  lang: document.documentElement.lang, scripts: document.scripts.length,
  elements: document.querySelectorAll("*").length})"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("chromium") / "profile") as running:
        yield running


def export(tmp_path: Path, db: str, *args: str) -> Path:
    page = tmp_path / "export.html"
    done = run_cli("export", *args, "-f", "html", "-o", str(page), "--db", db)
    assert done.returncode == 0, done.stderr.decode()
    return page


def posts(browser: Browser, page: Path) -> list[dict[str, Any]]:
    found = browser.evaluate(page.as_uri(), POSTS)
    assert found, "no posts rendered"
    return found  # type: ignore[no-any-return]


def test_html_export_renders_in_chromium(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    for name in ("guardian-tallships.dcr.json", "guardian-tallships-page2.dcr.json"):
        assert run_cli("parse", str(SAMPLES / name), "--save", "--db", str(db)).returncode == 0
    page = tmp_path / "blog.html"
    assert (
        run_cli("export", "uk-news", "-f", "html", "-o", str(page), "--db", str(db)).returncode == 0
    )
    profile = tmp_path / "profile"
    common = [BINARY or "chromium", *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True
    ).stdout.decode()
    # The browser parsed the page into the structure we wrote: header, key events, articles.
    assert dom.count('<article id="block-') == 6
    assert "Key events" in dom and "Port Elstow tall ships festival" in dom
    assert "<script" not in dom
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a rendered page, not a blank


def test_an_arabic_blog_reads_right_to_left_post_by_post(tmp_path: Path, browser: Browser) -> None:
    """BBC Arabic's live page (the corpus): the page and every one of its 20 posts compute
    rtl; each post's time line still reads left to right, at the right-hand edge."""
    db = archive_db(tmp_path, "arabic")
    source = corpus_file("bbc/arabic-live-67574192.json")
    assert run_cli("parse", str(source), "--save", "--db", db).returncode == 0
    page = export(tmp_path, db, "--all")
    whole = browser.evaluate(page.as_uri(), PAGE)
    assert (whole["dir"], whole["lang"], whole["scripts"]) == ("rtl", "ar", 0)
    found = posts(browser, page)
    assert len(found) == 20
    assert [p["id"] for p in found if p["dir"] != "rtl"] == []
    assert all(p["meta"] == "rtl" and p["time"] == "ltr" for p in found), found
    assert all(p["timeText"].endswith(" UTC") and p["starts"] for p in found), found


def test_an_english_blog_still_reads_left_to_right(tmp_path: Path, browser: Browser) -> None:
    db = archive_db(tmp_path, "english")
    for name in ("guardian-tallships.dcr.json", "guardian-tallships-page2.dcr.json"):
        assert run_cli("parse", str(SAMPLES / name), "--save", "--db", db).returncode == 0
    page = export(tmp_path, db, "uk-news")
    found = posts(browser, page)
    assert len(found) == 6
    assert {(p["dir"], p["time"], p["starts"]) for p in found} == {("ltr", "ltr", True)}
    assert browser.evaluate(page.as_uri(), PAGE)["dir"] == "ltr"


ARABIC = "أعلنت الحكومة وقف إطلاق النار في المدينة"
LATIN_FIRST = "BBC: " + ARABIC  # an Arabic post that opens with a Latin acronym


def test_each_post_of_a_mixed_page_gets_its_own_direction(tmp_path: Path, browser: Browser) -> None:
    """One page of three blogs: an English one holding an Arabic post, an unlabelled one of
    both scripts, and an Arabic one whose post opens with "BBC". Each post computes the
    direction of its own text (or of its blog's language, where that is right to left),
    never of the time line written above it; each blog says its language."""
    english = make_blog(
        [
            make_block(1, title="Ceasefire announced", text="The city is quiet tonight."),
            make_block(2, title=ARABIC, text=ARABIC),
            make_block(3, title=None, text=ARABIC + " (Reuters)"),
        ],
        blog_id="world/live/a-english",
        title="English blog",
    )
    english.language = "en"
    unlabelled = make_blog(
        [make_block(4, title=None, text=ARABIC), make_block(5, title=None, text="Plain English.")],
        blog_id="world/live/b-unlabelled",
        title="مدونة بلا لغة",  # an Arabic title, its publisher "Example News", no language
    )
    arabic = make_blog(
        [make_block(6, title=None, text=LATIN_FIRST, authors=["John Smith"], key_event=True)],
        blog_id="world/live/c-arabic",
        title="مدونة",
    )
    arabic.language = "ar"
    db = archive_db(tmp_path, "mixed")
    with Archive(db) as archive:
        for one in (english, unlabelled, arabic):
            archive.save(one)
    page = export(tmp_path, db, "--all")
    found = {p["id"]: p for p in posts(browser, page)}
    expected = {"b0001": "ltr", "b0002": "rtl", "b0003": "rtl", "b0004": "rtl"}
    expected |= {"b0005": "ltr", "b0006": "rtl"}
    assert {key[len("block-") :]: p["dir"] for key, p in found.items()} == expected
    assert all(p["time"] == "ltr" and p["starts"] for p in found.values()), found
    langs = {key[len("block-") :]: p["lang"] for key, p in found.items()}
    assert (langs["b0001"], langs["b0004"], langs["b0006"]) == ("en", None, "ar")
    # Each blog's header reads as its title does, whatever our own words around it.
    headers = browser.evaluate(
        page.as_uri(),
        """Object.fromEntries([...document.querySelectorAll("header.blog")].map(
             h => [h.querySelector("h1").textContent, getComputedStyle(h).direction]))""",
    )
    assert headers == {"English blog": "ltr", "مدونة بلا لغة": "rtl", "مدونة": "rtl"}


def test_scraped_text_never_runs_or_sets_a_direction(tmp_path: Path, browser: Browser) -> None:
    """Markup in a post's title, text, author or body stays text or is sanitized away: no
    script, no handler, no `dir` of its own, and the post's direction is still its text's."""
    hostile = '<bdi dir="ltr"><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
    block = make_block(
        1,
        title=hostile + ARABIC,
        text=ARABIC,
        authors=['</bdi><b dir="ltr">x</b>'],
        html=f'<p dir="ltr" onclick="alert(1)">{ARABIC}</p><script>alert(2)</script>',
    )
    block.elements[0].html = block.html
    db = archive_db(tmp_path, "hostile")
    with Archive(db) as archive:
        archive.save(make_blog([block], blog_id="world/live/hostile", title="<i>t</i>"))
    page = export(tmp_path, db, "--all")
    checks = browser.evaluate(
        page.as_uri(),
        """({title: document.title, scripts: document.scripts.length,
            handlers: document.querySelectorAll("[onclick], [onerror]").length,
            bold: document.querySelectorAll("article b, h1 i").length,
            dirs: [...document.querySelectorAll("article [dir]")].map(e => e.tagName),
            heading: document.querySelector("article h2").textContent})""",
    )
    assert checks["title"] != "pwned" and checks["scripts"] == 0 and checks["handlers"] == 0
    assert checks["bold"] == 0
    assert set(checks["dirs"]) <= {"TIME", "SPAN"}  # only the ones the export writes
    assert checks["heading"].startswith("<bdi")
    (post,) = posts(browser, page)
    assert post["dir"] == "ltr"  # its title opens with "<bdi": Latin, its own text
