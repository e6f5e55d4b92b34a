"""Times for people: one format everywhere (`2026-06-13 12:02 BST`), each instant converted
with its zone's rules for that instant (summer time included), in the zone asked for.

Machine output keeps ISO 8601 in UTC with `Z`; only views for people go through here.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from liveblog_cli.model import parse_iso

_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?")


def parse_zone(name: str) -> tzinfo:
    """An IANA zone name (`Europe/London`), `UTC`, or an offset (`+05:30`, `-0800`).

    Raises ValueError with a plain reason for anything else.
    """
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    m = _OFFSET.fullmatch(text)
    if m:
        hours, minutes = int(m[2]), int(m[3] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"not an offset: {name!r}")
        sign = 1 if m[1] == "+" else -1
        delta = timedelta(hours=hours, minutes=minutes) * sign
        return timezone(delta, f"{m[1]}{hours:02d}:{minutes:02d}")
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (try Europe/London, UTC, +05:30)") from None


@functools.cache
def local_zone() -> tzinfo:
    """This machine's zone, with its rules (not today's offset): TZ if it names a zone, else
    the zone /etc/localtime links to, else the current offset as a last resort."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            return parse_zone(tz)
        except ValueError:
            pass
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        try:
            return parse_zone(target.split("zoneinfo/", 1)[1])
        except ValueError:
            pass
    return datetime.now().astimezone().tzinfo or UTC


def human(
    value: datetime | str | None,
    zone: tzinfo | None = None,
    *,
    empty: str = "—",
    seconds: bool = False,
) -> str:
    """`2026-06-13 12:02 BST`: an instant in `zone` (default UTC) for people; with
    `seconds`, `12:02:07` (where two moments of one minute must be told apart)."""
    moment = parse_iso(value) if isinstance(value, str) else value
    if moment is None:
        return empty
    local = moment.astimezone(zone or UTC)
    name = local.strftime("%Z") or "UTC"
    if re.fullmatch(r"[+-]\d{4}", name):  # a zone with no abbreviation: show its offset
        name = f"{name[:3]}:{name[3:]}"
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{local.year:04d}-{local:%m-%d} {clock} {name}"


__all__ = ["human", "local_zone", "parse_zone"]
