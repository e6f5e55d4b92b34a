"""`liveblog list` and `liveblog search` without loading the command-line framework: the
commands people and scripts run most, answered in about the time Python takes to start
(Typer and its command signatures are two-thirds of a search's start-up).

Only the plainest forms are answered here (`list`, or `search QUERY` with `--blog`,
`--limit`; with `--db PATH` before or after the command, `--json`, `--nl`, `--csv`,
`--tz ZONE`, to a pipe or a file); anything else, a terminal included, goes to the full
command line, which says the same things the same way (tests compare the two).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from liveblog_cli.cli import answers
from liveblog_cli.cli.common import SHAPES, internal_error
from liveblog_cli.errors import EXIT_INTERRUPTED, LiveblogError


def run(argv: list[str]) -> int | None:
    """The exit code of `liveblog list ...` or `liveblog search ...`, or None when the full
    CLI must answer."""
    words = _read(argv)
    if words is None or sys.stdout is None:
        return None
    command, options, arguments = words
    shape = options.pop("shape", None)
    if shape is None and sys.stdout.isatty():
        return None
    db, tz = _path(options.get("db")), options.get("tz")
    try:
        from liveblog_cli.config import load

        settings = load()
    except LiveblogError:
        return None  # the full command line says what is wrong with the file
    if settings is not None:
        # Only the file's db and tz are read here; any other setting that could touch
        # these commands is the full command line's to apply.
        if set(settings.values) - {"db", "tz"} or settings.tables:
            return None  # (the full command line also checks the whole file)
        tz = tz if tz is not None else settings.values.get("tz")
        if tz is not None and not isinstance(tz, str):
            return None
    if command == "list" and not arguments and options.keys() <= {"db", "tz"}:
        return _answered(lambda: answers.list_blogs(db, shape, tz, None))
    if command == "search" and len(arguments) == 1:
        limit = options.get("limit", "50")
        if not (limit.isascii() and limit.isdigit()) or int(limit) < 1:
            return None  # the full command line says what is wrong with it
        query, blog = arguments[0], options.get("blog")
        return _answered(lambda: answers.search(query, db, blog, int(limit), shape, tz))
    return None


_VALUED = {"--db": "db", "--tz": "tz", "--blog": "blog", "--limit": "limit"}


def _read(argv: list[str]) -> tuple[str, dict[str, str], list[str]] | None:
    """(command, options, arguments) of the forms answered here; None for anything else
    (an unknown option, one given twice, `--opt=value`, a value that looks like an option)."""
    command: str | None = None
    options: dict[str, str] = {}
    arguments: list[str] = []
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if command is None and word in ("list", "search"):
            command = word
        elif word in _VALUED and rest and not rest[0].startswith("-"):
            key = _VALUED[word]
            if key in options or (command is None and key != "db"):
                return None
            options[key] = rest.pop(0)
        elif word in SHAPES and command is not None and "shape" not in options:
            options["shape"] = SHAPES[word]
        elif command is not None and word and not word.startswith("-"):
            arguments.append(word)
        else:
            return None
    return None if command is None else (command, options, arguments)


def _path(db: str | None) -> str | None:
    return db  # a file's path or a database URL: archive.chosen_path tells them apart


def _answered(answer: Callable[[], None]) -> int:
    """The command's exit code, its errors said in one line as the full command line says them."""
    from liveblog_cli.output import output_failed, say

    try:
        answer()
        sys.stdout.flush()
        return 0
    except LiveblogError as exc:
        say(f"liveblog: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("liveblog: interrupted")
        return EXIT_INTERRUPTED
    except OSError as exc:
        from liveblog_cli.output import OUTPUT_ERRNOS

        if exc.errno not in OUTPUT_ERRNOS:
            return internal_error(exc)  # as the full command line says it
        return output_failed(exc)  # the reader left (not an error), or stdout is full or closed


__all__ = ["run"]
