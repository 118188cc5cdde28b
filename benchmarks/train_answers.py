"""Train the answer model (index/answer/model.py) on XQuAD and write its training report.

    python -m benchmarks.train_answers [--refresh]      (make train-answers)

Data: benchmarks/answer_data.py (Chinese contexts; Chinese, English and traditional
questions; answerable and wrong-article unanswerable variants). Never qa_set.

1. Article-held-out cross-validation (GroupKFold by Wikipedia article, so no paragraph of
   a test article is seen in training): in each fold the sentence model, the answer model
   and the abstention threshold are fitted on the training folds only, then the held-out
   fold is scored per language.
2. The shipped model is fitted the same way on all of XQuAD; its threshold is chosen on
   that data by the same rule.

Writes index/answer/answer_model.json and docs/ANSWER_MODEL.md (the report: features,
coefficients, CV metrics per language, thresholds). Deterministic: same data, same file.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from benchmarks.answer_data import BENCH_DIR, LANGUAGES, TrainingSet, training_set, xquad_items
from benchmarks.workspace import REPO_ROOT
from benchmarks.xquad import open_engine
from index import (
    DECISION_FEATURES,
    MODEL_FILE,
    RELATIVE_COLUMNS,
    SENTENCE_FEATURES,
    AnswerModel,
    CandidateSet,
    LinearModel,
    content_terms,
    decision_features,
    e5_for_second_encoder,
    query_terms,
    split_sentences,
)

REPORT = REPO_ROOT / "docs" / "ANSWER_MODEL.md"
FOLDS = 5
# A runner-up joins the answer when its odds of holding the answer are within e^0.5 (1.6x)
# of the best sentence's: close calls show both, as the hand-set answerer did.
SECOND_SENTENCE_MARGIN = 0.5
# Strong enough regularisation that 18 features cannot memorise articles.
REGULARISATION = 1.0
UNANSWERABLE_KINDS = ("wrong article", "answer removed")
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)
# The hand-set answerer's outcomes on the same evidence, recorded before it was replaced.
LEGACY = BENCH_DIR / "answer-training" / "legacy-a270a61.json"


def fit_linear(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...], balanced: bool) -> LinearModel:
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced" if balanced else None, max_iter=2000)
    model.fit((rows - mean) / scale, labels)
    return LinearModel(names, mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


@dataclass
class Decisions:
    """Per question variant: the chosen row, whether it is right, the answer probability."""

    best_row: np.ndarray
    right: np.ndarray
    probability: np.ndarray


def same_language_without_second_encoder(data: TrainingSet) -> TrainingSet:
    """The app uses the second encoder for cross-lingual questions only (features.py):
    same-language rows get e5's values in its columns, as at run time."""
    same_language = data.features[:, SENTENCE_FEATURES.index("cross_lingual")] == 0
    data.features[same_language] = e5_for_second_encoder(data.features[same_language])
    return data


