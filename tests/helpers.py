"""Small builders for tests: blogs made in code, with exactly the content a test needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liveblog_cli.model import Block, Element, LiveBlog

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_block(n: int, **fields: object) -> Block:
    text = str(fields.pop("text", f"Post number {n} says something."))
    block = Block(
        id=f"b{n:04d}",
        title=f"Title {n}",
        published_at=T0 + timedelta(minutes=n),
        updated_at=T0 + timedelta(minutes=n),
        text=text,
        elements=[Element("text", text=text, html=f"<p>{text}</p>")],
        html=f"<p>{text}</p>",
    )
    for key, value in fields.items():
        setattr(block, key, value)
    return block


def make_blog(
    blocks: list[Block],
    *,
    blog_id: str = "test/live/2024/may/01/blog",
    pages: dict[str, str] | None = None,
    title: str = "A test blog",
    body_ids: list[str] | None = None,
) -> LiveBlog:
    return LiveBlog(
        id=blog_id,
        url=f"https://news.example.org/{blog_id}",
        title=title,
        publisher="Example News",
        is_live=True,
        source_format="test",
        blocks=sorted(blocks, key=lambda b: b.published_at or T0, reverse=True),
        pages=pages or {},
        body_ids=body_ids,
    )
