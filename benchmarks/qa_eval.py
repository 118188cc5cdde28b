"""Our own question set (benchmarks/qa_set.jsonl) over the two bundled articles, per
language: retrieval Recall@5, answer accuracy, abstention accuracy and ask latency.

    python -m benchmarks.qa_eval

Scoring (see benchmarks/README_qa_set.md):
- Recall@5: an answerable question counts when one of its top-5 passages contains the
  `evidence` string.
- answer accuracy: the engine answers, and a cited quote contains one of the
  `answer_facts` (so the answer states the fact and cites the passage holding it).
  "strict" also requires the cited passage to contain `evidence` (the README's rule for
  facts that occur twice, such as 今年4月).
- abstention accuracy: an unanswerable question gets the "corpus does not say" answer.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from benchmarks.retrieval import MODES, Rankings, collect_rankings, evidence_recall, prime_queries
from benchmarks.retrieval import open_engine as open_bench_engine
from benchmarks.tables import Table, median, percentile
from benchmarks.workspace import BUNDLED_CORPUS, REPO_ROOT, bench_dir, shared_encoder, shared_second_encoder
from index import Answer, SearchConfig, SearchEngine, ask, build_index

QA_SET = REPO_ROOT / "benchmarks" / "qa_set.jsonl"


@dataclass(frozen=True)
class QaQuestion:
    id: str
    lang: str
    text: str
    answerable: bool
    facts: tuple[str, ...]
    evidence: str


@dataclass
class QaRun:
    engine: SearchEngine
    questions: list[QaQuestion]
    rankings: list[Rankings]  # answerable questions only, in `answerable` order
    answers: list[Answer] = field(default_factory=list)

    @property
    def answerable(self) -> list[QaQuestion]:
        return [q for q in self.questions if q.answerable]


def load_qa_set() -> list[QaQuestion]:
    out = []
    for line in QA_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out.append(QaQuestion(r["id"], r["lang"], r["question"], r["answerable"],
                                  tuple(r.get("answer_facts", [])), r.get("evidence", "")))
    return out


def open_engine(config: SearchConfig | None = None) -> SearchEngine:
    """The bundled corpus, rebuilt every run (vectors from the shared cache)."""
    data_dir = bench_dir("bundled")
    build_index(BUNDLED_CORPUS, data_dir, encoder=shared_encoder(), second_encoder=shared_second_encoder())
    return open_bench_engine(data_dir, config)


def run_qa(config: SearchConfig | None = None, with_answers: bool = True) -> QaRun:
    engine = open_engine(config)
    questions = load_qa_set()
    prime_queries(engine, [q.text for q in questions])
    shared_encoder().prime(q.text for q in questions)  # the answerer embeds the question as typed
    answerable = [q for q in questions if q.answerable]
    rankings = collect_rankings(engine, [q.text for q in answerable])
    run = QaRun(engine, questions, rankings)
    if with_answers:
        # Questions come from the benchmark's query-vector cache, so `took_ms` here times
        # the answerer without the question's embedding; scale.py times ask end to end.
        run.answers = [ask(engine, q.text) for q in questions]
    return run


def answer_right(run: QaRun, q: QaQuestion, a: Answer, strict: bool = False) -> bool:
    if not a.answered:
        return False
    for c in a.citations:
        if any(f in c.quote for f in q.facts):
            passage = run.engine.passage(c.passage_id)
            if not strict or (passage is not None and q.evidence in passage.text):
                return True
    return False


def qa_table(run: QaRun) -> Table:
    config = run.engine.config
    table = Table(
        "qa_set: retrieval and answers over the two bundled articles, per language",
        ["lang", "R@5 keyword", "R@5 vector", "R@5 hybrid", "answer acc", "answer acc (strict)",
         "abstention acc", "answered wrongly", "ask p50 ms"],
    )
    for lang in ("zh", "en"):
        idx = [i for i, q in enumerate(run.answerable) if q.lang == lang]
        rankings = [run.rankings[i] for i in idx]
        evidence = [run.answerable[i].evidence for i in idx]
        recalls = [evidence_recall(run.engine, rankings, evidence, mode, config) for mode in MODES]
        pairs = [(q, a) for q, a in zip(run.questions, run.answers) if q.lang == lang]
        answerable = [(q, a) for q, a in pairs if q.answerable]
        unanswerable = [(q, a) for q, a in pairs if not q.answerable]
        right = sum(answer_right(run, q, a) for q, a in answerable)
        strict = sum(answer_right(run, q, a, strict=True) for q, a in answerable)
        abstained = sum(not a.answered for _, a in unanswerable)
        wrong = sum(a.answered and not answer_right(run, q, a) for q, a in answerable)
        table.add(lang, *recalls, f"{right}/{len(answerable)} = {right / len(answerable):.2f}",
                  f"{strict}/{len(answerable)} = {strict / len(answerable):.2f}",
                  f"{abstained}/{len(unanswerable)} = {abstained / len(unanswerable):.2f}",
                  wrong, median([a.took_ms for _, a in pairs]))
    took = [a.took_ms for a in run.answers]
    table.notes += [
        f"Fusion at run time: zh keyword {config.keyword_weight:g} + e5 {config.vector_weight:g}; en (cross-lingual) "
        f"keyword {config.cross_keyword_weight:g} + e5 {config.vector_weight:g} + USE {config.second_vector_weight:g}; "
        f"k={config.rrf_k}. R@5 counts the 42 answerable questions per language.",
        "'answered wrongly' = answerable questions answered with no cited fact (worse than abstaining).",
        f"ask latency over all {len(took)} questions: p50 {median(took):.0f} ms, p95 {percentile(took, 95):.0f} ms "
        "(question vectors cached; sentence vectors precomputed by the build).",
    ]
    return table


def main() -> None:
    started = time.perf_counter()
    run = run_qa()
    print(qa_table(run).to_text())
    print(f"({time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    main()
