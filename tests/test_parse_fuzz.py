"""Hostile and broken input: parse_page raises ParseError or returns a blog, nothing else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, SAMPLES, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveblog_cli.errors import ParseError
from liveblog_cli.parse import parse_page
from liveblog_cli.parse.text import html_to_text


def _seeds() -> list[bytes]:
    files = sorted(SAMPLES.glob("*.*"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md")
    return [p.read_bytes() for p in files]


SEEDS = _seeds()
# `make fuzz` raises this (LIVEBLOG_FUZZ_EXAMPLES); `make test` runs a short burst.
EXAMPLES = int(os.environ.get("LIVEBLOG_FUZZ_EXAMPLES", "150"))
TRIED = {"inputs": 0}


@pytest.fixture(scope="module", autouse=True)
def _fuzz_row() -> Iterator[None]:
    yield
    record(
        "fuzz",
        "parse_page on random bytes and on corpus/sample pages truncated and mutated "
        f"({len(SEEDS)} seeds, hypothesis)",
        TRIED["inputs"],
        "every input parsed or rejected with a one-line ParseError; no crash",
    )


def _parse_or_reject(data: bytes) -> None:
    TRIED["inputs"] += 1
    try:
        blog = parse_page(data)
    except ParseError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert blog.blocks, "a parsed blog has blocks"
    assert len({b.id for b in blog.blocks}) == len(blog.blocks)
    blog.to_dict()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.floats(0, 1), st.integers(0, 255), st.integers(0, 20))
def test_truncated_and_mutated_pages(seed: bytes, where: float, byte: int, flips: int) -> None:
    cut = seed[: int(len(seed) * where)]
    _parse_or_reject(cut)
    mutated = bytearray(seed)
    for i in range(flips):
        mutated[(i * 7919 + byte * 104729) % len(mutated)] = byte
    _parse_or_reject(bytes(mutated))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _parse_or_reject(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_html_to_text_never_keeps_controls(markup: str) -> None:
    out = html_to_text(markup)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
    assert "\x1b" not in out and "\x9b" not in out


@pytest.mark.parametrize(
    "payload",
    [
        "<p>a\x1b]0;pwned\x07b</p>",
        "<p>x\x1b[2Jy</p>",
        "<p>\x9b31mred</p>",
    ],
)
def test_escape_sequences_are_removed_from_text(payload: str) -> None:
    out = html_to_text(payload)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out


def test_utf16_page_with_bom_is_read(tmp_path: Path) -> None:
    data = (SAMPLES / "guardian-lunar-lander.html").read_text(encoding="utf-8")
    blog = parse_page(data.encode("utf-16"))
    assert len(blog.blocks) == 4


def test_utf16_page_without_bom_is_read() -> None:
    data = (SAMPLES / "guardian-lunar-lander.html").read_text(encoding="utf-8")
    for codec in ("utf-16-le", "utf-16-be"):
        assert len(parse_page(data.encode(codec)).blocks) == 4
