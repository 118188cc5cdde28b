"""Build time and search/ask latency on the bundled corpus (the numbers issue 2 reports).

    python -m benchmarks.bundled_latency [--repeat 30]

Builds twice into a scratch data directory that shares the model and vector caches with ./data,
and times the second: "build" is the warm-cache rebuild a user sees after the first one; the
cold embedding rate is printed separately from a re-embedding of every passage.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index import (  # noqa: E402
    Encoder,
    IndexSettings,
    SearchEngine,
    ask,
    build_index,
)

QUERIES = [
    "江门前三季度地区生产总值", "新型储能", "中创新航", "专精特新企业", "工业投资增长",
    "What was Jiangmen's GDP in the first three quarters?", "new energy storage in Xinhui", "CALB battery base",
]
QUESTIONS = [
    "江门前三季度地区生产总值是多少？", "新会区目前有多少家各级专精特新企业？", "江门是什么时候开始实施“链长制”的？",
    "What was Jiangmen's GDP in the first three quarters?", "How many specialized and sophisticated enterprises does Xinhui have?",
    "江门的常住人口有多少？",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    settings = IndexSettings.from_env()
    shared = settings.data_dir.resolve()
    shared.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=shared.parent, prefix=".bench-") as scratch:
        data = Path(scratch)
        for name in ("models", "cache"):
            (shared / name).mkdir(exist_ok=True)
            (data / name).symlink_to(shared / name, target_is_directory=True)
        encoder = Encoder(data)
        # A first build fills the shared caches (on a new machine the answer sentences are not
        # in them yet: 17 s of embedding that a user pays once), so the timed one is warm.
        build_index(settings.corpus_dir, data, encoder=encoder)
        t = time.perf_counter()
        summary = build_index(settings.corpus_dir, data, encoder=encoder)
        build_seconds = time.perf_counter() - t
        engine = SearchEngine(data, encoder=encoder)
        texts = [p.text for p in engine.build.passages]
        t = time.perf_counter()
        encoder.encode_passages(texts)  # no cache: the cold embedding rate
        embed_rate = len(texts) / (time.perf_counter() - t)

        print(f"bundled corpus: {summary.documents} documents, {summary.passages} passages")
        print(f"build (warm caches, model loaded): {build_seconds:.2f} s "
              f"[{', '.join(f'{k} {v:.2f}s' for k, v in summary.stage_seconds.items())}]")
        print(f"embedding from scratch: {embed_rate:.1f} passages/s "
              f"(a cold build of this corpus embeds for ~{len(texts) / embed_rate:.0f} s)")
        print(f"\n{'operation':<16} {'median ms':>10} {'p95 ms':>8}   ({args.repeat} rounds over {len(QUERIES)} queries / {len(QUESTIONS)} questions, warm)")
        for mode in ("keyword", "vector", "hybrid"):
            engine.search("预热", mode=mode)
            times = [_timed(lambda q=q, mode=mode: engine.search(q, k=10, mode=mode))
                     for _ in range(args.repeat) for q in QUERIES]
            print(f"search {mode:<9} {statistics.median(times):>10.1f} {percentile(times, 0.95):>8.1f}")
        # New query text each round, so the query-embedding cache does not hide the model cost.
        cold = [_timed(lambda i=i, q=q: engine.search(f"{q} {i}", k=10)) for i in range(5) for q in QUERIES]
        print(f"{'search uncached':<16} {statistics.median(cold):>10.1f} {percentile(cold, 0.95):>8.1f}   (hybrid, query embedding not cached)")
        times = [_timed(lambda q=q: ask(engine, q)) for _ in range(max(1, args.repeat // 3)) for q in QUESTIONS]
        print(f"{'ask':<16} {statistics.median(times):>10.1f} {percentile(times, 0.95):>8.1f}")
        cold = [_timed(lambda i=i, q=q: ask(engine, f"{q} {i}")) for i in range(3) for q in QUESTIONS]
        print(f"{'ask uncached':<16} {statistics.median(cold):>10.1f} {percentile(cold, 0.95):>8.1f}   (question embedding not cached)")


def _timed(call) -> float:
    t = time.perf_counter()
    call()
    return (time.perf_counter() - t) * 1000


if __name__ == "__main__":
    main()
