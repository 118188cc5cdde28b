"""The scale benchmark's measurements, each in a fresh process so memory and "cold" mean
something: `build`, `measure` (search/ask latency, memory) and `compare` (baselines).

    python -m benchmarks.scale_probe build CORPUS DATA_DIR BANK.npy [SECOND_BANK.npy]
    python -m benchmarks.scale_probe measure DATA_DIR QUERIES.json
    python -m benchmarks.scale_probe compare DATA_DIR QUERIES.json

Each prints one JSON object on its last line (scale.py reads it).
"""
from __future__ import annotations

import json
import resource
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from benchmarks import workspace  # noqa: F401  (sets HF_HUB_OFFLINE before the model loads)
from index import (  # noqa: E402
    EmbeddingCache,
    Encoder,
    SearchEngine,
    SearchMode,
    ask,
    build_index,
    content_key,
    read_passages,
    split_sentences,
)

MODES: tuple[SearchMode, ...] = ("keyword", "vector", "hybrid")
REPLAY_NOISE = 0.01  # per component: a unit vector moves ~0.2 (cosine ~0.98 to its source)


class ReplayEncoder(Encoder):
    """Passage vectors without the model: each text gets a real e5 vector from `bank`
    (the measured sample), picked by a hash of the text, plus small noise, normalised.

    Embedding 50k passages for real takes about an hour here, and its cost is a rate we
    measure anyway; replayed vectors keep every other stage real: the build writes the
    same arrays and caches, and search scans a realistic matrix. Queries are never
    replayed (the measure step uses the real Encoder).
    """

    def __init__(self, data_dir: Path, bank: np.ndarray, name: str | None = None) -> None:
        super().__init__(data_dir)
        self.name = name or self.name  # e5's, or the second encoder's (its own cache file)
        self.bank = bank
        self.rng = np.random.default_rng(0)

    def encode_passages(self, texts: Sequence[str], cache: EmbeddingCache | None = None,
                        on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        rows = np.array([zlib.crc32(t.encode("utf-8")) % len(self.bank) for t in texts], dtype=np.int64)
        vectors = self.bank[rows] + self.rng.normal(0, REPLAY_NOISE, (len(texts), self.bank.shape[1]))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        if cache is not None:
            for text, vector in zip(texts, vectors):
                cache.put(content_key(self.name, "passage", text), vector)
        return vectors


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """Peak RSS of this process image. Not ru_maxrss: Linux carries that over fork and
    exec, so a probe started by a parent holding the model would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def build(corpus: Path, data_dir: Path, bank_path: Path, second_bank_path: Path | None) -> dict:
    """A real build, except that both encoders' passage vectors are replayed."""
    from index import USE_MODEL_NAME

    encoder = ReplayEncoder(data_dir, np.load(bank_path))
    second = ReplayEncoder(data_dir, np.load(second_bank_path), USE_MODEL_NAME) if second_bank_path else None
    summary = build_index(corpus, data_dir, encoder=encoder, second_encoder=second)
    folder = summary.build_dir
    # The build embeds every answer sentence too (replayed here, like the passages).
    precomputed = len({s.text for p in read_passages(folder) for s in split_sentences(p.text)})
    return {
        "sentences_embedded_by_build": precomputed,
        "documents": summary.documents,
        "passages": summary.passages,
        "stage_seconds": summary.stage_seconds,
        "seconds": summary.seconds,
        "peak_rss_mb": peak_rss_mb(),
        "size_mb": {
            "keyword": folder_mb(folder / "keyword"),
            "vectors": folder_mb(folder / "vectors.npy") + folder_mb(folder / "vectors-use.npy"),
            "jsonl": folder_mb(folder / "passages.jsonl") + folder_mb(folder / "documents.jsonl"),
            "build_total": folder_mb(folder),
            "vector_cache": folder_mb(data_dir / "cache"),
        },
    }


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(data_dir: Path, queries: dict) -> dict:
    """Latency in ms per call. Cold = the first time this process sees the query (its
    embedding, jieba cut and sentence vectors are computed); warm = the same query again.
    Each mode gets its own queries, so hybrid's cold pass is not warmed by vector's.
    The OS file cache is not dropped (it is shared with other users of the machine)."""
    result: dict = {"rss_mb": {"start": rss_mb()}}
    started = time.perf_counter()
    engine = SearchEngine(data_dir)
    result["open_s"] = time.perf_counter() - started
    result["rss_mb"]["index_open"] = rss_mb()
    # Loads e5 (any query) and USE (a cross-lingual one), and the lexicon's first use.
    result["first_query_ms"] = _timed(lambda: (engine.search("江门工业", k=10, mode="hybrid"),
                                               engine.search("industry in Jiangmen", k=10, mode="hybrid")))
    result["rss_mb"]["model_loaded"] = rss_mb()
    latency: dict = {}
    for mode in MODES:
        mode_queries = queries[mode]
        cold = [_timed(partial(engine.search, q, k=10, mode=mode)) for q in mode_queries]
        warm = [_timed(partial(engine.search, q, k=10, mode=mode)) for q in mode_queries]
        latency[mode] = {"cold": cold, "warm": warm}
    asks = queries["ask"]
    cold = [_timed(partial(ask, engine, q)) for q in asks]
    warm = [_timed(partial(ask, engine, q)) for q in asks]
    latency["ask"] = {"cold": cold, "warm": warm}
    result["latency_ms"] = latency
    result["rss_mb"]["after_queries"] = rss_mb()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def compare(data_dir: Path, queries: dict) -> dict:
    """Our keyword path vs rank-bm25 over the same analyzer tokens; our numpy vector
    search vs faiss IndexFlatIP over the same vectors. Query vectors are computed first,
    so the vector timings are the search alone."""
    import faiss
    from rank_bm25 import BM25Okapi

    from index import analyze, query_terms

    engine = SearchEngine(data_dir)
    build = engine.build
    texts = queries["keyword"] + queries["hybrid"]
    out: dict = {"passages": len(build.passages)}

    started = time.perf_counter()
    # Plain BM25 over the passage text's analyzer terms (ours also scores title and heading).
    tokens = [[t for t, _, _ in analyze(p.text)] for p in build.passages]
    out["bm25_tokenize_s"] = time.perf_counter() - started
    started = time.perf_counter()
    bm25 = BM25Okapi(tokens)
    out["bm25_index_s"] = time.perf_counter() - started
    del tokens

    def bm25_top(q: str) -> list[int]:
        scores = bm25.get_scores(query_terms(q))
        top = np.argpartition(-scores, 10)[:10]
        return list(top[np.argsort(-scores[top])])

    ours_engine = [_timed(partial(engine.search, q, k=10, mode="keyword")) for q in texts]
    ours_index = [_timed(partial(build.keyword.search, query_terms(q), 10)) for q in texts]
    theirs = [_timed(partial(bm25_top, q)) for q in texts]
    overlap = []
    for q in texts:
        ours = set(build.keyword.search(query_terms(q), 10).ids)
        if ours:
            overlap.append(len(ours & {build.passages[i].id for i in bm25_top(q)}) / len(ours))
    out["keyword_ms"] = {"engine_keyword_mode": ours_engine, "whoosh_only": ours_index, "rank_bm25": theirs}
    out["keyword_top10_overlap"] = float(np.mean(overlap)) if overlap else None

    vectors = np.ascontiguousarray(build.vectors.vectors)
    started = time.perf_counter()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    out["faiss_index_s"] = time.perf_counter() - started
    qvecs = [engine.encoder.encode_query(q) for q in texts]
    ours_v = [_timed(partial(build.vectors.search, v, 10)) for v in qvecs]
    theirs_v = [_timed(partial(flat.search, v[None, :].astype(np.float32), 10)) for v in qvecs]
    agree = [
        set(build.vectors.search(v, 10).ids) == {build.passages[row].id for row in flat.search(v[None, :], 10)[1][0]}
        for v in qvecs
    ]
    out["vector_ms"] = {"numpy": ours_v, "faiss_flat": theirs_v}
    out["vector_top10_identical"] = float(np.mean(agree))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main(argv: Sequence[str]) -> None:
    job = argv[0]
    if job == "build":
        result = build(Path(argv[1]), Path(argv[2]), Path(argv[3]), Path(argv[4]) if len(argv) > 4 else None)
    elif job in ("measure", "compare"):
        queries = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        result = (measure if job == "measure" else compare)(Path(argv[1]), queries)
    else:
        raise SystemExit(f"unknown job {job!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
