"""The normalized live-blog model: plain dataclasses with one stable JSON shape.

Every parser produces these; the archive, renderer and exporters only read them.
`to_dict()` is the exact JSON shape printed by `liveblog parse` and `liveblog export`
(documented in README.md): keys always present, always in this order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

# The block JSON shape, key by key, in order (`Block.to_dict`): the archive's columns, its
# export lines and the history view derive from these lists rather than spelling them again.
BLOCK_FIELDS = (
    "id",
    "title",
    "created_at",
    "published_at",
    "updated_at",
    "key_event",
    "pinned",
    "summary",
    "authors",
    "text",
    "html",
    "elements",
)
FLAG_FIELDS = ("key_event", "pinned", "summary")
LIST_FIELDS = ("authors", "elements")  # lists, stored as JSON
# What the archive adds to a block when it exports it: its blog first, bookkeeping last.
ARCHIVE_FIELDS = ("revision", "edits", "first_seen_at", "last_seen_at", "deleted_at")
EXPORT_FIELDS = ("blog_id", *BLOCK_FIELDS, *ARCHIVE_FIELDS)


# How much of a post each kind of source carries. 3: the publisher's own structured data
# (ids, flags, authors, typed elements); 2: a rendered page read together with structured
# data; 1 (any other): schema.org data or the page's shape alone. A thinner source never
# overwrites what a richer one gave (see Archive.save and README, "Sources of different
# richness").
_RICHNESS = {
    "guardian-dcr": 3,
    "guardian-capi": 3,
    "bbc-simorgh": 3,
    "sourcefabric": 3,
    "guardian-html": 2,
    "reach-plc": 2,
    "jsonld+html": 2,
    "wp-liveblog": 2,  # ids, exact times, authors and flags from the plugin's own markup
}


# Scripts written right to left, by the primary subtag of a language tag.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi"}
)


def language_tag(value: object) -> str | None:
    """A language tag as pages give it (`ar`, `en_GB`, `hi-IN`, schema.org's Language), made
    a clean BCP 47 tag, or None for anything that is not one (`English`)."""
    import re

    if isinstance(value, dict):  # schema.org's Language: {"name": "English", "alternateName": "en"}
        value = value.get("alternateName")
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}", tag) else None


def is_rtl(language: str | None) -> bool:
    return bool(language) and language.split("-", 1)[0].lower() in RTL_LANGUAGES  # type: ignore[union-attr]


def richness(source_format: str | None) -> int:
    return _RICHNESS.get(source_format or "", 1)


# Hosts whose blog ids are global (the Guardian's pageId names one blog on any mirror).
GLOBAL_ID_HOSTS = ("theguardian.com",)


def host_key(url: str | None) -> str | None:
    """A URL's host as blog ids carry it: lower case, no `www.`, the port kept."""
    if not url or "://" not in url:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    return f"{host}:{port}" if port and port not in (80, 443) else host


def global_ids(source_format: str | None) -> bool:
    """Whether a format's blog ids name one blog on any host (the Guardian's pageId and
    paths): such an id is kept as it is, never qualified by a host. Who may give one is
    parse/'s question (parse/identity.py): only a page from one of its publisher's hosts."""
    return (source_format or "").startswith("guardian")


def qualified_blog_id(blog_id: str, url: str | None, source_format: str | None) -> str:
    """A blog id that no two hosts share: `host/path` for an id made from its URL's path.

    Publishers whose ids are global (the Guardian's) keep them; so do ids that are not the
    URL's path (hashes, a platform's own ids).
    """
    host = host_key(url)
    if host is None or global_ids(source_format):
        return blog_id
    if any(host == h or host.endswith("." + h) for h in GLOBAL_ID_HOSTS):
        return blog_id
    from urllib.parse import urlsplit

    path = urlsplit(url or "").path.strip("/")
    return f"{host}/{blog_id}" if blog_id == path and path else blog_id


@overload
def iso_z(value: datetime) -> str: ...
@overload
def iso_z(value: None) -> None: ...
@overload
def iso_z(value: datetime | None) -> str | None: ...


def iso_z(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with a `Z`, to the second."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    # Always four digits of year (strftime writes 999 for 999): these strings sort as times.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def from_epoch_ms(value: Any) -> datetime | None:
    """Epoch milliseconds (the Guardian's unit) to an aware datetime; junk gives None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 string (with `Z`, `+0000` or `+00:00`) to an aware UTC datetime.

    A string without a zone is taken as UTC: better a known convention than a local guess.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.11 reads "+0000" but not "+05:30" without colon in all cases; normalize both.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def stable_id(*parts: object) -> str:
    """A short id for a block that has none of its own: the same inputs give the same id."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"h-{digest[:20]}"


@dataclass
class Element:
    kind: str
    text: str | None = None
    html: str | None = None
    url: str | None = None
    caption: str | None = None
    credit: str | None = None
    alt: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "html": self.html,
            "url": self.url,
            "caption": self.caption,
            "credit": self.credit,
            "alt": self.alt,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Element:
        return cls(
            kind=data.get("kind") or "unknown",
            text=data.get("text"),
            html=data.get("html"),
            url=data.get("url"),
            caption=data.get("caption"),
            credit=data.get("credit"),
            alt=data.get("alt"),
            extra=dict(data.get("extra") or {}),
        )


@dataclass
class Block:
    id: str
    title: str | None = None
    created_at: datetime | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    key_event: bool = False
    pinned: bool = False
    summary: bool = False
    authors: list[str] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    text: str = ""
    html: str | None = None
    # What the parser read this post from, exactly (the publisher's JSON object for it, as
    # decoded), when every field above but `id` and the flags follows from it alone: the
    # archive fingerprints it to tell an unchanged post without hashing what it says (see
    # archive/saving.py, `fingerprint`). None (the default): no shortcut, the full
    # comparison. Whatever changes a block's content after its parser must set it to None.
    source: Any = field(default=None, repr=False, compare=False)

    @property
    def sort_time(self) -> datetime | None:
        """The time a reader sees the post under: first published, else created, else edited."""
        return self.published_at or self.created_at or self.updated_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": iso_z(self.created_at),
            "published_at": iso_z(self.published_at),
            "updated_at": iso_z(self.updated_at),
            "key_event": self.key_event,
            "pinned": self.pinned,
            "summary": self.summary,
            "authors": list(self.authors),
            "text": self.text,
            "html": self.html,
            "elements": [e.to_dict() for e in self.elements],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        return cls(
            id=str(data["id"]),
            title=data.get("title"),
            created_at=parse_iso(data.get("created_at")),
            published_at=parse_iso(data.get("published_at")),
            updated_at=parse_iso(data.get("updated_at")),
            key_event=bool(data.get("key_event")),
            pinned=bool(data.get("pinned")),
            summary=bool(data.get("summary")),
            authors=list(data.get("authors") or []),
            elements=[Element.from_dict(e) for e in data.get("elements") or []],
            text=data.get("text") or "",
            html=data.get("html"),
        )


@dataclass
class LiveBlog:
    id: str
    url: str | None = None
    title: str | None = None
    standfirst: str | None = None
    publisher: str | None = None
    is_live: bool | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source_format: str = "unknown"
    blocks: list[Block] = field(default_factory=list)
    # Other pages of a paginated blog, by relation ("newer", "newest", "older", "oldest"),
    # as absolute URLs.
    pages: dict[str, str] = field(default_factory=dict)
    # Ids of the posts this page itself shows in its body, when the source says (a Guardian
    # page also lists key events from other pages). The archive uses it to know which part
    # of the blog a page covered; it is bookkeeping, not part of the JSON shape.
    body_ids: list[str] | None = field(default=None, repr=False)
    # True only when the source says this page is the whole blog (one page of one). Otherwise
    # the page speaks for the span of posts it shows, and no further (see Archive.save).
    complete: bool = field(default=False, repr=False)
    # Posts the source itself says were deleted (tombstones in a change feed): the archive
    # marks them deleted whatever page they were on.
    deleted_ids: list[str] = field(default_factory=list, repr=False)
    # False when a page's posts are not a run in time (a feed sorted by last update): then
    # nothing may be inferred deleted from its absence, only from `deleted_ids`.
    time_ordered: bool = field(default=True, repr=False)
    # How many pages the whole blog has, when the source says (for "read 2 of 5 pages").
    page_count: int | None = field(default=None, repr=False)
    # The language it is written in (a BCP 47 tag, `ar`, `hi`, `en-GB`) when the source says:
    # kept with the blog, it gives the HTML export its `lang` and direction.
    language: str | None = field(default=None, repr=False)
    # The URL the page named itself by (its canonical link, JSON-LD `url`, Guardian pageId),
    # when that was not taken: the page came from elsewhere, and the blog is named by where
    # it came from (see parse/identity.py). Kept as data; not part of the JSON shape.
    claimed_url: str | None = field(default=None, repr=False)

    def to_dict(self, *, blocks: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "standfirst": self.standfirst,
            "publisher": self.publisher,
            "is_live": self.is_live,
            "published_at": iso_z(self.published_at),
            "updated_at": iso_z(self.updated_at),
            "authors": list(self.authors),
            "tags": list(self.tags),
            "source_format": self.source_format,
            "pages": dict(self.pages),
        }
        if blocks:
            out["blocks"] = [b.to_dict() for b in self.blocks]
        return out


def merge_block(into: Block, other: Block) -> Block:
    """Fold a second sighting of the same post into the first, losing nothing.

    The same block is met on several pages, in the key-events list and in the body:
    flags are ORed, missing fields filled, and the fuller body kept.
    """
    into.source = None  # no longer what one source said alone
    into.key_event = into.key_event or other.key_event
    into.pinned = into.pinned or other.pinned
    into.summary = into.summary or other.summary
    into.title = into.title or other.title
    into.created_at = into.created_at or other.created_at
    into.published_at = into.published_at or other.published_at
    if other.updated_at and (into.updated_at is None or other.updated_at > into.updated_at):
        into.updated_at = other.updated_at
    if not into.authors:
        into.authors = list(other.authors)
    if len(other.elements) > len(into.elements):
        into.elements = other.elements
    if len(other.text) > len(into.text):
        into.text = other.text
        into.html = other.html or into.html
    into.html = into.html or other.html
    return into


def merge_blocks(blocks: list[Block]) -> list[Block]:
    """Blocks with duplicates (same id) merged, first sighting's position kept."""
    by_id: dict[str, Block] = {}
    for block in blocks:
        if block.id in by_id:
            merge_block(by_id[block.id], block)
        else:
            by_id[block.id] = block
    return list(by_id.values())


def distinct_ids(blocks: list[Block]) -> list[Block]:
    """Hashed ids (`h-`) that two different posts share are told apart by what they say.

    A post without an id of its own is known by a hash of its time; posts of the same
    second get their headline folded in, and only if that is shared too, their opening
    words. The same post listed twice keeps one id, so it is merged rather than doubled.
    """
    for part in (lambda b: b.title or "", lambda b: b.text[:200]):
        counts: dict[str, int] = {}
        for block in blocks:
            counts[block.id] = counts.get(block.id, 0) + 1
        for block in blocks:
            if counts[block.id] > 1 and block.id.startswith("h-"):
                block.id = stable_id(block.id, part(block))
    return blocks


def newest_first(blocks: list[Block]) -> list[Block]:
    """Blocks ordered newest first by publication time; untimed ones keep their place at the end."""
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(blocks, key=lambda b: b.sort_time or floor, reverse=True)
