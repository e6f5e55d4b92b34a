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


def run_cli(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run the real `liveblog` entry point in a subprocess, as a user's shell would."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("LIVEBLOG_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", "from liveblog_cli.cli import main; main()", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
