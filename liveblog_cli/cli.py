"""The `liveblog` command line: thin commands over the library, errors as exit codes.

Machine output (JSON, CSV ...) goes to stdout through plain writes; messages, progress and
errors go to stderr. Heavy modules are imported inside commands so `--help` stays quick.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from liveblog_cli import __version__
from liveblog_cli.errors import EXIT_NOINPUT, EXIT_USAGE, LiveblogError

app = typer.Typer(
    name="liveblog",
    help="Archive news live blogs: fetch, parse, keep every edit, show and export.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_SOFTWARE = 70


class ParseFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    table = "table"


def fail(message: str, code: int) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    sys.stderr.write(f"liveblog: error: {message}\n")
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"liveblog {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Archive news live blogs: fetch, parse, keep every edit, show and export."""


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="LIVEBLOG_DB",
        help="The archive file (default: in your user data directory; env LIVEBLOG_DB).",
        show_default=False,
    ),
]


def open_archive(db: Path | None, *, readonly: bool = False):  # type: ignore[no-untyped-def]
    from liveblog_cli.archive import Archive, default_path

    return Archive(db or default_path(), readonly=readonly)


def parse_when(value: str | None, option: str):  # type: ignore[no-untyped-def]
    """An ISO date/time, or a duration back from now (`90m`, `6h`, `2d`)."""
    if value is None:
        return None
    import re
    from datetime import UTC, datetime, timedelta

    from liveblog_cli.model import parse_iso

    m = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", value)
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m[2]]
        return datetime.now(UTC) - timedelta(**{unit: int(m[1])})
    moment = parse_iso(value)
    if moment is None:
        raise fail(f"{option}: not a date, time or duration: {value!r}", EXIT_USAGE)
    return moment


def parse_zone(name: str | None):  # type: ignore[no-untyped-def]
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(
            f"--tz: unknown time zone {name!r} (try Europe/London, UTC)", EXIT_USAGE
        ) from None


SinceOption = Annotated[
    str | None,
    typer.Option(help="Only posts at or after this time (ISO date/time, or 90m, 6h, 2d ago)."),
]
UntilOption = Annotated[str | None, typer.Option(help="Only posts at or before this time.")]
KeyEventsOption = Annotated[bool, typer.Option("--key-events", help="Only key events.")]
LimitOption = Annotated[int | None, typer.Option(min=1, help="At most this many posts.")]


def read_input(source: str) -> bytes:
    """The bytes of FILE, or of stdin for `-`."""
    if source == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise fail("no input: give a FILE, or pipe a page into `liveblog parse -`", EXIT_USAGE)
        return sys.stdin.buffer.read()
    path = Path(source)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise fail(f"no such file: {source}", EXIT_NOINPUT) from None
    except IsADirectoryError:
        raise fail(f"is a directory, not a page: {source}", EXIT_NOINPUT) from None
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror}", EXIT_NOINPUT) from None


@app.command()
def parse(
    source: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="A saved page; - for stdin.")
    ] = "-",
    url: Annotated[
        str | None, typer.Option(help="The page's URL: resolves relative links, names the blog.")
    ] = None,
    output_format: Annotated[
        ParseFormat,
        typer.Option(
            "--format",
            "-f",
            help="json (whole blog), jsonl (a block a line) or table (a summary for people).",
        ),
    ] = ParseFormat.json,
    save: Annotated[bool, typer.Option("--save", help="Also store it in the archive.")] = False,
    db: DbOption = None,
) -> None:
    """Parse a saved live-blog page offline and print what it holds."""
    from liveblog_cli import output
    from liveblog_cli.parse import parse_page

    data = read_input(source)
    blog = parse_page(data, url)
    if save:
        from liveblog_cli.archive import FetchInfo

        with open_archive(db) as archive:
            report = archive.save(blog, raw=data, fetch=FetchInfo(url=url or blog.url))
        sys.stderr.write(report.summary() + "\n")
    if output_format is ParseFormat.json:
        output.write_json(blog.to_dict(), sys.stdout)
    elif output_format is ParseFormat.jsonl:
        output.write_jsonl((b.to_dict() for b in blog.blocks), sys.stdout)
    else:
        from liveblog_cli.render import blog_summary

        blog_summary(blog, output.console())


