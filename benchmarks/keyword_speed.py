"""Keyword search at 10k and 50k passages: Whoosh as served before, Whoosh with a bounded
query plan, and the numpy accelerator (index/keyword/accelerator.py); engine keyword and
hybrid latency with the accelerator off and on; the raw scorer against bm25s and tantivy
fed the same jieba tokens; and keyword Recall@5 on XQuAD and the qa_set, Whoosh vs
accelerator. Issue 13, items 1 and 6 (keyword side).

    python -m benchmarks.keyword_speed [--sizes 10000 50000] [--queries 40]

Corpora are benchmarks/synthetic_corpus.py's; passage vectors are replayed from a bank of
real e5 vectors as benchmarks/scale_probe.py does (queries are embedded for real). The
second encoder is off (SECOND_ENCODER=off): this measures the keyword side and its share
of hybrid search. Every timing is warm: each query runs once untimed first.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

os.environ["SECOND_ENCODER"] = "off"

import numpy as np  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402
from whoosh.query import Or, Term  # noqa: E402

from benchmarks.qa_eval import QA_SET  # noqa: E402
from benchmarks.scale_probe import ReplayEncoder  # noqa: E402
from benchmarks.synthetic_corpus import corpus_folder  # noqa: E402
from benchmarks.tables import Table, percentile  # noqa: E402
from benchmarks.workspace import BENCH_DIR, BUNDLED_CORPUS, bench_dir  # noqa: E402
from benchmarks.xquad import load_questions, write_corpus  # noqa: E402
from index import (  # noqa: E402
    KEYWORD_SEARCH_FIELDS,
    Document,
    Encoder,
    KeywordIndex,
    Passage,
    SearchConfig,
    SearchEngine,
    SearchFilters,
    analyze,
    build_index,
    build_keyword_accelerator,
    build_keyword_index,
    load_corpus,
    load_user_dictionary,
    query_terms,
    split_passages,
)

ROOT = BENCH_DIR / "keyword"
BANK_SIZE = 96  # real e5 passage vectors the replayed ones are drawn from


def ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def warm_ms(fn: Callable[[str], object], queries: Sequence[str], warm_up: bool = True) -> list[float]:
    """ms per query, each run once untimed first (`warm_up`); without it, the caller has
    already warmed what the call shares (query vectors, jieba cuts, the OS file cache),
    which saves a pass over Whoosh's seconds-long queries at 50k."""
    if warm_up:
        for q in queries:
            fn(q)
    return [ms(partial(fn, q)) for q in queries]


def p50_p95(values: Sequence[float]) -> tuple[float, float]:
    return percentile(values, 50), percentile(values, 95)


def replay_bank(corpus: Path) -> np.ndarray:
    path = ROOT / "bank.npy"
    if path.is_file():
        return np.load(path)
    texts = [p.text for d in load_corpus([corpus]).documents[:200] for p in _passages(d)]
    sample = random.Random(1).sample(texts, min(BANK_SIZE, len(texts)))
    bank = Encoder(bench_dir("keyword/bank", share_cache=False)).encode_passages(sample)
    np.save(path, bank)
    return bank


def _passages(document: Document) -> list[Passage]:
    return split_passages(document)


def built(size: int, bank: np.ndarray) -> Path:
    """A data dir with the synthetic corpus built (accelerator included); reused if there."""
    corpus, _ = corpus_folder(ROOT, size)
    data_dir = ROOT / f"data-{size}"
    if (data_dir / "CURRENT").is_file():
        return data_dir
    bench_dir(f"keyword/data-{size}", share_cache=False)
    summary = build_index(corpus, data_dir, encoder=ReplayEncoder(data_dir, bank))
    print(f"  {size}: built {summary.passages} passages in {summary.seconds:.0f}s "
          f"(stages: {', '.join(f'{k} {v:.0f}s' for k, v in summary.stage_seconds.items())})", flush=True)
    return data_dir


def query_pool(n: int) -> list[str]:
    """XQuAD questions in both languages (the synthetic corpus is made of XQuAD sentences)."""
    xq = load_questions()
    pool = [q.text for pair in zip(xq["zh"], xq["en"]) for q in pair]
    random.Random(2).shuffle(pool)
    return pool[:n]


