"""`liveblog schedule add | list | remove`: what workers poll, kept in the archive."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from liveblog_cli.cli.common import open_archive, read_input, writes_output
from liveblog_cli.cli.options import DbOption, finite
from liveblog_cli.errors import UsageError

group = typer.Typer(
    help="What workers poll: add blogs (or feeds), list them with how each poll went, remove them.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Every = Annotated[
    float | None,
    typer.Option(
        min=15,
        max=86400 * 7,
        callback=finite,
        help="Seconds between two polls of each (default 60 for a blog, 300 for a feed).",
        show_default=False,
    ),
]
BLOG_EVERY, FEED_EVERY = 60.0, 300.0


def _addresses(urls: list[str], from_file: str | None) -> list[str]:
    """The URLs given and those of --from (one a line; blank lines and # comments skipped),
    each checked and kept as stored (no fragment, host in lower case). Credentials would be
    stored with them: refused."""
    from liveblog_cli.urls import Address, check_url, lock_key

    given = list(urls)
    if from_file is not None:
        text = read_input(from_file).decode("utf-8", "replace")
        given += [line.strip() for line in text.splitlines()]
    given = [u for u in given if u and not u.startswith("#")]
    kept = []
    for url in given:
        address = Address.of(url)
        problem = check_url(url)
        if problem:
            raise UsageError(f"URL {address.shown!r}: {problem}")
        if address.auth is not None:
            raise UsageError(
                f"URL {address.shown!r}: a user and password cannot be scheduled (the "
                "schedule is stored, and credentials never are)"
            )
        kept.append(lock_key(address))
    return kept


@group.command("add")
@writes_output
def add(
    urls: Annotated[
        list[str] | None, typer.Argument(metavar="[URL]...", help="Live-blog URLs.")
    ] = None,
    every: Every = None,
    from_file: Annotated[
        str | None,
        typer.Option("--from", metavar="FILE|-", help="Also the URLs in FILE, one a line."),
    ] = None,
    discover: Annotated[
        list[str] | None,
        typer.Option(
            "--discover",
            metavar="FEED_URL",
            help="A feed (RSS, Atom), sitemap or section page whose new live blogs join the "
            "schedule as workers read it (repeatable).",
        ),
    ] = None,
    match: Annotated[
        str | None,
        typer.Option(
            "--match", metavar="REGEX", help="--discover: only links this pattern finds in."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add blogs (or feeds, --discover) to the schedule, due at once (one already there
    takes the new --every)."""
    from liveblog_cli.output import say
    from liveblog_cli.words import counted

    blogs = _addresses(urls or [], from_file)
    feeds = _addresses(discover or [], None)
    if not blogs and not feeds:
        raise UsageError("give a URL to schedule (or --from FILE, or --discover FEED_URL)")
    if match is not None:
        import re

        try:
            re.compile(match)
        except re.error as exc:
            raise UsageError(f"--match {match!r}: not a pattern ({exc})") from None
        if not feeds:
            raise UsageError("--match goes with --discover FEED_URL")
    with open_archive(db, create=True) as archive:
        kinds = (("blog", blogs, BLOG_EVERY), ("feed", feeds, FEED_EVERY))
        for kind, addresses, default in kinds:
            if not addresses:
                continue
            interval = every or default
            pattern = match if kind == "feed" else None
            added = archive.schedule_add(addresses, every=interval, kind=kind, match=pattern)
            again = len(addresses) - len(added)
            say(
                f"scheduled {counted(len(added), kind + 's')} every {interval:g} s"
                + (f" ({again} already there: interval set, due now)" if again else "")
            )


@group.command("remove")
@writes_output
def remove(
    urls: Annotated[list[str], typer.Argument(metavar="URL...", help="Scheduled URLs (or feeds).")],
    db: DbOption = None,
) -> None:
    """Remove blogs (or feeds) from the schedule; what was archived stays."""
    addresses = _addresses(urls, None)
    with open_archive(db) as archive:
        removed = archive.schedule_remove(addresses)
    from liveblog_cli.output import say
    from liveblog_cli.words import counted

    missing = [u for u in addresses if u not in removed]
    say(f"removed {counted(len(removed), 'addresses')} from the schedule")
    if missing:
        raise UsageError(f"not in the schedule: {', '.join(missing)}")


@group.command("list")
@writes_output
def list_schedule(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array on stdout.")] = False,
) -> None:
    """Each scheduled blog (and feed): its blog, interval, when it is next due, who holds it,
    how its last poll went and how many failed in a row."""
    with open_archive(db) as archive:
        rows = archive.scheduled()
        now = archive.clock()
    if as_json:
        from liveblog_cli import output

        output.write_json([_json(row.to_dict()) for row in rows], sys.stdout)
        return
    from liveblog_cli.render import schedule_lines, write_lines

    write_lines(schedule_lines([row.to_dict() for row in rows], now), sys.stdout)


def _json(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its times as ISO 8601 (UTC, `Z`) beside the seconds they are kept as."""
    for key in ("next_due", "lease_until"):
        value = row.get(key)
        row[f"{key}_at"] = (
            datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if value is not None
            else None
        )
    return row


__all__ = ["group"]