@app.command("list")
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


def _fetch_options(
    urls: list[str],
    db: Path | None,
    as_json: bool,
    quiet: bool,
    max_pages: int | None,
    max_bytes: int,
    user_agent: str | None,
    retries: int,
    timeout: float,
    delay: float,
    wait: float,
    log_file: Path | None,
    follow_mode: bool,
    interval: float,
    max_duration: float | None,
) -> None:
    import logging

    from liveblog_cli import fetch as fetching
    from liveblog_cli.lock import archive_lock

    settings = fetching.Settings(
        user_agent=user_agent or fetching.DEFAULT_USER_AGENT,
        read_timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        deadline=max(timeout * 3, timeout),
        max_bytes=max_bytes,
        tries=retries + 1,
        host_delay=delay,
        max_pages=max_pages,
        guardian_hosts=fetching.env_hosts(),
    )
    log = logging.getLogger("liveblog")
    log.addHandler(logging.NullHandler())  # messages reach stderr by our own hand, once
    log.propagate = False
    if log_file is not None:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise fail(f"--log-file {log_file}: {exc.strerror or exc}", EXIT_USAGE) from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    db_path = db or _default_db()
    with archive_lock(db_path, wait=wait), open_archive(db_path) as archive:
        if follow_mode:
            if len(urls) != 1:
                raise fail("--follow takes exactly one URL", EXIT_USAGE)
            code = _follow(urls[0], archive, settings, interval, max_duration, quiet, log)
            raise typer.Exit(code)
        results = _fetch_with_progress(urls, archive, settings, quiet)
    code = 0
    for result in results:
        (log.error if result.error else log.info)(result.summary())
        if result.error:
            sys.stderr.write(f"liveblog: error: {result.error}\n")
        elif not quiet and not as_json:
            sys.stderr.write(result.summary() + "\n")
        code = max(code, result.exit_code)
    if as_json:
        from liveblog_cli import output

        output.write_json([r.to_dict() for r in results], sys.stdout)
    raise typer.Exit(code)


def _default_db() -> Path:
    from liveblog_cli.archive import default_path

    return default_path()


def _fetch_with_progress(urls, archive, settings, quiet):  # type: ignore[no-untyped-def]
    from liveblog_cli.fetch import fetch_many

    if quiet or not sys.stderr.isatty():
        return fetch_many(urls, archive, settings)
    from liveblog_cli.output import console

    err = console(stderr=True)
    with err.status("fetching…") as status:

        def on_page(url: str, page: int) -> None:
            status.update(f"fetching {url} (page {page})")

        return fetch_many(urls, archive, settings, on_page=on_page)


def _follow(url, archive, settings, interval, max_duration, quiet, log):  # type: ignore[no-untyped-def]
    from liveblog_cli import output
    from liveblog_cli.follow import follow

    terminal = sys.stdout.isatty()
    view = output.console() if terminal else None

    def emit(row: dict) -> None:  # type: ignore[type-arg]
        if view is not None:
            from liveblog_cli.render import timeline

            timeline({"id": row["blog_id"]}, [row], view, key_panel=False)
        else:
            sys.stdout.write(output.dumps(row) + "\n")
            sys.stdout.flush()

    def report(result) -> None:  # type: ignore[no-untyped-def]
        (log.error if result.error else log.info)(result.summary())
        if result.error:
            sys.stderr.write(f"liveblog: error: {result.error}\n")
        elif not quiet and (result.report is None or result.report.changed):
            sys.stderr.write(result.summary() + "\n")

    outcome = follow(
        url,
        archive,
        settings,
        interval=interval,
        max_duration=max_duration,
        emit=emit,
        report=report,
    )
    if not quiet:
        sys.stderr.write(
            f"liveblog: stopped following ({outcome.reason}) after "
            f"{outcome.polls} polls, {outcome.emitted} blocks shown\n"
        )
    return outcome.exit_code


