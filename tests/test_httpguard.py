"""API hardening over real HTTP: body limits, rate limits, text checks, offline docs, 404 shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api import create_api
from assistant.httpguard import RateLimit
from tests.conftest import make_settings
from tests.test_api import assert_clean_error, serve_in_thread


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[httpx.Client]:
    """The API alone over the seed corpus, with a small body limit and a tight rate limit."""
    from assistant.service import Assistant
    from tests.conftest import CORPUS

    data = tmp_path_factory.mktemp("guard") / "data"
    a = Assistant(make_settings(data, max_body_kb=64, rate_limit_per_minute=60))
    a.embedder = embedder
    assert a.ingest([str(CORPUS)]).added == 1
    with serve_in_thread(create_api(a)) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


@pytest.mark.parametrize(
    ("question", "status", "match"),
    [
        ("\ud800", 422, "question: Value error, contains a lone UTF-16 surrogate"),
        ("why \udfff?", 422, "lone UTF-16 surrogate"),
        ("\u200b\u200d\ufeff", 400, "the question is empty"),
        ("\x00\x07\x1b\u2028", 400, "the question is empty"),
    ],
)
def test_bad_question_text_is_a_clear_4xx(
    api: httpx.Client, question: str, status: int, match: str
) -> None:
    body = json.dumps({"question": question})  # json escapes the surrogate as \\ud800
    assert "\\ud" in body or status == 400
    r = api.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert_clean_error(r, status, match)


def post_json(api: httpx.Client, path: str, payload: object) -> httpx.Response:
    body = json.dumps(payload)  # ASCII JSON: a lone surrogate travels as \\ud800
    return api.post(path, content=body, headers={"content-type": "application/json"})


def test_surrogates_in_history_filters_and_urls_are_refused(api: httpx.Client) -> None:
    bad = {"question": "hi", "history": [{"question": "\ud800"}]}
    assert_clean_error(post_json(api, "/api/ask", bad), 422, "history.0.question")
    bad = {"question": "hi", "sources": ["\udc80"]}
    assert_clean_error(post_json(api, "/api/ask", bad), 422, "sources.0")
    bad = {"urls": ["http://x.test/\ud800"]}
    assert_clean_error(post_json(api, "/api/ingest", bad), 422, "invalid JSON body")


def test_a_body_that_is_not_json_is_a_415_naming_what_to_send(api: httpx.Client) -> None:
    r = api.post("/api/ask", data={"question": "hello"})  # a form, as curl -d sends
    assert_clean_error(
        r, 415,
        "send the body as JSON with Content-Type: application/json (got "
        "application/x-www-form-urlencoded)",
    )  # fmt: skip
    r = api.post("/api/brief", content=b"topic", headers={"content-type": "text/plain"})
    assert_clean_error(r, 415, "(got text/plain)")
    ok = api.post(
        "/api/ask", content=json.dumps({"question": "What does Russia require before talks?"}),
        headers={"content-type": "application/json; charset=utf-8"},
    )  # fmt: skip
    assert ok.status_code == 200 and ok.json()["quotes"]


def test_huge_body_is_refused_before_parsing(api: httpx.Client) -> None:
    big = b'{"question": "' + b"a" * (50 * 1024 * 1024) + b'"}'
    r = api.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert_clean_error(r, 413, "the request body is over the 0.07 MB limit (ASSISTANT_MAX_BODY_KB")


def test_streamed_body_without_length_is_cut_off(api: httpx.Client) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"question": "'
        for _ in range(400):  # 400 x 16 KB = 6.4 MB if nothing stopped it
            sent += 1
            yield b"a" * 16384
        yield b'"}'

    r = api.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert_clean_error(r, 413, "request body is over")


def test_docs_are_self_hosted(api: httpx.Client) -> None:
    r = api.get("/docs")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    page = r.text
    assert "POST /api/ask" in page and "/openapi.json" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert api.get("/redoc").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status", "match"),
    [
        ("GET", "/api/nope", 404, "no API route GET /api/nope"),
        ("POST", "/api/articles/x/y", 404, "no API route POST"),
        ("GET", "/api/ask", 405, "GET is not allowed on /api/ask; use POST"),
        ("GET", "/nowhere", 404, "Not Found"),
    ],
)
def test_unknown_routes_answer_the_api_error_shape(
    api: httpx.Client, method: str, path: str, status: int, match: str
) -> None:
    assert_clean_error(api.request(method, path), status, match)


def test_rate_limit_bucket() -> None:
    limiter = RateLimit(app=None, per_minute=3)  # type: ignore[arg-type]
    assert [limiter.take("a", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", now=100.0) == pytest.approx(20.0)  # one token per 20 s
    assert limiter.take("b", now=100.0) == 0.0  # per client
    assert limiter.take("a", now=120.0) == 0.0  # refilled


def test_rate_limit_over_http(tmp_path: Path) -> None:
    from assistant.service import Assistant

    a = Assistant(make_settings(tmp_path / "data", rate_limit_per_minute=5))
    with serve_in_thread(create_api(a)) as url, httpx.Client(base_url=url) as c:
        codes = [c.get("/api/sources").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        r = c.get("/api/sources")
        assert_clean_error(r, 429, "too many requests from 127.0.0.1: the limit is 5 per minute")
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # health checks are not limited


def test_upload_count_is_limited(api: httpx.Client) -> None:
    files = [("files", (f"n{i}.md", b"Body.")) for i in range(21)]
    r = api.post("/api/ingest", files=files)
    assert_clean_error(r, 400, "Maximum number of files is 20")


def test_a_few_mb_bomb_and_a_good_upload_at_the_same_time(
    api: httpx.Client, tmp_path: Path
) -> None:
    import threading

    from tests.conftest import write_bomb

    bomb = write_bomb(tmp_path / "b.jsonl.gz", megabytes=3).read_bytes()  # ~3 GB of spaces
    story = b"Port director Ana Silva said the container terminal reopens on Thursday."
    results: dict[str, httpx.Response] = {}

    def post(name: str, files: list[tuple[str, tuple[str, bytes]]]) -> None:
        results[name] = api.post("/api/ingest", files=files)

    threads = [
        threading.Thread(target=post, args=("bomb", [("files", ("b.jsonl.gz", bomb))])),
        threading.Thread(target=post, args=("good", [("files", ("port.txt", story))])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert_clean_error(
        results["bomb"], 422, "b.jsonl.gz: unpacks to more than 29.9 MB (over 10 times its 3.0 MB)"
    )
    assert results["good"].status_code == 200 and results["good"].json()["added"] == 1
    mixed = api.post(
        "/api/ingest",
        files=[("files", ("b2.jsonl.gz", bomb)), ("files", ("port2.txt", story + b" Later."))],
    )
    assert mixed.status_code == 200, mixed.text
    body = mixed.json()
    assert body["added"] == 1 and [f["origin"] for f in body["failures"]] == ["b2.jsonl.gz"]
    assert "decompression bomb" in body["failures"][0]["reason"]


@pytest.mark.slow
def test_eight_clients_ask_while_an_upload_ingests(api: httpx.Client, tmp_path: Path) -> None:
    """Bounded load on 127.0.0.1: 8 concurrent questions (twice each) during an ingest give
    the same answer as one question alone; no errors, no deadlock."""
    import threading

    from tests.test_api import DESIGN_Q

    alone = api.post("/api/ask", json={"question": DESIGN_Q}).json()
    rows = "\n".join(
        json.dumps({"id": f"load{i}", "text": f"Load story {i}: the council approved the new "
                    f"bridge on day {i}, the mayor said."}) for i in range(60)
    ).encode()  # fmt: skip
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def ask_twice() -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=120) as c:
            for _ in range(2):
                r = c.post("/api/ask", json={"question": DESIGN_Q})
                with lock:
                    (answers.append(r.json()) if r.status_code == 200 else errors.append(r.text))

    def ingest() -> None:
        r = api.post("/api/ingest", files=[("files", ("load.jsonl", rows))])
        if r.status_code != 200 or r.json()["added"] != 60:
            errors.append(r.text)

    threads = [threading.Thread(target=ingest)] + [
        threading.Thread(target=ask_twice) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads) and errors == []
    assert len(answers) == 16
    for a in answers:
        assert [q["text"] for q in a["quotes"]] == [q["text"] for q in alone["quotes"]]
        assert [(q["start"], q["end"]) for q in a["quotes"]] == [
            (q["start"], q["end"]) for q in alone["quotes"]
        ]
