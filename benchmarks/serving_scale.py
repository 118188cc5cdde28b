"""Serving at archive scale: gunicorn with 2 workers over a 50k-passage index.

    python -m benchmarks.serving_scale [--passages 50000] [--seconds 20] [--rebuild] [--write]

What it measures, in one run against one server (`python -m webapp`, WORKERS=2):

- hybrid and keyword requests/s through wrk with *unique* queries (every request has a
  suffix no cache has seen, so each one embeds its query), and with repeated ones;
- ask latency (p50/p95) with unique questions;
- memory of the two workers together as PSS (shared copy-on-write pages split between
  the processes sharing them), with and without the master; RSS would count the
  preloaded model and index once per process;
- where the time of one hybrid request goes, per component, in a probe process
  (serving_scale_probe.py) with the threads a worker gets.

The index is the scale benchmark's synthetic corpus (synthetic_corpus.py) with replayed
passage vectors (scale_probe.ReplayEncoder: real e5/USE vectors of a sample, with
noise); queries are always embedded for real. The index is built once under
.bench-data/scale/data-N and reused; `--rebuild` builds it again (needed after a
change to what the build writes, e.g. a keyword accelerator), so the benchmark can be
re-run unchanged after other work merges.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import psutil

from benchmarks import report
from benchmarks.machine import describe
from benchmarks.serving import Server
from benchmarks.tables import Table, median, percentile
from benchmarks.workspace import BENCH_DIR, REPO_ROOT, bench_dir, git_revision
from benchmarks.wrk import WrkStats, lua_script, run_wrk

BANK_PASSAGES = 256  # passages embedded for real with e5 and USE: the replay bank
ROTATING = 40  # queries per scenario; unique scenarios add a fresh suffix to each request
CONNECTIONS = 4  # two requests queued per worker, so a worker never waits for wrk
PROBE_QUERIES = 10  # each costs seconds per stage at 50k on a loaded machine (30 took >15 min per probe)
TARGET_RPS = 100  # issue 13: >= 100 hybrid requests/s with unique queries, 2 workers
TARGET_PSS_GIB = 1.5  # issue 13: both workers together


def prepare(passages: int, rebuild: bool, log=print) -> Path:
    """The data dir of a `passages`-passage synthetic index, built if missing."""
    from benchmarks.synthetic_corpus import corpus_folder
    from index import SearchEngine

    root = BENCH_DIR / "scale"
    data_dir = root / f"data-{passages}"
    if not rebuild and data_dir.is_dir() and SearchEngine.has_index(data_dir):
        return data_dir
    corpus, found = corpus_folder(root, passages)
    log(f"  corpus: {found} passages in {corpus}")
    bank, second_bank = root / "bank.npy", root / "bank-use.npy"
    if not (bank.is_file() and second_bank.is_file()):
        log(f"  bank: embedding {BANK_PASSAGES} passages with e5 and USE")
        _embed_bank(corpus, bank, second_bank)
    shutil.rmtree(data_dir, ignore_errors=True)
    bench_dir(f"scale/data-{passages}", share_cache=False)  # replayed vectors must not reach the shared cache
    log(f"  build: {data_dir} (replayed passage vectors)")
    done = subprocess.run([sys.executable, "-m", "benchmarks.scale_probe", "build", str(corpus), str(data_dir),
                           str(bank), str(second_bank)], cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"build failed:\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"  built {summary['passages']} passages in {summary['seconds']:.0f}s")
    return data_dir


def _embed_bank(corpus: Path, bank: Path, second_bank: Path) -> None:
    from benchmarks.workspace import shared_encoder
    from index import UseEncoder, load_corpus, split_passages

    texts = [p.text for doc in load_corpus([corpus]).documents[:2000] for p in split_passages(doc)]
    sample = random.Random(1).sample(texts, min(BANK_PASSAGES, len(texts)))
    encoder = shared_encoder()
    np.save(bank, encoder.encode_passages(sample))
    np.save(second_bank, UseEncoder(encoder.data_dir).encode_passages(sample))


def questions() -> list[str]:
    """XQuAD questions, Chinese and English alternating: the synthetic corpus is made of
    XQuAD's sentences, so they find passages."""
    from benchmarks.xquad import load_questions

    xq = load_questions()
    pool = [q.text for pair in zip(xq["zh"], xq["en"]) for q in pair]
    random.Random(3).shuffle(pool)
    return pool


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str  # "/api/search?mode=hybrid&q=" or "/api/ask?q="
    unique: bool


