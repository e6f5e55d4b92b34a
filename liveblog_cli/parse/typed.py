"""Values read from a page, typed: what a reader expects, or nothing.

A page's JSON (and its links) can hold anything anywhere: a list where a name is, a number
where text is, `1e400` where a count is, `http://[` where a URL is. Every reader reads what
it decoded through these, so a value of the wrong type falls back the same way in all of
them: as if it were absent (an empty dict or list, None), never as an exception. Text that
is there keeps whatever characters it holds (cleaning is text.py's job).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """A non-empty string, else None (a number is not text: `5` is no title)."""
    return value if isinstance(value, str) and value else None


def as_words(value: Any) -> str | None:
    """A string with something in it besides whitespace, else None."""
    return value if isinstance(value, str) and value.strip() else None


def as_int(value: Any) -> int | None:
    """A whole number however it is written: a JSON number (a fraction cut to its whole
    part) or a numeric string; None for anything else (a boolean, `1e400`, NaN, a list)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:  # not a number, or longer than Python will convert
            return None
    return None


def split_url(url: str | None) -> SplitResult | None:
    """A URL's parts; None for no URL, or one Python cannot split (`http://[x`)."""
    if not url:
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def url_path(url: str | None) -> str:
    """A URL's path without slashes at its ends; "" for no URL or one that cannot be read."""
    parts = split_url(url)
    return parts.path.strip("/") if parts is not None else ""


def joined(base: str, link: str) -> str:
    """`link` resolved against `base`; `link` as it is when either cannot be read."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


__all__ = ["as_dict", "as_int", "as_list", "as_str", "as_words", "joined", "split_url", "url_path"]
