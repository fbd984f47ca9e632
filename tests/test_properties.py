"""Property-based tests (hypothesis): offsets always slice to the text they claim, the quote
verifier never accepts a non-verbatim quote, and parsers raise only the project's own errors."""

from __future__ import annotations

import contextlib
import io
import json
from unittest.mock import patch

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant import limits
from assistant.answer.verify import locate, verify_quote
from assistant.errors import IngestError
from assistant.sources import Article, Failure, Reader, decode, make_article, read_text
from assistant.text import chunk_article, clean_question, split_sentences
from assistant.types import ArticleRef, Quote

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# prose-like text: words, punctuation that ends sentences, quotes, abbreviations, odd spaces
ATOMS = st.sampled_from(
    ["The", "minister", "said", "Mr.", "U.S.", "J.", "Kirby", "talks", "ended", ".", "!",
     "?", "...", "…", '"', "“", "”", "'", "’", "(", ")", ",", ";", "—", " ", " ", " ", "  ",
     "\n", "\n\n", "\t", "\u00a0", "\u2028", "1.5", "No.", "e.g.", "A", "a", "é", "中文"]
)  # fmt: skip
PROSE = st.lists(ATOMS, max_size=80).map("".join) | st.text(max_size=300)


@SETTINGS
@given(PROSE)
@example("Mr. Smith said no. He left.\n\nThen: “Yes!” she said")
def test_sentence_spans_slice_the_text_they_claim(text: str) -> None:
    spans = split_sentences(text)
    prev_end = 0
    for s in spans:
        piece = text[s.start : s.end]
        assert prev_end <= s.start < s.end <= len(text)
        assert piece == piece.strip() and "\n" not in piece
        prev_end = s.end
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@SETTINGS
@given(PROSE, st.integers(20, 200), st.integers(0, 3))
def test_chunks_are_contiguous_slices_of_whole_sentences(
    text: str, size: int, overlap: int
) -> None:
    sentences = {(s.start, s.end) for s in split_sentences(text)}
    for i, c in enumerate(chunk_article("a", text, size, overlap)):
        assert c.index == i and c.id == f"a:{i}"
        assert c.text == text[c.start : c.end] and c.text
        assert c.sentences[0].start == c.start and c.sentences[-1].end == c.end
        assert all((s.start, s.end) in sentences for s in c.sentences)


def ref() -> ArticleRef:
    return ArticleRef("a", "T", "S", None, "")


@SETTINGS
@given(PROSE, st.data())
def test_located_quotes_are_verbatim_up_to_typography(text: str, data: st.DataObject) -> None:
    if not text.strip():
        return
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    found = locate(text[i:j], text)
    if not text[i:j].strip():
        assert found is None
        return
    assert found is not None
    start, end = found
    assert verify_quote(Quote(text[start:end], ref(), start, end), text)
    from assistant.answer.verify import _FOLD  # the typography matching forgives, all of it

    fold = lambda s: " ".join(s.translate(_FOLD).split())  # noqa: E731
    assert fold(text[start:end]) == fold(text[i:j])


@SETTINGS
@given(PROSE, st.text(min_size=1, max_size=40), st.integers(-5, 400), st.integers(-5, 400))
def test_verifier_never_accepts_a_non_verbatim_quote(
    text: str, quote: str, start: int, end: int
) -> None:
    ok = verify_quote(Quote(quote, ref(), start, end), text)
    assert ok == (0 <= start < end <= len(text) and text[start:end] == quote)


@SETTINGS
@given(PROSE, st.text(alphabet="xyzXYZ#@", min_size=1, max_size=12))
def test_text_that_is_not_there_is_never_located(text: str, needle: str) -> None:
    if needle not in text:
        assert locate(needle, text) is None


# ----------------------------------------------------------------------------- parsers
@SETTINGS
@given(st.binary(max_size=2000))
def test_decode_raises_only_ingest_errors(data: bytes) -> None:
    with contextlib.suppress(IngestError):
        assert isinstance(decode(data, "x"), str)


FRONT = st.builds(
    lambda meta, body: f"---\n{meta}\n---\n{body}",
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
    | st.sampled_from(["title: [", "url: javascript:alert(1)", "published: 99999-99-99",
                       "- a\n- b", "authors: {x: 1}", "id: [1, 2]", "title: !!python/name:os"]),
    PROSE,
)  # fmt: skip


@SETTINGS
@given(FRONT | PROSE)
def test_markdown_front_matter_raises_only_ingest_errors(raw: str) -> None:
    try:
        a = read_text(raw, "x.md")
    except IngestError:
        return
    assert a.text.strip()
    assert a.url == "" or a.url.startswith(("http://", "https://"))


@SETTINGS
@given(st.text(max_size=60))
def test_only_http_urls_are_kept(url: str) -> None:
    a = make_article("Body text.", url=url)
    assert a.url == "" or a.url.lower().startswith(("http://", "https://"))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["text", "title", "url", "published", "authors", "id", "source", "body"]
            ),
            kids,
            max_size=6,
        )
    ),
    max_leaves=12,
)


@SETTINGS
@given(st.lists(JSONISH, max_size=6), st.sampled_from(["a.jsonl", "a.json", "a.jsonl.gz"]))
def test_json_readers_yield_articles_or_failures(rows: list[object], name: str) -> None:
    import gzip
    import tempfile
    from pathlib import Path

    raw = "\n".join(json.dumps(r) for r in rows).encode()
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
        for item in Reader().read([p]):
            assert isinstance(item, Article | Failure)


@SETTINGS
@given(st.binary(max_size=3000), st.integers(1, 64))
def test_jsonl_scanner_matches_a_simple_split(data: bytes, block: int) -> None:
    expected = [
        (n, line.lstrip(b" \t\r\x0b\x0c"))
        for n, line in enumerate(data.split(b"\n"), 1)
        if line.strip()
    ]
    with patch.object(limits, "BLOCK", block):  # tiny blocks exercise every boundary
        s = limits.Budget(io.BytesIO(data), "mem", 1 << 20, "too big")
        head, skipped = limits.skip_blank(s)
        got = list(limits.jsonl_lines(s, head, skipped + 1, 1 << 20))
    assert got == expected


@SETTINGS
@given(st.binary(max_size=3000) | st.text(max_size=500).map(str.encode))
def test_feed_reader_yields_articles_or_failures(data: bytes) -> None:
    for item in Reader().read_feed(b"<?xml version='1.0'?><rss><channel>" + data, "f.xml"):
        assert isinstance(item, Article | Failure)


@SETTINGS
@given(st.text(max_size=80))
def test_clean_question_is_idempotent_and_visible(q: str) -> None:
    try:
        once = clean_question(q)
    except IngestError:
        raise
    except Exception as e:  # only QuestionError is allowed
        assert type(e).__name__ == "QuestionError"
        return
    assert clean_question(once) == once and once == once.strip()
    assert all(ch.isprintable() or ch == " " for ch in once)
