"""Who says each sentence: worked out once, kept with the store, never served stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant import speech_cache
from assistant.attribution import ArticleSpeech, analyse_article
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.speech_cache import FORMAT, SpeakerCache, pack_speech, unpack_speech
from tests.conftest import CORPUS

QUESTION = "What does Russia require before talks?"
SEED_SPEAKER = "Officials from the Russian side"


@pytest.fixture
def text(seeded: Assistant) -> str:
    """The seed article's text."""
    [stored] = seeded.sources()
    article = seeded.article(stored.ref.article_id)
    assert article is not None
    return article.text


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every article text that is analysed from scratch."""
    done: list[str] = []

    def analyse(text: str) -> ArticleSpeech:
        done.append(text)
        return analyse_article(text)

    monkeypatch.setattr(speech_cache, "analyse_article", analyse)
    return done


def test_a_packed_analysis_comes_back_exactly(text: str) -> None:
    speech = analyse_article(text)
    back = unpack_speech(pack_speech(speech, text), text)
    assert back == speech
    assert back is not None and SEED_SPEAKER in back.speakers
    i = back.speakers.index(SEED_SPEAKER)
    evidence = back.attributions[i].evidence()
    assert evidence is not None and evidence.mention is not None
    assert text[evidence.mention.start : evidence.mention.end] == SEED_SPEAKER


def test_a_kept_analysis_of_other_text_or_format_is_not_used(text: str) -> None:
    packed = pack_speech(analyse_article(text), text)
    assert unpack_speech(packed, text.replace("Kremlin", "Kremlim")) is None  # text changed
    newer = json.loads(packed) | {"v": FORMAT + 1}
    assert unpack_speech(json.dumps(newer), text) is None
    assert unpack_speech(packed[: len(packed) // 2], text) is None  # cut short
    short = json.loads(packed)
    short["who"] = short["who"][:-1]  # one sentence without its speaker entry
    assert unpack_speech(json.dumps(short), text) is None


def test_the_cache_reads_the_store_once_and_works_out_only_what_is_missing_or_stale(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "The minister said the port will reopen. Trade resumed on Monday."
    kept = {k: pack_speech(analyse_article(t), t) for k, t in (("a", text), ("b", other))}
    reads: list[list[str]] = []

    def stored(ids: Any) -> dict[str, str]:
        reads.append(list(ids))
        return {k: v for k, v in kept.items() if k in ids}

    done = counting(monkeypatch)
    cache = SpeakerCache(stored=stored)
    replaced = other.replace("Monday", "Tuesday")  # "b" stored again with other words
    cache.warm({"a": text, "b": replaced, "c": other})
    assert reads == [["a", "b", "c"]]
    assert cache.speech("a", text) == analyse_article(text) and done == []
    assert cache.speech("b", replaced).spans[-1].end == len(replaced)
    assert cache.speech("c", other).speakers[0] == "The minister"
    assert done == [replaced, other]
    assert reads == [["a", "b", "c"], ["b"], ["c"]]  # each miss looks once more, then works
    cache.speech("b", replaced)
    assert len(reads) == 3 and len(done) == 2  # then memory answers


def test_a_new_process_reads_the_kept_analysis_instead_of_redoing_it(
    tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, sentence_vectors="ingest")
    first = Assistant(settings, embedder=embedder)
    reads: list[list[str]] = []
    stored = first.speakers.stored
    assert stored is not None
    first.speakers.stored = lambda ids: reads.append(list(ids)) or stored(ids)
    assert first.ingest([str(CORPUS)]).added == 1
    assert reads == []  # ingest works the analysis out; it never asks the store for it
    before = first.ask(QUESTION)
    done = counting(monkeypatch)
    second = Assistant(settings, embedder=embedder)  # as a new process would
    store_reads: list[str] = []
    read_both = second.store.kept_sentences
    monkeypatch.setattr(
        second.store, "kept_sentences", lambda ids: store_reads.append("both") or read_both(ids)
    )
    read_vectors = second.vectors.stored
    assert read_vectors is not None
    second.vectors.stored = lambda ids: store_reads.append("vectors") or read_vectors(ids)
    again = second.ask(QUESTION)
    assert done == []  # nothing analysed: splits and speakers came from the store
    assert store_reads == ["both"]  # one read brought the speakers and the vectors
    assert [(q.text, q.start, q.speaker, q.speaker_evidence) for q in again.quotes] == [
        (q.text, q.start, q.speaker, q.speaker_evidence) for q in before.quotes
    ]
    assert again.quotes[0].speaker == SEED_SPEAKER


def test_an_analysis_kept_by_older_rules_is_redone_once_and_kept_again(
    tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, sentence_vectors="ingest")
    first = Assistant(settings, embedder=embedder)
    assert first.ingest([str(CORPUS)]).added == 1
    [aid] = [a.ref.article_id for a in first.sources()]
    record = first.store.kept_records([aid])[aid]
    older = json.dumps({**json.loads(record["speech"]), "v": speech_cache.FORMAT - 1})
    first.store.put_kept_speech({aid: older})  # as an earlier version kept it
    assert first.store.kept_records([aid])[aid] == {**record, "speech": older}

    done = counting(monkeypatch)
    second = Assistant(settings, embedder=embedder)  # as a new process would
    assert second.ask(QUESTION).quotes[0].speaker == SEED_SPEAKER
    assert len(done) == 1  # the old analysis is not used: redone on first use ...
    assert second.store.kept_records([aid])[aid] == record  # ... and kept, the vectors as they were
    third = Assistant(settings, embedder=embedder)
    assert third.ask(QUESTION).quotes[0].speaker == SEED_SPEAKER
    assert len(done) == 1  # from then on read, not redone


def test_the_default_mode_keeps_no_sentence_data_not_even_on_delete(
    tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chromadb

    a = Assistant(Settings(data_dir=tmp_path), embedder=embedder)
    assert a.ingest([str(CORPUS)]).added == 1
    done = counting(monkeypatch)
    assert a.ask(QUESTION).quotes[0].speaker == SEED_SPEAKER
    assert len(done) == 1  # worked out on first use, in memory only
    [article] = a.store.list_articles()
    a.store.delete_article(article.ref.article_id)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    assert {c.name for c in client.list_collections()} == {
        "news_chunks",
        "news_articles",
        "news_meta",
    }
