"""How the archive keeps its bytes small.

A post is stored once per revision: its title and text as plain columns (the search index
reads them, the views show them), everything else (times, flags, authors, html, typed
elements) as one zstd-compressed body, with a dictionary trained on the archive's own
posts once it has enough of them. Pages are zstd-compressed, each as a delta against a
reference page of the same blog and address where that is smaller: a poll that changed
one post costs a few hundred bytes, and reading any page takes at most two decompressions
(a reference is never itself a delta).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any

# The block JSON keys a body holds, as two runs around `text` (see model.BLOCK_FIELDS):
# they are spliced back around the title and text without decoding (exports).
HEAD = ("created_at", "published_at", "updated_at", "key_event", "pinned", "summary", "authors")
TAIL = ("html", "elements")
SEP = b"\x00"  # never inside JSON text (a NUL is written \u0000)
LEVEL = 3
DICTIONARY_SIZE = 16 * 1024
TRAIN_AFTER = 200  # posts saved in one go before a dictionary is trained from them
REFERENCE_RATIO = 8  # a delta larger than 1/8 of its page: store it whole, as a new reference
PAGE_LIMIT = 1 << 31  # no page liveblog keeps is near this: a larger one is a damaged row
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


# What a key holds when a stored block lacks it (a revision written by an early version).
_EMPTY: dict[str, Any] = {"key_event": False, "pinned": False, "summary": False}
_EMPTY |= {"authors": [], "elements": []}


def _fragment(data: dict[str, Any], keys: tuple[str, ...]) -> bytes:
    fields = {k: data[k] if k in data else _EMPTY.get(k) for k in keys}
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")[1:-1]


def body_of(data: dict[str, Any]) -> bytes:
    """A block dict's body: its JSON fields but id, title and text, uncompressed."""
    return _fragment(data, HEAD) + SEP + _fragment(data, TAIL)


def parts(body: bytes) -> tuple[bytes, bytes]:
    """The two JSON runs of an uncompressed body (what goes before and after `text`)."""
    head, _, tail = body.partition(SEP)
    return head, tail


def block_dict(block_id: str, title: str | None, text: str | None, body: bytes) -> dict[str, Any]:
    """The block JSON shape from its stored parts."""
    head, tail = parts(body)
    first = json.loads((b"{" + head + b"}").decode("utf-8", "surrogatepass"))
    rest = json.loads((b"{" + tail + b"}").decode("utf-8", "surrogatepass"))
    return {"id": block_id, "title": title, **first, "text": text or "", **rest}


