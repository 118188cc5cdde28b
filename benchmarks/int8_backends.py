"""e5 in fp32 and int8, side by side in one run: passages/s against torch fp32, cosine to
torch fp32 over passages and questions, and XQuAD retrieval with e5 alone.

    python -m benchmarks.int8_backends [--questions N] [--timed N]

Texts: the XQuAD index's passages (the product's splitter on the 240 Chinese
paragraphs), XQuAD's questions in Chinese and English, and the qa_set questions. Timing
alternates the backends chunk by chunk over the same passages, so every backend sees the
same machine load; 2 inference threads each. The int8 variants are built from the
converted folder (benchmarks/int8_variants.py); NNCF's full int8 is calibrated on the
bundled corpus (passages, and its sentences as questions), never on XQuAD.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

import numpy as np

from benchmarks.int8_variants import (
    OnnxEmbedder,
    OpenVinoFp32Embedder,
    ensure_onnx_int8,
    ensure_ov_int8,
    ensure_ov_int8_weights,
)
from benchmarks.retrieval import Rankings, doc_metrics
from benchmarks.tables import Table
from benchmarks.workspace import BUNDLED_CORPUS, REPO_ROOT, bench_dir
from benchmarks.xquad import LANGS, load_questions, open_engine
from index import Encoder, VectorIndex, to_simplified
from index.corpus.loader import load_corpus
from index.corpus.passages import split_passages, split_sentences
from index.vector.e5.openvino_export import ensure_openvino_export
from index.vector.e5.openvino_runtime import OpenVinoEmbedder

CHUNK = 32
THREADS = 2
REFERENCE = "torch fp32"
FULL_REFERENCE = "openvino fp32"
Embed = Callable[[list[str], str], np.ndarray]


def calibration_texts() -> list[str]:
    """Prompted texts from the bundled corpus: its passages, and its sentences as questions."""
    docs = load_corpus([BUNDLED_CORPUS]).documents
    passages = [p.text for d in docs for p in split_passages(d)]
    sentences = [s.text for p in passages for s in split_sentences(p) if len(s.text) > 8]
    return [f"passage: {to_simplified(t)}" for t in passages] + [f"query: {to_simplified(t)}" for t in sentences[:200]]


def backends(data_dir) -> dict[str, Embed]:  # type: ignore[no-untyped-def]
    torch_encoder = Encoder(data_dir, backend="torch")
    import torch

    torch.set_num_threads(THREADS)
    ov_fp32 = OpenVinoFp32Embedder(ensure_openvino_export(data_dir), THREADS)
    out: dict[str, Embed] = {REFERENCE: torch_encoder._encode, "openvino fp32": _embed(ov_fp32)}
    variants = {
        "onnxruntime int8 dynamic": lambda: OnnxEmbedder(ensure_onnx_int8(data_dir), THREADS),
        "openvino int8 weights (NNCF)": lambda: OpenVinoEmbedder(ensure_ov_int8_weights(data_dir), THREADS),
        "openvino int8 full (NNCF)": lambda: OpenVinoEmbedder(ensure_ov_int8(data_dir, calibration_texts()), THREADS),
    }
    for name, make in variants.items():
        started = time.perf_counter()
        out[name] = _embed(make())
        print(f"  {name}: ready in {time.perf_counter() - started:.0f}s", flush=True)
    return out


def _embed(embedder: OpenVinoEmbedder) -> Embed:
    return lambda texts, prompt: embedder.encode([to_simplified(t) for t in texts], prompt, CHUNK)


def embed_side_by_side(embeds: dict[str, Embed], texts: list[str]) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    seconds = dict.fromkeys(embeds, 0.0)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in embeds}
    for embed in embeds.values():
        embed(texts[:8], "passage")  # load and compile outside the timing
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        for name, embed in embeds.items():
            t = time.perf_counter()
            parts[name].append(embed(chunk, "passage"))
            seconds[name] += time.perf_counter() - t
    return ({name: len(texts) / s for name, s in seconds.items()},
            {name: np.concatenate(p) for name, p in parts.items()})


def qa_set_questions() -> list[str]:
    lines = (REPO_ROOT / "benchmarks" / "qa_set.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def timed_sample(passages: list[str], n: int) -> list[str]:
    """`n` passages spread evenly over the length order (so the mix of lengths is the
    corpus's), longest first as a build embeds them."""
    ordered = sorted(passages, key=len, reverse=True)
    if not n or n >= len(ordered):
        return ordered
    return [ordered[round(i * (len(ordered) - 1) / (n - 1))] for i in range(n)]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=400, help="XQuAD questions per language (0 = all 1,190)")
    parser.add_argument("--timed", type=int, default=96, help="passages timed, every backend (0 = all)")
    args = parser.parse_args()
    engine = open_engine()
    data_dir = bench_dir("shared")
    embeds = backends(data_dir)
    passages = [p.text for p in engine.build.passages]
    timed = timed_sample(passages, args.timed)
    load_before = os.getloadavg()[0]
    rates, timed_vectors = embed_side_by_side(embeds, timed)
    load_after = os.getloadavg()[0]
    print("  rates: " + ", ".join(f"{n} {r:.2f}/s" for n, r in rates.items()), flush=True)
    questions = load_questions(args.questions or None)
    query_texts = {lang: [engine.plan_query(q.text).vector_text for q in qs] for lang, qs in questions.items()}
    query_texts["qa"] = qa_set_questions()
    # torch fp32 only embeds the timed passages (it is 3-8x slower): the full-corpus
    # reference is OpenVINO fp32, whose agreement with torch the timed rows show.
    full = {name: embed for name, embed in embeds.items() if name != REFERENCE}
    vectors = {name: embed(passages, "passage") for name, embed in full.items()}
    queries = {name: {k: embed(ts, "query") for k, ts in query_texts.items()} for name, embed in full.items()}
    n = len(questions["zh"])
    table = Table(
        f"e5 fp32 and int8: {len(timed)} of {len(passages)} XQuAD passages timed; cosines and retrieval over all "
        f"passages, {n} XQuAD questions per language and {len(query_texts['qa'])} qa_set questions",
        ["backend", "passages/s", "vs torch", "cos torch (timed) min", "passage cos mean", "passage cos min",
         "query cos mean", "query cos min", "zh R@1", "zh R@5", "en R@1", "en R@5"],
    )
    base = FULL_REFERENCE
    for name in embeds:
        timed_cos = cosines(timed_vectors[name], timed_vectors[REFERENCE])
        cells: list[object] = [name, rates[name], f"{rates[name] / rates[REFERENCE]:.2f}x", f"{timed_cos.min():.5f}"]
        if name in full:
            cos = cosines(vectors[name], vectors[base])
            qcos = np.concatenate([cosines(queries[name][k], queries[base][k]) for k in query_texts])
            cells += [f"{cos.mean():.5f}", f"{cos.min():.5f}", f"{qcos.mean():.5f}", f"{qcos.min():.5f}"]
            index = VectorIndex(vectors[name], engine.build.passages)
            for lang in LANGS:
                ranked = [Rankings((index.search(q, engine.config.candidates),), False) for q in queries[name][lang]]
                m = doc_metrics(engine, ranked, [q.doc_id for q in questions[lang]], "vector", engine.config)
                cells += [f"{100 * m.recall_1:.1f}", f"{100 * m.recall_5:.1f}"]
        else:
            cells += ["-"] * 8
        table.add(*cells)  # type: ignore[arg-type]
        print(table.rows[-1], flush=True)
    import nncf
    import onnxruntime
    import openvino

    table.notes += [
        f"One process, chunks of {CHUNK} passages alternated between backends, {THREADS} inference threads each; "
        f"load average {load_before:.1f} before and {load_after:.1f} after timing on {os.cpu_count()} cores shared "
        "with other jobs (rates are noisy; the ratios, measured under the same load, are what holds).",
        f"openvino {openvino.__version__}, onnxruntime {onnxruntime.__version__}, nncf {nncf.__version__}; "
        f"torch fp32 = sentence-transformers on the converted folder. Cosines beyond the timed passages and "
        f"retrieval are against {base} (the app's vectors today), whose own cosine to torch is in column 4.",
        "R@k: e5 alone (no keyword, no USE), document level, percent; en = English questions on the Chinese passages.",
    ]
    print(table.to_text())


if __name__ == "__main__":
    main()
