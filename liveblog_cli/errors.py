"""Errors the library raises and the exit codes the CLI maps them to (see README, Exit codes)."""

from __future__ import annotations

# sysexits.h values, so cron and shell scripts can tell failures apart.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DATAERR = 65  # the input is not a live blog, or is empty, binary, truncated
EXIT_NOINPUT = 66  # an input file does not exist or cannot be read
EXIT_UNAVAILABLE = 69  # HTTP error after retries, page too large or too slow
EXIT_IOERR = 74  # archive error
EXIT_TEMPFAIL = 75  # lock held, rate limited: try again later
EXIT_CONFIG = 78  # a feature needs an optional extra that is not installed
EXIT_STOPPED = 143  # stopped by SIGTERM


class LiveblogError(Exception):
    """Base class: every error the CLI turns into a one-line message and an exit code."""

    exit_code = 1


class ParseError(LiveblogError):
    """The input is not a live blog we can read; the message is one line saying why."""

    exit_code = EXIT_DATAERR