SCENARIOS = (
    Scenario("hybrid search, unique queries", "/api/search?mode=hybrid&q=", True),
    Scenario("hybrid search, repeated queries (vectors cached)", "/api/search?mode=hybrid&q=", False),
    Scenario("keyword search, unique queries", "/api/search?mode=keyword&q=", True),
    Scenario("ask, unique questions", "/api/ask?q=", True),
)


def worker_memory(master_pid: int) -> dict[str, float]:
    """MiB: PSS of the workers together and with the master; RSS and USS for reference."""
    master = psutil.Process(master_pid)
    workers = [p.memory_full_info() for p in master.children() if "webapp" in " ".join(p.cmdline())]
    own = master.memory_full_info()
    mib = 2**20
    return {"workers": len(workers),
            "workers_pss": sum(w.pss for w in workers) / mib,
            "all_pss": (sum(w.pss for w in workers) + own.pss) / mib,
            "workers_rss": sum(w.rss for w in workers) / mib,
            "workers_uss": sum(w.uss for w in workers) / mib,
            "master_pss": own.pss / mib}


def serve_and_load(data_dir: Path, pool: list[str], seconds: int, log=print) -> tuple[list[tuple[str, WrkStats]], dict]:
    results = []
    with Server(data_dir, data_dir / "serving_scale-webapp.log", workers=2) as server:
        # Each worker's first requests page in the index and the model's kernels: not measured.
        warm = lua_script([f"/api/search?mode=hybrid&q={quote(q)}" for q in pool[-ROTATING:]], unique_every=1)
        run_wrk(server.base, warm, 10, CONNECTIONS, 1)
        for n, scenario in enumerate(SCENARIOS):
            queries = pool[n * ROTATING:(n + 1) * ROTATING]
            script = lua_script([scenario.path + quote(q) for q in queries], 1 if scenario.unique else 0)
            log(f"  wrk: {scenario.name}, {seconds}s")
            results.append((scenario.name, run_wrk(server.base, script, seconds, CONNECTIONS, 1)))
        memory = worker_memory(server.process.pid)
    return results, memory


