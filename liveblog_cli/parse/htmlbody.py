"""A rendered post body (an lxml element) as typed Elements: prose, images, tweets, embeds.

AMP pages (Reach plc's among them) show their pictures as `<amp-img>` or `<amp-anim>` (an
animated GIF) instead of `<img>`: read as pictures the same way, in a `<figure>` with its
`<figcaption>` or standing alone followed by a caption element, with the width and height
AMP requires of them kept in `extra`.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from liveblog_cli.model import Element
from liveblog_cli.parse.text import clean_line, html_to_text
from liveblog_cli.parse.typed import as_int

_CONTAINERS = frozenset("div section span main article amp-carousel".split())
_AMP_IMAGES = ("amp-img", "amp-anim")
_PICTURES = ("img", *_AMP_IMAGES)
_VIDEO_HOSTS = ("youtube.com", "youtube-nocookie.com", "youtu.be", "vimeo.com", "dailymotion.com")


def _html(node: Any) -> str:
    """`lxml.html.tostring(node, encoding="unicode", with_tail=False)`: lxml's HTML
    serialisation, called directly (the wrapper's Python cost more than the serialising of
    a paragraph), and the wrapper's one change to it made where it can apply."""
    markup: str = _tostring()(node, method="html", encoding="unicode", with_tail=False)
    if _META_CONTENT_TYPE in markup:
        markup = _drop_meta_content_type("", markup)
    return markup


@functools.cache
def _tostring() -> Any:
    from lxml.etree import tostring  # on first use: lxml is not loaded at start-up

    return tostring


# What lxml.html.tostring takes out of what libxml2 serialises (lxml/html/__init__.py).
_META_CONTENT_TYPE = '<meta http-equiv="Content-Type"'
_drop_meta_content_type = re.compile(r'<meta http-equiv="Content-Type"[^>]*>').sub


# Not addresses of a picture: an editor's in-browser `blob:`, an inline placeholder pixel.
_NOT_AN_ADDRESS = ("blob:", "data:", "about:", "javascript:")


