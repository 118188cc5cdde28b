"""Exact cosine search over unit vectors with numpy: at tens of thousands of passages a
matrix-vector product takes milliseconds, so an approximate index would only add error."""
from __future__ import annotations

import numpy as np

from index.filters import passage_matches
from index.models import Passage, RankedList, SearchFilters


class VectorIndex:
    def __init__(self, vectors: np.ndarray, passages: list[Passage], name: str = "vector") -> None:
        if len(vectors) != len(passages):
            raise ValueError(f"{len(vectors)} vectors for {len(passages)} passages")
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.passages = passages
        self.name = name  # of its RankedList: "vector" (e5) or "second_vector" (USE)

    def search(self, query_vector: np.ndarray, limit: int, filters: SearchFilters | None = None) -> RankedList:
        """The `limit` nearest passages by cosine, best first."""
        if not len(self.passages) or limit <= 0:
            return RankedList(self.name, (), ())
        scores = self.vectors @ query_vector.astype(np.float32)
        if filters is not None and not filters.is_empty():
            allowed = np.fromiter((passage_matches(p, filters) for p in self.passages), bool, len(self.passages))
            scores = np.where(allowed, scores, -np.inf)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        rows = [int(i) for i in top if np.isfinite(scores[i])]
        return RankedList(self.name, tuple(self.passages[row].id for row in rows),
                          tuple(float(scores[row]) for row in rows))
