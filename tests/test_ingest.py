from __future__ import annotations

import http.server
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.text import chunk_article
from tests.conftest import CORPUS, ROOT

ARTICLE = """---
title: "{title}"
source: Test Wire
published: 2024-0{month}-1{day}
---
{body}
"""


def write_articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        body = " ".join(
            f"Story {i} sentence {j} says the harbor authority of town number {i} met again."
            for j in range(12)
        )
        p = folder / f"story{i:03d}.md"
        p.write_text(ARTICLE.format(title=f"Story {i}", month=1 + i % 9, day=i % 10, body=body))
        paths.append(p)
    return paths


def chunk_ids(a) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(c.id for c, _ in a.store.iter_chunks())


def test_every_chunk_slices_its_article(seeded) -> None:  # type: ignore[no-untyped-def]
    [stored] = seeded.store.list_articles()
    article = seeded.article(stored.ref.article_id)
    got = list(seeded.store.iter_chunks())
    assert len(got) == stored.n_chunks >= 4
    for chunk, ref in got:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert ref.article_id == chunk.article_id == article.id
        assert all(chunk.start <= s.start < s.end <= chunk.end for s in chunk.sentences)


def test_incremental_update_and_prune(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    paths = write_articles(tmp_path / "news", 4)
    r1 = fresh.ingest([str(tmp_path / "news")])
    assert (r1.added, r1.updated, r1.skipped, r1.failed) == (4, 0, 0, 0)
    ids1 = chunk_ids(fresh)
    r2 = fresh.ingest([str(tmp_path / "news")])
    assert (r2.added, r2.updated, r2.skipped) == (0, 0, 4)
    assert chunk_ids(fresh) == ids1
    # change one article: its old chunks go, new ones come, nothing duplicated
    paths[0].write_text(ARTICLE.format(title="Story 0", month=1, day=0, body="Short new body."))
    r3 = fresh.ingest([str(tmp_path / "news")])
    assert (r3.added, r3.updated, r3.skipped) == (0, 1, 3)
    stored = {s.ref.title: s for s in fresh.store.list_articles()}
    assert stored["Story 0"].n_chunks == 1
    assert len(chunk_ids(fresh)) == sum(s.n_chunks for s in stored.values())
    # delete a file: --prune removes it
    paths[1].unlink()
    r4 = fresh.ingest([str(tmp_path / "news")], prune=True)
    assert r4.pruned == 1
    assert sorted(s.ref.title for s in fresh.store.list_articles()) == [
        "Story 0",
        "Story 2",
        "Story 3",
    ]
    assert all(not i.startswith(stored["Story 1"].ref.article_id) for i in chunk_ids(fresh))


def test_an_entry_put_first_in_a_json_lines_file_loses_no_article(  # type: ignore[no-untyped-def]
    fresh, tmp_path: Path
) -> None:
    """A line's position is no identity: the entry now on line 1 used to replace the article
    first stored from line 1 (which then vanished, though still in the file)."""
    import json

    def line(n: int, url: bool = True) -> str:
        body = f"Story number {n} is about the harbour and the ferry to island {n}. " * 6
        art = {"title": f"Story {n}", "text": body, "source": "Wire"}
        return json.dumps(art | ({"url": f"https://example.com/{n}"} if url else {}))

    path = tmp_path / "wire.jsonl"
    path.write_text(line(1) + "\n" + line(2) + "\n")
    assert fresh.ingest([str(path)]).added == 2
    path.write_text(line(3) + "\n" + line(1) + "\n" + line(2) + "\n")
    r = fresh.ingest([str(path)])
    assert (r.added, r.updated, r.skipped) == (1, 0, 2)
    titles = sorted(s.ref.title for s in fresh.store.list_articles())
    assert titles == ["Story 1", "Story 2", "Story 3"]
    # an entry without a URL whose text is edited is a new article; --prune drops the old one
    path.write_text(line(4, url=False) + "\n")
    fresh.ingest([str(path)])
    path.write_text(line(4, url=False).replace("harbour", "port") + "\n")
    r = fresh.ingest([str(path)], prune=True)
    assert (r.added, r.pruned) == (1, 4)
    [kept] = fresh.store.list_articles()
    assert "the port" in fresh.article(kept.ref.article_id).text


@pytest.mark.parametrize("keep", ["moved", "copied"])
def test_a_file_read_again_under_another_name_is_not_replaced(  # type: ignore[no-untyped-def]
    fresh, tmp_path: Path, keep: str
) -> None:
    """today.txt archived (moved, or copied) before new text went into today.txt: the new
    text replaced the article today.txt held, which the archive still holds (code review)."""

    def body(n: int) -> str:
        return f"Story number {n} is about the harbour and the ferry to island {n}. " * 6

    news = tmp_path / "news"
    news.mkdir()
    (news / "today.txt").write_text(body(1))
    assert fresh.ingest([str(news)]).added == 1
    (news / "archive").mkdir()
    if keep == "moved":
        (news / "today.txt").rename(news / "archive" / "day1.txt")
    else:
        (news / "archive" / "day1.txt").write_text(body(1))
    (news / "today.txt").write_text(body(2))
    r = fresh.ingest([str(news)])
    assert (r.added, r.updated, r.skipped) == (1, 0, 1)
    texts = sorted(fresh.article(s.ref.article_id).text[:14] for s in fresh.store.list_articles())
    assert texts == ["Story number 1", "Story number 2"]
    # and a file edited in place still replaces its article
    (news / "today.txt").write_text(body(3))
    r = fresh.ingest([str(news)])
    assert (r.added, r.updated, r.skipped) == (0, 1, 1)
    texts = sorted(fresh.article(s.ref.article_id).text[:14] for s in fresh.store.list_articles())
    assert texts == ["Story number 1", "Story number 3"]


def test_bad_files_do_not_stop_the_rest(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_articles(tmp_path / "mix", 2)
    (tmp_path / "mix" / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / "mix" / "empty.md").write_text("")
    report = fresh.ingest([str(tmp_path / "mix")])
    assert report.added == 2
    assert sorted(Path(f.origin).name for f in report.failures) == ["bad.pdf", "empty.md"]


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from assistant.service import Assistant
    from assistant.settings import Settings
    a = Assistant(Settings(data_dir=Path(sys.argv[1])))
    def progress(report):
        if report.added >= 7:
            os.kill(os.getpid(), signal.SIGKILL)
    a.ingest([sys.argv[2]], progress=progress)
    """
)


@pytest.mark.slow
def test_sigkill_midway_then_rerun_completes(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_articles(tmp_path / "many", 40)
    data = fresh.settings.data_dir
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(data), str(tmp_path / "many")],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    partial = len(fresh.store.list_articles())
    assert 7 <= partial < 40
    report = fresh.ingest([str(tmp_path / "many")])
    assert report.added + report.updated == 40 - report.skipped
    assert report.skipped >= 7
    stored = fresh.store.list_articles()
    assert len(stored) == 40
    ids = chunk_ids(fresh)
    assert len(ids) == len(set(ids)) == sum(s.n_chunks for s in stored)
    for s in stored:
        art = fresh.article(s.ref.article_id)
        assert s.n_chunks == len(
            chunk_article(
                art.id, art.text, fresh.settings.chunk_words, fresh.settings.chunk_overlap_sentences
            )
        )


FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Local Wire</title>
<item><title>Full entry</title><link>{base}/full</link>
<pubDate>Mon, 06 Jun 2022 10:00:00 GMT</pubDate>
<description>{long}</description></item>
<item><title>Summary only</title><link>{base}/page.html</link>
<pubDate>Tue, 07 Jun 2022 10:00:00 GMT</pubDate>
<description>Short teaser.</description></item>
</channel></rss>"""
PAGE = """<html><head><title>Summary only</title></head><body><article>
<p>{text}</p><p>The port director said shipments resumed on Tuesday.</p></article></body></html>"""


@pytest.fixture
def site() -> Iterator[str]:
    pages: dict[str, tuple[str, str]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in pages:
                self.send_response(404)
                self.end_headers()
                return
            ctype, body = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    long = " ".join(["Dockworkers in the harbor returned to work after the strike ended."] * 10)
    pages["/feed.xml"] = ("application/rss+xml", FEED.format(base=base, long=long))
    pages["/page.html"] = (
        "text/html",
        PAGE.format(
            text=" ".join(
                ["Cargo traffic at the harbor picked up again this week after weeks of delays."] * 8
            )
        ),
    )
    pages["/article.html"] = pages["/page.html"]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()


@pytest.fixture
def fresh_net(tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    """An empty Assistant that may fetch from this test's own 127.0.0.1 servers (opt-in)."""
    from assistant.service import Assistant
    from tests.conftest import make_settings

    a = Assistant(make_settings(tmp_path / "data", allow_private_urls=True))
    a.embedder = embedder
    return a


def test_feed_url_and_page_url(fresh_net, site: str) -> None:  # type: ignore[no-untyped-def]
    fresh = fresh_net
    report = fresh.ingest([f"{site}/feed.xml", f"{site}/article.html", f"{site}/missing"])
    assert report.added == 3
    [fail] = report.failures
    assert "HTTP 404" in fail.reason and "/missing" in fail.reason
    arts = {s.ref.url: s for s in fresh.store.list_articles()}
    assert arts[f"{site}/full"].ref.source == "Local Wire"
    assert str(arts[f"{site}/full"].ref.published) == "2022-06-06"
    assert arts[f"{site}/page.html"].origin == f"{site}/feed.xml#2"
    fetched = fresh.article(arts[f"{site}/page.html"].ref.article_id)
    assert "The port director said shipments resumed on Tuesday." in fetched.text
    assert fetched.url == f"{site}/page.html"


def test_unreachable_feed_is_reported(fresh_net) -> None:  # type: ignore[no-untyped-def]
    fresh = fresh_net
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}/feed.xml"
    report = fresh.ingest([url, str(CORPUS)])
    assert report.added == 1
    assert report.failures[0].origin == url and "fetch failed" in report.failures[0].reason


def test_chroma_server_backend(chroma_server: str, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from tests.conftest import make_settings

    a = Assistant(make_settings(tmp_path, chroma_url=chroma_server, collection="srv"), embedder=embedder)
    r = a.ingest([str(CORPUS)])
    assert r.added == 1
    assert a.ingest([str(CORPUS)]).skipped == 1
    assert a.store.size_bytes() is None
    answer = a.ask("What does Russia require before talks?")
    assert not answer.abstained
    assert "Officials from the Russian side" in answer.quotes[0].text


@pytest.mark.parametrize(("layout", "match"), [(99, "newer than this assistant's 1"),
                                                ("x", "cannot read: re-ingest")])  # fmt: skip
def test_store_layout_version_is_checked(tmp_path: Path, layout: object, match: str) -> None:
    import chromadb

    from assistant.errors import StoreError
    from assistant.store import SCHEMA_VERSION, ChromaStore

    ChromaStore(tmp_path / "a", "news").open()
    written = chromadb.PersistentClient(path=str(tmp_path / "a" / "chroma"))
    assert written.get_collection("news_chunks").metadata["schema"] == SCHEMA_VERSION == 1
    client = chromadb.PersistentClient(path=str(tmp_path / "b" / "chroma"))
    client.get_or_create_collection("news_chunks", metadata={"schema": layout})
    with pytest.raises(StoreError, match=match):
        ChromaStore(tmp_path / "b", "news").open()


def test_prune_keeps_articles_an_older_watch_ingested_from_a_temporary_file(  # type: ignore[no-untyped-def]
    fresh, tmp_path: Path
) -> None:
    """`assistant watch` used to ingest a feed from /tmp/tmpXXXX/feed.xml, gone after the
    poll: --prune took those articles for deleted files, and watch never fetched them again."""
    import tempfile

    from assistant.sources import make_article

    old = make_article(
        "Harbor Authority chair Maria Lopez said the ferry terminal will open in May. " * 5,
        title="Ferry news 1",
        url="http://127.0.0.1/ferry-1",
        origin=f"{tempfile.gettempdir()}/tmpk3j2x9/feed.xml#1",
    )
    assert fresh.ingest([], items=[old]).added == 1
    write_articles(tmp_path / "news", 2)
    r = fresh.ingest([str(tmp_path / "news")], prune=True)
    assert (r.added, r.pruned) == (2, 0)
    assert "Ferry news 1" in {s.ref.title for s in fresh.store.list_articles()}


def test_a_renamed_file_survives_prune(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """a.txt renamed b.txt: read again (unchanged) from b.txt, its stored origin still says
    a.txt, which is gone; --prune deleted what the input still held (code review)."""
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text("The ferry to the island runs every hour in summer. " * 6)
    assert fresh.ingest([str(news)]).added == 1
    (news / "a.txt").rename(news / "b.txt")
    r = fresh.ingest([str(news)], prune=True)
    assert (r.skipped, r.pruned) == (1, 0)
    assert len(fresh.store.list_articles()) == 1


def test_a_stop_after_the_last_file_is_read_replaces_nothing(  # type: ignore[no-untyped-def]
    fresh, tmp_path: Path
) -> None:
    """SIGTERM while the last batch waits to be encoded: the batch is dropped, so the old
    version of an edited file must stay (it was deleted, the new one never written)."""
    from assistant.errors import IngestCancelled

    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text("Story one is about the harbour and the ferry. " * 6)
    assert fresh.ingest([str(news)]).added == 1
    (news / "a.txt").write_text("Story two is about the airport and the runway. " * 6)
    hashes = fresh.store.hashes

    def stop_then_answer(ids: list[str]) -> dict[str, str]:
        fresh.reader.stop.set()  # as stop_on_signals does on SIGTERM
        return hashes(ids)

    fresh.store.hashes = stop_then_answer
    try:
        with pytest.raises(IngestCancelled, match="run it again"):
            fresh.ingest([str(news)])
    finally:
        fresh.store.hashes = hashes
        fresh.reader.stop.clear()
    [kept] = fresh.store.list_articles()
    assert fresh.article(kept.ref.article_id).text.startswith("Story one")
    assert fresh.ingest([str(news)]).updated == 1  # and a rerun completes it
    [kept] = fresh.store.list_articles()
    assert fresh.article(kept.ref.article_id).text.startswith("Story two")


def test_a_pretty_printed_json_article_is_one_article(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One JSON object laid out over many lines failed line by line ("one.json:4: malformed
    JSON line (Extra data)"); it is one article, and its file is its origin, so an edit
    replaces it. A .json file of one object per line is still read line by line."""
    import json

    def art(n: int) -> dict[str, str]:
        body = f"Story number {n} is about the harbour and the ferry to island {n}. " * 6
        return {"title": f"Story {n}", "text": body, "source": "Wire"}

    one = tmp_path / "one.json"
    one.write_text(json.dumps(art(1), indent=2))
    lines = tmp_path / "lines.json"
    lines.write_text(json.dumps(art(2)) + "\n\n" + json.dumps(art(3)) + "\n")
    r = fresh.ingest([str(one), str(lines)])
    assert (r.added, r.failed) == (3, 0), r.failures
    origins = sorted(s.origin for s in fresh.store.list_articles())
    assert origins == [f"{lines}:1", f"{lines}:3", str(one)]
    one.write_text(json.dumps(art(4), indent=2))  # no URL: a new id, replacing the old one
    r = fresh.ingest([str(one)])
    assert (r.added, r.updated) == (0, 1)
    titles = sorted(s.ref.title for s in fresh.store.list_articles())
    assert titles == ["Story 2", "Story 3", "Story 4"]