def whoosh_plans(folder: Path, engine: SearchEngine, queries: Sequence[str]) -> dict[str, float]:
    """Whoosh itself, p50 ms: the query as served before (48 terms x 3 fields, 100
    candidates, every match counted) and bounded plans (no count, top 10, 16 terms)."""
    ix = whoosh_index.open_dir(str(folder))
    terms = {q: list(engine.plan_query(q).keyword_terms) for q in queries}
    weighting = KeywordIndex(folder)._weighting

    def run(q: str, max_terms: int, limit: int, count: bool) -> None:
        query = Or([Term(f, t) for t in terms[q][:max_terms] for f in KEYWORD_SEARCH_FIELDS])
        with ix.searcher(weighting=weighting) as searcher:
            results = searcher.search(query, limit=limit)
            _ = len(results) if count else results.scored_length()

    plans = {"48 terms, top 100, counted (before)": (48, 100, True),
             "48 terms, top 100, not counted": (48, 100, False),
             "48 terms, top 10, not counted": (48, 10, False),
             "16 terms, top 10, not counted": (16, 10, False)}
    # The engine measurements ran these queries already: the Whoosh files are in the OS cache.
    return {name: percentile(warm_ms(partial(run, max_terms=a[0], limit=a[1], count=a[2]), queries, False), 50)
            for name, a in plans.items()}


def engine_latency(data_dir: Path, encoder: Encoder, queries: Sequence[str]) -> dict[str, dict[str, tuple[float, float]]]:
    out: dict[str, dict[str, tuple[float, float]]] = {}
    # Accelerator first: its warm-up pass embeds the queries and fills jieba's cache, which
    # the Whoosh engine then shares (same encoder), so Whoosh needs no second pass.
    for label, on in (("accelerator", True), ("whoosh", False)):
        engine = SearchEngine(data_dir, encoder=encoder, config=SearchConfig(keyword_accelerator=on))
        assert (engine.build.keyword.accelerator is not None) == on
        filtered = SearchFilters(source="江门日报", date_from="2021")
        runs = {"keyword": partial(engine.search, k=10, mode="keyword"),
                "hybrid": partial(engine.search, k=10, mode="hybrid"),
                "keyword, filtered": partial(engine.search, k=10, mode="keyword", filters=filtered)}
        out[label] = {name: p50_p95(warm_ms(run, queries, warm_up=on)) for name, run in runs.items()}
    return out


def raw_scorers(data_dir: Path, engine: SearchEngine, queries: Sequence[str]) -> dict[str, tuple[float, float | None]]:
    """Top 10 by the accelerator, bm25s and tantivy over the same analyzer tokens (title,
    heading and text in one field for the two others: they have no per-field boosts)."""
    import bm25s
    import tantivy

    accelerator = engine.build.keyword.accelerator
    assert accelerator is not None
    passages = engine.build.passages
    rows = [engine.build.position[accelerator.passage_id(r)] for r in range(accelerator.rows)]
    tokens = [[t for text in (passages[i].title, passages[i].heading, passages[i].text) for t, _, _ in analyze(text)]
              for i in rows]
    terms = {q: list(engine.plan_query(q).keyword_terms) for q in queries}

    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index(tokens, show_progress=False)
    vocab = bm25.vocab_dict

    def bm25_top(q: str) -> list[int]:
        known = [t for t in terms[q] if t in vocab]
        if not known:
            return []
        scores = bm25.get_scores(known)
        top = np.argpartition(-scores, 10)[:10]
        return [int(r) for r in top[np.argsort(-scores[top])] if scores[r] > 0]

    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_text_field("body", tokenizer_name="whitespace")
    schema_builder.add_integer_field("row", stored=True)
    schema = schema_builder.build()
    tantivy_index = tantivy.Index(schema)
    writer = tantivy_index.writer(heap_size=100_000_000, num_threads=1)
    for row, words in enumerate(tokens):
        writer.add_document(tantivy.Document(body=" ".join(words), row=row))
    writer.commit()
    tantivy_index.reload()
    searcher = tantivy_index.searcher()

    def tantivy_top(q: str) -> list[int]:
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in terms[q]])
        return [searcher.doc(address)["row"][0] for _, address in searcher.search(query, 10).hits]

    def ours_top(q: str) -> list[int]:
        return accelerator.top_rows(terms[q], 10)

    out: dict[str, tuple[float, float | None]] = {}
    reference = {q: set(ours_top(q)) for q in queries}
    for name, top in (("accelerator (Whoosh BM25F)", ours_top), ("bm25s", bm25_top), ("tantivy", tantivy_top)):
        overlap = [len(set(top(q)) & reference[q]) / len(reference[q]) for q in queries if reference[q]]
        out[name] = (percentile(warm_ms(top, queries), 50), float(np.mean(overlap)) if overlap else None)
    return out


