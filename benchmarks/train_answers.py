"""Train the learned answer decision on XQuAD and compare it with the hand-set rule.

    python -m benchmarks.train_answers [--questions N] [--folds 5]     (make train-answers)

Data: XQuAD's 240 Chinese paragraphs (48 articles) as the corpus; every question asked in
Chinese, in English and in traditional characters (OpenCC s2hk of the Chinese). Each asking
gives two examples:

- answerable: the engine's top 6 passages; the candidate sentences of the gold paragraph
  holding the answer text are positives, every other sentence a negative;
- unanswerable (synthetic): the top 6 passages once the question's own article is taken
  away (as if the corpus had never held it); every sentence is a negative and the right
  decision is to abstain.

Cross-validation is grouped by article (GroupKFold), so no article of a test fold, in any
language, was seen in training. The abstention thresholds (same-language for zh / zh-Hant,
cross-lingual for en) are chosen on the training folds: the most answered-right under the
constraint that the wrong-answer rate and the abstention rate on the synthetic
unanswerables are no worse than the hand-set rule's on the same folds.

A third decision, gradient-boosted (benchmarks/answer_boosting.py: a LightGBM ranker for the
sentence, a LightGBM classifier for answer-or-abstain), is cross-validated the same way and
reported beside the two; it is measured, not shipped (the app would need lightgbm to run it).

The final model (fitted on every article, thresholds chosen the same way) goes to
index/answer/answer_model.json, switched on only when it was no worse than the hand-set
rule on the held-out folds and on qa_set (checked only, never fitted on).
"""
from __future__ import annotations

import argparse
import json
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks import xquad
from benchmarks.answer_abstention import decide as abstention_decision
from benchmarks.answer_abstention import fit_abstention
from benchmarks.answer_askings import Asking, Decision, Rates, rates
from benchmarks.answer_boosting import best_threshold_held_out, boosted_decision, fit_boosted
from benchmarks.qa_eval import load_qa_set
from benchmarks.qa_eval import open_engine as open_qa_engine
from benchmarks.retrieval import prime_queries
from benchmarks.workspace import EVAL_DATA, bench_dir, git_revision, shared_encoder
from index import (
    ABSTENTION_FEATURES,
    ABSTENTION_FILE,
    DEFAULT_TUNING,
    EVIDENCE_PASSAGES,
    AbstentionModel,
    Answer,
    AnswerModel,
    AnswerTuning,
    SearchEngine,
    abstention_row,
    ask,
    handset_confidence,
    query_terms,
    score_sentences,
    to_traditional,
)
from index import ANSWER_FEATURE_NAMES as FEATURE_NAMES
from index import ANSWER_MODEL_FILE as MODEL_FILE

LANGS = ("zh", "en", "zh-Hant")
UNKNOWN = FEATURE_NAMES.index("unknown_share")
# The hand-set rule before English overlap counted translated terms ("hand-set before").
BEFORE = replace(DEFAULT_TUNING, translated_overlap=False, cross_lingual_threshold=0.84)
SEARCH_DEPTH = 40  # deep enough to leave 6 passages once the question's article is removed


def article_of_paragraph() -> list[int]:
    data = json.loads((EVAL_DATA / "xquad.zh.json").read_text(encoding="utf-8"))
    return [a for a, article in enumerate(data["data"]) for _ in article["paragraphs"]]


def gold_answers() -> dict[str, tuple[str, str]]:
    """question id -> (gold doc id, answer text in the Chinese context)."""
    return {qa["id"]: (doc_id, qa["answers"][0]["text"])
            for doc_id, _, qas in xquad.paragraphs("zh") for qa in qas}


