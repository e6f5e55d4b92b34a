"""A URL as liveblog takes it in: split once, at the door, into what is sent and what is
kept.

A user may give `https://user:secret@host/blog?api-key=K`, and a publisher's plan may ask
for an address carrying a key. The credentials go to that host and nowhere else; neither
they nor API keys are ever stored, printed, logged or exported. `Address.of(url)` makes
that split once: `sent` is what the request names (keys included, credentials apart, in
`auth`), `shown` what everything else sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

_SECRET_PARAMS = frozenset({"api-key", "api_key", "apikey", "access_token", "token"})


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """A URL without its `user:password@`, and the credentials (to send, never to keep)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None  # not a URL at all: check_url says why
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")

    bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return bare, (unquote(user), unquote(password))


def redact(url: str) -> str:
    """A URL fit to store, print or export: no credentials, no API keys."""
    url, _ = split_credentials(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query or not any(
        p.split("=", 1)[0].lower() in _SECRET_PARAMS for p in parts.query.split("&")
    ):
        return url
    query = "&".join(
        p for p in parts.query.split("&") if p.split("=", 1)[0].lower() not in _SECRET_PARAMS
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def check_url(url: str) -> str | None:
    """Why `url` cannot be fetched (one plain sentence), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme or "." in parts.scheme:
            return "no scheme: did you mean https://" + url.split("://")[-1] + " ?"
        return f"only http and https URLs can be fetched, not {parts.scheme}:"
    if not parts.hostname:
        return "no host in the URL"
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        return f"not a valid host name: {parts.hostname}"
    if any(c.isdigit() and not c.isascii() for c in parts.hostname):
        return f"not a valid host name: {parts.hostname}"
    return None


@dataclass(frozen=True)
class Address:
    """One URL, split at the door (see the module's doc)."""

    sent: str  # what the request names: no credentials, keys kept
    shown: str  # what is stored, printed, logged and exported: no credentials, no keys
    auth: tuple[str, str] | None = None  # (user, password), for `sent`'s host only

    @classmethod
    def of(cls, url: str) -> Address:
        bare, auth = split_credentials(url)
        return cls(sent=bare, shown=redact(bare), auth=auth)

    @property
    def host(self) -> str:
        """Host and port, in lower case (what politeness and credentials go by)."""
        try:
            return urlsplit(self.sent).netloc.lower()
        except ValueError:
            return ""

    def __str__(self) -> str:
        return self.shown


def lock_key(address: Address) -> str:
    """What one fetch of a blog locks: its URL as it is stored (no credentials, host in
    lower case, no fragment), so the same blog named twice is one lock."""
    parts = urlsplit(address.shown)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


__all__ = ["Address", "check_url", "lock_key", "redact", "split_credentials"]
