"""Web archives in: every live-blog capture in WARC and WACZ files, saved one at a time as
it is read.

A WARC file is someone else's bytes, so the reader here is bounded whatever they hold: a
header line, a record's header block and the garbage skipped between two records each have
a cap, and a record's size is checked before its payload is read. One rule for `.warc`,
`.warc.gz` (told by its bytes, not its name) and the WARC members of a WACZ, each read in
one pass. A record that cannot be used is skipped and counted; a stream that cannot be read
past ends that file's reading, with where it stopped, after every capture before it was
saved (a bad tail never costs the good head).

Each capture of a live blog (a `response` with a 2xx status, or a `resource`) is parsed and
saved at its WARC-Date through the same save path as a fetch (cause `import`), whatever
order the files hold them in: a capture older than what the archive holds of its blog
takes its place in history when the blog is rebuilt at the end (see reparse.py).
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from liveblog_cli.archive import Archive, FetchInfo, SaveReport, WalkSave
from liveblog_cli.bounds import MAX_BYTES
from liveblog_cli.errors import ArchiveError, DamagedRecord, NotAWebArchive, ParseError
from liveblog_cli.exchange import Exchange
from liveblog_cli.model import iso_z, parse_iso
from liveblog_cli.urls import Address

HEADER_LINE = 64 * 1024  # one WARC or HTTP header line
HEADER_BLOCK = 512 * 1024  # every header line of one record
HEADER_LINES = 1000
GARBAGE = 1 << 20  # bytes skipped between two records in search of the next
SKIP_LIMIT = 4 << 30  # a record this large is not read past (a bomb, not a capture)
CHUNK = 1 << 20
EARLIEST = datetime(1991, 1, 1, tzinfo=UTC)  # the web's first pages
WANTED = frozenset({"response", "resource"})


@dataclass
class BlogImport:
    blog_id: str
    captures: int = 0
    report: SaveReport | None = None
    first: str | None = None
    last: str | None = None


@dataclass
class ImportReport:
    records: int = 0  # records read, of every type
    pages: int = 0  # live-blog captures saved
    skipped: dict[str, int] = field(default_factory=dict)  # why other records were not saved
    blogs: dict[str, BlogImport] = field(default_factory=dict)
    damaged: list[str] = field(default_factory=list)  # where files could not be read past
    rebuilt: list[str] = field(default_factory=list)  # blogs put in capture order again
    error: ArchiveError | None = None  # the archive failed: the run ended there

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


@dataclass
class Record:
    number: int  # 1 for a stream's first record
    offset: int  # where it began, in bytes of the (uncompressed) stream
    headers: dict[str, str]  # WARC headers, names in lower case (the first of a repeat)
    length: int  # its Content-Length
    content: bytes | None = None  # read when wanted and within the cap

    @property
    def kind(self) -> str | None:
        return self.headers.get("warc-type")


class _Counted:
    """A binary stream and how many bytes have been read from it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.position = 0

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.position += len(data)
        return data

    def readline(self, limit: int) -> bytes:
        line = self.stream.readline(limit)
        self.position += len(line)
        return line


def records(stream: IO[bytes], *, cap: int = MAX_BYTES) -> Iterator[Record]:
    """The WARC records of an uncompressed stream, each with its content when it is a kind
    liveblog reads and at most `cap` bytes. Raises DamagedRecord (with where) for what
    cannot be read past: a record cut short, headers past their caps, no next record within
    GARBAGE bytes."""
    source = _Counted(stream)
    number = 0
    while True:
        start = _next_record(source, first=number == 0)
        if start is None:
            return
        number += 1
        offset = source.position - len(start)
        headers = _header_block(source, offset)
        try:
            length = int(headers.get("content-length", ""))
            if length < 0:
                raise ValueError
        except ValueError:
            raise DamagedRecord(
                f"record {number} (byte {offset}) has no Content-Length it can be read by"
            ) from None
        record = Record(number, offset, headers, length)
        if length > SKIP_LIMIT:
            raise DamagedRecord(
                f"record {number} (byte {offset}) says it holds {length} bytes: not read past"
            )
        if record.kind in WANTED and length <= cap:
            record.content = source.read(length)
            got = len(record.content)
        else:
            got = _discard(source, length)
        if got < length:
            raise DamagedRecord(
                f"the stream ends inside record {number} (byte {offset}): {got} of its "
                f"{length} bytes"
            )
        yield record


