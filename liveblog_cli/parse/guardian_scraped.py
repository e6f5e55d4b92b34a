"""Re-published copies of Guardian live blogs, as scraper sites leave them.

A re-publisher (typically WordPress, whose "texturize" filter curls quotes) copies the page:
the key-events JSON survives with its ASCII quotes turned into typographic ones (`“ ” ″`),
its `<p>` tags turned into blank lines and, often, its start cut off; after it come the
rendered posts flattened to one paragraph each ("title author body Updated at 07.14 EST"),
with tweet-embed JSON debris in between.

Recovery, in order:
1. Read every key-event block out of the curled JSON with a tolerant parser that decides
   which quote ends a string by what follows it (`:` after a key; `,` + key or `}` after a
   value), not by the quote's shape.
2. Rebuild a block whose start was cut off from what survives (synthetic stable id).
3. Split the flattened text into posts, strip the debris (keeping tweet URLs), resolve
   "Updated at HH.MM TZ" against the page's date lines, and merge each post into the
   JSON block it repeats (matched by title or opening text) or keep it as a block of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from liveblog_cli.errors import Malformed, ParseError
from liveblog_cli.model import Block, Element, LiveBlog, stable_id
from liveblog_cli.parse.guardian_dcr import PUBLISHER, block_text, blog_id_from_url, dcr_block
from liveblog_cli.parse.page import Doc
from liveblog_cli.parse.source import Reach, Source
from liveblog_cli.parse.text import clean_text, text_to_html, without_surrogates

QUOTES = '"“”″„‟'
_Q = f"[{QUOTES}]"
_QUOTE_SET = frozenset(QUOTES)
# A structural fragment of curled JSON: quote, comma or colon, quote (`”,”` or `”:”`).
_STRUCTURE = re.compile(rf"{_Q}\s*[,:]\s*{_Q}\w")
_BLOCK_START = re.compile(
    rf"\{{\s*{_Q}id{_Q}\s*:\s*{_Q}[^{QUOTES}\s]{{1,200}}{_Q}\s*,\s*{_Q}elements{_Q}\s*:"
)
_ATTRIBUTES = re.compile(rf"\]\s*,\s*{_Q}attributes{_Q}\s*:\s*\{{")
_KEY_AFTER_COMMA = re.compile(rf"\s*,\s*{_Q}[A-Za-z_$@][\w$@.-]{{0,60}}{_Q}\s*:")
_VALUE_AFTER_COMMA = re.compile(rf"\s*,\s*(?:{_Q}|[{{\[\d-]|true\b|false\b|null\b)")
_STRING_SPECIAL = re.compile(r'[\\"“”″„‟]')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_DEBRIS_END = re.compile(rf"[}}\]]\s*{_Q}\s*/?>")
_TWEET_URL = re.compile(rf"{_Q}url{_Q}\s*:\s*{_Q}(https?://[^{QUOTES}\s]+){_Q}")
_UPDATED = re.compile(r"\s*Updated at (\d{1,2})[.:](\d{2})\s*([A-Z]{2,5})?\s*$")
_DATE_LINE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]* (?P<day>\d{1,2}) "
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* (?P<year>\d{4}) "
    r"(?P<h>\d{1,2})[.:](?P<m>\d{2}) ?(?P<tz>[A-Z]{2,5})"
)
# A tweet's closing signature as embeds render it: "— Name (@handle) November 11, 2022".
_SIGNATURE = re.compile(r"\(@\w{1,30}\)\s+[A-Z][a-z]+ \d{1,2}, \d{4}$")
_ENDS_SENTENCE = re.compile(r"[.!?…:;”\"’')\]]$")
_CREDIT = re.compile(r"Photograph: [^.]{1,120}$")
# Page furniture that scrapers keep between posts.
_FURNITURE = re.compile(
    r"^(?:Key events|Show key events only|Please turn on JavaScript to use this feature|"
    r"Live feed|Load more updates|Reuse this content|Show \d+ more|Skip to key events|"
    r"Skip to navigation|View image in fullscreen|Topics|Share|\s)+$",
    re.IGNORECASE,
)
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
# Zones as the Guardian prints them in date lines.
ZONE_OFFSETS = {
    "GMT": 0,
    "UTC": 0,
    "BST": 60,
    "IST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AEST": 600,
    "AEDT": 660,
    "ACST": 570,
    "ACDT": 630,
    "AWST": 480,
    "NZST": 720,
    "NZDT": 780,
    "JST": 540,
    "HKT": 480,
    "SGT": 480,
}

_WORD = re.compile(r"\w")
MARKERS = ("elementId", "_type", "pageElements", "blockCreatedOn")


class CurledJson:
    """A tolerant JSON reader for text whose quotes were typographically curled.

    A quote character ends a string only where valid JSON would continue after it, so the
    real curly quotes inside post text survive as text.
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)

    def _ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n and s[i] in " \t\r\n":
            i += 1
        return i

    def value(self, i: int, ctx: str = "top", depth: int = 0) -> tuple[Any, int]:
        if depth > 64:
            raise Malformed("too deep")
        i = self._ws(i)
        if i >= self.n:
            raise Malformed("end of text")
        c = self.s[i]
        if c == "{":
            return self._object(i + 1, depth)
        if c == "[":
            return self._array(i + 1, depth)
        if c in _QUOTE_SET:
            return self.string(i + 1, ctx)
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, i):
                return val, i + len(word)
        m = _NUMBER.match(self.s, i)
        if m:
            text = m.group()
            return (float(text) if any(ch in text for ch in ".eE") else int(text)), m.end()
        raise Malformed(f"unexpected {c!r} at {i}")

    def _object(self, i: int, depth: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        i = self._ws(i)
        if i < self.n and self.s[i] == "}":
            return out, i + 1
        while True:
            i = self._ws(i)
            if i >= self.n or self.s[i] not in _QUOTE_SET:
                raise Malformed(f"expected key at {i}")
            key, i = self.string(i + 1, "key")
            i = self._ws(i)
            if i >= self.n or self.s[i] != ":":
                raise Malformed(f"expected ':' at {i}")
            out[key], i = self.value(i + 1, "object", depth + 1)
            i = self._ws(i)
            if i < self.n and self.s[i] == ",":
                i += 1
                continue
            if i < self.n and self.s[i] == "}":
                return out, i + 1
            raise Malformed(f"expected ',' or '}}' at {i}")

    def _array(self, i: int, depth: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        i = self._ws(i)
        if i < self.n and self.s[i] == "]":
            return out, i + 1
        while True:
            item, i = self.value(i, "array", depth + 1)
            out.append(item)
            i = self._ws(i)
            if i < self.n and self.s[i] == ",":
                i += 1
                continue
            if i < self.n and self.s[i] == "]":
                return out, i + 1
            raise Malformed(f"expected ',' or ']' at {i}")

    def _ends_string(self, j: int, ctx: str) -> bool:
        """Would valid JSON continue after a quote at `j`, in this context?"""
        k = self._ws(j + 1)
        nxt = self.s[k] if k < self.n else ""
        if ctx == "key":
            return nxt == ":"
        if ctx == "top":
            return True
        closer = "}" if ctx == "object" else "]"
        if nxt == closer:
            return True
        if nxt != ",":
            return False
        follow = _KEY_AFTER_COMMA if ctx == "object" else _VALUE_AFTER_COMMA
        return follow.match(self.s, j + 1) is not None

    def string(self, i: int, ctx: str) -> tuple[str, int]:
        s, n = self.s, self.n
        out: list[str] = []
        start = i
        special = _STRING_SPECIAL
        while i < n:
            m = special.search(s, i)
            if m is None:
                break
            i = m.start()
            c = s[i]
            if c == "\\" and i + 1 < n:
                out.append(s[start:i])
                nxt = s[i + 1]
                if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[i + 2 : i + 6]):
                    out.append(chr(int(s[i + 2 : i + 6], 16)))
                    i += 6
                else:
                    out.append({"n": "\n", "t": "\t", "r": "", "b": "", "f": ""}.get(nxt, nxt))
                    i += 2
                start = i
                continue
            if c in _QUOTE_SET and self._ends_string(i, ctx):
                out.append(s[start:i])
                return "".join(out), i + 1
            i += 1
        raise Malformed("unterminated string")


@dataclass
class _Post:
    """A post from the flattened text: its paragraphs and the tweet URLs from its debris."""

    text: str = ""
    tweets: list[str] = field(default_factory=list)
    closed: bool = False


def looks_scraped(text: str) -> bool:
    """Curled JSON debris of a Guardian page: structural quotes that are not ASCII."""
    if "elementId”" not in text and "_type”" not in text:
        return False  # one cheap scan settles almost every page
    return any(f"”{m}”" in text or f"“{m}”" in text for m in MARKERS)


_STRAIGHT = str.maketrans({c: '"' for c in "“”″„‟"} | {c: "'" for c in "‘’′`"})


def _norm(value: str) -> str:
    """Text as compared across sources: quotes straightened, case and spacing folded."""
    return " ".join(value.translate(_STRAIGHT).casefold().split())


def _fold(value: str) -> str:
    """Like `_norm`, but index for index the same as `" ".join(value.split())`."""
    return " ".join(value.translate(_STRAIGHT).lower().split())


def _json_blocks(text: str) -> tuple[list[tuple[Block, bool]], list[tuple[int, int]]]:
    """Blocks read from the curled JSON, each with whether it was cut, and the spans used."""
    reader = CurledJson(text)
    found: list[tuple[Block, bool]] = []
    spans: list[tuple[int, int]] = []
    for m in _BLOCK_START.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        try:
            raw, end = reader.value(m.start())
        except Malformed:
            continue
        block = dcr_block(without_surrogates(raw))
        if block is not None:
            found.append((block, False))
            spans.append((m.start(), end))
    first_full = spans[0][0] if spans else len(text)
    partial = _cut_block(text, first_full)
    if partial is not None:
        block, span = partial
        found.insert(0, (block, True))
        spans.insert(0, span)
    return found, spans


def _cut_block(text: str, limit: int) -> tuple[Block, tuple[int, int]] | None:
    """The block whose beginning was cut off, rebuilt from what is left of it."""
    first = _STRUCTURE.search(text, 0, limit)
    if first is None:
        return None
    # The cut most often falls inside the html of a text element: the paragraph before the
    # first debris is the rest of that string.
    para_start = text.rfind("\n\n", 0, max(text.rfind("\n\n", 0, first.start()), 0))
    para_start = 0 if para_start < 0 else para_start + 2
    attempts = [
        (
            '{"elements":[{"_type":"model.dotcomrendering.pageElements.TextBlockElement","html":"',
            para_start,
        ),
    ]
    attributes = _ATTRIBUTES.search(text, first.start(), limit)
    if attributes:
        # Elsewhere: keep what follows the elements (flags, times, title, contributors).
        attempts.append(('{"elements":[', attributes.start()))
    for prefix, start in attempts:
        # Only up to the first whole block: the cut one must not swallow its neighbour.
        reader = CurledJson(prefix + text[start:limit])
        try:
            raw, end = reader.value(0)
        except Malformed:
            continue
        if not isinstance(raw, dict) or (not raw.get("title") and not raw.get("blockCreatedOn")):
            continue
        ident = stable_id(
            "guardian-cut-block",
            _norm(str(raw.get("title") or "")),
            raw.get("blockCreatedOn") or raw.get("blockFirstPublished") or "",
        )
        block = dcr_block(without_surrogates(raw), block_id=ident)
        if block is not None:
            return block, (start, start + end - len(prefix))
    return None


def _date_lines(text: str) -> tuple[datetime | None, datetime | None]:
    """(first published, last updated) from the page's date lines, as UTC instants."""
    first: datetime | None = None
    latest: datetime | None = None
    for m in _DATE_LINE.finditer(text):
        offset = ZONE_OFFSETS.get(m["tz"])
        if offset is None:
            continue
        try:
            local = datetime(
                int(m["year"]),
                _MONTHS.index(m["mon"][:3]) + 1,
                int(m["day"]),
                int(m["h"]),
                int(m["m"]),
                tzinfo=timezone(timedelta(minutes=offset)),
            )
        except ValueError:
            continue
        instant = local.astimezone(UTC)
        if text.endswith("First published on ", 0, m.start()):
            first = instant if first is None or instant < first else first
        else:
            latest = instant if latest is None or instant > latest else latest
    return first, latest


def resolve_clock(
    hour: int, minute: int, zone: str | None, first: datetime | None, latest: datetime | None
) -> datetime | None:
    """A bare "07.14 EST" as the latest instant at that clock time not after the last update.

    Live blogs run for hours or days; the date lines bound them, and a post's clock time
    names one instant within those bounds.
    """
    if latest is None or zone not in ZONE_OFFSETS or hour > 23 or minute > 59:
        return None
    tz = timezone(timedelta(minutes=ZONE_OFFSETS[zone]))
    day = latest.astimezone(tz)
    candidate = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    # Allow a minute of slack: the date line is rounded to the minute too.
    while candidate > latest + timedelta(minutes=1):
        candidate -= timedelta(days=1)
    if first is not None and candidate < first - timedelta(days=1):
        return None
    return candidate.astimezone(UTC)


def _strip_debris(paragraph: str) -> tuple[str, list[str], bool]:
    """(text left, tweet URLs, was debris) for a paragraph of the flattened text."""
    if not _STRUCTURE.search(paragraph):
        return paragraph, [], False
    urls = _TWEET_URL.findall(paragraph)
    ends = list(_DEBRIS_END.finditer(paragraph))
    rest = paragraph[ends[-1].end() :] if ends else ""
    return rest.strip(), urls, True


def _closes(text: str) -> bool:
    """Does a paragraph end where a post may end (so the next paragraph is a new post)?"""
    tail = text.rstrip()
    return bool(
        _UPDATED.search(tail)
        or _ENDS_SENTENCE.search(tail)
        or _SIGNATURE.search(tail)
        or _CREDIT.search(tail)
    )


def _flattened_posts(text: str) -> list[_Post]:
    posts: list[_Post] = []
    current: _Post | None = None
    for raw in re.split(r"\n\s*\n", text):
        paragraph = raw.strip()
        if not paragraph or _FURNITURE.match(paragraph) or not _WORD.search(paragraph):
            continue  # empty, page furniture, or punctuation left between JSON blocks
        rest, urls, debris = _strip_debris(paragraph)
        if debris:
            if current is None:
                continue  # leftover JSON with no post before it
            current.tweets += urls
            tail = _UPDATED.search(rest)
            rest_body = rest[: tail.start()].strip() if tail else rest
            # Embeds repeat the tweet's text after their data attribute: keep it once.
            if rest_body and _fold(current.text).endswith(_fold(rest_body)):
                rest = tail.group().strip() if tail else ""
            if rest:
                current.text = f"{current.text} {rest}".strip()
            current.closed = _closes(current.text) if rest else current.closed
            continue
        if current is not None and not current.closed:
            current.text = f"{current.text} {paragraph}"
        else:
            current = _Post(text=paragraph)
            posts.append(current)
        current.closed = _closes(current.text)
    return posts


def _outside(text: str, spans: list[tuple[int, int]]) -> str:
    """The text not covered by the JSON spans, with a paragraph break where each span was."""
    parts, pos = [], 0
    for start, end in sorted(spans):
        parts.append(text[pos:start])
        parts.append("\n\n")
        pos = max(pos, end)
    parts.append(text[pos:])
    return "".join(parts)


class _Matcher:
    """Finds the block a flattened post repeats: same title, or the same opening words."""

    def __init__(self) -> None:
        self.keys: list[tuple[Block, str, str]] = []

    def add(self, block: Block) -> None:
        title = _norm(block.title).rstrip("'\"") if block.title else ""
        self.keys.append((block, title, _norm(block.text[:400])[:120]))

    def match(self, post_text: str) -> Block | None:
        head = _norm(post_text[:2000])
        for block, title, _ in self.keys:
            if title and head.startswith(title):
                return block
        for block, _, opening in self.keys:
            if len(opening) >= 40 and opening in head[: len(opening) + 200]:
                return block
        return None


def _without_heading(post_text: str, block: Block) -> str:
    """A flattened post's body: its title and byline removed."""
    body = post_text
    if block.title:
        title_words = len(block.title.split())
        body = " ".join(body.split()[title_words:])
    for author in block.authors:
        if body.startswith(author):
            body = body[len(author) :].lstrip()
    return body


def _restore_start(block: Block, flat: str) -> None:
    """Give a block whose JSON was cut the beginning that only its flattened copy still has."""
    flat = " ".join(flat.split())
    texts = [e for e in block.elements if e.kind == "text" and e.text]
    if not texts:
        block.elements.insert(
            0, Element("text", text=flat, html=text_to_html(flat), extra={"source": "flattened"})
        )
        return
    opening = _fold(
        clean_text(texts[0].html if texts[0].html and "<" not in texts[0].html else texts[0].text)
    )[:60]
    pos = _fold(flat).find(opening) if opening else -1
    if pos > 0:
        missing = flat[:pos].strip()
        block.elements.insert(
            0,
            Element(
                "text", text=missing, html=text_to_html(missing), extra={"source": "flattened"}
            ),
        )


def parse_scraped(text: str, url: str | None = None) -> LiveBlog:
    """A scraped copy of a Guardian live blog to a LiveBlog (source_format `guardian-scraped`)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found, spans = _json_blocks(text)
    if not found:
        raise ParseError("not a live blog: no recoverable Guardian blocks in scraped text")
    first, latest = _date_lines(text)
    json_blocks = [b for b, _ in found]
    cut = {id(b) for b, was_cut in found if was_cut}
    extra: list[Block] = []
    sequence: list[Block] = []  # the flattened posts' blocks in page order, for ordering
    matcher = _Matcher()
    for block in json_blocks:
        matcher.add(block)
    for post in _flattened_posts(_outside(text, spans)):
        body = post.text
        updated = None
        m = _UPDATED.search(body)
        if m:
            updated = resolve_clock(int(m[1]), int(m[2]), m[3], first, latest)
            body = body[: m.start()].rstrip()
        if not clean_text(body):
            continue
        match = matcher.match(body)
        if match is not None:
            if id(match) in cut:
                _restore_start(match, _without_heading(body, match))
            if match.updated_at is None:
                match.updated_at = updated
            sequence.append(match)
            continue
        body = clean_text(body)
        elements = [Element("text", text=body, html=text_to_html(body))]
        elements += [
            Element("tweet", url=u, extra={"type": "TweetBlockElement"})
            for u in dict.fromkeys(post.tweets)
        ]
        extra.append(
            Block(
                id=stable_id("guardian-flattened-post", _norm(body)[:160]),
                updated_at=updated,
                elements=elements,
                text=block_text(elements),
                html=text_to_html(body),
            )
        )
        sequence.append(extra[-1])
        matcher.add(extra[-1])
    for block, _ in found:
        # Recovered html lost its tags: rebuild safe paragraphs from the recovered text.
        for element in block.elements:
            if element.kind in ("text", "blockquote") and element.html and "<" not in element.html:
                element.text = clean_text(element.html)
                element.html = text_to_html(element.text)
        if block.elements:
            block.text = block_text(block.elements)
        block.html = text_to_html(block.text)
    # No guessing the blog's URL from links in the text: a post may link to another blog.
    blog_url = url
    blog_id = blog_id_from_url(blog_url) or stable_id(
        "guardian-scraped", first.isoformat() if first else "", *sorted(b.id for b in json_blocks)
    )
    blocks = _ordered(json_blocks + extra, sequence)
    times = [b.updated_at for b in blocks if b.updated_at]
    return LiveBlog(
        id=blog_id,
        url=blog_url,
        title=None,
        publisher=PUBLISHER,
        is_live=None,
        published_at=first,
        updated_at=latest or (max(times) if times else None),
        source_format="guardian-scraped",
        blocks=blocks,
    )


def _ordered(blocks: list[Block], sequence: list[Block]) -> list[Block]:
    """Newest first. A post with no time of its own sorts with the post above it on the page."""
    floor = datetime.min.replace(tzinfo=UTC)
    inherited: dict[int, datetime] = {}
    above: datetime | None = None
    for block in sequence:
        if block.sort_time:
            above = block.sort_time
        elif above is not None:
            inherited[id(block)] = above
    return sorted(blocks, key=lambda b: b.sort_time or inherited.get(id(b)) or floor, reverse=True)


__all__ = ["CurledJson", "looks_scraped", "parse_scraped", "resolve_clock"]


def _bytes_say(raw: bytes, needles: tuple[str, ...]) -> bool:
    """`any(n in text for n in needles)` for the text decoded from the UTF-8 bytes `raw`
    (invalid bytes replaced by U+FFFD), asked of the bytes: a search of their UTF-8 is the
    cheaper scan. The same answer for needles without U+FFFD: each character of the text
    comes from its own encoding in the bytes (a replaced byte never from another's), and
    the decoder starts afresh at every ASCII byte and lead byte, as the needles do."""
    return any(n.encode("utf-8") in raw for n in needles)


def _looks_scraped_bytes(raw: bytes) -> bool:
    """`looks_scraped` of the text decoded from the UTF-8 bytes `raw` (see `_bytes_say`)."""
    if not _bytes_say(raw, ("elementId”", "_type”")):
        return False
    return _bytes_say(raw, tuple(f"{q}{m}”" for m in MARKERS for q in "”“"))


def _scraped_text(doc: Doc) -> str | None:
    """The page's text if it is a scraped copy (its curled quotes perhaps written as
    entities, `&#8220;`), else None. Asked of the page's UTF-8 bytes where it has them."""

    def find() -> str | None:
        raw = doc.raw
        if ("&#822" in doc.text) if raw is None else (b"&#822" in raw):
            import html as htmllib

            unescaped = htmllib.unescape(doc.text)
            if looks_scraped(unescaped):
                return unescaped
        scraped = looks_scraped(doc.text) if raw is None else _looks_scraped_bytes(raw)
        return doc.text if scraped else None

    return doc.once("scraped", find)


SCRAPED = Source(
    "guardian-scraped",
    "text",
    sniff=lambda doc: _scraped_text(doc) is not None,
    read=lambda doc: parse_scraped(_scraped_text(doc) or doc.text, doc.url),
    hosts=Reach.guardian_aliases,
)
