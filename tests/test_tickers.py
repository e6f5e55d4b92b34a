"""Tickers: runs of entries with ids and local clock times ("14:32"), no itemprops, no dates.

Every page here is written by hand, in several shapes, so that what is tested is the kind
(a ticker in a declared live blog, or on a live page) rather than one site's markup.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.errors import ParseError
from liveblog_cli.parse import parse_page

SAYS = [
    "The mayor has opened the new bridge to traffic after three years of works",
    "Police say the road will stay closed northbound until the evening rush hour",
    "A spokesperson for the operator confirmed that trains are running again",
    "Crowds have gathered on the embankment to watch the first boats pass under",
]


def _say(n: int) -> str:
    return f"{SAYS[n % len(SAYS)]} (entry {n})."


def _page(head: str, body: str, title: str = "Bridge opening") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><h1>{title}</h1>{body}<footer><a href='/'>Home</a></footer></body></html>"
    ).encode()


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _z(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- a declared live blog whose posts carry no properties ------------------------------------


def _microdata_ticker(count: int = 53) -> bytes:
    # 53 entries, newest first, every 7 minutes from 09:05 local time; numeric ids.
    entries = "".join(
        f'<div class="ticker__entry" id="{40000 + n}"><span class="ticker__time">'
        f"{_clock(9 * 60 + 5 + 7 * n)}</span><p>{_say(n)}</p></div>"
        for n in range(count - 1, -1, -1)
    )
    head = '<meta property="article:published_time" content="2024-03-01T09:00:00+01:00">'
    body = (
        '<div itemscope itemtype="https://schema.org/LiveBlogPosting">'
        f'<div class="ticker">{entries}</div></div>'
    )
    return _page(head, body)


def test_a_microdata_wrapper_with_no_properties_is_the_premise() -> None:
    from lxml import html

    from liveblog_cli.parse.jsonld import find_microdata_liveblog

    found = find_microdata_liveblog(html.document_fromstring(_microdata_ticker()))
    assert found is not None and found.blocks == []


def test_fifty_three_entries_with_local_clocks() -> None:
    blog = parse_page(_microdata_ticker())
    assert blog.source_format == "html-generic"
    assert len(blog.blocks) == 53
    assert [b.id for b in blog.blocks] == [str(40000 + n) for n in range(52, -1, -1)]
    newest, oldest = blog.blocks[0], blog.blocks[-1]
    # 09:05 local at +01:00 is 08:05 UTC; the newest is 52 x 7 minutes later, 15:09 local.
    assert (_z(oldest.published_at), _z(newest.published_at)) == (
        "2024-03-01T08:05:00Z",
        "2024-03-01T14:09:00Z",
    )
    assert newest.elements[0].extra["local_time"] == "15:09"
    assert newest.text == _say(52)  # the clock is the time, not the text


def test_the_entries_inside_the_declared_blog_not_the_comments_beside_it() -> None:
    comments = "".join(
        f'<div class="comment" id="comment-{n}"><p>{_say(n)} {_say(n + 1)} A reader writes '
        f"at length about this, at more length than any entry of the ticker.</p></div>"
        for n in range(80)
    )
    page = _microdata_ticker(count=6).replace(
        b"<footer>", f"<aside class='comments'>{comments}</aside><footer>".encode()
    )
    blog = parse_page(page)
    assert [b.id for b in blog.blocks] == [str(40000 + n) for n in range(5, -1, -1)]


def test_json_ld_blog_without_updates_and_clocks_opening_the_text() -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", '
        '"@type": "LiveBlogPosting", "headline": "Election night", '
        '"url": "https://n.example/news/election-night", '
        '"datePublished": "2024-06-10T08:00:00+02:00", "publisher": {"name": "N News"}}'
        "</script>"
    )
    items = "".join(
        f'<li class="entry" id="entry-{n}"><strong>{_clock(18 * 60 + 15 * n)}</strong> – '
        f"{_say(n)}</li>"
        for n in (3, 2, 1, 0)
    )
    blog = parse_page(_page(ld, f"<ul class='entries'>{items}</ul>"))
    # The blog's own LiveBlogPosting names it, though it lists no posts.
    assert (blog.url, blog.title, blog.publisher) == (
        "https://n.example/news/election-night",
        "Election night",
        "N News",
    )
    assert [b.id for b in blog.blocks] == ["entry-3", "entry-2", "entry-1", "entry-0"]
    assert [_z(b.published_at) for b in blog.blocks] == [
        "2024-06-10T16:45:00Z",
        "2024-06-10T16:30:00Z",
        "2024-06-10T16:15:00Z",
        "2024-06-10T16:00:00Z",
    ]
    assert blog.blocks[0].text == _say(3)


def test_past_midnight_and_twelve_hour_clocks() -> None:
    shown = ["12:25 a.m.", "12:10 am", "11:55 pm", "11:40 PM"]  # newest first
    entries = "".join(
        f'<section class="update" id="u{n}"><div class="timestamp">{c}</div><p>{_say(n)}</p>'
        "</section>"
        for n, c in zip(range(4, 0, -1), shown, strict=True)
    )
    head = (
        '<link rel="canonical" href="https://n.example/live/night">'
        '<meta itemprop="datePublished" content="2024-12-31T23:30:00-05:00">'
    )
    blog = parse_page(_page(head, entries, title="New Year live"))
    assert [_z(b.published_at) for b in blog.blocks] == [
        "2025-01-01T05:25:00Z",
        "2025-01-01T05:10:00Z",
        "2025-01-01T04:55:00Z",
        "2025-01-01T04:40:00Z",
    ]


def test_a_ticker_listed_oldest_first() -> None:
    entries = "".join(
        f'<p class="line" id="l{n}"><b>{_clock(23 * 60 + 50 + 6 * n)}</b> {_say(n)}</p>'
        for n in range(4)  # 23:50, 23:56, 00:02, 00:08
    )
    head = '<meta property="article:published_time" content="2024-05-04T23:45:00+02:00">'
    blog = parse_page(_page(head, f"<div class='liveticker'>{entries}</div>"))
    assert [b.id for b in blog.blocks] == ["l3", "l2", "l1", "l0"]
    assert [_z(b.published_at) for b in blog.blocks] == [
        "2024-05-04T22:08:00Z",
        "2024-05-04T22:02:00Z",
        "2024-05-04T21:56:00Z",
        "2024-05-04T21:50:00Z",
    ]


# --- no zone stated: no instant invented ----------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        "",  # no date at all
        '<meta property="article:published_time" content="2024-03-01">',
        '<meta name="date" content="2024-03-01T09:00:00">',  # a time, but no offset
    ],
)
def test_without_a_stated_zone_the_local_time_is_kept_as_shown(head: str) -> None:
    entries = "".join(
        f'<article class="tick" id="t{n}"><time>{_clock(14 * 60 + 32 - n)}</time>'
        f"<p>{_say(n)}</p></article>"
        for n in range(5)
    )
    head += '<link rel="canonical" href="https://n.example/sport/live/match">'
    blog = parse_page(_page(head, entries, title="Match ticker"))
    assert [b.id for b in blog.blocks] == [f"t{n}" for n in range(5)]  # as the page has them
    assert all(b.published_at is None for b in blog.blocks)
    assert [b.elements[0].extra["local_time"] for b in blog.blocks] == [
        "14:32",
        "14:31",
        "14:30",
        "14:29",
        "14:28",
    ]


# --- what is not a ticker -------------------------------------------------------------------


def test_siblings_with_ids_on_a_page_that_is_no_live_blog_are_rejected() -> None:
    products = "".join(
        f'<div class="product" id="sku-{n}"><h3>Garden chair model {n}</h3><p>Weatherproof '
        f"oak, folds flat, seats one adult comfortably; delivered in 14:30 minutes.</p></div>"
        for n in range(8)
    )
    with pytest.raises(ParseError, match="not a live blog"):
        parse_page(_page("", products, title="Garden furniture"))


def test_a_live_page_whose_id_runs_show_no_clocks_is_rejected() -> None:
    comments = "".join(
        f'<div class="comment" id="c{n}"><p>{_say(n)} I think this is wrong.</p></div>'
        for n in range(6)
    )
    with pytest.raises(ParseError, match="not a live blog"):
        parse_page(_page('<link rel="canonical" href="https://n.example/live/x">', comments))


# --- clocks resolved: the property ----------------------------------------------------------


def _stated(local: datetime, offset: timezone) -> str:
    """A wall time as a page states it: ISO 8601 with its offset ("Z" for UTC)."""
    seconds = int(offset.utcoffset(None).total_seconds())
    sign, minutes = ("+" if seconds >= 0 else "-"), abs(seconds) // 60
    zone = "Z" if seconds == 0 else f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return local.strftime("%Y-%m-%dT%H:%M:00") + zone


OFFSET = st.integers(-12 * 4, 14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q)))
START = st.datetimes(datetime(2000, 1, 1), datetime(2035, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
# Up to 12 hours between two posts: longer silences make the order of bare clocks ambiguous.
GAPS = st.lists(st.integers(0, 12 * 60), min_size=2, max_size=25)


@settings(max_examples=150, deadline=None)
@given(
    offset=OFFSET,
    start=START,
    first=st.integers(0, 20 * 60),
    gaps=GAPS,
    end_slack=st.one_of(st.none(), st.integers(0, 30)),
)
def test_clock_times_resolve_to_the_instants_they_show(
    offset: timezone, start: datetime, first: int, gaps: list[int], end_slack: int | None
) -> None:
    from liveblog_cli.parse.generic import Clocks

    local = [start + timedelta(minutes=first)]
    for gap in gaps:
        local.append(local[-1] + timedelta(minutes=gap))
    end = None if end_slack is None else local[-1] + timedelta(minutes=end_slack)
    clocks = Clocks([_stated(start, offset)], [_stated(end, offset)] if end else [])
    shown = [t.hour * 60 + t.minute for t in reversed(local)]  # newest first, as pages show
    resolved = clocks.resolve(shown)
    assert resolved == [t.replace(tzinfo=offset) for t in reversed(local)]


@settings(max_examples=60, deadline=None)
@given(start=START, gaps=GAPS, offset=OFFSET)
def test_clock_times_resolve_from_the_end_date_alone(
    start: datetime, gaps: list[int], offset: timezone
) -> None:
    from liveblog_cli.parse.generic import Clocks

    local = [start]
    for gap in gaps:
        local.append(local[-1] + timedelta(minutes=gap))
    clocks = Clocks([], [_stated(local[-1], offset)])
    resolved = clocks.resolve([t.hour * 60 + t.minute for t in reversed(local)])
    assert resolved == [t.replace(tzinfo=offset) for t in reversed(local)]


def test_dates_at_the_ends_of_the_calendar_invent_nothing() -> None:
    entries = "".join(
        f'<div class="entry" id="e{n}"><span class="time">{_clock(23 * 60 + 50 - n)}</span>'
        f"<p>{_say(n)}</p></div>"
        for n in range(3)
    )
    for stamp in ("9999-12-31T23:59:00+14:00", "0001-01-01T00:00:00-12:00"):
        head = f'<meta property="article:published_time" content="{stamp}">'
        blog = parse_page(_page(head, f"<div class='liveticker'>{entries}</div>"))
        assert all(b.published_at is None for b in blog.blocks)
        assert [b.elements[0].extra["local_time"] for b in blog.blocks] == [
            "23:50",
            "23:49",
            "23:48",
        ]


# --- a ticker beside a table of results (issue 24.3) ----------------------------------------
# Two pages in tests/fixtures, written for this: a microdata LiveBlogPosting holding entries
# (numeric ids, no itemprops, clocks only, kinds of entry told apart by classes, five
# highlighted) and a table of results whose rows carry numeric ids too.

FIXTURES = Path(__file__).parent / "fixtures"
TICKER_PAGES = {
    # file: (entry ids, oldest first; highlighted ids; oldest entry's local time, minutes
    # between entries; the offset the page's date states)
    "ticker-microdata-results-first.html": (
        [str(4821300 + n) for n in range(20)],
        {str(4821300 + n) for n in (3, 8, 11, 15, 18)},
        datetime(2024, 3, 9, 18, 30),
        4,
        timedelta(hours=1),
    ),
    "ticker-microdata-table-after.html": (
        [str(990000 + n) for n in range(53)],
        {str(990000 + n) for n in (4, 17, 26, 40, 51)},
        datetime(2024, 10, 20, 13, 5),
        3,
        timedelta(hours=2),
    ),
}


@pytest.mark.parametrize("name", sorted(TICKER_PAGES))
def test_the_ticker_is_read_and_the_results_table_is_not(name: str) -> None:
    ids, highlighted, first, step, offset = TICKER_PAGES[name]
    blog = parse_page((FIXTURES / name).read_bytes())
    assert blog.source_format == "html-generic"
    assert [b.id for b in blog.blocks] == ids[::-1]  # every entry, newest first, ids kept
    assert {b.id for b in blog.blocks if b.key_event} == highlighted
    for n, block in enumerate(reversed(blog.blocks)):
        local = first + timedelta(minutes=step * n)
        # The clock resolved on the page's date, in the offset the page states.
        assert block.published_at == (local - offset).replace(tzinfo=UTC)
        assert block.elements[0].extra["local_time"] == local.strftime("%H:%M")
        assert block.text and not block.text.startswith(local.strftime("%H:%M"))
    assert not any(w in b.text for b in blog.blocks for w in ("Endstand", "Bayern München"))


def test_the_results_table_is_what_was_read_before() -> None:
    """The premise: the entries' kinds split them into runs smaller than the table's."""
    from lxml import html

    from liveblog_cli.parse.generic import _id_runs, _is_coverage

    root = html.document_fromstring((FIXTURES / "ticker-microdata-results-first.html").read_bytes())
    runs = _id_runs(root)
    table = next(r for r in runs if r.members[0].get("id") == "7001")
    assert len(table.members) == 15 and not _is_coverage(table)
    same_class = [r for r in runs if len({m.get("class") for m in r.members}) == 1]
    assert max(len(r.members) for r in same_class if r is not table) < 15


def _sports_page(entries: str, table: str, table_first: bool) -> bytes:
    head = '<meta property="article:published_time" content="2024-05-18T15:00:00+02:00">'
    inner = table + entries if table_first else entries + table
    body = f'<div itemscope itemtype="https://schema.org/LiveBlogPosting">{inner}</div>'
    return _page(head, body, title="Final day")


TEAMS = ["Dortmund", "Bayern", "Leipzig", "Freiburg", "Bremen", "Mainz", "Bochum", "Köln"]


def _table(rows: int, tag: str, kickoff: bool) -> str:
    cells = [
        f"{'15:30 ' if kickoff else ''}{TEAMS[n % 8]} {n % 4} – {n % 3} {TEAMS[(n + 3) % 8]}"
        for n in range(rows)
    ]
    if tag == "tr":
        trs = "".join(f'<tr id="{500 + n}"><td>{c}</td></tr>' for n, c in enumerate(cells))
        return f"<table>{trs}</table>"
    return (
        "<div>"
        + "".join(f'<{tag} class="row" id="{500 + n}">{c}</{tag}>' for n, c in enumerate(cells))
        + "</div>"
    )


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(3, 30),
    rows=st.integers(3, 40),
    marked=st.sets(st.integers(0, 29), max_size=6),
    base=st.sampled_from(["tick", "entry", "live-entry", "post"]),
    flag=st.sampled_from(["tick--highlight", "is-important", "key-event", "highlighted"]),
    kinds=st.lists(st.sampled_from(["goal", "card", "sub", "comment"]), min_size=30, max_size=30),
    tag=st.sampled_from(["div", "tr", "li"]),
    table_first=st.booleans(),
    kickoff=st.booleans(),
    as_time=st.booleans(),
)
def test_any_ticker_beside_any_results_table(
    count: int,
    rows: int,
    marked: set[int],
    base: str,
    flag: str,
    kinds: list[str],
    tag: str,
    table_first: bool,
    kickoff: bool,
    as_time: bool,
) -> None:
    marked = {m for m in marked if m < count}
    if len(marked) == count:
        marked = set()  # a class every entry carries marks none of them

    def entry(n: int) -> str:
        classes = f"{base} {base}--{kinds[n]}" + (f" {flag}" if n in marked else "")
        shown = _clock(15 * 60 + 31 + 3 * n)
        clock = f"<time>{shown}</time>" if as_time else f'<span class="time">{shown}</span>'
        return f'<div class="{classes}" id="{80000 + n}">{clock}<p>{_say(n)}</p></div>'

    entries = "<div>" + "".join(entry(n) for n in range(count - 1, -1, -1)) + "</div>"
    blog = parse_page(_sports_page(entries, _table(rows, tag, kickoff), table_first))
    assert [b.id for b in blog.blocks] == [str(80000 + n) for n in range(count - 1, -1, -1)]
    assert {b.id for b in blog.blocks if b.key_event} == {str(80000 + n) for n in marked}
    oldest = blog.blocks[-1].published_at
    assert oldest is not None and _z(oldest) == "2024-05-18T13:31:00Z"


def test_match_minutes_time_the_entries_not_the_kickoffs_of_the_results() -> None:
    minutes = ["90+3'", "88'", "71'", "45+1'", "12'"]
    entries = (
        "<div>"
        + "".join(
            f'<div class="event" id="{300 + n}"><span class="minute">{m}</span>'
            f"<p>{_say(n)}</p></div>"
            for n, m in enumerate(minutes)
        )
        + "</div>"
    )
    blog = parse_page(_sports_page(entries, _table(12, "div", kickoff=True), table_first=True))
    assert [b.id for b in blog.blocks] == [str(300 + n) for n in range(5)]
    assert [b.elements[0].extra["match_minute"] for b in blog.blocks] == minutes
    assert all(b.published_at is None for b in blog.blocks)  # a minute is no instant
    assert [b.text for b in blog.blocks] == [_say(n) for n in range(5)]


def test_a_class_every_entry_carries_marks_no_key_event() -> None:
    entries = "".join(
        f'<div class="entry highlight-box" id="{n}"><span class="time">{_clock(600 + n)}</span>'
        f"<p>{_say(n)}</p></div>"
        for n in range(5, 0, -1)
    )
    head = '<meta property="article:published_time" content="2024-03-01T09:00:00+01:00">'
    body = (
        f'<div itemscope itemtype="https://schema.org/LiveBlogPosting"><div>{entries}</div></div>'
    )
    blog = parse_page(_page(head, body))
    assert len(blog.blocks) == 5 and not any(b.key_event for b in blog.blocks)


def test_longer_highlighted_entries_do_not_take_the_place_of_the_ticker() -> None:
    """Goals told at length outweigh the short entries around them, run for run: the run of
    the whole ticker holding them is read."""

    def entry(n: int) -> str:
        key = n % 4 == 0
        text = " ".join([_say(n)] * (6 if key else 1))
        classes = "tick tick--goal tick--highlight" if key else f"tick tick--k{n % 3}"
        return (
            f'<div class="{classes}" id="{n}"><span class="time">{_clock(900 + n)}</span>'
            f"<p>{text}</p></div>"
        )

    entries = "<div>" + "".join(entry(n) for n in range(11, -1, -1)) + "</div>"
    blog = parse_page(_sports_page(entries, _table(4, "div", kickoff=False), table_first=False))
    assert [b.id for b in blog.blocks] == [str(n) for n in range(11, -1, -1)]
    assert {b.id for b in blog.blocks if b.key_event} == {"0", "4", "8"}
