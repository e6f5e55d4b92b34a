"""The model's JSON shape: stable keys, UTC `Z` times, round-trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from liveblog_cli.model import Block, Element, iso_z, merge_blocks, parse_iso

TIMES = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-5))]
    ),
).map(lambda d: d.replace(microsecond=0))
TEXT = st.text(max_size=50)
ELEMENTS = st.builds(
    Element,
    kind=st.sampled_from(["text", "image", "tweet", "unknown"]),
    text=st.none() | TEXT,
    url=st.none() | TEXT,
    extra=st.dictionaries(st.text(max_size=5), TEXT, max_size=2),
)
BLOCKS = st.builds(
    Block,
    id=st.text(min_size=1, max_size=30),
    title=st.none() | TEXT,
    created_at=st.none() | TIMES,
    published_at=st.none() | TIMES,
    updated_at=st.none() | TIMES,
    key_event=st.booleans(),
    pinned=st.booleans(),
    summary=st.booleans(),
    authors=st.lists(TEXT, max_size=3),
    elements=st.lists(ELEMENTS, max_size=3),
    text=TEXT,
    html=st.none() | TEXT,
)


@given(BLOCKS)
def test_block_round_trips_through_its_dict(block: Block) -> None:
    data = block.to_dict()
    assert Block.from_dict(data).to_dict() == data
    for key in ("created_at", "published_at", "updated_at"):
        assert data[key] is None or data[key].endswith("Z")


@given(TIMES)
def test_iso_z_is_utc_and_parses_back(moment: datetime) -> None:
    text = iso_z(moment)
    assert text.endswith("Z")
    assert parse_iso(text) == moment


def test_parse_iso_accepts_the_offsets_publishers_use() -> None:
    expected = datetime(2023, 11, 2, 10, 30, 24, tzinfo=UTC)
    for text in (
        "2023-11-02T10:30:24Z",
        "2023-11-02T16:00:24+05:30",
        "2023-11-02T16:00:24+0530",
        "2023-11-02T10:30:24.000Z",
        "2023-11-02T10:30:24+0000",
    ):
        assert parse_iso(text) == expected, text
    assert parse_iso("yesterday") is None
    assert parse_iso(12) is None


def test_merge_keeps_flags_and_fuller_body() -> None:
    short = Block(id="a", key_event=True, text="x")
    full = Block(
        id="a",
        pinned=True,
        text="longer text",
        title="T",
        elements=[Element("text", text="longer text")],
    )
    other = Block(id="b")
    merged = merge_blocks([short, other, full])
    assert [b.id for b in merged] == ["a", "b"]
    assert merged[0].key_event and merged[0].pinned
    assert merged[0].text == "longer text" and merged[0].title == "T"


def test_the_block_shape_is_the_one_field_list_everything_derives_from() -> None:
    from liveblog_cli.model import BLOCK_FIELDS, EXPORT_FIELDS, Block

    assert tuple(Block(id="x").to_dict()) == BLOCK_FIELDS
    assert (
        EXPORT_FIELDS[0] == "blog_id" and EXPORT_FIELDS[1 : len(BLOCK_FIELDS) + 1] == BLOCK_FIELDS
    )
