"""The commands that fetch: fetch (once, from cron or a shell), follow (until the blogs
close, printing what changed) and worker (the archive's schedule, shared with other
workers): their options, progress, summaries and output."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liveblog_cli.bounds import IDLE_PAGES, MAX_BYTES, MAX_PAGES, WALK_BUDGET
from liveblog_cli.cli.common import open_archive
from liveblog_cli.cli.options import DbOption, finite
from liveblog_cli.errors import EXIT_TEMPFAIL, LockHeld, UsageError
from liveblog_cli.urls import Address

if TYPE_CHECKING:
    import logging

    from liveblog_cli.archive import Archive
    from liveblog_cli.discover import FeedResult
    from liveblog_cli.parse import Reach
    from liveblog_cli.sync import BlogResult, Sync
from liveblog_cli.words import counted


@dataclass
class _Setup:
    """What fetch, follow and worker run with: the archive, the conductor, the stop."""

    archive: Archive
    sync: Sync
    log: logging.Logger
    stop: threading.Event
    signalled: list[int]
    wait: float  # how long a held blog's lock is waited for


def _check_urls(urls: list[str]) -> list[Address]:
    """Each URL split once at the door (what is sent, what is shown), or a usage error."""
    from liveblog_cli.urls import check_url

    addresses = [Address.of(url) for url in urls]
    for url, address in zip(urls, addresses, strict=True):
        problem = check_url(url)
        if problem:
            raise UsageError(f"URL {address.shown!r}: {problem}")
    return addresses


def _logger(log_file: Path | None) -> logging.Logger:
    import logging

    log = logging.getLogger("liveblog")
    log.addHandler(logging.NullHandler())  # messages reach stderr by our own hand, once
    log.propagate = False
    if log_file is not None:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--log-file {log_file}: {exc.strerror or exc}") from None
        # Times in UTC, with their zone; the level says it is an error, once.
        formatter = logging.Formatter(
            "%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ"
        )
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return log


@contextmanager
def _prepared(
    *,
    db: str | None,
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
    guardian_api_key: str | None,
    capture_page: bool = False,
    shared_gaps: bool = False,
    blog_locks: bool = True,
) -> Iterator[_Setup]:
    """The archive opened, one HTTP client, the conductor, and SIGTERM/SIGINT watched.
    With `blog_locks`, each blog is fetched under its lock (another process fetching it:
    LockHeld, exit 75, after `wait` seconds); with `shared_gaps` the gap between two
    requests to a host is kept through the archive, across processes and machines."""
    from liveblog_cli import fetch as fetching
    from liveblog_cli.sync import Limits, Sync
    from liveblog_cli.urls import lock_key

    settings = fetching.Settings(
        user_agent=user_agent or fetching.DEFAULT_USER_AGENT,
        read_timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        deadline=max(timeout * 3, timeout),
        max_bytes=max_bytes,
        tries=retries + 1,
        host_delay=delay,
    )
    log = _logger(log_file)
    stop = threading.Event()
    with (
        _stopped_by_signals(stop) as signalled,
        open_archive(db, create=True) as archive,
        fetching.Fetcher(
            settings, stop=stop, reserve=archive.reserve_host if shared_gaps else None
        ) as fetcher,
    ):

        def lock(address: Address) -> AbstractContextManager[None]:
            return archive.engine.blog_locks([lock_key(address)], wait=wait)

        limits = Limits(max_pages=max_pages, idle_pages=idle_pages, budget=walk_budget)
        reach = _reach(guardian_api_key)
        sync = Sync(
            archive,
            fetcher,
            reach=reach,
            limits=limits,
            lock=lock if blog_locks else None,
            capture_page=capture_page,
        )
        yield _Setup(archive, sync, log, stop, signalled, wait)


def _reporter(
    log: logging.Logger, quiet: bool, say: Callable[[str], None] | None = None
) -> Callable[[BlogResult | FeedResult], None]:
    """One line per blog as it finishes (page-derived text made plain): errors always, the
    rest unless quiet; each also to the log file."""
    from liveblog_cli.untrusted import one_line

    def write(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    said = say or write

    def done(result: BlogResult | FeedResult) -> None:
        line = one_line(result.summary())
        if result.error:
            log.error(one_line(result.error_line()))
        else:
            log.info(line)
        if result.error:
            said(f"liveblog: error: {one_line(result.error_line())}")
        elif not quiet:
            said(line)

    return done


def _fetch(
    urls: list[str],
    *,
    as_json: bool,
    quiet: bool,
    feeds: list[str] | None = None,
    match: str | None = None,
    **options: Any,
) -> None:
    addresses = _check_urls(urls)
    feed_addresses = _check_urls(feeds or [])
    feed_codes: list[int] = []
    with _prepared(**options) as run:
        if feed_addresses:
            found, feed_codes = _discovered(run, feed_addresses, match, quiet or as_json)
            addresses += found
        results = _fetch_with_progress(addresses, run, quiet=quiet or as_json)
    code = max([r.exit_code for r in results] + feed_codes, default=0)
    if run.signalled:
        code = 128 + run.signalled[0]
    if as_json:
        from liveblog_cli import output

        output.write_json([r.to_dict() for r in results], sys.stdout)
    raise typer.Exit(code)


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


def _live_urls(db: str | None, given: set[str]) -> list[str]:
    """The addresses of the archive's blogs that were live when last read, less those
    already given."""
    with open_archive(db) as archive:
        return [url for url in archive.live_urls() if url not in given]


def _accept_gaps(urls: list[str], db: str | None) -> None:
    """Each blog's gap accepted before it is fetched (its walk no longer resumes)."""
    from liveblog_cli.output import say
    from liveblog_cli.parse import plan

    addresses = _check_urls(urls)
    reach = _reach(None)
    with open_archive(db) as archive:
        for address in addresses:
            asked = (address.shown, *plan(address.sent, reach).addresses)
            found = (archive.blog_for_url(Address.of(a).shown) for a in asked)
            blog_id = next((b for b in found if b), None) or archive.resolve(address.shown)
            gap = archive.accept_gap(blog_id)
            say(f"{blog_id}: " + (f"gap accepted: {gap}" if gap else "nothing missing"))


