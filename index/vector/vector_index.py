"""Cosine search over unit vectors: an exact numpy scan while it is the fastest, an HNSW
graph (ann.py) past the measured crossover. The vectors are memory-mapped from the build
folder, so gunicorn workers share one copy in the page cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from index.filters import passage_matches
from index.models import Passage, RankedList, SearchFilters
from index.vector.ann import ANN_MIN_VECTORS, AnnIndex


def ann_path(vectors_path: Path) -> Path:
    """Where the build keeps the HNSW graph of a vectors file (vectors.npy -> vectors.usearch)."""
    return vectors_path.with_suffix(".usearch")


def save_vectors(path: Path, vectors: np.ndarray) -> None:
    """Write a build's vectors, and their HNSW graph when the corpus is past the crossover."""
    np.save(path, np.asarray(vectors, dtype=np.float32))
    if len(vectors) >= ANN_MIN_VECTORS:
        AnnIndex.build(vectors, ann_path(path))


class VectorIndex:
    def __init__(self, vectors: np.ndarray, passages: list[Passage], name: str = "vector",
                 ann: AnnIndex | None = None) -> None:
        if len(vectors) != len(passages):
            raise ValueError(f"{len(vectors)} vectors for {len(passages)} passages")
        if ann is not None and len(ann) != len(vectors):
            raise ValueError(f"an HNSW index of {len(ann)} vectors for {len(vectors)}")
        # A memory-mapped float32 matrix stays mapped (np.asanyarray copies nothing then).
        self.vectors = np.asanyarray(vectors, dtype=np.float32)
        self.passages = passages
        self.name = name  # of its RankedList: "vector" (e5) or "second_vector" (USE)
        self.ann = ann

    @classmethod
    def open(cls, path: Path, passages: list[Passage], name: str) -> VectorIndex:
        """A build's vectors file, memory-mapped, with its HNSW graph if the build made one."""
        return cls(np.load(path, mmap_mode="r"), passages, name, AnnIndex.open(ann_path(path)))

    def search(self, query_vector: np.ndarray, limit: int, filters: SearchFilters | None = None) -> RankedList:
        """The `limit` nearest passages by cosine, best first."""
        if not len(self.passages) or limit <= 0:
            return RankedList(self.name, (), ())
        query = query_vector.astype(np.float32)
        filtered = filters is not None and not filters.is_empty()
        if self.ann is not None and not filtered:
            # The graph proposes, the exact cosine orders: scores match the scan's exactly.
            rows = self.ann.search(query, min(limit, len(self.passages)))
            scores = self.vectors[np.sort(rows)] @ query
            order = np.argsort(-scores, kind="stable")
            rows = np.sort(rows)[order]
            return RankedList(self.name, tuple(self.passages[int(r)].id for r in rows),
                              tuple(float(s) for s in scores[order]))
        scores = self.vectors @ query
        if filtered:
            assert filters is not None
            allowed = np.fromiter((passage_matches(p, filters) for p in self.passages), bool, len(self.passages))
            scores = np.where(allowed, scores, -np.inf)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        rows_found = [int(i) for i in top if np.isfinite(scores[i])]
        return RankedList(self.name, tuple(self.passages[row].id for row in rows_found),
                          tuple(float(scores[row]) for row in rows_found))
