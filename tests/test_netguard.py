"""The SSRF guard: no fetch reaches this machine or a private network unless allowed."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.errors import URLRefused
from assistant.netguard import NetGuard, is_public
from assistant.sources import Article, Failure, Reader
from tests.test_api import assert_clean_error, serve_in_thread

SECRET = "internal admin console: the launch codes are 0000"
PAGE = (
    "<html><head><title>Harbor news</title></head><body><article><p>The harbor master said "
    "the new quay opens in June after dredging works finish in May.</p></article></body></html>"
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/admin",
        "http://localhost/admin",
        "http://2130706433/admin",  # 127.0.0.1 as a decimal number
        "http://0x7f000001/admin",  # ... and in hex
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://0.0.0.0/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
        "http://[fe80::1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[fd00::1]/",  # unique local IPv6
        "http://224.0.0.1/",  # multicast
    ],
)
def test_private_and_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(URLRefused, match=r"refused to fetch: .* is an address on this machine or a "
                       r"private network; set ASSISTANT_ALLOW_PRIVATE_URLS=true"):  # fmt: skip
        NetGuard().resolve(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://h/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(URLRefused, match="only http"):
        NetGuard().resolve(url)


def test_public_addresses_pass_and_operators_can_allow() -> None:
    assert NetGuard().resolve("http://93.184.216.34/") == ["93.184.216.34"]
    assert NetGuard().resolve("https://[2606:2800:220:1::1]/") == ["2606:2800:220:1::1"]
    assert NetGuard(allow_private=True).resolve("http://2130706433/") == ["127.0.0.1"]
    assert NetGuard(allowlist=("127.0.0.0/8",)).resolve("http://127.1/") == ["127.0.0.1"]
    assert NetGuard(allowlist=("localhost",)).resolve("http://localhost:1/")[0] in (
        "127.0.0.1",
        "::1",
    )
    with pytest.raises(URLRefused):  # a name on the list does not allow other names
        NetGuard(allowlist=("localhost",)).resolve("http://127.0.0.1/")
    assert not is_public(__import__("ipaddress").ip_address("2002:7f00:1::1"))  # 6to4 of 127/8


@pytest.fixture(scope="module")
def internal() -> Iterator[tuple[str, list[str], list[dict[str, str]]]]:
    """A 'private' site on 127.0.0.1: a secret page, a redirect to it, a plain page, a feed."""
    hits: list[str] = []
    headers: list[dict[str, str]] = []
    base = ""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            headers.append({k.lower(): v for k, v in self.headers.items()})
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", f"{base}/admin")
                self.end_headers()
                return
            body = {"/admin": f"<html><body><p>{SECRET}</p></body></html>", "/page": PAGE}.get(
                self.path
            )
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base, hits, headers
    server.shutdown()


def test_redirects_into_private_addresses_are_refused(internal: Any) -> None:
    base, hits, _ = internal
    port = base.rsplit(":", 1)[1]
    reader = Reader(guard=NetGuard(allowlist=("localhost",)))  # only the *name* is allowed
    hits.clear()
    [fail] = list(reader.read([f"http://localhost:{port}/redirect"]))
    assert isinstance(fail, Failure)
    assert f"http://127.0.0.1:{port}/admin: refused to fetch" in fail.reason
    assert hits == ["/redirect"]  # the private target was never requested


def test_allowed_names_connect_to_the_checked_address(internal: Any) -> None:
    base, _hits, headers = internal
    port = base.rsplit(":", 1)[1]
    reader = Reader(guard=NetGuard(allowlist=("localhost",)))
    [art] = list(reader.read([f"http://localhost:{port}/page"]))
    assert isinstance(art, Article) and "new quay opens in June" in art.text
    assert headers[-1]["host"] == f"localhost:{port}"  # pinned to the IP, Host kept


def test_trusting_reader_allows_only_the_typed_hosts(internal: Any, tmp_path: Path) -> None:
    base, _hits, _ = internal
    port = base.rsplit(":", 1)[1]
    reader = Reader().trusting(["127.0.0.1"])  # what `assistant ingest URL` does
    [art] = list(reader.read([f"{base}/page"]))
    assert isinstance(art, Article)
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED.format(link=f"http://127.0.0.2:{port}/admin"))
    [fail] = list(reader.read([feed]))  # a link inside content is not typed by the operator
    assert isinstance(fail, Failure) and "feed.xml#1: http://127.0.0.2:" in fail.reason
    assert "127.0.0.2 is an address on this machine" in fail.reason


FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Teaser</title><link>{link}</link><description>Short.</description></item>
</channel></rss>"""


@pytest.fixture(scope="module")
def guarded_api(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Any]:
    """The API with default settings (the guard on), serving a store with one article."""
    from assistant.api import create_api
    from assistant.service import Assistant
    from tests.conftest import CORPUS, make_settings

    a = Assistant(make_settings(tmp_path_factory.mktemp("ssrf") / "data"))
    a.embedder = embedder
    a.ingest([str(CORPUS)])
    with serve_in_thread(create_api(a)) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield a, url, c


def test_api_url_ingest_cannot_read_back_private_pages(guarded_api: Any, internal: Any) -> None:
    _a, api_url, client = guarded_api
    base, hits, _ = internal
    port = base.rsplit(":", 1)[1]
    hits.clear()
    for url in (
        f"{base}/admin",
        f"http://localhost:{port}/admin",
        f"http://2130706433:{port}/admin",
        f"http://[::1]:{port}/admin",
        f"{base}/redirect",
        f"{api_url}/api/sources",  # the server's own API
    ):
        r = client.post("/api/ingest", json={"urls": [url]})
        assert_clean_error(r, 422, "refused to fetch")
    assert hits == []  # nothing was ever requested from the private site
    texts = [client.get(f"/api/articles/{s['id']}").json()["text"] for s in
             client.get("/api/sources").json()]  # fmt: skip
    assert len(texts) == 1 and not any(SECRET in t for t in texts)


def test_uploaded_feed_links_cannot_reach_private_pages(guarded_api: Any, internal: Any) -> None:
    _, _, client = guarded_api
    base, hits, _ = internal
    hits.clear()
    feed = FEED.format(link=f"{base}/admin").encode()
    r = client.post("/api/ingest", files=[("files", ("wire.xml", feed, "application/rss+xml"))])
    assert_clean_error(r, 422, f"wire.xml#1: {base}/admin: refused to fetch")
    assert hits == []


@pytest.mark.parametrize(
    "link", ["http://127.0.0.1:9.a/x", "http://exa\x19mple.org/", "http://127.0.°.1/"]
)
def test_malformed_feed_links_are_failures(tmp_path: Path, link: str) -> None:
    # found by benchmarks/fuzz_parsers.py: httpx.InvalidURL escaped the reader
    feed = tmp_path / "f.xml"
    feed.write_text(FEED.format(link=link))
    [fail] = list(Reader().read([feed]))
    assert isinstance(fail, Failure) and "not a valid URL" in fail.reason
