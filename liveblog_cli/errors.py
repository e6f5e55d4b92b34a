"""Every error liveblog raises, and the exit codes the CLI maps them to (README, Exit codes).

One hierarchy, so a caller catches as much or as little as it means to:

    LiveblogError                 a one-line message and an exit code (the CLI prints both)
    ├── UsageError                2   a command given something it cannot use (--tz, a flag)
    │   ├── SearchSyntaxError     2   a search query that does not say what to find
    │   └── AmbiguousBlog         2   a BLOG word or prefix that names several blogs
    ├── ParseError                65  the input is not a live blog we can read
    │   ├── NotAWebArchive        65  a file given to `import` holds no WARC records
    │   └── EmbeddedPlatform      65  a page showing a live-blog platform's embed, no posts
    ├── NotFound                  66  nothing to read where the user pointed
    │   ├── NoArchive             66  no archive at the path (reads never create one)
    │   └── BlogNotFound          66  no archived blog (or block) matches
    ├── Unavailable               69  something we rely on failed (a site, a port)
    │   └── FetchError            69  a site failed: HTTP error, too large, too slow
    │       ├── WalkFailed        69  a page after the first failed (what was read is kept)
    │       └── RateLimited       75  the site kept answering 429
    ├── ArchiveError              74  the archive cannot be opened, read or written
    │   └── ArchiveBusy           75  another process held the archive too long
    ├── OutputError               74  a file the command writes (--output) cannot be written
    ├── LockError                 74  a lock file cannot be made
    ├── LockHeld                  75  another liveblog fetches this blog now
    ├── DatabaseUnavailable       75  a PostgreSQL archive's server cannot be reached
    ├── DatabaseRefused           77  it refused the credentials given
    ├── MissingExtra              78  a feature needs an optional extra not installed
    └── Stopped                   143 a stop was asked for (SIGTERM, SIGINT)

    OutputFailed                  writing stdout failed (an OSError carried past click)

Internal signals that never leave the module that raises them (a retry, a deadline, a
malformed scraped copy, a damaged web archive) live here too, under `Internal`: no
exception class is defined anywhere else.
"""

from __future__ import annotations

from typing import Any

# sysexits.h values, so cron and shell scripts can tell failures apart.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DATAERR = 65  # the input is not a live blog, or is empty, binary, truncated
EXIT_NOINPUT = 66  # an input file does not exist or cannot be read
EXIT_UNAVAILABLE = 69  # HTTP error after retries, page too large or too slow
EXIT_SOFTWARE = 70  # an internal error: a bug
EXIT_IOERR = 74  # archive error, or output that cannot be written
EXIT_TEMPFAIL = 75  # lock held, rate limited, database unreachable: try again later
EXIT_NOPERM = 77  # the database refused the credentials given
EXIT_CONFIG = 78  # an optional extra is not installed, or the settings file is wrong
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_STOPPED = 143  # stopped by SIGTERM


class LiveblogError(Exception):
    """Base class: every error the CLI turns into a one-line message and an exit code."""

    exit_code = 1


# --- 2: usage ---------------------------------------------------------------------------------


class UsageError(LiveblogError):
    """A value the command cannot use (a time zone, a flag's value); said in one line."""

    exit_code = EXIT_USAGE


class SearchSyntaxError(UsageError):
    """A query that does not say what to find; the message says how to mend it."""


class AmbiguousBlog(UsageError):
    """A BLOG word or prefix that names more than one archived blog."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        shown = ", ".join(candidates[:10]) + (" …" if len(candidates) > 10 else "")
        super().__init__(f"{ref!r} matches {len(candidates)} blogs: {shown}")
        self.candidates = candidates


# --- 65: data ---------------------------------------------------------------------------------


class ParseError(LiveblogError):
    """The input is not a live blog we can read; the message is one line saying why."""

    exit_code = EXIT_DATAERR


class NotAWebArchive(ParseError):
    """A file given to `import` that holds no WARC records at all."""


class EmbeddedPlatform(ParseError):
    """A page with no posts of its own that embeds a third-party live-blog platform's
    (Tickaroo, ScribbleLive ...): the message names the platform and, when the page says,
    its ticker's id."""

    def __init__(self, message: str, *, platform: str, ticker: str | None = None) -> None:
        super().__init__(message)
        self.platform = platform
        self.ticker = ticker


