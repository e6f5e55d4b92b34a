"""AMP pictures (`amp-img`, `amp-anim`) read as pictures wherever rendered posts are read
(issue 28): a Reach plc AMP page kept its posts but none of their photos."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import archive_db, corpus_file, run_cli

from liveblog_cli.model import Element
from liveblog_cli.parse import parse_page
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import html_fragment

PHOTO = "https://i2-prod.mirror.co.uk/incoming/article1.ece/ALTERNATES/s615/0_crowd.jpg"


def _read(markup: str) -> list[Element]:
    return body_elements(html_fragment(markup))


def _images(elements: list[Element]) -> list[Element]:
    return [e for e in elements if e.kind == "image"]


def test_an_amp_img_in_a_figure_with_its_caption() -> None:
    elements = _read(
        "<p>Fans gathered outside the ground.</p>"
        f'<figure class="in-article-image"><amp-img src="{PHOTO}" width="615" height="409" '
        'layout="responsive" alt="Fans outside the stadium"></amp-img>'
        "<figcaption>Supporters before kick-off (Image: Getty)</figcaption></figure>"
    )
    assert [e.kind for e in elements] == ["text", "image"]
    (image,) = _images(elements)
    assert (image.url, image.alt, image.caption) == (
        PHOTO,
        "Fans outside the stadium",
        "Supporters before kick-off (Image: Getty)",
    )
    assert image.extra == {"type": "amp-img", "width": 615, "height": 409}


def test_an_amp_img_followed_by_its_caption() -> None:
    elements = _read(
        f'<div class="image"><amp-img src="{PHOTO}" width="4" height="3"></amp-img>'
        '<span class="image-caption">The queue at noon</span></div><p>More soon.</p>'
    )
    (image,) = _images(elements)
    assert image.caption == "The queue at noon"
    # The caption is the picture's, not a paragraph of the post.
    assert [e.text for e in elements if e.kind == "text"] == ["More soon."]


def test_an_amp_img_with_a_caption_beside_it_in_its_figure() -> None:
    (image,) = _images(
        _read(
            f'<figure><amp-img src="{PHOTO}" width="4" height="3"></amp-img>'
            '<div class="caption">Rain at the harbour</div></figure>'
        )
    )
    assert image.caption == "Rain at the harbour"


def test_an_amp_anim_and_a_srcset_only_picture() -> None:
    gif = "https://media.example.org/goal.gif"
    elements = _read(
        f'<amp-anim src="{gif}" width="400" height="225" alt="The goal"></amp-anim>'
        '<amp-img srcset="https://media.example.org/a-320.jpg 320w, '
        'https://media.example.org/a-640.jpg 640w" width="640" height="360"></amp-img>'
    )
    assert [(e.url, e.extra.get("type")) for e in _images(elements)] == [
        (gif, "amp-anim"),
        ("https://media.example.org/a-320.jpg", "amp-img"),
    ]
    assert _images(elements)[0].alt == "The goal"


def test_one_picture_for_an_amp_img_and_its_fallbacks() -> None:
    elements = _read(
        f'<figure><amp-img src="{PHOTO}" width="615" height="409">'
        '<amp-img placeholder src="https://media.example.org/blur.jpg" layout="fill"></amp-img>'
        f'<noscript><img src="{PHOTO}"></noscript></amp-img>'
        "<figcaption>One picture</figcaption></figure>"
    )
    assert [(e.kind, e.url, e.caption) for e in elements] == [("image", PHOTO, "One picture")]


@pytest.mark.parametrize("size", ["", "auto", "-3", "1e400"])
def test_a_size_that_is_no_size_is_left_out(size: str) -> None:
    (image,) = _images(_read(f'<amp-img src="{PHOTO}" width="{size}" height="9"></amp-img>'))
    assert image.extra == {"type": "amp-img", "height": 9}


# --- a Reach plc page in AMP --------------------------------------------------------------------

BLOG = "https://www.mirror.co.uk/news/uk-news/live-storm-updates-31000000"


def _reach_amp_page(photos: int = 3) -> bytes:
    """A Reach plc live page as its AMP template shows it: JSON-LD updates (plain text
    bodies, no pictures) and rendered `div.live-event-entry` posts with `amp-img` figures."""
    updates, entries = [], []
    for n in range(6, 0, -1):
        post_id = str(31000100 + n)
        body = f"Update {n} from the coast, where the wind has not dropped all morning."
        updates.append(
            {
                "@type": "BlogPosting",
                "headline": f"Storm update {n}",
                "url": f"{BLOG}#{post_id}",
                "datePublished": f"2024-01-02T{8 + n:02d}:00:00Z",
                "articleBody": body,
            }
        )
        figure = (
            f'<figure class="in-article-image"><amp-img src="https://i2-prod.mirror.co.uk/'
            f'incoming/article{n}.ece/ALTERNATES/s615/0_storm-{n}.jpg" width="615" '
            f'height="409" layout="responsive" alt="Storm picture {n}"></amp-img>'
            f"<figcaption>Waves over the sea wall, picture {n}</figcaption></figure>"
            if n <= photos
            else ""
        )
        entries.append(
            f'<div class="live-event-entry" id="{post_id}" data-type="default">'
            f'<div class="entry-info"><time>{8 + n:02d}:00</time><mark>Reporter {n}</mark></div>'
            f'<div class="entry-content"><h3>Storm update {n}</h3><p>{body}</p>{figure}</div>'
            "</div>"
        )
    ld = {
        "@context": "http://schema.org",
        "@type": "LiveBlogPosting",
        "url": BLOG,
        "headline": "Storm live updates",
        "datePublished": "2024-01-02T08:00:00Z",
        "publisher": {"@type": "Organization", "name": "Mirror"},
        "liveBlogUpdate": updates,
    }
    return (
        "<!doctype html><html ⚡ lang='en'><head><meta charset='utf-8'>"
        f'<link rel="canonical" href="{BLOG}"><title>Storm live updates</title>'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        f'<div class="live-event-entries">{"".join(entries)}</div></body></html>'
    ).encode()


def test_a_reach_amp_pages_posts_keep_their_photos() -> None:
    blog = parse_page(_reach_amp_page(photos=3), BLOG)
    assert blog.source_format == "reach-plc" and len(blog.blocks) == 6
    shown = {
        b.id: [(e.url, e.caption, e.alt) for e in b.elements if e.kind == "image"]
        for b in blog.blocks
    }
    for n in range(1, 7):
        expected = (
            [
                (
                    f"https://i2-prod.mirror.co.uk/incoming/article{n}.ece/ALTERNATES/s615/"
                    f"0_storm-{n}.jpg",
                    f"Waves over the sea wall, picture {n}",
                    f"Storm picture {n}",
                )
            ]
            if n <= 3
            else []
        )
        assert shown[str(31000100 + n)] == expected


def test_the_photos_reach_the_archive(tmp_path: Path) -> None:
    page = tmp_path / "storm.html"
    page.write_bytes(_reach_amp_page(photos=2))
    db = archive_db(tmp_path, "amp")
    saved = run_cli("parse", str(page), "--save", "--db", db)
    assert saved.returncode == 0, saved.stderr
    lines = run_cli("export", "--all", "--db", db, "-f", "jsonl").stdout.decode().splitlines()
    captions = sorted(
        e["caption"] for line in lines for e in json.loads(line)["elements"] if e["kind"] == "image"
    )
    assert captions == ["Waves over the sea wall, picture 1", "Waves over the sea wall, picture 2"]


def test_the_corkbeo_page_in_amp_keeps_the_photos_it_has_in_html() -> None:
    """The real Reach plc page, its `<img>`s turned into the `<amp-img>`s an AMP page shows:
    the same pictures in the same posts."""
    html = corpus_file("other/corkbeo-level3-live-2020-10-06.html").read_text(encoding="utf-8")
    amp = re.sub(r"<img\b([^>]*?)/?>", r'<amp-img\1 width="615" height="409"></amp-img>', html)
    assert "<img" not in amp

    def photos(page: str) -> dict[str, list[str | None]]:
        blog = parse_page(page.encode(), "https://www.corkbeo.ie/news/local-news/x")
        return {b.id: [e.url for e in b.elements if e.kind == "image"] for b in blog.blocks}

    before, after = photos(html), photos(amp)
    assert sum(map(len, before.values())) > 0
    assert after == before
