"""Live blogs a page embeds from a platform of someone else's: named, since they cannot be read.

A publisher that runs its live blog on Tickaroo, ScribbleLive, Arena, 24liveblog or the
WordPress Liveblog plugin's script often serves a page holding only the platform's embed
code: a placeholder element and a script that fills it in the reader's browser. Such a page
has no posts of its own to read. Rather than "no posts", the user is told which platform,
and which of its tickers, the page shows (`EmbeddedPlatform`, exit 65), so they know where
the posts live. Only asked of a page that gave no posts: a page with posts of its own and an
embed besides is read as any other.

Each platform is recognised by its public embed snippet: the placeholder element and its
data attributes (which carry the ticker's id), else the platform's script or frame address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from liveblog_cli.errors import EmbeddedPlatform
from liveblog_cli.parse.page import on_page, tagged, xpath
from liveblog_cli.parse.typed import split_url


@dataclass(frozen=True)
class Embed:
    """A platform's live blog a page shows: the platform, what it calls one, and its id."""

    platform: str
    noun: str
    ticker: str | None

    def error(self) -> EmbeddedPlatform:
        named = f" {self.ticker}" if self.ticker else ""
        article = "an" if self.platform[:1] in "AEIOU" else "a"
        return EmbeddedPlatform(
            f"this page embeds {article} {self.platform} {self.noun}{named}; "
            f"liveblog cannot read {self.platform} yet",
            platform=self.platform,
            ticker=self.ticker,
        )


# An id as platforms write them (hex, digits, slugs, `publisher/event`). Anything else (too
# long, spaces, controls) is page text that no message should carry: left out.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}")


def _id(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if _ID.fullmatch(value) else None


def _attr(node: Any, *names: str) -> str | None:
    """The first of the attributes that holds an id (lxml keeps HTML names lower case)."""
    return next((found for name in names if (found := _id(node.get(name)))), None)


def _loaders(root: Any, host: str) -> list[tuple[str, Any]]:
    """(address, element) of what the page loads from `host`: scripts, frames and style
    sheets by their address, and inline scripts that write one (a loader snippet)."""
    found = []
    nodes = [*tagged(root, "script"), *tagged(root, "link"), *on_page(root, "//iframe")]
    for node in nodes:
        address = node.get("src") or node.get("href") or node.get("data-src") or ""
        if not address and node.tag == "script":
            address = node.text or ""
        if host in address.lower():
            found.append((address, node))
    return found


def _query(address: str, *keys: str) -> str | None:
    """A query parameter of an address: the first of `keys` it gives."""
    parts = split_url(address if "//" in address else f"//{address}")
    query = parse_qs(parts.query) if parts is not None else {}
    lowered = {k.lower(): v for k, v in query.items()}
    return next((found for k in keys if (found := _id((lowered.get(k) or [""])[0]))), None)


def _from_host(
    root: Any,
    embed: tuple[str, str],
    host: str,
    read: Callable[[str], str | None],
    names: tuple[str, ...] = (),
) -> Embed | None:
    """The platform's embed (`embed`: its name and noun) when the page loads something from
    its `host`, named by the first address (or the loading element's `names` attributes)
    that names a ticker."""
    loaders = _loaders(root, host)
    if not loaders:
        return None
    ticker = next((found for a, node in loaders if (found := read(a) or _attr(node, *names))), None)
    return Embed(*embed, ticker)


def _first(root: Any, expr: str) -> Any | None:
    return next(iter(xpath(expr)(root)), None)


# --- the platforms ------------------------------------------------------------------------------


def _tickaroo(root: Any) -> Embed | None:
    """`<tickaroo-liveblog liveblogId=... themeId=... clientId=...>` and the tik4.js script
    (older embeds: an element whose class or id says tickaroo, with the id in data-)."""
    node = _first(
        root,
        "//tickaroo-liveblog | //*[contains(@class, 'tickaroo') or contains(@id, 'tickaroo')]"
        "[@data-liveblog-id or @data-liveblogid or @data-ticker-id or @data-id]",
    )
    if node is not None:
        return Embed("Tickaroo", "ticker", _attr(node, *_TICKAROO_IDS))

    def read(address: str) -> str | None:
        m = _HEX_ID.search(address)
        return _query(address, "liveblogid", "id") or (m[0] if m else None)

    return _from_host(root, ("Tickaroo", "ticker"), "tickaroo.com", read, _TICKAROO_IDS)


# Where Tickaroo's embeds put the ticker's id (24 hex digits).
_TICKAROO_IDS = ("liveblogid", "data-liveblog-id", "data-liveblogid", "data-ticker-id", "data-id")
_HEX_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])")
_EVENT_PATH = re.compile(r"/event/(\d+)")


