"""Rich views for the terminal. Scraped text is always passed as `Text`, never as markup.

Every string that came from a page goes through `safe()` first: control characters and
escape sequences are made visible, and Rich never parses `[markup]` in it.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from liveblog_cli.model import Block, LiveBlog

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# ESC and other C0/C1 controls (tab and newline allowed): shown as visible escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(value: object) -> str:
    """A string that cannot drive a terminal: controls shown as `\\x1b`-style escapes."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def text(value: object, style: str = "") -> Text:
    from rich.text import Text

    return Text(safe(value), style=style)


def fmt_time(value: datetime | None, zone: tzinfo | None = None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(zone) if zone else value
    suffix = local.strftime("%Z") or "UTC"
    return f"{local:%Y-%m-%d %H:%M} {suffix}"


def flags(block: Block) -> str:
    marks = []
    if block.pinned:
        marks.append("📌 pinned")
    if block.key_event:
        marks.append("★ key event")
    if block.summary:
        marks.append("summary")
    return "  ".join(marks)


def blog_summary(blog: LiveBlog, console: Console, zone: tzinfo | None = None) -> None:
    """The `parse --format table` view: what was found and how, then one row per block."""
    from rich.table import Table

    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for label, value in (
        ("title", blog.title),
        ("id", blog.id),
        ("url", blog.url),
        ("publisher", blog.publisher),
        ("source format", blog.source_format),
        ("live", {True: "yes", False: "closed", None: "unknown"}[blog.is_live]),
        ("published", fmt_time(blog.published_at, zone)),
        ("updated", fmt_time(blog.updated_at, zone)),
        (
            "blocks",
            f"{len(blog.blocks)} ({sum(b.key_event for b in blog.blocks)} key events, "
            f"{sum(b.pinned for b in blog.blocks)} pinned, "
            f"{sum(b.summary for b in blog.blocks)} summary)",
        ),
        ("pages", ", ".join(f"{k}: {v}" for k, v in blog.pages.items()) or "—"),
    ):
        head.add_row(label, text(value if value is not None else "—"))
    console.print(head)
    table = Table(show_lines=False, expand=False)
    table.add_column("published", no_wrap=True)
    table.add_column("flags", no_wrap=True)
    table.add_column("id", overflow="fold", max_width=26)
    table.add_column("title / opening", overflow="fold")
    for block in blog.blocks:
        opening = block.title or (block.text.split("\n", 1)[0][:120] if block.text else "")
        table.add_row(
            text(fmt_time(block.published_at or block.updated_at, zone)),
            text(flags(block), "yellow"),
            text(block.id, "dim"),
            text(opening, "bold" if block.title else ""),
        )
    console.print(table)
