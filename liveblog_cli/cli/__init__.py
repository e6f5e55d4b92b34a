"""The command line: Typer commands over the library, and a quick path that answers the
commonest reads without loading Typer.

    entry.py    the console script: import-free, so `liveblog --version` is instant
    quick.py    `list` and `search` to a pipe, read from argv by hand
    app.py      the Typer app: commands registered, errors turned into exit codes
    answers.py  the bodies that both paths run (list, search)
    common.py   what commands share without Typer: the archive, times, input, progress
    options.py  the options commands share, and the output-shape decorator
    fetch.py, read.py, export.py, upkeep.py, parse.py, serve.py   the commands by subject
"""

from __future__ import annotations


def main() -> None:
    """Run the full command line (Typer), with liveblog's exit codes."""
    from liveblog_cli.cli.app import main as run

    run()
