"""Answering embeds the question and nothing else, at any corpus size: the build stores
every sentence's vector (memory-mapped) and the answerer reads them.

The corpus is past 5,000 passages, where the build used to stop precomputing sentences
and each question embedded the sentences of its six evidence passages. Its documents
repeat the bundled corpus's real sentences, one a document, so the build embeds only a few
hundred distinct texts. Calls are counted on the real encoder (a wrapper that calls through).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index import SearchEngine, answer_sentences, ask, build_index, load_corpus, split_passages, split_sentences
from tests.conftest import BUNDLED_CORPUS, share_caches

OLD_PRECOMPUTE_LIMIT = 5_000


@pytest.fixture(scope="module")
def large_data_dir(test_data_dir: Path, encoder) -> Path:
    sentences = sorted({
        s.text
        for d in load_corpus([BUNDLED_CORPUS]).documents
        for p in split_passages(d)
        for s in split_sentences(p.text)
        if len(s.text) >= 12
    })
    root = test_data_dir / "many-passages"
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    with (corpus / "many.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(OLD_PRECOMPUTE_LIMIT + 200):
            text = sentences[n % len(sentences)]
            handle.write(json.dumps({"id": f"many-{n}", "title": f"第{n}篇", "text": text, "lang": "zh"},
                                    ensure_ascii=False) + "\n")
    data_dir = root / "data"
    data_dir.mkdir(exist_ok=True)
    share_caches(test_data_dir, data_dir)
    summary = build_index(corpus, data_dir, encoder=encoder)
    assert summary.passages > OLD_PRECOMPUTE_LIMIT
    return data_dir


def test_ask_over_a_large_corpus_embeds_no_sentence(large_data_dir: Path, encoder, monkeypatch: pytest.MonkeyPatch):
    engine = SearchEngine(large_data_dir, encoder=encoder)
    assert len(engine.build.passages) > OLD_PRECOMPUTE_LIMIT
    calls: Counter[str] = Counter()
    real_encode = encoder._encode

    def counting_encode(texts: list[str], prompt_name: str) -> np.ndarray:
        calls[prompt_name] += len(texts)
        return real_encode(texts, prompt_name)

    second_calls: Counter[str] = Counter()
    real_second = engine.second_encoder._encode

    def counting_second(texts: list[str], prompt_name: str) -> np.ndarray:
        second_calls[prompt_name] += len(texts)
        return real_second(texts, prompt_name)

    monkeypatch.setattr(encoder, "_encode", counting_encode)
    monkeypatch.setattr(engine.second_encoder, "_encode", counting_second)
    questions = ("前三季度地区生产总值是多少？", "新会区有多少家专精特新企业？", "江门的工业历史从哪一年开始？",
                 "What was Jiangmen's GDP in the first three quarters?", "How many new projects did Xinhui add?")
    for question in questions:
        answer = ask(engine, question)
        assert answer.passages, question  # the answerer really read evidence passages
    assert calls["passage"] == 0 and second_calls["passage"] == 0  # no sentence went through a model
    # Each text went through each model at most once: one seen earlier in the session (the
    # encoder is shared) comes from its query cache. A question the corpus's names expand
    # ("Xinhui" -> 新会) is embedded as searched and as typed; USE reads only the English ones.
    texts = {t for q in questions for t in (engine.plan_query(q).text, engine.plan_query(q).vector_text)}
    assert len(texts) > len(questions)  # the names did expand some
    assert calls["query"] <= len(texts)
    assert second_calls["query"] <= 2


def test_stored_sentence_vectors_are_the_models(large_data_dir: Path, encoder):
    """The rows the answerer reads are the vectors the model gives those sentences, and
    they are memory-mapped from the build folder, not copied into each worker."""
    engine = SearchEngine(large_data_dir, encoder=encoder)
    store = engine.build.sentences
    assert store is not None and isinstance(store.vectors, np.memmap) and isinstance(store.keys, np.memmap)
    passage = engine.build.passages[123]
    texts = [s.text for s in answer_sentences(passage.text)]
    stored = engine.embed_sentences(texts)
    fresh = encoder.encode_passages(texts)
    assert np.allclose(np.sum(stored * fresh, axis=1), 1.0, atol=1e-5)
    assert isinstance(engine.build.vectors.vectors, np.memmap)


def test_stored_second_encoder_sentence_vectors_are_uses(large_data_dir: Path, encoder):
    """An English question's cosine to each Chinese sentence by USE (the answerer blends it
    in) is read from the build's USE sentence vectors and equals the model's own."""
    engine = SearchEngine(large_data_dir, encoder=encoder)
    store = engine.build.second_sentences
    assert store is not None and isinstance(store.vectors, np.memmap) and store.vectors.shape[1] == 512
    texts = [s.text for s in answer_sentences(engine.build.passages[77].text)]
    question = "What was Jiangmen's GDP in the first three quarters?"
    cosines = engine.second_cosines(question, texts)
    assert cosines is not None
    fresh = engine.second_encoder.encode_passages(texts) @ engine.second_encoder.encode_query(question)
    assert np.allclose(cosines, fresh, atol=1e-5)
