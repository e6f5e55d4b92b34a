"""Web archives in and out: every fetch as WARC records (ISO 28500, written with warcio),
WACZ around them (the `wacz` package), and imports of WARC/WACZ captures into per-post
history.

Out: `warcinfo`, then per exchange in time order a `request` and a `response` (a
`revisit` for a 304), WARC-Date the time of the fetch; pages kept before exchanges were
recorded export as `response` records with the headers that were recorded, files saved with
`parse --save` as `resource` records. In: every `response` or `resource` record whose
payload is a live blog page (any format `parse` reads) is parsed and saved in capture order,
seen at its WARC-Date, through the same save path as a fetch (cause `import`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from liveblog_cli import __version__
from liveblog_cli.archive import Archive, FetchInfo, SaveReport, WalkSave
from liveblog_cli.bounds import MAX_BYTES
from liveblog_cli.errors import LiveblogError, MissingExtra, NotAWebArchive, ParseError
from liveblog_cli.exchange import Exchange
from liveblog_cli.model import parse_iso

SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Hop-by-hop framing that does not describe the payload as it is kept (already de-chunked).
_FRAMING = frozenset({"transfer-encoding"})


# --- out --------------------------------------------------------------------------------------


def _date(value: str | None) -> str:
    """A stored time as WARC-Date (UTC, `Z`, fractions of a second kept where recorded)."""
    if not value:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value if value.endswith("Z") else value + "Z"


def _guess_type(body: bytes) -> str:
    head = body.lstrip()[:1]
    return "application/json" if head in (b"{", b"[") else "text/html"


def write_warc(archive: Archive, blog_ids: list[str], out: IO[bytes]) -> int:
    """Every capture of these blogs as one gzip-compressed WARC 1.1; returns the number of
    records written (warcinfo included)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    info = {
        "software": f"liveblog/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "Live blogs archived by liveblog: every fetch, request and response.",
        "blogs": ", ".join(blog_ids),
    }
    writer.write_record(writer.create_warcinfo_record("liveblog.warc.gz", info))
    count = 1
    last_response: dict[str, tuple[str, str]] = {}  # url -> (WARC-Date, payload digest)
    for capture in archive.captures(blog_ids):
        date = _date(capture["at"])
        url = capture["url"]
        kind = capture["kind"]
        if kind == "resource":
            body = capture["payload"]
            record = writer.create_warc_record(
                url,
                "resource",
                payload=io.BytesIO(body),
                length=len(body),
                warc_content_type=_guess_type(body),
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)
            count += 1
            continue
        headers = [(k, v) for k, v in capture["response_headers"] if k.lower() not in _FRAMING]
        protocol = capture["http_version"] or "HTTP/1.1"
        status_line = f"{capture['status']} {capture['reason'] or ''}".strip()
        http = StatusAndHeaders(status_line, headers, protocol=protocol)
        payload = capture["payload"] or b""
        if capture["status"] == 304:
            warc_headers = {"WARC-Date": date, "WARC-Profile": SERVER_NOT_MODIFIED}
            if url in last_response:
                warc_headers["WARC-Refers-To-Target-URI"] = url
                warc_headers["WARC-Refers-To-Date"] = last_response[url][0]
            record = writer.create_warc_record(
                url, "revisit", http_headers=http, warc_headers_dict=warc_headers
            )
        else:
            if any(k.lower() == "content-length" for k, _ in headers):
                http.replace_header("Content-Length", str(len(payload)))
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(payload),
                length=len(payload),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
        if capture["request_headers"] is not None:
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request = writer.create_warc_record(
                url,
                "request",
                http_headers=StatusAndHeaders(
                    f"{capture['method']} {target} {protocol}",
                    capture["request_headers"],
                    is_http_request=True,
                ),
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            writer.write_record(request)
            count += 1
        writer.write_record(record)
        count += 1
        if record.rec_type == "response" and 200 <= capture["status"] < 300:
            digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
            last_response[url] = (date, digest)
    return count


def write_wacz(archive: Archive, blog_ids: list[str], out: IO[bytes]) -> int:
    """A WACZ (zipped WARC with its CDXJ index, pages list and datapackage) of these blogs,
    made by the `wacz` package from the WARC liveblog writes, copied to `out` as it is read
    (never whole in memory); returns the records written."""
    try:
        from wacz.main import main as wacz_main
    except ImportError:
        raise MissingExtra(
            "WACZ export needs the wacz package: pip install 'liveblog-cli[wacz]'"
        ) from None
    import contextlib
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="liveblog-wacz-") as tmp:
        warc = Path(tmp) / "liveblog.warc.gz"
        with warc.open("wb") as records:
            count = write_warc(archive, blog_ids, records)
        pages = Path(tmp) / "pages.jsonl"
        lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Live blogs"})]
        for page in archive.page_list(blog_ids):
            lines.append(json.dumps(page, ensure_ascii=False))
        pages.write_text("\n".join(lines) + "\n", encoding="utf-8")
        made = Path(tmp) / "out.wacz"
        chatter = io.StringIO()
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            code = wacz_main(["create", "-o", str(made), str(warc), "--pages", str(pages)])
        if code not in (0, None) or not made.exists():
            raise LiveblogError(f"wacz could not be made: {chatter.getvalue().strip()[-200:]}")
        with made.open("rb") as zipped:
            shutil.copyfileobj(zipped, out, 1 << 20)
    return count