def with_answer_removed(data: TrainingSet) -> tuple[TrainingSet, np.ndarray, np.ndarray]:
    """Adds the tempting unanswerable variant: each answerable question's evidence with the
    sentences holding the answer taken out (the article still talks about the subject,
    but not about what is asked, as 海目星股价 does over our corpus). Returns the larger set
    and, per variant, its kind ("answerable", "wrong article" or "answer removed") and the
    collected variant it comes from.

    The relative columns are recomputed over the remaining sentences; question_coverage
    still counts the removed sentences' terms (a little optimistic for the model, so it
    leans on coverage less than it could)."""
    kinds = np.where(data.question_answerable, "answerable", "wrong article").astype("<U14")
    features, rows_q, rows_s = [data.features], [data.row_question], [data.row_sentence]
    ids, langs, articles, sources = [], [], [], []
    next_index = len(data.question_id)
    starts = np.searchsorted(data.row_question, np.arange(next_index))
    ends = np.searchsorted(data.row_question, np.arange(next_index), side="right")
    for q in np.flatnonzero(data.question_answerable):
        s, e = starts[q], ends[q]
        keep = np.arange(s, e)[~data.label[s:e]]
        if len(keep) == e - s or not len(keep):
            continue  # nothing to remove, or nothing left
        rows = data.features[keep].copy()
        for value, below_best in RELATIVE_COLUMNS:
            column = rows[:, SENTENCE_FEATURES.index(value)]
            rows[:, SENTENCE_FEATURES.index(below_best)] = column.max() - column
        features.append(rows)
        rows_q.append(np.full(len(keep), next_index))
        rows_s.append(data.row_sentence[keep])
        ids.append(data.question_id[q])
        langs.append(data.question_lang[q])
        articles.append(data.question_article[q])
        sources.append(q)
        next_index += 1
    added = len(ids)
    added_rows = sum(len(r) for r in rows_q[1:])
    combined = TrainingSet(
        np.concatenate(features), np.concatenate([data.label, np.zeros(added_rows, dtype=bool)]),
        np.concatenate(rows_q), np.concatenate(rows_s),
        np.concatenate([data.question_id, np.asarray(ids)]), np.concatenate([data.question_lang, np.asarray(langs)]),
        np.concatenate([data.question_article, np.asarray(articles, dtype=data.question_article.dtype)]),
        np.concatenate([data.question_answerable, np.zeros(added, dtype=bool)]),
    )
    return (combined, np.concatenate([kinds, np.full(added, "answer removed")]),
            np.concatenate([np.arange(len(data.question_id)), np.asarray(sources, dtype=int)]))


