"""Reciprocal rank fusion of ranked lists (Cormack, Clarke & Buettcher, SIGIR 2009)."""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

# k=60 with 1-based ranks, as in the paper. (Haystack's DocumentJoiner uses 61 because
# its ranks start at 0: the same constant.) Large k flattens the head of each list, so one
# side's first hit cannot drown the other side's consensus.
RRF_K = 60


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
