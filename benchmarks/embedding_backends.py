"""e5 through each embedding backend, side by side in one run: passages per second,
agreement with torch fp32, and XQuAD retrieval with every vector from that backend.

    python -m benchmarks.embedding_backends [--questions N]

The passages are the XQuAD index's (the product's splitter on the 240 Chinese
paragraphs). Timing alternates the backends chunk by chunk on the same texts, so both
see the same machine load; each backend embeds every passage and question itself
(no cache). Retrieval: the backend's passage and question vectors make the e5 list; the
keyword list (and, for English questions, the USE list) are the engine's, the same for
every backend; hybrid fuses them with the engine's own `fuse`.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.retrieval import Rankings, doc_metrics
from benchmarks.tables import Table
from benchmarks.workspace import bench_dir
from benchmarks.xquad import LANGS, load_questions, open_engine
from index import EMBEDDING_BACKENDS, Encoder, RankedList, SearchEngine, VectorIndex

CHUNK = 64
REFERENCE = "torch"


def embed_side_by_side(encoders: dict[str, Encoder], texts: list[str]) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Passages/s of each backend over the same chunks, alternated; and their vectors."""
    seconds = dict.fromkeys(encoders, 0.0)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in encoders}
    for encoder in encoders.values():
        encoder.encode_passages(texts[:8])  # load and compile outside the timing
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        for name, encoder in encoders.items():
            t = time.perf_counter()
            parts[name].append(encoder.encode_passages(chunk))
            seconds[name] += time.perf_counter() - t
    return ({name: len(texts) / s for name, s in seconds.items()},
            {name: np.concatenate(p) for name, p in parts.items()})


def rankings_with(engine: SearchEngine, vectors: np.ndarray, queries: np.ndarray, texts: list[str]) -> list[Rankings]:
    """Each question's lists as the engine makes them, with this backend's e5 list."""
    depth = engine.config.candidates
    index = VectorIndex(vectors, engine.build.passages)
    out = []
    for text, query in zip(texts, queries):
        plan = engine.plan_query(text)
        lists: list[RankedList] = [engine.build.keyword.search(plan.keyword_terms, depth)]
        lists.append(index.search(query, depth))
        second = engine.build.second_vectors
        if plan.cross_lingual and second is not None and engine.config.second_vector_weight > 0:
            lists.append(second.search(engine.second_encoder.encode_query(plan.vector_text), depth))
        out.append(Rankings(tuple(lists), plan.cross_lingual))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300, help="per language (default 300; 0 = all 1,190)")
    args = parser.parse_args()
    engine = open_engine()
    data_dir = bench_dir("shared")
    encoders = {name: Encoder(data_dir, backend=name) for name in EMBEDDING_BACKENDS}
    encoders = {REFERENCE: encoders.pop(REFERENCE), **encoders}
    passages = [p.text for p in engine.build.passages]
    rates, vectors = embed_side_by_side(encoders, passages)
    questions = load_questions(args.questions or None)
    texts = {lang: [engine.plan_query(q.text).vector_text for q in qs] for lang, qs in questions.items()}
    table = Table(
        f"e5 backends side by side: {len(passages)} XQuAD passages, {len(questions['zh'])} questions per language",
        ["backend", "passages/s", "vs torch", "min cosine", "mean cosine", "query min cosine",
         "zh R@5 e5", "zh R@5 hybrid", "en R@5 e5", "en R@5 hybrid"],
    )
    reference = vectors[REFERENCE]
    query_vectors: dict[str, dict[str, np.ndarray]] = {}
    for name, encoder in encoders.items():
        query_vectors[name] = {lang: encoder._encode(ts, "query") for lang, ts in texts.items()}
    for name in encoders:
        cosines = np.sum(vectors[name] * reference, axis=1)
        query_cosines = np.concatenate([np.sum(query_vectors[name][lang] * query_vectors[REFERENCE][lang], axis=1)
                                        for lang in LANGS])
        recalls = []
        for lang in LANGS:
            ranked = rankings_with(engine, vectors[name], query_vectors[name][lang], [q.text for q in questions[lang]])
            golds = [q.doc_id for q in questions[lang]]
            recalls += [doc_metrics(engine, ranked, golds, mode, engine.config).recall_5 for mode in ("vector", "hybrid")]
        table.add(name, rates[name], f"{rates[name] / rates[REFERENCE]:.2f}x", float(cosines.min()),
                  f"{cosines.mean():.6f}", float(query_cosines.min()), *recalls)
        print(table.rows[-1], flush=True)
    import openvino

    precision = encoders["openvino"].fast_model.compiled().get_property("INFERENCE_PRECISION_HINT")
    table.notes += [
        f"Same process, chunks of {CHUNK} passages alternated between backends; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (rates are noisy, the ratio is what holds).",
        f"openvino {openvino.__version__}: OpenVINO's export of the converted folder, inference precision "
        f"{precision} on this CPU (bf16 only where the CPU has it); torch: sentence-transformers, fp32.",
        "R@5 at the document level as in section 1; hybrid = the engine's fusion of the keyword list, this "
        "backend's e5 list and (English questions) the USE list.",
    ]
    print(table.to_text())


if __name__ == "__main__":
    main()
