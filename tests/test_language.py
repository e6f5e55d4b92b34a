"""A blog's language as its page data says it (issue 25): the BBC's simorgh data carries
`"language"` beside the live stream, however the page wraps it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import archive_db, corpus_file, run_cli

from liveblog_cli.parse import parse_page

HINDI_URL = "https://www.bbc.com/hindi/live/cm93v1d6rw4pt"


def _served(data: dict[str, Any], html_lang: str | None) -> bytes:
    """Page data as a served page carries it: `window.SIMORGH_DATA={"pageData": ...}`."""
    lang = f' lang="{html_lang}"' if html_lang else ""
    payload = json.dumps({"pageData": data, "service": "x"}, ensure_ascii=False)
    return (
        f"<!DOCTYPE html><html{lang}><head><title>x</title></head><body><div id=root></div>"
        f"<script>window.SIMORGH_DATA={payload}</script></body></html>"
    ).encode()


def _wrappings(data: dict[str, Any]) -> dict[str, bytes]:
    return {
        "served page, no <html lang>": _served(data, None),
        "served page, the site's default lang": _served(data, "en-GB"),
        "JSON under pageData": json.dumps({"pageData": data}).encode(),
        "JSON under data": json.dumps({"data": data}).encode(),
    }


def _small(language: object) -> dict[str, Any]:
    post = {
        "urn": "asset:0e4c1c7e-0000-4000-8000-000000000001",
        "dates": {"firstPublished": "2024-04-01T10:00:00Z"},
        "header": {"model": {"blocks": [{"type": "headline", "model": {"blocks": []}}]}},
        "content": {"model": {"blocks": [{"type": "paragraph", "model": {"text": "पहली ख़बर"}}]}},
    }
    return {
        "title": "लाइव",
        "language": language,
        "home": "hindi",
        "metadata": {"atiAnalytics": {"pageIdentifier": "live_coverage.c0000000000t.page"}},
        "liveTextStream": {"content": {"data": {"results": [post], "page": {}}}},
    }


@pytest.mark.parametrize("wrapping", list(_wrappings(_small("hi"))))
def test_the_hindi_blogs_language_from_its_data(wrapping: str) -> None:
    data = json.loads(corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_bytes())["data"]
    blog = parse_page(_wrappings(data)[wrapping], HINDI_URL)
    assert (blog.source_format, len(blog.blocks), blog.language) == ("bbc-simorgh", 12, "hi")


@pytest.mark.parametrize("wrapping", list(_wrappings(_small("hi"))))
def test_a_small_page_datas_language_wherever_it_sits(wrapping: str) -> None:
    blog = parse_page(_wrappings(_small("hi"))[wrapping])
    assert (blog.id, blog.language) == ("bbc.com/hindi/live/c0000000000t", "hi")


@pytest.mark.parametrize(("given", "expected"), [("ar", "ar"), ("hi_IN", "hi-IN"), (7, None)])
def test_the_data_language_cleaned_or_refused(given: object, expected: str | None) -> None:
    blog = parse_page(_served(_small(given), None))
    assert blog.language == expected


def test_the_served_hindi_page_exports_in_hindi(tmp_path: Path) -> None:
    data = json.loads(corpus_file("bbc/hindi-live-cm93v1d6rw4pt.json").read_bytes())["data"]
    page = tmp_path / "hindi.html"
    page.write_bytes(_served(data, None))
    db = archive_db(tmp_path, "l")
    saved = run_cli("parse", str(page), "--save", "--db", db)
    assert saved.returncode == 0, saved.stderr
    done = run_cli("export", "--all", "--db", db, "-f", "html")
    assert done.returncode == 0, done.stderr
    assert 'lang="hi"' in done.stdout.decode().split("<head>", 1)[0]
