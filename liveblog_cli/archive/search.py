"""Full-text search: the syntax people type, turned into an SQLite FTS5 query that cannot
fail, and the search itself over post titles and text.

Words must all match; `"a phrase"`; `OR` between terms; `NOT word` or `-word` to exclude;
`prefix*`; a field: `title:word` or `text:"a phrase"`; parentheses group. Every word is
quoted before it reaches FTS5, so punctuation in a word is never FTS5 syntax.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from liveblog_cli.archive.database import Database, _archive_error
from liveblog_cli.errors import SearchSyntaxError

RECENT = 2000  # search ranks the best matches among this many most recent ones

FIELDS = ("title", "text")
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<field>[A-Za-z_]+):(?=\S)"
    r'|(?P<minus>-)(?=\S)|"(?P<phrase>[^"]*)"(?P<pstar>\*)?|(?P<word>[^\s()"]+))'
)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a query in liveblog's syntax (see the module doc)."""
    try:
        return _translate(query)
    except SearchSyntaxError as exc:
        raise SearchSyntaxError(f"search {query!r}: {exc} (see `liveblog search --help`)") from None


def _translate(query: str) -> str:
    if not query.strip():
        raise SearchSyntaxError("empty query: give a word to look for")
    if query.count('"') % 2:
        raise SearchSyntaxError('a phrase is not closed: pair every " with another')
    parts: list[str] = []
    depth = 0
    expect_term = True  # after an operator, or at the start
    pending_field: str | None = None
    position = 0
    while position < len(query):
        m = _TOKEN.match(query, position)
        if not m or m.end() == position:
            if query[position:].strip():
                raise SearchSyntaxError(f"cannot read {query[position:]!r}")
            break
        position = m.end()
        if m["open"]:
            if not expect_term:
                parts.append("AND")
            parts.append("(")
            depth += 1
            expect_term = True
            continue
        if m["close"]:
            depth -= 1
            if depth < 0 or expect_term:
                raise SearchSyntaxError("a ) without its ( or with nothing inside")
            parts.append(")")
            continue
        if m["field"] and m["field"].lower() in FIELDS:
            pending_field = m["field"].lower()
            continue
        if m["field"]:
            # Not a field (`https:`, `10:30` …): the word as typed.
            word_end = re.match(r"[^\s()]*", query[m.start("field") :])
            assert word_end is not None
            position = m.start("field") + word_end.end()
            term = _quoted(query[m.start("field") : position])
            if not expect_term:
                parts.append("AND")
            parts.append(term)
            expect_term = False
            continue
        if m["minus"]:
            if expect_term:
                raise SearchSyntaxError("NOT (or -word) needs a word before it to exclude from")
            parts.append("NOT")
            expect_term = True
            continue
        if m["phrase"] is not None:
            if not m["phrase"].strip():
                raise SearchSyntaxError('an empty phrase ""')
            term = _quoted(m["phrase"]) + ("*" if m["pstar"] else "")
        else:
            word = m["word"]
            if word in ("OR", "AND", "NOT"):
                if expect_term:
                    raise SearchSyntaxError(f"{word} needs a word on each side")
                parts.append(word)
                expect_term = True
                continue
            star = word.endswith("*")
            word = word.rstrip("*")
            if not word:
                raise SearchSyntaxError("a * must end a word (rwan*)")
            term = _quoted(word) + ("*" if star else "")
        if pending_field:
            term = f"{pending_field} : {term}"
            pending_field = None
        if not expect_term:
            parts.append("AND")
        parts.append(term)
        expect_term = False
    if pending_field:
        raise SearchSyntaxError(f"{pending_field}: needs a word after it")
    if depth:
        raise SearchSyntaxError("a ( is not closed")
    if expect_term:
        raise SearchSyntaxError("the query ends with an operator")
    return " ".join(parts)


class Searching(Database):
    """Search over the archive's posts."""

    def search(
        self, query: str, *, blog_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Full-text search over post titles and text: the best matches among the most
        recent posts that match (RECENT of them), with snippets.

        `query` is in liveblog's search syntax (words, "phrases", OR, NOT, prefix*, title:),
        made into an FTS5 expression that cannot fail (a SearchSyntaxError says why not).
        The index finds the most recent matches (one blog's inside the same index query);
        they are ranked by BM25 among themselves, in a small in-memory index: BM25 over the
        whole archive would first count every post holding each word, and a common word is
        in most of a million. So a common word costs the same in a million posts as in a
        thousand.
        """
        words = f"{{title text}} : ({fts_query(query)})"
        match = words
        if blog_id is not None:
            match += f' AND blog : "{blog_id.encode("utf-8", "surrogatepass").hex().upper()}"'
        with self._lock:
            try:
                self.conn.execute(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_window USING FTS5 "
                    "(title, text, tokenize='unicode61')"
                )
                self.conn.execute("DELETE FROM temp.search_window")
                self.conn.execute(
                    "INSERT INTO temp.search_window (rowid, title, text) "
                    "SELECT b.rowid, b.title, b.text FROM blocks b WHERE b.rowid IN "
                    "(SELECT rowid FROM blocks_fts WHERE blocks_fts MATCH ? "
                    "ORDER BY rowid DESC LIMIT ?)",
                    [match, RECENT],
                )
            except sqlite3.Error as exc:
                raise _archive_error(exc, self.path) from None
            ranked = self._rows(
                "SELECT b.blog_id, b.id, b.title, b.published_at, b.key_event, b.deleted_at, "
                "snippet(search_window, 1, '\x02', '\x03', '…', 16) AS snippet "
                "FROM search_window w JOIN blocks b ON b.rowid = w.rowid "
                "WHERE search_window MATCH ? ORDER BY bm25(search_window), w.rowid DESC LIMIT ?",
                [words, limit],
            )
            return [{**dict(r), "key_event": bool(r["key_event"])} for r in ranked]


__all__ = ["RECENT", "SearchSyntaxError", "Searching", "fts_query"]
