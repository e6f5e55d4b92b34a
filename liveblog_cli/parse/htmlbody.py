"""A rendered post body (an lxml element) as typed Elements: prose, images, tweets, embeds."""

from __future__ import annotations

from typing import Any

from liveblog_cli.model import Element
from liveblog_cli.parse.text import clean_line, html_to_text

_CONTAINERS = frozenset("div section span main article".split())
_VIDEO_HOSTS = ("youtube.com", "youtube-nocookie.com", "youtu.be", "vimeo.com", "dailymotion.com")


def _html(node: Any) -> str:
    from lxml import html as lxml_html

    return lxml_html.tostring(node, encoding="unicode", with_tail=False)


def _image(node: Any) -> Element | None:
    img = node if node.tag == "img" else next(iter(node.iter("img")), None)
    src = None
    if img is not None:
        src = img.get("src") or img.get("data-src")
        if not src and img.get("srcset"):
            src = img.get("srcset").split(",")[0].split()[0]
    if not src:
        source = next(iter(node.iter("source")), None)
        if source is not None and source.get("srcset"):
            src = source.get("srcset").split(",")[0].split()[0]
    if not src:
        return None
    caption = None
    figcaption = next(iter(node.iter("figcaption")), None)
    if figcaption is not None:
        caption = clean_line(figcaption.text_content()) or None
    return Element(
        "image",
        url=src,
        caption=caption,
        alt=clean_line(img.get("alt")) or None if img is not None else None,
    )


def _classes(node: Any) -> str:
    return f" {node.get('class') or ''} ".lower()


def body_elements(root: Any) -> list[Element]:
    """Typed elements of a body node, in document order. Anything unrecognised is kept as text."""
    out: list[Element] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            markup = "".join(pending)
            text = html_to_text(markup)
            if text:
                out.append(Element("text", text=text, html=markup))
            pending.clear()

    def visit(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or tag in ("script", "style", "noscript", "template", "button", "svg"):
            return
        classes = _classes(node)
        if tag == "blockquote" and ("twitter-tweet" in classes or "tweet" in classes):
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
        elif tag in ("figure", "img", "picture"):
            image = _image(node)
            if image is not None:
                flush()
                out.append(image)
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
