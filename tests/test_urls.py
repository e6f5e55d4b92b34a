"""A URL split once at the door: credentials apart, keys never shown."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from liveblog_cli.urls import Address

SECRET = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=12)


def test_credentials_and_keys() -> None:
    a = Address.of("https://ann:s%40cret@Example.org:8443/live/blog?api-key=K123&page=2#b1")
    assert a.auth == ("ann", "s@cret")
    assert a.sent == "https://Example.org:8443/live/blog?api-key=K123&page=2#b1"
    assert a.shown == "https://Example.org:8443/live/blog?page=2#b1"
    assert a.host == "example.org:8443"
    assert str(a) == a.shown


@given(user=SECRET, password=SECRET, key=SECRET)
def test_no_secret_is_ever_shown(user: str, password: str, key: str) -> None:
    # Distinct capitals first: no secret is part of another or of the URL's other words.
    user, password, key = "U" + user, "P" + password, "K" + key
    a = Address.of(f"http://{user}:{password}@host.test/x?token={key}&q=1")
    assert password not in a.sent
    assert password not in a.shown and key not in a.shown and user not in a.shown
    assert a.auth == (user, password)


def test_not_a_url_is_kept_as_given() -> None:
    a = Address.of("http://[::1/x")  # urlsplit refuses it: check_url says why, later
    assert a.sent == a.shown == "http://[::1/x"
    assert a.auth is None
    assert a.host == ""
