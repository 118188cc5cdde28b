"""Where one request's time goes: each component of hybrid search and ask, timed in a
process set up as a gunicorn worker is (index/vector/threads.py), over a built index.

    python -m benchmarks.serving_scale_probe DATA_DIR QUERIES.json BLAS_THREADS

Every query gets a suffix no cache has seen (as wrk's unique scenario does), so the
query embeddings run for real. Prints one JSON object on its last line.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import workspace  # noqa: F401  (sets HF_HUB_OFFLINE before the model loads)
from index import SearchEngine, ask, configure_threads


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def components(engine: SearchEngine, query: str) -> dict[str, float]:
    """One unique hybrid query, stage by stage, in the order the engine runs them."""
    build = engine.build
    out: dict[str, float] = {}
    out["plan (jieba, lexicon)"], plan = _timed(lambda: engine.plan_query(query, build))
    depth = max(10, engine.config.candidates)
    out["keyword (KeywordIndex.search, accelerator)"], _ = _timed(lambda: build.keyword.search(plan.keyword_terms, depth))
    out["e5 query embedding"], vector = _timed(lambda: engine.encoder.encode_query(plan.vector_text))
    out["vector scan (e5)"], _ = _timed(lambda: build.vectors.search(vector, depth))
    if plan.cross_lingual and build.second_vectors is not None:
        second = build.second_vectors
        out["USE query embedding"], use_vector = _timed(lambda: engine.second_encoder.encode_query(plan.vector_text))
        out["vector scan (USE)"], _ = _timed(lambda: second.search(use_vector, depth))
    # Facet counts are not timed alone: the engine's cost of them is the difference between
    # the "unique" and "unique, no facets" totals below.
    return out


def measure(data_dir: Path, queries: list[str], blas: int) -> dict:
    settings = configure_threads(1, blas=blas)  # what each of 2 workers gets on 2 cores
    engine = SearchEngine(data_dir)
    for warm in ("江门工业", "industry in Jiangmen"):  # loads both models, as the master's warm-up does
        ask(engine, warm)
    rows = [components(engine, f"{q} {i}p{blas}") for i, q in enumerate(queries)]
    def search_times(tag: str, facets: bool = True) -> list[float]:
        return [_timed(partial(engine.search, f"{q} {i}{tag}{blas}", facets=facets))[0] for i, q in enumerate(queries)]

    totals = {
        "hybrid search, unique (engine total)": search_times("h"),
        "hybrid search, repeated (query vectors cached)": search_times("h"),  # the same queries again
        "hybrid search, unique, no facets": search_times("n", facets=False),
        "ask, unique (engine total)": [_timed(partial(ask, engine, f"{q} {i}a{blas}"))[0] for i, q in enumerate(queries)],
    }
    stages: dict[str, list[float]] = {}
    for row in rows:
        for name, ms in row.items():
            stages.setdefault(name, []).append(ms)
    return {"threads": settings.describe(), "blas": blas, "queries": len(queries), "stages_ms": stages,
            "totals_ms": totals}


def main(argv: list[str]) -> None:
    queries = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(measure(Path(argv[0]), queries, int(argv[2]))))


if __name__ == "__main__":
    main(sys.argv[1:])