# --- 66: nothing there ------------------------------------------------------------------------


class NotFound(LiveblogError):
    """What the user pointed at is not there."""

    exit_code = EXIT_NOINPUT


class NoArchive(NotFound):
    """A command that only reads was pointed at an archive that does not exist."""


class BlogNotFound(NotFound):
    """No archived blog (or block of a blog) matches what was asked for."""


# --- 69 and 75: the site ----------------------------------------------------------------------


class Unavailable(LiveblogError):
    """Something liveblog relies on failed: a site, a port to listen on."""

    exit_code = EXIT_UNAVAILABLE


class FetchError(Unavailable):
    """The page could not be had: HTTP error after retries, too large, too slow."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        exchanges: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status  # the last HTTP status, when there was an answer at all
        self.exchanges = exchanges or []  # the answers there were (Exchange), kept like any other


class WalkFailed(FetchError):
    """A page after the first could not be read: what was read is kept, the walk resumes."""


class RateLimited(FetchError):
    """The site kept answering 429 after every retry: try again later."""

    exit_code = EXIT_TEMPFAIL


# --- 74 and 75: the archive and its neighbours ------------------------------------------------


class ArchiveError(LiveblogError):
    """The archive cannot be opened, read or written (disk full, read-only, corrupt)."""

    exit_code = EXIT_IOERR


class ArchiveBusy(ArchiveError):
    """Another process holds the archive for longer than we were willing to wait."""

    exit_code = EXIT_TEMPFAIL


class OutputError(LiveblogError):
    """A file the command writes (an export's --output) cannot be written."""

    exit_code = EXIT_IOERR


class LockError(LiveblogError):
    """The lock file cannot be created: the archive's directory is read-only or full."""

    exit_code = EXIT_IOERR


class DatabaseUnavailable(LiveblogError):
    """A PostgreSQL archive's server cannot be reached now."""

    exit_code = EXIT_TEMPFAIL


class DatabaseRefused(LiveblogError):
    """A PostgreSQL archive's server refused the credentials given."""

    exit_code = EXIT_NOPERM


class LockHeld(LiveblogError):
    """Another liveblog is fetching this blog into this archive now."""

    exit_code = EXIT_TEMPFAIL


# --- 78 and 143 -------------------------------------------------------------------------------


class MissingExtra(LiveblogError):
    """A feature that needs an optional part of liveblog that is not installed."""

    exit_code = EXIT_CONFIG


class ConfigError(LiveblogError):
    """The settings file (config.py) cannot be read, or names a setting no command has, or
    gives one a value of the wrong kind."""

    exit_code = EXIT_CONFIG


class Stopped(LiveblogError):
    """A stop was asked for (SIGTERM, SIGINT): the request under way was abandoned."""

    exit_code = EXIT_STOPPED


# --- not a LiveblogError ----------------------------------------------------------------------


class OutputFailed(Exception):
    """Writing output failed (carried past click, which would turn EPIPE into exit 1); the
    CLI decides the exit from the OSError's errno (a reader that left is not an error)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class Internal(Exception):
    """A signal inside one module, caught there: never reaches a caller."""


class Retry(Internal):
    """fetch: a failure worth another try (timeouts, refused or broken connections)."""


class DeadlinePassed(Internal):
    """fetch: the request under way outlived its deadline."""


class Malformed(Internal):
    """parse: a scraped copy's structure is not what its reader expects."""


class DamagedRecord(Internal):
    """warc_in: a web archive's stream cannot be read past this point (`where`: the file)."""

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.where = where


__all__ = [
    "AmbiguousBlog",
    "ArchiveBusy",
    "ArchiveError",
    "BlogNotFound",
    "ConfigError",
    "DamagedRecord",
    "DatabaseRefused",
    "DatabaseUnavailable",
    "DeadlinePassed",
    "EmbeddedPlatform",
    "FetchError",
    "Internal",
    "LiveblogError",
    "LockError",
    "LockHeld",
    "Malformed",
    "MissingExtra",
    "NoArchive",
    "NotAWebArchive",
    "NotFound",
    "OutputError",
    "OutputFailed",
    "ParseError",
    "RateLimited",
    "Retry",
    "SearchSyntaxError",
    "Stopped",
    "Unavailable",
    "UsageError",
    "WalkFailed",
]
