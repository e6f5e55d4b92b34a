"""Time only moves forward in the current state: captures imported in any order, in one run
or many, give the same archive; a late capture fills history and never becomes current.

Real pages: the corpus's Mars DCR payload, captured three times (as written here: an edit,
a deletion, an addition, a second edit), written as WARC files and imported by the CLI.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import (
    CLI,
    RELIABILITY_ROWS,
    _cli_env,
    archive_db,
    corpus_file,
    record,
    run_cli,
    sql,
)
from liveserver import GuardianBlog, LiveServer, Reply, dcr_block

pytest.importorskip("warcio")
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

RELIABILITY_ROWS.extend(["import-order", "late-capture", "reparse-race"])

MARS = "guardian/mars-perseverance-2021-02-19.dcr.json"
TIMES = ("2021-02-19T14:00:00Z", "2021-02-19T14:30:00Z", "2021-02-19T15:00:00Z")


def _text(block: dict, text: str) -> None:  # type: ignore[type-arg]
    block["elements"] = [
        {"_type": "model.dotcomrendering.pageElements.TextBlockElement", "html": f"<p>{text}</p>"}
    ]


def _captures(tmp_path: Path) -> tuple[str, list[Path], dict]:  # type: ignore[type-arg]
    """Three captures of the blog, each in a WARC file of its own: the original; an edit of
    one post and another post gone; that post edited again and a new post on top."""
    page = json.loads(corpus_file(MARS).read_bytes())
    url = page["webURL"] + ".json?dcr=true"
    first = json.loads(json.dumps(page))
    second = json.loads(json.dumps(page))
    edited, gone = second["blocks"][2]["id"], second["blocks"][4]["id"]
    _text(second["blocks"][2], "Corrected: the rover has landed.")
    del second["blocks"][4]
    third = json.loads(json.dumps(second))
    _text(third["blocks"][2], "Corrected again: the rover has landed safely.")
    added = json.loads(json.dumps(third["blocks"][0]))
    added["id"] = "added-at-three"
    _text(added, "A post that first appears in the third capture.")
    third["blocks"].insert(0, added)
    files = []
    for n, (doc, when) in enumerate(zip((first, second, third), TIMES, strict=True)):
        path = tmp_path / f"capture-{n}.warc.gz"
        body = json.dumps(doc).encode()
        with path.open("wb") as out:
            writer = WARCWriter(out, gzip=True)
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "application/json")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": when},
                )
            )
        files.append(path)
    return url, files, {"edited": edited, "gone": gone, "added": "added-at-three"}


def _import(db: Path, *files: Path) -> None:
    done = run_cli("import", *map(str, files), "--db", str(db))
    assert done.returncode == 0, done.stderr.decode()


def _state(db: Path) -> tuple[bytes, list[tuple], list[tuple]]:  # type: ignore[type-arg]
    """What a reader sees: the export, every revision (its time, cause, content) and every
    deletion."""
    export = run_cli("export", "--all", "--db", str(db))
    assert export.returncode == 0, export.stderr.decode()
    revisions = sql(
        db,
        "SELECT blog_id, block_id, revision, content_hash, seen_at, cause, source_format "
        "FROM block_revisions ORDER BY blog_id, block_id, revision",
    )
    deletions = sql(
        db,
        "SELECT blog_id, block_id, deleted_at, restored_at FROM deletions "
        "ORDER BY blog_id, block_id, deleted_at",
    )
    return export.stdout, revisions, deletions


def test_every_order_of_three_captures_gives_one_archive(tmp_path: Path) -> None:
    _, files, _ = _captures(tmp_path)
    together = archive_db(tmp_path, "together")
    _import(together, *files)  # one run: put in date order by the import itself
    expected = _state(together)
    orders = list(itertools.permutations(files))
    differ = []
    for n, order in enumerate(orders):
        db = archive_db(tmp_path, f"order{n}")
        for file in order:  # one run each: a capture may come after a newer one
            _import(db, file)
        if _state(db) != expected:
            differ.append([f.name for f in order])
    record(
        "import-order",
        "three captures of a real Guardian blog (an edit, a deletion, an addition, a second "
        "edit) imported in every order, one `import` run per file",
        f"{len(orders)} orders",
        f"{len(orders) - len(differ)} of {len(orders)} give the export, revisions and "
        "deletions of one run importing all three",
    )
    assert not differ


def test_a_late_capture_fills_history_and_never_becomes_current(tmp_path: Path) -> None:
    _, files, ids = _captures(tmp_path)
    db = archive_db(tmp_path, "late")
    _import(db, files[1])  # 14:30 first
    _import(db, files[0])  # then 14:00
    history = sql(
        db,
        "SELECT revision, seen_at, cause FROM block_revisions WHERE block_id = ? ORDER BY revision",
        ids["edited"],
    )
    (current,) = sql(db, "SELECT text FROM blocks WHERE id = ?", ids["edited"])
    (gone,) = sql(db, "SELECT deleted_at FROM blocks WHERE id = ?", ids["gone"])
    (early,) = sql(db, "SELECT count(*) FROM deletions WHERE deleted_at < ?", TIMES[0])
    # The newest capture's text is current; the older one is revision 1, at its own time.
    assert current[0] == "Corrected: the rover has landed."
    assert history == [(1, TIMES[0], "import"), (2, TIMES[1], "edit")]
    # The post missing from the 14:30 capture was there at 14:00: deleted at 14:30, not
    # before it was first seen; nothing is deleted before the first capture.
    record(
        "late-capture",
        "a 14:00 capture imported after a 14:30 one, in separate runs",
        1,
        f"current text the 14:30 one; history {len(history)} revisions in capture order; "
        f"the post missing at 14:30 deleted at {gone[0]}; {early[0]} deletions before 14:00",
    )
    assert gone == (TIMES[1],)
    assert early == (0,)


# --- reparse beside fetch ---------------------------------------------------------------------

RACE_SECONDS = float(os.environ.get("LIVEBLOG_RACE_SECONDS", "8"))


def test_reparse_beside_a_fetch_loop_never_rewinds(tmp_path: Path) -> None:
    """A fetch loop (the page edited before every request) beside a `reparse --all` loop:
    no reparse writes over what a fetch committed meanwhile. Afterwards a dry run finds
    nothing to change, and no post has two consecutive revisions with the same content."""
    blocks = [dcr_block(n) for n in range(30, 0, -1)]
    blog = GuardianBlog("/world/live/2024/may/01/race", blocks, per_page=100)
    served = itertools.count()

    def changing(target: str, headers: dict[str, str]) -> Reply:
        n = next(served)
        block = blocks[n % len(blocks)]
        block["elements"][0]["html"] = f"<p>Edited for the {n}th time.</p>"
        return blog.route(target, {})  # never 304: every poll brings a new page

    db = archive_db(tmp_path, "race")
    env = {"LIVEBLOG_GUARDIAN_HOSTS": "127.0.0.1"}
    counts = {"fetch": 0, "reparse": 0}
    failures: list[str] = []
    with LiveServer() as server:
        server.routes[blog.path + ".json"] = changing
        url = server.url(blog.path)
        first = run_cli("fetch", url, "--db", str(db), "--delay", "0", env=env)
        assert first.returncode == 0, first.stderr.decode()
        stop = time.monotonic() + RACE_SECONDS

        def loop(name: str, *args: str) -> None:
            while time.monotonic() < stop:
                done = subprocess.run(
                    [*CLI, *args, "--db", str(db)],
                    env=_cli_env(env),
                    capture_output=True,
                    timeout=120,
                    check=False,
                )
                counts[name] += 1
                if done.returncode != 0:
                    failures.append(f"{name}: {done.stderr.decode()[-300:]}")

        threads = [
            threading.Thread(target=loop, args=("fetch", "fetch", url, "--delay", "0")),
            threading.Thread(target=loop, args=("reparse", "reparse", "--all")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures, failures[:3]
    dry = run_cli("reparse", "--all", "--dry-run", "--json", "--db", str(db))
    assert dry.returncode == 0, dry.stderr.decode()
    corrections = sum(len(r["corrections"]) for r in json.loads(dry.stdout))
    ((repeats,),) = sql(
        db,
        "SELECT count(*) FROM block_revisions a JOIN block_revisions b "
        "ON b.blog_id = a.blog_id AND b.block_id = a.block_id "
        "AND b.revision = a.revision + 1 AND b.content_hash = a.content_hash",
    )
    ((reparsed,),) = sql(db, "SELECT count(*) FROM block_revisions WHERE cause = 'reparse'")
    record(
        "reparse-race",
        f"{RACE_SECONDS:g} s of `fetch` (the page edited before every request) beside "
        "`reparse --all`, both in loops",
        f"{counts['fetch']} fetches, {counts['reparse']} reparses",
        f"every exit 0; {reparsed} revisions written by reparse; afterwards `reparse --dry-run` "
        f"finds {corrections} posts to change, {repeats} consecutive revisions alike",
    )
    assert counts["fetch"] > 1 and counts["reparse"] > 1
    assert corrections == 0
    assert repeats == 0
    assert reparsed == 0  # nothing to correct: the pages and the rows always agreed
