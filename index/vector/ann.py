"""An approximate nearest-neighbour index (usearch HNSW) for corpora past the size where
scanning every vector stops being the fastest search.

Chosen by measurement (benchmarks/vector_scale.py, docs/BENCHMARKS.md): faiss
IndexHNSWFlat with the same graph settings answers a query 2-3x faster (0.5 against
1-4 ms at 10k-20k vectors, both at recall@10 >= 0.997) and builds faster, but it loads
its graph and a copy of every vector into each process, while usearch opens the saved
index as a memory-mapped view that gunicorn workers share, like vectors.npy. Both are far
below the rest of a hybrid query; memory per worker is what grows with the archive. The
engine rescores the graph's candidates exactly against vectors.npy.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from usearch.index import Index

# Up to this many vectors an exact numpy scan is as fast as the graph at the recall asked of it
# (>= 0.98 against the scan, English questions included), so the build writes no graph.
# Measured on real e5 vectors of real news text (benchmarks/ann_recall_real.py, docs/BENCHMARKS.md):
# a graph searched with the beam below takes 4-5 ms a query at 50-60k vectors, the scan 1.6 ms at
# 50k and 14 ms at 200k on a quiet machine; they cross near 100k. (The first crossover, 20k, was
# measured on synthetic vectors with a 128 beam, which real English questions showed too narrow.)
ANN_MIN_VECTORS = 100_000
# Graph degree and build-time beam. usearch's defaults (16, 128) gave recall@10 0.93 for Chinese
# and 0.76 for English questions over 50k real e5 vectors at a 100-candidate beam; a query in
# another language sits far from the passages, where a sparse graph loses its way. 32 and 256:
# 0.97 / 0.84 at the same beam, for about twice the build time.
CONNECTIVITY = 32
EXPANSION_ADD = 256
# Search beam (raised to the number of results asked for). With the graph above, recall@10
# against the exact scan at 50k real vectors: 400 -> zh 0.991, en 0.957; 800 -> 0.997, 0.984.
EXPANSION_SEARCH = 800


class AnnIndex:
    """Inner-product HNSW over unit vectors; keys are the rows of the vector matrix."""

    def __init__(self, index: Index) -> None:
        self._index = index

    @staticmethod
    def build(vectors: np.ndarray, path: Path, threads: int = 0) -> None:
        from usearch.index import Index

        index = Index(ndim=vectors.shape[1], metric="ip", dtype="f32", connectivity=CONNECTIVITY,
                      expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        index.add(np.arange(len(vectors), dtype=np.uint64), np.ascontiguousarray(vectors, np.float32),
                  threads=threads)
        index.save(str(path))

    @classmethod
    def open(cls, path: Path) -> AnnIndex | None:
        """The saved index, memory-mapped; None when the build has none (a small corpus)."""
        if not path.is_file():
            return None
        from usearch.index import Index

        index = Index.restore(str(path), view=True)
        if index is None:
            raise ValueError(f"{path} is not a usearch index")
        return cls(index)

    def __len__(self) -> int:
        return int(self._index.size)

    def search(self, query: np.ndarray, limit: int) -> np.ndarray:
        """Rows of (about) the `limit` nearest vectors, best first."""
        index = self._index
        wanted = max(EXPANSION_SEARCH, limit)
        if index.expansion_search != wanted:  # a saved index forgets it; usearch's stub misses the setter
            index.expansion_search = wanted  # type: ignore[misc]
        # One thread: a request is one query, and the worker's other cores serve other requests.
        matches = index.search(np.asarray(query, np.float32), limit, threads=1)
        return np.asarray(matches.keys, dtype=np.int64)
