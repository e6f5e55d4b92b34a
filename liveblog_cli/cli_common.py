"""What every command module shares: the Typer app, options, `fail`, opening the archive.

Command modules (cli_parse, cli_archive, cli_fetch) import this and register on `app`;
`cli.py` imports them all and runs the app. Nothing here imports a command module.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from liveblog_cli import __version__
from liveblog_cli.errors import EXIT_NOINPUT, EXIT_USAGE, OutputFailed

app = typer.Typer(
    name="liveblog",
    help="Archive news live blogs: fetch, parse, keep every edit, show and export.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def writes_output(command: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose failures to write stdout reach `main` as they are, not as click's."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        if sys.stdout is None:  # started with stdout closed
            raise OutputFailed(OSError(errno.EBADF, "stdout is closed"))
        try:
            return command(*args, **kwargs)
        except OSError as exc:
            from liveblog_cli.output import OUTPUT_ERRNOS

            if exc.errno in OUTPUT_ERRNOS:
                raise OutputFailed(exc) from None
            raise

    return run


def fail(message: str, code: int) -> typer.Exit:
    """Print one line on stderr (made plain) and return the Exit to raise."""
    from liveblog_cli.output import say

    say(f"liveblog: error: {message}")
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        if sys.stdout is None:
            raise OutputFailed(OSError(errno.EBADF, "stdout is closed"))
        try:
            sys.stdout.write(f"liveblog {__version__}\n")
        except OSError as exc:
            raise OutputFailed(exc) from None
        raise typer.Exit()


# The archive named before the command (`liveblog --db X list`), for commands not given one.
_ROOT_DB: list[Path] = []


def _root_db(value: Path | None) -> Path | None:
    if value is not None:
        _ROOT_DB[:] = [value]
    return value


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="The archive file (default: env LIVEBLOG_DB, else in your user data directory).",
        show_default=False,
    ),
]


@app.callback()
def root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            callback=_root_db,
            help="The archive file, for any command (also after the command; env LIVEBLOG_DB).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Archive news live blogs: fetch, parse, keep every edit, show and export."""


def archive_path(db: Path | None) -> Path:
    """The archive a command works on: its --db, the --db before it, LIVEBLOG_DB, else the
    default in the user data directory."""
    from liveblog_cli.archive import chosen_path

    return chosen_path(db if db is not None or not _ROOT_DB else _ROOT_DB[0])


def open_archive(db: Path | None, *, create: bool = False):  # type: ignore[no-untyped-def]
    """The archive, opened; only commands that write (`create`) make one where none is:
    a mistyped --db for a read is an error (exit 66), never a new empty archive."""
    from liveblog_cli.archive import Archive

    return Archive(archive_path(db), create=create)


def parse_when(value: str | None, option: str):  # type: ignore[no-untyped-def]
    """An ISO date/time, or a duration back from now (`90m`, `6h`, `2d`)."""
    if value is None:
        return None
    import re
    from datetime import UTC, datetime, timedelta

    from liveblog_cli.model import parse_iso

    m = re.fullmatch(r"\s*(\d{1,12})\s*([smhdw])\s*", value)
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m[2]]
        try:
            return datetime.now(UTC) - timedelta(**{unit: int(m[1])})
        except OverflowError:
            # Further back than any calendar goes: everything is after it.
            return datetime.min.replace(tzinfo=UTC)
    moment = parse_iso(value)
    if moment is None:
        raise fail(f"{option}: not a date, time or duration: {value!r}", EXIT_USAGE)
    return moment


def finite(value: float | None) -> float | None:
    """A number option must be a number: `inf` and `nan` are refused (exit 2)."""
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number of seconds")
    return value


def parse_zone(name: str | None, *, default: str = "local"):  # type: ignore[no-untyped-def]
    """The zone times are shown in: --tz (an IANA name or an offset), else this machine's
    zone with its rules (terminal views) or UTC (`default="utc"`: files for others)."""
    from liveblog_cli import times

    if name is None:
        return times.local_zone() if default == "local" else times.parse_zone("UTC")
    try:
        return times.parse_zone(name)
    except ValueError as exc:
        raise fail(f"--tz: {exc}", EXIT_USAGE) from None


TzOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="Show times in this zone: an IANA name (Europe/London) or an offset (+05:30); "
        "default: your local zone.",
    ),
]


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