# --- in ---------------------------------------------------------------------------------------


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
    damaged: list[str] = field(default_factory=list)  # files whose end could not be read

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


@dataclass(order=True)
class _Entry:
    date: datetime
    order: int
    opener: Callable[[], Any] = field(compare=False)  # its file's (or WACZ member's) stream
    offset: int = field(compare=False)


def _sources(path: Path) -> Iterator[Callable[[], Any]]:
    """Openers of the WARC streams in a file: itself, or the WARCs inside a WACZ (a zip)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wacz:
            members = [
                n
                for n in wacz.namelist()
                if n.startswith("archive/") and n.endswith((".warc", ".warc.gz"))
            ]
        if not members:
            raise NotAWebArchive(f"{path}: a zip without WARC files (not a WACZ)")
        for name in members:
            yield functools.partial(_member, path, name)
    else:
        yield functools.partial(path.open, "rb")


@contextmanager
def _member(path: Path, name: str) -> Iterator[IO[bytes]]:
    with zipfile.ZipFile(path) as wacz, wacz.open(name) as stream:
        yield stream


def import_files(
    archive: Archive,
    paths: list[Path],
    *,
    on_capture: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import web archives: their live-blog captures saved in capture order (across files)."""
    from warcio.archiveiterator import ArchiveIterator

    report = ImportReport()
    entries: list[_Entry] = []
    for path in paths:
        found = 0
        try:
            for opener in _sources(path):
                with opener() as stream:
                    records = ArchiveIterator(stream)
                    for record in records:
                        report.records += 1
                        found += 1
                        why = _unwanted(record)
                        if why:
                            report.skip(why)
                            continue
                        date = parse_iso(record.rec_headers.get_header("WARC-Date"))
                        if date is None:
                            report.skip("no WARC-Date")
                            continue
                        offset = records.get_record_offset()
                        entries.append(_Entry(date, len(entries), opener, offset))
        except NotAWebArchive:
            raise
        except Exception as exc:  # warcio reports damage with many exception types
            if not found:
                raise NotAWebArchive(f"{path}: not a WARC or WACZ file ({_plain(exc)})") from None
            report.damaged.append(f"{path}: unreadable after {found} records ({_plain(exc)})")
    entries.sort()
    seen_payloads: set[str] = set()
    for n, entry in enumerate(entries):
        if on_capture:
            on_capture(n + 1, len(entries))
        _import_one(archive, entry, report, seen_payloads)
    # Captures older than what the archive held of their blog were kept as pages only: each
    # such blog is derived again from all its pages in capture order, once.
    from liveblog_cli.reparse import rebuild_stale

    rebuild_stale(archive)
    return report


