from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from assistant.sources import Failure, Reader, read_text
from assistant.types import Article
from tests.conftest import BENCH, SEED


def read_all(*targets: object) -> list[Article | Failure]:
    return list(Reader(max_bytes=200_000).read([str(t) for t in targets]))


def test_seed_front_matter() -> None:
    [a] = read_all(SEED)
    assert isinstance(a, Article)
    assert a.source == "DEA News"
    assert a.published is None
    assert a.title.startswith("White House says conditions")
    assert a.text.startswith("At a recent briefing, White House Strategic Communications")
    assert "---" not in a.text


def test_ids_are_stable_and_url_based() -> None:
    a = read_text("---\nurl: https://x.test/a\n---\nBody text here.", "a.md")
    b = read_text("---\nurl: https://x.test/a\n---\nOther body.", "b.md")
    c = read_text("Body text here.", "c.md")
    assert a.id == b.id != c.id
    assert read_text("Body text here.", "d.md").id == c.id


def test_jsonl_gz_with_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "arts.jsonl.gz"
    rows = [
        json.dumps(
            {
                "id": "x1",
                "title": "One",
                "text": "First article text.",
                "source": "CNN",
                "published": "2022-06-16",
                "authors": ["A B"],
            }
        ),
        "{not json",
        json.dumps({"title": "No text"}),
        json.dumps({"title": "Two", "body": "Second article.", "published_at": "2022-07-01"}),
    ]
    f.write_bytes(gzip.compress("\n".join(rows).encode()))
    items = read_all(f)
    arts = [i for i in items if isinstance(i, Article)]
    fails = [i for i in items if isinstance(i, Failure)]
    assert next(a.id for a in arts) == "x1"
    assert arts[0].published == date(2022, 6, 16) and arts[0].authors == ("A B",)
    assert arts[1].published == date(2022, 7, 1)
    assert len(fails) == 2
    assert "arts.jsonl.gz:2: malformed JSON line" in fails[0].reason
    assert "no 'text' or 'body' field" in fails[1].reason


def test_json_that_python_refuses_to_parse_is_one_failure_each(tmp_path: Path) -> None:
    """A number past Python's 4,300-digit limit raises a plain ValueError and deep nesting a
    RecursionError: each file (or line) is one failure naming it and why, and the rest reads."""
    huge = '{"title": "T", "text": "Body text here.", "n": ' + "1" * 5000 + "}"
    (tmp_path / "huge.json").write_text(f"[{huge}]")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    good = json.dumps({"title": "Fine", "text": "A readable article."})
    (tmp_path / "lines.jsonl").write_text(f"{huge}\n{good}\n")
    got = {p.name: read_all(p) for p in sorted(tmp_path.iterdir())}
    [deep], [whole] = got["deep.json"], got["huge.json"]
    assert isinstance(deep, Failure) and deep.reason == (
        f"{tmp_path / 'deep.json'}: invalid JSON (nested too deeply)"
    )
    assert isinstance(whole, Failure) and whole.reason == (
        f"{tmp_path / 'huge.json'}: invalid JSON (a number with more than 4300 digits)"
    )
    bad, fine = got["lines.jsonl"]
    assert isinstance(bad, Failure) and bad.reason == (
        f"{tmp_path / 'lines.jsonl'}:1: malformed JSON line (a number with more than 4300 digits)"
    )
    assert isinstance(fine, Article) and fine.text == "A readable article."


def test_html_extraction(tmp_path: Path) -> None:
    body = " ".join(["The council approved the budget after a long debate."] * 12)
    html = f"""<html><head><title>Council approves budget</title>
    <meta property="og:site_name" content="City Times">
    <meta name="date" content="2023-03-05"></head>
    <body><nav>Home | Sports | Sign up</nav><article><h1>Council approves budget</h1>
    <p>{body}</p><p>Mayor Jane Roe said the plan was fair.</p></article>
    <footer>Copyright 2023</footer></body></html>"""
    f = tmp_path / "page.html"
    f.write_text(html)
    [a] = read_all(f)
    assert isinstance(a, Article)
    assert a.title == "Council approves budget"
    assert "Mayor Jane Roe said the plan was fair." in a.text
    assert "Home | Sports" not in a.text
    assert a.published == date(2023, 3, 5)


