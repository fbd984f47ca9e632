"""A time budget for parsing one HTML or PDF file (``assistant/parsing.py``).

Hostile files crafted to keep trafilatura/lxml or pypdf busy for minutes (a paragraph with
200,000 attributes; a content stream of 300,000 text operators) are stopped at the budget:
the worker process is killed (the work really ends: its pid is gone), the file is one failure
naming it, the cause and the fix, and the rest of the folder ingests.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path

import pytest

from assistant.errors import IngestCancelled, IngestError
from assistant.formats import read_html, read_pdf
from assistant.parsing import WORKER, ParseWorker
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.sources import Failure, Reader
from benchmarks.fuzz_parsers import minimal_pdf
from tests.conftest import SEED, make_settings

P = "<p>Harbor chair Maria Lopez said the ferry terminal will open in May after repairs.</p>"
GOOD_HTML = f"<html><head><title>Ferry</title></head><body><article>{P * 4}</article></body></html>"


def hostile_html() -> str:
    """~3 MB: one paragraph with 200,000 attributes (minutes in trafilatura/lxml)."""
    attrs = " ".join(f'a{i}="{i}"' for i in range(200_000))
    return f"<html><body><p {attrs}>x</p>{P}</body></html>"


def hostile_pdf() -> bytes:
    """~3 MB: a valid one-page PDF whose content stream holds 300,000 text operators."""
    return minimal_pdf("word) Tj " + "(word ) Tj " * 300_000 + "(end")


def rss(*descriptions: str) -> bytes:
    """An RSS 2.0 feed with one item per description (HTML, escaped as feeds carry it)."""
    items = "".join(
        f"<item><title>Item {i}</title><link>https://news.example/{i}</link>"
        f"<description>{html.escape(d)}</description></item>"
        for i, d in enumerate(descriptions)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbor News</title>'
        f"{items}</channel></rss>"
    ).encode()


def hostile_feed() -> bytes:
    """~1.4 MB: an item of 20,000 tables (13 s in feedparser and trafilatura, measured)."""
    return rss("<table><tr><td>a</td></tr></table>" * 20_000)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a killed child that was reaped is gone; one not yet reaped shows as a zombie
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().split(")")[-1].split()[0] == "Z"


def test_hostile_files_are_stopped_and_the_rest_ingests(fresh: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-hostile.html").write_text(hostile_html(), encoding="utf-8")
    (folder / "b-hostile.pdf").write_bytes(hostile_pdf())
    (folder / "c-good.html").write_text(GOOD_HTML, encoding="utf-8")
    (folder / "d-good.pdf").write_bytes(minimal_pdf("Officials said the bridge reopens in June."))
    (folder / "e-hostile.xml").write_bytes(hostile_feed())
    (folder / "f-good.rss").write_bytes(rss(f"<p>{P * 12}</p>"))
    (folder / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    a = Assistant(
        make_settings(tmp_path / "data", parse_seconds=1.0),
        embedder=fresh.embedder,
    )
    assert a.settings.parse_seconds == 1.0
    report = a.ingest([str(folder)])
    assert report.added == 4 and report.failed == 3
    assert sorted(Path(s.origin).name for s in a.sources()) == [
        "c-good.html",
        "d-good.pdf",
        "f-good.rss#1",
        SEED.name,
    ]
    reasons = {f.origin: f.reason for f in report.failures}
    for name, kind in (("a-hostile.html", "HTML"), ("b-hostile.pdf", "PDF"), ("e-hostile.xml", "FEED")):
        origin = str(folder / name)
        assert reasons[origin] == (
            f"{origin}: parsing took over 1 s and was stopped (the {kind} is malformed or "
            "built to be slow, e.g. deeply nested or with huge content); raise "
            "ASSISTANT_PARSE_SECONDS if it is genuine"
        )


def test_the_worker_is_killed_at_the_budget_and_replaced() -> None:
    parser = ParseWorker(0.5)
    assert parser.html(GOOD_HTML, "warm.html").title == "Ferry"  # a worker is running
    pid = WORKER.pid()
    assert pid is not None
    started = WORKER.started
    with pytest.raises(IngestError, match=r"^evil\.html: parsing took over 0\.5 s and was stopped"):
        parser.html(hostile_html(), "evil.html")
    assert WORKER.pid() is None and gone(pid)  # the parse really stopped: its process is gone
    assert parser.html(GOOD_HTML, "after.html").title == "Ferry"
    assert WORKER.started == started + 1 and WORKER.pid() != pid


def test_one_worker_is_reused_for_every_file() -> None:
    parser = ParseWorker(30)
    parser.html(GOOD_HTML, "first.html")
    pid, started = WORKER.pid(), WORKER.started
    pdf = minimal_pdf("Officials said the bridge reopens in June.")
    for i in range(10):
        assert parser.html(GOOD_HTML, f"{i}.html").text == read_html(GOOD_HTML, "x").text
        assert parser.pdf(pdf, f"{i}.pdf").text == "Officials said the bridge reopens in June."
    assert WORKER.pid() == pid and WORKER.started == started
    # another reader (another Assistant) uses the same worker
    assert Reader(parse_seconds=5).parser.html(GOOD_HTML, "other.html").title == "Ferry"
    assert WORKER.pid() == pid


def test_parse_errors_in_the_worker_are_the_parsers_own() -> None:
    parser = ParseWorker(30)
    junk = b"%PDF-1.4\nnot really"
    with pytest.raises(IngestError) as here:
        read_pdf(junk, "junk.pdf")
    assert str(here.value).startswith("junk.pdf: malformed PDF (")
    with pytest.raises(IngestError) as there:
        parser.pdf(junk, "junk.pdf")
    assert str(there.value) == str(here.value)
    with pytest.raises(IngestError, match=r"^plain\.html: not HTML \(no tags found\)$"):
        parser.html("no tags at all", "plain.html")
    with pytest.raises(IngestError, match=r"^empty\.html: no article text found in the HTML$"):
        parser.html("<html><body></body></html>", "empty.html")


def test_a_crashed_worker_is_a_failure_for_that_file_only() -> None:
    parser = ParseWorker(60)
    parser.html(GOOD_HTML, "warm.html")
    pid = WORKER.pid()
    assert pid is not None

    def crash() -> None:
        time.sleep(0.3)  # sequencing only: let the hostile parse begin
        os.kill(pid, 9)

    killer = threading.Thread(target=crash)
    killer.start()
    with pytest.raises(IngestError, match=r"^big\.html: the HTML parser crashed on this file"):
        parser.html(hostile_html(), "big.html")
    killer.join()
    assert parser.html(GOOD_HTML, "next.html").title == "Ferry"


def test_shutdown_abandons_a_parse_at_once() -> None:
    stop = threading.Event()
    parser = ParseWorker(60, stop)
    parser.html(GOOD_HTML, "warm.html")
    pid = WORKER.pid()
    assert pid is not None
    stop.set()
    with pytest.raises(IngestCancelled, match="shutting down"):
        parser.pdf(hostile_pdf(), "big.pdf")
    assert gone(pid)


def test_zero_parses_in_process_and_the_setting_reads_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = WORKER.started
    assert ParseWorker(0).html(GOOD_HTML, "here.html").title == "Ferry"
    assert WORKER.started == started
    assert Settings().parse_seconds == 30.0
    monkeypatch.setenv("ASSISTANT_PARSE_SECONDS", "2.5")
    assert Reader.from_settings(Settings()).parser.seconds == 2.5


def test_reader_failure_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "slow.html"
    bad.write_text(hostile_html(), encoding="utf-8")
    (item,) = Reader(parse_seconds=0.5).read([bad])
    assert isinstance(item, Failure) and item.origin == str(bad)
    assert item.reason.startswith(f"{bad}: parsing took over 0.5 s")
