"""Web archives out: every fetch as WARC records (ISO 28500, written with warcio), and
WACZ around them (the `wacz` package). (In: warc_in.py.)

`warcinfo`, then per exchange in time order a `request` and a `response` (a `revisit` for
a 304), WARC-Date the time of the fetch; pages kept before exchanges were recorded export as
`response` records with the headers that were recorded, files saved with `parse --save` as
`resource` records.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from liveblog_cli import __version__
from liveblog_cli.archive import Archive
from liveblog_cli.errors import LiveblogError, MissingExtra

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


def write_warc(
    archive: Archive, blog_ids: list[str], out: IO[bytes], *, compress: bool = True
) -> int:
    """Every capture of these blogs as one WARC 1.1, each record gzip-compressed unless not
    `compress` (a file named .warc); returns the number of records written (warcinfo
    included)."""
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
            "WACZ export needs the wacz package: pip install wacz (or, in liveblog's checkout, "
            "pip install -e '.[wacz]')"
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


__all__ = ["write_wacz", "write_warc"]
