"""The generic fallback: a live blog recognised by its shape, for pages with no structured posts.

A live blog renders as a run of sibling elements of one kind (same tag, same classes), each
a post carrying prose rather than links. Two kinds of run are looked for:

- posts that each hold a `<time datetime>` (with a "live" hint in the URL, title or markup);
- tickers: siblings that each carry an `id`, often with nothing but a local clock ("14:32")
  for a time, inside a `LiveBlogPosting` (microdata or JSON-LD) that lists no posts itself,
  or on a page with a live hint whose entries show clock times.

A clock without a date is resolved against the page's own date (its JSON-LD or meta dates)
in the UTC offset those dates state; where the page states no zone, the time is kept as
shown (`extra["local_time"]`) and no instant is invented. A match minute ("88'") times an
entry without an instant (`extra["match_minute"]`). Index pages (teasers: mostly link text)
and ordinary articles (one time, no run) do not look like any of this.

Entries of one ticker differ in their classes (`tick tick--goal`, `tick tick--card`): the
siblings that share a class word are one run too. Of the runs found, those that look like
coverage (most entries timed, and saying more than a score) come before those that do not
(a table of results beside the ticker, its rows as id'd as the entries); then the larger.
A class word naming a highlight that some entries carry and others not marks key events.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from statistics import median
from typing import Any

from liveblog_cli.model import Block, LiveBlog, distinct_ids, newest_first, parse_iso, stable_id
from liveblog_cli.parse.htmlbody import body_elements
from liveblog_cli.parse.page import LIVEBLOG_SCOPES, Doc, canonical_link, on_page, xpath
from liveblog_cli.parse.source import Source
from liveblog_cli.parse.text import clean_line
from liveblog_cli.parse.typed import url_path

MIN_POSTS = 3
MIN_MEDIAN_CHARS = 60
# Ticker entries are short ("14:32 Goal! 1-0."); their ids and clocks say what they are.
MIN_TICKER_CHARS = 20
MAX_LINK_DENSITY = 0.5
_LIVE_HINT = re.compile(
    r"\blive\b|liveblog|live-blog|live_blog|/live/|\bdiretta\b|\ben direct\b"
    r"|\bticker\b|\bliveticker\b|\ben vivo\b|\bao vivo\b",
    re.I,
)
# A clock as pages show it: 14:32, 14.32, 14h32, 2:32 pm.
_CLOCK = re.compile(
    r"(?<![\d.:])([01]?\d|2[0-3])\s?[:.h]\s?([0-5]\d)(?![\d:])(?:\s?([ap])\.?\s?m\b\.?)?", re.I
)
# Class words of the element that shows an entry's clock ("entry-time", "timestamp", "uhrzeit").
_CLOCK_WORDS = frozenset(
    "time hour hours clock date datetime uhr uhrzeit zeit heure hora ora".split()
)
_LEADING_CLOCK = 12  # a clock opening an entry's text sits within its first characters
# A match minute as sports tickers show it: 88', 90+3'.
_MINUTE = re.compile(r"(?<![\d:.])(\d{1,3})(?:\s?\+\s?(\d{1,2}))?\s?['′’´]")
# A result: 2 – 1, 3:0 (what a table of scores is made of).
_SCORE = re.compile(r"(?<![\d:.])\d{1,2}\s?[-–—:]\s?\d{1,2}(?![\d:.])")
_WORD = re.compile(r"[^\W\d_]{2,}")
# Entries of a table of scores say little besides the score: team names.
MAX_SCORE_WORDS = 6
# Class words (split at - and _) that mark an entry as one of the moments that matter.
_HIGHLIGHT_WORDS = frozenset(
    "highlight highlighted important key keyevent keyevents keymoment wichtig".split()
)


def _signature(node: Any) -> tuple[str, str]:
    return node.tag, " ".join(sorted((node.get("class") or "").split()))


def _link_density(node: Any, text_length: int) -> float:
    linked = sum(len(a.text_content()) for a in node.iter("a"))
    return linked / text_length if text_length else 1.0


# --- runs of posts ------------------------------------------------------------------------------


@dataclass
class _Run:
    members: list[Any]
    ticker: bool  # found by ids rather than by <time datetime>


def _timed_runs(root: Any) -> list[_Run]:
    """Groups of same-signature siblings, each member holding a <time datetime>."""
    groups: dict[tuple[Any, tuple[str, str]], list[Any]] = defaultdict(list)
    for time in root.iter("time"):
        if not time.get("datetime"):
            continue
        # Walk up from the time: each ancestor is a candidate post container.
        node = time.getparent()
        while node is not None and node.tag not in ("body", "html"):
            parent = node.getparent()
            if parent is None:
                break
            groups[(parent, _signature(node))].append(node)
            node = parent
    runs = []
    for members in groups.values():
        unique = list(dict.fromkeys(members))
        if len(unique) >= MIN_POSTS:
            runs.append(_Run(unique, ticker=False))
    return runs


def _id_runs(root: Any) -> list[_Run]:
    """Groups of siblings that each carry an id of their own: those of one signature, and
    those of one tag sharing a class word (a ticker's kinds of entry differ in the rest)."""
    groups: dict[tuple[Any, tuple[str, str]], dict[str, Any]] = defaultdict(dict)
    kinds: dict[tuple[Any, str, str], dict[str, Any]] = defaultdict(dict)
    for node in on_page(root, "//body//*[@id]"):
        parent = node.getparent()
        if parent is not None and isinstance(node.tag, str):
            signature = _signature(node)
            groups[(parent, signature)].setdefault(node.get("id"), node)
            for word in set(signature[1].split()):
                kinds[(parent, node.tag, word)].setdefault(node.get("id"), node)
    runs = [list(m.values()) for m in groups.values() if len(m) >= MIN_POSTS]
    seen = {tuple(map(id, members)) for members in runs}
    for found in kinds.values():
        members = list(found.values())
        key = tuple(map(id, members))
        if len(members) >= MIN_POSTS and key not in seen:
            seen.add(key)
            runs.append(members)
    return [_Run(members, ticker=True) for members in runs]


def _in_scope(node: Any) -> bool:
    """Inside a microdata LiveBlogPosting (which may name no property at all)."""
    return bool(
        xpath("ancestor-or-self::*[@itemscope][contains(@itemtype,'LiveBlogPosting')]")(node)
    )


def _score(run: _Run, declared: bool) -> float:
    """How much this run looks like the page's posts; 0 when it does not at all."""
    lengths = [len(clean_line(n.text_content())) for n in run.members]
    floor = MIN_TICKER_CHARS if run.ticker else MIN_MEDIAN_CHARS
    if median(lengths) < floor:
        return 0.0
    density = sum(_link_density(n, length) for n, length in zip(run.members, lengths, strict=True))
    if density / len(run.members) > MAX_LINK_DENSITY:
        return 0.0
    if run.ticker and not (declared or _in_scope(run.members[0].getparent())):
        # Outside a declared live blog, siblings with ids are posts only if they are timed.
        timed = sum(1 for n in run.members if _has_time(n))
        if timed * 2 < len(run.members):
            return 0.0
    return len(run.members) * median(lengths)


def _has_time(node: Any) -> bool:
    return any(t.get("datetime") for t in node.iter("time")) or _clock_of(node) is not None


def _is_coverage(run: _Run) -> bool:
    """Most entries timed (a match minute counts), and not a table of scores."""
    members = run.members
    timed = (
        len(members)
        if not run.ticker
        else sum(1 for n in members if _has_time(n) or _minute_of(n) is not None)
    )
    return timed * 2 >= len(members) and not _scoreboard(members)


def _scoreboard(members: list[Any]) -> bool:
    """Entries nearly all showing a score and little else: results, not commentary."""
    texts = [clean_line(n.text_content()) for n in members]
    scored = sum(1 for t in texts if _SCORE.search(t))
    words = median(len(_WORD.findall(t)) for t in texts)
    return scored * 5 >= len(texts) * 4 and words <= MAX_SCORE_WORDS


def _highlighted(members: list[Any]) -> set[Any]:
    """The entries a highlight class marks: a class word naming one ("tick--highlight",
    "is-important") that some entries of the run carry and others not (a word every entry
    carries marks none of them)."""
    carriers: dict[str, list[Any]] = defaultdict(list)
    for node in members:
        for word in set((node.get("class") or "").split()):
            if _HIGHLIGHT_WORDS.intersection(re.split(r"[-_]+", word.lower())):
                carriers[word].append(node)
    return {n for nodes in carriers.values() if len(nodes) < len(members) for n in nodes}


# --- clocks ---------------------------------------------------------------------------------------


def _clock_text(text: str) -> tuple[int, str] | None:
    """(minutes after midnight, the clock as shown) of the first clock in a short text."""
    m = _CLOCK.search(text)
    if not m:
        return None
    hour, minute, meridiem = int(m[1]), int(m[2]), (m[3] or "").lower()
    if meridiem:
        if hour > 12 or hour == 0:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    return hour * 60 + minute, m[0].strip()


def _clock_class(classes: str | None) -> bool:
    words = re.split(r"[\s_-]+", (classes or "").lower())
    return any(w in _CLOCK_WORDS or w.endswith(("time", "stamp")) for w in words)


def _clock_of(node: Any) -> tuple[int, str] | None:
    """The entry's clock: a <time> or a time-classed element showing one, else the clock its
    text opens with."""
    for child in node.iter():
        if not isinstance(child.tag, str) or child is node:
            continue
        if child.tag == "time" or _clock_class(child.get("class")):
            shown = clean_line(child.text_content())
            if len(shown) <= 40:
                found = _clock_text(shown)
                if found:
                    return found
    opening = clean_line(node.text_content())[: _LEADING_CLOCK + 8]
    found = _clock_text(opening)
    if found and opening.find(found[1]) <= _LEADING_CLOCK:
        return found
    return None


def _minute_of(node: Any) -> str | None:
    """The match minute an entry shows ("88'", "90+3'"): in a <time> or time-classed
    element, else opening its text."""
    for child in node.iter():
        if not isinstance(child.tag, str) or child is node:
            continue
        if child.tag == "time" or _clock_class(child.get("class")):
            shown = clean_line(child.text_content())
            found = _MINUTE.match(shown) if len(shown) <= 12 else None
            if found:
                return found[0]
    found = _MINUTE.match(clean_line(node.text_content())[: _LEADING_CLOCK + 8])
    return found[0] if found else None


_DATE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.I,
)