def _scribblelive(root: Any) -> Embed | None:
    """`<div class="scrbbl-embed" data-src="/event/<event id>/<...>">` and the script from
    embed.scribblelive.com (older: a frame of `Embed/v7.aspx?Id=<event id>`)."""
    node = _first(root, "//*[contains(@class, 'scrbbl-embed')]")
    if node is not None:
        m = _EVENT_PATH.search(node.get("data-src") or "")
        return Embed("ScribbleLive", "event", m[1] if m else _id(node.get("data-src")))

    def read(address: str) -> str | None:
        m = _EVENT_PATH.search(address)
        return m[1] if m else _query(address, "id", "eventid")

    return _from_host(root, ("ScribbleLive", "event"), "scribblelive.com", read)


def _arena(root: Any) -> Embed | None:
    """`<div class="arena-embed-widget" data-publisher=... data-event=...>` and the arena.im
    script or frame (`?p=<publisher>&e=<event>`)."""
    node = _first(root, "//*[contains(@class, 'arena-')][@data-event]")
    if node is not None:
        return Embed(
            "Arena", "live blog", _pair(node.get("data-publisher"), node.get("data-event"))
        )

    def read(address: str) -> str | None:
        return _pair(
            _query(address, "p", "publisher", "publisherslug"),
            _query(address, "e", "event", "eventslug"),
        )

    return _from_host(root, ("Arena", "live blog"), "arena.im", read)


def _pair(publisher: str | None, event: str | None) -> str | None:
    """Arena names an event within its publisher: `publisher/event`."""
    publisher, event = _id(publisher), _id(event)
    return f"{publisher}/{event}" if publisher and event else event


def _liveblog24(root: Any) -> Embed | None:
    """`<div id="LB24_LIVE_CONTENT" data-eid="<event id>">` and the script from
    v.24liveblog.com (or its frame, `?id=<event id>`)."""
    node = _first(root, "//*[starts-with(@id, 'LB24')][@data-eid]")
    if node is not None:
        return Embed("24liveblog", "event", _attr(node, "data-eid"))

    def read(address: str) -> str | None:
        return _query(address, "id", "eid")

    return _from_host(root, ("24liveblog", "event"), "24liveblog.com", read, ("data-eid",))


_SETTINGS_POST = re.compile(
    r"""liveblog_settings\s*=\s*\{.*?["']post_id["']\s*:\s*["']?(\d+)""", re.S
)


def _wordpress(root: Any) -> Embed | None:
    """The WordPress Liveblog plugin (Automattic's) as its script renders it: an empty
    `<div id="wpcom-liveblog-container" class="<post id>">` and `liveblog_settings`. (Its
    older pages render the entries in the page: parse/wordpress.py reads those.)"""
    node = _first(root, "//*[@id='wpcom-liveblog-container' or @id='liveblog-container']")
    if node is not None:
        return Embed("WordPress Liveblog", "live blog", _id(node.get("class")))
    for script in tagged(root, "script"):
        m = _SETTINGS_POST.search(script.text or "")
        if m:
            return Embed("WordPress Liveblog", "live blog", m[1])
    return None


# Placeholders first (they name their ticker), platform by platform.
_PLATFORMS = (_tickaroo, _scribblelive, _arena, _liveblog24, _wordpress)


def embedded(root: Any) -> Embed | None:
    """The platform live blog a page embeds, if it embeds one."""
    return next((found for find in _PLATFORMS if (found := find(root)) is not None), None)


__all__ = ["Embed", "embedded"]
