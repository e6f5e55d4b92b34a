"""The language of a page, where its reader did not say it.

Kept with the blog, it gives the html export its `lang` and direction. An HTML page says it
in `<html lang>` or its head's metas; a JSON page in a `lang`-like key of its own.
"""

from __future__ import annotations

from typing import Any

from liveblog_cli.model import LiveBlog, language_tag
from liveblog_cli.parse.page import Doc


def with_language(blog: LiveBlog, doc: Doc, kind: str) -> LiveBlog:
    """The blog's language, where its reader did not say it (kept with the blog, it gives
    the html export its `lang` and direction)."""
    if blog.language is None:
        blog.language = _html_language(doc.root) if kind == "html" else _json_language(doc.json)
    return blog


_LANGUAGE_METAS = ("content-language", "og:locale", "language")


def _html_language(root: Any) -> str | None:
    """`<html lang>`, else the head's content-language, og:locale or language meta."""
    found = language_tag(root.get("lang"))
    head = root.find("head")
    for meta in head.iter("meta") if found is None and head is not None else ():
        name = meta.get("http-equiv") or meta.get("property") or meta.get("name") or ""
        if name.lower() in _LANGUAGE_METAS:
            found = language_tag((meta.get("content") or "").split(",")[0])
            if found:
                break
    return found


def _json_language(value: Any) -> str | None:
    """A JSON page's own `lang`, `language` or `inLanguage`, at its top or under `data` (as
    the BBC gives it)."""
    return json_language(value, value.get("data")) if isinstance(value, dict) else None


def json_language(top: dict[str, Any], data: Any) -> str | None:
    """`_json_language` of a page whose top is `top` (its language keys are enough) and whose
    `data` is `data`."""
    places: list[Any] = [top, data]
    for place in places:
        for key in ("lang", "language", "inLanguage") if isinstance(place, dict) else ():
            if tag := language_tag(place.get(key)):
                return tag
    return None
