"""Commands that read the archive: list, show, export, search, history, reparse, import."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from liveblog_cli.cli_common import (
    EXIT_USAGE,
    AsOfOption,
    DbOption,
    KeyEventsOption,
    LimitOption,
    SinceOption,
    TzOption,
    UntilOption,
    fail,
    open_archive,
    parse_when,
    parse_zone,
)
from liveblog_cli.errors import EXIT_DATAERR, EXIT_NOINPUT

JsonFlag = Annotated[bool, typer.Option("--json", help="A JSON array on stdout.")]
NlFlag = Annotated[bool, typer.Option("--nl", help="One JSON object a line (for jq, streams).")]
CsvFlag = Annotated[bool, typer.Option("--csv", help="CSV with a header row.")]
NoPagerOption = Annotated[
    bool,
    typer.Option(
        "--no-pager", help="Never page long output (default on a terminal: LIVEBLOG_PAGER, PAGER)."
    ),
]
OldestFirstOption = Annotated[bool, typer.Option("--oldest-first", help="Oldest post first.")]


def list_blogs(
    db: DbOption = None,
    as_json: JsonFlag = False,
    as_nl: NlFlag = False,
    as_csv: CsvFlag = False,
    as_of: AsOfOption = None,
    tz: TzOption = None,
) -> None:
    """The archived blogs: id, title, counts, first and last post, last check and change."""
    from liveblog_cli import output

    shape = _shape(as_json, as_nl, as_csv)
    zone = parse_zone(tz)
    with open_archive(db) as archive:
        blogs = archive.list_blogs(as_of=parse_when(as_of, "--as-of"))
    if shape:
        output.write_rows(blogs, shape, sys.stdout)
        return
    if not sys.stdout.isatty():
        from liveblog_cli.render import blog_lines, write_lines

        write_lines(blog_lines(blogs, zone), sys.stdout)
        return
    from liveblog_cli.render import blogs_table

    blogs_table(blogs, output.console(), zone)


def show(
    blog: Annotated[str, typer.Argument(help="Blog id, URL, a word of either, or a prefix.")],
    db: DbOption = None,
    key_events: KeyEventsOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = None,
    oldest_first: OldestFirstOption = False,
    tz: TzOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The blog and its posts as JSON.")
    ] = False,
    as_of: AsOfOption = None,
    no_pager: NoPagerOption = False,
) -> None:
    """The timeline of one blog, newest first, with its key events on top."""
    from liveblog_cli import output

    zone = parse_zone(tz)
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        meta = archive.blog(blog_id)
        # Read once: `1h` means one instant for the posts and the key events alike.
        window = {
            "since": parse_when(since, "--since"),
            "until": parse_when(until, "--until"),
            "as_of": parse_when(as_of, "--as-of"),
        }
        blocks = archive.blocks(
            blog_id, key_events=key_events, limit=limit, oldest_first=oldest_first, **window
        )
        if as_json:
            output.write_json_with(meta, "blocks", blocks, sys.stdout)
            return
        from liveblog_cli.render import timeline

        keys = None
        if not key_events:
            keys = list(archive.blocks(blog_id, key_events=True, **window))
        view = output.console()
        with output.paged(view, enabled=not no_pager):
            timeline(meta, blocks, view, zone=zone, key_panel=not key_events, keys=keys)


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
    oldest_first: OldestFirstOption = False,
    as_of: AsOfOption = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="md/html: show times in this zone (IANA name or +05:30; default UTC).",
        ),
    ] = None,
) -> None:
    """Export archived posts as jsonl (default, streamed), json, csv, md, html or atom."""
    if (blog is None) == (not all_blogs):
        raise fail("give one BLOG, or --all", EXIT_USAGE)
    from liveblog_cli.archive import now_utc
    from liveblog_cli.export import WRITERS
    from liveblog_cli.model import iso_z

    if export_format in (ExportFormat.warc, ExportFormat.wacz):
        filtered = [since, until, limit, as_of, key_events or None, oldest_first or None]
        if any(f is not None for f in filtered):
            raise fail(
                "--format warc/wacz holds every capture: --since, --until, --limit, "
                "--key-events, --oldest-first and --as-of do not apply",
                EXIT_USAGE,
            )
        _export_web_archive(blog, db, export_format.value, output_path)
        return
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
        moment = parse_when(as_of, "--as-of")
        if moment is not None:
            filters["as_of"] = moment
        if export_format is ExportFormat.jsonl and moment is None:
            # Lines assembled by SQLite: the fast path for the format used on big archives.
            rows: Any = archive.blocks_jsonl(blog_id, **filters)
            writer = WRITERS["jsonl-lines"]
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
        if output_path is None:
            from liveblog_cli.output import widen_pipe

            widen_pipe(sys.stdout)
            writer(rows, sys.stdout, **context)
            sys.stdout.flush()
            return
        from liveblog_cli.output import atomic_writer

        with atomic_writer(output_path) as out:
            count = writer(rows, out, **context)
    sys.stderr.write(f"wrote {count} posts to {output_path}\n")


def _export_web_archive(blog: str | None, db: Path | None, kind: str, path: Path | None) -> None:
    """WARC (gzip-compressed WARC 1.1) or WACZ of every capture of one blog or all."""
    from liveblog_cli.warc_out import write_wacz, write_warc

    if kind == "wacz" and path is None:
        raise fail("--format wacz needs --output FILE (a zip)", EXIT_USAGE)
    if path is None and sys.stdout.isatty():
        raise fail("a WARC is binary: give --output FILE, or redirect stdout", EXIT_USAGE)
    with open_archive(db) as archive:
        ids = [archive.resolve(blog)] if blog is not None else [b for b, _ in archive.blog_ids()]
        if path is not None and path.is_dir():
            path = path / export_file_name(ids[0] if blog is not None else None, kind)
        if path is None:
            count = write_warc(archive, ids, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        from liveblog_cli.output import atomic_writer

        write = write_wacz if kind == "wacz" else write_warc
        with atomic_writer(path, binary=True) as out:
            count = write(archive, ids, out)
    sys.stderr.write(f"wrote {count} WARC records of {len(ids)} blogs to {path}\n")


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
            raise fail(f"no such file: {file}", EXIT_NOINPUT)
    with open_archive(db, create=True) as archive, _progress("importing") as on_capture:
        report = import_files(archive, files, on_capture=on_capture)
    for line in report.damaged:
        output.say(f"liveblog: warning: stopped reading {line}")
    for done in report.blogs.values():
        assert done.report is not None
        output.say(
            f"{done.blog_id}: {done.captures} captures {done.first} … {done.last}: "
            + done.report.summary().split(": ", 1)[1]
        )
    for blog_id in report.rebuilt:
        output.say(f"{blog_id}: put in capture order again (a capture older than its newest page)")
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items())) or "none"
    output.say(
        f"read {report.records} records: {report.pages} live-blog pages saved; skipped: {skipped}"
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
        raise fail(
            f"{report.error} (this capture; the {report.pages} saved before it are kept)",
            report.error.exit_code,
        )
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


def search(
    query: Annotated[
        str,
        typer.Argument(
            help='Words (all must match), "a phrase", OR, NOT or -word, prefix*, and a field: '
            "title:word or text:word."
        ),
    ],
    blog: Annotated[
        str | None, typer.Option(help="Only this blog (id, URL, a word of either, or a prefix).")
    ] = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many posts.")] = 50,
    as_json: JsonFlag = False,
    as_nl: NlFlag = False,
    as_csv: CsvFlag = False,
    tz: TzOption = None,
) -> None:
    """Full-text search over every archived post, best matches first."""
    from liveblog_cli import output
    from liveblog_cli.archive.search import fts_query

    shape = _shape(as_json, as_nl, as_csv)
    zone = parse_zone(tz)
    fts_query(query)  # a query that cannot be read is a usage error, before the archive
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog) if blog else None
        hits = archive.search(query, blog_id=blog_id, limit=limit)
    if shape or not sys.stdout.isatty():
        from liveblog_cli.render import write_search

        write_search(hits, shape, zone, query, sys.stdout)
        return
    from liveblog_cli.render import search_results

    search_results(hits, output.console(), zone)
    if not hits:
        output.say(f"no posts match {query!r}")


def history(
    blog: Annotated[str, typer.Argument(help="Blog id, URL, a word of either, or a prefix.")],
    block: Annotated[str, typer.Argument(help="The block id.")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Revisions and diffs as JSON.")] = False,
    tz: TzOption = None,
    no_pager: NoPagerOption = False,
) -> None:
    """Every revision of one post: why it exists, and what changed (word by word on a
    terminal, a unified diff when piped)."""
    from liveblog_cli import output
    from liveblog_cli.history import with_diffs

    zone = parse_zone(tz)
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        revisions = with_diffs(archive.revisions(blog_id, block))
    if as_json:
        output.write_json(revisions, sys.stdout)
        return
    from liveblog_cli.render import revisions_view

    view = output.console()
    with output.paged(view, enabled=not no_pager):
        revisions_view(revisions, view, zone)


def _shape(as_json: bool, as_nl: bool, as_csv: bool) -> str | None:
    chosen = [name for name, on in (("json", as_json), ("nl", as_nl), ("csv", as_csv)) if on]
    if len(chosen) > 1:
        raise fail("choose one of --json, --nl, --csv", EXIT_USAGE)
    return chosen[0] if chosen else None


def reparse(
    blog: Annotated[str | None, typer.Argument(help="Blog id, URL or prefix (or --all).")] = None,
    all_blogs: Annotated[bool, typer.Option("--all", help="Every archived blog.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would change; write nothing.")
    ] = False,
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Per blog: what was (or would be) rewritten, as JSON.")
    ] = False,
) -> None:
    """Rebuild posts from the raw pages the archive kept, with today's parser.

    A post whose row differs from what its pages give now (a parser upgrade, a damaged row) is
    rewritten with a revision of cause `reparse`, never counted as an edit.
    """
    if (blog is None) == (not all_blogs):
        raise fail("give one BLOG, or --all", EXIT_USAGE)
    from liveblog_cli import output
    from liveblog_cli.reparse import reparse_blog

    reports = []
    with open_archive(db) as archive:
        ids = [archive.resolve(blog)] if blog is not None else [b for b, _ in archive.blog_ids()]
        for blog_id in ids:
            with _progress(f"reparsing {blog_id}") as on_page:
                report = reparse_blog(archive, blog_id, dry_run=dry_run, on_page=on_page)
            reports.append(report)
            if not as_json:
                from liveblog_cli.untrusted import for_terminal as safe

                sys.stderr.write(safe(report.summary(dry_run=dry_run)) + "\n")
                for fix in report.corrections if dry_run else []:
                    what = "added" if fix.added else "differs in " + ", ".join(fix.fields)
                    sys.stdout.write(safe(f"{blog_id} {fix.block_id}: {what}") + "\n")
    if as_json:
        output.write_json(
            [
                {
                    "blog_id": r.blog_id,
                    "pages": r.pages,
                    "unreadable": r.unreadable,
                    "checked": r.checked,
                    "dry_run": dry_run,
                    "corrections": [
                        {"block_id": c.block_id, "added": c.added, "fields": c.fields}
                        for c in r.corrections
                    ],
                }
                for r in reports
            ],
            sys.stdout,
        )


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (stderr), nothing when piped or in cron."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    from liveblog_cli.output import console

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def on_page(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield on_page
