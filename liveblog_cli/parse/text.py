"""HTML to plain text, and the cleaning every scraped string goes through."""

from __future__ import annotations

import html as htmllib
import re

# C0 controls except tab and newline, DEL, and C1 controls: never let a post drive a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANKS = re.compile(r"\n\s*\n+")
_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote figure figcaption section article "
    "header footer aside table tr pre hr dl dt dd".split()
)


def clean_text(value: str | None) -> str:
    """Control characters removed, runs of spaces folded, lines trimmed, paragraphs kept."""
    if not value:
        return ""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def clean_line(value: str | None) -> str:
    """One line of text (titles, names): all whitespace folded to single spaces."""
    return " ".join(clean_text(value).split())


def html_to_text(markup: str | None) -> str:
    """Readable plain text of an HTML fragment: paragraphs separated by blank lines."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup:
        return clean_text(htmllib.unescape(markup))
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, SyntaxError):
        # lxml refuses some fragments (e.g. only a comment); fall back to tag stripping.
        return clean_text(htmllib.unescape(re.sub(r"<[^>]*>", " ", markup)))
    parts: list[str] = [root.text or ""]
    _walk(root, parts)
    return clean_text("".join(parts))


def _walk(node, parts: list[str]) -> None:  # type: ignore[no-untyped-def]
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in ("script", "style", "template", "noscript") or not tag:
            if child.tail:
                parts.append(child.tail)
            continue
        block = tag in _BLOCK_TAGS
        if tag in ("td", "th"):
            parts.append(" ")
        if block:
            parts.append("\n\n" if tag not in ("br", "li", "tr", "dt", "dd") else "\n")
        if tag == "li":
            parts.append("• ")
        if child.text:
            parts.append(child.text)
        _walk(child, parts)
        if block:
            parts.append("\n\n" if tag not in ("br", "li", "tr", "dt", "dd") else "\n")
        if child.tail:
            parts.append(child.tail)
    return None


def text_to_html(text: str) -> str:
    """Plain text back to minimal, escaped HTML paragraphs (for sources that lost their markup)."""
    paragraphs = [p for p in clean_text(text).split("\n\n") if p]
    return "".join(f"<p>{htmllib.escape(p, quote=False)}</p>" for p in paragraphs)
