"""Fusion tuning from the XQuAD and qa_set rankings already collected: the same-language
keyword weight on the Chinese questions, the cross-lingual keyword and second-encoder
(USE) weights on the English ones, RRF k; then qa_set answers at the chosen weights.

The rankings do not depend on the weights, so every setting is scored offline with the
engine's own `fuse_rrf` (retrieval.py checks that this equals the engine's hybrid).
The answer side is not tuned here: the answer model is trained on XQuAD
(benchmarks/train_answers.py); this reruns it on qa_set at each fusion setting, because
the answerer reads the hybrid top 6 and so moves with the weights.

    python -m benchmarks.fusion_sweep [--questions N]
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

from benchmarks import report
from benchmarks.qa_eval import QaRun, answer_right, load_qa_set, run_qa
from benchmarks.retrieval import doc_metrics, evidence_recall
from benchmarks.tables import Table
from benchmarks.xquad import XquadRun, run_xquad
from index import SearchConfig, SearchEngine, ask

KEYWORD_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
CROSS_KEYWORD_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
SECOND_VECTOR_WEIGHTS = (0.0, 0.5, 1.0, 1.5)
RRF_KS = (10, 30, 60, 100)
TIE = 0.002  # objective differences below this (a fraction of one question) are ties


@dataclass
class SweepRow:
    """One setting scored on one question language: XQuAD MRR@10 (ranking quality over
    240 documents) and R@1, qa_set Recall@5 (what the answerer reads)."""

    config: SearchConfig
    xq_r1: float
    xq_mrr: float
    xq_r10: float
    qa_r5: float

    @property
    def objective(self) -> float:
        return (self.xq_mrr + self.qa_r5) / 2


def score_config(xq: XquadRun, qa: QaRun, config: SearchConfig, lang: str) -> SweepRow:
    m = doc_metrics(xq.engine, xq.rankings[lang], [q.doc_id for q in xq.questions[lang]], "hybrid", config)
    idx = [i for i, q in enumerate(qa.answerable) if q.lang == lang]
    r5 = evidence_recall(qa.engine, [qa.rankings[i] for i in idx], [qa.answerable[i].evidence for i in idx],
                         "hybrid", config)
    return SweepRow(config, m.recall_1, m.mrr_10, m.recall_10, r5)


def best_row(rows: list[SweepRow]) -> SweepRow:
    """Highest objective; a tie goes to the setting closest to the engine default, so
    nothing is changed on noise."""
    d = SearchConfig()
    top = max(r.objective for r in rows)
    tied = [r for r in rows if r.objective >= top - TIE]
    return min(tied, key=lambda r: abs(r.config.keyword_weight - d.keyword_weight)
               + abs(r.config.cross_keyword_weight - d.cross_keyword_weight)
               + abs(r.config.second_vector_weight - d.second_vector_weight) + abs(r.config.rrf_k - d.rrf_k) / 100)


def sweep(xq: XquadRun, qa: QaRun) -> dict[str, list[SweepRow]]:
    """Same-language weights on the Chinese questions, cross-lingual ones on the English
    questions (the engine keeps them apart, so they are tuned apart), each at every k."""
    base = SearchConfig()
    zh = [score_config(xq, qa, replace(base, keyword_weight=w, rrf_k=k), "zh")
          for k in RRF_KS for w in KEYWORD_WEIGHTS]
    en = [score_config(xq, qa, replace(base, cross_keyword_weight=w, second_vector_weight=s, rrf_k=k), "en")
          for k in RRF_KS for w in CROSS_KEYWORD_WEIGHTS for s in SECOND_VECTOR_WEIGHTS]
    return {"zh": zh, "en": en}


def best_k(rows: dict[str, list[SweepRow]]) -> int:
    """The engine has one k: the one whose best zh and best en settings add up highest."""
    def at(lang: str, k: int) -> float:
        return best_row([r for r in rows[lang] if r.config.rrf_k == k]).objective
    totals = {k: at("zh", k) + at("en", k) for k in RRF_KS}
    top = max(totals.values())
    return min((k for k, v in totals.items() if v >= top - TIE), key=lambda k: abs(k - SearchConfig().rrf_k))


def recommended(rows: dict[str, list[SweepRow]]) -> SearchConfig:
    k = best_k(rows)
    zh = best_row([r for r in rows["zh"] if r.config.rrf_k == k]).config
    en = best_row([r for r in rows["en"] if r.config.rrf_k == k]).config
    return replace(SearchConfig(), keyword_weight=zh.keyword_weight, cross_keyword_weight=en.cross_keyword_weight,
                   second_vector_weight=en.second_vector_weight, rrf_k=k)


def sweep_tables(rows: dict[str, list[SweepRow]]) -> list[Table]:
    """Per language: every weight at the default k, then the best weights at each other k."""
    default, rec = SearchConfig(), recommended(rows)
    tables = []
    for lang, title, label in (
        ("zh", "Same-language fusion (Chinese questions): keyword weight, e5 vector weight 1", "kw weight"),
        ("en", "Cross-lingual fusion (English questions over Chinese text): translated-keyword and USE weights, "
               "e5 weight 1", "cross kw / USE"),
    ):
        shown = [r for r in rows[lang] if r.config.rrf_k == default.rrf_k]
        shown += [best_row([r for r in rows[lang] if r.config.rrf_k == k]) for k in RRF_KS if k != default.rrf_k]
        chosen = next(r for r in rows[lang] if r.config == _for_language(rec, lang))
        if chosen not in shown:
            shown.append(chosen)
        table = Table(title, [label, "rrf k", "XQuAD R@1", "XQuAD MRR@10", "XQuAD R@10", "qa_set R@5", "objective"])
        for r in shown:
            c = r.config
            name = f"{c.keyword_weight:g}" if lang == "zh" else f"{c.cross_keyword_weight:g} / {c.second_vector_weight:g}"
            marks = (" **recommended**" if r is chosen else "") + (" (default)" if c == default else "")
            table.add(name + marks, c.rrf_k, r.xq_r1, r.xq_mrr, r.xq_r10, r.qa_r5, r.objective)
        at_default = next(r.objective for r in rows[lang] if r.config == default)
        table.notes += [
            f"objective = (XQuAD MRR@10 + qa_set R@5) / 2; the engine default scores {at_default:.3f}, the "
            f"recommended setting {chosen.objective:.3f}. Within {TIE} counts as a tie, won by the setting closest "
            "to the default.",
            f"Rows: every weight at k={default.rrf_k}, then the best weights at each other k "
            f"({len(rows[lang])} settings searched). qa_set: one question is 0.024 of R@5, 0.012 of the objective.",
        ]
        tables.append(table)
    tables[-1].notes.append(
        f"Recommended SearchConfig (k chosen for both languages together): keyword_weight={rec.keyword_weight:g}, "
        f"vector_weight=1, cross_keyword_weight={rec.cross_keyword_weight:g}, "
        f"second_vector_weight={rec.second_vector_weight:g}, rrf_k={rec.rrf_k} (engine default at run time: "
        f"{default.keyword_weight:g}, 1, {default.cross_keyword_weight:g}, {default.second_vector_weight:g}, "
        f"{default.rrf_k}).")
    return tables


def _for_language(config: SearchConfig, lang: str) -> SearchConfig:
    """The row of `config` in one language's sweep (the other language's weights at default)."""
    d = SearchConfig()
    if lang == "zh":
        return replace(d, keyword_weight=config.keyword_weight, rrf_k=config.rrf_k)
    return replace(d, cross_keyword_weight=config.cross_keyword_weight,
                   second_vector_weight=config.second_vector_weight, rrf_k=config.rrf_k)


def answer_table(engine: SearchEngine, configs: list[SearchConfig]) -> Table:
    """The shipped answer model (trained on XQuAD, not here) over qa_set at each fusion
    setting: the answerer reads the hybrid top 6, so its answers move with the weights."""
    questions = load_qa_set()
    table = Table(
        "qa_set answers (the shipped answer model) at each fusion setting",
        ["fusion (kw / cross kw / USE / k)", "zh answer", "zh abstain", "zh wrong", "en answer", "en abstain", "en wrong"],
    )
    for config in configs:
        at = SearchEngine(engine.layout.root, encoder=engine.encoder, config=config,
                          second_encoder=engine.second_encoder)
        run = QaRun(at, questions, [], [ask(at, q.text) for q in questions])
        cells: list[str | int | float | None] = []
        for lang in ("zh", "en"):
            pairs = [(q, a) for q, a in zip(questions, run.answers) if q.lang == lang]
            answerable = [(q, a) for q, a in pairs if q.answerable]
            unanswerable = [a for q, a in pairs if not q.answerable]
            right = sum(answer_right(run, q, a) for q, a in answerable)
            cells += [right / len(answerable), sum(not a.answered for a in unanswerable) / len(unanswerable),
                      sum(a.answered and not answer_right(run, q, a) for q, a in answerable)]
        table.add(f"{config.keyword_weight:g} / {config.cross_keyword_weight:g} / {config.second_vector_weight:g} / "
                  f"{config.rrf_k}", *cells)
    table.notes.append("answer = answered with a cited expected fact; abstain = of unanswerable; wrong = answerable "
                       "questions answered without the fact. The model is not refitted here (make train-answers).")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=None, help="XQuAD sample per language (default all)")
    parser.add_argument("--write", choices=("quick", "full"), help="also replace that run's section 3 in the report")
    args = parser.parse_args()
    xq = run_xquad(args.questions)
    qa = run_qa(with_answers=False)
    rows = sweep(xq, qa)
    configs = sorted({SearchConfig(), recommended(rows)}, key=repr)
    tables = [*sweep_tables(rows), answer_table(qa.engine, configs)]
    for table in tables:
        print(table.to_text())
    if args.write:
        body = "\n".join(t.to_markdown() for t in tables) + "\n_(re-run alone: `python -m benchmarks.fusion_sweep`)_\n"
        report.write_sections(args.write, [("fusion", "3. Fusion tuning, and answers at each setting", body)])


if __name__ == "__main__":
    main()
