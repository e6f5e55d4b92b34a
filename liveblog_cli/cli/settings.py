"""The settings file (config.py) as click's `default_map`: each command's options take
their defaults from it, below the command line and the environment (click's own order).

Keys are option names without the dashes (`delay`, `user-agent`, `max-pages`; `_` for `-`
also works). Every key must be an option of some command, or of the command its table
names, and every value must be one that option takes: checked here, said once.
"""

from __future__ import annotations

from typing import Any

from liveblog_cli.config import Config
from liveblog_cli.errors import ConfigError


def _options(command: Any) -> dict[str, Any]:
    """A command's options by their long names without dashes (`no-reparse` too)."""
    found: dict[str, Any] = {}
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") != "option":
            continue
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                found[opt[2:]] = param
    return found


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every command by its path (`fetch`, `schedule add`)."""
    found: dict[str, Any] = {}
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix}{name}"
        if getattr(command, "commands", None):
            found.update(_commands(command, path + " "))
        else:
            found[path] = command
    return found


def default_map(root: Any, config: Config) -> dict[str, Any]:
    """click's default_map for `root` (nested as its groups are) from the settings."""
    commands = _commands(root)
    unknown_tables = set(config.tables) - set(commands)
    if unknown_tables:
        raise ConfigError(f"{config.path}: no command [{sorted(unknown_tables)[0]}]")
    every = {key for command in commands.values() for key in _options(command)}
    for key in config.values:
        if key != "db" and key.replace("_", "-") not in every:
            raise ConfigError(f"{config.path}: no command has an option --{key}")
    mapping: dict[str, Any] = {}
    for path, command in commands.items():
        options = _options(command)
        for key, value in config.for_command(path).items():
            param = options.get(key.replace("_", "-"))
            if param is None:
                if key in config.tables.get(path, {}):
                    raise ConfigError(f"{config.path}: [{path}] has no option --{key}")
                continue  # a top-level key for the commands that have it
            if param.name == "db":
                if key in config.tables.get(path, {}):
                    raise ConfigError(f"{config.path}: db is a top-level setting, not [{path}]'s")
                continue  # the archive comes from config.db, under LIVEBLOG_DB
            if f"--{key}" in param.secondary_opts:
                value = not value if isinstance(value, bool) else value
            _check(config, path, key, param, value)
            node = mapping
            for word in path.split(" "):
                node = node.setdefault(word, {})
            node[param.name] = value
    return mapping


def _check(config: Config, path: str, key: str, param: Any, value: Any) -> None:
    """The value as the option would take it from the command line, or one line saying not."""
    if param.multiple or param.nargs != 1 or isinstance(value, (list, dict)):
        if not isinstance(value, list):
            raise ConfigError(f"{config.path}: {key} for {path} takes a list")
        values = value
    else:
        values = [value]
    if getattr(param, "is_flag", False) and not all(isinstance(v, bool) for v in values):
        raise ConfigError(f"{config.path}: {key} takes true or false")
    for item in values:
        try:
            param.type.convert(item, param, None)
        except Exception as exc:  # click's BadParameter: its message, with our file's name
            message = getattr(exc, "message", None) or str(exc)
            raise ConfigError(f"{config.path}: {key} = {item!r}: {message}") from None


__all__ = ["default_map"]
