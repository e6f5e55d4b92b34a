"""Discovery: the live blogs a publisher starts, found in its RSS and Atom feeds, its news
sitemap and section pages. A real server on 127.0.0.1 serves the feeds, five live blogs,
three ordinary articles, and duplicates of them under other URLs."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import RELIABILITY_ROWS, archive_db, measured_cli, record, run_cli, sql
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

RELIABILITY_ROWS.extend(["discover-big-feed", "discover-big-index"])

ENV = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
FAST = ["--delay", "0", "--timeout", "5", "--retries", "0"]
ARTICLE = (
    b"<html><head><title>An article</title></head>"
    b"<body><article><p>Just a story.</p></article></body></html>"
)


def _site(server: LiveServer, blogs: int = 6) -> tuple[list[str], list[str]]:
    """Live blogs (Guardian JSON addresses) and articles (pages that are no live blog)."""
    blog_urls, articles = [], []
    for n in range(blogs):
        path = f"/world/live/2026/jan/02/blog-{n}"
        blog = GuardianBlog(path, [dcr_block(n * 10 + k) for k in range(3, 0, -1)], per_page=50)
        server.routes[path + ".json"] = blog.route
        blog_urls.append(server.url(path))
    for n in range(3):
        path = f"/world/2026/jan/02/article-{n}"
        server.routes[path] = Reply(200, ARTICLE, {"Content-Type": "text/html; charset=utf-8"})
        articles.append(server.url(path))
    return blog_urls, articles


def _rss(items: list[str]) -> bytes:
    entries = "".join(f"<item><title>x</title><link>{u}</link></item>" for u in items)
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>World</title>'
        f"<link>http://example.org/</link>{entries}</channel></rss>"
    ).encode()


def _atom(items: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>x</title><id>{u}</id><link href="{u}"/>'
        "<updated>2026-01-02T00:00:00Z</updated></entry>"
        for u in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>World</title><id>urn:x</id><updated>2026-01-02T00:00:00Z</updated>{entries}</feed>"
    ).encode()


def _news_sitemap(items: list[str]) -> bytes:
    urls = "".join(
        f"<url><loc>{u}</loc><news:news><news:title>x</news:title></news:news></url>" for u in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    ).encode()


def _serve(server: LiveServer, path: str, body: bytes, kind: str) -> str:
    server.routes[path] = Reply(200, body, {"Content-Type": kind}, etag=True)
    return server.url(path)


def test_feeds_and_a_news_sitemap_schedule_exactly_their_live_blogs(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    with LiveServer() as server:
        blogs, articles = _site(server)
        rss_items = [
            blogs[0],
            blogs[1],
            articles[0],
            blogs[0] + "/?utm_source=rss&utm_medium=feed",  # the same blog, tracked
            blogs[1] + "/",  # and with a trailing slash
        ]
        rss = _serve(server, "/world/rss", _rss(rss_items), "application/rss+xml")
        atom = _serve(
            server,
            "/world/atom",
            _atom([blogs[2], blogs[3], articles[1], blogs[2] + "/amp"]),  # an AMP copy
            "application/atom+xml",
        )
        sitemap = _serve(
            server,
            "/sitemaps/news.xml",
            _news_sitemap([blogs[4], articles[2], blogs[0], "http://elsewhere.example/x"]),
            "application/xml",
        )
        for feed in (rss, atom, sitemap):
            added = run_cli("schedule", "add", "--discover", feed, "--db", db)
            assert added.returncode == 0, added.stderr.decode()
        first = run_cli("worker", "--once", *FAST, "--db", db, env=ENV)
        assert first.returncode == 0, first.stderr.decode()
        article_hits = {a: len(server.hits(a.removeprefix(server.base))) for a in articles}

        # A sixth blog in the RSS feed is archived on the next pass (the feed read again).
        server.routes["/world/rss"] = Reply(
            200, _rss([*rss_items, blogs[5]]), {"Content-Type": "application/rss+xml"}
        )
        again = run_cli("schedule", "add", "--discover", rss, "--db", db)  # due now
        assert again.returncode == 0
        second = run_cli("worker", "--once", *FAST, "--db", db, env=ENV)
        assert second.returncode == 0, second.stderr.decode()
        article_hits_after = {a: len(server.hits(a.removeprefix(server.base))) for a in articles}
    archived = {b["url"] for b in json.loads(run_cli("list", "--json", "--db", db).stdout)}
    scheduled = json.loads(run_cli("schedule", "list", "--json", "--db", db).stdout)
    blog_rows = [r["url"] for r in scheduled if r["kind"] == "blog"]
    feeds = {r["url"]: r for r in scheduled if r["kind"] == "feed"}
    assert len(archived) == 6
    assert sorted(blog_rows) == sorted(blogs)  # each once, under its plain address
    assert sql(db, "SELECT count(*) FROM links WHERE verdict = 'article'") == [(3,)]
    assert all(n == 1 for n in article_hits.values())  # each article read once ...
    assert article_hits_after == article_hits  # ... and never again
    # Each blog found once, by whichever feed was read first (feeds are read side by side).
    assert sum(f["found"] for f in feeds.values()) == 6 and feeds[atom]["found"] == 2
    assert "new live blogs" in feeds[rss]["last_outcome"]
    assert "not modified" not in feeds[atom]["last_outcome"]


def test_fetch_discover_one_pass_without_a_schedule(tmp_path: Path) -> None:
    db = archive_db(tmp_path)
    with LiveServer() as server:
        blogs, articles = _site(server, blogs=2)
        page = "".join(f'<a href="{u}">x</a>' for u in [*blogs, *articles]).encode()
        section = _serve(server, "/world", b"<html><body>" + page + b"</body></html>", "text/html")
        done = run_cli("fetch", "--discover", section, *FAST, "--db", db, env=ENV)
        again = run_cli("fetch", "--discover", section, *FAST, "--db", db, env=ENV)
    assert done.returncode == 0, done.stderr.decode()
    assert b"2 new live blogs, 3 articles" in done.stderr
    assert len(json.loads(run_cli("list", "--json", "--db", db).stdout)) == 2
    assert json.loads(run_cli("schedule", "list", "--json", "--db", db).stdout) == []
    assert b"0 new live blogs, 0 articles, 5 known" in again.stderr


def test_a_feed_of_ten_thousand_items_and_an_index_of_a_thousand_sitemaps(
    tmp_path: Path,
) -> None:
    """Bounded work whatever a feed lists: 40 new links judged a pass, 20 sitemaps of an
    index read a pass, a feed that lists itself read once."""
    db = archive_db(tmp_path)
    with LiveServer() as server:

        def article(target: str, headers: dict[str, str]) -> Reply:
            return Reply(200, ARTICLE, {"Content-Type": "text/html"})

        items = [server.url(f"/news/{n}") for n in range(10_000)]
        for n in range(10_000):
            server.routes[f"/news/{n}"] = article
        feed = _serve(server, "/big.rss", _rss(items), "application/rss+xml")
        started = time.monotonic()
        big, peak = measured_cli(
            "fetch", "--discover", feed, *FAST, "--db", db, env=ENV, timeout=300
        )
        feed_seconds = time.monotonic() - started
        index = "".join(
            f"<sitemap><loc>{server.url(f'/maps/{n}.xml')}</loc>"
            f"<lastmod>2026-01-{1 + n % 28:02d}</lastmod></sitemap>"
            for n in range(1000)
        )
        index += f"<sitemap><loc>{server.url('/maps/index.xml')}</loc></sitemap>"  # itself
        server.routes["/maps/index.xml"] = Reply(
            200,
            f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'.encode(),
            {"Content-Type": "application/xml"},
        )
        for n in range(1000):
            server.routes[f"/maps/{n}.xml"] = Reply(
                200, _news_sitemap([server.url(f"/news/{n}")]), {"Content-Type": "application/xml"}
            )
        started = time.monotonic()
        indexed, index_peak = measured_cli(
            "fetch", "--discover", server.url("/maps/index.xml"), *FAST, "--db", db, env=ENV
        )
        index_seconds = time.monotonic() - started
        maps_read = sum(1 for r in server.requests if r["path"].startswith("/maps/"))
    record(
        "discover-big-feed",
        "`fetch --discover` of an RSS feed of 10,000 articles on one site",
        10_000,
        f"{feed_seconds:.1f} s, peak {peak:.0f} MB; 40 judged this pass, the rest left for "
        "the next; exit " + str(big.returncode),
    )
    record(
        "discover-big-index",
        "`fetch --discover` of a sitemap index of 1,000 sitemaps (listing itself too)",
        1000,
        f"{index_seconds:.1f} s, peak {index_peak:.0f} MB; {maps_read - 1} sitemaps read",
    )
    assert big.returncode == 0, big.stderr.decode()
    assert b"read 10000 links: 0 new live blogs, 40 articles, 0 known, 9960 left" in big.stderr
    assert indexed.returncode == 0, indexed.stderr.decode()
    assert maps_read == 1 + 20
    assert peak < 300 and index_peak < 300
