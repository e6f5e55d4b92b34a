"""Replay of liveblog's web archives in a real replay tool: pywb, run on 127.0.0.1.

The blogs are fetched from a real HTTP server on 127.0.0.1, exported as WARC or WACZ, put
in a pywb collection (`wb-manager init` and `add`, in tmp_path) and served by pywb's own
server (`wayback`, bound to 127.0.0.1 on a free port, no live web). What pywb answers for
the newest capture of an address is what a reader of the archive sees.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import archive_db, run_cli, sql
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

PATH = "/world/live/2024/may/01/replay-blog"
ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5"]
TITLE = "A test blog – live"

_MANAGER = "import sys; from pywb.manager.manager import main_wrap_exc; sys.exit(main_wrap_exc())"
_WAYBACK = "import sys; from pywb.apps.cli import wayback; sys.exit(wayback())"


def _pywb() -> None:
    pytest.importorskip(
        "pywb", reason="pywb (the test extra: pip install -e '.[test]') replays the exports"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def pywb(root: Path, *warcs: Path) -> Iterator[str]:
    """A pywb collection `c` of these WARC or WACZ files, served on 127.0.0.1: yields the
    collection's URL."""
    root.mkdir()
    # A WACZ is added by its WARCs and index (pywb cannot yet serve one packed).
    unpack = ["--unpack-wacz"] if any(w.suffix == ".wacz" for w in warcs) else []
    for args in (["init", "c"], ["add", "c", *map(str, warcs), *unpack]):
        made = subprocess.run(
            [sys.executable, "-c", _MANAGER, *args],
            cwd=root,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert made.returncode == 0, made.stderr.decode()[-2000:]
    port = _free_port()
    log = (root / "wayback.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", _WAYBACK, "-b", "127.0.0.1", "-p", str(port), "-d", str(root)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (root / "wayback.log").read_text()[-2000:]
            try:
                if httpx.get(base + "/", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "pywb did not answer within 60 s"
            time.sleep(0.2)
        yield base + "/c"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def newest(collection: str, url: str) -> httpx.Response:
    """The newest capture of `url` as pywb replays it (unframed: the page itself)."""
    return httpx.get(f"{collection}/mp_/{url}", timeout=30, trust_env=False, follow_redirects=True)


def _next_second() -> None:
    """Wait past a second boundary: CDX indexes (pywb's, a WACZ's) date captures to the
    second, and a poll in the same second as the last would tie with it."""
    time.sleep(1.05 - time.time() % 1)


def _reader_html(blog: GuardianBlog, target: str) -> Reply:
    """The page people read (the HTML behind the DCR JSON), with the page's posts."""
    doc = blog.route(target.replace(PATH, PATH + ".json", 1), {})
    posts = json.loads(doc.body)["blocks"] if doc.status == 200 else []
    body = "".join(
        f"<article id='block-{b['id']}'>{b['elements'][0]['html']}</article>" for b in posts
    )
    html = f"<!doctype html><html><head><title>{TITLE}</title></head><body>{body}</body></html>"
    return Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


def test_newest_capture_of_a_followed_blog_replays_its_text_in_pywb(tmp_path: Path) -> None:
    """A poll answered 304 is the newest capture; pywb replays it as the page it confirmed
    (before: the 304 itself, an empty page)."""
    _pywb()
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(4, 0, -1)], per_page=50)
    page = "/lander/live"
    html = (
        "<!doctype html><html><head><title>Lander – live</title>"
        '<script type="application/ld+json">{ld}</script></head><body>'
        "<p>The lander is down.</p></body></html>"
    )
    db = archive_db(tmp_path)
    with LiveServer() as server:
        ld = {
            "@context": "https://schema.org",
            "@type": "LiveBlogPosting",
            "url": server.url(page),
            "headline": "Lander – live",
            "liveBlogUpdate": [
                {
                    "@type": "BlogPosting",
                    "headline": "Touchdown",
                    "articleBody": "The lander is down.",
                    "datePublished": "2024-05-01T10:00:00Z",
                    "url": server.url(page) + "#p1",
                }
            ],
        }
        body = html.format(ld=json.dumps(ld)).encode()
        server.routes[PATH + ".json"] = blog.route
        server.routes[page] = Reply(
            200, body, {"Content-Type": "text/html; charset=utf-8"}, etag=True
        )
        urls = [server.url(PATH), server.url(page)]
        first = run_cli("fetch", *urls, "--db", str(db), *FAST, "--json", env=ENV)
        assert first.returncode == 0, first.stderr
        _next_second()
        second = run_cli("fetch", *urls, "--db", str(db), *FAST, "--json", env=ENV)
        assert [r["not_modified"] for r in json.loads(second.stdout)] == [True, True]
        json_url, html_url = server.url(PATH + ".json?dcr=true"), server.url(page)
    warc = tmp_path / "blogs.warc.gz"
    done = run_cli("export", "--all", "-f", "warc", "-o", str(warc), "--db", str(db))
    assert done.returncode == 0, done.stderr
    with pywb(tmp_path / "pywb", warc) as collection:
        for url, text in (
            (json_url, b"Post 4: something happened."),
            (html_url, b"lander is down"),
        ):
            replayed = newest(collection, url)
            assert replayed.status_code == 200, (url, replayed.status_code)
            assert text in replayed.content, replayed.content[:300]
            # The newest capture is the 304's poll: pywb dates its answer so.
            index = (tmp_path / "pywb" / "collections" / "c" / "indexes").glob("*.cdxj")
            lines = [line for f in index for line in f.read_text().splitlines()]
            captures = sorted(line.split(" ")[1] for line in lines if json.dumps(url) in line)
            assert len(captures) == 2 and captures[0] < captures[1]
            assert replayed.headers["Memento-Datetime"] == _http_date(captures[1])


def _http_date(stamp: str) -> str:
    from datetime import UTC, datetime
    from email.utils import format_datetime

    moment = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return format_datetime(moment, usegmt=True)


def test_the_page_people_read_is_captured_on_request_and_replays(tmp_path: Path) -> None:
    """`fetch --capture-page`: the Guardian page behind its JSON is kept too (once per page
    that changed), and pywb replays the address people read; without it, that address is
    not in the archive."""
    _pywb()
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(4, 0, -1)], per_page=2)
    captured, plain = archive_db(tmp_path, "captured"), archive_db(tmp_path, "plain")
    with LiveServer() as server:
        server.routes[PATH + ".json"] = blog.route
        server.routes[PATH] = lambda target, _headers: _reader_html(blog, target)
        url = server.url(PATH)
        # The setting as an environment variable (cron, systemd), then as the flag.
        for db, env in ((captured, {**ENV, "LIVEBLOG_CAPTURE_PAGE": "1"}), (plain, ENV)):
            done = run_cli("fetch", url, "--db", str(db), *FAST, "--json", env=env)
            assert json.loads(done.stdout)[0]["pages"] == 2, done.stderr
        readers = [r["path"] for r in server.requests if r["path"].split("?")[0] == PATH]
        older = f"{PATH}?page=with:block-{dcr_block(2)['id']}"
        assert readers == [PATH, older]  # each page read once, by the fetch that asked
        _next_second()
        again = run_cli(
            "fetch", url, "--db", str(captured), *FAST, "--capture-page", "--json", env=ENV
        )
        assert json.loads(again.stdout)[0]["not_modified"] is True
        assert len([r for r in server.requests if r["path"].split("?")[0] == PATH]) == 2
    warcs = {}
    for name, db in (("captured", captured), ("plain", plain)):
        warcs[name] = tmp_path / f"{name}.warc.gz"
        done = run_cli("export", "--all", "-f", "warc", "-o", str(warcs[name]), "--db", str(db))
        assert done.returncode == 0, done.stderr
    # Imported again, the pages people read add nothing to the posts the JSON gave.
    copy = archive_db(tmp_path, "copy")
    assert run_cli("import", str(warcs["captured"]), "--db", str(copy), env=ENV).returncode == 0
    query = "SELECT blog_id, block_id, revision, content_hash FROM block_revisions ORDER BY 1, 2, 3"
    assert sql(copy, query) == sql(captured, query)
    with pywb(tmp_path / "pywb", warcs["captured"]) as collection:
        front = newest(collection, url)
        assert front.status_code == 200 and b"Post 4: something happened." in front.content
        assert b"Post 2" not in front.content  # the front page, not a page walked later
        assert (
            b"Post 2: something happened." in newest(collection, url.replace(PATH, older)).content
        )
    with pywb(tmp_path / "pywb-plain", warcs["plain"]) as collection:
        assert newest(collection, url).status_code == 404  # as README says: not kept


