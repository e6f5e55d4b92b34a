"""The fetch and follow commands: options, progress, summaries, follow output."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liveblog_cli.bounds import IDLE_PAGES, MAX_BYTES, MAX_PAGES, WALK_BUDGET
from liveblog_cli.cli.common import open_archive
from liveblog_cli.cli.options import DbOption, finite
from liveblog_cli.errors import UsageError
from liveblog_cli.urls import Address

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from liveblog_cli.parse import Reach
    from liveblog_cli.sync import BlogResult, Sync
from liveblog_cli.words import counted


def _fetch_options(
    urls: list[str],
    *,
    db: Path | None,
    as_json: bool,
    quiet: bool,
    max_pages: int,
    idle_pages: int,
    walk_budget: float,
    max_bytes: int,
    user_agent: str | None,
    retries: int,
    timeout: float,
    delay: float,
    wait: float,
    log_file: Path | None,
    follow_mode: bool,
    interval: float,
    max_duration: float | None,
    guardian_api_key: str | None,
    verbose: bool = False,
) -> None:
    import logging

    from liveblog_cli import fetch as fetching
    from liveblog_cli.sync import Limits, Sync
    from liveblog_cli.untrusted import one_line
    from liveblog_cli.urls import check_url

    addresses = [Address.of(url) for url in urls]  # split once: what is sent, what is shown
    for url, address in zip(urls, addresses, strict=True):
        problem = check_url(url)
        if problem:
            raise UsageError(f"URL {address.shown!r}: {problem}")
    if follow_mode and len(urls) != 1:
        raise UsageError("--follow takes exactly one URL")
    settings = fetching.Settings(
        user_agent=user_agent or fetching.DEFAULT_USER_AGENT,
        read_timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        deadline=max(timeout * 3, timeout),
        max_bytes=max_bytes,
        tries=retries + 1,
        host_delay=delay,
    )
    log = logging.getLogger("liveblog")
    log.addHandler(logging.NullHandler())  # messages reach stderr by our own hand, once
    log.propagate = False
    if log_file is not None:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--log-file {log_file}: {exc.strerror or exc}") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    stop = threading.Event()
    with (
        _stopped_by_signals(stop) as signalled,
        open_archive(db, create=True) as archive,
        archive.engine.blog_locks([_lock_key(a) for a in addresses], wait=wait),
        fetching.Fetcher(settings, stop=stop) as fetcher,
    ):
        limits = Limits(max_pages=max_pages, idle_pages=idle_pages, budget=walk_budget)
        sync = Sync(archive, fetcher, reach=_reach(guardian_api_key), limits=limits)
        if follow_mode:
            code = _follow(addresses[0], sync, interval, max_duration, quiet, verbose, log, stop)
            raise typer.Exit(code)

        def done(result: BlogResult) -> None:
            """One line per blog as it finishes (page-derived text made plain)."""
            line = one_line(result.summary())
            (log.error if result.error else log.info)(line)
            if result.error:
                sys.stderr.write(f"liveblog: error: {one_line(result.error_line())}\n")
            elif not quiet and not as_json:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()

        results = _fetch_with_progress(addresses, sync, quiet, done)
    code = max((r.exit_code for r in results), default=0)
    if signalled:
        code = 128 + signalled[0]
    if as_json:
        from liveblog_cli import output

        output.write_json([r.to_dict() for r in results], sys.stdout)
    raise typer.Exit(code)


def _lock_key(address: Address) -> str:
    """What one fetch locks: the blog's URL as it is stored (no credentials, host in lower
    case, no fragment), so the same blog named twice is one lock."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(address.shown)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


@contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[list[int]]:
    """SIGTERM and SIGINT set `stop`: whatever is waiting (a request, a retry's pause)
    gives up within a second, what was saved stays saved. Yields the signals received."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _reach(guardian_api_key: str | None) -> Reach:
    """Where publishers live: LIVEBLOG_GUARDIAN_HOSTS adds Guardian hosts (mirrors, tests);
    LIVEBLOG_GUARDIAN_API points the Guardian's Content API elsewhere (a mirror, a test)."""
    import os

    from liveblog_cli.parse import Reach

    extra = os.environ.get("LIVEBLOG_GUARDIAN_HOSTS", "")
    hosts = Reach().guardian_hosts + tuple(h.strip() for h in extra.split(",") if h.strip())
    api = os.environ.get("LIVEBLOG_GUARDIAN_API", "").strip().rstrip("/") or Reach().guardian_api
    return Reach(guardian_hosts=hosts, guardian_api_key=guardian_api_key or None, guardian_api=api)


def _fetch_with_progress(
    urls: list[Address], sync: Sync, quiet: bool, done: Callable[[BlogResult], None]
) -> list[BlogResult]:
    if quiet or not sys.stderr.isatty():
        return sync.many(urls, on_done=done)
    from liveblog_cli.output import console
    from liveblog_cli.untrusted import one_line

    err = console(stderr=True)
    with err.status("fetching…") as status:

        def on_page(url: str, page: int) -> None:
            status.update(one_line(f"fetching {url} (page {page})"))

        def finished(result: BlogResult) -> None:
            status.stop()
            done(result)
            status.start()

        sync.on_page = on_page
        return sync.many(urls, on_done=finished)