def probe(data_dir: Path, pool: list[str], blas: int) -> dict:
    query_file = data_dir / "serving_scale_queries.json"
    query_file.write_text(json.dumps(pool[-PROBE_QUERIES - ROTATING:-ROTATING], ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "benchmarks.serving_scale_probe", str(data_dir), str(query_file),
                           str(blas)], cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"serving_scale_probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def wrk_table(passages: int, results: list[tuple[str, WrkStats]], seconds: int) -> Table:
    table = Table(f"gunicorn, 2 sync workers, {passages:,} passages: wrk -t1 -c{CONNECTIONS}, {seconds}s per scenario",
                  ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"])
    for name, r in results:
        table.add(name, r.requests, round(r.rps, 1), r.p50_ms, r.p95_ms, r.p99_ms,
                  r.bad_status + r.socket_errors + r.timeouts)
    hybrid = results[0][1].rps
    table.notes.append(f"target >= {TARGET_RPS} hybrid req/s with unique queries: "
                       f"{'met' if hybrid >= TARGET_RPS else 'not met'} ({hybrid:.1f})")
    table.notes.append("unique: every request's query has a suffix never seen before, so e5 (and USE for a "
                       "cross-lingual query) embeds it; wrk runs on the same 2 cores and takes CPU from the workers")
    return table


def memory_table(memory: dict) -> Table:
    table = Table("Memory of the server after the load (MiB)", ["measure", "MiB"])
    table.add("both workers, PSS", round(memory["workers_pss"]))
    table.add("both workers + master, PSS", round(memory["all_pss"]))
    table.add("master alone, PSS", round(memory["master_pss"]))
    table.add("both workers, USS (pages only that worker holds)", round(memory["workers_uss"]))
    table.add("both workers, RSS (shared pages counted twice)", round(memory["workers_rss"]))
    ok = memory["workers_pss"] <= TARGET_PSS_GIB * 1024
    table.notes.append(f"target both workers <= {TARGET_PSS_GIB} GiB PSS: {'met' if ok else 'not met'}")
    return table


def component_table(probes: list[dict]) -> Table:
    """Stage medians per BLAS setting, side by side, with the ratio."""
    blas = [p["blas"] for p in probes]
    headers = ["stage (one unique hybrid query)"] + [f"p50 ms, BLAS {b}" for b in blas] + [f"p95 ms, BLAS {b}" for b in blas]
    if len(probes) == 2:
        headers.append(f"p50 BLAS {blas[1]} / BLAS {blas[0]}")
    table = Table(f"Time per component, in one process set up as a worker ({probes[0]['queries']} unique queries)",
                  headers)
    names = list(probes[0]["stages_ms"]) + list(probes[0]["totals_ms"])

    def values(p: dict, name: str) -> list[float]:
        return p["stages_ms"].get(name) or p["totals_ms"].get(name) or []

    for name in names:
        p50 = [median(values(p, name)) for p in probes]
        p95 = [percentile(values(p, name), 95) for p in probes]
        row: list = [name, *p50, *p95]
        if len(probes) == 2:
            row.append(round(p50[1] / p50[0], 2) if p50[0] else None)
        table.add(*row)
    table.notes.append("stages are timed one by one (the engine runs them in this order); the USE rows appear "
                       "only for cross-lingual queries, so their sample is smaller")
    table.notes += [f"BLAS {p['blas']}: {p['threads']}" for p in probes]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=20, help="per wrk scenario (default 20)")
    parser.add_argument("--rebuild", action="store_true", help="build the index again even if it exists")
    parser.add_argument("--prepare-only", action="store_true", help="build the index and stop")
    parser.add_argument("--skip-probe", action="store_true", help="no per-component timing")
    parser.add_argument("--write", action="store_true", help="write the tables into docs/BENCHMARKS.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    started, revision = time.time(), git_revision()
    load_before = os.getloadavg()
    data_dir = prepare(args.passages, args.rebuild)
    if args.prepare_only:
        print(data_dir)
        return
    pool = questions()
    results, memory = serve_and_load(data_dir, pool, args.seconds)
    # Saved as soon as measured: the probes take minutes and may be stopped.
    saved = data_dir / "serving_scale-results.json"
    saved.write_text(json.dumps({"wrk": [(name, vars(r)) for name, r in results], "memory": memory}))
    tables = [wrk_table(args.passages, results, args.seconds), memory_table(memory)]
    if not args.skip_probe:
        print("  probe: components, BLAS 1 and 2 threads", file=sys.stderr)
        probes = []
        for blas in (1, 2):
            probes.append(probe(data_dir, pool, blas))
            saved.write_text(json.dumps({"wrk": [(name, vars(r)) for name, r in results], "memory": memory,
                                         "probes": probes}))
        tables.append(component_table(probes))
    tables[0].notes.append(f"1-minute load average before the run {load_before[0]:.1f}")
    for table in tables:
        print(table.to_text())
    if args.write:
        body = describe(started, "serving-scale", revision) + "\n" + "\n".join(t.to_markdown() for t in tables)
        # Into its marked section (docs/BENCHMARKS.md, under "Archive scale"), or a new one under the full run.
        report.write_sections("full", [("serving-scale", "Serving at 50k passages: threads, workers, memory", body)])


if __name__ == "__main__":
    main()