def collect(engine: SearchEngine, limit: int | None) -> list[Asking]:
    questions = xquad.load_questions(limit)
    questions["zh-Hant"] = [replace(q, text=to_traditional(q.text)) for q in questions["zh"]]
    articles = article_of_paragraph()
    gold = gold_answers()
    texts = [q.text for qs in questions.values() for q in qs]
    prime_queries(engine, texts)
    shared_encoder().prime(engine.plan_query(t).text for t in texts)  # the answerer embeds the question as typed
    out: list[Asking] = []
    started = time.perf_counter()
    for lang in LANGS:
        for i, q in enumerate(questions[lang]):
            doc_id, answer = gold[q.id]
            article = articles[int(doc_id[3:])]
            result = engine.search(q.text, k=SEARCH_DEPTH)
            plan = result.plan
            assert plan is not None
            others = [h for h in result.hits if articles[int(h.passage.doc_id[3:])] != article]
            for answerable, hits in ((True, result.hits[:EVIDENCE_PASSAGES]), (False, others[:EVIDENCE_PASSAGES])):
                scored = score_sentences(engine, plan, hits, DEFAULT_TUNING)
                if not scored:
                    continue
                labels = np.array([answerable and s.hit.passage.doc_id == doc_id and answer in s.sentence.text
                                   for s in scored])
                old = [DEFAULT_TUNING.score(s.similarity, _plain_overlap(plan.terms, s.sentence.text), s.figure, s.rank)
                       if s.hit.passage.lang != plan.lang else s.score for s in scored]
                row = (abstention_row(scored, handset_confidence(engine, plan, scored[0], DEFAULT_TUNING))
                       if scored[0].second_cosine is not None else None)
                out.append(Asking(q.id, lang, article, answerable, np.array([s.features for s in scored]), labels,
                                  np.array([s.score for s in scored]), np.array(old), plan.lang == "en",
                                  any(s.second_cosine is not None for s in scored), row))
            if i % 200 == 0:
                print(f"  {lang}: {i}/{len(questions[lang])} ({time.perf_counter() - started:.0f}s)", flush=True)
    return out


def _plain_overlap(terms: tuple[str, ...], sentence: str) -> float:
    return len(set(terms) & set(query_terms(sentence))) / len(terms) if terms else 0.0


def handset_decision(a: Asking, old: bool = False) -> Decision:
    """The app's rule: best hand-set score (a runner-up within the margin is also cited)
    minus the unknown-word penalty, against the same-language or cross-lingual threshold."""
    scores = a.handset_old if old else a.handset
    tuning = BEFORE if old else DEFAULT_TUNING
    best = int(np.argmax(scores))
    confidence = scores[best] - tuning.unknown_term_penalty * a.features[best, UNKNOWN]
    cross = tuning.cross_lingual_second_threshold if a.second_cosine and not old else tuning.cross_lingual_threshold
    threshold = cross if a.cross_lingual else tuning.threshold
    answered = bool(confidence >= threshold)
    return Decision(answered, answered and handset_cites_answer(a, old))


def handset_cites_answer(a: Asking, old: bool = False) -> bool:
    """The hand-set rule's sentences (the best, and a runner-up within the margin) hold the answer."""
    scores = a.handset_old if old else a.handset
    order = np.argsort(-scores)
    chosen = [i for i in order[:2] if scores[i] >= scores[order[0]] - 0.03]
    return bool(a.labels[chosen].any())


def learned_decision(a: Asking, p: np.ndarray, thresholds: dict[bool, float]) -> Decision:
    order = np.argsort(-p)
    chosen = [i for i in order[:2] if p[i] >= p[order[0]] - 0.03]
    answered = bool(p[order[0]] >= thresholds[a.cross_lingual])
    return Decision(answered, answered and bool(a.labels[chosen].any()))


def fit(askings: list[Asking]) -> AnswerModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.vstack([a.features for a in askings])
    y = np.concatenate([a.labels for a in askings])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return AnswerModel(scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]), 0.5, 0.5, False)


def choose_thresholds(model: AnswerModel, askings: list[Asking]) -> dict[bool, float]:
    probabilities = [model.probabilities(a.features) for a in askings]
    return pick_thresholds(askings, probabilities, lambda a, p, t: learned_decision(a, p, {a.cross_lingual: t}))


def pick_thresholds(askings: list[Asking], scores: Sequence[Any],
                    decide: Callable[[Asking, Any, float], Decision]) -> dict[bool, float]:
    """Per side (same-language, cross-lingual): the threshold with the most answered-right
    whose wrong-answer rate and unanswerable-abstention rate are no worse than the hand-set
    rule's on the same askings; with none, the strictest tried."""
    chosen: dict[bool, float] = {}
    for cross in (False, True):
        side = [(a, x) for a, x in zip(askings, scores) if a.cross_lingual == cross]
        base = rates([a for a, _ in side], [handset_decision(a) for a, _ in side])
        best: tuple[int, float] | None = None
        for t in np.arange(0.02, 0.99, 0.01):
            r = rates([a for a, _ in side], [decide(a, x, float(t)) for a, x in side])
            if r.no_worse_than(base) and (best is None or r.right > best[0]):
                best = (r.right, float(t))
        chosen[cross] = best[1] if best is not None else 0.98
    return chosen


