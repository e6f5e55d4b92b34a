"""The console-script entry point, kept free of imports so `liveblog --version` is instant.

Typer, Rich and the parsers are imported only when a command actually runs.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]) and sys.stdout is not None:
        from liveblog_cli import __version__

        try:
            sys.stdout.write(f"liveblog {__version__}\n")
            sys.stdout.flush()
            return
        except OSError:
            pass  # a closed or full stdout: the full CLI says so in one line
    if {"list", "search"} & set(sys.argv[1:4]):  # the command, or after `--db PATH`
        from liveblog_cli.cli import quick

        code = quick.run(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from liveblog_cli.cli import main as run

    run()
