"""The archive in Datasette: its tables and views described, canned queries, raw pages as text.

Only `liveblog serve` imports this module, and only once it knows Datasette is installed (the
`datasette` extra). `build()` makes the Datasette object (tests drive it with Datasette's own
in-process client); `run()` serves it on 127.0.0.1 only: the archive may hold pages behind
logins, and Datasette runs any read-only SQL it is sent.
"""

from __future__ import annotations

import codecs
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.version import __version__ as datasette_version

from liveblog_cli.bounds import MAX_BYTES

HOST = "127.0.0.1"
TITLE = "liveblog archive"

# --- raw pages as text ------------------------------------------------------------------------


def page_text(
    compressed: bytes | None,
    charset: str | None = None,
    codec: str | None = None,
    reference: bytes | None = None,
) -> str | None:
    """A kept page (`snapshots.compressed`, stored as `snapshots.codec`: zlib, zstd, or a
    zstd delta against the `reference` page's own compressed bytes) as text, in the charset
    its response declared (UTF-8 otherwise; undecodable bytes become U+FFFD).

    Never more than a fetch may read (MAX_BYTES): a hand-made row cannot blow up memory.
    """
    if not isinstance(compressed, bytes):
        return None
    from liveblog_cli.archive.packing import unpack_page

    try:
        ref = None
        if codec == "zstd-ref":
            if not isinstance(reference, bytes):
                return None
            ref = unpack_page("zstd", reference, None, limit=MAX_BYTES)[:MAX_BYTES]
        raw = unpack_page(codec, compressed, ref, limit=MAX_BYTES)[:MAX_BYTES]
    except ValueError:
        return None  # not a kept page: NULL, as SQL functions say "no value"
    return raw.decode(_codec(charset), errors="replace")