def cross_validate(askings: list[Asking], folds: int) -> tuple[dict[str, dict[str, Rates]], list[str]]:
    """Held-out rates per decision and language, and the boosted decision's threshold-free
    comparison lines."""
    from sklearn.model_selection import GroupKFold

    names = ("hand-set before", "hand-set", "abstention", "learned", "boosted")
    results: dict[str, dict[str, Rates]] = {k: {lang: Rates() for lang in LANGS} for k in names}
    held: list[tuple[Asking, float, bool]] = []
    groups = [a.article for a in askings]
    for k, (train, test) in enumerate(GroupKFold(n_splits=folds).split(askings, groups=groups)):
        model = fit([askings[i] for i in train])
        abstention = fit_abstention([askings[i] for i in train], handset_decision, handset_cites_answer)
        thresholds = choose_thresholds(model, [askings[i] for i in train])
        boosted = fit_boosted([askings[i] for i in train], handset_decision, pick_thresholds, UNKNOWN,
                              DEFAULT_TUNING.unknown_term_penalty)
        print(f"  fold {k + 1}: thresholds same-language {thresholds[False]:.2f}, cross-lingual {thresholds[True]:.2f}; "
              f"boosted {boosted.thresholds[False]:.2f}, {boosted.thresholds[True]:.2f}; "
              f"abstention {abstention.threshold:.4f}", flush=True)
        for i in test:
            a = askings[i]
            results["hand-set before"][a.lang].add(a, handset_decision(a, old=True))
            results["hand-set"][a.lang].add(a, handset_decision(a))
            results["abstention"][a.lang].add(a, abstention_decision(abstention, a, handset_decision, handset_cites_answer))
            results["learned"][a.lang].add(a, learned_decision(a, model.probabilities(a.features), thresholds))
            decision, p, right = boosted_decision(boosted, a)
            results["boosted"][a.lang].add(a, decision)
            held.append((a, p, right))
    lines = []
    for cross, side in ((False, "same-language"), (True, "cross-lingual")):
        mine = [h for h in held if h[0].cross_lingual == cross]
        base = rates([a for a, _, _ in mine], [handset_decision(a) for a, _, _ in mine])
        best = best_threshold_held_out(mine, base)
        found = f"{' / '.join(best[0].row())} at {best[1]:.3f}" if best else "none as good"
        lines.append(f"  {side}: hand-set {' / '.join(base.row())}; boosted {found}")
    return results, lines


def qa_set_check(model: AnswerModel, abstention: AbstentionModel) -> dict[str, dict[str, list[int]]]:
    """qa_set per decision and language: [answered right, answered wrong, abstained on unanswerable, pairs]."""
    engine = open_qa_engine()
    questions = load_qa_set()
    prime_queries(engine, [q.text for q in questions])
    shared_encoder().prime(q.text for q in questions)
    on = replace(model, switched_on=True)
    abstaining = replace(abstention, switched_on=True)
    out: dict[str, dict[str, list[int]]] = {}
    decisions: tuple[tuple[str, AnswerTuning, AnswerModel | None, AbstentionModel | None], ...] = (
        ("hand-set before", BEFORE, None, None), ("hand-set", DEFAULT_TUNING, None, None),
        ("abstention", DEFAULT_TUNING, None, abstaining), ("learned", DEFAULT_TUNING, on, None))
    for name, tuning, model_or_none, abstention_or_none in decisions:
        for q in questions:
            a = ask(engine, q.text, tuning, model=model_or_none, abstention=abstention_or_none)
            row = out.setdefault(name, {}).setdefault(q.lang, [0, 0, 0, 0])
            if q.answerable:
                right = answer_right_quick(q.facts, a)
                row[0] += right
                row[1] += a.answered and not right
            else:
                row[2] += not a.answered
    return out