def test_bad_inputs_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "huge.txt").write_text("word " * 60_000)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "legacy.txt").write_bytes(
        "Le président a déclaré que la réunion était très importante pour l'économie.".encode(
            "cp1252"
        )
    )
    (tmp_path / "good.md").write_text("A good article about the economy.")
    items = read_all(tmp_path)
    by_origin = {Path(i.origin).name: i for i in items}
    assert isinstance(by_origin["good.md"], Article)
    legacy = by_origin["legacy.txt"]
    assert isinstance(legacy, Article) and "président a déclaré" in legacy.text
    for name, reason in [
        ("empty.txt", "empty file"),
        ("binary.txt", "binary file"),
        ("huge.txt", "over the 0.2 MB limit"),
        ("broken.pdf", "malformed PDF"),
    ]:
        item = by_origin[name]
        assert isinstance(item, Failure), name
        assert reason in item.reason and name in item.reason


def test_missing_path() -> None:
    [f] = read_all("/nonexistent/folder")
    assert isinstance(f, Failure) and "no such file or folder" in f.reason


@pytest.mark.skipif(not (BENCH / "rtqa" / "corpus.jsonl.gz").exists(), reason="bench data absent")
def test_rtqa_corpus_reads_as_is() -> None:
    import itertools

    items = list(itertools.islice(Reader().read([BENCH / "rtqa" / "corpus.jsonl.gz"]), 50))
    assert all(isinstance(i, Article) for i in items)
    first = items[0]
    assert isinstance(first, Article)
    assert first.id == "000a59fcd3ac0dfd" and first.source == "USA Today"
    assert first.published == date(2022, 7, 6)


def test_lone_surrogate_escapes_in_json_become_replacement_characters(tmp_path: Path) -> None:
    # found by benchmarks/fuzz_parsers.py: this crashed the whole ingest (UnicodeEncodeError)
    f = tmp_path / "s.jsonl"
    f.write_text('{"title": "Bad \\ud800 title", "text": "Text \\udc00 here.", "authors": ["A \\ud83d"]}\n'
                 '{"text": "Fine \\ud83d\\ude00 pair."}')  # fmt: skip
    a, b = read_all(f)
    assert isinstance(a, Article) and isinstance(b, Article)
    assert (a.title, a.text, a.authors) == ("Bad \ufffd title", "Text \ufffd here.", ("A \ufffd",))
    assert b.text == "Fine \U0001f600 pair."


@pytest.mark.parametrize(
    ("url", "kept"),
    [("javascript:alert(1)", ""), ("data:text/html,x", ""), ("file:///etc/passwd", ""),
     (" HTTPS://x.test/a ", "HTTPS://x.test/a"), ("http://x.test/", "http://x.test/"),
     ("//x.test/a", ""), ("vbscript:x", "")],
)  # fmt: skip
def test_front_matter_url_must_be_http(url: str, kept: str) -> None:
    a = read_text(f"---\nurl: '{url}'\n---\nBody text here.", "a.md")
    assert a.url == kept


FUZZ_CORPUS = sorted((Path(__file__).parent / "fuzz_corpus").iterdir())


@pytest.mark.parametrize("path", FUZZ_CORPUS, ids=[p.name for p in FUZZ_CORPUS])
def test_past_fuzz_findings_read_as_articles_or_failures(path: Path) -> None:
    """Inputs that once made an exception escape the reader (benchmarks/fuzz_parsers.py)."""
    items = list(Reader().read([path]))
    assert items and all(isinstance(i, Article | Failure) for i in items)


def test_an_untitled_article_is_named_by_its_first_line_past_a_dateline() -> None:
    from assistant.formats import make_article

    text = "New York CNN —\n\nBrittney Griner pleaded guilty to drug charges in a Russian court."
    assert make_article(text).title == (
        "Brittney Griner pleaded guilty to drug charges in a Russian court."
    )
    assert make_article("CNN —\nShort.").title == "Short."
    assert make_article("The market fell on Monday.\nMore.").title == "The market fell on Monday."
    long = make_article("word " * 40).title
    assert long.endswith("word…") and len(long) <= 121
