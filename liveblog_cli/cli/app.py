"""The `liveblog` command line: the Typer app, its commands, errors as exit codes.

Machine output (JSON, CSV ...) goes to stdout through plain writes; messages, progress and
errors go to stderr. Heavy modules are imported inside commands so `--help` stays quick.
This module assembles the commands (each module holds its own) and maps errors to exit
codes.
"""

from __future__ import annotations

import errno
import sys
from typing import Annotated, Any

import typer

from liveblog_cli import __version__
from liveblog_cli.cli import completion, export, fetch, parse, read, schedule, serve, upkeep
from liveblog_cli.cli.common import ROOT_DB, internal_error, writes_output
from liveblog_cli.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    LiveblogError,
    OutputFailed,
)

app = typer.Typer(
    name="liveblog",
    help="Archive news live blogs: fetch, parse, keep every edit, show and export.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# The commands, in the order `liveblog --help` lists them: the everyday ones first.
COMMANDS = (
    ("fetch", fetch.fetch),
    ("follow", fetch.follow_command),
    ("worker", fetch.worker),
    ("schedule", schedule.group),
    ("show", read.show),
    ("list", read.list_blogs),
    ("search", read.search),
    ("export", export.export),
    ("history", read.history),
    ("import", export.import_archives),
    ("serve", serve.serve),
    ("parse", parse.parse),
    ("reparse", upkeep.reparse),
    ("copy", upkeep.copy),
    ("delete", upkeep.delete),
    ("check", upkeep.check),
    ("completion", completion.completion),
)


def _version(value: bool) -> None:
    if value:
        if sys.stdout is None:
            raise OutputFailed(OSError(errno.EBADF, "stdout is closed"))
        try:
            sys.stdout.write(f"liveblog {__version__}\n")
        except OSError as exc:
            raise OutputFailed(exc) from None
        raise typer.Exit()


def _root_db(value: str | None) -> str | None:
    if value is not None:
        ROOT_DB[:] = [value]
    return value


@app.callback()
def root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH|URL",
            callback=_root_db,
            help="The archive (a file or a postgresql:// URL), for any command (also after the "
            "command; env LIVEBLOG_DB).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Archive news live blogs: fetch, parse, keep every edit, show and export."""


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


def _register(argv: list[str], *, every: bool = False) -> None:
    """Every command on `app`; only the one invoked when the arguments name it (Typer reads
    each registered command's signature at start-up: a command run need not pay for all),
    unless `every` (a settings file is checked against every command's options)."""
    wanted = None if every else _invoked(argv)
    present = {c.name for c in app.registered_commands}
    groups = {g.name for g in app.registered_groups}
    for name, command in COMMANDS:
        if wanted not in (None, name) or name in present or name in groups:
            continue
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=name)
        else:
            app.command(name)(writes_output(command))


def main() -> None:
    """Console-script entry point: library errors become one line on stderr and an exit code;
    an early reader (`| head`) is not an error; a full disk or closed stdout is exit 74."""
    clicks = _click_exceptions()
    completion.completing()
    try:
        from liveblog_cli.config import load

        settings = load()
        _register(sys.argv[1:], every=settings is not None)
        command = typer.main.get_command(app)
        extra: dict[str, Any] = {}
        if settings is not None:
            from liveblog_cli.cli.settings import default_map

            extra["default_map"] = default_map(command, settings)
        code = command.main(args=sys.argv[1:], standalone_mode=False, prog_name="liveblog", **extra)
        _flush_stdout()
    except getattr(clicks, "NoArgsIsHelpError", ()) as exc:
        # `liveblog` (or `liveblog schedule`) alone: the help, as help reads, not one line.
        sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
        sys.exit(EXIT_USAGE)
    except clicks.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "liveblog"
        _exit(f"liveblog: error: {exc.format_message()} (see `{where} --help`)", EXIT_USAGE)
    except clicks.ClickException as exc:
        _exit(f"liveblog: error: {exc.format_message()}", exc.exit_code)
    except (getattr(clicks, "Abort", typer.Abort), typer.Abort, KeyboardInterrupt):
        _exit("liveblog: interrupted", EXIT_INTERRUPTED)
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


def _click_exceptions() -> Any:
    """Where the running Typer's click exceptions live (Typer 0.29 carries its own click)."""
    import importlib

    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:
        return importlib.import_module("click.exceptions")


def _exit(message: str, code: int) -> None:
    from liveblog_cli.output import say

    say(message)
    sys.exit(code)


def _internal(exc: BaseException) -> None:
    sys.exit(internal_error(exc))


def _flush_stdout() -> None:
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        raise OutputFailed(exc) from None


def _output_failed(exc: OSError) -> None:
    from liveblog_cli.output import output_failed

    sys.exit(output_failed(exc))