def _follow(
    url: Address,
    sync: Sync,
    interval: float,
    max_duration: float | None,
    quiet: bool,
    verbose: bool,
    log: logging.Logger,
    stop: threading.Event,
) -> int:
    from liveblog_cli import output
    from liveblog_cli.follow import follow
    from liveblog_cli.times import local_zone
    from liveblog_cli.untrusted import one_line

    terminal = sys.stdout.isatty()
    view = output.console() if terminal else None

    def emit(row: dict[str, Any]) -> None:
        if view is not None:
            from liveblog_cli.render import timeline

            timeline(
                {"id": row["blog_id"]},
                [row],
                view,
                zone=local_zone(),
                key_panel=False,
                header=False,
            )
        else:
            sys.stdout.write(output.dumps(row) + "\n")
            sys.stdout.flush()

    def report(result: BlogResult) -> None:
        line = one_line(result.summary())
        (log.error if result.error else log.info)(line)
        if result.error:
            sys.stderr.write(f"liveblog: error: {one_line(result.error_line())}\n")
        elif verbose or (not quiet and result.report is not None and result.report.changed):
            # A quiet poll (nothing new, not modified) says nothing unless asked (-v).
            sys.stderr.write(line + "\n")

    outcome = follow(
        url,
        sync,
        interval=interval,
        max_duration=max_duration,
        emit=emit,
        report=report,
        stop=stop,
    )
    if not quiet:
        sys.stderr.write(
            f"liveblog: stopped following ({outcome.reason}) after "
            f"{counted(outcome.polls, 'polls')}, {counted(outcome.emitted, 'blocks')} shown\n"
        )
    return outcome.exit_code


UrlsArgument = Annotated[
    list[str], typer.Argument(metavar="URL", help="Live-blog URLs.", show_default=False)
]
JsonSummary = Annotated[
    bool, typer.Option("--json", help="Print the per-blog summary as JSON on stdout.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (cron).")]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="--follow: a line for every poll, quiet ones too.")
]
MaxPages = Annotated[
    int,
    typer.Option(
        min=1, help="Read at most this many pages of a blog per run (the walk resumes next run)."
    ),
]
IdlePages = Annotated[
    int,
    typer.Option(min=1, help="Stop a walk after this many pages in a row with nothing new."),
]
WalkBudget = Annotated[
    float,
    typer.Option(
        min=1,
        max=86400,
        callback=finite,
        help="Stop a blog's walk after this many seconds (it resumes next run).",
    ),
]
MaxBytes = Annotated[
    int, typer.Option(min=1024, help="Refuse a page larger than this (after decompression).")
]
UserAgent = Annotated[
    str | None,
    typer.Option(envvar="LIVEBLOG_USER_AGENT", help="User-Agent header (env LIVEBLOG_USER_AGENT)."),
]
Retries = Annotated[int, typer.Option(min=0, max=10, help="Retries after a failed request.")]
Timeout = Annotated[
    float,
    typer.Option(
        min=0.1,
        max=3600,
        callback=finite,
        help="Seconds to wait for the server to answer (the whole request may take 3x).",
    ),
]
Delay = Annotated[
    float,
    typer.Option(
        min=0, max=3600, callback=finite, help="Seconds between two requests to one host."
    ),
]
Wait = Annotated[
    float,
    typer.Option(
        min=0,
        max=86400,
        callback=finite,
        help="If another fetch holds this blog's lock, wait up to this long (default: exit 75 "
        "at once).",
    ),
]
LogFile = Annotated[Path | None, typer.Option(help="Also append a log line per fetch here.")]
Interval = Annotated[
    float,
    typer.Option(
        min=0,
        max=86400,
        callback=finite,
        help="--follow: seconds between polls (jittered, never below 15).",
    ),
]
MaxDuration = Annotated[
    float | None,
    typer.Option(min=0, callback=finite, help="--follow: stop after this many seconds."),
]
GuardianApiKey = Annotated[
    str | None,
    typer.Option(
        envvar="GUARDIAN_API_KEY",
        help="Read Guardian blogs through its Content API with this key (env GUARDIAN_API_KEY).",
        show_default=False,
    ),
]


def fetch(
    urls: UrlsArgument,
    db: DbOption = None,
    as_json: JsonSummary = False,
    quiet: Quiet = False,
    max_pages: MaxPages = MAX_PAGES,
    idle_pages: IdlePages = IDLE_PAGES,
    walk_budget: WalkBudget = WALK_BUDGET,
    max_bytes: MaxBytes = MAX_BYTES,
    user_agent: UserAgent = None,
    retries: Retries = 3,
    timeout: Timeout = 30.0,
    delay: Delay = 1.0,
    wait: Wait = 0.0,
    log_file: LogFile = None,
    follow_mode: Annotated[
        bool,
        typer.Option(
            "--follow", help="Keep polling until the blog closes, printing new and edited posts."
        ),
    ] = False,
    interval: Interval = 60.0,
    max_duration: MaxDuration = None,
    guardian_api_key: GuardianApiKey = None,
    verbose: Verbose = False,
) -> None:
    """Fetch live blogs (every page the first time, only what changed later) into the archive."""
    _fetch_options(**locals())


def follow_command(
    url: Annotated[str, typer.Argument(metavar="URL", help="A live-blog URL.")],
    db: DbOption = None,
    quiet: Quiet = False,
    max_pages: MaxPages = MAX_PAGES,
    idle_pages: IdlePages = IDLE_PAGES,
    walk_budget: WalkBudget = WALK_BUDGET,
    max_bytes: MaxBytes = MAX_BYTES,
    user_agent: UserAgent = None,
    retries: Retries = 3,
    timeout: Timeout = 30.0,
    delay: Delay = 1.0,
    wait: Wait = 0.0,
    log_file: LogFile = None,
    interval: Interval = 60.0,
    max_duration: MaxDuration = None,
    guardian_api_key: GuardianApiKey = None,
    verbose: Verbose = False,
) -> None:
    """Same as `fetch --follow URL`: poll until the blog closes, printing each new post."""
    options = {k: v for k, v in locals().items() if k != "url"}
    _fetch_options([url], as_json=False, follow_mode=True, **options)
