"""The archive in Datasette: its tables and views described, canned queries, raw pages as text.

Only `liveblog serve` imports this module, and only once it knows Datasette is installed (the
`datasette` extra). `build()` makes the Datasette object (tests drive it with Datasette's own
in-process client); `run()` serves it on 127.0.0.1 only: the archive may hold pages behind
logins, and Datasette runs any read-only SQL it is sent.
"""

from __future__ import annotations

import codecs
import html as htmllib
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.version import __version__ as datasette_version
from markupsafe import Markup, escape

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


# --- the views' rows in Datasette's pages ----------------------------------------------------

# A long text in a view's list is cut to about this many characters, at a word; the rest is
# one click away: a link to the post's row, or the revision's, whose page shows it all.
# (Only views: a table's cells are rendered the same way on its row pages, which must show
# everything; tables keep Datasette's own cut, at 2,048 characters, and their row links.)
CUT = 200
_TEXT_COLUMNS = {
    "posts": ("text",),
    "key_events": ("text",),
    "post_deletions": ("text",),
    "edits": ("text_before", "text_after"),
}
# A column of text squeezed between a dozen others wraps a word a line: a row a screen tall.
# Texts and titles longer than WIDE characters get room (a minimum width, in em), so that a
# row stays a few lines high; the table scrolls sideways instead, as Datasette's do.
WIDE = 60
_TITLES = ("title", "title_before", "title_after")
_ROOM = Markup('<div style="min-width:{}em">{}</div>')
# Around each change in `edits`, this many words of what stayed the same.
CONTEXT_WORDS = 8
# Inputs longer than this many words are compared by their common start and end only
# (difflib is quadratic at worst; a post is rarely a tenth of this).
DIFF_WORDS = 4000


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    """A long text cut short with a link to all of it, texts and titles given room, an
    edit's change shown as the words struck out and added. Everything archived is escaped
    (markupsafe): this is the only HTML liveblog puts in Datasette's pages. None: Datasette's
    own rendering (every table, other column and query)."""
    texts = _TEXT_COLUMNS.get(table or "")
    if texts is None:
        return None
    if table == "edits" and column == "change":
        change = _change(row)
        return _ROOM.format(24, change) if change else None
    if not isinstance(value, str) or len(value) <= WIDE:
        return None
    if column in texts:
        whole = _whole(row, column, database, datasette)
        return _ROOM.format(24, _cut(value, whole) if len(value) > CUT else value)
    if column in _TITLES:
        return _ROOM.format(14, value)
    return None


def _field(row: Any, name: str) -> Any:
    """A column of a row Datasette renders, or None where the page left it out (`_col`)."""
    try:
        return row[name]
    except (IndexError, KeyError):
        return None


def _whole(row: Any, column: str, database: str, datasette: Any) -> str | None:
    """Where a cut text is shown whole: the row page of the post (blocks) or, for an edit's
    text before or after, of that revision (its row keeps an earlier version's text)."""
    from datasette.utils import tilde_encode

    blog_id, post_id = _field(row, "blog_id"), _field(row, "post_id")
    if blog_id is None or post_id is None:
        return None
    keys = [blog_id, post_id]
    table = "blocks"
    if column in ("text_before", "text_after"):
        revision, latest = _field(row, "revision"), _field(row, "latest")
        if not isinstance(revision, int):
            return None
        if column == "text_before" or not latest:
            table = "block_revisions"
            keys.append(revision - 1 if column == "text_before" else revision)
    path = ",".join(tilde_encode(str(key)) for key in keys)
    return str(datasette.urls.row(database, table, path))


def _cut(text: str, whole: str | None) -> Markup:
    cut = text[:CUT]
    space = cut.rfind(" ")
    if space > CUT // 2:
        cut = cut[:space]
    more = Markup(' <a href="{}">(all of it)</a>').format(whole) if whole else Markup("")
    return escape(cut.rstrip()) + Markup("…") + more


_DEL = Markup('<del style="background:#fdd">{}</del>')
_INS = Markup('<ins style="background:#dfd;text-decoration:none">{}</ins>')


def _change(row: Any) -> Markup | None:
    parts = []
    for field in ("title", "text"):
        before = _field(row, f"{field}_before") or ""
        after = _field(row, f"{field}_after") or ""
        if isinstance(before, str) and isinstance(after, str) and before != after:
            parts.append(Markup("<strong>{}:</strong> ").format(field) + word_diff(before, after))
    return Markup("<br>").join(parts) if parts else None


