"""Who may speak for a blog: what a page says about its own URL, weighed against where the
page came from.

A page names itself: its canonical link, its JSON-LD `url`, a Guardian `pageId` or `webURL`.
Any host can serve bytes that name any other, so that word is taken only where it agrees
with where the page came from (the `url` of `parse_page`: on every path the page's own
address: the page behind a fetch's final address, a web archive record's target, `parse
--url`, the stored page URL of a reparse). It agrees when both name one host (case, a
leading `www.` and the default port aside; another port is another host), or when both
are hosts of one publisher, as its `Source` declares them for the `Reach` (the Guardian's
sites and the mirrors the user named; the BBC's two domains).

Where it does not agree, the blog is named by where it came from: its URL is the origin's,
its id the origin's host and path (as `qualified_blog_id` makes ids), and what the page
claimed is kept in `claimed_url`. An id that names a blog on any host (the Guardian's, see
`model.global_ids`) is the origin's to give only when the origin is one of that publisher's
hosts: a page elsewhere that names itself by its own URL still gets a host-qualified id.
Any other id a page with an address is named by carries a host too (a platform's blog id
read from an address with no path is put behind its host), so no two hosts share one. A
page read with no URL of its own is taken at its word: nothing contradicts it.

Only the blog's identity is weighed here; its posts' ids are the page's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from liveblog_cli.model import GLOBAL_ID_HOSTS, LiveBlog, global_ids, host_key, qualified_blog_id

# A publisher as the registry declares it: a source's name (the `source_format` of the
# blogs it reads) and the hosts it serves from.
Publisher = tuple[str, tuple[str, ...]]


def _host_name(url: str | None) -> str | None:
    """A URL's host name as aliases are compared: lower case, no `www.`, no port."""
    if not url or "://" not in url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _within(host: str | None, hosts: Iterable[str]) -> bool:
    """`host` is one of `hosts` or a subdomain of one (as `guardian_dcr.is_guardian` reads
    the Guardian's hosts)."""
    if not host:
        return False
    for alias in hosts:
        alias = alias.strip().lower().removeprefix("www.")
        if alias and (host == alias or host.endswith("." + alias)):
            return True
    return False


def one_publisher(a: str | None, b: str | None, publishers: Sequence[Publisher]) -> bool:
    """Both URLs' hosts are among one publisher's declared hosts."""
    first, second = _host_name(a), _host_name(b)
    return any(_within(first, hosts) and _within(second, hosts) for _, hosts in publishers)


def earns_global_id(origin: str, source_format: str, publishers: Sequence[Publisher]) -> bool:
    """Whether a page from `origin` may give its blog an id that names it on any host: always
    for formats whose ids are host-qualified anyway; for a global format (the Guardian's),
    only from a host of its publisher (a host of the sources that read that format, or one
    of the hosts whose ids are global)."""
    if not global_ids(source_format):
        return True
    host = _host_name(origin)
    return _within(host, GLOBAL_ID_HOSTS) or any(
        _within(host, hosts) for name, hosts in publishers if name == source_format
    )


def origin_id(url: str, source_format: str, publishers: Sequence[Publisher]) -> str:
    """The id a page's origin gives its blog: as `qualified_blog_id` makes it from the
    origin's path (`host/path`; the path alone on a host whose ids are global), a global
    format's exemption held only where the origin earns it."""
    host = host_key(url) or ""
    try:
        path = urlsplit(url).path.strip("/")
    except ValueError:
        path = ""
    if not path:
        return host
    if earns_global_id(url, source_format, publishers):
        return qualified_blog_id(path, url, source_format)
    return f"{host}/{path}"


def _hosted(blog: LiveBlog) -> LiveBlog:
    """A trusted blog whose id carries its host: `qualified_blog_id` qualifies an id made
    from its URL's path; an id it keeps that is not global (a platform's blog id, a hash:
    what a page from an address with no path is named by) gets the host put in front, so
    two hosts never share it."""
    if global_ids(blog.source_format) or _within(_host_name(blog.url), GLOBAL_ID_HOSTS):
        return blog
    host = host_key(blog.url)
    if host and qualified_blog_id(blog.id, blog.url, blog.source_format) == blog.id:
        blog.id = f"{host}/{blog.id}"
    return blog


def speaks_for(blog: LiveBlog, url: str | None, publishers: Sequence[Publisher]) -> LiveBlog:
    """The blog named by what the page claims when its origin (`url`) may claim that, else
    by its origin, the claim kept in `blog.claimed_url`. `publishers`: the registry's
    declared hosts for the reach the page was fetched with."""
    origin = host_key(url)
    if url is None or origin is None:
        return blog  # no address of its own (a file read without --url): nothing contradicts
    claim = blog.url
    trusted = claim is not None and (
        host_key(claim) == origin or one_publisher(claim, url, publishers)
    )
    if trusted and not earns_global_id(url, blog.source_format, publishers):
        trusted = False  # its own URL, but an id that names a blog on the publisher's hosts
    if trusted:
        return _hosted(blog)
    blog.id = origin_id(url, blog.source_format, publishers)
    blog.url = url
    if claim is not None and claim != url:
        blog.claimed_url = claim
    return blog


__all__ = ["Publisher", "earns_global_id", "one_publisher", "origin_id", "speaks_for"]