def test_a_multi_page_blog_is_one_wacz_page_its_front_page(tmp_path: Path) -> None:
    """pages.jsonl names a blog by its front page (the page people read when it was kept,
    else the front page's own address), with its title, at its newest capture; the WACZ
    passes `wacz validate` and replays that page in pywb."""
    pytest.importorskip("wacz", reason="WACZ export needs the wacz package (the test extra)")
    blog = GuardianBlog(PATH, [dcr_block(n) for n in range(6, 0, -1)], per_page=2)
    captured, plain = archive_db(tmp_path, "captured"), archive_db(tmp_path, "plain")
    with LiveServer() as server:
        server.routes[PATH + ".json"] = blog.route
        server.routes[PATH] = lambda target, _headers: _reader_html(blog, target)
        for db, extra in ((captured, ["--capture-page"]), (plain, [])):
            done = run_cli(
                "fetch", server.url(PATH), "--db", str(db), *FAST, *extra, "--json", env=ENV
            )
            assert json.loads(done.stdout)[0]["pages"] == 3, done.stderr
        expected = {"captured": server.url(PATH), "plain": server.url(PATH + ".json?dcr=true")}
    for name, db in (("captured", captured), ("plain", plain)):
        wacz = tmp_path / f"{name}.wacz"
        done = run_cli("export", "--all", "-f", "wacz", "-o", str(wacz), "--db", str(db))
        assert done.returncode == 0, done.stderr
        with zipfile.ZipFile(wacz) as packed:
            lines = packed.read("pages/pages.jsonl").decode().splitlines()
        pages = [json.loads(line) for line in lines[1:]]
        assert [(p["url"], p["title"]) for p in pages] == [(expected[name], TITLE)], pages
        assert pages[0]["ts"].endswith("Z")  # the capture it opens at
        checked = subprocess.run(
            [sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
            capture_output=True,
            check=False,
        )
        assert checked.returncode == 0 and b"Validation succeeded" in checked.stdout, checked
    try:
        _pywb()
    except pytest.skip.Exception:
        return
    with pywb(tmp_path / "pywb", tmp_path / "captured.wacz") as collection:
        front = newest(collection, expected["captured"])
        assert front.status_code == 200 and b"Post 6: something happened." in front.content
