"""Counts as people read them: "1 post", "2 posts", "1 key event"."""

from __future__ import annotations

from typing import Any


def counted(n: int | None, things: str) -> str:
    """`n` and the plural noun `things`, made singular for one ("1 capture")."""
    if n == 1 and things.endswith("s"):
        things = things[:-1]
    return f"{n} {things}"


def gap_note(blog: dict[str, Any]) -> str | None:
    """What a blog's archive lacks, for people (list, show, every export), or None."""
    gap, accepted = blog.get("gap"), blog.get("gap_accepted_at")
    if accepted:
        return f"incomplete: {gap} (gap accepted {str(accepted)[:10]})"
    if gap or blog.get("walk_next"):
        what = gap or "the walk has not yet reached its oldest page"
        return (
            f"incomplete: {what}; the walk resumes next run "
            "(`liveblog fetch --accept-gap URL` stops trying)"
        )
    return None


__all__ = ["counted", "gap_note"]
