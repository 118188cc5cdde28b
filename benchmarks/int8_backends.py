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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.int8_variants import (
    OnnxEmbedder,
    OpenVinoFp32Embedder,
    ensure_onnx_int8,
    ensure_ov_int8,
    ensure_ov_int8_weights,
)
from benchmarks.tables import Table
from benchmarks.workspace import BUNDLED_CORPUS, REPO_ROOT, bench_dir
from benchmarks.xquad import LANGS, XquadQuestion, load_questions, paragraphs
from index import (
    Encoder,
    OpenVinoEmbedder,
    document_from_record,
    ensure_openvino_export,
    load_corpus,
    split_passages,
    split_sentences,
    to_simplified,
)

CHUNK = 32
REFERENCE = "torch fp32"
FULL_REFERENCE = "openvino fp32"
Embed = Callable[[list[str], str], np.ndarray]


def calibration_texts() -> list[str]:
    """Prompted texts from the bundled corpus: its passages, and its sentences as questions."""
    docs = load_corpus([BUNDLED_CORPUS]).documents
    passages = [p.text for d in docs for p in split_passages(d)]
    sentences = [s.text for p in passages for s in split_sentences(p) if len(s.text) > 8]
    return [f"passage: {to_simplified(t)}" for t in passages] + [f"query: {to_simplified(t)}" for t in sentences[:200]]


def backends(data_dir: Path, threads: int, only: set[str] | None = None) -> dict[str, Embed]:
    """The fp32 pair and each int8 variant (all, or those whose name contains one of `only`)."""
    torch_encoder = Encoder(data_dir, backend="torch")
    import torch

    torch.set_num_threads(threads)
    ov_fp32 = OpenVinoFp32Embedder(ensure_openvino_export(data_dir), threads)
    out: dict[str, Embed] = {REFERENCE: torch_encoder._encode, "openvino fp32": _embed(ov_fp32)}
    variants = {
        "onnxruntime int8 dynamic": lambda: OnnxEmbedder(ensure_onnx_int8(data_dir), threads),
        "openvino int8 weights (NNCF)": lambda: OpenVinoEmbedder(ensure_ov_int8_weights(data_dir), threads),
        "openvino int8 full (NNCF)": lambda: OpenVinoEmbedder(ensure_ov_int8(data_dir, calibration_texts()), threads),
    }
    for name, make in variants.items():
        if only and not any(word in name for word in only):
            continue
        started = time.perf_counter()
        out[name] = _embed(make())
        print(f"  {name}: ready in {time.perf_counter() - started:.0f}s", flush=True)
    return out


def _embed(embedder: OpenVinoEmbedder) -> Embed:
    return lambda texts, prompt: embedder.encode([to_simplified(t) for t in texts], prompt, CHUNK)


@dataclass
class Timing:
    wall: float = 0.0  # seconds
    cpu: float = 0.0  # CPU seconds of this process (every thread)


def embed_side_by_side(embeds: dict[str, Embed], texts: list[str]) -> tuple[dict[str, Timing], dict[str, np.ndarray]]:
    """Wall and CPU seconds per backend over the same chunks, alternated; and the vectors.

    Why CPU seconds: on cores other jobs saturate, wall time measures the scheduler (a
    runtime whose threads wait at a barrier for a descheduled sibling loses most), while
    the CPU seconds of one thread per backend are close to what the work costs on a quiet core."""
    timings = {name: Timing() for name in embeds}
    parts: dict[str, list[np.ndarray]] = {name: [] for name in embeds}
    for embed in embeds.values():
        embed(texts[:8], "passage")  # load and compile outside the timing
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        for name, embed in embeds.items():
            wall, cpu = time.perf_counter(), time.process_time()
            parts[name].append(embed(chunk, "passage"))
            timings[name].wall += time.perf_counter() - wall
            timings[name].cpu += time.process_time() - cpu
    return timings, {name: np.concatenate(p) for name, p in parts.items()}


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


def xquad_passages(every: int) -> tuple[list[str], list[str]]:
    """(passage texts, their paragraph ids) of every `every`-th XQuAD paragraph, split by
    the product's splitter (no index is built: this compares encoders, nothing else)."""
    texts, doc_ids = [], []
    for doc_id, context, _ in paragraphs("zh")[::every]:
        doc = document_from_record({"id": doc_id, "title": f"XQuAD {doc_id[3:]}", "text": context, "lang": "zh"})
        for passage in split_passages(doc):
            texts.append(passage.text)
            doc_ids.append(doc_id)
    return texts, doc_ids


