"""Retrieval evaluation shared by the XQuAD, qa_set and fusion-sweep benchmarks.

Each question is planned and searched once through the engine's own `plan_query` and
`ranked_lists` (keyword, e5 vector and, for a cross-lingual query, the second encoder's
list), so query translation, glossary expansion and whatever else the engine does to a
query is what we measure. Hybrid rankings are then fused offline with the library's own
`fuse` (the function the engine calls) under any `SearchConfig`; that makes a weight sweep
free, and `fusion_mismatches` checks the claim against the engine's real `search`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.workspace import shared_encoder, shared_second_encoder
from index import RankedList, SearchConfig, SearchEngine, fuse

MODES = ("keyword", "vector", "hybrid")


@dataclass(frozen=True)
class Rankings:
    """One query's candidate lists (passage ids, best first), `candidates` deep."""

    lists: tuple[RankedList, ...]  # "keyword", "vector" and maybe "second_vector"
    cross_lingual: bool

    def ranked(self, mode: str, config: SearchConfig) -> list[str]:
        if mode == "hybrid":
            return [pid for pid, _ in fuse(self.lists, config, self.cross_lingual)]
        return next((list(ranked.ids) for ranked in self.lists if ranked.name == mode), [])


def open_engine(data_dir: Path, config: SearchConfig | None = None) -> SearchEngine:
    return SearchEngine(data_dir, encoder=shared_encoder(), config=config or SearchConfig(),
                        second_encoder=shared_second_encoder())


def prime_queries(engine: SearchEngine, queries: Iterable[str]) -> int:
    """Batch-embed what the engine will embed for these queries (the planned vector text;
    the second encoder only for cross-lingual queries). Returns how many e5 embedded."""
    plans = [engine.plan_query(q) for q in queries]
    second = shared_second_encoder()
    if hasattr(second, "prime"):
        second.prime([p.vector_text for p in plans if p.cross_lingual])
    return shared_encoder().prime([p.vector_text for p in plans])


def collect_rankings(
    engine: SearchEngine, queries: Sequence[str], on_progress: Callable[[int], None] | None = None
) -> list[Rankings]:
    """Lists as the engine's hybrid mode sees them. Collected with second_vector_weight > 0
    so the second list is there for the sweep even when the engine's config turns it off."""
    depth = engine.config.candidates
    out = []
    for n, query in enumerate(queries, start=1):
        plan = engine.plan_query(query)
        out.append(Rankings(tuple(engine.ranked_lists(plan, "hybrid", depth)), plan.cross_lingual))
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
