"""Shared fixtures: a real embedded store with the seed article, real model, no outside network."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
    del os.environ[key]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "kirby-russia-talks.md"
BENCH = ROOT.parent / "shared" / "bench"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    """Tests may only talk to this machine."""
    host = address[0] if isinstance(address, tuple) else address
    if (
        isinstance(host, str)
        and host not in ("127.0.0.1", "localhost", "::1")
        and not (self.family == socket.AF_UNIX)
    ):
        raise OSError(f"tests must not reach the network (tried {address!r})")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from assistant.embed import SentenceEmbedder

    return SentenceEmbedder()


def make_settings(data_dir: Path, **kw: object):  # type: ignore[no-untyped-def]
    from assistant.settings import Settings

    return Settings(data_dir=data_dir, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """An Assistant over the shipped corpus (the seed article), shared by read-only tests."""
    from assistant.service import Assistant

    data = tmp_path_factory.mktemp("seeded")
    a = Assistant(make_settings(data), embedder=embedder)
    report = a.ingest([str(CORPUS)])
    assert report.added == 1 and report.failed == 0
    return a


@pytest.fixture
def fresh(tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    """An empty Assistant in its own data directory."""
    from assistant.service import Assistant

    a = Assistant(make_settings(tmp_path / "data"), embedder=embedder)
    return a


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1 (skipped if the executable is missing)."""
    import subprocess
    import sys
    import time

    import httpx

    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the `chroma` executable is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def llm_server() -> Iterator[Any]:
    """The local fake LLM server (OpenAI and Ollama wire protocols), one per session."""
    from tests.fake_llm import running_fake_llm

    with running_fake_llm() as fake:
        yield fake


@pytest.fixture
def fake(llm_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fake LLM server, reset, with fast retries; fails the test if its script broke."""
    from assistant.answer import chat

    llm_server.reset()
    monkeypatch.setattr(chat, "BACKOFF_SECONDS", 0.01)
    yield llm_server
    assert not llm_server.errors, llm_server.errors
    llm_server.reset()


def write_bomb(path: Path, megabytes: float = 3) -> Path:
    """A gzip "bomb": ``megabytes`` of gzip that unpack to about 1000 times as many spaces.

    Built from one compressed 16 MB member repeated (gzip allows concatenated members), so
    making it takes a fraction of a second.
    """
    import gzip

    member = gzip.compress(b" " * (1 << 24), 9)
    path.write_bytes(member * int(megabytes * 1_000_000 // len(member)))
    return path


def jsonl_gz(path: Path, rows: list[dict[str, object]]) -> Path:
    """A gzipped JSON Lines file of ``rows``."""
    import gzip
    import json

    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    return path
