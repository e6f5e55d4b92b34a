"""Counts as people read them: "1 post", "2 posts", "1 key event"."""

from __future__ import annotations


def counted(n: int | None, things: str) -> str:
    """`n` and the plural noun `things`, made singular for one ("1 capture")."""
    if n == 1 and things.endswith("s"):
        things = things[:-1]
    return f"{n} {things}"


__all__ = ["counted"]
