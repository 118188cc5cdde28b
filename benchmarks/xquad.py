"""Cross-lingual retrieval on XQuAD: 240 Chinese paragraphs, 1,190 questions asked in
Chinese (monolingual) and in English (EN -> ZH), scored at the document level.

The data is read from ../shared/eval-data (Artetxe et al., 2019, CC BY-SA 4.0) and only
a JSONL copy of the corpus is written, under .bench-data/. Each paragraph is one document
(id `xq-NNN`) with a neutral title "XQuAD NNN": the English article titles would hand
the English questions a keyword match the Chinese corpus does not really have.

    python -m benchmarks.xquad [--questions N]
"""
from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.retrieval import MODES, Rankings, collect_rankings, doc_metrics, fusion_mismatches, prime_queries
from benchmarks.retrieval import open_engine as open_bench_engine
from benchmarks.tables import Table
from benchmarks.workspace import EVAL_DATA, bench_dir, shared_encoder, shared_second_encoder
from index import SearchConfig, SearchEngine, build_index

LANGS = ("zh", "en")


@dataclass(frozen=True)
class XquadQuestion:
    id: str
    text: str
    doc_id: str


@dataclass
class XquadRun:
    """Everything the fusion sweep needs without searching again."""

    engine: SearchEngine
    questions: dict[str, list[XquadQuestion]]  # by language, same ids in the same order
    rankings: dict[str, list[Rankings]]
    seconds: float


def paragraphs(lang: str) -> list[tuple[str, str, list[dict]]]:
    """(doc id, context, qas) for every paragraph, in file order (the same in zh and en)."""
    data = json.loads((EVAL_DATA / f"xquad.{lang}.json").read_text(encoding="utf-8"))
    flat = [p for article in data["data"] for p in article["paragraphs"]]
    return [(f"xq-{i:03d}", p["context"], p["qas"]) for i, p in enumerate(flat)]


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "xquad-zh.jsonl"
    lines = [
        json.dumps({"id": doc_id, "title": f"XQuAD {doc_id[3:]}", "text": context, "lang": "zh",
                    "source": "XQuAD"}, ensure_ascii=False)
        for doc_id, context, _ in paragraphs("zh")
    ]
    text = "\n".join(lines) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return folder


def load_questions(limit: int | None = None, seed: int = 0) -> dict[str, list[XquadQuestion]]:
    """Questions per language; with `limit`, the same random sample of ids in both, so
    the zh and en rows compare the same questions."""
    by_lang = {
        lang: {qa["id"]: XquadQuestion(qa["id"], qa["question"], doc_id)
               for doc_id, _, qas in paragraphs(lang) for qa in qas}
        for lang in LANGS
    }
    ids = [i for i in by_lang["zh"] if i in by_lang["en"]]
    if limit and limit < len(ids):
        ids = sorted(random.Random(seed).sample(ids, limit), key=ids.index)
    return {lang: [by_lang[lang][i] for i in ids] for lang in LANGS}


def open_engine(config: SearchConfig | None = None) -> SearchEngine:
    """Build and open the XQuAD index. Rebuilt every run, so the numbers always belong to
    the current analyzer and splitter; vectors come from the shared cache (seconds)."""
    data_dir = bench_dir("xquad/data")
    corpus = write_corpus(data_dir.parent / "corpus")
    summary = build_index(corpus, data_dir, encoder=shared_encoder(), second_encoder=shared_second_encoder())
    print(f"  xquad: built {summary.documents} docs / {summary.passages} passages in "
          f"{summary.seconds:.0f}s ({summary.embedded} passages embedded)", flush=True)
    return open_bench_engine(data_dir, config)


def run_xquad(limit: int | None = None) -> XquadRun:
    started = time.perf_counter()
    engine = open_engine()
    questions = load_questions(limit)
    embedded = prime_queries(engine, [q.text for qs in questions.values() for q in qs])
    if embedded:
        print(f"  xquad: embedded {embedded} new questions", flush=True)
    rankings = {lang: collect_rankings(engine, [q.text for q in qs]) for lang, qs in questions.items()}
    return XquadRun(engine, questions, rankings, time.perf_counter() - started)


def xquad_table(run: XquadRun, config: SearchConfig | None = None) -> Table:
    config = config or run.engine.config
    n = len(run.questions["zh"])
    table = Table(
        f"XQuAD retrieval, 240 Chinese paragraphs, {n} questions per language (document level)",
        ["questions", "mode", "R@1", "R@5", "R@10", "MRR@10"],
    )
    for lang, label in (("zh", "zh -> zh"), ("en", "en -> zh")):
        golds = [q.doc_id for q in run.questions[lang]]
        modes = MODES if lang == "zh" else ("keyword", "vector", "second_vector", "hybrid")
        for mode in modes:
            m = doc_metrics(run.engine, run.rankings[lang], golds, mode, config)
            name = "USE list alone (not a mode)" if mode == "second_vector" else mode
            table.add(label, name, m.recall_1, m.recall_5, m.recall_10, m.mrr_10)
    sample = {lang: qs[:50] for lang, qs in run.questions.items()}
    mismatches = sum(
        fusion_mismatches(run.engine, [q.text for q in sample[lang]], run.rankings[lang][:50])
        for lang in LANGS
    )
    passages = len(run.engine.build.passages)
    table.notes += [
        f"{passages} passages; engine defaults at run time: same-language hybrid = RRF of keyword (weight "
        f"{config.keyword_weight:g}) and e5 vector ({config.vector_weight:g}); cross-lingual hybrid (English "
        f"questions) = keyword with translated terms ({config.cross_keyword_weight:g}), e5 "
        f"({config.vector_weight:g}) and USE ({config.second_vector_weight:g}); k={config.rrf_k}, "
        f"{config.candidates} candidates per list, CC-CEDICT lexicon {'on' if config.lexicon else 'off'}.",
        "Document level: passages are mapped to their paragraph, each paragraph counted once, in rank order.",
        f"Offline fusion vs the engine's own hybrid top-10 on {sum(len(s) for s in sample.values())} "
        f"questions: {mismatches} differ.",
    ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=None, help="sample size per language (default all)")
    args = parser.parse_args()
    run = run_xquad(args.questions)
    print(xquad_table(run).to_text())


if __name__ == "__main__":
    main()
