"""What every command module shares: the Typer app, options, `fail`, opening the archive.

Command modules (cli_parse, cli_archive, cli_fetch) import this and register on `app`;
`cli.py` imports them all and runs the app. Nothing here imports a command module.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from liveblog_cli import __version__
from liveblog_cli.errors import EXIT_NOINPUT, EXIT_USAGE

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
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The blog as it stood at this time: posts then existing, in their revision then "
        "(ISO date/time, or 90m, 6h, 2d ago).",
    ),
]
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
