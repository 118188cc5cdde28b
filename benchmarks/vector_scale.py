"""Vector search as the corpus grows: the exact numpy scan against HNSW (usearch and faiss),
on synthetic unit vectors, to find the size from which the index should use a graph.

    python -m benchmarks.vector_scale [--sizes 5000,10000,...] [--queries 200]

Vectors are 384-d (e5-small's width), drawn around 1 cluster centre per 50 vectors with a
shared direction, so that, as with real e5 vectors, every cosine is positive and
neighbours are close but not duplicates; queries are corpus vectors plus noise. Each query
asks for 100 neighbours, as the engine does (SearchConfig.candidates). Recall@10 = share of
the exact top-10 in the graph's top-10 after the exact rescoring the engine applies. All
methods run in this one process on the same vectors and queries, one query at a time.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from benchmarks.tables import Table
from index import ANN_MIN_VECTORS, AnnIndex

DIMENSION = 384
CANDIDATES = 100
DEFAULT_SIZES = (2_000, 5_000, 10_000, 20_000, 50_000)


def synthetic_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=DIMENSION)
    centres = rng.normal(size=(max(1, n // 50), DIMENSION))
    x = 0.8 * shared + centres[rng.integers(0, len(centres), n)] + 0.7 * rng.normal(size=(n, DIMENSION))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def queries_near(vectors: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = vectors[rng.integers(0, len(vectors), count)] + 0.05 * rng.normal(size=(count, DIMENSION))
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = vectors @ query  # what VectorIndex does without a graph
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def rescored(vectors: np.ndarray, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
    rows = rows[rows >= 0]
    return rows[np.argsort(-(vectors[rows] @ query), kind="stable")]


def ann_top(ann: AnnIndex, vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    return rescored(vectors, query, ann.search(query, CANDIDATES))


def timed(search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Median milliseconds per query, and each query's ranking."""
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(search(q))
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), results


def recall_at_10(exact: list[np.ndarray], approx: list[np.ndarray]) -> float:
    return float(np.mean([len(set(e[:10]) & set(a[:10])) / 10 for e, a in zip(exact, approx)]))


def faiss_hnsw(vectors: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    import faiss

    index = faiss.IndexHNSWFlat(DIMENSION, 16, faiss.METRIC_INNER_PRODUCT)  # same degree as ours
    index.hnsw.efConstruction = 128
    index.add(vectors)
    index.hnsw.efSearch = 128

    def search(q: np.ndarray) -> np.ndarray:
        _, rows = index.search(q[None, :], CANDIDATES)
        return rescored(vectors, q, rows[0])

    return search


def measure(sizes: list[int], query_count: int, with_faiss: bool, tmp: str) -> Table:
    from pathlib import Path

    table = Table(
        f"Vector search: exact scan or HNSW ({query_count} queries, top-{CANDIDATES}, 384-d synthetic vectors)",
        ["vectors", "exact p50 ms", "usearch p50 ms", "usearch R@10", "usearch build s", "faiss HNSW p50 ms",
         "faiss R@10", "faiss build s", "exact / usearch"],
    )
    timings: list[tuple[float, float]] = []
    for n in sizes:
        vectors = synthetic_vectors(n)
        queries = queries_near(vectors, query_count)
        exact_ms, exact = timed(partial(exact_top, vectors, k=CANDIDATES), queries)
        path = Path(tmp) / f"bench-{n}.usearch"
        t = time.perf_counter()
        AnnIndex.build(vectors, path)
        usearch_build = time.perf_counter() - t
        ann = AnnIndex.open(path)
        assert ann is not None
        usearch_ms, approx = timed(partial(ann_top, ann, vectors), queries)
        row: list[float | int | None] = [n, exact_ms, usearch_ms, recall_at_10(exact, approx), usearch_build]
        if with_faiss:
            t = time.perf_counter()
            search = faiss_hnsw(vectors)
            faiss_build = time.perf_counter() - t
            faiss_ms, faiss_found = timed(search, queries)
            row += [faiss_ms, recall_at_10(exact, faiss_found), faiss_build]
        else:
            row += [None, None, None]
        table.add(*row, f"{exact_ms / usearch_ms:.1f}x")
        timings.append((exact_ms, usearch_ms))
        path.unlink(missing_ok=True)
        print(table.rows[-1], flush=True)
    crossover = next((n for n, (e, u) in zip(sizes, timings) if u < e), None)
    table.notes += [
        f"First size where usearch answers faster than the exact scan: {crossover if crossover else 'none measured'}; "
        f"the build writes a graph from ANN_MIN_VECTORS = {ANN_MIN_VECTORS:,} vectors on.",
        "usearch: connectivity 16, expansion_add 128, expansion_search 128 (index/vector/ann.py); faiss IndexHNSWFlat "
        "with M 16, efConstruction 128, efSearch 128. Both get their candidates rescored exactly, as the engine does.",
        "Build seconds use both cores; query timings one query at a time, single process.",
    ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-faiss", action="store_true")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(dir=".") as tmp:
        table = measure([int(s) for s in args.sizes.split(",")], args.queries, not args.no_faiss, tmp)
    print(table.to_text())


if __name__ == "__main__":
    main()
