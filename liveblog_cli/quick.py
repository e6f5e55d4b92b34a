"""`liveblog list` without loading the command-line framework: the command people and
scripts run most, answered in about the time Python takes to start.

Only the plainest forms are answered here (`list`, with `--db PATH` before or after it,
`--json`, `--nl`, `--csv`, `--tz ZONE`, to a pipe or a file); anything else, a terminal
included, goes to the full command line, which says the same things the same way (a
test compares the two).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from pathlib import Path

_SHAPES = {"--json": "json", "--nl": "nl", "--csv": "csv"}


def run(argv: list[str]) -> int | None:
    """The exit code of `liveblog list ...`, or None when the full CLI must answer."""
    db: str | None = None
    shape: str | None = None
    zone_name: str | None = None
    seen_list = False
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word == "list" and not seen_list:
            seen_list = True
        elif word == "--db" and rest and db is None:
            db = rest.pop(0)
        elif word == "--tz" and rest and seen_list and zone_name is None:
            zone_name = rest.pop(0)
        elif word in _SHAPES and seen_list and shape is None:
            shape = _SHAPES[word]
        else:
            return None
    if not seen_list or sys.stdout is None or (shape is None and sys.stdout.isatty()):
        return None
    return _list(db, shape, zone_name)


def _list(db: str | None, shape: str | None, zone_name: str | None) -> int:
    from liveblog_cli.errors import EXIT_IOERR, EXIT_USAGE, LiveblogError
    from liveblog_cli.output import say

    try:
        from liveblog_cli import times
        from liveblog_cli.archive import Archive, default_path

        try:
            # The machine's zone is looked up only when there is a line to show it in.
            zone = times.parse_zone(zone_name) if zone_name else None
        except ValueError as exc:
            say(f"liveblog: error: --tz: {exc}")
            return EXIT_USAGE
        path = Path(db) if db else Path(os.environ.get("LIVEBLOG_DB") or default_path())
        with Archive(path, create=False) as archive:
            blogs = archive.list_blogs()
        if shape:
            from liveblog_cli.output import write_rows

            write_rows(blogs, shape, sys.stdout)
        else:
            from liveblog_cli.render import blog_lines, write_lines

            zone = zone or (times.local_zone() if blogs else None)
            write_lines(blog_lines(blogs, zone), sys.stdout)
        sys.stdout.flush()
        return 0
    except LiveblogError as exc:
        say(f"liveblog: error: {exc}")
        return exc.exit_code
    except OSError as exc:
        # The reader left (as git does: not an error), or stdout is full or closed.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        if exc.errno == errno.EPIPE:
            return 0
        say(f"liveblog: error: cannot write output: {exc.strerror or exc}")
        return EXIT_IOERR


__all__ = ["run"]
