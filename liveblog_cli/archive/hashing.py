"""What decides that a post changed: its content hash (everything it says) and its source's
fingerprint (what it was read from, and the code that read it), checked first."""

from __future__ import annotations

import functools
import hashlib
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from liveblog_cli import __version__
from liveblog_cli.model import Block


def _stamp(value: datetime | None) -> str:
    return "" if value is None else repr(value.timestamp())


def content_hash(block: Block) -> str:
    """What identifies one version of a block: everything it says, hashed as one string.

    No JSON encoding on this path: a re-fetch hashes every block it sees, and escaping
    thousands of bodies only to compare them is most of what an unchanged save would cost.
    Fields are joined with U+001E; a missing value is U+001F, so None and "" differ.
    """
    none = "\x1f"
    parts = [
        block.id,
        block.title if block.title is not None else none,
        _stamp(block.created_at),
        _stamp(block.published_at),
        _stamp(block.updated_at),
        "k" if block.key_event else "-",
        "p" if block.pinned else "-",
        "s" if block.summary else "-",
        str(len(block.authors)),
        *block.authors,
        block.text,
        block.html if block.html is not None else none,
        str(len(block.elements)),
    ]
    for e in block.elements:
        parts += [
            e.kind,
            e.text if e.text is not None else none,
            e.html if e.html is not None else none,
            e.url if e.url is not None else none,
            e.caption if e.caption is not None else none,
            e.credit if e.credit is not None else none,
            e.alt if e.alt is not None else none,
            repr(e.extra) if e.extra else "",
        ]
    # Sixteen hex digits: enough to tell one version of a post from the next.
    digest = hashlib.sha256("\x1e".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def fingerprint(block: Block, source_format: str | None, code: bytes | None = None) -> bytes | None:
    """What a post was read from, hashed, or None where its parser did not say (`source`).

    A post whose fingerprint is the one its row holds is unchanged, decided before
    `content_hash` reads what it says. That holds because the fingerprint is a hash of all
    the parse depends on: the exact value the parser read the post from (MessagePack, which
    tells every JSON value from every other: NaN from null, 1 from 1.0 from true), its id and
    flags (a page's other lists can set those), the source format (which reader) and the
    code that read it (`reading_code`, given by a caller that fingerprints many posts): a
    new parser reads the same bytes afresh. SHA-256: nobody can make two versions of a post
    agree on it (CRC or xxHash can be forged by whoever writes the page), and with SHA
    extensions it is faster here than BLAKE2b. A value MessagePack cannot hold (a lone
    surrogate, an integer past 64 bits) gives None: the full comparison.
    """
    if block.source is None:
        return None
    try:
        packed = _packer().encode(
            (source_format, block.id, block.key_event, block.pinned, block.summary, block.source)
        )
    except (TypeError, ValueError, OverflowError, RecursionError):
        return None
    # 128 bits, kept as they are (16 bytes a post, in its row and in the state index): two
    # versions of a post agreeing by chance, or by design, is out of reach.
    return hashlib.sha256((code or reading_code()) + packed).digest()[:16]


@functools.cache
def _packer() -> Any:
    import msgspec

    return msgspec.msgpack.Encoder()


def reading_code() -> bytes:
    """The code a post was read with, as a digest of 32 bytes (see `_code`)."""
    return _code("lxml.etree" in sys.modules)


@functools.cache
def _code(lxml: bool) -> bytes:
    """Every module of liveblog (its parsers, the model, the text rules they use), the Python
    and the libraries they run on, and liveblog's version, as one digest: read once a
    process. lxml counts once it is loaded (a page read without it, the Guardian's JSON, is
    read the same by any lxml; one read with it was read after it was loaded)."""
    import msgspec

    digest = hashlib.sha256(
        f"{__version__}\x1f{sys.version}\x1f{sys.implementation.name}\x1f{msgspec.__version__}".encode()
    )
    if lxml:
        from lxml import etree

        digest.update(repr((etree.LXML_VERSION, etree.LIBXML_VERSION)).encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:  # a module that cannot be read: its name and the version vouch for it
            digest.update(b"\0unreadable\0")
    return digest.digest()