def _codec(charset: str | None) -> str:
    if charset:
        try:
            return codecs.lookup(charset.strip()).name
        except LookupError:
            pass
    return "utf-8"


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Every connection Datasette opens gets `page_text(compressed[, charset])`."""
    for arity in (1, 2, 3, 4):
        conn.create_function("page_text", arity, page_text, deterministic=True)


def register_functions() -> None:
    """This module as a Datasette plugin, once per process (Datasette's plugin manager is
    global, and registering twice is an error)."""
    if pm.get_plugin("liveblog") is None:
        pm.register(sys.modules[__name__], name="liveblog")


# --- what Datasette shows ---------------------------------------------------------------------

_READABLE = "as people read it, in UTC (YYYY-MM-DD HH:MM UTC)"
_ISO = "the same time in ISO 8601, UTC, with Z (sorts as a time)"
_BLOG = "the blog's title"

# One description per table and view; column descriptions for those people read.
TABLES: dict[str, dict[str, Any]] = {
    "posts": {
        "description": "Every post as it stands now, deleted ones too (see deleted_at), with "
        "its blog's title and readable times. Full-text search searches titles and text.",
        "columns": {
            "blog": _BLOG,
            "post_id": "the publisher's id of the post (h- and a hash where it has none)",
            "published": "when it was published, " + _READABLE,
            "updated": "when the publisher last updated it, " + _READABLE,
            "first_seen": "when the archive first saw it, " + _READABLE,
            "key_event": "1 if the publisher marked it a key event",
            "pinned": "1 if pinned to the top of the blog",
            "summary": "1 if a summary post",
            "edits": "how many times the publisher edited it (see the edits view)",
            "deleted_at": "when the publisher deleted it (ISO, UTC); empty if it is there",
            "published_at": _ISO,
            "updated_at": _ISO,
            "first_seen_at": _ISO,
            "rowid": "the post's row in blocks (what full-text search matches on)",
        },
    },
    "key_events": {
        "description": "The key events of every blog, newest first.",
        "columns": {
            "blog": _BLOG,
            "time": "when it was published (else first known), " + _READABLE,
            "time_at": _ISO,
        },
    },
    "edits": {
        "description": "Every edit by a publisher, newest first: the post's title and text "
        "before (the previous revision) and after. Re-reads by liveblog and differences "
        "between kinds of source are not edits.",
        "columns": {
            "blog": _BLOG,
            "revision": "the revision this edit made (2 is the first edit)",
            "edited": "when the archive saw the edit, " + _READABLE,
            "edited_at": _ISO,
            "title_before": "the title in the previous revision",
            "title_after": "the title after the edit",
            "text_before": "the text in the previous revision",
            "text_after": "the text after the edit",
            "fetch_id": "the poll that saw it (id in polls and fetches)",
        },
    },
    "post_deletions": {
        "description": "Every deletion of a post by its publisher, newest first, with the "
        "post's last title and text, and when it came back if it did.",
        "columns": {
            "blog": _BLOG,
            "deleted": "when the archive found it gone, " + _READABLE,
            "restored": "when it came back, " + _READABLE + "; empty if it has not",
        },
    },
    "polls": {
        "description": "Every poll of every blog, newest first, whatever its outcome.",
        "columns": {
            "blog": _BLOG + " (empty when the page never became a blog)",
            "time": "when it was fetched, " + _READABLE,
            "kind": "fetch (over HTTP), file (parse --save) or import (a web archive)",
            "outcome": "changed, unchanged, not modified (304), or failed: and why",
            "new": "posts first seen (counted over the walk this page belongs to)",
            "updated": "posts edited",
            "deleted": "posts found deleted",
            "bytes": "size of the page read",
            "snapshot_hash": "the raw page in snapshots (see the query 'page of a poll')",
        },
    },
    "blogs": {
        "description": "One row per blog, with its latest metadata.",
        "columns": {
            "id": "the blog's id: its URL's path on its host (a Guardian blog: its pageId)",
            "is_live": "1 still live, 0 closed, empty unknown",
            "authors": "JSON list",
            "tags": "JSON list",
            "source_format": "the kind of source it was last read from",
            "pages": "JSON: the blog's other pages by relation (older, newer, ...)",
            "richness": "how much its source format carries (a thinner one never overwrites)",
            "walk_next": "where an unfinished walk of its pages resumes",
        },
    },
    "blocks": {
        "description": "The current state of every post ('block') ever seen. "
        "The posts view reads it with titles and readable times.",
        "columns": {
            "blog_id": "the blog (labelled with its title)",
            "id": "the publisher's id of the post",
            "text": "plain text, paragraphs separated by a blank line",
            "html": "the body as published (untrusted)",
            "elements": "JSON list of the post's parts: text, images, tweets, embeds ...",
            "content_hash": "SHA-256 of everything the post says",
            "revision": "how many versions the archive holds",
            "edits": "how many of those were edits by the publisher",
            "first_seen_at": "when the archive first saw it",
            "deleted_at": "when the publisher deleted it; empty if it is there",
        },
    },
    "block_revisions": {
        "description": "Every distinct version of every post, and why it exists.",
        "columns": {
            "revision": "1 for the first version, counting up",
            "seen_at": "when the archive saw this version",
            "data": "the post as JSON (the shape `liveblog parse` prints)",
            "cause": "first, edit (by the publisher), source (another kind of source), "
            "reparse (liveblog re-read the page) or import (from a web archive)",
            "parser_version": "the liveblog version that read it",
            "fetch_id": "the poll that saw it",
        },
    },
    "fetches": {
        "description": "One row per poll; the polls view reads it with an outcome in words.",
        "columns": {
            "status": "HTTP status (empty for a file)",
            "error": "why the poll failed; empty if it did not",
            "snapshot_hash": "the raw page, in snapshots",
            "new": "posts first seen (counted over the walk)",
            "updated": "posts edited",
            "deleted": "posts found deleted",
            "walk_id": "the walk of the blog's pages this poll belongs to",
        },
    },
    "deletions": {
        "description": "Every deletion of a post, and its restoration if it came back "
        "(the post_deletions view adds the post and readable times).",
    },
    "dictionaries": {
        "description": "The zstd dictionary posts' bodies are compressed with, trained on the "
        "archive's own posts (a body's frame names the dictionary it needs).",
    },
    "page_refs": {
        "description": "For each blog and address, the page later polls are stored as deltas "
        "against (a snapshot stored whole).",
    },
    "snapshots": {
        "description": "The raw bytes of every distinct page and payload by SHA-256, "
        "compressed (codec: zlib, zstd, or zstd-ref, a delta against the page named by ref). "
        "The query 'page of a poll' shows one as text.",
        "columns": {
            "hash": "SHA-256 of the bytes",
            "size": "bytes before compression",
            "compressed": "the bytes, compressed: SQL page_text(compressed, charset, codec, the "
            "reference's compressed) gives text",
        },
    },
    "block_seen": {"description": "When each post was last seen on a page."},
    "schedule": {
        "description": "What workers poll: each blog (or feed of links) with how often, when "
        "it is next due (seconds since 1970), who holds it now, how its last poll went.",
    },
    "hosts": {"description": "The next moment each host may be asked (politeness across workers)."},
    "links": {"description": "Links found in feeds and what they turned out to be."},
    "walks": {"description": "One row per walk of a blog's pages: pages read, how it ended."},
    "exchanges": {
        "description": "Each request and response of a poll as it crossed the wire "
        "(kept for WARC export); payloads in snapshots by hash.",
    },
}

# Canned queries. Times are compared as the archive's ISO strings (UTC, with Z).
_SINCE_AN_HOUR = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 hour')"
QUERIES: dict[str, dict[str, Any]] = {
    "changed_in_the_last_hour": {
        "title": "Changed in the last hour",
        "description": "Posts first seen or edited in the last hour, newest first.",
        # Blog by blog through the revisions' time index: cheap however old the archive.
        "sql": f"""SELECT g.title AS blog, r.block_id AS post_id,
  CASE r.cause WHEN 'edit' THEN 'edited' ELSE 'new' END AS change,
  strftime('%Y-%m-%d %H:%M UTC', r.seen_at) AS seen, b.title, b.text, b.deleted_at,
  r.blog_id, r.revision, r.seen_at
