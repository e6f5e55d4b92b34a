"""Shared fixtures: the corpus (skipped cleanly when ../shared is absent), samples, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = Path(os.environ.get("LIVEBLOG_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_file(relative: str) -> Path:
    """A file of the shared corpus, or a skip when this checkout has none (a user's clone)."""
    path = CORPUS / relative
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared corpus, missing {path}")
        pytest.skip(f"shared corpus not present ({path})")
    return path


@pytest.fixture(autouse=True)
def _private_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never touch a real user archive."""
    db = tmp_path / "archive.db"
    monkeypatch.setenv("LIVEBLOG_DB", str(db))
    return db


CLI = [sys.executable, "-c", "from liveblog_cli.cli import main; main()"]


def _cli_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("LIVEBLOG_DEBUG", None)
    return full_env


def run_cli(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run the real `liveblog` entry point in a subprocess, as a user's shell would."""
    return subprocess.run(
        [*CLI, *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=_cli_env(env),
        timeout=timeout,
        check=False,
    )


def start_cli(
    *args: str, env: dict[str, str] | None = None, quiet: bool = False
) -> subprocess.Popen[bytes]:
    """Start the real `liveblog` in the background (to kill, signal or race it)."""
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen([*CLI, *args], env=_cli_env(env), stdout=out, stderr=out)


# --- docs/RELIABILITY.md, written by the reliability tests themselves -------------------------

RELIABILITY: dict[str, tuple[str, str, str]] = {}  # row -> (what was tried, cases, result)
RELIABILITY_ROWS: list[str] = []  # filled by test_reliability.py: the rows a full run has


def record(row: str, tried: str, cases: int | str, result: str) -> None:
    """Record one row of the reliability table (called by the test that measured it)."""
    RELIABILITY[row] = (tried, f"{cases:,}" if isinstance(cases, int) else cases, result)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write docs/RELIABILITY.md when asked (`make reliability-doc` sets LIVEBLOG_WRITE_DOCS)
    and a run produced every row with nothing failed. A plain test run changes no file."""
    if not os.environ.get("LIVEBLOG_WRITE_DOCS"):
        return
    if not RELIABILITY_ROWS or exitstatus != 0:
        return
    if any(row not in RELIABILITY for row in RELIABILITY_ROWS):
        return  # a partial run (-k, -x ...): keep the last complete table
    import platform
    from datetime import UTC, datetime

    lines = [
        "# Reliability",
        "",
        "This table is written by the test suite (`tests/test_reliability.py`,",
        "`tests/test_hostile.py` and `tests/test_parse_fuzz.py`) at the end of a run in which",
        "every row's test passed; nobody types it. `make reliability-doc` makes it again.",
        "",
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}",
        "",
        "| what was tried | cases | result |",
        "|---|---|---|",
    ]
    lines += [f"| {' | '.join(RELIABILITY[row])} |" for row in RELIABILITY_ROWS]
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "RELIABILITY.md").write_text("\n".join(lines) + "\n")