def _discovered(
    run: _Setup, feeds: list[Address], match: str | None, quiet: bool
) -> tuple[list[Address], list[int]]:
    """The live blogs these feeds link to that the archive has not judged yet (one read
    each: articles are remembered, blogs returned to be fetched, nothing scheduled)."""
    import re

    from liveblog_cli import discover

    if match is not None:
        try:
            re.compile(match)
        except re.error as exc:
            raise UsageError(f"--match {match!r}: not a pattern ({exc})") from None
    said = _reporter(run.log, quiet)
    found: list[Address] = []
    codes = []
    for feed in feeds:
        read = discover.read(run.archive, run.sync, feed.shown, match=match, schedule=False)
        said(read)
        codes.append(read.exit_code)
        found += [Address.of(url) for url in read.new_blogs]
    return found, codes


def _fetch_with_progress(addresses: list[Address], run: _Setup, quiet: bool) -> list[BlogResult]:
    """Every blog fetched; on a terminal, a progress line, with each blog's line printed
    above it by the same console (a raw write would be erased by the progress line, which
    redraws over as many rows as it wraps to)."""
    if quiet or not sys.stderr.isatty():
        return run.sync.many(addresses, on_done=_reporter(run.log, quiet))
    from rich.text import Text

    from liveblog_cli.output import console
    from liveblog_cli.untrusted import one_line

    err = console(stderr=True)
    with err.status("fetching…") as status:

        def on_page(url: str, page: int) -> None:
            status.update(one_line(f"fetching {url} (page {page})"))

        run.sync.on_page = on_page
        # soft_wrap: the terminal wraps a long line, not Rich with newlines of its own, so a
        # summary copied from the screen (or tmux's joined history) is one line, URL whole.
        done = _reporter(run.log, quiet, say=lambda line: err.print(Text(line), soft_wrap=True))
        return run.sync.many(addresses, on_done=done)


