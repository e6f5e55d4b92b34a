"""Writing machine output: JSON and JSON Lines that are safe on any terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# json.dumps escapes C0 controls but, with ensure_ascii=False, leaves DEL, C1 controls and the
# Unicode line separators raw: escape them too, so output pasted or printed stays inert.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def dumps(value: Any, *, indent: int | None = None) -> str:
    text = json.dumps(
        value, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")
    )
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_json(value: Any, out: IO[str]) -> None:
    out.write(dumps(value, indent=2))
    out.write("\n")
    out.flush()


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object a line, streamed; returns how many were written."""
    count = 0
    for row in rows:
        out.write(dumps(row))
        out.write("\n")
        count += 1
    out.flush()
    return count


def console(*, stderr: bool = False) -> Console:
    """A Rich console that never interprets markup or emoji codes in what it is given."""
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False, highlight=False)
