"""Web archives out: every fetch as WARC records (ISO 28500, written with warcio), and
WACZ around them (the `wacz` package). (In: warc_in.py.)

`warcinfo`, then per exchange in time order a `request` and a `response`, WARC-Date the time
of the fetch; pages kept before exchanges were recorded export as `response` records with the
headers that were recorded, files saved with `parse --save` as `resource` records.

A 304 Not Modified is a `revisit` (profile server-not-modified) with no record block, naming
the capture it confirmed (WARC-Refers-To, -Target-URI, -Date, and that capture's
WARC-Payload-Digest, which WARC 1.1 defines as this profile's payload): replay tools then
show the page it confirmed at the time of the poll. The 304's own status line and headers
follow in a `metadata` record (application/warc-fields, which replay indexes leave out).
The block is left empty because replay tools take a revisit's HTTP headers as the answer
to replay: pywb replays a revisit that carries a 304 as a 304, an empty page.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from liveblog_cli import __version__
from liveblog_cli.archive import Archive
from liveblog_cli.errors import LiveblogError, MissingExtra
from liveblog_cli.untrusted import json_inert, stripped

SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Hop-by-hop framing that does not describe the payload as it is kept (already de-chunked).
_FRAMING = frozenset({"transfer-encoding"})


# --- out --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Capture:
    """A record that replays with a page: what a revisit refers to."""

    record_id: str
    date: str
    digest: str


@dataclass
class _Written:
    blog_ids: tuple[str, ...] = ()
    records: int = 0
    # url -> the newest record that replays with a page (a 2xx response, a resource, or a
    # revisit of one): where a WACZ's pages list opens it.
    newest: dict[str, str] = field(default_factory=dict)


def _date(value: str | None) -> str:
    """A stored time as WARC-Date (UTC, `Z`, fractions of a second kept where recorded)."""
    if not value:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value if value.endswith("Z") else value + "Z"


def _guess_type(body: bytes) -> str:
    head = body.lstrip()[:1]
    return "application/json" if head in (b"{", b"[") else "text/html"


def _field(value: str) -> str:
    """A value fit for one application/warc-fields line (a header read from a WARC someone
    else wrote may hold anything)."""
    return " ".join(value.split())


def write_warc(
    archive: Archive, blog_ids: list[str], out: IO[bytes], *, compress: bool = True
) -> int:
    """Every capture of these blogs as one WARC 1.1, each record gzip-compressed unless not
    `compress` (a file named .warc); returns the number of records written (warcinfo
    included)."""
    return _write(archive, blog_ids, out, compress=compress).records


def _write(archive: Archive, blog_ids: list[str], out: IO[bytes], *, compress: bool) -> _Written:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=compress, warc_version="WARC/1.1")
    info = {
        "software": f"liveblog/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "Live blogs archived by liveblog: every fetch, request and response.",
        "blogs": ", ".join(blog_ids),
    }
    writer.write_record(writer.create_warcinfo_record("liveblog.warc.gz", info))
    written = _Written(blog_ids=tuple(blog_ids), records=1)
    last: dict[str, _Capture] = {}  # url -> its newest capture with a page, so far

    def keep(record: Any, url: str, date: str) -> None:
        """A record that replays with a page: the one a later 304 of its URL confirms."""
        last[url] = _Capture(
            record.rec_headers.get_header("WARC-Record-ID"),
            date,
            record.rec_headers.get_header("WARC-Payload-Digest") or "",
        )
        written.newest[url] = date

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
            written.records += 1
            keep(record, url, date)
            continue
        headers = [(k, v) for k, v in capture["response_headers"] if k.lower() not in _FRAMING]
        protocol = capture["http_version"] or "HTTP/1.1"
        status_line = f"{capture['status']} {capture['reason'] or ''}".strip()
        http = StatusAndHeaders(status_line, headers, protocol=protocol)
        payload = capture["payload"] or b""
        notes = None  # the 304 itself, beside its revisit
        if capture["status"] == 304:
            warc_headers = {"WARC-Date": date, "WARC-Profile": SERVER_NOT_MODIFIED}
            confirmed = last.get(url)
            if confirmed is not None:
                warc_headers.update(
                    {
                        "WARC-Refers-To": confirmed.record_id,
                        "WARC-Refers-To-Target-URI": url,
                        "WARC-Refers-To-Date": confirmed.date,
                    }
                )
                if confirmed.digest:
                    warc_headers["WARC-Payload-Digest"] = confirmed.digest
            record = writer.create_warc_record(url, "revisit", warc_headers_dict=warc_headers)
            record.content_type = None  # no block, nothing to type
            lines = [f"http-status-line: {_field(f'{protocol} {status_line}')}"]
            lines += [f"http-header: {_field(f'{k}: {v}')}" for k, v in headers]
            block = ("\r\n".join(lines) + "\r\n").encode("utf-8")
            notes = writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(block),
                length=len(block),
                warc_content_type="application/warc-fields",
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
                },
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
            written.records += 1
        writer.write_record(record)
        written.records += 1
        if notes is not None:
            writer.write_record(notes)
            written.records += 1
            if url in last:
                written.newest[url] = date  # the revisit replays the page it confirmed
        elif 200 <= capture["status"] < 300:
            keep(record, url, date)
    return written


def write_wacz(archive: Archive, blog_ids: list[str], out: IO[bytes]) -> int:
    """A WACZ (zipped WARC with its CDXJ index, pages list and datapackage) of these blogs,
    made by the `wacz` package from the WARC liveblog writes, copied to `out` as it is read
    (never whole in memory); returns the records written."""
    try:
        from wacz.main import main as wacz_main
    except ImportError:
        raise MissingExtra(
            "WACZ export needs the wacz package: pip install wacz (or, in liveblog's checkout, "
            "pip install -e '.[wacz]')"
        ) from None
    import contextlib
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="liveblog-wacz-") as tmp:
        warc = Path(tmp) / "liveblog.warc.gz"
        with warc.open("wb") as records:
            written = _write(archive, blog_ids, records, compress=True)
        pages = Path(tmp) / "pages.jsonl"
        lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Live blogs"})]
        lines += [json_inert(json.dumps(p, ensure_ascii=False)) for p in _pages(archive, written)]
        pages.write_text("\n".join(lines) + "\n", encoding="utf-8")
        made = Path(tmp) / "out.wacz"
        chatter = io.StringIO()
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            code = wacz_main(["create", "-o", str(made), str(warc), "--pages", str(pages)])
        if code not in (0, None) or not made.exists():
            raise LiveblogError(f"wacz could not be made: {chatter.getvalue().strip()[-200:]}")
        with made.open("rb") as zipped:
            shutil.copyfileobj(zipped, out, 1 << 20)
    return written.records


def _pages(archive: Archive, written: _Written) -> list[dict[str, str]]:
    """One page a blog for a WACZ's pages list: the first address the archive offers for its
    front page (its canonical URL, the page people read, the address asked) that the WARC
    replays, at its newest capture, with the blog's title. (The `wacz` tool drops a page no
    record has, so a name the WARC lacks would cost the blog its entry.)"""
    pages = []
    for blog in archive.page_list(list(written.blog_ids)):
        url = next((u for u in blog["urls"] if u in written.newest), None)
        if url is None:
            continue
        title = " ".join(stripped(blog["title"] or "").split()) or blog["blog_id"]
        pages.append({"url": url, "ts": written.newest[url], "title": title})
    return pages


__all__ = ["write_wacz", "write_warc"]
