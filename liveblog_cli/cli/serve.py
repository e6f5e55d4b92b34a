"""`liveblog serve`: the archive in Datasette, on 127.0.0.1 (the optional `datasette` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liveblog_cli.cli.common import open_archive
from liveblog_cli.cli.options import DbOption
from liveblog_cli.errors import ArchiveError, MissingExtra, Unavailable

NEEDS_DATASETTE = (
    "liveblog serve needs Datasette: pip install datasette (or, in liveblog's checkout, "
    "pip install -e '.[datasette]')"
)


def serve(
    db: DbOption = None,
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."
        ),
    ] = 8001,
) -> None:
    """Browse and query the archive in Datasette, on 127.0.0.1 only (Ctrl-C stops).

    Views: posts, key_events, edits, post_deletions, polls; canned queries; full-text search.
    """
    try:
        import datasette  # noqa: F401  (optional: only this command needs it)
    except ImportError:
        raise MissingExtra(NEEDS_DATASETTE) from None
    from liveblog_cli import serve as site
    from liveblog_cli.output import say

    # Opened as any command opens it: a missing archive is exit 66, an old one gains the
    # views (its migrations run) before Datasette reads it.
    with open_archive(db) as archive:
        path, read_only_media = archive.path, archive.readonly
    if not isinstance(path, Path):
        raise MissingExtra(
            "liveblog serve shows SQLite archives (Datasette reads files, not PostgreSQL): "
            f"`liveblog copy {path} FILE.db`, then `liveblog serve --db FILE.db`"
        )
    if site.unsafe_path(path):
        raise ArchiveError(f"Datasette cannot open a path holding '?', '#' or '%': {path}")
    ds = site.build(path, immutable=read_only_media)
    try:
        sock = site.listen(port)
    except OSError as exc:
        raise Unavailable(f"cannot listen on {site.HOST}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    say(f"serving {path} at http://{site.HOST}:{bound}/{site.served_name(ds, path)} (Ctrl-C stops)")
    site.run(ds, sock)
