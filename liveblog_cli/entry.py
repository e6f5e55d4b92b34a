"""The console-script entry point, kept free of imports so `liveblog --version` is instant.

Typer, Rich and the parsers are imported only when a command actually runs.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from liveblog_cli import __version__

        sys.stdout.write(f"liveblog {__version__}\n")
        return
    from liveblog_cli.cli import main as run

    run()
