"""What commands share and the quick path needs too, without Typer or Rich: which archive a
command works on, times and zones read from options, input files, output that fails,
progress on a terminal.

Errors are raised as liveblog's own (errors.py): the CLI prints each as one line with its
exit code, whichever path (Typer's or the quick one) ran the command.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liveblog_cli.errors import NotFound, OutputFailed, ParseError, UsageError

if TYPE_CHECKING:
    from liveblog_cli.archive import Archive

# The archive named before the command (`liveblog --db X list`), for commands not given one.
ROOT_DB: list[str | Path] = []


def archive_path(db: str | Path | None) -> str | Path:
    """The archive a command works on: its --db, the --db before it, LIVEBLOG_DB, the
    settings file's `db`, else the default in the user data directory."""
    import os

    from liveblog_cli.archive import chosen_path

    given = db if db is not None or not ROOT_DB else ROOT_DB[0]
    if given is None and not os.environ.get("LIVEBLOG_DB"):
        from liveblog_cli.config import load

        settings = load()
        given = settings.db if settings is not None else None
    return chosen_path(given)


def open_archive(db: str | Path | None, *, create: bool = False) -> Archive:
    """The archive, opened; only commands that write (`create`) make one where none is:
    a mistyped --db for a read is an error (exit 66), never a new empty archive."""
    from liveblog_cli.archive import Archive

    return Archive(archive_path(db), create=create)


def parse_when(value: str | None, option: str) -> datetime | None:
    """An ISO date/time, or a duration back from now (`90m`, `6h`, `2d`)."""
    if value is None:
        return None
    import re
    from datetime import UTC, timedelta

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
        raise UsageError(f"{option}: not a date, time or duration: {value!r}")
    return moment


def zone_named(name: str) -> tzinfo:
    """The zone `--tz` names (an IANA name or an offset), or a usage error saying why not."""
    from liveblog_cli import times

    try:
        return times.parse_zone(name)
    except ValueError as exc:
        raise UsageError(f"--tz: {exc}") from None


def parse_zone(name: str | None, *, default: str = "local") -> tzinfo:
    """The zone times are shown in: --tz (an IANA name or an offset), else this machine's
    zone with its rules (terminal views) or UTC (`default="utc"`: files for others)."""
    from liveblog_cli import times

    if name is None:
        return times.local_zone() if default == "local" else times.parse_zone("UTC")
    return zone_named(name)


# The output shapes (--json, --nl, --csv) and the shape each names.
SHAPES = {"--json": "json", "--nl": "nl", "--csv": "csv"}


def chosen_shape(*flags: str) -> str | None:
    """The one shape the flags given name (`--json` ...), None for none; two is an error."""
    chosen = [SHAPES[flag] for flag in flags]
    if len(chosen) > 1:
        raise UsageError("choose one of --json, --nl, --csv")
    return chosen[0] if chosen else None


def read_input(source: str, *, limit: int | None = None) -> bytes:
    """The bytes of FILE, or of stdin for `-`; more than `limit` of them is refused (said
    before a file is read, and after limit + 1 bytes of a stream)."""
    if source == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no input: give a FILE, or pipe a page into `liveblog parse -`")
        data = sys.stdin.buffer.read(-1 if limit is None else limit + 1)
        if limit is not None and len(data) > limit:
            raise ParseError(f"stdin: more than --max-bytes {limit} bytes")
        return data
    path = Path(source)
    try:
        if limit is not None and path.is_file() and path.stat().st_size > limit:
            size = path.stat().st_size
            raise ParseError(f"{source}: {size} bytes is more than --max-bytes {limit}")
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no such file: {source}") from None
    except IsADirectoryError:
        raise NotFound(f"is a directory, not a page: {source}") from None
    except OSError as exc:
        raise NotFound(f"cannot read {source}: {exc.strerror}") from None


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


def internal_error(exc: BaseException) -> int:
    """A bug said in one line (LIVEBLOG_DEBUG=1 raises it for its traceback): exit 70."""
    import os

    from liveblog_cli.errors import EXIT_SOFTWARE
    from liveblog_cli.output import say

    if os.environ.get("LIVEBLOG_DEBUG"):
        raise exc
    say(
        f"liveblog: internal error: {type(exc).__name__}: {exc} "
        "(set LIVEBLOG_DEBUG=1 for a traceback, and please report it)"
    )
    return EXIT_SOFTWARE


__all__ = [
    "ROOT_DB",
    "SHAPES",
    "archive_path",
    "chosen_shape",
    "internal_error",
    "open_archive",
    "parse_when",
    "parse_zone",
    "read_input",
    "writes_output",
    "zone_named",
]
