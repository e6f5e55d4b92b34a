"""The `liveblog` command line: thin commands over the library, errors as exit codes.

Machine output (JSON, CSV ...) goes to stdout through plain writes; messages, progress and
errors go to stderr. Heavy modules are imported inside commands so `--help` stays quick.
This module only assembles the commands (each module registers its own on `app`) and maps
errors to exit codes.
"""

from __future__ import annotations

import os
import sys

import typer

from liveblog_cli import cli_archive, cli_fetch, cli_parse, cli_serve
from liveblog_cli.cli_common import app, writes_output
from liveblog_cli.errors import EXIT_SOFTWARE, EXIT_USAGE, LiveblogError, OutputFailed

# The commands, in the order `liveblog --help` lists them: the everyday ones first.
COMMANDS = (
    ("fetch", cli_fetch.fetch),
    ("follow", cli_fetch.follow_command),
    ("show", cli_archive.show),
    ("list", cli_archive.list_blogs),
    ("search", cli_archive.search),
    ("export", cli_archive.export),
    ("history", cli_archive.history),
    ("import", cli_archive.import_archives),
    ("serve", cli_serve.serve),
    ("parse", cli_parse.parse),
    ("reparse", cli_archive.reparse),
)


def _invoked(argv: list[str]) -> str | None:
    """The command these arguments run, when it is certain: the first word after the
    options that come before a command (`--db PATH`)."""
    words = iter(argv)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not word.startswith("-"):
            return word if word in dict(COMMANDS) else None
        elif not word.startswith("--db="):
            return None  # --help, --version, or an unknown option: the full command line says
    return None


def _register(argv: list[str]) -> None:
    """Every command on `app`; only the one invoked when the arguments name it (Typer reads
    each registered command's signature at start-up: a command run need not pay for all)."""
    wanted = _invoked(argv)
    present = {c.name for c in app.registered_commands}
    for name, command in COMMANDS:
        if wanted in (None, name) and name not in present:
            app.command(name)(writes_output(command))


def main() -> None:
    """Console-script entry point: library errors become one line on stderr and an exit code;
    an early reader (`| head`) is not an error; a full disk or closed stdout is exit 74."""
    clicks = _click_exceptions()
    _register(sys.argv[1:])
    try:
        code = app(standalone_mode=False, prog_name="liveblog")
        _flush_stdout()
    except clicks.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "liveblog"
        _exit(f"liveblog: error: {exc.format_message()} (see `{where} --help`)", EXIT_USAGE)
    except clicks.ClickException as exc:
        _exit(f"liveblog: error: {exc.format_message()}", exc.exit_code)
    except (getattr(clicks, "Abort", typer.Abort), typer.Abort, KeyboardInterrupt):
        _exit("liveblog: interrupted", 130)
    except LiveblogError as exc:
        _exit(f"liveblog: error: {exc}", exc.exit_code)
    except OutputFailed as exc:
        _output_failed(exc.error)
    except OSError as exc:
        from liveblog_cli.output import OUTPUT_ERRNOS

        if exc.errno not in OUTPUT_ERRNOS:
            _internal(exc)
        _output_failed(exc)
    except Exception as exc:
        _internal(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _click_exceptions():  # type: ignore[no-untyped-def]
    """Where the running Typer's click exceptions live (Typer 0.29 carries its own click)."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def _exit(message: str, code: int) -> None:
    from liveblog_cli.output import say

    say(message)
    sys.exit(code)


def _internal(exc: BaseException) -> None:
    if os.environ.get("LIVEBLOG_DEBUG"):
        raise exc
    _exit(
        f"liveblog: internal error: {type(exc).__name__}: {exc} "
        "(set LIVEBLOG_DEBUG=1 for a traceback, and please report it)",
        EXIT_SOFTWARE,
    )


def _flush_stdout() -> None:
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        raise OutputFailed(exc) from None


def _output_failed(exc: OSError) -> None:
    from liveblog_cli.output import output_failed

    sys.exit(output_failed(exc))
