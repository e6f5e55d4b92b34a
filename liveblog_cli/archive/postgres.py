"""The PostgreSQL engine: one archive for many machines and many writers (`--db
postgresql://...`, the `postgres` extra: psycopg 3).

What is PostgreSQL's own: the shared SQL made its dialect (`?` placeholders, `IS ?`, SQLite's
index hints), a write transaction that takes the blog's advisory lock (writers of different
blogs go side by side; two of one blog queue), ids from RETURNING, long reads streamed
through a cursor of their own, search on a weighted tsvector, advisory locks held while a
blog is fetched, the schema created at its current version, and errors said in one line
without the password (unreachable: exit 75; refused credentials: exit 77).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from liveblog_cli.archive import postgres_schema
from liveblog_cli.archive.query import Part, Term
from liveblog_cli.errors import (
    ArchiveBusy,
    ArchiveError,
    DatabaseRefused,
    DatabaseUnavailable,
    LiveblogError,
    LockHeld,
    MissingExtra,
    NoArchive,
)

NEEDS_PSYCOPG = (
    "a PostgreSQL archive needs psycopg: pip install 'psycopg[binary]' (or, in liveblog's "
    "checkout, pip install -e '.[postgres]')"
)
CONNECT_TIMEOUT = 10
_NOW_SQL = "extract(epoch from clock_timestamp())::double precision"
_NOW = f"SELECT {_NOW_SQL}"
# The seed of the schema's advisory lock key (a blog's writes use 1, its fetches 2).
_SCHEMA_LOCK = 0x6C6976656C6F67  # "liveblog"


def shown(url: str) -> str:
    """A PostgreSQL URL fit to print: no password, in its user part or its query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = "&".join(p for p in parts.query.split("&") if p.split("=", 1)[0].lower() != "password")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, bool]:
    """The shared SQL as PostgreSQL reads it, and whether its parameters are numbered.

    `?` becomes `%s` and `?N` `%(pN)s`; `%` (literal text too) is doubled for psycopg;
    `IS ?`/`IS NOT ?` compare with NULL as SQLite's do; an `INDEXED BY` hint is dropped."""
    numbered = False

    def placeholder(token: str) -> str:
        nonlocal numbered
        if len(token) > 1:
            numbered = True
            return f"%(p{token[1:]})s"
        return "%s"

    def swap(m: re.Match[str]) -> str:
        token = m.group()
        if token.startswith("'"):
            return token.replace("%", "%%")
        if token == "%":
            return "%%"
        if token.startswith("INDEXED BY"):
            return ""
        if token.startswith("IS NOT "):
            return "IS DISTINCT FROM " + placeholder(token[7:])
        if token.startswith("IS "):
            return "IS NOT DISTINCT FROM " + placeholder(token[3:])
        return placeholder(token)

    out = re.sub(r"'[^']*'|%|INDEXED BY \w+|\bIS NOT \?\d*|\bIS \?\d*|\?\d*", swap, sql)
    return out, numbered


def _params(params: Sequence[Any], numbered: bool) -> Any:
    """Values as the shared schema keeps them (flags as integers, as SQLite has them)."""
    values = [int(v) if isinstance(v, bool) else v for v in params]
    if numbered:
        return {f"p{n}": value for n, value in enumerate(values, 1)}
    return values


class _Connection:
    """The shared SQL run on a psycopg connection: `execute(sql, params)` -> a cursor."""

    def __init__(self, conn: Any) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        text, numbered = translate(sql)
        return self.raw.execute(text, _params(params, numbered) if params else None)

    def close(self) -> None:
        self.raw.close()