def doc_recall(passages: np.ndarray, doc_ids: list[str], queries: np.ndarray,
               questions: list[XquadQuestion]) -> tuple[float, float]:
    """Recall@1 and @5 of the gold paragraph, ranking paragraphs by their best passage."""
    hits = {1: 0, 5: 0}
    for query, question in zip(queries, questions):
        seen: dict[str, None] = {}
        for row in np.argsort(-(passages @ query), kind="stable"):
            seen.setdefault(doc_ids[row], None)
            if len(seen) >= 5:
                break
        ranked = list(seen)
        for k in hits:
            hits[k] += question.doc_id in ranked[:k]
    return 100 * hits[1] / len(questions), 100 * hits[5] / len(questions)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="keep every N-th XQuAD paragraph (default 1 = all 240)")
    parser.add_argument("--timed", type=int, default=96, help="passages timed, every backend (0 = all)")
    parser.add_argument("--only", nargs="*", help="int8 variants whose name has one of these words (default all)")
    parser.add_argument("--threads", type=int, default=2, help="inference threads per backend (default 2)")
    parser.add_argument("--timing-only", action="store_true", help="time and compare the timed passages only")
    args = parser.parse_args()
    data_dir = bench_dir("shared")
    embeds = backends(data_dir, args.threads, set(args.only or ()))
    passages, doc_ids = xquad_passages(args.every)
    timed = timed_sample(passages, args.timed)
    load_before = os.getloadavg()[0]
    timings, timed_vectors = embed_side_by_side(embeds, timed)
    load_after = os.getloadavg()[0]
    rates = {name: len(timed) / t.wall for name, t in timings.items()}
    cpu_rates = {name: len(timed) / t.cpu for name, t in timings.items()}
    speed = Table(
        f"e5 speed, {len(timed)} XQuAD passages (spread over the length order), {args.threads} inference "
        f"thread(s) per backend, chunks of {CHUNK} alternated",
        ["backend", "passages/s (wall)", "vs torch", "passages per CPU-s", "vs torch (CPU)", "cos torch min",
         "cos torch mean"],
    )
    for name in embeds:
        cos = cosines(timed_vectors[name], timed_vectors[REFERENCE])
        speed.add(name, rates[name], f"{rates[name] / rates[REFERENCE]:.2f}x", cpu_rates[name],
                  f"{cpu_rates[name] / cpu_rates[REFERENCE]:.2f}x", f"{cos.min():.5f}", f"{cos.mean():.5f}")
    speed.notes.append(f"load average {load_before:.1f} before and {load_after:.1f} after, {os.cpu_count()} cores "
                       "shared with other jobs.")
    print(speed.to_text(), flush=True)
    if args.timing_only:
        return
    kept = set(doc_ids)
    questions = {lang: [q for q in qs if q.doc_id in kept] for lang, qs in load_questions().items()}
    query_texts = {lang: [q.text for q in qs] for lang, qs in questions.items()}
    query_texts["qa"] = qa_set_questions()
    # torch fp32 only embeds the timed passages (it is the slowest by far): the reference
    # beyond them is OpenVINO fp32, the app's vectors today, whose agreement with torch
    # the timed rows show.
    full = {name: embed for name, embed in embeds.items() if name != REFERENCE}
    vectors, queries = {}, {}
    for name, embed in full.items():
        vectors[name] = embed(passages, "passage")
        queries[name] = {k: embed(ts, "query") for k, ts in query_texts.items()}
        print(f"  {name}: embedded", flush=True)
    n = len(questions["zh"])
    table = Table(
        f"e5 fp32 and int8: {len(timed)} passages timed; cosines and retrieval over {len(passages)} passages of "
        f"{len(kept)} XQuAD paragraphs, their {n} questions per language and {len(query_texts['qa'])} qa_set questions",
        ["backend", "passages/s", "vs torch", "cos torch min", "passage cos mean", "passage cos min",
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
            for lang in LANGS:
                cells += [f"{r:.1f}" for r in doc_recall(vectors[name], doc_ids, queries[name][lang], questions[lang])]
        else:
            cells += ["-"] * 8
        table.add(*cells)  # type: ignore[arg-type]
        print(table.rows[-1], flush=True)
    import nncf
    import onnxruntime
    import openvino

    table.notes += [
        f"One process, chunks of {CHUNK} passages alternated between backends, {args.threads} inference threads each; "
        f"load average {load_before:.1f} before and {load_after:.1f} after timing on {os.cpu_count()} cores shared "
        "with other jobs (rates are noisy; the ratios, measured under the same load, are what holds).",
        f"openvino {openvino.__version__}, onnxruntime {onnxruntime.__version__}, nncf {nncf.__version__}; "
        "torch fp32 = sentence-transformers on the converted folder. 'cos torch min': over the timed passages; "
        f"the other cosines and the retrieval are against {base} (the app's vectors today).",
        "R@k: e5 alone (no keyword, no USE) on the raw question, paragraph level, percent; en = English "
        "questions on the Chinese passages.",
    ]
    print(table.to_text())

if __name__ == "__main__":
    main()
