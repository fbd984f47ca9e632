"""assistant export / import: a store round-trips exactly (ids, texts, metadata with offsets,
float32 vectors bit for bit, layout version), answers the same, and bad files are refused."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import TransferError
from assistant.store import SCHEMA_VERSION, ChromaStore, Record, Store
from assistant.transfer import FORMAT_VERSION, audit, export_store, import_store
from tests.conftest import CORPUS, ROOT, make_settings
from tests.test_ingest import write_articles

QUESTION = "What does Russia require before talks?"


def everything(store: Store) -> tuple[dict[str, Record], dict[str, Record]]:
    """Every article and chunk record, by id."""
    arts = {r.id: r for r in store.article_records(0, 10_000)}
    chunks = {r.id: r for r in store.chunk_records(list(arts))}
    return arts, chunks


def assert_same(a: dict[str, Record], b: dict[str, Record]) -> None:
    """Ids, texts and metadata equal; vectors equal to the last float32 bit, except that a
    cosine collection hands back each vector as its stored unit vector times its norm, which
    may round a component by one unit in the last place (measured: see docs/reliability.md)."""
    assert a.keys() == b.keys()
    for rid, r in a.items():
        o = b[rid]
        assert (o.document, o.metadata) == (r.document, r.metadata), rid
        assert o.embedding.dtype == r.embedding.dtype == np.float32
        np.testing.assert_array_max_ulp(o.embedding, r.embedding, maxulp=1)


def test_the_file_holds_the_stored_vectors_bit_for_bit(source) -> None:  # type: ignore[no-untyped-def]
    a, path = source
    arts, chunks = everything(a.store)
    lines = [json.loads(x) for x in gzip.decompress(path.read_bytes()).decode().splitlines()]
    assert lines[0]["version"] == FORMAT_VERSION and lines[0]["schema"] == SCHEMA_VERSION
    assert lines[-1] == {"end": {"articles": len(arts), "chunks": len(chunks), "kept": 0}}
    for line in lines[1:-1]:
        kind, row = next(iter(line.items()))
        stored = (arts if kind == "article" else chunks)[row["id"]]
        vec = np.frombuffer(base64.b64decode(row["embedding"]), "<f4")
        assert vec.tobytes() == stored.embedding.astype("<f4").tobytes()
        assert (row["text"], row["metadata"]) == (stored.document, stored.metadata)
    order = [next(iter(x)) for x in lines[1:-1]]  # each article after its own chunks
    assert order.count("article") == len(arts) and order[-1] == "article"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """A store with the seed article and six generated ones, and its export."""
    from assistant.service import Assistant

    tmp = tmp_path_factory.mktemp("transfer")
    a = Assistant(make_settings(tmp / "data"), embedder=embedder)
    write_articles(tmp / "news", 6)
    report = a.ingest([str(CORPUS), str(tmp / "news")])
    assert report.added == 7 and report.failed == 0
    path = tmp / "store.jsonl.gz"
    r = export_store(a.store, path, embedder.name, "news")
    assert (r.articles, r.chunks, r.left_out) == (7, a.store.counts()[1], 0)
    return a, path


def test_round_trip_is_exact_and_answers_the_same(source, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    import chromadb

    from assistant.render.markdown import answer_json
    from assistant.service import Assistant

    a, path = source
    b = Assistant(make_settings(tmp_path / "other"), embedder=embedder)
    r = import_store(b.store, path, embedder.name)
    assert (r.articles, r.replaced) == (7, 0)
    arts_a, chunks_a = everything(a.store)
    arts_b, chunks_b = everything(b.store)
    assert len(arts_a) == 7 and len(chunks_a) == r.chunks == a.store.counts()[1]
    assert_same(arts_a, arts_b)
    assert_same(chunks_a, chunks_b)
    for rid, c in chunks_b.items():  # offsets slice the article text as stored
        text = arts_b[str(c.metadata["article_id"])].document
        assert text[int(c.metadata["start"]) : int(c.metadata["end"])] == c.document, rid
    written = chromadb.PersistentClient(path=str(tmp_path / "other" / "chroma"))
    meta = written.get_collection("news_chunks").metadata
    assert meta == {"schema": SCHEMA_VERSION, "embedding": embedder.name}
    assert a.store.get_article(next(iter(arts_a))) == b.store.get_article(next(iter(arts_a)))
    assert audit(b.store).consistent and not audit(b.store).orphans
    assert len(b.lexical()) == len(a.lexical()) == len(chunks_a)  # the BM25 index rebuilt
    assert answer_json(b.ask(QUESTION)) == answer_json(a.ask(QUESTION))
    assert not b.ask(QUESTION).abstained

    again = import_store(b.store, path, embedder.name)  # the same ids: nothing changes
    assert (again.articles, again.replaced) == (7, 7)
    assert b.store.counts() == a.store.counts()
    assert_same(everything(b.store)[1], chunks_a)


def test_import_into_a_chroma_server(source, chroma_server: str, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    a, path = source
    server = ChromaStore(tmp_path, "imported", url=chroma_server, embedding=embedder.name)
    import_store(server, path, embedder.name)
    arts, chunks = everything(server)
    assert_same(arts, everything(a.store)[0])
    assert_same(chunks, everything(a.store)[1])


def rewrite(src: Path, dst: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    lines = [json.loads(x) for x in gzip.decompress(src.read_bytes()).decode().splitlines()]
    dst.write_bytes(gzip.compress("\n".join(json.dumps(x) for x in edit(lines)).encode()))
    return dst


def header(**changes: object):  # type: ignore[no-untyped-def]
    return lambda lines: [{**lines[0], **changes}, *lines[1:]]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (header(version=FORMAT_VERSION + 1), f"export format version {FORMAT_VERSION + 1}, newer "
         f"than this assistant reads \\({FORMAT_VERSION}\\): upgrade the assistant"),
        (header(version="1"), "unknown export format version '1'"),
        (header(format="something-else"), "is not an assistant export"),
        (header(schema=SCHEMA_VERSION + 1), "layout version 2, newer than this assistant's 1"),
        (header(embedding="another-model"), "was embedded with another-model, this assistant "
         "embeds with .*: set ASSISTANT_EMBEDDING_BACKEND/MODEL to match"),
    ],
)  # fmt: skip
def test_files_this_version_cannot_read_are_refused(
    source, tmp_path: Path, edit, match, embedder
) -> None:  # type: ignore[no-untyped-def]
    bad = rewrite(source[1], tmp_path / "bad.jsonl.gz", edit)
    target = ChromaStore(tmp_path / "data", "news", embedding=embedder.name)
    with pytest.raises(TransferError, match=match):
        import_store(target, bad, embedder.name)
    assert target.counts() == (0, 0)  # nothing written


def test_a_truncated_or_damaged_file_keeps_whole_articles(source, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    # the file stops after the third article: no end record
    def three(lines: list[dict]) -> list[dict]:  # type: ignore[type-arg]
        cut = [i for i, x in enumerate(lines) if "article" in x][2]
        return lines[: cut + 3]  # and two chunks of the fourth

    short = rewrite(source[1], tmp_path / "short.jsonl.gz", three)
    target = ChromaStore(tmp_path / "a", "news", embedding=embedder.name)
    with pytest.raises(TransferError, match="is truncated \\(no end record\\): the 3 whole"):
        import_store(target, short, embedder.name)
    check = audit(target)
    assert (check.articles, check.broken, check.orphans) == (3, [], [])

    damaged = tmp_path / "damaged.jsonl.gz"
    damaged.write_bytes(source[1].read_bytes()[: source[1].stat().st_size // 2])
    target = ChromaStore(tmp_path / "b", "news", embedding=embedder.name)
    with pytest.raises(TransferError, match=r"is damaged after line \d+ \(EOFError"):
        import_store(target, damaged, embedder.name)
    assert audit(target).consistent and not audit(target).orphans
    with pytest.raises(TransferError, match="does not exist"):
        import_store(target, tmp_path / "missing.jsonl.gz", embedder.name)


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_commands(source, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, _ = source
    path = tmp_path / "cli.jsonl.gz"
    proc = cli(a.settings.data_dir, "export", str(path), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        json.loads(proc.stdout)["articles"] == 7
        and not path.with_name(path.name + ".partial").exists()
    )
    proc = cli(tmp_path / "new", "import", str(path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    chunks = a.store.counts()[1]
    assert proc.stdout.startswith(f"imported 7 articles, {chunks} chunks from {path} (0 were")
    assert (tmp_path / "new" / "lexical" / "news").is_dir()  # BM25 index built by the import
    newer = rewrite(path, tmp_path / "newer.jsonl.gz", header(version=FORMAT_VERSION + 1))
    proc = cli(tmp_path / "new", "import", str(newer))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "error: " in proc.stderr
    assert f"newer than this assistant reads ({FORMAT_VERSION})" in proc.stderr


def test_kept_sentence_data_comes_along(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A store that keeps sentence vectors and speakers (``sentence_vectors="ingest"``) exports
    them, and the imported store answers its first question without working any of it out."""
    from assistant import speech_cache
    from assistant.service import Assistant

    a = Assistant(make_settings(tmp_path / "a", sentence_vectors="ingest"), embedder=embedder)
    assert a.ingest([str(CORPUS)]).added == 1
    [aid] = [s.ref.article_id for s in a.sources()]
    path = tmp_path / "kept.jsonl.gz"
    r = export_store(a.store, path, embedder.name, "news")
    assert (r.articles, r.kept) == (1, 1)
    lines = [json.loads(x) for x in gzip.decompress(path.read_bytes()).decode().splitlines()]
    kinds = [next(iter(x)) for x in lines[1:]]
    assert kinds[-3:] == ["article", "kept", "end"]  # the kept record follows its article
    assert lines[-1]["end"] == {"articles": 1, "chunks": r.chunks, "kept": 1}
    kept = a.store.kept_records([aid])
    assert lines[-2]["kept"] == {"id": aid, **kept[aid]} and kept[aid]["speech"]

    settings = make_settings(tmp_path / "b", sentence_vectors="ingest")
    got = import_store(Assistant(settings, embedder=embedder).store, path, embedder.name)
    assert (got.articles, got.kept) == (1, 1)
    analysed: list[str] = []
    analyse = speech_cache.analyse_article
    monkeypatch.setattr(speech_cache, "analyse_article", lambda t: analysed.append(t) or analyse(t))
    encoded: list[int] = []
    encode = embedder.embed_cached
    monkeypatch.setattr(embedder, "embed_cached", lambda ts: encoded.append(len(ts)) or encode(ts))
    b = Assistant(settings, embedder=embedder)  # as a new process would
    assert b.store.kept_records([aid]) == kept
    answer = b.ask(QUESTION)
    assert analysed == [] and answer.quotes[0].speaker == "Officials from the Russian side"
    assert encoded and max(encoded) == 1  # the question alone: no sentence was encoded again
    before = a.ask(QUESTION)
    assert [(q.text, q.start, q.speaker) for q in answer.quotes] == [
        (q.text, q.start, q.speaker) for q in before.quotes
    ]