def _address(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value or value.lower().startswith(_NOT_AN_ADDRESS):
        return None
    return value


def _first_of_srcset(value: str | None) -> str | None:
    first = (value or "").split(",")[0].split()
    return _address(first[0]) if first else None


def _image(node: Any) -> Element | None:
    img = node if node.tag in _PICTURES else next(iter(node.iter(*_PICTURES)), None)
    src = None
    if img is not None:
        # Lazy-loading pages put a placeholder in `src` and the picture in `data-src`.
        src = (
            _address(img.get("src"))
            or _address(img.get("data-src"))
            or _first_of_srcset(img.get("srcset"))
        )
    if not src:
        source = next(iter(node.iter("source")), None)
        if source is not None:
            src = _first_of_srcset(source.get("srcset"))
    if not src:
        return None
    caption = None
    figcaption = next(iter(node.iter("figcaption")), None)
    if figcaption is not None:
        caption = clean_line(figcaption.text_content()) or None
    elif img is not None and img is not node and img.tag in _AMP_IMAGES:
        after = _caption_after(img)  # in a figure with no figcaption: a caption beside it
        caption = clean_line(after.text_content()) or None if after is not None else None
    return Element(
        "image",
        url=src,
        caption=caption,
        alt=clean_line(img.get("alt")) or None if img is not None else None,
        extra=_amp_extra(img) if img is not None and img.tag in _AMP_IMAGES else {},
    )


def _amp_extra(img: Any) -> dict[str, Any]:
    """What an AMP picture says besides its address: which element (an `amp-anim` moves)
    and the size AMP makes every picture declare."""
    extra: dict[str, Any] = {"type": img.tag}
    for key in ("width", "height"):
        size = as_int((img.get(key) or "").strip())
        if size is not None and size > 0:
            extra[key] = size
    return extra


def _caption_after(node: Any) -> Any | None:
    """The caption that follows a picture standing outside a figure: the next element, when
    it is a `<figcaption>` or its class says caption (AMP pages put one after `<amp-img>`)."""
    following = node.getnext()
    if following is None or not isinstance(following.tag, str):
        return None
    if (node.tail or "").strip():
        return None  # words between them: the next element captions something else
    words = re.split(r"[\s_-]+", (following.get("class") or "").lower())
    return following if following.tag == "figcaption" or "caption" in words else None


# A body that is nothing but an address: a social post or video the page embeds by script.
_BARE_LINK = re.compile(r"https?://[^\s<>\"']{4,2000}")


def _link(url: str) -> Element:
    kind = (
        "tweet"
        if "/status/" in url
        else "video"
        if any(h in url for h in _VIDEO_HOSTS)
        else "embed"
    )
    return Element(kind, url=url, extra={"type": "bare-link"})


_EMBED_HINT = re.compile(r"embed|tweet|twitter|instagram|facebook|youtube|tiktok|social|video")
_EMBED_HOST = re.compile(
    r"(?i)^https?://(?:[^/]+\.)?(?:twitter\.com|x\.com|facebook\.com|instagram\.com|"
    r"youtube\.com|youtu\.be|tiktok\.com|vimeo\.com|threads\.net|bsky\.app|t\.me)/"
)
_IMAGE_PATH = re.compile(r"(?i)\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])")


def _script_embed(node: Any) -> Element | None:
    """An empty placeholder a script fills with a post from elsewhere
    (`<div class="tweet" data-url="https://twitter.com/…/status/…">`, an embedded article's
    `data-embedded-content-path`): the embed its `data-` address names."""
    if node.tag in ("a", "img", "iframe", "video", "audio", "source") or len(node):
        return None
    if (node.text or "").strip():
        return None
    url = next(
        (
            v.strip()
            for k, v in node.attrib.items()
            if k.startswith("data-") and _BARE_LINK.fullmatch(v.strip())
        ),
        None,
    )
    if not url:
        return None
    # Share buttons carry the post's own address the same way: only what says it embeds.
    hints = " ".join([node.get("class") or "", node.get("data-mod") or "", *node.attrib]).lower()
    if "share" in hints or not (_EMBED_HINT.search(hints) or _EMBED_HOST.search(url)):
        return None
    if _IMAGE_PATH.search(url):
        return Element("image", url=url)
    element = _link(url)
    element.html = _html(node)
    element.extra["type"] = clean_line(node.get("data-mod") or node.get("class")) or "embed"
    return element


def _classes(node: Any) -> str:
    return f" {node.get('class') or ''} ".lower()


def body_elements(root: Any) -> list[Element]:
    """Typed elements of a body node, in document order. Anything unrecognised is kept as text."""
    out: list[Element] = []
    pending: list[str] = []
    taken: set[Any] = set()  # captions read with the picture before them

    def flush() -> None:
        if pending:
            markup = "".join(pending)
            text = html_to_text(markup)
            if _BARE_LINK.fullmatch(text):
                out.append(_link(text))
            elif text:
                out.append(Element("text", text=text, html=markup))
            pending.clear()

    def visit(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or tag in ("script", "style", "noscript", "template", "button", "svg"):
            return
        if node in taken:
            return
        classes = _classes(node)
        placeholder = _script_embed(node)
        if placeholder is not None:
            flush()
            out.append(placeholder)
        elif tag == "blockquote" and ("twitter-tweet" in classes or "tweet" in classes):
            flush()
            links = [a.get("href") for a in node.iter("a") if "/status/" in (a.get("href") or "")]
            out.append(
                Element(
                    "tweet",
                    text=html_to_text(_html(node)) or None,
                    html=_html(node),
                    url=links[-1] if links else None,
                )
            )
        elif tag == "blockquote":
            flush()
            out.append(Element("blockquote", text=html_to_text(_html(node)), html=_html(node)))
        elif tag in ("figure", "img", "picture", *_AMP_IMAGES):
            image = _image(node)
            if image is not None:
                flush()
                out.append(image)
                caption = _caption_after(node) if tag in _AMP_IMAGES else None
                if caption is not None and image.caption is None:
                    image.caption = clean_line(caption.text_content()) or None
                    taken.add(caption)
            elif tag == "figure":
                pending.append(_html(node))
        elif tag in ("iframe", "video", "audio"):
            flush()
            src = node.get("src") or node.get("data-src")
            if not src:
                source = next(iter(node.iter("source")), None)
                src = source.get("src") if source is not None else None
            kind = (
                "audio"
                if tag == "audio"
                else (
                    "video"
                    if tag == "video" or any(h in (src or "") for h in _VIDEO_HOSTS)
                    else "embed"
                )
            )
            out.append(Element(kind, url=src, html=_html(node)))
        elif tag in _CONTAINERS and any(isinstance(c.tag, str) for c in node):
            if node.text and node.text.strip():
                pending.append(node.text)
            for child in node:
                visit(child)
                if child.tail and child.tail.strip():
                    pending.append(child.tail)
        else:
            pending.append(_html(node))

    if root.text and root.text.strip():
        pending.append(root.text)
    for child in root:
        visit(child)
        if child.tail and child.tail.strip():
            pending.append(child.tail)
    flush()
    return out
