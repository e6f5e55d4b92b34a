"""The parse command: read a saved page offline, print what it holds, optionally save it."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from liveblog_cli.bounds import MAX_BYTES
from liveblog_cli.cli.common import open_archive, read_input
from liveblog_cli.cli.options import DbOption


class ParseFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    table = "table"


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
    max_bytes: Annotated[
        int, typer.Option(min=1024, help="Refuse a page larger than this (as fetch does).")
    ] = MAX_BYTES,
) -> None:
    """Parse a saved live-blog page offline and print what it holds."""
    from liveblog_cli import output
    from liveblog_cli.parse import parse_page

    data = read_input(source, limit=max_bytes)
    blog = parse_page(data, url)
    if save:
        from liveblog_cli.archive import FetchInfo
        from liveblog_cli.reparse import rebuild_stale

        with open_archive(db, create=True) as archive:
            report = archive.save(blog, raw=data, fetch=FetchInfo(url=url or blog.url, kind="file"))
            rebuild_stale(archive)  # a page older than the blog's newest takes its place
        sys.stderr.write(report.summary() + "\n")
    if output_format is ParseFormat.json:
        output.write_json(blog.to_dict(), sys.stdout)
    elif output_format is ParseFormat.jsonl:
        output.write_jsonl((b.to_dict() for b in blog.blocks), sys.stdout)
    else:
        from liveblog_cli.render import blog_summary

        blog_summary(blog, output.console())
