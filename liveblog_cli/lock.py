"""A lock per archive (flock on `<archive>.lock`), so overlapping cron runs never interleave."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liveblog_cli.errors import EXIT_IOERR, EXIT_TEMPFAIL, LiveblogError


class LockHeld(LiveblogError):
    exit_code = EXIT_TEMPFAIL


class LockError(LiveblogError):
    """The lock file cannot be created: the archive's directory is read-only or full."""

    exit_code = EXIT_IOERR


@contextmanager
def archive_lock(db: Path, *, wait: float = 0.0, poll: float = 0.2) -> Iterator[None]:
    """Hold the archive's lock; if another process has it, wait up to `wait` seconds.

    The kernel drops a flock when its holder dies, so a killed run never leaves a stale lock.
    """
    path = Path(f"{db}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"cannot create lock {path}: {exc.strerror or exc}") from None
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeld(
                        f"another liveblog is fetching into {db} (lock {path} held); "
                        + (f"waited {wait:g}s" if wait else "use --wait SECONDS to wait")
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


__all__ = ["LockError", "LockHeld", "archive_lock"]
