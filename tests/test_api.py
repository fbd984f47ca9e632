"""The JSON API over real HTTP: uvicorn serving the app on 127.0.0.1, httpx as the client."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api import create_api, is_loopback, require_auth_off_loopback
from assistant.errors import ConfigError
from assistant.render.markdown import answer_json
from assistant.uploads import UploadRejected, safe_filename
from tests.conftest import CORPUS, free_port, make_settings

DESIGN_Q = "What does Russia require before talks?"
NEW_ARTICLE = b"""---
title: Ferry terminal to open in May
source: Harbor Gazette
published: 2024-03-02
---
Harbor Authority chair Maria Lopez said the new ferry terminal on Pier Nine will open to \
passengers in May after final safety inspections. Lopez added that the terminal will add \
twelve daily crossings to the island of Corvo.
"""


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free 127.0.0.1 port; yield its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Any]:
    """The full app (API + chat) over a fresh store holding the seed corpus."""
    from assistant.service import Assistant
    from assistant.web import build_app

    data = tmp_path_factory.mktemp("api") / "data"
    # fetches from the test's own 127.0.0.1 servers are opted in (the SSRF guard is on by
    # default; tests/test_netguard.py covers it)
    assistant = Assistant(
        make_settings(data, upload_max_mb=0.25, allow_private_urls=True), embedder=embedder
    )
    assert assistant.ingest([str(CORPUS)]).added == 1
    with serve_in_thread(build_app(assistant)) as url:
        yield assistant, url


@pytest.fixture
def client(served: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[1], timeout=60) as c:
        yield c


def ask(client: httpx.Client, question: str, **kw: Any) -> httpx.Response:
    return client.post("/api/ask", json={"question": question, **kw})


def assert_clean_error(r: httpx.Response, status: int, match: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and match in body["error"], body
    assert "Traceback" not in r.text and 'File "' not in r.text


def test_health_and_openapi(client: httpx.Client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/ask", "/api/ingest", "/api/sources", "/api/articles/{article_id}", "/healthz"):
        assert p in paths
    assert "multipart/form-data" in paths["/api/ingest"]["post"]["requestBody"]["content"]
    assert client.get("/").status_code == 200  # the chat is mounted on the same server


def test_ask_design_question_quotes_the_article_exactly(served: Any, client: httpx.Client) -> None:
    r = ask(client, DESIGN_Q)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == answer_json(served[0].ask(DESIGN_Q))  # the same JSON as `assistant ask --json`
    assert not body["abstained"] and body["mode"] == "extractive"
    first = body["quotes"][0]
    assert "Officials from the Russian side" in first["text"]
    assert "Russian" in (first["speaker"] or "")
    art = client.get(f"/api/articles/{first['article_id']}").json()
    for q in body["quotes"]:
        assert art["text"][q["start"] : q["end"]] == q["text"]
    assert art["title"] == first["title"] and art["source"] == "DEA News"


def test_ask_passes_history_and_filters(client: httpx.Client) -> None:
    r = ask(client, "What did he say?", history=[{"question": "Who is John Kirby?"}])
    assert r.status_code == 200 and "Kirby" in r.json()["standalone_question"]
    r = ask(client, DESIGN_Q, sources=["No Such Outlet"], until="2030-01-01")
    body = r.json()
    assert body["abstained"] and body["quotes"] == []
    assert body["filters"] == {"sources": ["No Such Outlet"], "since": None, "until": "2030-01-01"}


@pytest.mark.parametrize(
    ("payload", "status", "match"),
    [
        ({"question": ""}, 400, "empty"),
        ({"question": "   "}, 400, "empty"),
        ({}, 422, "question: Field required"),
        ({"question": "x", "as_of": "yesterday"}, 422, "as_of"),
        ({"question": "x", "surprise": 1}, 422, "surprise"),
    ],
)
def test_ask_errors_are_json_messages(
    client: httpx.Client, payload: dict[str, Any], status: int, match: str
) -> None:
    assert_clean_error(client.post("/api/ask", json=payload), status, match)


def test_sources_and_articles(client: httpx.Client) -> None:
    rows = client.get("/api/sources").json()
    seed = next(r for r in rows if r["source"] == "DEA News")
    assert set(seed) == {"id", "title", "source", "published", "url", "chunks"}
    assert seed["chunks"] >= 1
    art = client.get(f"/api/articles/{seed['id']}").json()
    assert art["text"].startswith("At a recent briefing") and art["chunks"] == seed["chunks"]
    assert_clean_error(client.get("/api/articles/nope"), 404, "no article")


def test_upload_is_searchable_at_once(client: httpx.Client) -> None:
    r = client.post("/api/ingest", files=[("files", ("ferry.md", NEW_ARTICLE, "text/markdown"))])
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and r.json()["failed"] == 0
    body = ask(client, "When will the new ferry terminal open?").json()
    assert not body["abstained"]
    assert any(
        "ferry terminal" in q["text"] and q["source"] == "Harbor Gazette" for q in body["quotes"]
    )
    again = client.post("/api/ingest", files=[("files", ("ferry.md", NEW_ARTICLE))]).json()
    assert again["added"] == 0 and again["skipped"] == 1


def test_upload_names_cannot_escape_the_upload_folder(served: Any, client: httpx.Client) -> None:
    data = Path(served[0].settings.data_dir)
    body = NEW_ARTICLE.replace(b"Ferry terminal", b"Escape hatch")
    r = client.post("/api/ingest", files=[("files", ("../../../escape.md", body))])
    assert r.status_code == 200, r.text
    assert not (data.parent / "escape.md").exists() and not (data / "escape.md").exists()
    saved = list((data / "uploads").glob("*/escape.md"))
    assert len(saved) == 1 and saved[0].read_bytes() == body
    origins = {s.origin for s in served[0].sources()}
    assert str(saved[0]) in origins
    assert_clean_error(
        client.post("/api/ingest", files=[("files", ("..", body))]), 400, "not a usable"
    )


def test_unreadable_upload_is_reported_without_server_paths(client: httpx.Client) -> None:
    broken = ("broken.json", b'{"title": "no text"}')
    r = client.post("/api/ingest", files=[("files", broken)])
    assert_clean_error(r, 422, "nothing was added: broken.json: no 'text' or 'body' field")
    assert "uploads" not in r.text
    r = client.post(
        "/api/ingest", files=[("files", broken), ("files", ("ok.md", NEW_ARTICLE))]
    )  # some added: 200 with the failures listed
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] + body["updated"] + body["skipped"] == 1 and body["failed"] == 1
    failure = body["failures"][0]
    assert failure["origin"].startswith("broken.json") and "uploads" not in str(failure)
    assert "text" in failure["reason"]


def test_bomb_upload_is_refused_and_the_rest_of_the_upload_ingests(
    served: Any, client: httpx.Client, tmp_path: Path
) -> None:
    from tests.conftest import write_bomb

    bomb = write_bomb(tmp_path / "bomb.jsonl.gz", megabytes=0.2).read_bytes()  # 200 MB unpacked
    r = client.post("/api/ingest", files=[("files", ("bomb.jsonl.gz", bomb))])
    assert_clean_error(r, 422, "nothing was added: bomb.jsonl.gz: unpacks to more than")
    assert "decompression bomb" in r.json()["error"] and "uploads" not in r.text
    corrupt = gzip.compress(b"")[:10] + b"\xff" * 30  # a gzip header, then junk
    r = client.post("/api/ingest", files=[("files", ("cut.jsonl.gz", corrupt))])
    assert_clean_error(r, 422, "cut.jsonl.gz: corrupt or truncated gzip file")
    good = NEW_ARTICLE.replace(b"Ferry terminal", b"Bomb-proof ferry").replace(b"Nine", b"Ten")
    r = client.post(
        "/api/ingest",
        files=[("files", ("b.jsonl.gz", bomb)), ("files", ("c.jsonl.gz", corrupt)),
               ("files", ("good.md", good))],
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 1 and body["failed"] == 2, body
    assert [f["origin"] for f in body["failures"]] == ["b.jsonl.gz", "c.jsonl.gz"]
    assert any(s.ref.title == "Bomb-proof ferry to open in May" for s in served[0].sources())


@pytest.mark.parametrize(
    ("name", "size", "status", "match"),
    [
        ("big.txt", 300_000, 413, "limit"),
        ("tool.exe", 100, 415, "not accepted"),
        ("notes.txt.gz", 100, 415, "not accepted"),
        ("empty.md", 0, 422, "empty.md: empty file"),
    ],
)
def test_bad_uploads_get_a_message(
    served: Any, client: httpx.Client, name: str, size: int, status: int, match: str
) -> None:
    before = len(served[0].sources())
    r = client.post("/api/ingest", files=[("files", (name, b"a" * size))])
    assert_clean_error(r, status, match)
    assert len(served[0].sources()) == before


def test_an_empty_file_is_a_failure_beside_the_files_that_ingest(
    served: Any, client: httpx.Client
) -> None:
    good = NEW_ARTICLE.replace(b"Ferry terminal", b"Empty-proof ferry").replace(b"Nine", b"Six")
    r = client.post(
        "/api/ingest", files=[("files", ("empty.txt", b"")), ("files", ("good.md", good))]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["failed"]) == (1, 1)
    assert body["failures"] == [{"origin": "empty.txt", "reason": "empty.txt: empty file"}]
    assert any(s.ref.title == "Empty-proof ferry to open in May" for s in served[0].sources())


def test_streamed_oversize_body_is_cut_off(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="x.txt"\r\n\r\n'
        for _ in range(64):
            yield b"x" * 16384
        yield b"\r\n--b--\r\n"

    r = client.post(
        "/api/ingest", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert_clean_error(r, 413, "limit")


def test_ingest_urls_and_refuse_other_schemes(client: httpx.Client, tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Library reopens</title></head><body><article><h1>Library reopens"
        "</h1><p>City librarian Ahmed Musa said the Eastside library reopens on Monday with "
        "longer opening hours and a new reading room for children.</p></article></body></html>",
        encoding="utf-8",
    )
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/story.html"
        r = client.post("/api/ingest", json={"urls": [url]})
        httpd.shutdown()
    assert r.status_code == 200 and r.json()["added"] == 1, r.text
    assert_clean_error(
        client.post("/api/ingest", json={"urls": ["file:///etc/passwd"]}), 400, "URL"
    )
    assert_clean_error(client.post("/api/ingest", json={"urls": []}), 422, "urls")
    assert_clean_error(client.post("/api/ingest", content=b"x"), 415, "multipart")


def test_bearer_token_guards_the_api(tmp_path: Path) -> None:
    from assistant.service import Assistant

    a = Assistant(make_settings(tmp_path / "data", api_token="s3cret"))
    with serve_in_thread(create_api(a)) as url, httpx.Client(base_url=url) as c:
        assert c.get("/healthz").status_code == 200
        assert_clean_error(c.get("/api/sources"), 401, "bearer token")
        wrong = c.get("/api/sources", headers={"Authorization": "Bearer nope"})
        assert_clean_error(wrong, 401, "bearer token")
        assert wrong.headers["www-authenticate"] == "Bearer"
        ok = {"Authorization": "Bearer s3cret"}
        assert c.get("/api/sources", headers=ok).json() == []
        assert_clean_error(c.post("/api/ask", json={"question": "hi"}, headers=ok), 409, "empty")


def test_login_guards_the_chat_and_token_the_api(tmp_path: Path) -> None:
    from assistant.service import Assistant
    from assistant.web import build_app

    settings = make_settings(tmp_path / "data", web_user="ann", web_password="pw", api_token="t")
    # (a short token is fine on 127.0.0.1; off loopback it must have 16+ characters)
    with serve_in_thread(build_app(Assistant(settings))) as url, httpx.Client(base_url=url) as c:
        assert c.get("/config").status_code == 401  # the chat's config needs a login
        assert c.post("/login", data={"username": "ann", "password": "no"}).status_code == 400
        assert c.post("/login", data={"username": "ann", "password": "pw"}).status_code == 200
        assert c.get("/config").status_code == 200
        assert_clean_error(c.get("/api/sources"), 401, "bearer")  # the login is not the token
        assert c.get("/api/sources", headers={"Authorization": "Bearer t"}).status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serving_beyond_loopback_requires_auth(served: Any) -> None:
    from assistant.web import serve

    with pytest.raises(ConfigError, match=r"ASSISTANT_API_TOKEN.*ASSISTANT_WEB_USER"):
        serve(host="0.0.0.0", port=free_port(), assistant=served[0])
    with pytest.raises(ConfigError, match="ASSISTANT_WEB_USER and ASSISTANT_WEB_PASSWORD"):
        require_auth_off_loopback("0.0.0.0", "token", None, None)
    with pytest.raises(ConfigError, match="both"):
        require_auth_off_loopback("127.0.0.1", None, "ann", None)
    long_token = "k" * 16
    require_auth_off_loopback("0.0.0.0", long_token, "ann", "pw")
    require_auth_off_loopback("127.0.0.1", None, None, None)
    require_auth_off_loopback("127.0.0.1", "t", None, None)


@pytest.mark.parametrize(
    ("token", "user", "password", "match"),
    [
        ("x", "ann", "pw", "ASSISTANT_API_TOKEN is 1 characters; use at least 16"),
        ("a" * 15, "ann", "pw", "is 15 characters"),
        ("   ", "ann", "pw", "set ASSISTANT_API_TOKEN"),
        ("k" * 16, " ", " ", "set ASSISTANT_WEB_USER and ASSISTANT_WEB_PASSWORD"),
        ("k" * 16, "", "pw", "both"),
    ],
)
def test_weak_credentials_are_refused_off_loopback(
    token: str, user: str, password: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        require_auth_off_loopback("0.0.0.0", token, user, password)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.md", "report.md"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\win.ini.txt", "win.ini.txt"),
        ("/abs/path/feed.xml", "feed.xml"),
        (".hidden.md", "hidden.md"),
        ("we ird;name$.html", "we_ird_name_.html"),
        ("a..b.txt", "a.b.txt"),
    ],
)
def test_safe_filename(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


@pytest.mark.parametrize("raw", ["", "..", "/", "../", "...", " ; "])
def test_safe_filename_refuses_nothing_left(raw: str) -> None:
    with pytest.raises(UploadRejected, match="not a usable file name"):
        safe_filename(raw)


def test_an_unreachable_store_answers_503_naming_it(tmp_path: Path, embedder: Any) -> None:
    """A Chroma server that is down is the service being unavailable, not a server bug."""
    from assistant.service import Assistant

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assistant = Assistant(make_settings(tmp_path / "data", chroma_url=down), embedder=embedder)
    with serve_in_thread(create_api(assistant)) as url:
        r = httpx.post(f"{url}/api/ask", json={"question": "What does Russia require?"})
        schema = httpx.get(f"{url}/openapi.json").json()
    assert r.status_code == 503, r.text
    assert down in r.json()["error"]
    assert "503" in schema["paths"]["/api/ask"]["post"]["responses"]
