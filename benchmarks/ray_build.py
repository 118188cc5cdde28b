"""Build throughput on Ray: loading and embedding rates in this process, then on a local
Ray with 1 and with 2 embedding workers, side by side in one run on the same corpus.

The corpus is synthetic_corpus's generated passages (default 200), written as several
JSONL files so parsing has shards to spread. Every setup embeds the same passages into an
empty vector cache (so all of them go through the model), after each worker has loaded
the model once: the rates are steady-state, the start-up costs are printed apart. The
local setup is this process as a build without --ray runs it (torch on all cores).

    python -m benchmarks.ray_build [--passages 200] [--files 12]
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.synthetic_corpus import corpus_folder
from benchmarks.tables import Table
from benchmarks.workspace import BENCH_DIR, bench_dir, git_revision
from index import (
    BuildRunner,
    EmbeddingCache,
    Encoder,
    LocalRunner,
    RayOptions,
    RayRunner,
    corpus_files,
    split_passages,
)


@dataclass
class Setup:
    name: str
    workers: int
    start_s: float  # starting Ray (nothing in this process)
    parse_s: float
    model_s: float  # loading the model in every worker
    embed_s: float
    passages: int

    @property
    def rate(self) -> float:
        return self.passages / self.embed_s


def sharded_corpus(passages: int, files: int) -> Path:
    """The generated corpus split into `files` JSONL files, made once under .bench-data."""
    source, _ = corpus_folder(BENCH_DIR / "ray-build", passages)
    folder = BENCH_DIR / "ray-build" / f"{source.name}-in-{files}"
    if folder.is_dir():
        return folder
    lines = (source / "synthetic.jsonl").read_text(encoding="utf-8").splitlines()
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    per_file = -(-len(lines) // files)
    for n in range(0, len(lines), per_file):
        (tmp / f"part-{n // per_file:03d}.jsonl").write_text("\n".join(lines[n:n + per_file]) + "\n", encoding="utf-8")
    tmp.rename(folder)
    return folder


def measure(name: str, workers: int, runner_context: Callable[[], AbstractContextManager[BuildRunner]],
            corpus: Path, encoder: Encoder) -> Setup:
    started = time.perf_counter()
    with runner_context() as runner:
        start_s = time.perf_counter() - started
        t = time.perf_counter()
        loaded = runner.load(corpus_files([corpus]))
        parse_s = time.perf_counter() - t
        # One text per worker first, so every worker has loaded the model before timing.
        t = time.perf_counter()
        runner.embed(encoder, [f"warm-up {n} {time.time_ns()}" for n in range(workers)],
                     EmbeddingCache(Path("/nonexistent/cache.npz")))
        model_s = time.perf_counter() - t
        texts = [p.text for doc in loaded.documents for p in split_passages(doc)]
        t = time.perf_counter()
        vectors = runner.embed(encoder, texts, EmbeddingCache(Path("/nonexistent/cache.npz")))
        embed_s = time.perf_counter() - t
    assert vectors.shape[0] == len(texts)
    print(f"{name}: {len(texts)} passages embedded in {embed_s:.1f}s", flush=True)
    return Setup(name, workers, start_s, parse_s, model_s, embed_s, len(texts))


def throughput_table(setups: list[Setup], files: int) -> Table:
    local = setups[0]
    table = Table(f"Build throughput: {local.passages} passages in {files} files, e5 passage embedding",
                  ["setup", "workers", "start s", "parse s", "model load s", "embed s", "passages/s", "vs this process"])
    for s in setups:
        table.add(s.name, s.workers, s.start_s, s.parse_s, s.model_s, s.embed_s, s.rate, s.rate / local.rate)
    ray1 = next(s for s in setups if s.name.startswith("ray") and s.workers == 1)
    ray2 = next(s for s in setups if s.name.startswith("ray") and s.workers == 2)
    table.notes += [
        f"2 workers / 1 worker on Ray: {ray2.rate / ray1.rate:.2f}x; per node (this machine's "
        f"{ray2.workers} workers): {ray2.rate:.1f} passages/s",
        "one worker = one Ray actor holding 1 CPU (torch on one thread) and its own copy of the model",
    ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--files", type=int, default=12)
    args = parser.parse_args()
    began = time.time()
    corpus = sharded_corpus(args.passages, args.files)
    encoder = Encoder(bench_dir("shared"))  # the model folder only; caches here are throwaway

    setups = [
        measure("this process", 1, lambda: nullcontext(LocalRunner()), corpus, encoder),
        measure("ray, 1 worker", 1, lambda: RayRunner.connect(RayOptions(workers=1, local_cpus=2)), corpus, encoder),
        measure("ray, 2 workers", 2, lambda: RayRunner.connect(RayOptions(workers=2, local_cpus=2)), corpus, encoder),
    ]
    print(throughput_table(setups, args.files).to_text())
    print(json.dumps([s.__dict__ for s in setups]))
    print(describe(began, f"ray_build {args.passages}", git_revision()))


if __name__ == "__main__":
    main()
