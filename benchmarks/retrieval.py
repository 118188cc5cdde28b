"""Retrieval evaluation shared by the XQuAD, qa_set and fusion-sweep benchmarks.

Each question is searched once per side (keyword, vector) through `SearchEngine.search`,
so whatever the engine does to a query (glossary expansion, filters) is what we measure.
Hybrid rankings are then fused offline with the engine's own `fuse_rrf` from those two
lists, exactly as `SearchEngine.search` does for k <= `candidates`; that makes a weight
sweep free, and `fusion_mismatches` checks the claim against the engine itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from index.engine import SearchConfig, SearchEngine
from index.fusion import fuse_rrf

MODES = ("keyword", "vector", "hybrid")


@dataclass(frozen=True)
class Rankings:
    """One query's candidate lists (passage ids, best first), `candidates` deep."""

    keyword: tuple[str, ...]
    vector: tuple[str, ...]

    def ranked(self, mode: str, config: SearchConfig) -> list[str]:
        if mode == "keyword":
            return list(self.keyword)
        if mode == "vector":
            return list(self.vector)
        fused = fuse_rrf(
            {"keyword": list(self.keyword), "vector": list(self.vector)},
            {"keyword": config.keyword_weight, "vector": config.vector_weight},
            k=config.rrf_k,
        )
        return [pid for pid, _ in fused]


def vector_queries(engine: SearchEngine, queries: Iterable[str]) -> list[str]:
    """The texts the engine will embed for these queries (English ones may carry glossary
    terms), so a benchmark can batch-embed them up front."""
    expand = getattr(engine, "expand_query", None)
    return [expand(q) if expand else q for q in queries]


def collect_rankings(
    engine: SearchEngine, queries: Sequence[str], on_progress: Callable[[int], None] | None = None
) -> list[Rankings]:
    depth = engine.config.candidates
    out = []
    for n, query in enumerate(queries, start=1):
        keyword = engine.search(query, k=depth, mode="keyword").hits
        vector = engine.search(query, k=depth, mode="vector").hits
        out.append(Rankings(tuple(h.passage.id for h in keyword), tuple(h.passage.id for h in vector)))
        if on_progress and n % 100 == 0:
            on_progress(n)
    return out


def fusion_mismatches(engine: SearchEngine, queries: Sequence[str], rankings: Sequence[Rankings], k: int = 10) -> int:
    """Queries whose real hybrid top-k differs from the offline fusion (should be 0)."""
    bad = 0
    for query, r in zip(queries, rankings):
        real = [h.passage.id for h in engine.search(query, k=k, mode="hybrid").hits]
        bad += real != r.ranked("hybrid", engine.config)[:k]
    return bad


def doc_ranking(engine: SearchEngine, passage_ids: Iterable[str]) -> list[str]:
    """Document ids in the order their first passage appears."""
    seen: dict[str, None] = {}
    for pid in passage_ids:
        passage = engine.passage(pid)
        if passage is not None:
            seen.setdefault(passage.doc_id, None)
    return list(seen)


@dataclass
class DocMetrics:
    recall_1: float
    recall_5: float
    recall_10: float
    mrr_10: float
    n: int


def doc_metrics(
    engine: SearchEngine, rankings: Sequence[Rankings], golds: Sequence[str], mode: str, config: SearchConfig
) -> DocMetrics:
    """Recall@1/5/10 and MRR@10 of the gold document, counting each document once."""
    hits = {1: 0, 5: 0, 10: 0}
    reciprocal = 0.0
    for r, gold in zip(rankings, golds):
        docs = doc_ranking(engine, r.ranked(mode, config))[:10]
        rank = docs.index(gold) + 1 if gold in docs else None
        if rank:
            reciprocal += 1 / rank
            for k in hits:
                hits[k] += rank <= k
    n = max(1, len(golds))
    return DocMetrics(hits[1] / n, hits[5] / n, hits[10] / n, reciprocal / n, len(golds))


def evidence_recall(
    engine: SearchEngine, rankings: Sequence[Rankings], evidence: Sequence[str], mode: str,
    config: SearchConfig, k: int = 5,
) -> float:
    """Share of questions with a top-k passage that contains the evidence string."""
    found = 0
    for r, needle in zip(rankings, evidence):
        texts = [p.text for pid in r.ranked(mode, config)[:k] if (p := engine.passage(pid))]
        found += any(needle in t for t in texts)
    return found / max(1, len(evidence))
