"""The man page, written from the commands themselves (their help, options and defaults)
and the README's exit codes, so it cannot drift from either: `make man-doc` writes
docs/liveblog.1, a test compares it and checks groff reads it without a warning.

    python -m liveblog_cli.cli.manpage README.md > docs/liveblog.1
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ENVIRONMENT = (
    ("LIVEBLOG_DB", "The archive, when no --db is given (a file or a postgresql:// URL)."),
    ("LIVEBLOG_CONFIG", "The settings file, instead of config.toml in the user config directory."),
    ("LIVEBLOG_USER_AGENT", "The User-Agent header fetches send."),
    ("GUARDIAN_API_KEY", "A Guardian Content API key (fetch --guardian-api-key)."),
    ("LIVEBLOG_CAPTURE_PAGE", "Set to 1: also keep the page people read (fetch --capture-page)."),
    ("LIVEBLOG_PAGER", "The pager for show and history (else PAGER, else less -FRX)."),
    ("TZ", "The zone times are shown in on a terminal (else the system's)."),
    ("LIVEBLOG_DEBUG", "Set to 1: an internal error prints its traceback."),
)
FILES = (
    (
        "~/.config/liveblog/config.toml",
        "Settings: options given every time (where platformdirs puts a user's config).",
    ),
    (
        "~/.local/share/liveblog/archive.db",
        "The default archive (where platformdirs puts a user's data).",
    ),
)


def roff(text: str) -> str:
    """Text made literal for roff: backslashes, and a line never starting with . or '."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = [("\\&" + line) if line.startswith((".", "'")) else line for line in text.split("\n")]
    return "\n".join(lines)


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name in getattr(group, "list_commands", lambda _ctx: [])(None):
        command = group.get_command(None, name)
        path = f"{prefix}{name}"
        if hasattr(command, "list_commands"):
            found.extend(_commands(command, path + " "))
        else:
            found.append((path, command))
    return found


def _synopsis(path: str, command: Any) -> str:
    arguments = " ".join(
        (p.metavar or p.name.upper())
        for p in command.params
        if getattr(p, "param_type_name", "") == "argument"
    )
    return f".B liveblog {roff(path)}\n[\\fIOPTIONS\\fR] {roff(arguments)}".rstrip()


def _help_text(command: Any) -> str:
    """The command's help as paragraphs: the examples block kept as lines."""
    text = (command.help or "").replace("\b\n", "")
    return text.strip()


def _option(param: Any) -> str:
    names = ", ".join([*param.opts, *param.secondary_opts])
    kind = (param.metavar or param.type.name.replace(" range", "")).upper()
    value = "" if getattr(param, "is_flag", False) else f" {kind}"
    lines = [f".TP\n.B {roff(names)}{roff(value)}"]
    helptext = param.help or ""
    default = param.default
    if (
        param.show_default is not False
        and default not in (None, False, "", ())
        and not (getattr(param, "is_flag", False))
    ):
        shown = getattr(default, "value", default)
        helptext += f" (default: {shown})"
    lines.append(roff(helptext.strip()) or "\\&")
    return "\n".join(lines)


def _exit_codes(readme: str) -> list[tuple[str, str]]:
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.M)
    return sorted(rows, key=lambda r: int(r[0]))


def render(root: Any, readme: str) -> str:
    """The whole man page, in roff (man macros)."""
    from liveblog_cli import __version__

    out = [
        f'.TH LIVEBLOG 1 "" "liveblog {__version__}" "User Commands"',
        ".SH NAME",
        "liveblog \\- archive news live blogs, keeping every edit and deletion",
        ".SH SYNOPSIS",
        ".B liveblog",
        "[\\fB\\-\\-db\\fR \\fIPATH|URL\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]",
        ".SH DESCRIPTION",
        roff(
            "liveblog fetches live blogs (the Guardian, the BBC, schema.org LiveBlogPosting "
            "pages and others) into a local archive (SQLite, or PostgreSQL for many "
            "machines) with every post's edit history, shows their timelines and key events, "
            "and exports them as JSON Lines, CSV, Markdown, HTML, Atom, WARC and WACZ. "
            "Machine output goes to stdout; messages and errors go to stderr, one line each."
        ),
        ".SH COMMANDS",
    ]
    for path, command in _commands(root):
        out.append(f".SS {roff(path)}")
        out.append(_synopsis(path, command))
        out.append(".PP")
        for paragraph in _help_text(command).split("\n\n"):
            if paragraph.lstrip().startswith("Examples:"):
                out.append(".PP\nExamples:\n.nf\n.RS")
                out.extend(roff(line.strip()) for line in paragraph.splitlines()[1:])
                out.append(".RE\n.fi")
            else:
                out.append(roff(" ".join(paragraph.split())))
                out.append(".PP")
        options = [p for p in command.params if getattr(p, "param_type_name", "") == "option"]
        out.extend(_option(p) for p in options if not getattr(p, "hidden", False))
    out.append(".SH ENVIRONMENT")
    for name, text in ENVIRONMENT:
        out.append(f".TP\n.B {name}\n{roff(text)}")
    out.append(".SH FILES")
    for name, text in FILES:
        out.append(f".TP\n.I {roff(name)}\n{roff(text)}")
    out.append(".SH EXIT STATUS")
    for code, text in _exit_codes(readme):
        plain = re.sub(r"`([^`]*)`", r"\1", text)
        out.append(f".TP\n.B {code}\n{roff(plain)}")
    out.append(".SH SEE ALSO")
    out.append(roff("The README of liveblog's repository: the full manual, with jq examples."))
    return "\n".join(out) + "\n"


def main() -> None:
    import typer

    from liveblog_cli.cli.app import _register, app

    _register([], every=True)
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md").read_text(encoding="utf-8")
    sys.stdout.write(render(typer.main.get_command(app), readme))


if __name__ == "__main__":
    main()