def answer_right_quick(facts: tuple[str, ...], a: Answer) -> bool:
    """qa_eval's rule: answered, and a cited quote holds an expected fact."""
    return a.answered and any(f in c.quote for c in a.citations for f in facts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=None, help="XQuAD questions per language (default all 1190)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse the features of the last run (same --questions)")
    args = parser.parse_args()
    started = time.perf_counter()
    cache = bench_dir("train-answers") / f"askings-{args.questions or 'all'}.pkl"
    if args.reuse and cache.is_file():
        askings = pickle.loads(cache.read_bytes())
    else:
        askings = collect(xquad.open_engine(), args.questions)
        cache.write_bytes(pickle.dumps(askings))
    n = len({a.qid for a in askings})
    print(f"{len(askings)} askings ({n} XQuAD questions x {len(LANGS)} languages x answerable/unanswerable), "
          f"{sum(len(a.labels) for a in askings)} candidate sentences", flush=True)

    cv, boosted_lines = cross_validate(askings, args.folds)
    model = fit(askings)
    thresholds = choose_thresholds(model, askings)
    model = replace(model, same_language_threshold=thresholds[False], cross_lingual_threshold=thresholds[True])
    abstention = fit_abstention(askings, handset_decision, handset_cites_answer)
    qa = qa_set_check(model, abstention)

    lines = [f"XQuAD, article-held-out {args.folds}-fold CV, {n} questions per language "
             f"(answered-right / answered-wrong among answerable; abstained among synthetic unanswerables):",
             "decision        | lang    | right | wrong | abstained"]
    for name, rates_by_lang in cv.items():
        for lang, r in rates_by_lang.items():
            lines.append(f"{name:15} | {lang:7} | " + " | ".join(r.row()))
    lines.append("boosted with its threshold chosen on the held-out askings themselves (what its signal could do if "
                 "the threshold transferred; not deployable), right / wrong / abstained:")
    lines += boosted_lines
    lines.append("qa_set (check only; right / wrong of 42 answerable, abstained of 14 unanswerable):")
    for name, counts_by_lang in qa.items():
        for lang, (right, wrong, abstained, _) in sorted(counts_by_lang.items()):
            lines.append(f"{name:15} | {lang:7} | {right:5} | {wrong:5} | {abstained:5}")
    no_worse = _no_worse(cv, qa, "learned")
    abstention_no_worse = _no_worse(cv, qa, "abstention")
    lines.append(f"learned decision no worse than hand-set on every held-out and qa_set count: {no_worse}")
    lines.append(f"abstention (threshold {abstention.threshold:.4f}) no worse than hand-set on every held-out "
                 f"count and on qa_set's wrong and abstained: {abstention_no_worse}")
    report = "\n".join(lines)
    print(report)
    record = {
        "features": list(FEATURE_NAMES), "mean": model.mean.tolist(), "scale": model.scale.tolist(),
        "coef": model.coef.tolist(), "intercept": model.intercept,
        "same_language_threshold": model.same_language_threshold,
        "cross_lingual_threshold": model.cross_lingual_threshold,
        "switched_on": no_worse,
        "trained_on": f"XQuAD zh contexts, {n} questions x {', '.join(LANGS)}; commit {git_revision()}",
        "report": report.splitlines(),
    }
    MODEL_FILE.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    abstention_record = {
        "features": list(ABSTENTION_FEATURES), "mean": abstention.mean.tolist(), "scale": abstention.scale.tolist(),
        "coef": abstention.coef.tolist(), "intercept": abstention.intercept, "threshold": abstention.threshold,
        "switched_on": abstention_no_worse,
        "trained_on": f"XQuAD zh contexts, {n} English questions (USE-scored askings); commit {git_revision()}",
        "report": report.splitlines(),
    }
    ABSTENTION_FILE.write_text(json.dumps(abstention_record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE} and {ABSTENTION_FILE} ({time.perf_counter() - started:.0f}s)")


def _no_worse(cv: dict[str, dict[str, Rates]], qa: dict[str, dict[str, list[int]]], name: str) -> bool:
    """`name`'s decision against the hand-set rule: held out, every count no worse; on qa_set
    (checked, never fitted on), no more wrong answers and no fewer abstentions."""
    for lang in LANGS:
        h, m = cv["hand-set"][lang], cv[name][lang]  # the boosted one is measured, not shipped
        if m.right < h.right or m.wrong > h.wrong or m.abstained < h.abstained:
            return False
    for lang, h_row in qa["hand-set"].items():
        m_row = qa[name][lang]
        if m_row[1] > h_row[1] or m_row[2] < h_row[2]:
            return False
    return True


if __name__ == "__main__":
    main()