FROM blogs g
CROSS JOIN block_revisions r ON r.blog_id = g.id AND r.seen_at >= {_SINCE_AN_HOUR}
CROSS JOIN blocks b ON b.blog_id = r.blog_id AND b.id = r.block_id
WHERE r.cause IN ('first', 'edit', 'import')
ORDER BY r.seen_at DESC""",
    },
    "key_events_of_a_blog": {
        "title": "Key events of a blog",
        "description": "The key events of one blog, newest first: give its id, the "
        "beginning of its id, or words of its title.",
        "sql": """SELECT * FROM key_events
WHERE blog_id = :blog OR blog_id LIKE :blog || '%' OR blog LIKE '%' || :blog || '%'""",
    },
    "failed_polls_today": {
        "title": "Failed polls today",
        "description": "Polls that failed since midnight UTC, newest first.",
        # Through the (blog, time) index, polls of no known blog included.
        "sql": """SELECT * FROM polls
WHERE (blog_id IN (SELECT id FROM blogs) OR blog_id IS NULL)
  AND fetched_at >= strftime('%Y-%m-%dT00:00:00Z', 'now')
  AND outcome LIKE 'failed:%'""",
    },
    "page_of_a_poll": {
        "title": "Page of a poll",
        "description": "The raw page a poll read, as text (give the poll's id from polls).",
        "sql": """SELECT f.id AS poll, f.url, f.fetched_at, f.charset, s.size, s.hash,
  page_text(s.compressed, f.charset, s.codec, r.compressed) AS page