def unknown_shares(data: TrainingSet, kinds: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Per variant, the share of the question's words (features.content_terms) that occur
    nowhere in the corpus it is answered from: the whole XQuAD corpus for answerable
    variants, the corpus without the article or without the answer's sentences for the
    unanswerable ones (as the app checks the whole corpus it serves)."""
    engine = open_engine()
    items = {item.id: item for item in xquad_items()}
    where: dict[str, set[str]] = {}  # term -> sentences ("doc:start") holding it
    for passage in engine.build.passages:
        for sentence in split_sentences(passage.text, passage.start):
            for term in query_terms(sentence.text):
                where.setdefault(term, set()).add(f"{passage.doc_id}:{sentence.start}")
    article_of = {item.doc_id: item.article for item in items.values()}
    article_sentences: dict[int, set[str]] = {}
    for keys in where.values():
        for key in keys:
            article = article_of.get(key.split(":")[0])
            if article is not None:
                article_sentences.setdefault(article, set()).add(key)
    terms = {(qid, lang): content_terms(engine.plan_query(item.texts[lang]), "中")
             for qid, item in items.items() for lang in LANGUAGES}
    shares = np.zeros(len(kinds))
    for q, kind in enumerate(kinds):
        wanted = terms[(str(data.question_id[q]), str(data.question_lang[q]))]
        if not wanted:
            continue
        if kind == "wrong article":
            excluded = article_sentences[int(data.question_article[q])]
        elif kind == "answer removed":
            source = sources[q]
            rows = (data.row_question == source) & data.label
            excluded = set(data.row_sentence[rows].tolist())
        else:
            excluded = set()
        shares[q] = sum(not (where.get(t, set()) - excluded) for t in wanted) / len(wanted)
    return shares


class Questions:
    """Row ranges per question variant, so per-question work is slicing, not searching."""

    def __init__(self, data: TrainingSet, kinds: np.ndarray, unknown: np.ndarray) -> None:
        self.data = data
        self.kinds = kinds
        self.unknown = unknown
        count = len(data.question_id)
        self.starts = np.searchsorted(data.row_question, np.arange(count))
        self.ends = np.searchsorted(data.row_question, np.arange(count), side="right")
        self.has_candidates = self.ends > self.starts
        self.has_gold = np.array([data.label[s:e].any() for s, e in zip(self.starts, self.ends)])

    def rows_of(self, questions: np.ndarray) -> np.ndarray:
        return np.concatenate([np.arange(self.starts[q], self.ends[q]) for q in questions]) if len(questions) else \
            np.zeros(0, dtype=int)

    def decide(self, sentence: LinearModel, answer: LinearModel | None, questions: np.ndarray) -> tuple[Decisions, np.ndarray]:
        """Best rows, their rightness and (with `answer`) probabilities; plus decision rows."""
        best, right, rows = [], [], []
        for q in questions:
            s, e = self.starts[q], self.ends[q]
            if e == s:
                best.append(-1)
                right.append(False)
                rows.append(np.zeros(len(DECISION_FEATURES)))
                continue
            features = self.data.features[s:e]
            logits = sentence.logits(features)
            top = int(np.argmax(logits))
            best.append(s + top)
            right.append(bool(self.data.label[s + top]))
            rows.append(decision_features(CandidateSet([], features), logits, float(self.unknown[q])))
        decision_rows = np.asarray(rows)
        probability = answer.probabilities(decision_rows) if answer is not None else np.zeros(len(questions))
        probability[~self.has_candidates[questions]] = 0.0
        return Decisions(np.asarray(best), np.asarray(right), probability), decision_rows


def fit(questions: Questions, train: np.ndarray) -> tuple[LinearModel, LinearModel, float]:
    """Sentence model, answer model and threshold, from the `train` question variants only."""
    data = questions.data
    learn_from = train[data.question_answerable[train] & questions.has_gold[train]]
    rows = questions.rows_of(learn_from)
    sentence = fit_linear(data.features[rows], data.label[rows], SENTENCE_FEATURES, balanced=True)
    usable = train[questions.has_candidates[train]]
    decisions, decision_rows = questions.decide(sentence, None, usable)
    answer = fit_linear(decision_rows, decisions.right, DECISION_FEATURES, balanced=True)
    decisions, _ = questions.decide(sentence, answer, train)
    return sentence, answer, choose_threshold(questions, train, decisions)


def choose_threshold(questions: Questions, train: np.ndarray, decisions: Decisions) -> float:
    """The threshold with the best balanced accuracy (answered right on answerable,
    abstained on unanswerable), averaged over the languages; ties go to the higher one
    (abstaining, with the closest passages shown, is the cheaper mistake)."""
    best, best_score = float(THRESHOLDS[0]), -1.0
    for threshold in THRESHOLDS:
        answered = decisions.probability >= threshold
        score = float(np.mean([balanced_accuracy(questions.data, questions.kinds, train, answered, decisions.right, lang)
                               for lang in LANGUAGES]))
        if score >= best_score:
            best, best_score = float(threshold), score
    return best


def balanced_accuracy(data: TrainingSet, kinds: np.ndarray, questions: np.ndarray, answered: np.ndarray,
                      right: np.ndarray, lang: str) -> float:
    metrics = language_metrics(data, kinds, questions, answered, right, lang)
    return (metrics["answered_right"] + metrics["abstained"]) / 2


def language_metrics(data: TrainingSet, kinds: np.ndarray, questions: np.ndarray, answered: np.ndarray,
                     right: np.ndarray, lang: str) -> dict[str, float]:
    """`answered`, `right`: per entry of `questions`. "abstained" is the mean over the
    unanswerable kinds present, so each kind weighs the same whatever its count."""
    of_lang = data.question_lang[questions] == lang
    kind = kinds[questions]
    answerable = of_lang & (kind == "answerable")
    n = max(1, int(answerable.sum()))
    metrics: dict[str, float] = {
        "sentence": float(right[answerable].sum() / n),  # abstention aside
        "answered_right": float((answered & right)[answerable].sum() / n),
        "answered_wrong": float((answered & ~right)[answerable].sum() / n),
        "answerable": int(answerable.sum()),
    }
    abstained = []
    for unanswerable_kind in UNANSWERABLE_KINDS:
        chosen = of_lang & (kind == unanswerable_kind)
        if chosen.any():
            metrics[f"abstained {unanswerable_kind}"] = float((~answered)[chosen].mean())
            metrics[f"{unanswerable_kind} questions"] = int(chosen.sum())
            abstained.append(metrics[f"abstained {unanswerable_kind}"])
    metrics["abstained"] = float(np.mean(abstained)) if abstained else 0.0
    return metrics


def same_sentence_share(data: TrainingSet, best_row: dict[int, int], other: str) -> float:
    """Answerable questions whose zh and `other` variants choose the same sentence."""
    by_key = {(data.question_id[q], data.question_lang[q]): row for q, row in best_row.items()
              if data.question_answerable[q]}
    pairs = [(row, by_key.get((qid, other))) for (qid, lang), row in by_key.items() if lang == "zh"]
    pairs = [(a, b) for a, b in pairs if b is not None and a >= 0 and b >= 0]
    return sum(data.row_sentence[a] == data.row_sentence[b] for a, b in pairs) / max(1, len(pairs))


def cross_validate(questions: Questions) -> tuple[dict[str, dict[str, float]], list[float], dict[str, float]]:
    data = questions.data
    everything = np.arange(len(data.question_id))
    answered = np.zeros(len(everything), dtype=bool)
    right = np.zeros(len(everything), dtype=bool)
    best_row: dict[int, int] = {}
    thresholds = []
    for train, test in GroupKFold(n_splits=FOLDS).split(everything, groups=data.question_article):
        sentence, answer, threshold = fit(questions, train)
        decisions, _ = questions.decide(sentence, answer, test)
        answered[test] = decisions.probability >= threshold
        right[test] = decisions.right
        best_row.update(zip(test.tolist(), decisions.best_row.tolist()))
        thresholds.append(threshold)
    metrics = {lang: language_metrics(data, questions.kinds, everything, answered, right, lang) for lang in LANGUAGES}
    agreement = {other: same_sentence_share(data, best_row, other) for other in LANGUAGES[1:]}
    return metrics, thresholds, agreement


def legacy_metrics(data: TrainingSet) -> dict[str, dict[str, float]] | None:
    """The hand-set answerer on the same questions (recorded at commit a270a61)."""
    if not LEGACY.is_file():
        return None
    records = {(r["id"], r["lang"], r["answerable"]): r for r in json.loads(LEGACY.read_text(encoding="utf-8"))}
    keys = list(zip(data.question_id.tolist(), data.question_lang.tolist(), data.question_answerable.tolist()))
    if any(k not in records for k in keys):
        return None
    answered = np.array([records[k]["answered"] for k in keys])
    right = np.array([records[k]["right"] for k in keys])
    everything = np.arange(len(keys))
    kinds = np.where(data.question_answerable, "answerable", "wrong article")
    return {lang: language_metrics(data, kinds, everything, answered, right, lang) for lang in LANGUAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="collect the XQuAD candidates again")
    parser.add_argument("--model", type=Path, default=MODEL_FILE)
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    collected = same_language_without_second_encoder(training_set(refresh=args.refresh))
    data, kinds, sources = with_answer_removed(collected)
    questions = Questions(data, kinds, unknown_shares(data, kinds, sources))
    metrics, fold_thresholds, agreement = cross_validate(questions)
    sentence, answer, threshold = fit(questions, np.arange(len(data.question_id)))
    trained = {
        "data": "XQuAD (Artetxe et al. 2019, CC BY-SA 4.0): 240 Chinese paragraphs; zh, en and OpenCC zh-Hant "
                "questions; answerable and wrong-article variants",
        "questions": int(len(set(data.question_id.tolist()))),
        "question_variants": int(len(data.question_id)),
        "candidate_rows": int(len(data.label)),
        "scikit_learn": sklearn.__version__,
        "regularisation_C": REGULARISATION,
        "cv": {"folds": FOLDS, "grouped_by": "article", "thresholds": fold_thresholds,
               "per_language": metrics, "same_sentence_as_zh": agreement},
    }
    model = AnswerModel(sentence, answer, threshold, SECOND_SENTENCE_MARGIN, trained)
    model.save(args.model)
    report = training_report(model, metrics, legacy_metrics(collected), fold_thresholds, agreement, questions)
    args.report.write_text(report, encoding="utf-8")
    print(report)


def training_report(model: AnswerModel, metrics: dict[str, dict[str, float]],
                    legacy: dict[str, dict[str, float]] | None, fold_thresholds: list[float],
                    agreement: dict[str, float], questions: Questions) -> str:
    data = questions.data
    answerable = data.question_answerable
    lines = [
        "# The answer model: training report",
        "",
        "Written by `make train-answers` (`python -m benchmarks.train_answers`); do not edit by hand.",
        "How the model is used: [ANSWERS.md](ANSWERS.md). The model: `index/answer/answer_model.json`.",
        "",
        f"Data: {model.trained['data']}. {model.trained['questions']} questions, "
        f"{model.trained['question_variants']} variants (3 languages x answerable / wrong article / answer "
        "removed), "
        f"{model.trained['candidate_rows']} candidate sentences. The answer's sentence is among the candidates "
        f"for {int(questions.has_gold[answerable].sum())} of {int(answerable.sum())} answerable variants "
        "(the rest: retrieval missed the paragraph, or the answer span crosses a sentence end).",
        "",
        f"## Cross-validation ({FOLDS} folds, grouped by Wikipedia article; everything fitted on the training folds)",
        "",
        "Per language, on the held-out folds. *sentence*: the chosen sentence holds the answer (abstention aside); "
        "*answered right / wrongly*: of answerable questions; *abstained*: of unanswerable ones, the evidence "
        "from other articles (*wrong article*) or the question's own evidence without the sentences that hold "
        "the answer (*answer removed*, the tempting kind).",
        "",
        "| model | lang | sentence | answered right | answered wrongly | abstained: wrong article | "
        "abstained: answer removed |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, table in (("hand-set (before)", legacy), ("learned (after)", metrics)):
        if table is None:
            continue
        for lang in LANGUAGES:
            m = table[lang]
            lines.append(f"| {label} | {lang} | {m['sentence']:.3f} | {m['answered_right']:.3f} | "
                         f"{m['answered_wrong']:.3f} | {_cell(m, 'abstained wrong article')} | "
                         f"{_cell(m, 'abstained answer removed')} |")
    lines += [
        "",
        f"Per language: {metrics['zh']['answerable']} answerable, {metrics['zh']['wrong article questions']} "
        f"wrong-article and {metrics['zh']['answer removed questions']} answer-removed variants. The hand-set answerer's row is the same evidence scored by the thresholds it replaced "
        "(AnswerTuning at commit a270a61; they were fitted on qa_set, not on XQuAD); it was not run on the "
        "answer-removed variants." if legacy else "",
        "",
        f"Same sentence chosen as for the Chinese question (answerable, held-out): en {agreement['en']:.3f}, "
        f"zh-Hant {agreement['zh-Hant']:.3f}.",
        "",
        f"Thresholds chosen on the training folds: {', '.join(f'{t:.2f}' for t in fold_thresholds)}; shipped "
        f"(chosen on all of XQuAD by the same rule): **{model.threshold:.2f}**. Rule: the best mean over the "
        "languages of balanced accuracy (answered right on answerable; abstained, the mean of the two "
        "unanswerable kinds); ties go "
        "to the higher threshold.",
        "",
        "## Coefficients (on standardised features)",
        "",
        "Sentence model (which sentence answers):",
        "",
        "| feature | coefficient |",
        "|---|---|",
        *(f"| {name} | {coef:+.3f} |" for name, coef in zip(model.sentence.features, model.sentence.coef)),
        "",
        "Answer model (answer or abstain, from the best sentence and the question as a whole):",
        "",
        "| feature | coefficient |",
        "|---|---|",
        *(f"| {name} | {coef:+.3f} |" for name, coef in zip(model.answer.features, model.answer.coef)),
        "",
        f"scikit-learn {model.trained['scikit_learn']}, LogisticRegression(C={REGULARISATION}, "
        "class_weight='balanced'); runner-up sentence margin "
        f"{model.second_sentence_margin} (logit).",
        "",
    ]
    return "\n".join(lines)


def _cell(metrics: dict[str, float], key: str) -> str:
    return f"{metrics[key]:.3f}" if key in metrics else "-"


if __name__ == "__main__":
    main()