def _said_held(exc: LockHeld) -> None:
    from liveblog_cli.output import say

    say(f"liveblog: error: {exc}")


def _follow(
    urls: list[str],
    *,
    quiet: bool,
    verbose: bool,
    interval: float,
    max_duration: float | None,
    **options: Any,
) -> None:
    from liveblog_cli import output
    from liveblog_cli.follow import follow
    from liveblog_cli.times import local_zone
    from liveblog_cli.untrusted import one_line

    addresses = _check_urls(urls)
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

    from liveblog_cli.urls import lock_key

    # A follow holds its blogs for as long as it follows them: a cron fetch of one of them
    # meanwhile says it is held (exit 75) and fetches the others.
    with _prepared(**options, blog_locks=False) as run, ExitStack() as held:
        log, said = run.log, _reporter(run.log, quiet)
        followed = []
        for address in addresses:
            try:
                held.enter_context(
                    run.archive.engine.blog_locks([lock_key(address)], wait=run.wait)
                )
            except LockHeld as exc:
                _said_held(exc)
                continue
            followed.append(address)
        if not followed:
            raise typer.Exit(EXIT_TEMPFAIL)

        def report(result: BlogResult) -> None:
            if result.error:
                said(result)
            elif verbose or (not quiet and result.report is not None and result.report.changed):
                said(result)  # a quiet poll (nothing new, not modified) says nothing unless -v
            else:
                log.info(one_line(result.summary()))

        outcome = follow(
            followed,
            run.sync,
            interval=interval,
            max_duration=max_duration,
            emit=emit,
            report=report,
            stop=run.stop,
        )
    if not quiet:
        sys.stderr.write(
            f"liveblog: stopped following ({outcome.reason}) after "
            f"{counted(outcome.polls, 'polls')}, {counted(outcome.emitted, 'blocks')} shown\n"
        )
    raise typer.Exit(outcome.exit_code)


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
CapturePage = Annotated[
    bool,
    typer.Option(
        "--capture-page",
        envvar="LIVEBLOG_CAPTURE_PAGE",
        help="Also keep the page people read where a blog is read from another address (the "
        "Guardian's HTML page behind its JSON), so WARC/WACZ exports replay it: one more "
        "request for each page that changed (env LIVEBLOG_CAPTURE_PAGE=1).",
    ),
]


def fetch(
    urls: Annotated[
        list[str] | None,
        typer.Argument(metavar="URL...", help="Live-blog URLs.", show_default=False),
    ] = None,
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
    capture_page: CapturePage = False,
    verbose: Verbose = False,
    discover: Annotated[
        list[str] | None,
        typer.Option(
            "--discover",
            metavar="FEED_URL",
            help="Also the live blogs this feed, sitemap or section page links to that the "
            "archive has not judged yet (one pass; `schedule add --discover` for a schedule).",
        ),
    ] = None,
    match: Annotated[
        str | None,
        typer.Option("--match", metavar="REGEX", help="--discover: only links it finds in."),
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Also every blog in the archive that was live when last read (a cron line "
            "that re-polls whatever is still running).",
        ),
    ] = False,
    accept_gap: Annotated[
        bool,
        typer.Option(
            "--accept-gap",
            help="Accept what these blogs' archives lack (pages that could not be read): "
            "their walks stop resuming, the gap stays marked as accepted.",
        ),
    ] = False,
) -> None:
    """Fetch live blogs (every page the first time, only what changed later) into the archive.

    \b
    Examples:
      liveblog fetch https://www.theguardian.com/world/live/2024/...
      liveblog fetch --quiet --log-file ~/liveblog.log URL1 URL2   # from cron
      liveblog fetch --discover https://www.theguardian.com/world/rss
      liveblog fetch --live --quiet   # every blog still live, from cron
    """
    options = locals()
    urls, feeds = options.pop("urls") or [], options.pop("discover") or []
    pattern = options.pop("match")
    if options.pop("accept_gap"):
        _accept_gaps(urls, options["db"])
    if options.pop("live"):
        running = _live_urls(options["db"], set(urls))
        if not running and not urls and not feeds:
            from liveblog_cli.output import say

            if not quiet:
                say("no blog in the archive is live: nothing to fetch")
            return
        urls = [*urls, *running]
    if not urls and not feeds:
        raise UsageError("give a URL to fetch (or --live, or --discover FEED_URL)")
    if options.pop("follow_mode"):
        if feeds:
            raise UsageError("--follow takes URLs, not --discover (schedule a feed instead)")
        options.pop("as_json")
        _follow(urls, **options)
    for name in ("interval", "max_duration", "verbose"):
        options.pop(name)
    _fetch(urls, feeds=feeds, match=pattern, **options)


