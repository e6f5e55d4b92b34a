"""Commands that read the archive for people: list, show, search, history."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from liveblog_cli.cli import answers
from liveblog_cli.cli.common import open_archive, parse_when, parse_zone
from liveblog_cli.cli.completion import blog_ids
from liveblog_cli.cli.options import (
    AsOfOption,
    DbOption,
    KeyEventsOption,
    LimitOption,
    NoPagerOption,
    OldestFirstOption,
    SinceOption,
    TzOption,
    UntilOption,
    output_shapes,
)
from liveblog_cli.model import iso_z


@output_shapes
def list_blogs(
    db: DbOption = None,
    shape: str | None = None,
    as_of: AsOfOption = None,
    tz: TzOption = None,
) -> None:
    """The archived blogs: id, title, counts, first and last post, last check and change."""
    answers.list_blogs(db, shape, tz, as_of)


def show(
    blog: Annotated[
        str,
        typer.Argument(
            help="Blog id, URL, a word of either, or a prefix.", autocompletion=blog_ids
        ),
    ],
    db: DbOption = None,
    key_events: KeyEventsOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = None,
    oldest_first: OldestFirstOption = False,
    tz: TzOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The blog and its posts as JSON.")
    ] = False,
    as_of: AsOfOption = None,
    no_pager: NoPagerOption = False,
) -> None:
    """The timeline of one blog, newest first, with its key events on top.

    \b
    Examples:
      liveblog show mars                  # a word of its id or title
      liveblog show mars --since 2h --key-events
      liveblog show mars --as-of 2024-05-01T12:00Z --json | jq '.blocks | length'
    """
    from liveblog_cli import output

    zone = parse_zone(tz)
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        meta = archive.blog(blog_id)
        # Read once: `1h` means one instant for the posts and the key events alike.
        window = {
            "since": parse_when(since, "--since"),
            "until": parse_when(until, "--until"),
            "as_of": parse_when(as_of, "--as-of"),
        }
        blocks = archive.blocks(
            blog_id, key_events=key_events, limit=limit, oldest_first=oldest_first, **window
        )
        if window["as_of"] is not None:
            # Live or closed is today's word: as of then, the posts say what was there.
            meta = {**meta, "is_live": None, "as_of": iso_z(window["as_of"])}
        if as_json:
            output.write_json_with(meta, "blocks", blocks, sys.stdout)
            return
        from liveblog_cli.render import timeline

        keys = None
        if not key_events:
            keys = list(archive.blocks(blog_id, key_events=True, **window))
        view = output.console()
        with output.paged(view, enabled=not no_pager):
            timeline(meta, blocks, view, zone=zone, key_panel=not key_events, keys=keys)


@output_shapes
def search(
    query: Annotated[
        str,
        typer.Argument(
            help='Words (all must match), "a phrase", OR, NOT or -word, prefix*, and a field: '
            "title:word or text:word."
        ),
    ],
    blog: Annotated[
        str | None, typer.Option(help="Only this blog (id, URL, a word of either, or a prefix).")
    ] = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many posts.")] = 50,
    shape: str | None = None,
    tz: TzOption = None,
) -> None:
    """Full-text search over every archived post, best matches first.

    \b
    Examples:
      liveblog search 'bridge noon'
      liveblog search '"swing bridge" OR ferry -delay' --blog tall --json
    """
    answers.search(query, db, blog, limit, shape, tz)


def history(
    blog: Annotated[
        str,
        typer.Argument(
            help="Blog id, URL, a word of either, or a prefix.", autocompletion=blog_ids
        ),
    ],
    block: Annotated[str, typer.Argument(help="The block id.")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Revisions and diffs as JSON.")] = False,
    tz: TzOption = None,
    no_pager: NoPagerOption = False,
) -> None:
    """Every revision of one post: why it exists, and what changed (word by word on a
    terminal, a unified diff when piped)."""
    from liveblog_cli import output
    from liveblog_cli.history import with_diffs

    zone = parse_zone(tz)
    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        revisions = with_diffs(archive.revisions(blog_id, block))
    if as_json:
        output.write_json(revisions, sys.stdout)
        return
    from liveblog_cli.render import revisions_view

    view = output.console()
    with output.paged(view, enabled=not no_pager):
        revisions_view(revisions, view, zone)
