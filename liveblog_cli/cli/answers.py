"""The bodies of `list` and `search`: one each, run by the Typer command and by the quick
path alike (quick.py), so the two cannot say different things. No Typer here; Rich only on
a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path

from liveblog_cli.cli.common import open_archive, parse_when, zone_named


def list_blogs(db: str | Path | None, shape: str | None, tz: str | None, as_of: str | None) -> None:
    """The archived blogs: rows in a shape, plain lines to a pipe, a table on a terminal."""
    from liveblog_cli import times

    # A bad --tz (an empty one too) is said before the archive is opened.
    zone = zone_named(tz) if tz is not None else None
    with open_archive(db) as archive:
        blogs = archive.list_blogs(as_of=parse_when(as_of, "--as-of"))
    if shape:
        from liveblog_cli.output import write_rows

        write_rows(blogs, shape, sys.stdout)
        return
    # The machine's zone is looked up only when there is a line to show it in.
    zone = zone or (times.local_zone() if blogs else None)
    if not sys.stdout.isatty():
        from liveblog_cli.render import blog_lines, write_lines

        write_lines(blog_lines(blogs, zone), sys.stdout)
        return
    from liveblog_cli.output import console
    from liveblog_cli.render import blogs_table

    blogs_table(blogs, console(), zone)


def search(
    query: str,
    db: str | Path | None,
    blog: str | None,
    limit: int,
    shape: str | None,
    tz: str | None,
) -> None:
    """Posts matching `query`, best first: rows in a shape, plain lines to a pipe, styled
    lines on a terminal; a line on stderr when nothing matched."""
    from liveblog_cli import times
    from liveblog_cli.archive.query import fts_query

    zone = zone_named(tz) if tz is not None else times.local_zone()
    fts_query(query)  # a query that cannot be read is a usage error, before the archive
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog) if blog else None
        hits = archive.search(query, blog_id=blog_id, limit=limit)
    if shape or not sys.stdout.isatty():
        from liveblog_cli.render import write_search

        write_search(hits, shape, zone, query, sys.stdout)
        return
    from liveblog_cli.output import console, say
    from liveblog_cli.render import search_results

    search_results(hits, console(), zone)
    if not hits:
        say(f"no posts match {query!r}")


__all__ = ["list_blogs", "search"]
