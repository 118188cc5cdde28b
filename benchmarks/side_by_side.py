"""Side by side from 10k to 1M passages (issue 13, item 7): our keyword path against bm25s
and tantivy fed the same jieba tokens, our vector path against an exact numpy scan, the
engine's keyword/vector/hybrid latency, every build stage's time and each component's
memory, with how each cost grows per 10x and a plot (docs/bench-scale.png).

    python -m benchmarks.side_by_side [--sizes 10000,50000,200000,1000000] [--write]
    make bench-scale SIZES=10000,50000

Corpora come from real sentences (synthetic_corpus.py). Passage and sentence vectors are
replayed real e5/USE vectors (scale_probe.ReplayEncoder): labelled so in every table;
query vectors are real. Corpora and builds are cached under BENCH_DATA_DIR/scale-side,
a build keyed by its size and a hash of the index/ code, so a re-run after a code change
rebuilds only what changed and a re-run without one only queries. Results are kept per
size with that hash, so the sizes can be run at different times (1M takes hours) and the
report shows every size measured on the current code.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import machine, report
from benchmarks.scale import ScaleSettings, query_sets
from benchmarks.side_by_side_probe import BANK_FILES
from benchmarks.side_by_side_tables import growth_table, plot, tables
from benchmarks.synthetic_corpus import corpus_folder
from benchmarks.workspace import BENCH_DIR, REPO_ROOT, bench_dir, git_revision

ROOT = BENCH_DIR / "scale-side"
CORPORA = BENCH_DIR / "scale"  # shared with scale.py: same generator, same folders
DEFAULT_SIZES = (10_000, 50_000, 200_000, 1_000_000)
QUERIES_PER_MODE = 60  # per search mode; the keyword side uses the keyword and hybrid ones
PLOT = REPO_ROOT / "docs" / "bench-scale.png"
SECTION = ("scale-side", "Side by side, 10k to 1M passages (issue 13, items 6 and 7)")


def code_hash() -> str:
    """What a build depends on: the index/ package and the replay encoder (not the probes'
    timing and querying code, so that editing them re-runs queries, never a 1M build)."""
    digest = hashlib.sha256()
    files = sorted((REPO_ROOT / "index").rglob("*.py"))
    files.append(REPO_ROOT / "benchmarks" / "scale_probe.py")
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def probe(*args: str, log=print) -> dict:
    """One side_by_side_probe job in a fresh process; its JSON result."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks.side_by_side_probe", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"side_by_side_probe {args[0]} failed:\n{done.stderr[-3000:]}")
    log(f"    ({time.perf_counter() - started:.0f}s)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cached_build(size: int, corpus: Path, code: str, log=print) -> tuple[Path, dict]:
    """The data dir of this size's build on this code, built only when missing; older
    builds of the same size are removed once the new one is in (a 1M build is gigabytes)."""
    name = f"build-{size}-{code}"
    data_dir = ROOT / name
    result_file = data_dir / "build-result.json"
    if result_file.is_file():
        log(f"  {size}: build cached ({name})")
        return data_dir, json.loads(result_file.read_text())
    shutil.rmtree(data_dir, ignore_errors=True)
    bench_dir(f"scale-side/{name}", share_cache=False)  # the model only; replayed vectors stay here
    log(f"  {size}: building ({name})")
    result = probe("build", str(corpus), str(data_dir), str(ROOT))
    result_file.write_text(json.dumps(result))
    for old in ROOT.glob(f"build-{size}-*"):
        if old != data_dir:
            shutil.rmtree(old, ignore_errors=True)
    return data_dir, result


def ensure_bank(log=print) -> None:
    if all((ROOT / f).is_file() for f in BANK_FILES):
        return
    corpus, _ = corpus_folder(CORPORA, min(DEFAULT_SIZES))
    log("  embedding the replay bank (96 real passages, e5 and USE)")
    probe("bank", str(corpus), str(ROOT), log=log)


def run(sizes: list[int], queries_per_mode: int = QUERIES_PER_MODE, log=print) -> dict:
    """Measure `sizes` on the current code; returns every stored result on this code."""
    ROOT.mkdir(parents=True, exist_ok=True)
    code = code_hash()
    ensure_bank(log)
    # Fewer queries = the first ones of the full sets, so every size asks from the same questions.
    full_sets, _, _ = query_sets(ScaleSettings((), 0, 0, QUERIES_PER_MODE, 0, 0, (), ()))
    queries = {mode: texts[:queries_per_mode] for mode, texts in full_sets.items()}
    query_file = ROOT / "queries.json"
    query_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    results_file = ROOT / "results.json"
    for size in sizes:
        log(f"  {size}: corpus")
        corpus, _ = corpus_folder(CORPORA, size)
        data_dir, built = cached_build(size, corpus, code, log)
        log(f"  {size}: side-by-side queries")
        measured = probe("query", str(data_dir), str(query_file), log=log)
        # Read again just before writing: another run (another size) may have saved meanwhile.
        stored = json.loads(results_file.read_text()) if results_file.is_file() else {}
        stored[f"{size}@{code}"] = {"code": code, "revision": git_revision(), "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                             "load": list(os.getloadavg()), "build": built, "query": measured}
        results_file.write_text(json.dumps(stored))
    return stored_results(code)


def stored_results(code: str) -> dict[int, dict]:
    """Every size measured on `code` (keys are "size@code"; older files used "size")."""
    results_file = ROOT / "results.json"
    stored = json.loads(results_file.read_text()) if results_file.is_file() else {}
    return {int(key.split("@")[0]): r for key, r in stored.items() if r["code"] == code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="passage counts, comma-separated")
    parser.add_argument("--queries", type=int, default=QUERIES_PER_MODE,
                        help="queries per search mode (Whoosh takes seconds per query at 50k+ on busy cores)")
    parser.add_argument("--report-only", action="store_true", help="tables from stored results; measure nothing")
    parser.add_argument("--code", help="with --report-only: the stored results of this build hash, not the current code's")
    parser.add_argument("--section", default=SECTION[0], help="report section key (another for an older code's results)")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md and docs/bench-scale.png")
    args = parser.parse_args()
    started = time.time()
    sizes = [] if args.report_only else [int(s) for s in args.sizes.split(",") if s.strip()]
    results = stored_results(args.code) if args.report_only and args.code else run(sizes, args.queries)
    made = tables(results) + [growth_table(results)]
    for table in made:
        print(table.to_text())
    if args.write and results:
        plot_file = PLOT if args.section == SECTION[0] else PLOT.with_name(f"bench-{args.section}.png")
        plot(results, plot_file)
        body = machine.describe(started, "scale-side", git_revision()) + "\n" + \
            f"![latency against corpus size]({plot_file.name})\n\n" + "\n".join(t.to_markdown() for t in made)
        write_section(body, args.section)
        print(f"updated {report.REPORT} and {plot_file}")


def write_section(body: str, key: str = SECTION[0]) -> None:
    """Its own `<!-- bench:scale-side -->` section (not a quick/full run's: it runs alone)."""
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    text = report.REPORT.read_text(encoding="utf-8")
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n## {SECTION[1]}\n\n`make bench-scale` (`python -m benchmarks.side_by_side`).\n\n{block}\n"
    report.REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