UrlsArgument = Annotated[list[str], typer.Argument(help="Live-blog URLs.", show_default=False)]
JsonSummary = Annotated[
    bool, typer.Option("--json", help="Print the per-blog summary as JSON on stdout.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (cron).")]
MaxPages = Annotated[int | None, typer.Option(min=1, help="Read at most this many pages.")]
MaxBytes = Annotated[
    int, typer.Option(min=1024, help="Refuse a page larger than this (after decompression).")
]
UserAgent = Annotated[
    str | None,
    typer.Option(envvar="LIVEBLOG_USER_AGENT", help="User-Agent header (env LIVEBLOG_USER_AGENT)."),
]
Retries = Annotated[int, typer.Option(min=0, max=10, help="Retries after a failed request.")]
Timeout = Annotated[
    float,
    typer.Option(
        min=0.1, help="Seconds to wait for the server to answer (the whole request may take 3x)."
    ),
]
Delay = Annotated[float, typer.Option(min=0, help="Seconds between two requests to one host.")]
Wait = Annotated[
    float,
    typer.Option(
        min=0,
        help="If another fetch holds the archive, wait up to this long (default: exit 75 at once).",
    ),
]
LogFile = Annotated[Path | None, typer.Option(help="Also append a log line per fetch here.")]
Interval = Annotated[
    float, typer.Option(help="--follow: seconds between polls (jittered, never below 15).")
]
MaxDuration = Annotated[float | None, typer.Option(help="--follow: stop after this many seconds.")]


@app.command()
def fetch(
    urls: UrlsArgument,
    db: DbOption = None,
    as_json: JsonSummary = False,
    quiet: Quiet = False,
    max_pages: MaxPages = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    user_agent: UserAgent = None,
    retries: Retries = 3,
    timeout: Timeout = 30.0,
    delay: Delay = 1.0,
    wait: Wait = 0.0,
    log_file: LogFile = None,
    follow_mode: Annotated[
        bool,
        typer.Option(
            "--follow", help="Keep polling until the blog closes, printing new and edited posts."
        ),
    ] = False,
    interval: Interval = 60.0,
    max_duration: MaxDuration = None,
) -> None:
    """Fetch live blogs (every page the first time, only what changed later) into the archive."""
    _fetch_options(
        urls,
        db,
        as_json,
        quiet,
        max_pages,
        max_bytes,
        user_agent,
        retries,
        timeout,
        delay,
        wait,
        log_file,
        follow_mode,
        interval,
        max_duration,
    )


@app.command("follow")
def follow_command(
    url: Annotated[str, typer.Argument(help="A live-blog URL.")],
    db: DbOption = None,
    quiet: Quiet = False,
    max_pages: MaxPages = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    user_agent: UserAgent = None,
    retries: Retries = 3,
    timeout: Timeout = 30.0,
    delay: Delay = 1.0,
    wait: Wait = 0.0,
    log_file: LogFile = None,
    interval: Interval = 60.0,
    max_duration: MaxDuration = None,
) -> None:
    """Same as `fetch --follow URL`: poll until the blog closes, printing each new post."""
    _fetch_options(
        [url],
        db,
        False,
        quiet,
        max_pages,
        max_bytes,
        user_agent,
        retries,
        timeout,
        delay,
        wait,
        log_file,
        True,
        interval,
        max_duration,
    )


def main() -> None:
    """Console-script entry point: library errors become one line on stderr and an exit code."""
    try:
        app()
    except LiveblogError as exc:
        sys.stderr.write(f"liveblog: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("liveblog: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # `liveblog export | head`: the reader left; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("LIVEBLOG_DEBUG"):
            raise
        sys.stderr.write(
            f"liveblog: internal error: {type(exc).__name__}: {exc} "
            "(set LIVEBLOG_DEBUG=1 for a traceback, and please report it)\n"
        )
        sys.exit(EXIT_SOFTWARE)
