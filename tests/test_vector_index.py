"""Vector search past the crossover: the build writes an HNSW graph beside the vectors,
the index opens both memory-mapped, finds what the exact scan finds (recall@10 >= 0.98)
with the same cosines, and falls back to the exact scan when filters restrict the set."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import Passage, SearchFilters, VectorIndex
from index.vector import vector_index
from index.vector.vector_index import ann_path, save_vectors

COUNT = 3_000
DIMENSION = 384


def clustered_unit_vectors(n: int, seed: int) -> np.ndarray:
    """Like e5's: all cosines positive, neighbours close but not duplicates."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 30, DIMENSION))
    x = 0.8 * rng.normal(size=DIMENSION) + centres[rng.integers(0, len(centres), n)] + 0.7 * rng.normal(size=(n, DIMENSION))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def passage(n: int) -> Passage:
    return Passage(id=f"d{n}-p0", doc_id=f"d{n}", text=f"passage {n}", start=0, end=9, heading="", title="",
                   lang="zh", date="2024-01-01", source="江门日报" if n % 2 else "新会报", district="江门", url="")


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered_unit_vectors(COUNT, seed=0)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, vectors: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("vectors") / "vectors.npy"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vector_index, "ANN_MIN_VECTORS", COUNT)  # the real threshold is 100k: too slow to build here
        save_vectors(path, vectors)
    return path


def test_small_corpora_get_no_graph(tmp_path: Path, vectors: np.ndarray):
    save_vectors(tmp_path / "vectors.npy", vectors[:100])
    assert not ann_path(tmp_path / "vectors.npy").exists()
    index = VectorIndex.open(tmp_path / "vectors.npy", [passage(n) for n in range(100)], "vector")
    assert index.ann is None and isinstance(index.vectors, np.memmap)


def test_graph_finds_what_the_exact_scan_finds(saved: Path, vectors: np.ndarray):
    passages = [passage(n) for n in range(COUNT)]
    graph = VectorIndex.open(saved, passages, "vector")
    assert graph.ann is not None and len(graph.ann) == COUNT
    assert isinstance(graph.vectors, np.memmap)  # shared by workers through the page cache
    exact = VectorIndex(vectors, passages, "vector")
    rng = np.random.default_rng(1)
    queries = vectors[rng.integers(0, COUNT, 100)] + 0.05 * rng.normal(size=(100, DIMENSION))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    recalls = []
    for query in queries:
        found, want = graph.search(query, 100), exact.search(query, 100)
        recalls.append(len(set(found.ids[:10]) & set(want.ids[:10])) / 10)
        scores = dict(zip(want.ids, want.scores))
        # Candidates are rescored exactly: the same passage gets the same cosine.
        assert all(abs(s - scores[i]) < 1e-5 for i, s in zip(found.ids, found.scores) if i in scores)
        assert list(found.scores) == sorted(found.scores, reverse=True)
    assert np.mean(recalls) >= 0.98


def test_filters_search_exactly(saved: Path, vectors: np.ndarray):
    passages = [passage(n) for n in range(COUNT)]
    graph = VectorIndex.open(saved, passages, "vector")
    exact = VectorIndex(vectors, passages, "vector")
    filters = SearchFilters(source="新会报")
    found = graph.search(vectors[7], 20, filters)
    assert found == exact.search(vectors[7], 20, filters)
    assert all(int(pid[1:].split("-")[0]) % 2 == 0 for pid in found.ids)
