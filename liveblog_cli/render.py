"""Rich views for the terminal. Scraped text is always passed as `Text`, never as markup.

Every string that came from a page goes through `safe()` first: control characters and
escape sequences are made visible, and Rich never parses `[markup]` in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from liveblog_cli.model import Block, LiveBlog
from liveblog_cli.untrusted import for_terminal, for_terminal_marked, is_terminal_safe
from liveblog_cli.words import counted, gap_note

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# A blog's is_live as words (None: its source did not say).
_STATE: dict[bool | None, str] = {True: "live", False: "closed"}

# A run of text and its Rich style: views built of these print plainly off a terminal.
Piece = tuple[str, str]


# Every page-derived string shown here goes through this policy (see untrusted.py).
safe = for_terminal


def text(value: object, style: str = "") -> Text:
    from rich.text import Text

    return Text(safe(value), style=style)


def fmt_time(value: datetime | str | None, zone: tzinfo | None = None) -> str:
    """One format for people everywhere: `2026-06-13 12:02 BST`."""
    from liveblog_cli.times import human

    return human(value, zone)


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
            f"{len(blog.blocks)} ({counted(sum(b.key_event for b in blog.blocks), 'key events')}, "
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


def _row_time(block: dict[str, Any], zone: tzinfo | None) -> str:
    return fmt_time(block.get("published_at") or block.get("created_at"), zone)


def _row_flags(block: dict[str, Any], zone: tzinfo | None = None) -> str:
    marks = []
    if block.get("pinned"):
        marks.append("📌 pinned")
    if block.get("key_event"):
        marks.append("★ key event")
    if block.get("summary"):
        marks.append("summary")
    if block.get("deleted_at"):
        marks.append(f"✗ deleted {fmt_time(block['deleted_at'], zone)}")
    if block.get("change") == "edited":
        marks.append("✎ edited just now")
    elif block.get("change") == "restored":
        marks.append("↺ restored")
    if block.get("edits"):
        marks.append(f"edited ×{block['edits']}")
    return "  ".join(marks)


def element_line(element: dict[str, Any]) -> str | None:
    """One line for a non-text element: what it is and where it points."""
    kind = element.get("kind")
    # Prose, quotes and unknown elements' text are in the post's text already.
    if kind in ("text", "blockquote", "pullquote") or (
        kind == "unknown" and not element.get("url")
    ):
        return None
    url = element.get("url") or ""
    label = element.get("caption") or (element.get("text") or "").split("\n", 1)[0]
    if kind == "tweet":
        label = ""
    parts = [f"[{kind}]", label[:100], url]
    return " ".join(p for p in parts if p) if (url or label) else f"[{kind}]"


def timeline(
    blog: dict[str, Any],
    blocks: Iterable[dict[str, Any]],
    console: Console,
    *,
    zone: tzinfo | None = None,
    key_panel: bool = True,
    header: bool = True,
    keys: list[dict[str, Any]] | None = None,
) -> None:
    """A blog's posts for reading: key events on top, then each post with its elements.

    `blocks` may be a stream (the first screen shows before the last post is read); the
    key events are then given apart, in `keys`.
    """
    if header:
        _blog_header(blog, console)
    if keys is None and key_panel:
        blocks = list(blocks)
        keys = [b for b in blocks if b.get("key_event")]
    if key_panel and keys:
        _key_events(keys, console, zone)
    _posts(blocks, console, zone=zone)


def _blog_header(blog: dict[str, Any], console: Console) -> None:
    from rich.text import Text

    head = Text()
    head.append(safe(blog.get("title") or blog["id"]), style="bold")
    live = _STATE.get(blog.get("is_live"), "")
    if blog.get("as_of"):
        live = f"as of {fmt_time(blog['as_of'])}"
    meta = Text(style="dim")
    for n, part in enumerate(x for x in (safe(blog.get("publisher") or ""), live) if x):
        meta.append((" · " if n else "") + part)
    url = blog.get("url") or ""
    if url:
        meta.append(" · " if meta.plain else "")
        meta.append(safe(url), style=_link(url))
    if meta.plain:
        head.append("\n")
        head.append(meta)
    if note := gap_note(blog):
        head.append("\n")
        head.append(safe(note), style="yellow")
    console.print(head)


def _link(url: str) -> str:
    """A terminal hyperlink style for a URL that is plainly http(s) (Rich writes it only
    where the terminal supports links); nothing for anything else."""
    if re.fullmatch(r"https?://\S+", url) and is_terminal_safe(url):
        return f"link {url}"
    return ""


def _key_events(keys: list[dict[str, Any]], console: Console, zone: tzinfo | None) -> None:
    from rich.panel import Panel
    from rich.text import Text

    body = Text()
    for i, block in enumerate(keys):
        if i:
            body.append("\n")
        body.append(_row_time(block, zone), style="cyan")
        body.append("  ")
        body.append(safe(block.get("title") or (block.get("text") or "")[:100]))
    if not console.is_terminal:
        # A file or a pipe: whole lines under a heading (a panel is drawn to a width and
        # would cut each title there).
        console.print(Text("Key events", style="bold red"))
        console.print(body, soft_wrap=True)
        return
    console.print(Panel(body, title="Key events", title_align="left", border_style="red"))


def _posts(blocks: Iterable[dict[str, Any]], console: Console, *, zone: tzinfo | None) -> None:
    from rich.rule import Rule
    from rich.text import Text

    shown = 0
    for block in blocks:
        shown += 1
        console.print(Rule(style="dim"))
        line = Text()
        line.append(_row_time(block, zone), style="cyan")
        marks = _row_flags(block, zone)
        if marks:
            line.append("  " + marks, style="yellow")
        console.print(line)
        if block.get("title"):
            console.print(text(block["title"], "bold"))
        if block.get("authors"):
            console.print(text("by " + ", ".join(block["authors"]), "dim"))
        if block.get("text"):
            console.print(text(block["text"]))
        for element in block.get("elements") or []:
            described = element_line(element)
            if described:
                line = text(described, "blue")
                url = element.get("url") or ""
                if url and _link(url):
                    line.stylize(_link(url), len(line.plain) - len(safe(url)))
                console.print(line)
    if not shown:
        console.print(text("(no posts match)", "dim"))


def blog_lines(blogs: list[dict[str, Any]], zone: tzinfo | None = None) -> list[list[Piece]]:
    """The `list` view as lines of (text, style) pieces, page-derived text made safe: shown
    by Rich on a terminal, written plainly to a pipe (no Rich import: `list` starts fast)."""
    if not blogs:
        empty = (
            "the archive is empty: `liveblog fetch URL` or `liveblog parse FILE --save` adds a blog"
        )
        return [[(empty, "dim")]]
    lines: list[list[tuple[str, str]]] = []
    # Three lines a blog rather than a table: ids and titles are long, terminals are not.
    for blog in blogs:
        state = _STATE.get(blog.get("is_live"), "state unknown")
        lines.append(
            [
                (safe(blog["id"]), "bold cyan"),
                (f"  {state}", "green" if blog.get("is_live") else "dim"),
            ]
        )
        lines.append([(safe("  " + (blog.get("title") or "(no title)")), "")])
        if note := gap_note(blog):
            lines.append([(safe("  " + note), "yellow")])
        if blog.get("publisher"):
            lines.append(
                [(safe(f"  {blog['publisher']} · {blog.get('source_format') or ''}"), "dim")]
            )
        facts = [
            counted(blog.get("blocks"), "blocks"),
            counted(blog.get("key_events"), "key events"),
            f"posts {fmt_time(blog.get('first_post_at'), zone)} → "
            f"{fmt_time(blog.get('last_post_at'), zone)}",
        ]
        if blog.get("deleted"):
            facts.insert(2, f"{blog['deleted']} deleted")
        lines.append([("  " + " · ".join(facts), "dim")])
        polls = [
            # A blog only imported or parsed from a file was never checked on its site (its
            # captures' dates are not checks).
            f"checked {_ago(blog['last_fetched_at'])}"
            if blog.get("last_fetched_at")
            else "never checked on its site",
            f"changed {_ago(blog.get('last_changed_at'))}",
        ]
        if blog.get("failures_24h"):
            polls.append(counted(blog["failures_24h"], "failed polls") + " in 24 h")
        lines.append([("  " + " · ".join(polls), "dim")])
    return lines


def schedule_lines(rows: list[dict[str, Any]], now: float) -> list[list[Piece]]:
    """The schedule, two lines a row: the address and its blog; then its interval, when it
    is next due, who holds it, how its last poll went, failures in a row."""
    lines: list[list[Piece]] = []
    for row in rows:
        kind = "feed " if row["kind"] == "feed" else ""
        state = "  closed: left the schedule" if row["state"] == "closed" else ""
        head = [(safe(f"{kind}{row['url']}"), "bold cyan"), (state, "dim")]
        if row.get("blog_id"):
            head.append((safe(f"  {row['blog_id']}"), "dim"))
        lines.append(head)
        due = row["next_due"] - now
        when = "due now" if due <= 0 else f"next in {_span(due)}"
        facts = [f"every {row['every']:g} s", when if row["state"] == "active" else "—"]
        if row.get("lease_owner") and (row.get("lease_until") or 0) > now:
            facts.append(safe(f"held by {row['lease_owner']}"))
        facts.append(f"{counted(row['polls'], 'polls')}")
        if row.get("last_outcome"):
            facts.append(safe(f"last: {row['last_outcome']} ({_ago(row.get('last_polled_at'))})"))
        if row.get("failures"):
            facts.append(f"{counted(row['failures'], 'failures')} in a row: backing off")
        if row["kind"] == "feed":
            facts.append(f"found {counted(row['found'], 'blogs')}")
        lines.append([("  " + " · ".join(facts), "red" if row.get("failures") else "dim")])
    return lines


def _span(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def blogs_table(blogs: list[dict[str, Any]], console: Console, zone: tzinfo | None = None) -> None:
    print_lines(blog_lines(blogs, zone), console)


def print_lines(lines: Iterable[list[Piece]], console: Console) -> None:
    """Lines of pieces in their styles on a Rich console."""
    from rich.text import Text

    for pieces in lines:
        line = Text()
        for piece, style in pieces:
            line.append(piece, style=style)
        console.print(line)


def write_lines(lines: Iterable[list[Piece]], out: Any) -> None:
    """Lines of pieces as plain text (a pipe or a file: no styles, no Rich)."""
    out.writelines("".join(piece for piece, _ in pieces) + "\n" for pieces in lines)


def _ago(stamp: str | None) -> str:
    """How long ago an ISO time was, for people: "2 min ago", "3 h ago", "5 d ago"."""
    from liveblog_cli.model import parse_iso

    when = parse_iso(stamp)
    if when is None:
        return "never"
    from datetime import UTC, datetime

    seconds = max(0, int((datetime.now(UTC) - when).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def search_lines(hits: list[dict[str, Any]], zone: tzinfo | None = None) -> list[list[Piece]]:
    """Search hits as lines of (text, style) pieces, page-derived text made safe: shown by Rich
    on a terminal, written plainly to a pipe (no Rich import)."""
    lines: list[list[Piece]] = []
    for hit in hits:
        when = hit.get("published_at")
        head = [(fmt_time(when, zone) if when else "undated", "cyan")]
        if hit.get("key_event"):
            head.append(("  ★", "yellow"))
        if hit.get("deleted_at"):
            head.append(("  ✗ deleted", "red"))
        head.append((f"  {safe(hit['blog_id'])} {safe(hit['id'])}", "dim"))
        lines.append(head)
        if hit.get("title"):
            lines.append([(safe(hit["title"]), "bold")])
        snippet: list[Piece] = []
        # \x02 and \x03 mark the matched words (set by the query, never present in text).
        for i, part in enumerate(for_terminal_marked(hit.get("snippet") or "").split("\x02")):
            if i:
                match, _, rest = part.partition("\x03")
                snippet += [(match, "bold reverse"), (rest, "")]
            else:
                snippet.append((part, ""))
        lines += [snippet, []]
    return lines


def search_results(
    hits: list[dict[str, Any]], console: Console, zone: tzinfo | None = None
) -> None:
    print_lines(search_lines(hits, zone), console)


def write_search(
    hits: list[dict[str, Any]], shape: str | None, zone: tzinfo | None, query: str, out: Any
) -> None:
    """Search hits off a terminal: rows as --json, --nl or --csv (the marks of the matched
    words removed), else plain lines and, when nothing matched, a line on stderr saying so."""
    from liveblog_cli.output import say, write_rows

    if shape:
        for hit in hits:
            hit["snippet"] = hit["snippet"].replace("\x02", "").replace("\x03", "")
        write_rows(hits, shape, out)
        return
    write_lines(search_lines(hits, zone), out)
    if not hits:
        say(f"no posts match {query!r}")


def revisions_view(
    revisions: list[dict[str, Any]], console: Console, zone: tzinfo | None = None
) -> None:
    """Each revision with why it exists; what changed shown word by word in colour on a
    terminal (as `git diff --word-diff`), as a plain unified diff when piped."""
    from rich.text import Text

    from liveblog_cli.history import revision_text, word_diff

    previous: list[str] | None = None
    for rev in revisions:
        how = " · ".join(
            x for x in (rev.get("cause"), rev.get("source_format"), rev.get("parser_version")) if x
        )
        # To the second: two revisions seen in one minute must not read alike.
        from liveblog_cli.times import human

        seen = human(rev["seen_at"], zone, seconds=True)
        head = f"revision {rev['revision']}  seen {seen}" + (f"  ({how})" if how else "")
        console.print(text(head, "bold cyan"))
        current = revision_text(rev["block"])
        if rev["diff"] is None:
            block = rev["block"]
            if block.get("title"):
                console.print(text(block["title"], "bold"))
            console.print(text(block.get("text") or ""))
        elif console.is_terminal and previous is not None:
            for pieces in word_diff(previous, current):
                line = Text()
                for n, (tag, words) in enumerate(pieces):
                    if n:
                        line.append(" ")
                    style = {"-": "red strike", "+": "green bold"}.get(tag, "")
                    mark = {"-": ("[-", "-]"), "+": ("{+", "+}")}.get(tag, ("", ""))
                    line.append(mark[0] + safe(words) + mark[1], style=style)
                console.print(line)
        else:
            for line in rev["diff"].split("\n"):
                style = (
                    "green"
                    if line.startswith("+")
                    else "red"
                    if line.startswith("-")
                    else "dim"
                    if line.startswith("@@")
                    else ""
                )
                console.print(Text(safe(line), style=style))
        console.print()
        previous = current