def _next_record(source: _Counted, *, first: bool) -> bytes | None:
    """The first line of the next record (`WARC/1.x`), past the blank lines that end the
    last one; None at the end of the stream. Anything else between two records is skipped
    for GARBAGE bytes at most; before the first, it is not a WARC at all."""
    skipped = 0
    while True:
        line = source.readline(HEADER_LINE)
        if not line:
            return None
        if line.startswith(b"WARC/"):
            return line
        if line.strip(b"\r\n"):
            if first:
                raise DamagedRecord("it does not begin with a WARC record")
            skipped += len(line)
            if skipped > GARBAGE:
                raise DamagedRecord(
                    f"no WARC record in the {skipped} bytes before byte {source.position}"
                )


def _header_block(source: _Counted, offset: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    size = 0
    for _ in range(HEADER_LINES):
        line = source.readline(HEADER_LINE)
        size += len(line)
        if not line:
            raise DamagedRecord(
                f"the stream ends inside the headers of the record at byte {offset}"
            )
        if not line.endswith(b"\n") or size > HEADER_BLOCK:
            raise DamagedRecord(f"the record at byte {offset} has headers too long to be WARC")
        text = line.decode("utf-8", "replace").strip()
        if not text:
            return headers
        name, colon, value = text.partition(":")
        if colon:
            headers.setdefault(name.strip().lower(), value.strip())
    raise DamagedRecord(f"the record at byte {offset} has more than {HEADER_LINES} header lines")


def _discard(source: _Counted, length: int) -> int:
    left = length
    while left:
        data = source.read(min(CHUNK, left))
        if not data:
            break
        left -= len(data)
    return length - left


# --- HTTP inside a response record -------------------------------------------------------------


@dataclass
class _Http:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    payload: bytes


def _http(content: bytes) -> _Http | str:
    """A response record's HTTP message, or why it cannot be read (a plain reason)."""
    end = content.find(b"\r\n\r\n", 0, HEADER_BLOCK)
    gap = 4
    if end < 0:
        end, gap = content.find(b"\n\n", 0, HEADER_BLOCK), 2
    if end < 0:
        return "response without HTTP headers"
    lines = content[:end].decode("latin-1").splitlines()
    version, _, rest = lines[0].strip().partition(" ")
    code, _, reason = rest.strip().partition(" ")
    if not version.upper().startswith("HTTP/") or not (code.isascii() and code.isdigit()):
        return "HTTP status line that cannot be read"
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip():
            headers.append((name.strip(), value.strip()))
    return _Http(int(code), reason.strip(), version, headers, content[end + gap :])


# --- files --------------------------------------------------------------------------------------


def _streams(path: Path, stack: ExitStack) -> Iterator[tuple[str, IO[bytes]]]:
    """(name, uncompressed stream) of each WARC in a file: itself, or the WARCs inside a
    WACZ (a zip), each member read once, in order."""
    if zipfile.is_zipfile(path):
        wacz = stack.enter_context(zipfile.ZipFile(path))
        members = [
            n
            for n in wacz.namelist()
            if n.startswith("archive/") and n.endswith((".warc", ".warc.gz"))
        ]
        if not members:
            raise NotAWebArchive(f"{path}: a zip without WARC files (not a WACZ)")
        for name in members:
            with wacz.open(name) as member:
                yield f"{path}!{name}", _uncompressed(member)
        return
    with path.open("rb") as raw:
        yield str(path), _uncompressed(raw)


def _uncompressed(stream: IO[bytes]) -> IO[bytes]:
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]
    return stream


