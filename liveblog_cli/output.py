"""Writing machine output: JSON and JSON Lines that are safe on any terminal."""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from liveblog_cli.errors import OutputError
from liveblog_cli.untrusted import csv_cell, json_inert, one_line

if TYPE_CHECKING:
    from rich.console import Console

# A pipe's buffer is 64 KiB on Linux: an export of gigabytes into `| jq` then wakes the reader
# and the writer every 64 KiB. 1 MiB, the size an unprivileged process may ask for, makes the
# export to a pipe about a third faster (export of 100,000 posts read by another process).
PIPE_BYTES = 1 << 20


def widen_pipe(stream: Any) -> None:
    """Ask for a larger buffer when `stream` is a pipe (Linux only; silently not elsewhere,
    nor when the system refuses)."""
    import stat

    try:
        import fcntl
    except ImportError:  # Windows
        return
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    try:
        fd = stream.fileno()
        if setsize is not None and stat.S_ISFIFO(os.fstat(fd).st_mode):
            fcntl.fcntl(fd, setsize, PIPE_BYTES)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's StringIO), closed, or over the system's limit


def say(line: object) -> None:
    """A message on stderr, made plain first (page-derived text is hostile)."""
    sys.stderr.write(one_line(line) + "\n")


# Errors writing output: the reader left, the disk is full, stdout is closed.
OUTPUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EBADF})


def output_failed(exc: OSError) -> int:
    """The exit code when writing stdout failed. The reader left (EPIPE): done, 0, as git
    and sqlite-utils do. Anything else (a full disk, a closed stdout): one line, 74. Either
    way stdout is pointed at /dev/null so the interpreter's last flush cannot fail again."""
    from liveblog_cli.errors import EXIT_IOERR

    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    if exc.errno == errno.EPIPE:
        return 0
    say(f"liveblog: error: cannot write output: {exc.strerror or exc}")
    return EXIT_IOERR


def dumps(value: Any, *, indent: int | None = None) -> str:
    text = json.dumps(
        value, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")
    )
    return json_inert(text)


def write_json(value: Any, out: IO[str]) -> None:
    out.write(dumps(value, indent=2))
    out.write("\n")
    out.flush()


def write_json_with(head: dict[str, Any], key: str, items: Iterable[Any], out: IO[str]) -> int:
    """`head` with one more key whose value is a list, written item by item (the list is
    never held whole: memory stays flat however many items); the same JSON as write_json."""
    text = dumps({**head, key: []}, indent=2)
    opening = text[: text.rindex("[]")]
    out.write(opening + "[")
    count = 0
    for item in items:
        out.write(",\n" if count else "\n")
        out.write("    " + dumps(item, indent=2).replace("\n", "\n    "))
        count += 1
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    out.flush()
    return count


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object a line, streamed; returns how many were written."""
    count = 0
    for row in rows:
        out.write(dumps(row))
        out.write("\n")
        count += 1
    out.flush()
    return count


def console(*, stderr: bool = False) -> Console:
    """A Rich console that never interprets markup or emoji codes in what it is given, and
    never hard-wraps what goes to a pipe or a file (URLs stay whole, `grep` sees lines)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = bool(getattr(stream, "isatty", lambda: False)())
    return Console(
        stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=not terminal
    )


@contextmanager
def paged(view: Console, *, enabled: bool = True) -> Iterator[None]:
    """Long output through a pager on a terminal, as git does: LIVEBLOG_PAGER, else PAGER,
    else less (told to quit when it fits one screen and to keep colours); never when piped,
    with --no-pager, or when the pager is set to "cat" or empty."""
    pager = os.environ.get("LIVEBLOG_PAGER", os.environ.get("PAGER"))
    if not enabled or not view.is_terminal or (pager is not None and pager.strip() in ("", "cat")):
        yield
        return
    os.environ.setdefault("LESS", "FRX")
    if pager:
        os.environ["PAGER"] = pager
    with view.pager(styles=True):
        yield


def write_rows(rows: list[dict[str, Any]], shape: str, out: IO[str]) -> None:
    """Rows as `json` (an array), `nl` (an object a line) or `csv` (a header, then a row
    each; lists joined with "; ", cells that would start a formula guarded)."""
    if shape == "json":
        write_json(rows, out)
    elif shape == "nl":
        write_jsonl(rows, out)
    else:
        import csv

        columns = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            cells = [
                "; ".join(map(str, v)) if isinstance(v, list) else v
                for v in (row.get(c) for c in columns)
            ]
            writer.writerow([csv_cell(v) if not isinstance(v, dict) else dumps(v) for v in cells])
        out.flush()


def _written_in_place(path: Path, *, binary: bool) -> Iterator[IO[Any]]:
    try:
        handle = open(path, "wb") if binary else open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        with handle as out:
            yield out
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextmanager
def atomic_writer(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Write a file so readers see the old one or the whole new one, never a part.

    The data goes to a temporary file in the same directory, is flushed to disk, and is
    renamed over the target only when complete; on any error the target is untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"--output {path} is a directory; give a file name")
    if path.exists() and not path.is_file():
        # /dev/null, /dev/stdout, a FIFO: written into as it is (a rename would put a plain
        # file where the device was).
        yield from _written_in_place(path, binary=binary)
        return
    # Through a symlink to the file it names: the link stays a link.
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    directory = path.parent if str(path.parent) else Path(".")
    try:
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        # The usual mode under the umask (mkstemp makes 0600): colleagues can read exports.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        handle = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with handle as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (stderr), nothing when piped or in cron."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def on_page(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield on_page
