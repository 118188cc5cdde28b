"""Fusing ranked lists: reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009)
with per-retriever weights chosen from the query's plan.

Pure functions of their arguments, so the engine and the benchmarks fuse the same way:
a benchmark that sweeps weights calls `fuse` with another SearchConfig.
"""
from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import TypeVar

from index.models import RankedList
from index.search.config import RRF_K, SearchConfig

Key = TypeVar("Key", bound=Hashable)

KEYWORD = "keyword"
VECTOR = "vector"
SECOND_VECTOR = "second_vector"


def fusion_weights(config: SearchConfig, cross_lingual: bool, available: Collection[str]) -> dict[str, float]:
    """The weight of each list hybrid search fuses for a query.

    A cross-lingual query's keyword side searches translated terms (noisier, so it weighs
    `cross_keyword_weight`) and the second encoder's list joins when it was built
    (`available` names the lists there are)."""
    weights = {
        KEYWORD: config.cross_keyword_weight if cross_lingual else config.keyword_weight,
        VECTOR: config.vector_weight,
    }
    if uses_second_vector(config, cross_lingual) and SECOND_VECTOR in available:
        weights[SECOND_VECTOR] = config.second_vector_weight
    return weights


def uses_second_vector(config: SearchConfig, cross_lingual: bool) -> bool:
    """Whether hybrid search wants the second encoder's list for this query at all."""
    return cross_lingual and config.second_vector_weight > 0


def fuse(lists: Sequence[RankedList], config: SearchConfig, cross_lingual: bool) -> list[tuple[str, float]]:
    """Hybrid ranking: the lists this query's weights name, fused by RRF, best first."""
    weights = fusion_weights(config, cross_lingual, {ranked.name for ranked in lists})
    return fuse_rrf({ranked.name: ranked.ids for ranked in lists if ranked.name in weights}, weights,
                    k=config.rrf_k)


def fuse_rrf(
    ranked: Mapping[str, Sequence[Key]],
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> list[tuple[Key, float]]:
    """Fuse ranked lists of keys into one list of (key, score), best first.

    score(key) = sum over lists of weight / (k + rank); weights are normalised to sum to
    the number of lists, so equal weights give the classic RRF score and scores stay
    comparable whatever scale the caller uses. Ties keep the order of first appearance.
    """
    names = [name for name, keys in ranked.items() if keys]
    if not names:
        return []
    raw = {name: max(0.0, float((weights or {}).get(name, 1.0))) for name in names}
    total = sum(raw.values()) or float(len(names))
    norm = {name: raw[name] * len(names) / total for name in names}
    scores: dict[Key, float] = {}
    for name in names:
        for rank, key in enumerate(ranked[name], start=1):
            scores[key] = scores.get(key, 0.0) + norm[name] / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