def word_diff(before: str, after: str) -> Markup:
    """The words of `after` that are not in `before`, and those of `before` gone from it,
    marked (<del>, <ins>) among a few words of what stayed; long unchanged runs elided."""
    import difflib
    import re

    # Words with the space after them: a change is whole words, never split at the spaces
    # that two different sentences share.
    old, new = re.findall(r"^\s+|\S+\s*", before), re.findall(r"^\s+|\S+\s*", after)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    middle_old, middle_new = old[start : len(old) - end], new[start : len(new) - end]
    pieces: list[tuple[str, list[str]]] = [("same", old[:start])]
    if max(len(middle_old), len(middle_new)) <= DIFF_WORDS:
        matcher = difflib.SequenceMatcher(None, middle_old, middle_new, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                pieces.append(("same", middle_old[i1:i2]))
                continue
            pieces += [("del", middle_old[i1:i2]), ("ins", middle_new[j1:j2])]
    else:
        pieces += [("del", middle_old), ("ins", middle_new)]
    pieces.append(("same", old[len(old) - end :]))
    out = Markup("")
    previous = ""
    for n, (kind, words) in enumerate(pieces):
        text = "".join(words)
        if not text:
            continue
        if kind == "same":
            out += escape(_context(words, first=n == 0, last=n == len(pieces) - 1))
        else:
            if kind == "ins" and previous[-1:] not in ("", " ", "\n"):
                out += " "  # words replaced: the old and the new apart
            shown = text if len(text) <= 4 * CUT else text[: 4 * CUT] + "…"
            out += (_DEL if kind == "del" else _INS).format(shown)
        previous = text if kind == "del" else ""
    return out


def _context(words: list[str], *, first: bool, last: bool) -> str:
    """An unchanged run: whole when short, else its ends beside the changes."""
    keep = CONTEXT_WORDS
    if len(words) <= 2 * keep:
        return "".join(words)
    head = "" if first else "".join(words[:keep])
    tail = "" if last else "".join(words[-keep:])
    return f"{head}… {tail}" if head else f"…{tail}"


# Counting a view's rows walks all of them: through the views that keep an order and cover
# the whole archive, that is seconds at a million posts (SQLite materializes an ordered
# view before counting it, reading every row), against milliseconds for a page of rows.
# Their pages are served uncounted (Datasette's own `_nocount`) unless filtered to one blog.
UNCOUNTED = frozenset({"posts", "key_events", "polls"})
_ONE_BLOG = frozenset({"blog_id", "blog_id__exact"})


def uncounted(query_string: bytes, path: str, databases: Any) -> bytes:
    """The query string of a request, with `_nocount=1` added for a big view's page."""
    from urllib.parse import parse_qsl

    from datasette.utils import tilde_decode

    parts = path.strip("/").split("/")
    if len(parts) != 2 or tilde_decode(parts[0]) not in databases:
        return query_string
    if parts[1].rsplit(".", 1)[0] not in UNCOUNTED:
        return query_string
    given = {key for key, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)}
    if "_nocount" in given or given & _ONE_BLOG:
        return query_string
    return query_string + b"&_nocount=1" if query_string else b"_nocount=1"


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def without_big_counts(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                query = uncounted(
                    scope.get("query_string", b""), scope["path"], datasette.databases
                )
                scope = dict(scope, query_string=query)
            await app(scope, receive, send)

        return without_big_counts

    return wrap


# Facet suggestions run a query per column on every page of a table or view: seconds on a
# big archive's views. Facets asked for (`_facet=`) still work.
SETTINGS = {"suggest_facets": False}


def register_functions() -> None:
    """This module as a Datasette plugin, once per process (Datasette's plugin manager is
    global, and registering twice is an error)."""
    if pm.get_plugin("liveblog") is None:
        pm.register(sys.modules[__name__], name="liveblog")


# --- what Datasette shows ---------------------------------------------------------------------

# Descriptions are shown above each table's rows, column descriptions as a list under it:
# kept to a line or two and a few columns each, so that the first screen shows rows. A
# readable time column (`published`) says what it is; the ISO twin (`published_at`) beside
# it is explained once, in the description.
_TIMES = "Times are UTC; each *_at column is the same time in ISO 8601 (it sorts)."

# One description per table and view; column descriptions only where a name is not enough.
TABLES: dict[str, dict[str, Any]] = {
    "posts": {
        "description": "Every post as it stands now, newest first, deleted ones too. Search "
        "searches titles and text; a long text is cut, with a link to all of it. " + _TIMES,
        "columns": {
            "edits": "edits by the publisher (see edits)",
            "deleted_at": "when the publisher deleted it",
            "rowid": "its row in blocks",
        },
    },
    "key_events": {
        "description": "The key events of every blog, newest first. " + _TIMES,
        "columns": {"time": "published, else first known"},
    },
    "edits": {
        "description": "Every edit by a publisher, newest first; change shows the words "
        "that changed. Re-reads and other kinds of source are not edits. " + _TIMES,
        "columns": {
            "change": "what changed: title, text, both, or other",
            "revision": "the version it made (2: the first edit)",
            "latest": "1 if it made the post as it stands now",
        },
    },
    "post_deletions": {
        "description": "Every deletion of a post by its publisher, newest first, and when it "
        "came back if it did. " + _TIMES,
    },
    "polls": {
        "description": "Every poll of every blog, newest first, whatever its outcome; new, "
        "updated and deleted count posts over the walk so far. " + _TIMES,
        "columns": {
            "kind": "fetch, fallback, file (parse --save) or import",
            "outcome": "changed, unchanged, not modified, fell back or failed",
        },
    },
    "blogs": {
        "description": "One row per blog, with its latest metadata; id is its URL's path on "
        "its host (a Guardian blog: its pageId).",
        "columns": {
            "richness": "how much its source carries (a thinner one never overwrites)",
            "walk_next": "where an unfinished walk of its pages resumes",
        },
    },
    "blocks": {
        "description": "The current state of every post ('block') ever seen; the posts view "
        "reads it with titles and readable times. body: the rest of the post, compressed.",
        "columns": {
            "revision": "how many versions the archive holds",
            "edits": "how many of those were edits by the publisher",
        },
    },
    "block_revisions": {
        "description": "Every distinct version of every post, and why it exists (cause: "
        "first, edit, source, reparse or import); an earlier version's title and text are "
        "in its row, the current one's in blocks.",
    },
    "fetches": {
        "description": "One row per poll; the polls view reads it with an outcome in words.",
        "columns": {"walk_id": "the walk of the blog's pages it belongs to"},
    },
    "deletions": {
        "description": "Every deletion of a post, and its restoration if it came back "
        "(the post_deletions view adds the post and readable times).",
    },
    "dictionaries": {
        "description": "The zstd dictionaries posts' bodies are compressed with, trained on "
        "the archive's own posts.",
    },
    "page_refs": {
        "description": "For each blog and address, the page later polls are stored as deltas "
        "against.",
    },
    "snapshots": {
        "description": "The raw bytes of every distinct page and payload by SHA-256, "
        "compressed (codec: zlib, zstd, or zstd-ref, a delta against the page named by ref). "
        "The query 'page of a poll' shows one as text.",
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

# The views, in the order the database page lists them first (before the tables).
VIEWS: dict[str, str] = {
    "posts": "every post, newest first",
    "key_events": "the key events of every blog",
    "edits": "every edit, with the words that changed",
    "post_deletions": "every post its publisher deleted",
    "polls": "every poll, and how it went",
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
    """What Datasette says about the archive: titles, descriptions, column descriptions.

    The database page lists its tables, all their columns each, before its views: its
    description lists the views first, linked (our own words; no archived text)."""
    from datasette.utils import tilde_encode

    base = "/" + tilde_encode(name)
    views = "".join(
        f'<li><a href="{htmllib.escape(base)}/{view}">{view}</a>: {about}</li>'
        for view, about in VIEWS.items()
    )
    return {
        "title": TITLE,
        "description": "Live blogs archived by liveblog: every post, every edit, every poll.",
        "databases": {
            name: {
                "description_html": f"<p>Start with the views (times are UTC):</p>"
                f'<ul class="bullets">{views}</ul><p>The tables below hold the archive as '
                "it is stored.</p>",
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
    ds = Datasette(**files, settings=SETTINGS, **_options(name))
    actual = served_name(ds, path)
    if actual != name:  # a file named like Datasette's own databases (_internal.db) is renamed
        ds = Datasette(**files, settings=SETTINGS, **_options(actual))
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
