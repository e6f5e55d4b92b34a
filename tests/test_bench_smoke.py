"""The bench scripts import, and their builders make pages of the shapes they claim.

No timings here: `make bench` measures; this only keeps its scripts from rotting.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT, corpus_file

from liveblog_cli.parse import parse_page

sys.path.insert(0, str(ROOT / "benchmarks"))

import common
import pages
import parse_bench
import run
import scale


@pytest.fixture
def politics() -> None:
    corpus_file("guardian/politics-live-2023-12-13.dcr.json")  # skips when absent


def test_sections_are_known() -> None:
    assert run.SECTIONS == ("parse", "scale", "startup", "fetch", "engines")
    assert callable(parse_bench.bench_parse) and callable(scale.bench_scale)


@pytest.mark.usefixtures("politics")
def test_politics_page_of_any_size() -> None:
    doc = json.loads(pages.politics_dcr(60))
    ids = [b["id"] for b in doc["blocks"]]
    assert len(ids) == 60 == len(set(ids))
    assert all(len(i) == 24 for i in ids)
    blog = parse_page(pages.politics_dcr(60))
    assert len(blog.body_ids or []) == 60


@pytest.mark.usefixtures("politics")
def test_politics_jsonld_page_of_any_size() -> None:
    corpus_file("jsonld/guardian-politics-2023-12-13.jsonld.html")
    blog = parse_page(pages.politics_jsonld(30))
    assert len(blog.blocks) == 30


@pytest.mark.usefixtures("politics")
def test_polls_of_a_growing_blog() -> None:
    polls = [json.loads(p) for p in pages.politics_polls(6)]
    assert len(polls) == 6
    newest = [p["blocks"][0]["id"] for p in polls]
    assert len(set(newest)) == 6  # a new post every poll
    assert all(len(p["blocks"]) == 20 for p in polls)
    # The fifth poll edits a post the fourth showed as it was.
    fourth = {b["id"]: b for b in polls[3]["blocks"]}
    fifth = {b["id"]: b for b in polls[4]["blocks"]}
    changed = [i for i in fifth if i in fourth and fifth[i] != fourth[i]]
    assert len(changed) == 1


def test_scale_blogs_are_distinct_and_whole() -> None:
    first, second = parse_page(scale.blog_page(0, 10)), parse_page(scale.blog_page(1, 10))
    assert first.id != second.id
    assert len(first.blocks) == len(second.blocks) == 10


def test_paired_timing_gives_a_ratio() -> None:
    pair = common.paired(lambda: sum(range(200)), lambda: sum(range(100)), rounds=3)
    assert pair.ratio > 0 and pair.a > 0 and pair.b > 0
