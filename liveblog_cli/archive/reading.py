"""Reading the archive as people and scripts ask: which blog a word names, the blogs with
their counts, a blog's posts (streamed, filtered, as of a past moment), a post's revisions,
and JSON lines assembled by SQLite for the export's hot path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from liveblog_cli.archive.as_of import counts as as_of_counts
from liveblog_cli.archive.as_of import query as as_of_query
from liveblog_cli.archive.as_of import select as as_of_select
from liveblog_cli.archive.database import Database, now_utc
from liveblog_cli.archive.packing import SEP, block_dict
from liveblog_cli.errors import AmbiguousBlog, BlogNotFound
from liveblog_cli.model import iso_z


class Reading(Database):
    """Reads: blogs, posts, revisions."""

    def count_posts(self, blog_id: str) -> int:
        """The blog's posts in the archive now, deleted ones not counted."""
        row = self._one(
            "SELECT count(*) AS n FROM blocks WHERE blog_id = ? AND deleted_at IS NULL", [blog_id]
        )
        return row["n"] if row else 0

    def has_blog(self, blog_id: str) -> bool:
        return self._one("SELECT 1 FROM blogs WHERE id = ?", [blog_id]) is not None

    def known_block_ids(self, blog_id: str, ids: list[str]) -> set[str]:
        """Which of these block ids the archive already holds for this blog."""
        known: set[str] = set()
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT id FROM blocks WHERE blog_id = ? AND id IN ({marks})"
                known.update(r["id"] for r in self._rows(sql, [blog_id, *chunk]))
        return known

    def blog_ids(self) -> list[tuple[str, str | None]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT id, url FROM blogs ORDER BY id")]

    def live_urls(self) -> list[str]:
        """The address of every blog that was live when last read, oldest checked first
        (a run cut short has refreshed the most overdue)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT url FROM blogs WHERE is_live = 1 AND url IS NOT NULL "
                "ORDER BY last_seen_at, url"
            )
        ]

    def resolve(self, ref: str) -> str:
        """A blog id from an id, a URL, an unambiguous prefix of either, or a word of its id
        or title that names one blog (`mars`)."""
        try:
            blogs = [
                (r[0], r[1], r[2])
                for r in self.conn.execute("SELECT id, url, title FROM blogs ORDER BY id")
            ]
        except self.engine.errors as exc:
            raise self.engine.error(exc) from None
        ref = ref.strip()
        for blog_id, url, _ in blogs:
            if ref in (blog_id, url) or (url and ref.rstrip("/") == url.rstrip("/")):
                return blog_id
        # A URL of the blog with a query or fragment (a page link, a block link).
        bare = ref.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        for blog_id, url, _ in blogs:
            if url and bare == url.split("?", 1)[0].rstrip("/"):
                return blog_id
        matches = [b for b, u, _ in blogs if b.startswith(ref) or (u and u.startswith(ref))]
        if not matches:
            # A word: of the id's path (split at / - _ .) or of the title, any case.
            word = ref.casefold()
            matches = [
                b
                for b, _, title in blogs
                if word in b.casefold().split("/")
                or word in re.split(r"[/\-_.:]+", b.casefold())
                or word in re.findall(r"\w+", (title or "").casefold())
            ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousBlog(ref, matches)
        raise BlogNotFound(f"no archived blog matches {ref!r} (see `liveblog list`)")

    def blog(self, blog_id: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM blogs WHERE id = ?", [blog_id])
        if row is None:
            raise BlogNotFound(f"no archived blog {blog_id!r}")
        return _blog_dict(row)

    def blog_rows(self) -> dict[str, dict[str, Any]]:
        """Every blog's metadata by id (no counts: cheap however large the archive)."""
        return {r["id"]: _blog_dict(r) for r in self._rows("SELECT * FROM blogs", [])}

    def list_blogs(self, *, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """Every blog with its counts, its first and last post, and its polls: when it was
        last checked (`last_fetched_at`, a poll of any outcome), when it last changed, how
        many polls failed in the last 24 hours. Read from the blogs' own rows and two index
        lookups a blog: as quick with a million posts as with ten."""
        since = iso_z(now_utc() - timedelta(days=1))
        sql = """
            SELECT b.*, b.posts AS blocks,
              (SELECT max(fetched_at) FROM fetches f WHERE f.blog_id = b.id
                 AND coalesce(f.kind, 'fetch') IN ('fetch', 'fallback')) AS last_fetched_at,
              (SELECT count(*) FROM fetches f WHERE f.blog_id = b.id AND f.fetched_at >= ?
                 AND f.error IS NOT NULL AND coalesce(f.kind, '') <> 'fallback') AS failures_24h
            FROM blogs b ORDER BY b.last_post_at DESC, b.id
        """
        blogs = []
        for row in self._rows(sql, [since]):
            blog = _blog_dict(row)
            blog.pop("posts", None)
            # Its walk failed or stopped part way (a gap, accepted or not): not all there.
            blog["incomplete"] = bool(blog.get("gap") or blog.get("walk_next"))
            blogs.append(blog)
        if as_of is not None:
            for blog in blogs:
                blog.update(as_of_counts(self.blocks(blog["id"], as_of=as_of)))
            moment = iso_z(as_of) or ""
            blogs = [b for b in blogs if (b.get("first_seen_at") or "") <= moment]
        return blogs

    def blocks(
        self, blog_id: str | None, *, as_of: datetime | None = None, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Blocks as export dicts, streamed from the database (memory stays flat).

        Filters (see `_blocks_sql`): since, until, key_events, limit, oldest_first,
        include_deleted. With `as_of`, the blog as it stood then (see as_of.py).
        """
        if as_of is not None:
            sql, params = as_of_query(blog_id, as_of)
            rows = ((self._row_dict(row), row["rowid"]) for row in self._rows(sql, params))
            yield from as_of_select(rows, **filters)
            return
        sql, params = self._blocks_sql(blog_id, **filters)
        for row in self._rows(sql, params):
            yield self._row_dict(row)

    def posts(self, blog_id: str, ids: list[str]) -> list[dict[str, Any]]:
        """These posts of a blog as they stand (deleted ones too), in the export shape."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._rows(
                "SELECT b.*, s.last_seen_at FROM blocks b LEFT JOIN block_seen s "
                "ON s.blog_id = b.blog_id AND s.block_id = b.id "
                f"WHERE b.blog_id = ? AND b.id IN ({marks})",
                [blog_id, *chunk],
            )
            found += [self._row_dict(r) for r in rows]
        return found

    def _row_dict(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A stored post as the export shape: its JSON, with its blog first and the
        archive's bookkeeping after."""
        data = block_dict(row["id"], row["title"], row["text"], self.packer.unpack(row["body"]))
        return {
            "blog_id": row["blog_id"],
            **data,
            "revision": row["revision"],
            "edits": row["edits"] or 0,
            "first_seen_at": row["first_seen_at"],
            "last_seen_at": row["last_seen_at"],
            "deleted_at": row["deleted_at"],
        }

    def newest_update(self, blog_id: str | None, **filters: Any) -> str | None:
        """The newest time among these blocks (updated, else published, else last seen): an
        Atom feed's `<updated>`, found before its entries are streamed."""
        if filters.get("as_of") is None:
            # Over the blocks the feed holds (its --limit too), as the as-of path counts them.
            filters = {k: v for k, v in filters.items() if k != "as_of"}
            sql, params = self._blocks_sql(
                blog_id, columns="b.updated_at, b.published_at, s.last_seen_at", **filters
            )
            row = self.conn.execute(
                f"SELECT max(coalesce(updated_at, published_at, last_seen_at)) FROM ({sql}) AS q",
                params,
            ).fetchone()
            return row[0] if row else None
        newest = None
        for block in self.blocks(blog_id, **filters):
            when = block["updated_at"] or block["published_at"] or block["last_seen_at"]
            if when and (newest is None or when > newest):
                newest = when
        return newest

    def blocks_jsonl(self, blog_id: str | None, **filters: Any) -> Iterator[bytes]:
        """The same rows as `blocks()`, as JSON lines of UTF-8 bytes, never decoded (one a
        post, without its newline; see `jsonl_chunks`)."""
        for _, chunk in self.jsonl_chunks(blog_id, **filters):
            # No line holds a raw newline (JSON escapes it): the chunk splits into its lines.
            yield from chunk[:-1].split(b"\n")

    def jsonl_chunks(self, blog_id: str | None, **filters: Any) -> Iterator[tuple[int, bytes]]:
        """The same rows as `blocks()`, as JSON lines of UTF-8 bytes (each ending in a
        newline), about a megabyte of whole lines at a time: (lines, bytes). The export's hot
        path, a few microseconds a post.

        SQLite quotes the text a publisher wrote (id, title, text) as JSON, and puts each
        line's pieces around the body together (its blog and id before, its text between,
        the archive's bookkeeping after: times are ours, ISO strings). A post's body holds
        the rest of its JSON as text already: it is decompressed a batch at a time and
        spliced in, and each chunk is joined once, not each line. An engine without
        SQLite's json_quote has the pieces made here, the same way.
        """
        in_sql = self.engine.name == "sqlite"
        sql, params = self._blocks_sql(
            blog_id, columns=_JSONL_PIECES if in_sql else _JSONL_COLUMNS, **filters
        )
        unpack_many = self.packer.unpack_many
        rows = self.engine.tuples(sql, params)
        if not in_sql:
            rows = map(_jsonl_pieces, rows)
        try:
            while batch := list(islice(rows, _JSONL_BATCH)):
                parts: list[bytes] = []
                add, append = parts.extend, parts.append
                bodies = unpack_many([bytes(row[1]) for row in batch])
                for (head, _, text, tail), body in zip(batch, bodies, strict=True):
                    first, _, rest = body.partition(SEP)
                    # {head} and {tail}, opened: one line of the block's keys in order.
                    add((head[:-1], b",", first, b',"text":', text, b",", rest, b",", tail[1:]))
                    append(b"\n")
                yield len(batch), b"".join(parts)
        except self.engine.errors as exc:
            raise self.engine.error(exc) from None

    def _blocks_sql(
        self,
        blog_id: str | None,
        *,
        columns: str = "b.*, s.last_seen_at",  # b.* holds the body (see _row_dict)
        since: datetime | None = None,
        until: datetime | None = None,
        key_events: bool = False,
        limit: int | None = None,
        oldest_first: bool = False,
        include_deleted: bool = True,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if blog_id is not None:
            where.append("b.blog_id = ?")
            params.append(blog_id)
        when = "coalesce(b.published_at, b.created_at, b.updated_at, b.first_seen_at)"
        if since is not None:
            where.append(f"{when} >= ?")
            params.append(iso_z(since))
        if until is not None:
            where.append(f"{when} <= ?")
            params.append(iso_z(until))
        if key_events:
            where.append("b.key_event = 1")  # as the key events' index says it
        if not include_deleted:
            where.append("b.deleted_at IS NULL")
        order = "ASC" if oldest_first else "DESC"
        sql = (
            f"SELECT {columns} FROM blocks b LEFT JOIN block_seen s "
            "ON s.blog_id = b.blog_id AND s.block_id = b.id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} "
            f"ORDER BY b.blog_id {order}, {when} {order}, b.rowid {order}"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return sql, params

    def revisions(self, blog_id: str, block_id: str) -> list[dict[str, Any]]:
        """Every revision of a block, oldest first, with why it exists (its cause), the kind
        of source it was read from and the parser that read it."""
        content = "CASE WHEN r.revision = b.revision THEN b.{0} ELSE r.{0} END AS {0}".format
        rows = self._rows(
            "SELECT r.revision, r.content_hash, r.seen_at, r.cause, r.source_format, "
            f"r.parser_version, {content('title')}, {content('text')}, {content('body')} "
            "FROM block_revisions r JOIN blocks b ON b.blog_id = r.blog_id AND b.id = r.block_id "
            "WHERE r.blog_id = ? AND r.block_id = ? ORDER BY r.revision",
            [blog_id, block_id],
        )
        out = []
        for r in rows:
            row = dict(r)
            body = self.packer.unpack(row.pop("body"))
            row["data"] = block_dict(block_id, row.pop("title"), row.pop("text"), body)
            out.append(row)
        if not out:
            raise BlogNotFound(f"no block {block_id!r} in blog {blog_id!r}")
        return out


# A stored time or blog id that JSON can hold between quotes as it is (no quote, backslash,
# control or non-ASCII byte): times are always so, as liveblog writes them.
_PLAIN_JSON = re.compile(rb'[^"\\\x00-\x1f\x7f-\xff]*').fullmatch


def json_quote_bytes(value: bytes | str | None) -> bytes:
    """A stored value as a JSON string (or null), in UTF-8."""
    if value is None:
        return b"null"
    if isinstance(value, bytes):
        if _PLAIN_JSON(value):
            return b'"' + value + b'"'
        value = value.decode("utf-8", "surrogateescape")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# The export's lines, in pieces quoted by SQLite around each post's body (see
# `jsonl_chunks`): its blog, id and title, and the archive's bookkeeping, each as a JSON
# object (one function call a piece: cheaper in SQLite than `||` and json_quote), and
# its text as a JSON string.
_JSONL_PIECES = """
    CAST(json_object('blog_id', b.blog_id, 'id', b.id, 'title', b.title) AS BLOB),
    b.body,
    CAST(json_quote(coalesce(b.text, '')) AS BLOB),
    CAST(json_object('revision', b.revision, 'edits', coalesce(b.edits, 0),
        'first_seen_at', b.first_seen_at, 'last_seen_at', s.last_seen_at,
        'deleted_at', b.deleted_at) AS BLOB)
"""
# The same columns plain, for an engine that has the pieces made in Python.
_JSONL_COLUMNS = (
    "b.blog_id, b.id, b.title, coalesce(b.text, ''), b.body, b.revision, coalesce(b.edits, 0), "
    "b.first_seen_at, s.last_seen_at, b.deleted_at"
)
_JSONL_BATCH = 256  # posts a chunk: about a megabyte of lines


def _jsonl_pieces(row: tuple[Any, ...]) -> tuple[bytes, bytes, bytes, bytes]:
    """A row of `_JSONL_COLUMNS` as the pieces `_JSONL_PIECES` makes in SQLite."""
    blog, ident, title, text, body, revision, edits, first, last, gone = row
    q = json_quote_bytes
    return (
        b'{"blog_id":%s,"id":%s,"title":%s}' % (q(blog), q(ident), q(title)),
        body,
        q(text),
        b'{"revision":%d,"edits":%d,"first_seen_at":%s,"last_seen_at":%s,"deleted_at":%s}'
        % (revision, edits, q(first), q(last), q(gone)),
    )


def _blog_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    r = dict(row)
    for key in ("authors", "tags"):
        r[key] = json.loads(r.get(key) or "[]")
    r["pages"] = json.loads(r.get("pages") or "{}")
    if r.get("is_live") is not None:
        r["is_live"] = bool(r["is_live"])
    return r
