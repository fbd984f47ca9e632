"""Faults: a Chroma server stopped mid-use, a full or read-only disk, SIGTERM/SIGINT and
SIGKILL during an ingest. Real servers, real mounts, real signals; 127.0.0.1 only.

After each fault: a clear error (the store, the cause, the fix; no traceback), only whole
articles stored (``audit``), and a rerun that ends with exact article and chunk counts.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.errors import StoreError
from assistant.transfer import audit
from tests.conftest import CORPUS, ROOT, free_port, make_settings
from tests.test_ingest import write_articles

QUESTION = "What does Russia require before talks?"


def assert_complete(assistant, n_articles: int) -> None:  # type: ignore[no-untyped-def]
    """Exactly ``n_articles``, each with exactly its chunks, nothing left over."""
    from assistant.text import chunk_article

    check = audit(assistant.store)
    assert (check.articles, check.broken, check.orphans) == (n_articles, [], [])
    s = assistant.settings
    want = 0
    for stored in assistant.store.list_articles():
        art = assistant.article(stored.ref.article_id)
        want += len(chunk_article(art.id, art.text, s.chunk_words, s.chunk_overlap_sentences))
    assert check.chunks == want == assistant.store.counts()[1]
    assert len(assistant.lexical()) == want  # the BM25 index is in step


def cli(data: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=ROOT,
        env={**os.environ, "ASSISTANT_DATA_DIR": str(data), "COLUMNS": "2000", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# ---------------------------------------------------------------- a Chroma server stops


class ChromaServer:
    """`chroma run` on 127.0.0.1 that a test can stop and start again on the same path/port."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        if not Path(exe).exists():
            pytest.skip("the `chroma` executable is not installed")
        self.proc = subprocess.Popen(
            [exe, "run", "--path", str(self.path), "--port", str(self.port), "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        pytest.fail("chroma run did not start within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    s = ChromaServer(tmp_path / "chroma-server")
    s.start()
    yield s
    s.stop()


@pytest.mark.slow
def test_chroma_server_stopped_during_an_ingest_and_asks(  # type: ignore[no-untyped-def]
    server: ChromaServer, tmp_path: Path, embedder
) -> None:
    from assistant.service import Assistant

    write_articles(tmp_path / "news", 40)
    a = Assistant(make_settings(tmp_path, chroma_url=server.url), embedder=embedder)
    assert a.ingest([str(CORPUS)]).added == 1
    before = a.ask(QUESTION)

    def stop_midway(report) -> None:  # type: ignore[no-untyped-def]
        if report.added >= 9:
            server.stop()  # between two write groups of the writer thread

    with pytest.raises(StoreError) as failed:
        a.ingest([str(tmp_path / "news")], progress=stop_midway)
    message = str(failed.value)
    assert message.startswith(f"cannot use the Chroma store at {server.url} (ConnectError")
    assert "is the server running? start it again with `chroma run --path DIR --port " in message
    assert f"--port {server.port}`" in message and "completes when run again" in message
    with pytest.raises(StoreError, match=f"the Chroma store at {server.url}"):
        a.ask(QUESTION)  # the same assistant, server still down
    proc = cli(tmp_path, "ask", QUESTION, ASSISTANT_CHROMA_URL=server.url)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: cannot open the Chroma store at {server.url}")

    server.start()  # same path, same port: the same Assistant reconnects by itself
    check = audit(a.store)
    assert check.consistent and 9 <= check.articles < 41
    assert a.ask(QUESTION).quotes[0] == before.quotes[0]  # (more articles now: same top quote)
    report = a.ingest([str(tmp_path / "news")])
    assert report.skipped == check.articles - 1 and report.added == 41 - check.articles
    assert_complete(a, 41)


# ---------------------------------------------------------------- a full or read-only disk


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs (root only); always unmounted."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def remount(mnt: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], check=True)


@pytest.mark.slow
def test_a_full_disk_is_a_clear_error_and_nothing_is_lost(
    tmpfs: Path, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import Assistant

    write_articles(tmp_path / "news", 30)
    data = tmpfs / "data"
    a = Assistant(make_settings(data), embedder=embedder)
    with pytest.raises(StoreError) as full:
        a.ingest([str(CORPUS), str(tmp_path / "news")])
    message = str(full.value)
    assert f"no space left on the disk holding the data directory {data} (" in message
    assert "free some space, or set ASSISTANT_DATA_DIR to a disk with room" in message
    remount(tmpfs, "size=64m")  # space freed
    kept = audit(a.store)
    assert kept.consistent and 0 < kept.articles < 31
    report = a.ingest([str(CORPUS), str(tmp_path / "news")])
    assert report.skipped == kept.articles and report.added == 31 - kept.articles
    assert_complete(a, 31)
    assert not a.ask(QUESTION).abstained


@pytest.mark.slow
def test_a_read_only_data_dir_is_a_clear_error(tmpfs: Path, tmp_path: Path) -> None:
    remount(tmpfs, "size=16m")
    data = tmpfs / "data"
    write_articles(tmp_path / "news", 3)
    first = cli(data, "ingest", str(CORPUS))
    assert first.wait(300) == 0, first.communicate()[1]
    remount(tmpfs, "ro")
    for args in (("ingest", str(tmp_path / "news")), ("ask", QUESTION)):
        proc = cli(data, *args)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1 and "Traceback" not in err, err
        [line] = [x for x in err.splitlines() if x.startswith("error: ")]  # after the bar
        assert line.startswith(f"error: cannot open the Chroma store at {data / 'chroma'}: ")
        assert f"the data directory {data} is on a read-only file system: make it" in line
    remount(tmpfs, "rw")
    proc = cli(data, "ingest", str(tmp_path / "news"))
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0 and out.startswith("added 3, updated 0, skipped 0")


@pytest.mark.slow
def test_a_file_size_limit_is_a_clear_error(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Disk full without root: the ingest runs under RLIMIT_FSIZE (writes fail with EFBIG)."""
    import resource

    write_articles(tmp_path / "news", 30)
    data = fresh.settings.data_dir
    limit = 600_000

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", str(tmp_path / "news")],
        cwd=ROOT, env={**os.environ, "ASSISTANT_DATA_DIR": str(data), "COLUMNS": "2000"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=small_files,
    )  # fmt: skip
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "Traceback" not in err, err[-2000:]
    [line] = [x for x in err.splitlines() if x.startswith("error: ")]
    assert line.startswith(f"error: cannot use the Chroma store at {data / 'chroma'}: files in ")
    assert f"may not grow beyond {limit // 1024} KB (this process's file size limit" in line
    kept = audit(fresh.store)
    assert kept.consistent and kept.articles < 30
    report = fresh.ingest([str(tmp_path / "news")])  # no limit here
    assert report.skipped == kept.articles and report.added == 30 - kept.articles
    assert_complete(fresh, 30)


# ---------------------------------------------------------------- SIGTERM / SIGINT


@pytest.fixture
def slow_site() -> Iterator[tuple[str, list[str]]]:
    """Twenty article pages, each served after 0.3 s; the list records the requests."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            time.sleep(0.3)
            n = self.path.strip("/")
            body = f"<html><head><title>Page {n}</title></head><body><article><p>" + " ".join(
                f"Page {n} reports that the harbour board met for the {j}th time." for j in range(30)
            ) + "</p></article></body></html>"  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_cli_ingest_stops_at_an_article_boundary(  # type: ignore[no-untyped-def]
    slow_site, tmp_path: Path, embedder, sig: int, code: int
) -> None:
    from assistant.service import Assistant

    base, seen = slow_site
    write_articles(tmp_path / "news", 70)
    urls = [f"{base}/{i}" for i in range(20)]
    data = tmp_path / "data"
    proc = cli(data, "ingest", str(tmp_path / "news"), *urls)
    deadline = time.time() + 240
    while len(seen) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert len(seen) >= 3, proc.communicate()[1][-2000:]
    proc.send_signal(sig)  # the reader is fetching the third page
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code and "Traceback" not in err, err[-2000:]
    assert len(seen) < 20  # it did stop
    a = Assistant(make_settings(data, allow_private_urls=True), embedder=embedder)
    kept = audit(a.store)
    # the first 64 articles were being embedded when the signal came: they are finished and
    # written; the six read after them and the pages are not
    assert (kept.articles, kept.broken, kept.orphans) == (64, [], [])
    assert out.startswith(
        f"stopped by {signal.Signals(sig).name}: added {kept.articles}, updated 0, skipped 0 "
        f"(unchanged); {kept.chunks} chunks. The store holds only whole articles: run the "
        "same command again to continue."
    )
    report = a.ingest([str(tmp_path / "news"), *urls])
    assert (report.skipped, report.added, report.failed) == (kept.articles, 90 - kept.articles, 0)
    assert_complete(a, 90)


# ---------------------------------------------------------------- repeated SIGKILLs

KILLED = """
import os, signal, sys
from pathlib import Path
from assistant.service import Assistant
from assistant.settings import Settings
a = Assistant(Settings(data_dir=Path(sys.argv[1])))
where, after = sys.argv[3], int(sys.argv[4])
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def progress(report):
    if where == "after-write" and report.added >= after:
        die()
if where != "after-write":
    # die on the n-th write to the chunks (or articles) collection, before it runs: Chroma's
    # own Collection.upsert is wrapped, by the collection's name; the store is not touched
    from chromadb.api.models.Collection import Collection
    suffix = "_chunks" if where == "chunk-write" else "_articles"
    upsert, calls = Collection.upsert, []
    def dying_upsert(self, *args, **kwargs):
        if self.name.endswith(suffix):
            calls.append(1)
            if len(calls) >= after:
                die()
        return upsert(self, *args, **kwargs)
    Collection.upsert = dying_upsert
a.ingest([sys.argv[2]], progress=progress)
"""


@pytest.mark.slow
def test_repeated_sigkills_then_a_rerun_completes(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Three kills at fixed points (the 10+ kill campaign at random times is
    benchmarks/fault_bench.py): right after 8 articles were written; inside a write, after its
    chunks and before its article records (the commit point); and before a chunk write. After
    each, whole articles only; a rerun completes with exact counts."""
    write_articles(tmp_path / "news", 60)
    data = fresh.settings.data_dir
    stored, orphans = [], []
    for where, after in (("after-write", 8), ("article-write", 2), ("chunk-write", 2)):
        proc = subprocess.run(
            [sys.executable, "-c", KILLED, str(data), str(tmp_path / "news"), where, str(after)],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == -9, proc.stderr[-2000:]
        check = audit(fresh.store)
        assert check.consistent, check.broken  # no article with partial chunks
        stored.append(check.articles)
        orphans.append(len(check.orphans))
    assert 8 <= stored[0] < stored[1] <= stored[2] < 60, stored
    assert orphans[1] > 0  # killed between the chunks and their articles' records
    report = fresh.ingest([str(tmp_path / "news")])
    assert (report.skipped, report.added + report.updated) == (stored[2], 60 - stored[2])
    assert_complete(fresh, 60)
