"""Commands that look after the archive itself: reparse (its rows again from its pages) and
copy (the whole archive into another, either engine)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from liveblog_cli.cli.common import open_archive, progress
from liveblog_cli.cli.options import DbOption
from liveblog_cli.errors import UsageError


def reparse(
    blog: Annotated[str | None, typer.Argument(help="Blog id, URL or prefix (or --all).")] = None,
    all_blogs: Annotated[bool, typer.Option("--all", help="Every archived blog.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would change; write nothing.")
    ] = False,
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Per blog: what was (or would be) rewritten, as JSON.")
    ] = False,
) -> None:
    """Rebuild posts from the raw pages the archive kept, with today's parser.

    A post whose row differs from what its pages give now (a parser upgrade, a damaged row) is
    rewritten with a revision of cause `reparse`, never counted as an edit.
    """
    if (blog is None) == (not all_blogs):
        raise UsageError("give one BLOG, or --all")
    from liveblog_cli import output
    from liveblog_cli.reparse import reparse_blog

    reports = []
    with open_archive(db) as archive:
        ids = [archive.resolve(blog)] if blog is not None else [b for b, _ in archive.blog_ids()]
        for blog_id in ids:
            with progress(f"reparsing {blog_id}") as on_page:
                report = reparse_blog(archive, blog_id, dry_run=dry_run, on_page=on_page)
            reports.append(report)
            if not as_json:
                from liveblog_cli.untrusted import for_terminal as safe

                sys.stderr.write(safe(report.summary(dry_run=dry_run)) + "\n")
                for fix in report.corrections if dry_run else []:
                    what = "added" if fix.added else "differs in " + ", ".join(fix.fields)
                    sys.stdout.write(safe(f"{blog_id} {fix.block_id}: {what}") + "\n")
    if as_json:
        output.write_json(
            [
                {
                    "blog_id": r.blog_id,
                    "pages": r.pages,
                    "unreadable": r.unreadable,
                    "checked": r.checked,
                    "dry_run": dry_run,
                    "corrections": [
                        {"block_id": c.block_id, "added": c.added, "fields": c.fields}
                        for c in r.corrections
                    ],
                }
                for r in reports
            ],
            sys.stdout,
        )


def copy(
    source: Annotated[
        str,
        typer.Argument(metavar="SRC", help="The archive to copy (a file or a postgresql:// URL)."),
    ],
    target: Annotated[
        str, typer.Argument(metavar="DST", help="A new, empty archive (made if missing).")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="The rows copied per table, as JSON.")
    ] = False,
) -> None:
    """Copy a whole archive into another, SQLite or PostgreSQL either way: blogs, posts,
    revisions, deletions, polls, exchanges, pages, the schedule. All or nothing: a copy
    that stops part way leaves DST empty; run it again."""
    from liveblog_cli.archive import Archive, chosen_path
    from liveblog_cli.archive.copying import copy_archive
    from liveblog_cli.output import say, write_json

    with (
        Archive(chosen_path(source), create=False) as src,
        Archive(chosen_path(target), create=True) as dst,
    ):
        copied = copy_archive(src, dst)
        where = (src.path, dst.path)
    say(f"copied {where[0]} into {where[1]}: " + ", ".join(f"{t} {n}" for t, n in copied.items()))
    if as_json:
        write_json(copied, sys.stdout)
