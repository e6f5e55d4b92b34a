"""The `liveblog` command line: thin commands over the library, errors as exit codes.

Machine output (JSON, CSV ...) goes to stdout through plain writes; messages, progress and
errors go to stderr. Heavy modules are imported inside commands so `--help` stays quick.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

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


# Commands in their own modules register on `app` when imported.
from liveblog_cli import cli_archive, cli_fetch  # noqa: E402, F401
