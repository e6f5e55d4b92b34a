"""The options people repeat, kept in a TOML file: `LIVEBLOG_CONFIG`, else `config.toml`
in the user config directory (`~/.config/liveblog/` on Linux).

    db = "~/archives/news.db"   # any command's --db (LIVEBLOG_DB and --db win)
    tz = "Europe/London"        # top level: every command that has the option
    [fetch]
    delay = 2.0                 # a table: one command only (`[schedule.add]` for a group's)
    user-agent = "newsroom-archive (ops@example.org)"

A flag given on the command line wins over its environment variable, which wins over the
file, which wins over the built-in default. A key no command has, a value of the wrong
type, or a file that is not TOML is one line naming the file and the key (exit 78): a
setting silently ignored is worse than none.

Typer-free: the quick path (`list`, `search`) reads the file too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from liveblog_cli.errors import ConfigError

VARIABLE = "LIVEBLOG_CONFIG"


class Config:
    # A plain class: `list` and `search` read the file on their quick path, where
    # dataclasses' imports would be a tenth of the start-up.
    __slots__ = ("path", "tables", "values")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, Any] = {}  # top-level keys, dashes as given
        self.tables: dict[str, dict[str, Any]] = {}  # "fetch", "schedule add"

    @property
    def db(self) -> str | None:
        value = self.values.get("db")
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{self.path}: db must be a path or a postgresql:// URL")
        return value if "://" in value else os.path.expanduser(value)

    def for_command(self, command: str) -> dict[str, Any]:
        """The settings for one command (`"schedule add"` for a group's): its table's over
        the top level's (without `db`, which every command reads through the archive)."""
        merged = {k: v for k, v in self.values.items() if k != "db"}
        merged.update(self.tables.get(command, {}))
        return merged


def config_path() -> Path:
    named = os.environ.get(VARIABLE)
    if named:
        return Path(named).expanduser()
    return user_path("config") / "config.toml"


_XDG = {"config": ("XDG_CONFIG_HOME", "~/.config"), "data": ("XDG_DATA_HOME", "~/.local/share")}


def user_path(kind: str) -> Path:
    """liveblog's directory of a user's `kind` of files ("config" or "data"), as platformdirs
    puts it. On Linux its plain cases are read here (XDG variable unset, empty or an
    absolute path): importing platformdirs is a tenth of the quick path's start-up, and
    tests hold the two to the same answers."""
    variable, fallback = _XDG[kind]
    value = os.environ.get(variable, "")
    if sys.platform == "linux" and (not value or (os.path.isabs(value) and value == value.strip())):
        return Path(value or os.path.expanduser(fallback)) / "liveblog"
    import platformdirs

    if kind == "config":
        return platformdirs.user_config_path("liveblog", appauthor=False)
    return platformdirs.user_data_path("liveblog", appauthor=False)


_LOADED: list[Config | None] = []


def load() -> Config | None:
    """The user's settings (read once per process), or None when there is no file. A file
    named by LIVEBLOG_CONFIG must exist."""
    if _LOADED:
        return _LOADED[0]
    path = config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if os.environ.get(VARIABLE):
            raise ConfigError(f"{path}: no such file ({VARIABLE} names it)") from None
        _LOADED.append(None)
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a TOML file: {exc}") from None
    config = Config(path)
    for key, value in data.items():
        if isinstance(value, dict):
            _table(config, key, value)
        else:
            config.values[key] = value
    _ = config.db  # a wrong db is said whether or not this command reads it
    _LOADED.append(config)
    return config


def _table(config: Config, name: str, table: dict[str, Any]) -> None:
    for key, value in table.items():
        if isinstance(value, dict):  # [schedule.add]
            _table(config, f"{name} {key}", value)
        else:
            config.tables.setdefault(name, {})[key] = value


def forget() -> None:
    """Read the file again next time (tests that write one)."""
    _LOADED.clear()


__all__ = ["VARIABLE", "Config", "config_path", "forget", "load"]
