"""Locks per blog URL for fetch and follow (flock on a file beside the archive), so that two
runs never fetch the same blog into one archive at once, while runs for other blogs (cron
fetches, several follows) go side by side; the archive's own transactions keep the data
safe between them.

The lock is keyed on the archive's real path, so two symlinks to one archive share it.
The kernel drops a flock when its holder dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from liveblog_cli.errors import LockError, LockHeld


def lock_path(db: Path, key: str) -> Path:
    """The lock file of one key (a blog's URL) of the archive at `db`, wherever it is named
    from (a symlink, a relative path)."""
    real = Path(os.path.realpath(db))
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return real.parent / f".{real.name}.locks" / digest


@contextmanager
def blog_locks(
    db: Path, keys: list[str], *, wait: float = 0.0, poll: float = 0.2
) -> Iterator[None]:
    """Hold the lock of every key (taken in a fixed order, so two runs never deadlock);
    if another process has one, wait up to `wait` seconds for it."""
    with ExitStack() as stack:
        for key in sorted(set(keys)):
            stack.enter_context(_lock(db, key, wait=wait, poll=poll))
        yield


@contextmanager
def _lock(db: Path, key: str, *, wait: float, poll: float) -> Iterator[None]:
    path = lock_path(db, key)
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
                        f"another liveblog is fetching {key} into {db}; "
                        + (f"waited {wait:g}s" if wait else "use --wait SECONDS to wait")
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {key}\n".encode("utf-8", "replace"))
        yield
    finally:
        os.close(fd)


__all__ = ["LockError", "LockHeld", "blog_locks", "lock_path"]
