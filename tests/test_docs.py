"""Every command is documented in README.md and has help text."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, run_cli

from liveblog_cli.cli.app import COMMANDS as REGISTERED

README = (ROOT / "README.md").read_text()
COMMANDS = sorted(name for name, _ in REGISTERED)


def test_there_are_commands() -> None:
    assert {"parse", "list", "show", "export", "search", "history"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_in_readme_and_has_help(command: str) -> None:
    assert re.search(rf"^### `liveblog {command}\b", README, re.M), command
    result = run_cli(command, "--help")
    assert result.returncode == 0 and b"Usage:" in result.stdout


def test_exit_codes_in_readme_match_the_code() -> None:
    from liveblog_cli import errors

    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", README, re.M)}
    used = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}
    assert used <= documented


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "make demo" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