@dataclass
class _PageDate:
    """A date the page states, as it states it: local wall time and, if given, its offset."""

    local: datetime  # naive: the wall time the string shows
    zone: timezone | None


def _page_date(value: Any) -> _PageDate | None:
    if not isinstance(value, str):
        return None
    m = _DATE.match(value)
    if not m:
        return None
    if not 1900 <= int(m[1]) <= 2200:
        return None  # far from any live blog, and near the ends of what datetime can hold
    try:
        local = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0))
    except ValueError:
        return None
    zone = None
    if m[7]:
        offset = m[7].upper().replace(":", "")
        if offset == "Z":
            zone = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            minutes = int(offset[1:3]) * 60 + int(offset[3:5])
            if minutes < 24 * 60:
                zone = timezone(sign * timedelta(minutes=minutes))
    return _PageDate(local, zone)


_START_KEYS = ("datePublished", "coverageStartTime", "dateCreated", "uploadDate")
_END_KEYS = ("dateModified", "coverageEndTime")
_META_START = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "pubdate",
    "publish-date",
    "dc.date.issued",
    "dc.date",
)
_META_END = ("article:modified_time", "og:updated_time", "dateModified", "last-modified")


def _stated_dates(root: Any, structured: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The page's start and end dates as strings: JSON-LD first, then meta tags."""
    starts = [o.get(k) for o in structured for k in _START_KEYS]
    ends = [o.get(k) for o in structured for k in _END_KEYS]
    metas: dict[str, str] = {}
    for meta in on_page(root, "//meta[@content]"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        metas.setdefault(name, meta.get("content"))
    starts += [metas.get(k.lower()) for k in _META_START]
    ends += [metas.get(k.lower()) for k in _META_END]
    return starts, ends


class Clocks:
    """Clock times of one page resolved to instants, the way its readers read them.

    The first entry in time falls on the page's start date (the day after, if its clock is
    well before the start); each later entry on the day of the one before, or the next day
    when its clock is more than three hours earlier (past midnight). The page's end date
    caps them: nothing is later than it. All in the offset the page's dates state.
    """

    ROLLOVER = timedelta(hours=3)
    SLACK = timedelta(hours=1)

    def __init__(self, starts: list[Any], ends: list[Any]) -> None:
        start = [d for d in map(_page_date, starts) if d]
        end = [d for d in map(_page_date, ends) if d]
        zones = [d.zone for d in start + end if d.zone is not None]
        self.zone = zones[0] if zones else None
        self.start = start[0].local if start else None
        self.end = end[0].local if end else None

    def resolve(self, clocks: list[int | None]) -> list[datetime | None]:
        """Instants for clock minutes given newest first (None where an entry has no clock)."""
        if self.zone is None or (self.start is None and self.end is None):
            return [None] * len(clocks)
        known = [(i, c) for i, c in enumerate(clocks) if c is not None]
        order = known if self._oldest_first([c for _, c in known]) else known[::-1]
        out: list[datetime | None] = [None] * len(clocks)
        for index, local in zip(
            (i for i, _ in order), self._walk([c for _, c in order]), strict=True
        ):
            out[index] = local.replace(tzinfo=self.zone)
        return out

    @staticmethod
    def _oldest_first(minutes: list[int]) -> bool:
        """Entries listed oldest first: only when the clocks clearly say so (the steps forward
        in time are less than half the steps back, midnight counted round), since pages
        list newest first."""
        day = 24 * 60
        forward = sum((b - a) % day for a, b in pairwise(minutes))
        backward = sum((a - b) % day for a, b in pairwise(minutes))
        return forward * 2 < backward

    def _walk(self, minutes: list[int]) -> list[datetime]:
        """Local wall times for clocks in time order."""
        if not minutes:
            return []
        if self.start is not None:
            first = self._on(self.start.date(), minutes[0])
            if first < self.start - self.ROLLOVER:
                first += timedelta(days=1)
        else:
            assert self.end is not None
            first = self._on(self.end.date(), minutes[0])
            # Anchored at the end: walk back over the midnights the clocks cross.
            back = self.ROLLOVER.seconds // 60
            pairs = pairwise(minutes)
            first -= timedelta(days=sum(a - b > back for a, b in pairs))
        times = [first]
        for clock in minutes[1:]:
            nxt = self._on(times[-1].date(), clock)
            if nxt < times[-1] - self.ROLLOVER:
                nxt += timedelta(days=1)
            times.append(nxt)
        if self.end is not None:
            times = [t - timedelta(days=1) if t > self.end + self.SLACK else t for t in times]
        return times

    @staticmethod
    def _on(day: date, minutes: int) -> datetime:
        return datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)


# --- posts ----------------------------------------------------------------------------------------


def _post(node: Any, index: int, key_event: bool = False) -> Block | None:
    stamped = (parse_iso(t.get("datetime")) for t in node.iter("time") if t.get("datetime"))
    times = [t for t in stamped if t]
    heading = next(iter(xpath(".//h2|.//h3|.//h4")(node)), None)
    title = clean_line(heading.text_content()) if heading is not None else None
    elements = body_elements(node)
    for element in elements:
        if element.kind == "text" and element.text:
            element.text = _strip_times(element.text, node)
    if title:
        # The heading is the title, not the body's first paragraph.
        for element in elements:
            if element.kind == "text" and element.text and element.text.startswith(title):
                element.text = element.text[len(title) :].strip()
                break
    elements = [e for e in elements if e.kind != "text" or e.text]
    text = "\n\n".join(e.text for e in elements if e.kind == "text" and e.text)
    if not text and not title:
        return None
    ident = node.get("id") or node.get("data-id") or node.get("data-post-id")
    if not ident:
        # Known by its time, which survives edits to its text (see distinct_ids for ties).
        ident = stable_id(
            "generic-post", min(times).isoformat() if times else title or text[:120] or index
        )
    return Block(
        id=ident,
        title=title or None,
        published_at=min(times) if times else None,
        updated_at=max(times) if len(times) > 1 else None,
        key_event=key_event,
        elements=elements,
        text=text,
    )


def _strip_times(text: str, node: Any) -> str:
    """Remove the visible clock texts of the post's own <time> elements from its body."""
    for time in node.iter("time"):
        label = clean_line(time.text_content())
        if label and text.startswith(label):
            text = text[len(label) :].lstrip()
    return text


def _ticker_posts(run: list[Any], clocks: Clocks, marked: set[Any]) -> list[Block]:
    """Ticker entries as posts, timed by their clocks where no <time datetime> times them."""
    made = ((_post(n, i, n in marked), n) for i, n in enumerate(run))
    pairs = [(b, n) for b, n in made if b is not None]
    shown = [None if b.published_at else _clock_of(n) for b, n in pairs]
    instants = clocks.resolve([s[0] if s else None for s in shown])
    for (block, node), clock, instant in zip(pairs, shown, instants, strict=True):
        if clock is not None:
            _shown_time(block, clock[1], "local_time")
            block.published_at = instant
        elif block.published_at is None and (minute := _minute_of(node)) is not None:
            _shown_time(block, minute, "match_minute")
    return [b for b, _ in pairs if b.text or b.title or b.elements]


def _shown_time(block: Block, shown: str, key: str) -> None:
    """The time an entry shows taken out of its text and kept in its first element's extra."""
    for element in block.elements:
        if element.kind == "text" and element.text and element.text.startswith(shown):
            element.text = element.text[len(shown) :].lstrip(" \n-–—:|·")
            break
    block.elements = [e for e in block.elements if e.kind != "text" or e.text]
    block.text = "\n\n".join(e.text for e in block.elements if e.kind == "text" and e.text)
    if block.elements:
        block.elements[0].extra[key] = shown


# --- the page -------------------------------------------------------------------------------------


def _live_hint(root: Any, url: str | None, run: list[Any]) -> bool:
    haystack = " ".join(
        [
            url or "",
            on_page(root, "string(//title)"),
            canonical_link(root),
            on_page(root, "string(//meta[@property='og:type']/@content)"),
            " ".join(n.get("class") or "" for n in run[:3]),
            " ".join((n.getparent().get("class") or "") for n in run[:1]),
        ]
    )
    return bool(_LIVE_HINT.search(haystack))


def find_generic(
    root: Any,
    url: str | None = None,
    structured: LiveBlog | None = None,
    objects: list[dict[str, Any]] | None = None,
) -> LiveBlog | None:
    """A blog of the page's best run of posts, or None when nothing looks like one.

    `structured` is the page's own LiveBlogPosting when it lists no posts (its metadata is
    kept); `objects` are the page's JSON-LD objects (for the dates clocks are read against).
    """
    # A live blog the page declares holds its untimed entries: inside its microdata scope
    # when it has one (a comment thread elsewhere on the page is not in it), anywhere when
    # it is declared in JSON-LD, which has no place in the page.
    declared = structured is not None and not on_page(root, LIVEBLOG_SCOPES)
    scored = [(run, _score(run, declared)) for run in _timed_runs(root) + _id_runs(root)]
    runs = [(run, score) for run, score in scored if score > 0]
    if not runs:
        return None
    run = _choose(runs)
    scoped = run.ticker and (declared or _in_scope(run.members[0].getparent()))
    if not scoped and not _live_hint(root, url, run.members):
        return None
    marked = _highlighted(run.members)
    if run.ticker:
        clocks = Clocks(*_stated_dates(root, objects or []))
        blocks = _ticker_posts(run.members, clocks, marked)
    else:
        made = (_post(n, i, n in marked) for i, n in enumerate(run.members))
        blocks = [b for b in made if b is not None]
    if len(blocks) < MIN_POSTS:
        return None
    return page_blog(root, url, structured, blocks)


def _choose(runs: list[tuple[_Run, float]]) -> _Run:
    """Coverage first (a table of results can be as large a run of ids), then the larger
    run; then the widest run of coverage holding it (its highlighted entries, longer than
    the rest, can outweigh the whole ticker they are part of)."""
    coverage = {id(run): _is_coverage(run) for run, _ in runs}
    best = max(runs, key=lambda r: (coverage[id(r[0])], r[1]))[0]
    if not coverage[id(best)]:
        return best
    members = set(best.members)
    wider = [
        run
        for run, _ in runs
        if coverage[id(run)] and len(run.members) > len(members) and members.issubset(run.members)
    ]
    return max(wider, key=lambda r: len(r.members)) if wider else best


def page_blog(
    root: Any, url: str | None, structured: LiveBlog | None, blocks: list[Block]
) -> LiveBlog:
    """A blog of `blocks` named by the page (canonical link, og: metas, title), or by its
    own post-less LiveBlogPosting (`structured`) where it has one."""
    canonical = canonical_link(root).strip() or url
    title = (
        clean_line(on_page(root, "string(//meta[@property='og:title']/@content)"))
        or clean_line(on_page(root, "string(//h1)"))
        or clean_line(on_page(root, "string(//title)"))
    )
    path = url_path(canonical)
    by_id: dict[str, Block] = {}
    for block in distinct_ids(blocks):
        by_id.setdefault(block.id, block)
    blog = LiveBlog(
        id=path or stable_id("generic-blog", title, blocks[0].id),
        url=canonical,
        title=title or None,
        standfirst=clean_line(on_page(root, "string(//meta[@name='description']/@content)"))
        or None,
        publisher=clean_line(on_page(root, "string(//meta[@property='og:site_name']/@content)"))
        or None,
        source_format="html-generic",
        blocks=newest_first(list(by_id.values())),
    )
    from liveblog_cli.parse.rendered import drop_site_images

    drop_site_images(root, blog)  # an avatar or logo every post shows is not a picture of it
    if structured is not None:
        # What the page's own (post-less) LiveBlogPosting says about itself comes first.
        blog.id = structured.id if structured.url else blog.id
        blog.url = structured.url or blog.url
        blog.title = structured.title or blog.title
        blog.standfirst = structured.standfirst or blog.standfirst
        blog.publisher = structured.publisher or blog.publisher
        blog.is_live = structured.is_live
        blog.published_at = structured.published_at
        blog.updated_at = structured.updated_at
        blog.authors = structured.authors
    return blog


def _generic(doc: Doc) -> LiveBlog | None:
    from liveblog_cli.parse import jsonld

    def find() -> LiveBlog | None:
        return find_generic(doc.root, doc.url, jsonld.structured(doc), jsonld.page_objects(doc))

    return doc.once("generic", find)


def _read(doc: Doc) -> LiveBlog:
    blog = _generic(doc)
    assert blog is not None
    return blog


GENERIC = Source("html-generic", "html", sniff=lambda doc: _generic(doc) is not None, read=_read)
