"""Commands that read the archive: list, show, export, search, history."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from liveblog_cli.cli_common import (
    EXIT_USAGE,
    DbOption,
    KeyEventsOption,
    LimitOption,
    SinceOption,
    UntilOption,
    fail,
    open_archive,
    parse_when,
    parse_zone,
)


def list_blogs(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON array on stdout.")] = False,
) -> None:
    """The archived blogs: id, title, counts, first and last post, last fetch."""
    from liveblog_cli import output

    with open_archive(db) as archive:
        blogs = archive.list_blogs()
    if as_json:
        output.write_json(blogs, sys.stdout)
        return
    from liveblog_cli.render import blogs_table

    blogs_table(blogs, output.console())


def show(
    blog: Annotated[str, typer.Argument(help="Blog id, URL, or an unambiguous prefix.")],
    db: DbOption = None,
    key_events: KeyEventsOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = None,
    oldest_first: Annotated[
        bool, typer.Option("--oldest-first", help="Oldest post first.")
    ] = False,
    tz: Annotated[
        str | None, typer.Option("--tz", help="Show times in this zone (default: your local zone).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The blog and its posts as JSON.")
    ] = False,
) -> None:
    """The timeline of one blog, newest first, with its key events on top."""
    from liveblog_cli import output

    zone = parse_zone(tz)
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        meta = archive.blog(blog_id)
        blocks = list(
            archive.blocks(
                blog_id,
                since=parse_when(since, "--since"),
                until=parse_when(until, "--until"),
                key_events=key_events,
                limit=limit,
                oldest_first=oldest_first,
            )
        )
    if as_json:
        output.write_json({**meta, "blocks": blocks}, sys.stdout)
        return
    from datetime import datetime

    from liveblog_cli.render import timeline

    timeline(
        meta,
        blocks,
        output.console(),
        zone=zone or datetime.now().astimezone().tzinfo,
        key_panel=not key_events,
    )


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"
    atom = "atom"


def export(
    blog: Annotated[str | None, typer.Argument(help="Blog id, URL or prefix (or --all).")] = None,
    all_blogs: Annotated[bool, typer.Option("--all", help="Every archived blog.")] = False,
    export_format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.jsonl,
    output_path: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
    db: DbOption = None,
    key_events: KeyEventsOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = None,
    oldest_first: Annotated[bool, typer.Option("--oldest-first")] = False,
) -> None:
    """Export archived posts as jsonl (default, streamed), json, csv, md, html or atom."""
    if (blog is None) == (not all_blogs):
        raise fail("give one BLOG, or --all", EXIT_USAGE)
    from liveblog_cli.archive import now_utc
    from liveblog_cli.export import WRITERS
    from liveblog_cli.model import iso_z

    with open_archive(db) as archive:
        blog_id = archive.resolve(blog) if blog is not None else None
        # Blog metadata only where the format shows it (headers, feed title).
        needs_blogs = export_format in (ExportFormat.md, ExportFormat.html, ExportFormat.atom)
        blogs = archive.blog_rows() if needs_blogs else {}
        if output_path is not None and output_path.is_dir():
            output_path = output_path / export_file_name(blog_id, export_format.value)
        filters = {
            "since": parse_when(since, "--since"),
            "until": parse_when(until, "--until"),
            "key_events": key_events,
            "limit": limit,
            "oldest_first": oldest_first,
        }
        if export_format is ExportFormat.jsonl:
            # Lines assembled by SQLite: the fast path for the format used on big archives.
            rows: Any = archive.blocks_jsonl(blog_id, **filters)
            writer = WRITERS["jsonl-lines"]
        else:
            rows = archive.blocks(blog_id, **filters)
            writer = WRITERS[export_format.value]
        if output_path is None:
            writer(rows, sys.stdout, blogs=blogs, now=iso_z(now_utc()))
            sys.stdout.flush()
            return
        from liveblog_cli.output import atomic_writer

        with atomic_writer(output_path) as out:
            count = writer(rows, out, blogs=blogs, now=iso_z(now_utc()))
    sys.stderr.write(f"wrote {count} posts to {output_path}\n")


def export_file_name(blog_id: str | None, export_format: str) -> str:
    """A file name for an export into a directory: the blog id made safe, never a path."""
    import re

    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", blog_id or "all-blogs").strip(".-")[:150] or "blog"
    extension = {"atom": "xml", "md": "md"}.get(export_format, export_format)
    return f"{stem}.{extension}"


def search(
    query: Annotated[str, typer.Argument(help="Words to find (all of them) in titles and text.")],
    blog: Annotated[str | None, typer.Option(help="Only this blog (id, URL or prefix).")] = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON array on stdout.")] = False,
) -> None:
    """Full-text search over every archived post, best matches first."""
    from liveblog_cli import output

    with open_archive(db) as archive:
        blog_id = archive.resolve(blog) if blog else None
        hits = archive.search(query, blog_id=blog_id, limit=limit)
    if as_json:
        for hit in hits:
            hit["snippet"] = hit["snippet"].replace("\x02", "").replace("\x03", "")
        output.write_json(hits, sys.stdout)
        return
    from liveblog_cli.render import search_results

    search_results(hits, output.console())
    if not hits:
        sys.stderr.write(f"no posts match {query!r}\n")


def history(
    blog: Annotated[str, typer.Argument(help="Blog id, URL or prefix.")],
    block: Annotated[str, typer.Argument(help="The block id.")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Revisions and diffs as JSON.")] = False,
) -> None:
    """Every revision of one post, with what changed between consecutive ones."""
    from liveblog_cli import output
    from liveblog_cli.history import with_diffs

    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        revisions = with_diffs(archive.revisions(blog_id, block))
    if as_json:
        output.write_json(revisions, sys.stdout)
        return
    from liveblog_cli.render import revisions_view

    revisions_view(revisions, output.console())
