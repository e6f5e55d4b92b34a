"""Full-text search over post titles and text, in liveblog's search syntax (query.py).

The best matches among the most recent posts that match (RECENT of them), with snippets:
each engine finds the most recent matches through its own index (FTS5, a tsvector) and
ranks them among themselves, so a common word costs the same in a million posts as in a
thousand.
"""

from __future__ import annotations

from typing import Any

from liveblog_cli.archive.database import Database
from liveblog_cli.archive.query import checked

RECENT = 2000  # search ranks the best matches among this many most recent ones


class Searching(Database):
    """Search over the archive's posts."""

    def search(
        self, query: str, *, blog_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Posts matching `query` (a SearchSyntaxError says why a query cannot be read),
        best first: blog_id, id, title, published_at, key_event, deleted_at, and a snippet
        whose matched words are marked with \\x02 and \\x03."""
        parts = checked(query)
        with self._lock:
            try:
                hits = self.engine.search(query, parts, blog_id, limit, RECENT)
            except self.engine.errors as exc:
                raise self.engine.error(exc) from None
        return [{**hit, "key_event": bool(hit["key_event"])} for hit in hits]


__all__ = ["RECENT", "Searching"]