class Postgres:
    """A PostgreSQL archive, open."""

    name = "postgresql"

    def __init__(self, url: str, *, readonly: bool = False, create: bool = True) -> None:
        try:
            import psycopg
        except ImportError:
            raise MissingExtra(NEEDS_PSYCOPG) from None
        self.psycopg = psycopg
        self.url = url
        self.location = shown(url)
        self.readonly = readonly
        self.newer: str | None = None
        self.errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        self._reader: Any = None
        self._streams = 0
        self._reader_lock = threading.Lock()
        self._cursor_names = itertools.count()
        raw = self._connect()
        self.conn = _Connection(raw)
        try:
            self._prepare(create)
        except psycopg.Error as exc:
            raw.close()
            raise self.error(exc) from None

    @property
    def path(self) -> str:
        return self.location

    def _connect(self, *, autocommit: bool = True) -> Any:
        try:
            return self.psycopg.connect(
                self.url,
                autocommit=autocommit,
                prepare_threshold=None,  # plans made for each query's own values
                connect_timeout=CONNECT_TIMEOUT,
                application_name="liveblog",
            )
        except self.psycopg.Error as exc:
            raise self.error(exc) from None

    def _prepare(self, create: bool) -> None:
        from liveblog_cli.archive import schema

        done = self._applied()
        if done is None and not create:
            raise NoArchive(
                f"no archive in {self.location} (`liveblog fetch URL --db URL` makes one)"
            )
        if self.readonly:
            self.conn.execute("SET default_transaction_read_only = on")
        if done is None:
            self._create()
            return
        known = {name for name, _ in schema.STEPS}
        newer = [name for name in done if name not in known]
        if newer:
            self.newer = newer[-1]
            return
        missing = [name for name in postgres_schema.migration_names() if name not in done]
        if missing and not self.readonly:
            self._migrate(missing)
        elif missing:
            raise ArchiveError(f"archive {self.location} needs upgrading: open it writable once")

    def _migrate(self, names: list[str]) -> None:
        """The steps since this archive was made, each in its transaction, recorded."""
        from liveblog_cli.archive.schema import POSTGRES_STEPS

        unknown = [name for name in names if name not in POSTGRES_STEPS]
        if unknown:
            raise ArchiveError(
                f"archive {self.location} lacks migrations {', '.join(unknown)} that this "
                "liveblog cannot apply to PostgreSQL"
            )
        for name in names:
            self.begin()
            try:
                self._schema_lock()
                if (
                    self.conn.execute(
                        "SELECT 1 FROM liveblog_migrations WHERE name = ?", [name]
                    ).fetchone()
                    is None
                ):
                    POSTGRES_STEPS[name](self.conn)
                    self.conn.execute(
                        "INSERT INTO liveblog_migrations (name, applied_at) VALUES (?, ?)",
                        [name, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
                    )
                self.commit()
            except BaseException:
                self.rollback()
                raise

    def _applied(self) -> list[str] | None:
        exists = self.conn.execute("SELECT to_regclass('liveblog_migrations')").fetchone()[0]
        if exists is None:
            return None
        rows = self.conn.execute("SELECT name FROM liveblog_migrations ORDER BY name")
        return [r[0] for r in rows.fetchall()]

    def _create(self) -> None:
        """The schema at its current version, in one transaction; two processes creating it
        at once queue on one lock, the second finding it made."""
        self.begin()
        try:
            self._schema_lock()
            if self._applied() is None:
                for statement in postgres_schema.statements(self._unaccent()):
                    self.conn.execute(statement)
                now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                for name in postgres_schema.migration_names():
                    self.conn.execute(
                        "INSERT INTO liveblog_migrations (name, applied_at) VALUES (?, ?)",
                        [name, now],
                    )
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def _schema_lock(self) -> None:
        """Within a transaction: the only one making or upgrading this archive's schema
        (advisory locks belong to the database: each key names the archive's schema too)."""
        self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ' schema', ?))",
            [_SCHEMA_LOCK],
        )

    def _unaccent(self) -> str:
        """The schema holding the unaccent extension (made if it is missing)."""
        find = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = ?"
        row = self.conn.execute(find, ["unaccent"]).fetchone()
        if row is None:
            try:
                self.conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            except self.psycopg.Error as exc:
                raise ArchiveError(
                    f"archive {self.location}: the unaccent extension is needed for search "
                    f"(CREATE EXTENSION unaccent, as a user allowed to): {_first_line(exc)}"
                ) from None
            row = self.conn.execute(find, ["unaccent"]).fetchone()
        return str(row[0]).strip('"')

    # --- statements --------------------------------------------------------------------------

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.raw.info.transaction_status != 0:  # not idle
            self.conn.execute("ROLLBACK")

    def insert(self, sql: str, params: Sequence[Any]) -> int:
        row = self.conn.execute(sql + " RETURNING id", params).fetchone()
        return int(row[0])

    def rows(self, sql: str, params: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """Rows as dicts (see `tuples`)."""
        from psycopg.rows import dict_row

        return self._stream(sql, params, dict_row)

    def tuples(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples, streamed: inside a write transaction, on its connection (what it
        wrote is read back); otherwise through a cursor of their own on a second connection
        (the first stays free for what the caller asks meanwhile), whose snapshot ends when
        the last open stream does."""
        from psycopg.rows import tuple_row

        return self._stream(sql, params, tuple_row)

    def _stream(self, sql: str, params: Sequence[Any], factory: Any) -> Iterator[Any]:
        text, numbered = translate(sql)
        values = _params(params, numbered) if params else None
        if self.conn.raw.info.transaction_status != 0:  # inside a transaction: read it
            with self.conn.raw.cursor(row_factory=factory) as cursor:
                yield from cursor.execute(text, values)
            return
        with self._reader_lock:
            if self._reader is None:
                self._reader = self._connect(autocommit=False)
                if self.readonly:
                    self._reader.read_only = True
            self._streams += 1
        try:
            name = f"liveblog_{next(self._cursor_names)}"
            with self._reader.cursor(name=name, row_factory=factory) as cursor:
                cursor.execute(text, values)
                while batch := cursor.fetchmany(500):
                    yield from batch
        finally:
            with self._reader_lock:
                self._streams -= 1
                if self._streams == 0 and not self._reader.closed:
                    self._reader.rollback()  # reads only: end the snapshot

    def insert_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        text, numbered = translate(sql)
        with self.conn.raw.cursor() as cursor:
            cursor.executemany(text, [_params(row, numbered) for row in rows])

    def ids_copied(self, counted: dict[str, str]) -> None:
        """Ids copied in as they were: each table's counter moved past the largest."""
        for table, column in counted.items():
            self.conn.raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )
        # Without statistics the planner guesses: a common word's search at 1M posts took
        # 1.3 s right after a copy and 6 ms after ANALYZE (2 s), until autovacuum came round.
        self.conn.raw.execute("ANALYZE")

    def lock_blog(self, blog_id: str) -> None:
        """This transaction is the blog's only writer until it ends (others of the same blog
        wait; other blogs go on)."""
        self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ' ' || ?, 1))",
            [blog_id],
        )

    def mark_seen(self, blog_id: str, block_ids: list[str], moment: str) -> None:
        self.conn.raw.execute(
            "INSERT INTO block_seen (blog_id, block_id, last_seen_at) "
            "SELECT %s, x, %s FROM unnest(%s::text[]) AS x "
            "ON CONFLICT (blog_id, block_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [blog_id, moment, block_ids],
        )

    def search(
        self, query: str, parts: list[Part], blog_id: str | None, limit: int, recent: int
    ) -> list[dict[str, Any]]:
        """The `recent` most recent matches (the planner sees the query itself: an index walk
        backwards by rowid for a common word, the GIN index for a rare one), ranked among
        themselves; snippets from ts_headline."""
        expression, values = self._tsquery(parts)
        config = postgres_schema.SEARCH_CONFIG
        within = "AND blog_id = %s " if blog_id is not None else ""
        rows = self.conn.raw.execute(
            "SELECT b.blog_id, b.id, b.title, b.published_at, b.key_event, b.deleted_at, "
            f"ts_headline('{config}', coalesce(b.text, ''), w.q, "
            "'StartSel=\x02, StopSel=\x03, MaxWords=16, MinWords=6, ShortWord=0, "
            "MaxFragments=1, FragmentDelimiter=…') AS snippet "
            f"FROM (SELECT rowid, search, {expression} AS q FROM blocks "
            f"WHERE search @@ {expression} {within}ORDER BY rowid DESC LIMIT %s) AS w "
            "JOIN blocks b ON b.rowid = w.rowid "
            # Title and text weigh the same, as in bm25() on SQLite; a long post's matches
            # count for less (normalization 1: by its length's logarithm).
            "ORDER BY ts_rank_cd('{0.1, 0.2, 1.0, 1.0}', w.search, w.q, 1) DESC, "
            "w.rowid DESC LIMIT %s",
            [
                *values,
                *values,
                *([blog_id] if blog_id is not None else []),
                recent,
                limit,
            ],
        )
        columns = [c.name for c in rows.description]
        return [dict(zip(columns, row, strict=True)) for row in rows.fetchall()]

    def _tsquery(self, parts: list[Part]) -> tuple[str, list[Any]]:
        """SQL for the query's tsquery, and its values: each term's words made lexemes by the
        archive's own configuration (as its posts were), joined by FTS5's precedence (NOT
        before AND before OR)."""
        config = postgres_schema.SEARCH_CONFIG
        values: list[Any] = []

        def term(t: Term) -> str:
            weights = {"title": "A", "text": "B"}.get(t.field or "", "AB")
            lexemes = [
                r[0]
                for r in self.conn.raw.execute(
                    "SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, %s)) AS t, "
                    "unnest(positions) AS p GROUP BY lexeme ORDER BY min(p)",
                    [config, t.text],
                ).fetchall()
            ]
            if not lexemes:
                return "to_tsquery('simple', 'liveblog_no_such_word_')"
            pieces = []
            for n, lexeme in enumerate(lexemes, 1):
                star = "*" if t.prefix and n == len(lexemes) else ""
                pieces.append("'" + lexeme.replace("'", "''") + f"':{star}{weights}")
            values.append(" <-> ".join(pieces))
            return "to_tsquery('simple', %s)"

        position = 0

        def expr() -> str:
            nonlocal position
            left = conjunction()
            while position < len(parts) and parts[position] == "OR":
                position += 1
                left = f"({left} || {conjunction()})"
            return left

        def conjunction() -> str:
            nonlocal position
            left = negation()
            while position < len(parts) and parts[position] == "AND":
                position += 1
                left = f"({left} && {negation()})"
            return left

        def negation() -> str:
            nonlocal position
            left = primary()
            while position < len(parts) and parts[position] == "NOT":
                position += 1
                left = f"({left} && !!{primary()})"
            return left

        def primary() -> str:
            nonlocal position
            part = parts[position]
            position += 1
            if part == "(":
                inner = expr()
                position += 1  # ")"
                return inner
            assert isinstance(part, Term)
            return term(part)

        return expr(), values

    def clock(self) -> float:
        """The server's clock: every machine's workers agree on it."""
        return float(self.conn.raw.execute(_NOW).fetchone()[0])

    def claim(self, owner: str, limit: int, lease: float, columns: str) -> list[dict[str, Any]]:
        """Due rows no live lease holds, held by `owner`, in one statement: rows another
        worker is claiming this instant are skipped (SKIP LOCKED), never waited for."""
        cursor = self.conn.raw.execute(
            f"UPDATE schedule SET lease_owner = %s, lease_until = {_NOW_SQL} + %s "
            "WHERE url IN (SELECT url FROM schedule WHERE state = 'active' "
            f"AND next_due <= {_NOW_SQL} AND (lease_until IS NULL OR lease_until < {_NOW_SQL}) "
            "ORDER BY next_due, url LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"RETURNING {columns}",
            [owner, lease, limit],
        )
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return sorted(rows, key=lambda r: (r["next_due"], r["url"]))

    def reserve_host(self, host: str, delay: float) -> float:
        """The next turn to ask `host`, `delay` after the last one given (one statement: the
        row's lock orders workers asking at once): seconds to wait."""
        row = self.conn.raw.execute(
            f"INSERT INTO hosts (host, next_at) VALUES (%s, {_NOW_SQL} + %s) "
            "ON CONFLICT (host) DO UPDATE SET "
            f"next_at = greatest(hosts.next_at, {_NOW_SQL}) + %s "
            f"RETURNING next_at - %s - {_NOW_SQL}",
            [host, delay, delay, delay],
        ).fetchone()
        return max(0.0, float(row[0]))

    @contextmanager
    def blog_locks(self, keys: list[str], *, wait: float, poll: float = 0.2) -> Iterator[None]:
        """Session advisory locks on a connection of their own, held while the blogs are
        fetched (a killed process's connection drops, and its locks with it)."""
        holder = self._connect()
        try:
            deadline = time.monotonic() + wait
            for key in sorted(set(keys)):
                while not holder.execute(
                    "SELECT pg_try_advisory_lock("
                    "hashtextextended(current_schema() || ' ' || %s, 2))",
                    [key],
                ).fetchone()[0]:
                    if time.monotonic() >= deadline:
                        raise LockHeld(
                            f"another liveblog is fetching {key} into {self.location}; "
                            + (f"waited {wait:g}s" if wait else "use --wait SECONDS to wait")
                        )
                    time.sleep(poll)
            yield
        finally:
            # Given back before this returns: closing alone lets the server's process let go
            # a moment later, and a run started at once would find the blog still held.
            with suppress(self.psycopg.Error):
                holder.execute("SELECT pg_advisory_unlock_all()")
            holder.close()

    def error(self, exc: BaseException) -> LiveblogError:
        """A psycopg error as one plain line (never the password) and its exit code."""
        errors = self.psycopg.errors
        text = _first_line(exc).replace(self.url, self.location)
        password = urlsplit(self.url).password if "://" in self.url else None
        if password:
            text = text.replace(password, "…")
        where = f"archive {self.location}"
        if isinstance(exc, errors.InvalidPassword | errors.InvalidAuthorizationSpecification):
            return DatabaseRefused(f"{where}: the server refused these credentials ({text})")
        if "password authentication failed" in text or "no password supplied" in text:
            return DatabaseRefused(f"{where}: the server refused these credentials ({text})")
        if isinstance(exc, errors.DiskFull):
            return ArchiveError(f"{where}: disk full, nothing was written")
        if isinstance(exc, errors.ReadOnlySqlTransaction):
            return ArchiveError(f"{where} is read-only here: {text}")
        if isinstance(exc, errors.LockNotAvailable | errors.DeadlockDetected):
            return ArchiveBusy(f"{where} is busy (another liveblog is writing); try again")
        if isinstance(exc, self.psycopg.OperationalError):
            return DatabaseUnavailable(f"{where}: cannot reach the database ({text})")
        return ArchiveError(f"{where}: {text}")

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self.conn.close()


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__


__all__ = ["NEEDS_PSYCOPG", "Postgres", "shown", "translate"]
