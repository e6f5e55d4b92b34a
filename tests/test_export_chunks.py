"""The jsonl export's fast path (lines put together by SQLite around each decompressed body,
a chunk of lines at a time) writes exactly the bytes of the plain path (each post's dict
through `dumps`): the same posts, keys, quoting and escapes, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import archive_db
from helpers import make_block, make_blog
from hypothesis import given, settings
from hypothesis import strategies as st

from liveblog_cli.archive import Archive
from liveblog_cli.export import export_jsonl_chunks
from liveblog_cli.model import Block, Element
from liveblog_cli.output import write_jsonl
from liveblog_cli.untrusted import json_inert_line, json_inert_lines

# Text a publisher could write: quotes, backslashes, controls, DEL and C1 controls (which the
# export escapes), U+2028/2029 (escaped too: a JavaScript reader ends a line there), pound
# signs and no-break spaces (0xC2 in UTF-8, not to be escaped). No NUL: a PostgreSQL archive
# cannot hold one in text (`make test-postgres` runs this too).
ODD = '"\\\x01\x08\t\n\x1f\x7f\x80\x85\x9f\xa0\xa3é€😀</\u2028\u2029\u2027'
NEITHER = "\x00"
characters = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=NEITHER)
text = st.text(st.sampled_from(ODD) | characters)


def _both(db: str | Path, blog_id: str | None = None) -> tuple[bytes, bytes]:
    """(the fast path's bytes, the plain path's bytes) of an export of every post."""
    with Archive(db) as archive:
        fast, plain = io.StringIO(), io.StringIO()
        count = export_jsonl_chunks(archive.jsonl_chunks(blog_id), fast)
        assert count == write_jsonl(archive.blocks(blog_id), plain)
    return fast.getvalue().encode(), plain.getvalue().encode()


@given(
    title=st.none() | text,
    body=text,
    authors=st.lists(text, max_size=2),
    html=st.none() | text,
    blog=st.text(characters, min_size=1, max_size=10),
)
@settings(max_examples=80, deadline=None)
def test_fast_lines_are_the_plain_lines_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory,
    title: str | None,
    body: str,
    authors: list[str],
    html: str | None,
    blog: str,
) -> None:
    db = archive_db(tmp_path_factory.mktemp("chunks"), "a")
    odd = Block(
        id=f"x{body[:5]}",
        title=title,
        text=body,
        html=html,
        authors=authors,
        elements=[Element("image", url="https://x/y.jpg", caption=body, extra={"k": title})],
    )
    with Archive(db) as archive:
        archive.save(make_blog([odd, make_block(1)], blog_id=blog))
        archive.save(make_blog([odd], blog_id=blog), complete=True)  # the other one deleted
    fast, plain = _both(db)
    assert fast == plain
    assert fast.count(b"\n") == 2


def test_many_chunks_of_many_blogs_are_the_plain_lines(tmp_path: Path) -> None:
    """More posts than a chunk holds, in three blogs (so chunks span blogs), a C1 control in
    one post only (its chunk alone is escaped line by line), edits and a deletion."""
    db = archive_db(tmp_path, "a")
    with Archive(db) as archive:
        for n in range(3):
            blocks = [make_block(i, text=f"Post {i} £5\u00a0— “quoted”") for i in range(300)]
            blocks[7 * n] = make_block(7 * n, text="a C1 \x85 control, a DEL \x7f")
            blocks[100 + n] = make_block(100 + n, text="a line\u2028separator alone")
            archive.save(make_blog(blocks, blog_id=f"b/{n}"))
            blocks[3] = make_block(3, text="edited")
            archive.save(make_blog(blocks[1:], blog_id=f"b/{n}"), complete=True)
        chunks = list(archive.jsonl_chunks(None))
    assert len(chunks) > 3 and all(c.endswith(b"\n") for _, c in chunks)
    assert sum(n for n, _ in chunks) == 900
    fast, plain = _both(db)
    assert fast == plain
    assert b"\\u0085" in fast and b"\\u007f" in fast and b"\xc2\xa3" in fast
    assert b"\\u2028" in fast and "\u2028".encode() not in fast
    fast, plain = _both(db, "b/1")
    assert fast == plain and fast.count(b"\n") == 300


@given(st.lists(st.text(st.sampled_from(ODD + "\u2028\u2029ab")), max_size=6))
def test_a_chunk_is_made_inert_as_its_lines_are(lines: list[str]) -> None:
    encoded = [line.replace("\n", " ").encode("utf-8") for line in lines]
    chunk = b"".join(line + b"\n" for line in encoded)
    assert json_inert_lines(chunk) == b"".join(json_inert_line(line) + b"\n" for line in encoded)