def test_kept_data_crosses_an_import_page(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Import writes 100 articles at a time; a kept line right after a page's last article
    belongs to it all the same (it used to be refused as following no article)."""
    from assistant import transfer
    from assistant.service import Assistant

    monkeypatch.setattr(transfer, "PAGE", 2)
    a = Assistant(make_settings(tmp_path / "a", sentence_vectors="ingest"), embedder=embedder)
    write_articles(tmp_path / "news", 2)
    assert a.ingest([str(CORPUS), str(tmp_path / "news")]).added == 3
    path = tmp_path / "kept3.jsonl.gz"
    assert export_store(a.store, path, embedder.name, "news").kept == 3
    b = Assistant(make_settings(tmp_path / "b", sentence_vectors="ingest"), embedder=embedder)
    got = import_store(b.store, path, embedder.name)
    assert (got.articles, got.kept) == (3, 3)
    ids = [s.ref.article_id for s in a.sources()]
    assert b.store.kept_records(ids) == a.store.kept_records(ids) and len(ids) == 3


def test_a_malformed_end_record_is_an_error_not_a_traceback(source, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    bad = rewrite(source[1], tmp_path / "end.jsonl.gz", lambda lines: [*lines[:-1], {"end": 5}])
    target = ChromaStore(tmp_path / "data", "news", embedding=embedder.name)
    with pytest.raises(TransferError, match=r"the end record is not an object \(5\)"):
        import_store(target, bad, embedder.name)


def test_a_version_1_file_still_imports(source, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    def v1(lines: list[dict]) -> list[dict]:  # type: ignore[type-arg]
        end = {k: v for k, v in lines[-1]["end"].items() if k != "kept"}
        return [{**lines[0], "version": 1}, *lines[1:-1], {"end": end}]

    old = rewrite(source[1], tmp_path / "v1.jsonl.gz", v1)
    target = ChromaStore(tmp_path / "data", "news", embedding=embedder.name)
    r = import_store(target, old, embedder.name)
    assert (r.articles, r.kept) == (7, 0)
    assert audit(target).consistent
