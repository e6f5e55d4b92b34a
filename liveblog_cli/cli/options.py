"""The options commands share, declared once: --db, times and zones, and the output shapes
(--json, --nl, --csv) that one decorator gives a command, as sqlite-utils' output options do.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Annotated, Any

import typer

from liveblog_cli.cli.common import chosen_shape

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH|URL",
        help="The archive: a file, or a postgresql:// URL (default: env LIVEBLOG_DB, else a "
        "file in your user data directory).",
        show_default=False,
    ),
]
TzOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="Show times in this zone: an IANA name (Europe/London) or an offset (+05:30); "
        "default: your local zone.",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(help="Only posts at or after this time (ISO date/time, or 90m, 6h, 2d ago)."),
]
UntilOption = Annotated[str | None, typer.Option(help="Only posts at or before this time.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The blog as it stood at this time: posts then existing, in their revision then "
        "(ISO date/time, or 90m, 6h, 2d ago).",
    ),
]
KeyEventsOption = Annotated[bool, typer.Option("--key-events", help="Only key events.")]
LimitOption = Annotated[int | None, typer.Option(min=1, help="At most this many posts.")]
NoPagerOption = Annotated[
    bool,
    typer.Option(
        "--no-pager", help="Never page long output (default on a terminal: LIVEBLOG_PAGER, PAGER)."
    ),
]
OldestFirstOption = Annotated[bool, typer.Option("--oldest-first", help="Oldest post first.")]


def finite(value: float | None) -> float | None:
    """A number option must be a number: `inf` and `nan` are refused (exit 2)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number of seconds")
    return value


# --- output shapes ------------------------------------------------------------------------------

_SHAPE_OPTIONS = (
    ("as_json", Annotated[bool, typer.Option("--json", help="A JSON array on stdout.")]),
    (
        "as_nl",
        Annotated[bool, typer.Option("--nl", help="One JSON object a line (for jq, streams).")],
    ),
    ("as_csv", Annotated[bool, typer.Option("--csv", help="CSV with a header row.")]),
)


def output_shapes(command: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose rows go out as --json, --nl or --csv (at most one): its `shape`
    parameter becomes the three flags, and it is handed "json", "nl", "csv" or None."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    keyword = inspect.Parameter.KEYWORD_ONLY  # click hands every value over by name
    for name, parameter in signature.parameters.items():
        if name != "shape":
            parameters.append(parameter.replace(kind=keyword))
            continue
        parameters += [
            inspect.Parameter(flag, keyword, default=False, annotation=kind)
            for flag, kind in _SHAPE_OPTIONS
        ]

    @functools.wraps(command)
    def run(*, as_json: bool = False, as_nl: bool = False, as_csv: bool = False, **kw: Any) -> Any:
        flags = [f for f, on in (("--json", as_json), ("--nl", as_nl), ("--csv", as_csv)) if on]
        return command(shape=chosen_shape(*flags), **kw)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return run


__all__ = [
    "AsOfOption",
    "DbOption",
    "KeyEventsOption",
    "LimitOption",
    "NoPagerOption",
    "OldestFirstOption",
    "SinceOption",
    "TzOption",
    "UntilOption",
    "finite",
    "output_shapes",
]
