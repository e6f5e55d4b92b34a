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
from pathlib import Path
from typing import Any

from liveblog_cli.errors import LiveblogError, UsageError

_SHAPES = {"--json": "json", "--nl": "nl", "--csv": "csv"}


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
    if command == "list" and not arguments and options.keys() <= {"db", "tz"}:
        return _list(options.get("db"), shape, options.get("tz"))
    if command == "search" and len(arguments) == 1:
        limit = options.get("limit", "50")
        if not (limit.isascii() and limit.isdigit()) or int(limit) < 1:
            return None  # the full command line says what is wrong with it
        return _search(arguments[0], options, shape, int(limit))
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
        elif word in _SHAPES and command is not None and "shape" not in options:
            options["shape"] = _SHAPES[word]
        elif command is not None and word and not word.startswith("-"):
            arguments.append(word)
        else:
            return None
    return None if command is None else (command, options, arguments)


def _list(db: str | None, shape: str | None, zone_name: str | None) -> int:
    from liveblog_cli.archive import Archive

    def answer() -> int:
        from liveblog_cli import times

        # The machine's zone is looked up only when there is a line to show it in.
        zone = _zone(zone_name) if zone_name else None
        with Archive(_path(db), create=False) as archive:
            blogs = archive.list_blogs()
        if shape:
            from liveblog_cli.output import write_rows

            write_rows(blogs, shape, sys.stdout)
        else:
            from liveblog_cli.render import blog_lines, write_lines

            zone = zone or (times.local_zone() if blogs else None)
            write_lines(blog_lines(blogs, zone), sys.stdout)
        return 0

    return _answered(answer)


def _search(query: str, options: dict[str, str], shape: str | None, limit: int) -> int:
    """As `cli_archive.search` does it: the same checks in the same order, the same lines."""
    from liveblog_cli.archive import Archive

    def answer() -> int:
        from liveblog_cli import times
        from liveblog_cli.archive.search import fts_query
        from liveblog_cli.render import write_search

        zone_name = options.get("tz")
        zone = _zone(zone_name) if zone_name else times.local_zone()
        fts_query(query)  # a query that cannot be read is a usage error, before the archive
        with Archive(_path(options.get("db")), create=False) as archive:
            blog = options.get("blog")
            blog_id = archive.resolve(blog) if blog else None
            hits = archive.search(query, blog_id=blog_id, limit=limit)
        write_search(hits, shape, zone, query, sys.stdout)
        return 0

    return _answered(answer)


def _zone(name: str) -> Any:
    from liveblog_cli import times

    try:
        return times.parse_zone(name)
    except ValueError as exc:
        raise UsageError(f"--tz: {exc}") from None


def _path(db: str | None) -> Path:
    from liveblog_cli.archive import chosen_path

    return chosen_path(None if db is None else Path(db))


def _answered(answer: Callable[[], int]) -> int:
    """The command's exit code, its errors said in one line as the full command line says them."""
    from liveblog_cli.output import output_failed, say

    try:
        code = answer()
        sys.stdout.flush()
        return code
    except LiveblogError as exc:
        say(f"liveblog: error: {exc}")
        return exc.exit_code
    except OSError as exc:
        return output_failed(exc)  # the reader left (not an error), or stdout is full or closed


__all__ = ["run"]
