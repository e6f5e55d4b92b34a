"""Shell completion as a shell runs it: the script `liveblog completion bash` prints,
sourced into a real bash, completing commands, options and the archive's blog ids."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES, archive_db, run_cli


def _complete(script: str, words: str, env_dir: Path) -> list[str]:
    """What bash offers after `words` (the word being completed last), through the script."""
    # The script calls `liveblog`: this checkout's, first on PATH.
    bin_dir = Path(sys.executable).parent
    program = f"""
{script}
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_liveblog_completion liveblog
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(env_dir)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return [line for line in done.stdout.decode().splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_bash_completes_commands_options_and_blog_ids(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "liveblog").exists():
        pytest.skip("liveblog is not installed beside this Python (make install)")
    db = archive_db(tmp_path)
    saved = run_cli("parse", str(SAMPLES / "guardian-tallships.dcr.json"), "--save", "--db", db)
    assert saved.returncode == 0
    script = run_cli("completion", "bash").stdout.decode()
    assert "_LIVEBLOG_COMPLETE" in script

    assert _complete(script, "liveblog sh", tmp_path) == ["show"]
    assert set(_complete(script, "liveblog e", tmp_path)) == {"export"}
    assert set(_complete(script, "liveblog d", tmp_path)) == {"delete"}
    assert "--key-events" in _complete(script, "liveblog show --k", tmp_path)
    blog = "uk-news/live/2026/jun/13/port-elstow-tall-ships-festival-live"
    # Quoted as a shell line would be: a PostgreSQL URL holds "?" and "&".
    quoted = shlex.quote(db)
    assert _complete(script, f"liveblog show --db {quoted} uk", tmp_path) == [blog]
    assert _complete(script, f"liveblog --db {quoted} export uk", tmp_path) == [blog]
    # No archive there: nothing offered, and nothing printed to the terminal.
    assert _complete(script, f"liveblog show --db {tmp_path}/none.db uk", tmp_path) == []


def test_completion_for_an_unknown_shell_is_a_usage_error() -> None:
    done = run_cli("completion", "tcsh")
    assert done.returncode == 2 and b"bash, zsh, fish, powershell" in done.stderr
    for shell in ("zsh", "fish", "powershell"):
        assert run_cli("completion", shell).stdout.strip()
