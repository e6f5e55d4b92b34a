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


def test_every_install_hint_names_a_package_that_exists() -> None:
    """`pip install X` in the README and in every message names a real package (one of the
    extras' requirements) or this checkout's own extra (`-e '.[extra]'`), never a
    `liveblog-cli[...]` no registry has."""
    import tomllib

    from conftest import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    known = {re.split(r"[<>=\[ ]", req)[0].lower() for reqs in extras.values() for req in reqs}
    texts = [README] + [p.read_text() for p in (ROOT / "liveblog_cli").rglob("*.py")]
    hints = [
        (editable, spec)
        for text in texts
        for editable, spec in re.findall(r"pip install (-e )?'?([\w.\-\[\]]+)'?", text)
    ]
    assert len(hints) >= 6
    for editable, spec in hints:
        if editable:
            assert spec == "." or spec[2:-1] in extras, spec
        else:
            assert re.split(r"\[", spec)[0].lower() in known, spec


def test_liveblog_alone_prints_the_help_as_help() -> None:
    done = run_cli()
    err = done.stderr.decode()
    assert done.returncode == 2
    assert err.startswith("Usage: liveblog") and "\\x0a" not in err
    assert "\n  fetch " in err and err.count("\n") > 10