FROM fetches f JOIN snapshots s ON s.hash = f.snapshot_hash
LEFT JOIN snapshots r ON r.hash = s.ref
WHERE f.id = :poll""",
    },
}

# How tables are browsed: blog ids labelled with titles, search on posts, newest polls first.
_BROWSING: dict[str, dict[str, Any]] = {
    "blogs": {"label_column": "title"},
    "posts": {"fts_table": "blocks_fts", "fts_pk": "rowid"},
    "fetches": {"sort_desc": "id"},
    "walks": {"sort_desc": "id"},
    "_sqlite_migrations": {"hidden": True},
}


def metadata(name: str) -> dict[str, Any]:
    """What Datasette says about the archive: titles, descriptions, column descriptions."""
    return {
        "title": TITLE,
        "description": "Live blogs archived by liveblog: every post, every edit, every poll.",
        "databases": {
            name: {
                "description": "Start with the views: posts, key_events, edits, "
                "post_deletions, polls. Times are UTC.",
                "tables": {table: dict(about) for table, about in TABLES.items()},
            }
        },
    }


def config(name: str) -> dict[str, Any]:
    """How Datasette browses it: label columns, full-text search, sort orders, queries."""
    return {
        "databases": {
            name: {
                "tables": {table: dict(how) for table, how in _BROWSING.items()},
                "queries": {key: dict(query) for key, query in QUERIES.items()},
            }
        }
    }


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in, key by key at every depth."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _options(name: str) -> dict[str, Any]:
    """Datasette 1.0 takes browsing and canned queries as `config`, descriptions as
    `metadata`; before 1.0 all of it is metadata. (Known by its version: under pytest,
    Datasette 1.0 wraps its constructor, hiding its parameters.)"""
    if int(datasette_version.split(".")[0]) >= 1:
        return {"metadata": metadata(name), "config": config(name)}
    return {"metadata": _merged(metadata(name), config(name))}


def database_name(path: Path) -> str:
    """The name Datasette gives a file's database (its URL path): the file's stem."""
    return path.stem


def build(path: Path, *, immutable: bool = False) -> Datasette:
    """Datasette on the archive at `path`, read-only, described, with its queries.

    Opened `mode=ro`, so a `liveblog follow` writing meanwhile shows at the next page load;
    `immutable` for an archive on read-only media (where SQLite cannot share its WAL).
    """
    register_functions()
    path = path.absolute()
    name = database_name(path)
    files = {"immutables": [str(path)]} if immutable else {"files": [str(path)]}
    ds = Datasette(**files, **_options(name))
    actual = served_name(ds, path)
    if actual != name:  # a file named like Datasette's own databases (_internal.db) is renamed
        ds = Datasette(**files, **_options(actual))
    return ds


def served_name(ds: Datasette, path: Path) -> str:
    """The name (and URL path) under which `ds` serves the file at `path`."""
    wanted = str(path.absolute())
    return next(name for name, db in ds.databases.items() if db.path == wanted)


def unsafe_path(path: Path) -> bool:
    """Datasette opens a file as an SQLite URI without quoting it: '?', '#' or '%' in the
    path would change which file it opens."""
    return any(c in str(path.absolute()) for c in "?#%")


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:port (0: any free port), or OSError (port taken)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def only_local(app: Any, port: int) -> Any:
    """The ASGI app, answering only requests addressed to this machine by name: a Host
    other than 127.0.0.1 or localhost at our port gets 403. A page elsewhere that rebinds
    its own DNS name to 127.0.0.1 (DNS rebinding) then reaches the port but never the
    archive, since its requests carry its own name."""
    allowed = {f"{name}:{port}".encode() for name in ("127.0.0.1", "localhost")}
    if port == 80:
        allowed |= {b"127.0.0.1", b"localhost"}

    async def guard(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").strip().lower()
            if host not in allowed and scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            if host not in allowed:
                body = b"refused: this server answers only 127.0.0.1 and localhost\n"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guard


def run(ds: Datasette, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C), on a socket already bound (see `listen`)."""
    import uvicorn

    app = only_local(ds.app(), sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    server.run(sockets=[sock])
