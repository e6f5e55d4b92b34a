"""What a publisher module declares: how to recognise its bytes and read them, and, for
publishers with an address of their own, how to recognise their URLs and what to ask for.
A publisher whose pages the structured-data reader reads (JSON-LD, microdata) declares
instead what its rendered posts add to that reading (`enrich`).

The registry (`parse/__init__.py`) lists one `Source` per line; `parse_page` tries them in
that order within the kind of input they read, `plan()` asks them how to fetch a URL, and a
structured read goes through their enrichers in that order too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from liveblog_cli.model import LiveBlog
from liveblog_cli.parse.page import Doc

Kind = Literal["json", "text", "html"]


@dataclass(frozen=True)
class Reach:
    """What the user told us about where publishers live (mirrors, keys, test servers)."""

    guardian_hosts: tuple[str, ...] = ("theguardian.com",)
    guardian_api_key: str | None = None
    guardian_api: str = "https://content.guardianapis.com"

    @classmethod
    def from_env(cls, guardian_api_key: str | None = None) -> Reach:
        """The reach the environment describes: LIVEBLOG_GUARDIAN_HOSTS adds Guardian hosts
        (mirrors, and the local servers of `make demo` and the tests: `127.0.0.1`), comma
        separated; LIVEBLOG_GUARDIAN_API points the Guardian's Content API elsewhere."""
        import os

        default = cls()
        extra = os.environ.get("LIVEBLOG_GUARDIAN_HOSTS", "")
        hosts = default.guardian_hosts + tuple(h.strip() for h in extra.split(",") if h.strip())
        api = (
            os.environ.get("LIVEBLOG_GUARDIAN_API", "").strip().rstrip("/") or default.guardian_api
        )
        return cls(
            guardian_hosts=hosts, guardian_api_key=guardian_api_key or None, guardian_api=api
        )

    def guardian_aliases(self) -> tuple[str, ...]:
        """Every host the Guardian speaks from: its sites, the mirrors the user named, and
        the Content API's host (an API answer names the blog by its Guardian URL)."""
        try:
            api = urlsplit(self.guardian_api).hostname
        except ValueError:  # an address that names no host: no host to add
            api = None
        return self.guardian_hosts + ((api,) if api else ())


def rebase(link: str, fetched: str) -> str:
    """A page link moved onto the host we fetched from.

    Pages name their canonical host; a blog fetched from a mirror (or a test server) must
    keep walking the mirror, never jump to a host the user did not ask for.
    """
    target = urlsplit(urljoin(fetched, link))
    origin = urlsplit(fetched)
    return urlunsplit((origin.scheme, origin.netloc, target.path, target.query, ""))


def _same(address: str) -> str:
    return address


@dataclass(frozen=True)
class Plan:
    """How to fetch one blog: the addresses to ask for its first page (best first; the
    others are fallbacks when one fails), how an older-page link becomes an address, and
    which URL names the blog behind an address."""

    addresses: tuple[str, ...]
    older: Callable[[str, str], str] = rebase  # (link on the page, address that gave it)
    page_url: Callable[[str], str] = _same
    # Secrets in an address (an API key) that must never be stored or printed.
    secret: bool = False


# What a publisher's rendered posts add to a blog read from the page's structured data:
# (the page's HTML root, the blog) -> the blog enriched, or None when the page is not one
# of the publisher's.
Enrich = Callable[[Any, LiveBlog], LiveBlog | None]


def _claims_no_page(doc: Doc) -> bool:
    return False


def _reads_no_page(doc: Doc) -> LiveBlog:
    raise AssertionError("a source that claims no page is never asked to read one")


@dataclass(frozen=True)
class Source:
    """One format a publisher serves, and (optionally) that publisher's URL rules.

    A source either reads pages (`sniff`, `read`) or enriches what the structured-data
    reader read (`enrich`); one that only enriches claims no page of its own.
    """

    name: str  # the `source_format` its blogs carry
    reads: Kind  # the kind of input: JSON, scraped text, or an HTML tree
    sniff: Callable[[Doc], bool] = _claims_no_page
    read: Callable[[Doc], LiveBlog] = _reads_no_page
    # URLs this publisher answers differently from "GET the page": a Plan, or None.
    plan: Callable[[str, Reach], Plan | None] | None = field(default=None)
    # Its blogs go on through the registry's enrichers (`rendered.enrich`): a blog read
    # from a page's structured data, which the rendered posts may complete.
    enriched: bool = False
    enrich: Enrich | None = None
    # The hosts its publisher serves its pages from, given the reach: host names (any port;
    # their subdomains too), aliases of one another. A page from one of them may name itself
    # by another (a bbc.co.uk page whose canonical link is on bbc.com); any other page is
    # named by where it came from (parse/identity.py).
    hosts: Callable[[Reach], tuple[str, ...]] | None = None
    # A faster reading of a JSON page, tried before any reader sees its decoded value: bytes
    # the page must hold to be tried at all, the msgspec Struct its bytes are decoded into
    # (only the keys it reads, containers typed), and what reads it. That reader gives
    # exactly the blog (language included) the registry's readers would give, or None when
    # it cannot be sure (then they read it); a page the Struct does not fit (a container of
    # another type) is read by them too.
    typed: tuple[bytes, type, Callable[[Any, str | None], LiveBlog | None]] | None = None


__all__ = ["Enrich", "Kind", "Plan", "Reach", "Source", "rebase"]