def import_files(
    archive: Archive,
    paths: list[Path],
    *,
    on_capture: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import web archives: each live-blog capture saved as it is read, any order.

    `on_capture(done, total)` hears the records read so far (total unknown: 0)."""
    report = ImportReport()
    for path in paths:
        read_before = report.records
        with ExitStack() as stack:
            try:
                for name, stream in _streams(path, stack):
                    _import_stream(archive, name, stream, report, on_capture)
                    if report.error is not None:
                        return report
            except DamagedRecord as exc:
                if report.records == read_before:
                    raise NotAWebArchive(f"{path}: not a WARC or WACZ file ({exc})") from None
                report.damaged.append(f"{exc.where}: {exc}")
            except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
                if report.records == read_before:
                    raise NotAWebArchive(
                        f"{path}: not a WARC or WACZ file ({_plain(exc)})"
                    ) from None
                read = report.records - read_before
                report.damaged.append(f"{path}: unreadable after record {read} ({_plain(exc)})")
    # Captures older than what the archive held of their blog were kept as pages only: each
    # such blog is derived again from all its pages in capture order, once.
    from liveblog_cli.reparse import rebuild_stale

    report.rebuilt = rebuild_stale(archive)
    return report


def _import_stream(
    archive: Archive,
    name: str,
    stream: IO[bytes],
    report: ImportReport,
    on_capture: Callable[[int, int], None] | None,
) -> None:
    reading = records(stream)
    while True:
        try:
            record = next(reading)
        except StopIteration:
            return
        except DamagedRecord as exc:
            exc.where = name
            raise
        except (OSError, EOFError, zlib.error) as exc:
            raise DamagedRecord(
                f"unreadable after record {report.records} ({_plain(exc)})", where=name
            ) from None
        report.records += 1
        if on_capture:
            on_capture(report.records, 0)
        why = _save_capture(archive, record, report)
        if why:
            report.skip(why)
        if report.error is not None:
            return


def _save_capture(archive: Archive, record: Record, report: ImportReport) -> str | None:
    """Save one record if it is a live-blog capture; why not otherwise."""
    kind = record.kind
    if kind is None:
        return "record without a WARC-Type"
    if kind == "revisit":
        return "revisit"
    if kind not in WANTED:
        return f"{kind} record"
    if record.content is None:
        return "payload larger than the byte cap"
    date = parse_iso(record.headers.get("warc-date"))
    if date is None:
        return "no WARC-Date"
    if not EARLIEST <= date <= datetime.now(UTC) + timedelta(days=1):
        return "WARC-Date outside 1991 to now"
    target = Address.of(record.headers.get("warc-target-uri", ""))
    url = target.shown or None
    exchanges: list[Exchange] = []
    charset_from = record.headers.get("content-type", "")
    raw = record.content
    encodings = ""
    if kind == "response":
        http = _http(record.content)
        if isinstance(http, str):
            return http
        if not 200 <= http.status < 300:
            return f"HTTP {http.status} response"
        headers = http.headers
        names = {k.lower(): v for k, v in headers}
        raw = http.payload
        if "chunked" in names.get("transfer-encoding", "").lower():
            import io

            from warcio.bufferedreaders import ChunkedDataReader

            raw = ChunkedDataReader(io.BytesIO(raw)).read(MAX_BYTES + 1)
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        encodings = names.get("content-encoding", "")
        charset_from = names.get("content-type") or charset_from
        exchanges.append(
            Exchange(
                url=url or "",
                method="GET",
                request_headers=[],
                status=http.status,
                reason=http.reason,
                http_version=http.version,
                response_headers=headers,
                payload=raw,
                at=date,
            )
        )
    from liveblog_cli.errors import FetchError
    from liveblog_cli.fetch import decode_body
    from liveblog_cli.parse import page_url_for, parse_page

    try:
        body = decode_body(raw, encodings, MAX_BYTES, url or "record")
    except FetchError:
        return "payload that cannot be unpacked within the byte cap"
    digest = hashlib.sha256(body).hexdigest()
    if archive.has_capture(url, iso_z(date), digest):
        return "capture already imported"
    charset = _charset(charset_from)
    page_url = page_url_for(url) if url else None
    try:
        blog = parse_page(body, page_url, charset=charset)
    except ParseError:
        return "not a live blog page"
    walk = WalkSave(blog.id, cause="import", kind="import")
    info = FetchInfo(
        url=url,
        status=exchanges[0].status if exchanges else None,
        kind="import",
        page_url=page_url,
        charset=charset,
        body=body,
        at=date,
        exchanges=exchanges,
    )
    try:
        archive.save_page(walk, blog, info, last=True, complete=blog.complete, now=date)
    except ArchiveError as exc:
        report.error = exc
        return None
    _count(report, blog.id, walk.report, date)
    return None


def _count(report: ImportReport, blog_id: str, saved: SaveReport, date: datetime) -> None:
    report.pages += 1
    done = report.blogs.setdefault(blog_id, BlogImport(blog_id))
    done.captures += 1
    stamp = iso_z(date)
    done.first = min(done.first or stamp, stamp)
    done.last = max(done.last or stamp, stamp)
    if done.report is None:
        done.report = saved
        return
    for name in ("new", "updated", "deleted", "restored", "rewritten"):
        getattr(done.report, name).extend(getattr(saved, name))
    done.report.unchanged += saved.unchanged
    done.report.total = saved.total
    done.report.late = done.report.late or saved.late


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _plain(exc: BaseException) -> str:
    """An exception in a few plain words."""
    text = " ".join(str(exc).split())
    return text[:80] or type(exc).__name__


__all__ = ["ImportReport", "Record", "import_files", "records"]
