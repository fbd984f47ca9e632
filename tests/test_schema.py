"""The JSON API against its own OpenAPI schema: a schemathesis run on the real server.

The server is the whole app (`assistant.web.build_app`: API + chat) under uvicorn on 127.0.0.1,
with an API token (so the auth checks mean something) over a store holding the seed corpus.
schemathesis (examples, coverage, fuzzing and stateful phases, every check) is run as its CLI,
the same command docs/reliability.md gives. Then one regression test per finding it made.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS, ROOT, make_settings
from tests.test_api import serve_in_thread

TOKEN = "schema-test-token-0123456789"
CONFIG = ROOT / "tests" / "schemathesis.toml"
ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple[Any, str]]:
    """The app with a token and no rate limit (the fuzzer sends hundreds of requests)."""
    from assistant.service import Assistant
    from assistant.web import build_app

    settings = make_settings(
        tmp_path_factory.mktemp("schema") / "data", api_token=TOKEN, rate_limit_per_minute=0
    )
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.ingest([str(CORPUS)]).added == 1
    with serve_in_thread(build_app(assistant)) as url:
        yield assistant, url


@pytest.fixture
def client(served: tuple[Any, str]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=served[1], timeout=60, headers=headers) as c:
        yield c


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    served: tuple[Any, str], tmp_path: Path
) -> None:
    cmd = [
        str(ST), "--config-file", str(CONFIG), "--no-color", "run", f"{served[1]}/openapi.json",
        "-H", f"Authorization: Bearer {TOKEN}", "--max-examples", "30", "--seed", "1",
    ]  # fmt: skip
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=500)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "Selected: 6/6" in out and "Tested: 6" in out, out[-3000:]
    summary = out[out.index("Test cases:") :]
    print(summary)  # the figures for docs/reliability.md (pytest -rP shows them)
    generated = int(summary.split()[2])
    assert generated >= 300 and f"{generated} passed" in summary, summary
    assert "failure" not in summary.lower() and "error" not in summary.lower(), summary
    assert served[0].sources()[0].ref.title.startswith("White House says conditions")


# --------------------------------------------------------------------------- its findings
def test_security_is_declared_only_when_a_token_is_enforced(
    client: httpx.Client, tmp_path: Path, embedder: Any
) -> None:
    """Found: the schema declared bearer auth on a server without a token (ST401/ST203)."""
    from assistant.api import create_api
    from assistant.service import Assistant

    with_token = client.get("/openapi.json").json()
    assert "HTTPBearer" in with_token["components"]["securitySchemes"]
    assert with_token["paths"]["/api/ask"]["post"]["security"] == [{"HTTPBearer": []}]
    assert client.get("/api/sources", headers={"Authorization": "Bearer nope"}).status_code == 401

    open_app = create_api(Assistant(make_settings(tmp_path / "d"), embedder=embedder))
    schema = open_app.openapi()
    assert "securitySchemes" not in schema.get("components", {})
    assert all("security" not in op for ops in schema["paths"].values() for op in ops.values())


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("TRACE", "/healthz", "GET"), ("POST", "/healthz", "GET"), ("QUERY", "/api/ask", "POST"),
     ("TRACE", "/api/sources", "GET"), ("DELETE", "/api/articles/x", "GET")],
)  # fmt: skip
def test_an_undeclared_method_is_405_in_the_api_error_shape(
    client: httpx.Client, method: str, path: str, allowed: str
) -> None:
    """Found: TRACE /healthz answered the chat's 404 ``{"detail": ...}`` (ST204), so did QUERY."""
    r = client.request(method, path)
    assert r.status_code == 405, r.text
    assert r.json() == {"error": f"{method} is not allowed on {path}; use {allowed}"}
    assert r.headers["allow"] == allowed


@pytest.mark.parametrize("day", [0, 1700000000, "1700000000", "2000-01-01T00:00:00", "٢٠٢٤-٠١-٠١"])
def test_a_day_is_only_yyyy_mm_dd_text(client: httpx.Client, day: object) -> None:
    """Found: ``"until": 0`` was taken as 1970-01-01 although the schema says a date string."""
    for path, body in (("/api/ask", {"question": "Who?"}), ("/api/brief", {"topic": "talks"})):
        r = client.post(path, json={**body, "until": day})
        assert r.status_code == 422, r.text
        assert r.json() == {"error": "invalid request: until: Value error, expected a day as "
                            "'YYYY-MM-DD'"}  # fmt: skip
    r = client.post("/api/ask", json={"question": "Who?", "until": "2030-01-01"})
    assert r.status_code == 200 and r.json()["filters"]["until"] == "2030-01-01"


@pytest.mark.parametrize(
    ("fmt", "ctype", "start"),
    [("json", "application/json", "{"), ("md", "text/markdown", "## Briefing: talks"),
     ("html", "text/html", "<!doctype html>")],
)  # fmt: skip
def test_brief_declares_each_content_type_it_sends(
    client: httpx.Client, fmt: str, ctype: str, start: str
) -> None:
    """Found: ``format: md`` answered text/markdown, which the schema did not list (ST105)."""
    declared = client.get("/openapi.json").json()["paths"]["/api/brief"]["post"]["responses"]
    assert ctype in declared["200"]["content"]
    r = client.post("/api/brief", json={"topic": "talks", "format": fmt})
    assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
    assert r.text.startswith(start)


def test_ingest_declares_its_422(client: httpx.Client) -> None:
    """Found: ``POST /api/ingest {}`` answered 422, not among its documented statuses (ST103)."""
    declared = client.get("/openapi.json").json()["paths"]["/api/ingest"]["post"]["responses"]
    assert {"413", "415", "422", "503"} <= set(declared)
    r = client.post("/api/ingest", json={})
    assert r.status_code == 422 and r.json()["error"].startswith("invalid JSON body")


def test_the_sources_link_names_the_article_operation(client: httpx.Client) -> None:
    """The stateful phase follows ``/api/sources`` ids into ``/api/articles/{id}``."""
    paths = client.get("/openapi.json").json()["paths"]
    link = paths["/api/sources"]["get"]["responses"]["200"]["links"]["GetArticle"]
    assert link["operationId"] == paths["/api/articles/{article_id}"]["get"]["operationId"]
    first = client.get("/api/sources").json()[0]["id"]
    assert client.get(f"/api/articles/{first}").json()["id"] == first