def follow_command(
    urls: Annotated[
        list[str], typer.Argument(metavar="URL", help="Live-blog URLs.", show_default=False)
    ],
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
    capture_page: CapturePage = False,
    verbose: Verbose = False,
) -> None:
    """Poll blogs until they close, printing each new, edited, restored or deleted post.

    \b
    Examples:
      liveblog follow URL
      liveblog follow URL1 URL2 | jq -r --unbuffered '.change + " " + (.title // "")'
    """
    options = locals()
    _follow(options.pop("urls"), **options)


Concurrency = Annotated[
    int, typer.Option(min=1, max=64, help="Blogs polled at once by this worker.")
]
Lease = Annotated[
    float,
    typer.Option(
        min=5,
        max=86400,
        callback=finite,
        help="Seconds a claimed blog is this worker's (extended while it works; a worker "
        "that dies has its blogs taken over when its lease runs out).",
    ),
]


def worker(
    db: DbOption = None,
    concurrency: Concurrency = 4,
    delay: Delay = 1.0,
    lease: Lease = 300.0,
    max_duration: Annotated[
        float | None, typer.Option(min=0, callback=finite, help="Stop after this many seconds.")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One pass over what is due, then exit (for cron).")
    ] = False,
    quiet: Quiet = False,
    max_pages: MaxPages = MAX_PAGES,
    idle_pages: IdlePages = IDLE_PAGES,
    walk_budget: WalkBudget = WALK_BUDGET,
    max_bytes: MaxBytes = MAX_BYTES,
    user_agent: UserAgent = None,
    retries: Retries = 3,
    timeout: Timeout = 30.0,
    log_file: LogFile = None,
    guardian_api_key: GuardianApiKey = None,
    capture_page: CapturePage = False,
) -> None:
    """Poll the archive's schedule (`liveblog schedule add`): claim what is due, fetch it,
    set when it is next due. Run several, on one machine or many (PostgreSQL), as they
    share the schedule and keep --delay between two requests to one host among them all."""
    from liveblog_cli.schedule import ArchiveSchedule, poller, run

    with _prepared(
        db=db,
        max_pages=max_pages,
        idle_pages=idle_pages,
        walk_budget=walk_budget,
        max_bytes=max_bytes,
        user_agent=user_agent,
        retries=retries,
        timeout=timeout,
        delay=delay,
        wait=0.0,
        log_file=log_file,
        guardian_api_key=guardian_api_key,
        capture_page=capture_page,
        shared_gaps=True,
    ) as setup:
        said = _reporter(setup.log, quiet)
        outcome = run(
            ArchiveSchedule(setup.archive, lease=lease),
            poller(setup.sync),
            concurrency=concurrency,
            once=once,
            max_duration=max_duration,
            stop=setup.stop,
            on_poll=lambda poll: said(poll.result),
            heartbeat=max(1.0, lease / 3),
        )
    if not quiet:
        sys.stderr.write(
            f"liveblog: worker stopped ({outcome.reason}) after {counted(outcome.polls, 'polls')}"
            f", {outcome.failed} failed\n"
        )
    if setup.signalled:
        raise typer.Exit(128 + setup.signalled[0])
    raise typer.Exit(outcome.exit_code)
