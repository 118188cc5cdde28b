"""Incremental updates at 50k passages: add 10 documents, replace one, delete one, against a
full rebuild of the same corpus, and the time until a running engine serves the change.

The base index is a real build of the synthetic corpus (benchmarks/synthetic_corpus.py)
whose passage and sentence vectors are replayed (scale_probe.ReplayEncoder, as in
benchmarks/scale.py): the full build's time is therefore a rebuild with every vector
cached, the best case of the rebuild that incremental updates replace. The updates embed
their new passages and sentences with the real encoders (e5 and USE), as the admin API
does, so their times include real embedding.

    python -m benchmarks.incremental_speed [--passages 50000] [--rebuild]

The base build is made once and reused (its time is kept in full-build.json beside it);
`--rebuild` makes it again. Each update publishes a new build, as in
production, and the next update starts from it; a later run starts from the last run's.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time
from pathlib import Path

import numpy as np

from benchmarks.scale_probe import ReplayEncoder
from benchmarks.synthetic_corpus import corpus_folder, make_document, sentence_pools
from benchmarks.tables import Table
from benchmarks.workspace import BENCH_DIR, bench_dir
from index import (
    USE_MODEL_NAME,
    Encoder,
    SearchEngine,
    UseEncoder,
    build_index,
    delete_documents,
    document_from_record,
    load_corpus,
    put_documents,
    split_passages,
)

ROOT = BENCH_DIR / "incremental"
BANK_SIZE = 64  # real vectors the base build replays (scale.py uses 96-320; any real sample will do)
NEW_DOCUMENTS = 10


def base_build(passages: int, rebuild: bool, log=print) -> tuple[Path, dict]:
    """The 50k data dir and its full build's record, built now if missing."""
    data_dir = ROOT / f"data-{passages}"
    record_path = data_dir / "full-build.json"
    if record_path.is_file() and not rebuild and SearchEngine.has_index(data_dir):
        return data_dir, json.loads(record_path.read_text())
    corpus, count = corpus_folder(ROOT, passages)
    log(f"  corpus: {count} passages in {corpus}")
    shutil.rmtree(data_dir, ignore_errors=True)
    bench_dir(f"incremental/data-{passages}", share_cache=False)  # replayed vectors stay out of the shared cache
    bank, use_bank = _banks(corpus, data_dir)
    started = time.perf_counter()
    summary = build_index(corpus, data_dir, encoder=ReplayEncoder(data_dir, bank),
                          second_encoder=ReplayEncoder(data_dir, use_bank, USE_MODEL_NAME))
    record = {"seconds": time.perf_counter() - started, "stage_seconds": summary.stage_seconds,
              "documents": summary.documents, "passages": summary.passages, "corpus": str(corpus),
              "load": os.getloadavg()[0]}
    record_path.write_text(json.dumps(record))
    log(f"  full build: {record['seconds']:.0f} s")
    return data_dir, record


def _banks(corpus: Path, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    texts = [p.text for doc in load_corpus([corpus]).documents[:200] for p in split_passages(doc)]
    sample = random.Random(1).sample(texts, min(BANK_SIZE, len(texts)))
    return Encoder(data_dir).encode_passages(sample), UseEncoder(data_dir).encode_passages(sample)


def new_documents(n: int, seed: int, run: str) -> list:
    """`n` documents like the corpus's, with ids no earlier run used (`run` tags them)."""
    pools = sentence_pools()
    rng = random.Random(seed)
    documents = []
    for i in range(n):
        record = make_document(900_000 + seed * 100 + i, pools, rng)
        record["id"] = f"inc-{run}-{seed}-{i}"
        documents.append(document_from_record(record))
    return documents


def timed_refresh(engine: SearchEngine) -> float:
    started = time.perf_counter()
    switched = engine.refresh()
    assert switched, "the engine did not switch to the new build"
    return time.perf_counter() - started


def run(passages: int, rebuild: bool, log=print) -> list[dict]:
    data_dir, full = base_build(passages, rebuild, log)
    engine = SearchEngine(data_dir)  # a running worker: it has the current build open
    encoder, second = engine.encoder, engine.second_encoder
    encoder.encode_passages(["warm up"])  # the worker already holds its models
    second.encode_passages(["warm up"])
    rows = [{"operation": "full rebuild (every vector cached)", "seconds": full["seconds"],
             "stages": full["stage_seconds"], "visible": None}]
    tag = time.strftime("%H%M%S")
    added = new_documents(NEW_DOCUMENTS, seed=1, run=tag)
    replacement = new_documents(1, seed=2, run=tag)[0]
    replacement = type(replacement)(**{**replacement.__dict__, "id": added[0].id})
    steps: list[tuple[str, object]] = [
        (f"add {NEW_DOCUMENTS} documents", lambda: put_documents(data_dir, added, encoder=encoder, second_encoder=second)),
        ("replace 1 document", lambda: put_documents(data_dir, [replacement], encoder=encoder, second_encoder=second)),
        ("delete 1 document", lambda: delete_documents(data_dir, [added[1].id])),
    ]
    for name, step in steps:
        log(f"  {name}")
        started = time.perf_counter()
        update = step()  # type: ignore[operator]
        seconds = time.perf_counter() - started
        visible = timed_refresh(engine)
        rows.append({"operation": name, "seconds": seconds, "stages": update.stage_seconds, "visible": visible})
    return rows


def table(rows: list[dict], passages: int) -> Table:
    rebuild = rows[0]["seconds"]
    out = Table(f"Incremental updates at {passages:,} passages (load {os.getloadavg()[0]:.1f})",
                ["operation", "update s", "x faster than rebuild", "engine switch s", "where the time went"])
    for row in rows:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in sorted(row["stages"].items(), key=lambda kv: -kv[1])[:5])
        out.add(row["operation"], f"{row['seconds']:.1f}", f"{rebuild / row['seconds']:.0f}x",
                "" if row["visible"] is None else f"{row['visible']:.1f}", stages)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--rebuild", action="store_true", help="make the base build again (and time it)")
    parser.add_argument("--prepare", action="store_true", help="only make the base build")
    args = parser.parse_args()
    if args.prepare:
        base_build(args.passages, args.rebuild)
        return
    print(table(run(args.passages, args.rebuild), args.passages).to_text())


if __name__ == "__main__":
    main()