class Packer:
    """Compression for one archive connection: bodies (with the archive's dictionary) and
    pages (zstd, as deltas against a reference page). Decompressors and the current
    references are kept, so a long export or walk decompresses nothing twice."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._dicts: dict[int, Any] = {}
        self._decompressors: dict[int, Any] = {}
        self._compressor: Any = None
        self._pages: dict[str, bytes] = {}  # reference hash -> page bytes (a few, the last)
        self._learns = True  # trains a dictionary of its own (see `adopt`)

    # --- bodies -----------------------------------------------------------------------------

    def _dictionary(self, dict_id: int) -> Any:
        import zstandard as zstd

        if dict_id not in self._dicts:
            row = self.conn.execute(
                "SELECT data FROM dictionaries WHERE id = ?", [dict_id]
            ).fetchone()
            if row is None:
                raise ValueError(f"dictionary {dict_id} is missing from the archive")
            self._dicts[dict_id] = zstd.ZstdCompressionDict(row[0])
        return self._dicts[dict_id]

    def _body_compressor(self) -> Any:
        import zstandard as zstd

        if self._compressor is None:
            row = self.conn.execute(
                "SELECT id FROM dictionaries WHERE kind = 'body' ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
            if row is None:
                self._compressor = zstd.ZstdCompressor(level=LEVEL)
            else:
                self._compressor = zstd.ZstdCompressor(
                    level=LEVEL, dict_data=self._dictionary(row[0])
                )
        return self._compressor

    def dictionary(self) -> tuple[int, bytes] | None:
        """The archive's body dictionary, the one bodies are packed with now: (id, bytes)."""
        row = self.conn.execute(
            "SELECT id, data FROM dictionaries WHERE kind = 'body' ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def adopt(self, dictionary: tuple[int, bytes] | None) -> None:
        """Pack bodies with another archive's dictionary (`dictionary()` of its packer), or
        with none, and never train one: a scratch archive that replays a blog to compare it
        with its archive (reparse) would otherwise learn a dictionary per blog, to be thrown
        away with it."""
        self._learns = False
        if dictionary is not None:
            self.conn.execute(
                "INSERT INTO dictionaries (id, kind, data) VALUES (?, 'body', ?) "
                "ON CONFLICT (id) DO NOTHING",
                [dictionary[0], dictionary[1]],
            )
        self._compressor = None

    def pack(self, body: bytes) -> bytes:
        return self._body_compressor().compress(body)

    def unpack(self, blob: bytes) -> bytes:
        import zstandard as zstd

        return self._decompressor(zstd.get_frame_parameters(blob).dict_id).decompress(blob)

    def unpack_many(self, blobs: list[bytes]) -> list[bytes]:
        """Bodies in bulk (an export): one decompressor a dictionary, kept."""
        import zstandard as zstd

        frame = zstd.get_frame_parameters
        return [self._decompressor(frame(b).dict_id).decompress(b) for b in blobs]

    def _decompressor(self, dict_id: int) -> Any:
        decompressor = self._decompressors.get(dict_id)
        if decompressor is None:
            import zstandard as zstd

            if dict_id:
                decompressor = zstd.ZstdDecompressor(dict_data=self._dictionary(dict_id))
            else:
                decompressor = zstd.ZstdDecompressor()
            self._decompressors[dict_id] = decompressor
        return decompressor

    def train(self, bodies: list[bytes]) -> bool:
        """Train the archive's body dictionary from these (once: the first save with enough
        posts); later bodies compress against it. False when there is not enough to learn
        from, or a dictionary exists."""
        if len(bodies) < TRAIN_AFTER or not self._learns:
            return False
        if self.conn.execute("SELECT 1 FROM dictionaries WHERE kind = 'body'").fetchone():
            return False
        import zstandard as zstd

        try:
            samples: list[bytes | bytearray | memoryview] = list(bodies)
            trained = zstd.train_dictionary(DICTIONARY_SIZE, samples)
        except zstd.ZstdError:
            return False  # too little variety to learn a dictionary from: none is needed
        self.conn.execute(
            "INSERT INTO dictionaries (id, kind, data) VALUES (?, 'body', ?) "
            "ON CONFLICT (id) DO NOTHING",
            [trained.dict_id(), trained.as_bytes()],
        )
        self._compressor = None
        return True

    # --- pages ------------------------------------------------------------------------------

    def remember(self, digest: str, page: bytes) -> None:
        """Keep a reference page at hand: the next poll of its blog is compressed against
        it, and reading its deltas needs it (a few, the latest)."""
        self._pages.pop(digest, None)
        self._pages[digest] = page
        while len(self._pages) > 8:
            self._pages.pop(next(iter(self._pages)))

    def remembered(self, digest: str | None) -> bytes | None:
        return self._pages.get(digest) if digest else None

    def pack_page(self, raw: bytes, reference: tuple[str, bytes] | None) -> tuple[str, bytes]:
        """(codec, stored bytes): a delta against `reference` where that is much smaller
        than the page, else the page whole ("zstd")."""
        import zstandard as zstd

        if reference is not None:
            ref_dict = zstd.ZstdCompressionDict(reference[1], dict_type=zstd.DICT_TYPE_RAWCONTENT)
            delta = zstd.ZstdCompressor(level=LEVEL, dict_data=ref_dict).compress(raw)
            if len(delta) * REFERENCE_RATIO <= len(raw):
                return "zstd-ref", delta
        return "zstd", zstd.ZstdCompressor(level=LEVEL).compress(raw)

    def unpack_page(self, codec: str, stored: bytes, reference: bytes | None) -> bytes:
        page = unpack_page(codec, stored, reference, limit=PAGE_LIMIT)
        if len(page) > PAGE_LIMIT:
            raise ValueError(f"a page stored as {codec!r} holds more than {PAGE_LIMIT} bytes")
        return page


def unpack_page(codec: str | None, stored: bytes, reference: bytes | None, *, limit: int) -> bytes:
    """A kept page's bytes from how it is stored (`zlib`, `zstd`, or `zstd-ref`: a delta
    against the `reference` page's bytes), never more than `limit` + 1 of them: the bytes are
    streamed out and the stream stops there, so a hand-made frame that claims gigabytes costs
    `limit`, not gigabytes. More than `limit` bytes back means the page is larger (the caller
    cuts or refuses). Raises ValueError for what is not a page stored so."""
    import zstandard as zstd

    try:
        if codec == "zlib":
            inflater = zlib.decompressobj()
            return inflater.decompress(stored, limit + 1)
        if codec == "zstd" or (codec is None and stored[:4] == ZSTD_MAGIC):
            reader = zstd.ZstdDecompressor().stream_reader(stored)
        elif codec == "zstd-ref" and reference is not None:
            ref_dict = zstd.ZstdCompressionDict(reference, dict_type=zstd.DICT_TYPE_RAWCONTENT)
            reader = zstd.ZstdDecompressor(dict_data=ref_dict).stream_reader(stored)
        elif codec is None:
            return zlib.decompressobj().decompress(stored, limit + 1)
        else:
            raise ValueError(f"a page stored as {codec!r} cannot be read")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = reader.read(min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except (zlib.error, zstd.ZstdError) as exc:
        raise ValueError(f"a page stored as {codec!r} is damaged ({exc})") from None


__all__ = ["HEAD", "SEP", "TAIL", "Packer", "block_dict", "body_of", "parts", "unpack_page"]
