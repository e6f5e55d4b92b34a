"""Commands that move posts and pages out of and into the archive: export (every format,
WARC and WACZ included) and import (web archives)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liveblog_cli.cli.common import open_archive, parse_when, parse_zone
from liveblog_cli.cli.completion import blog_ids
from liveblog_cli.cli.options import (
    AsOfOption,
    DbOption,
    KeyEventsOption,
    LimitOption,
    OldestFirstOption,
    SinceOption,
    UntilOption,
)
from liveblog_cli.errors import EXIT_DATAERR, NotFound, UsageError
from liveblog_cli.output import progress

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive
from liveblog_cli.words import counted


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"
    atom = "atom"
    warc = "warc"
    wacz = "wacz"


def export(
    blog: Annotated[
        str | None,
        typer.Argument(help="Blog id, URL or prefix (or --all).", autocompletion=blog_ids),
    ] = None,
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
    oldest_first: OldestFirstOption = False,
    as_of: AsOfOption = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="md/html: show times in this zone (IANA name or +05:30; default UTC).",
        ),
    ] = None,
    feed_url: Annotated[
        str | None,
        typer.Option(
            "--feed-url",
            metavar="URL",
            help='atom: the address the feed will be published at (its rel="self" link).',
        ),
    ] = None,
) -> None:
    """Export archived posts as jsonl (default, streamed), json, csv, md, html or atom, or
    every capture as a web archive (warc, wacz).

    \b
    Examples:
      liveblog export mars | jq -r '.title'
      liveblog export mars -f html -o mars.html
      liveblog export --all -f wacz -o everything.wacz
      liveblog export mars -f atom --feed-url https://example.org/mars.atom -o mars.atom
    """
    if (blog is None) == (not all_blogs):
        raise UsageError("give one BLOG, or --all")
    if feed_url is not None:
        if export_format is not ExportFormat.atom:
            raise UsageError("--feed-url is for --format atom")
        from liveblog_cli.export import safe_url

        if not safe_url(feed_url):
            raise UsageError(f"--feed-url: not an http(s) URL: {feed_url!r}")
    from liveblog_cli.archive import now_utc
    from liveblog_cli.export import WRITERS
    from liveblog_cli.model import iso_z

    if export_format in (ExportFormat.warc, ExportFormat.wacz):
        filtered = [since, until, limit, as_of, key_events or None, oldest_first or None]
        if any(f is not None for f in filtered):
            raise UsageError(
                "--format warc/wacz holds every capture: --since, --until, --limit, "
                "--key-events, --oldest-first and --as-of do not apply"
            )
        _export_web_archive(blog, db, export_format.value, output_path)
        return
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog) if blog is not None else None
        # Blog metadata only where the format shows it (headers, feed title).
        needs_blogs = export_format in (ExportFormat.md, ExportFormat.html, ExportFormat.atom)
        blogs = archive.blog_rows() if needs_blogs else {}
        if not needs_blogs:
            # Formats of posts alone say nothing of their blog: what it lacks goes to stderr.
            _warn_of_gaps(archive, blog_id)
        if output_path is not None and output_path.is_dir():
            output_path = output_path / export_file_name(blog_id, export_format.value)
        filters: dict[str, Any] = {
            "since": parse_when(since, "--since"),
            "until": parse_when(until, "--until"),
            "key_events": key_events,
            "limit": limit,
            "oldest_first": oldest_first,
        }
        moment = parse_when(as_of, "--as-of")
        if moment is not None:
            filters["as_of"] = moment
        if export_format is ExportFormat.jsonl and moment is None:
            # Lines assembled by SQLite: the fast path for the format used on big archives.
            rows: Any = archive.jsonl_chunks(blog_id, **filters)
            writer = WRITERS["jsonl-chunks"]
        else:
            rows = archive.blocks(blog_id, **filters)
            writer = WRITERS[export_format.value]
        context: dict[str, Any] = {
            "blogs": blogs,
            "now": iso_z(now_utc()),
            "blog_id": blog_id,
            "zone": parse_zone(tz, default="utc"),
        }
        if export_format is ExportFormat.html:
            # Each blog's key events, gathered first, so the page can stream its posts.
            ids = [blog_id] if blog_id else list(blogs)
            context["key_events"] = {
                b: list(archive.blocks(b, **{**filters, "key_events": True})) for b in ids
            }
            context["title"] = (blogs.get(blog_id) or {}).get("title") if blog_id else None
            context["title"] = context["title"] or (blog_id or f"{len(blogs)} live blogs")
        if export_format is ExportFormat.atom:
            context["updated"] = archive.newest_update(blog_id, **filters)
            context["feed_url"] = feed_url
        if output_path is None:
            from liveblog_cli.output import widen_pipe

            widen_pipe(sys.stdout)
            writer(rows, sys.stdout, **context)
            sys.stdout.flush()
            return
        from liveblog_cli.output import atomic_writer

        with atomic_writer(output_path) as out:
            count = writer(rows, out, **context)
    sys.stderr.write(f"wrote {counted(count, 'posts')} to {output_path}\n")


def _warn_of_gaps(archive: Archive, blog_id: str | None) -> None:
    from liveblog_cli.output import say
    from liveblog_cli.words import gap_note

    rows = archive.blog_rows()
    for key in [blog_id] if blog_id else sorted(rows):
        if note := gap_note(rows.get(key, {})):
            say(f"liveblog: warning: {key}: {note}")


def _export_web_archive(blog: str | None, db: str | None, kind: str, path: Path | None) -> None:
    """WARC (gzip-compressed WARC 1.1) or WACZ of every capture of one blog or all."""
    from liveblog_cli.warc_out import write_wacz, write_warc

    if kind == "wacz" and path is None:
        raise UsageError("--format wacz needs --output FILE (a zip)")
    if path is None and sys.stdout.isatty():
        raise UsageError("a WARC is binary: give --output FILE, or redirect stdout")
    with open_archive(db) as archive:
        ids = [archive.resolve(blog)] if blog is not None else [b for b, _ in archive.blog_ids()]
        if path is not None and path.is_dir():
            path = path / export_file_name(ids[0] if blog is not None else None, kind)
        if path is None:
            count = write_warc(archive, ids, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        from liveblog_cli.output import atomic_writer

        with atomic_writer(path, binary=True) as out:
            if kind == "wacz":
                count = write_wacz(archive, ids, out)
            else:
                # As the name says: x.warc plain, x.warc.gz (or any other name) compressed.
                count = write_warc(archive, ids, out, compress=path.suffix.lower() != ".warc")
    sys.stderr.write(
        f"wrote {counted(count, 'WARC records')} of {counted(len(ids), 'blogs')} to {path}\n"
    )


def import_archives(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="WARC (.warc, .warc.gz) or WACZ files, any order."),
    ],
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The summary per blog as JSON on stdout.")
    ] = False,
) -> None:
    """Import web archives: every capture of a live blog in them, saved in capture order, so
    `history` and `--as-of` show what changed between captures."""
    from liveblog_cli import output
    from liveblog_cli.warc_in import import_files

    for file in files:
        if not file.is_file():
            raise NotFound(f"no such file: {file}")
    with open_archive(db, create=True) as archive, progress("importing") as on_capture:
        report = import_files(archive, files, on_capture=on_capture)
    for line in report.damaged:
        output.say(f"liveblog: warning: stopped reading {line}")
    for done in report.blogs.values():
        assert done.report is not None
        output.say(
            f"{done.blog_id}: {counted(done.captures, 'captures')} {done.first} … {done.last}: "
            + done.report.summary().split(": ", 1)[1]
        )
    for blog_id in report.rebuilt:
        output.say(f"{blog_id}: put in capture order again (a capture older than its newest page)")
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items())) or "none"
    output.say(
        f"read {counted(report.records, 'records')}: "
        f"{counted(report.pages, 'live-blog pages')} saved; skipped: {skipped}"
    )
    if as_json:
        output.write_json(
            {
                "records": report.records,
                "pages": report.pages,
                "skipped": report.skipped,
                "damaged": report.damaged,
                "blogs": [
                    {
                        "blog_id": b.blog_id,
                        "captures": b.captures,
                        "first": b.first,
                        "last": b.last,
                        **{
                            k: v
                            for k, v in (b.report.to_dict() if b.report else {}).items()
                            if k != "blog_id"
                        },
                    }
                    for b in report.blogs.values()
                ],
            },
            sys.stdout,
        )
    if report.error is not None:
        # Each capture was committed as it was read: those before the failure stay.
        kept = f"this capture; the {report.pages} saved before it are kept"
        raise type(report.error)(f"{report.error} ({kept})")
    if report.damaged or report.records == 0:
        raise typer.Exit(EXIT_DATAERR)


def export_file_name(blog_id: str | None, export_format: str) -> str:
    """A file name for an export into a directory: the blog id made safe, never a path, and
    never the name of another blog's export (an id changed on the way gets a hash of itself,
    so `../x` and `x` do not both become `x.jsonl`)."""
    import hashlib
    import re

    name = blog_id or "all-blogs"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:150] or "blog"
    if stem != name:
        stem += "-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    extension = {"atom": "xml", "md": "md", "warc": "warc.gz"}.get(export_format, export_format)
    return f"{stem}.{extension}"
