"""Commands that look after the archive itself: reparse (its rows again from its pages),
copy (the whole archive into another, either engine), delete (a blog), check (integrity)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from liveblog_cli.cli.common import open_archive
from liveblog_cli.cli.completion import blog_ids
from liveblog_cli.cli.options import DbOption
from liveblog_cli.errors import UsageError
from liveblog_cli.output import progress


def reparse(
    blog: Annotated[
        str | None,
        typer.Argument(help="Blog id, URL or prefix (or --all).", autocompletion=blog_ids),
    ] = None,
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


def delete(
    blog: Annotated[
        str,
        typer.Argument(help="The blog's id or URL (whole: no prefix).", autocompletion=blog_ids),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (needed off a terminal).")
    ] = False,
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The rows removed per table, as JSON.")
    ] = False,
) -> None:
    """Delete a blog from the archive: its posts, every revision, its polls and the pages
    only it used, and its place on the schedule. There is no undo (copy the archive first
    to keep one).

    \b
    Examples:
      liveblog delete https://www.theguardian.com/world/live/2024/... --yes
      liveblog delete world/live/2024/jan/01/example --json --yes
    """
    from liveblog_cli.archive.removing import delete_blog
    from liveblog_cli.output import say, write_json
    from liveblog_cli.untrusted import one_line
    from liveblog_cli.urls import Address, lock_key
    from liveblog_cli.words import counted

    with open_archive(db) as archive:
        blog_id = archive.resolve(blog)
        row = archive.blog(blog_id)
        url = row.get("url") or ""
        if blog.strip() != blog_id and blog.strip().rstrip("/") != url.rstrip("/"):
            # A prefix or a word is fine for reading; a delete names what it deletes.
            raise UsageError(f"delete takes a blog's whole id or URL: {blog!r} is {blog_id}")
        what = f"{blog_id} ({counted(row.get('posts') or 0, 'posts')})"
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(f"delete {what}? add --yes to delete without asking")
            sys.stderr.write(f"Delete {one_line(what)} and its history? [y/N] ")
            sys.stderr.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                say("nothing deleted")
                raise typer.Exit(1)
        # A fetch or follow of this blog holds its lock: never delete under it.
        with archive.engine.blog_locks([lock_key(Address.of(url))] if url else [], wait=0):
            removed = delete_blog(archive, blog_id)
    say(
        f"deleted {blog_id}: {counted(removed['blocks'], 'posts')}, "
        f"{counted(removed['block_revisions'], 'revisions')}, "
        f"{counted(removed['fetches'], 'polls')}, {counted(removed['snapshots'], 'pages')}"
    )
    if as_json:
        write_json({"blog_id": blog_id, "removed": removed}, sys.stdout)


def check(
    db: DbOption = None,
    with_reparse: Annotated[
        bool,
        typer.Option(
            "--reparse/--no-reparse",
            help="Also say what today's parser would change (reads every kept page again).",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Every check's result, as JSON.")] = False,
) -> None:
    """Check the archive is whole: the database's own check, every kept page and post body
    read back, each post's revision history, each blog's counts. Exit 74 when something is
    damaged; what `reparse` would change is reported, not counted as damage.

    \b
    Examples:
      liveblog check
      liveblog check --no-reparse --json | jq '.checks[] | select(.ok | not)'
    """
    from liveblog_cli.archive import checking
    from liveblog_cli.errors import ArchiveError
    from liveblog_cli.output import write_json
    from liveblog_cli.reparse import reparse_notes
    from liveblog_cli.untrusted import for_terminal as safe
    from liveblog_cli.words import counted

    with open_archive(db) as archive:
        checks = [checking.engine_check(archive)]
        for label, run in (("pages", checking.pages_check), ("posts", checking.posts_check)):
            with progress(f"checking {label}") as on_page:
                checks.append(run(archive, _ticker(on_page)))
        checks.append(checking.counts_check(archive))
        notes: list[tuple[str, int, int]] = []
        if with_reparse:
            with progress("reparsing (nothing is written)") as on_page:
                notes = list(reparse_notes(archive, on_page))
        where = archive.path
    damaged = sum(c.found for c in checks)
    if as_json:
        write_json(
            {
                "archive": str(where),
                "ok": damaged == 0,
                "checks": [c.to_dict() for c in checks],
                "reparse": [{"blog_id": b, "checked": n, "would_change": k} for b, n, k in notes],
            },
            sys.stdout,
        )
    else:
        for c in checks:
            if c.skipped:
                sys.stdout.write(f"skip  {c.name}: {c.skipped}\n")
                continue
            state = "ok  " if c.ok else "FAIL"
            sys.stdout.write(f"{state}  {c.name}: {c.checked:,} checked")
            sys.stdout.write(f", {counted(c.found, 'problems')}\n" if c.found else "\n")
            for text in c.problems:
                sys.stdout.write("        " + safe(text) + "\n")
        changes = [(b, k) for b, _, k in notes if k]
        if with_reparse:
            sys.stdout.write(
                f"note  reparse: {counted(len(notes), 'blogs')} read again, "
                + (
                    f"{counted(len(changes), 'blogs')} would change "
                    "(`liveblog reparse BLOG --dry-run` says how)\n"
                    if changes
                    else "nothing would change\n"
                )
            )
            for blog_id, k in changes[: checking.SHOWN]:
                sys.stdout.write("        " + safe(f"{blog_id}: {counted(k, 'posts')}") + "\n")
    if damaged:
        raise ArchiveError(f"archive {where}: {counted(damaged, 'problems')} found (see above)")


def _ticker(on_page: Callable[[int, int], None] | None) -> Callable[[], None] | None:
    """A per-item callback that moves a progress bar every few hundred items."""
    if on_page is None:
        return None
    done = [0]

    def tick() -> None:
        done[0] += 1
        if done[0] % 256 == 0:
            on_page(done[0], 0)

    return tick