def keyword_recall() -> list[tuple[str, int, float, float]]:
    """Keyword Recall@5 with the same terms through Whoosh and the accelerator: XQuAD
    zh->zh (its 240 paragraphs; a hit is a passage of the question's paragraph) and the
    qa_set's answerable Chinese questions over the bundled corpus (a hit is a passage
    holding the evidence). Same-language only: the cross-lingual terms come from the
    engine's plan, which these plain indexes do not have."""
    rows = []
    folder = ROOT / "recall"
    xquad = write_corpus(folder / "xquad-corpus")
    qa = [json.loads(line) for line in QA_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [("XQuAD zh->zh", xquad, [(q.text, q.doc_id, "") for q in load_questions()["zh"]]),
             ("qa_set zh (bundled corpus)", BUNDLED_CORPUS,
              [(q["question"], q["doc_id"], q["evidence"]) for q in qa if q["answerable"] and q["lang"] == "zh"])]
    load_user_dictionary(BUNDLED_CORPUS / "userdict.txt")
    for name, corpus, questions in cases:
        kw, acc = folder / f"{corpus.name}-kw", folder / f"{corpus.name}-acc"
        passages = {p.id: p for d in load_corpus([corpus]).documents for p in _passages(d)}
        if not kw.is_dir():
            build_keyword_index(kw, passages.values())
            build_keyword_accelerator(kw, acc)
        recall = []
        for index in (KeywordIndex(kw), KeywordIndex(kw, acc)):
            found = [any(passages[pid].doc_id == doc and evidence in passages[pid].text
                         for pid in index.search(query_terms(q), 5).ids) for q, doc, evidence in questions]
            recall.append(float(np.mean(found)))
        rows.append((name, len(questions), recall[0], recall[1]))
    return rows


def _keyword_only(engine: SearchEngine, query: str) -> None:
    engine.build.keyword.search(engine.plan_query(query).keyword_terms, 100)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    ROOT.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    queries = query_pool(args.queries)
    bank = replay_bank(corpus_folder(ROOT, min(args.sizes))[0])
    plans = Table("Whoosh itself, warm p50 ms", ["passages", *["(filled below)"]])
    engine_table = Table("Engine latency, warm, ms (accelerator off = Whoosh as served before)",
                         ["passages", "search", "Whoosh p50", "Whoosh p95", "accelerator p50", "accelerator p95",
                          "speed-up (p50)"])
    raw_table = Table("Raw top-10 scorer over the same jieba tokens, warm p50 ms",
                      ["passages", "scorer", "p50 ms", "vs accelerator", "top-10 overlap with Whoosh's"])
    plan_rows: list[list[float | int]] = []
    for size in args.sizes:
        data_dir = built(size, bank)
        encoder = Encoder(data_dir)
        engine = SearchEngine(data_dir, encoder=encoder)
        latency = engine_latency(data_dir, encoder, queries)
        for search in latency["whoosh"]:
            before, after = latency["whoosh"][search], latency["accelerator"][search]
            engine_table.add(size, search, *before, *after, f"{before[0] / after[0]:.0f}x")
        print(f"  {size}: engine done", flush=True)
        whoosh = whoosh_plans(engine.build.folder / "keyword", engine, queries)
        accel = percentile(warm_ms(partial(_keyword_only, engine), queries), 50)
        plan_rows.append([size, *whoosh.values(), accel])
        plans.headers = ["passages", *whoosh.keys(), "accelerator, top 100, counted"]
        print(f"  {size}: Whoosh plans done", flush=True)
        raw = raw_scorers(data_dir, engine, queries)
        ours = raw["accelerator (Whoosh BM25F)"][0]
        for name, (p50, overlap) in raw.items():
            raw_table.add(size, name, p50, f"{p50 / ours:.2f}x", overlap)
        print(f"  {size}: raw scorers done", flush=True)
    for row in plan_rows:
        plans.add(*row)
    recall = Table("Keyword Recall@5, same terms, Whoosh vs accelerator",
                   ["questions", "n", "Whoosh R@5", "accelerator R@5"])
    for name, n, whoosh_recall, accelerator_recall in keyword_recall():
        recall.add(name, n, whoosh_recall, accelerator_recall)
    note = (f"{len(queries)} XQuAD questions (zh and en), k=10; load average {load:.1f} at start, "
            f"{os.getloadavg()[0]:.1f} at end, on 2 cores")
    for table in (plans, engine_table, raw_table, recall):
        table.notes.append(note)
        print(table.to_markdown())


if __name__ == "__main__":
    main()
