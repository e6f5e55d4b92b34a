"""The `liveblog` command line: thin commands over the library, errors as exit codes.

Machine output (JSON, CSV ...) goes to stdout through plain writes; messages, progress and
errors go to stderr. Heavy modules are imported inside commands so `--help` stays quick.
This module only assembles the commands (each module registers its own on `app`) and maps
errors to exit codes.
"""

from __future__ import annotations

import os
import sys

from liveblog_cli import cli_archive, cli_fetch, cli_parse
from liveblog_cli.cli_common import EXIT_SOFTWARE, app
from liveblog_cli.errors import LiveblogError

# The commands, in the order `liveblog --help` lists them.
for name, command in (
    ("parse", cli_parse.parse),
    ("list", cli_archive.list_blogs),
    ("show", cli_archive.show),
    ("export", cli_archive.export),
    ("search", cli_archive.search),
    ("history", cli_archive.history),
    ("reparse", cli_archive.reparse),
    ("fetch", cli_fetch.fetch),
    ("follow", cli_fetch.follow_command),
):
    app.command(name)(command)


def main() -> None:
    """Console-script entry point: library errors become one line on stderr and an exit code."""
    try:
        app()
    except LiveblogError as exc:
        sys.stderr.write(f"liveblog: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("liveblog: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # `liveblog export | head`: the reader left; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("LIVEBLOG_DEBUG"):
            raise
        sys.stderr.write(
            f"liveblog: internal error: {type(exc).__name__}: {exc} "
            "(set LIVEBLOG_DEBUG=1 for a traceback, and please report it)\n"
        )
        sys.exit(EXIT_SOFTWARE)