def _unwanted(record: Any) -> str | None:
    """Why a record is not a capture worth parsing, or None."""
    kind = record.rec_type
    if kind == "revisit":
        return "revisit"
    if kind not in ("response", "resource"):
        return f"{kind} record"
    if kind == "response":
        http = record.http_headers
        if http is None:
            return "response without HTTP headers"
        status = http.get_statuscode()
        if not status.startswith("2"):
            return f"HTTP {status} response"
    return None


def _import_one(archive: Archive, entry: _Entry, report: ImportReport, seen: set[str]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from liveblog_cli.errors import FetchError
    from liveblog_cli.fetch import decode_body
    from liveblog_cli.parse import page_url_for, parse_page

    with entry.opener() as stream:
        stream.seek(entry.offset)
        record = next(iter(ArchiveIterator(stream)))
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        # The payload as kept (Content-Encoding still applied), read within the byte cap.
        raw = record.raw_stream.read(MAX_BYTES + 1)
        http = record.http_headers if record.rec_type == "response" else None
    if len(raw) > MAX_BYTES:
        report.skip("payload larger than the byte cap")
        return
    headers = list(http.headers) if http is not None else []
    names = {k.lower(): v for k, v in headers}
    if "chunked" in names.get("transfer-encoding", "").lower():
        from warcio.bufferedreaders import ChunkedDataReader

        raw = ChunkedDataReader(io.BytesIO(raw)).read(MAX_BYTES + 1)
        headers = [(k, v) for k, v in headers if k.lower() not in _FRAMING]
    try:
        body = decode_body(raw, names.get("content-encoding", ""), MAX_BYTES, url or "record")
    except FetchError:
        report.skip("payload that cannot be unpacked within the byte cap")
        return
    content_type = names.get("content-type") or record.rec_headers.get_header("Content-Type") or ""
    digest = hashlib.sha256(body).hexdigest()
    if digest in seen or archive.has_snapshot(digest):
        report.skip("duplicate payload")
        return
    seen.add(digest)
    charset = None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    page_url = page_url_for(url) if url else None
    try:
        blog = parse_page(body, page_url, charset=charset)
    except ParseError:
        report.skip("not a live blog page")
        return
    exchanges = []
    if http is not None:
        exchanges.append(
            Exchange(
                url=url,
                method="GET",
                request_headers=[],
                status=int(http.get_statuscode() or 200),
                reason=http.statusline.split(" ", 1)[1] if " " in http.statusline else "",
                http_version=http.protocol or "HTTP/1.1",
                response_headers=headers,
                payload=raw,
                at=entry.date,
            )
        )
    walk = WalkSave(blog.id, cause="import", kind="import")
    info = FetchInfo(
        url=url or None,
        status=exchanges[0].status if exchanges else None,
        kind="import",
        page_url=page_url,
        charset=charset,
        body=body,
        at=entry.date,
        exchanges=exchanges,
    )
    archive.save_page(walk, blog, info, last=True, complete=blog.complete, now=entry.date)
    report.pages += 1
    done = report.blogs.setdefault(blog.id, BlogImport(blog.id))
    done.captures += 1
    stamp = entry.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    done.first = done.first or stamp
    done.last = stamp
    if done.report is None:
        done.report = walk.report
    else:
        for name in ("new", "updated", "deleted", "restored", "rewritten"):
            getattr(done.report, name).extend(getattr(walk.report, name))
        done.report.unchanged += walk.report.unchanged
        done.report.total = walk.report.total


def _plain(exc: BaseException) -> str:
    """An exception in a few plain words (warcio quotes the bytes it could not read)."""
    text = " ".join(str(exc).split()).split(", first line:")[0]
    return text[:80] or type(exc).__name__


__all__ = ["ImportReport", "NotAWebArchive", "import_files", "write_wacz", "write_warc"]
