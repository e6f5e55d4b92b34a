"""Shell completion: `liveblog completion SHELL` prints the script once; completing asks
`liveblog` itself (commands, options, and the archive's blog ids for BLOG), so start-up
pays nothing unless a shell is completing."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from liveblog_cli.errors import UsageError

SHELLS = ("bash", "zsh", "fish", "powershell")
VARIABLE = "_LIVEBLOG_COMPLETE"


def completion(
    shell: Annotated[
        str | None,
        typer.Argument(
            metavar="[bash|zsh|fish|powershell]",
            help="The shell (default: the one $SHELL names).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the shell completion script for liveblog (commands, options, blog ids).

    \b
    Examples:
      liveblog completion bash > ~/.local/share/bash-completion/completions/liveblog
      liveblog completion zsh > "${fpath[1]}/_liveblog"
      liveblog completion fish > ~/.config/fish/completions/liveblog.fish
    """
    from typer._completion_shared import get_completion_script

    chosen = shell or os.path.basename(os.environ.get("SHELL", ""))
    if chosen not in SHELLS:
        raise UsageError(f"no completion for shell {chosen!r}: choose one of {', '.join(SHELLS)}")
    script = get_completion_script(prog_name="liveblog", complete_var=VARIABLE, shell=chosen)
    sys.stdout.write(script + "\n")


def completing() -> bool:
    """Whether a shell runs liveblog to complete a word (its script set the variable)."""
    if VARIABLE not in os.environ:
        return False
    from typer._completion_classes import completion_init

    completion_init()  # Typer's shell classes, registered only when completing
    return True


def blog_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """The archive's blog ids that start with what was typed (none when there is no
    archive, or it cannot be read: completion never prints an error)."""
    from liveblog_cli.cli.common import archive_path

    try:
        from liveblog_cli.archive import Archive

        chosen = ctx.params.get("db") or (ctx.parent.params.get("db") if ctx.parent else None)
        with Archive(archive_path(chosen), create=False, readonly=True) as archive:
            return [b for b, _ in archive.blog_ids() if b.startswith(incomplete)]
    except Exception:  # a shell completing a word must never see a traceback
        return []
