"""Calibrate the answerer on benchmarks/qa_set.jsonl: sentence-score weights and the
abstention thresholds (same-language and cross-lingual).

For every question it records each candidate sentence's features once (cosine, term
overlap, figure match, passage rank, and whether it holds an expected fact), then grid-
searches AnswerTuning offline and prints the table that justifies the chosen values.

    python -m benchmarks.calibrate_answers [--data DIR]

Accuracy per question: an answerable question counts as right when the answer is given
and one of its cited quotes holds an expected fact; an unanswerable one when it abstains.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index import (
    DEFAULT_TUNING,
    EVIDENCE_PASSAGES,
    AnswerTuning,
    IndexSettings,
    ScoredSentence,
    SearchEngine,
    build_index,
    choose_sentences,
    score_sentences,
    unknown_term_share,
)

QA_SET = Path(__file__).with_name("qa_set.jsonl")


@dataclass
class Question:
    id: str
    lang: str
    text: str
    answerable: bool
    facts: list[str]
    candidates: list[ScoredSentence]
    unknown_share: dict[str, float]  # by evidence language


def load_questions(engine: SearchEngine) -> list[Question]:
    questions = []
    for line in QA_SET.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        result = engine.search(record["question"], k=EVIDENCE_PASSAGES)
        plan = result.plan
        assert plan is not None, f"empty question in the qa_set: {record['id']}"
        candidates = score_sentences(engine, plan, result.hits, DEFAULT_TUNING)
        unknown = {lang: unknown_term_share(engine, plan, lang) for lang in ("zh", "en")}
        questions.append(Question(record["id"], record["lang"], record["question"], record["answerable"],
                                  record.get("answer_facts", []), candidates, unknown))
    return questions


@dataclass(frozen=True)
class Outcome:
    """What the answerer would say to one question under one set of weights."""

    lang: str
    answerable: bool
    best_score: float
    unknown_share: float
    cross_lingual: bool
    second_cosine: bool  # the USE cosine is part of best_score (its own threshold)
    right_if_answered: bool  # a chosen quote holds an expected fact


def outcomes(questions: list[Question], tuning: AnswerTuning) -> list[Outcome]:
    """Thresholds do not change which sentences are chosen, only whether they are shown."""
    result = []
    for q in questions:
        rescored = sorted(
            (replace(c, score=tuning.score(c.similarity, c.overlap, c.figure, c.rank, c.second_cosine))
             for c in q.candidates),
            key=lambda c: -c.score,
        )
        chosen = choose_sentences(rescored)
        best = chosen[0] if chosen else None
        result.append(Outcome(
            lang=q.lang,
            answerable=q.answerable,
            best_score=best.score if best else 0.0,
            unknown_share=q.unknown_share[best.hit.passage.lang] if best else 0.0,
            cross_lingual=best is not None and best.hit.passage.lang != q.lang,
            second_cosine=best is not None and best.second_cosine is not None,
            right_if_answered=any(f in c.sentence.text for c in chosen for f in q.facts),
        ))
    return result


def evaluate(results: list[Outcome], tuning: AnswerTuning) -> dict[str, dict[str, float]]:
    """Per-language answer accuracy, abstention accuracy and overall accuracy."""
    stats: dict[str, dict[str, float]] = {}
    for o in results:
        confidence = o.best_score - tuning.unknown_term_penalty * o.unknown_share
        cross = tuning.cross_lingual_second_threshold if o.second_cosine else tuning.cross_lingual_threshold
        threshold = cross if o.cross_lingual else tuning.threshold
        answered = o.best_score > 0 and confidence >= threshold
        s = stats.setdefault(o.lang, {"answerable": 0, "answered_right": 0, "unanswerable": 0, "abstained": 0})
        if o.answerable:
            s["answerable"] += 1
            s["answered_right"] += answered and o.right_if_answered
        else:
            s["unanswerable"] += 1
            s["abstained"] += not answered
    for s in stats.values():
        s["answer_acc"] = s["answered_right"] / max(1, s["answerable"])
        s["abstain_acc"] = s["abstained"] / max(1, s["unanswerable"])
        s["overall"] = (s["answered_right"] + s["abstained"]) / max(1, s["answerable"] + s["unanswerable"])
    return stats


def objective(stats: dict[str, dict[str, float]]) -> float:
    """Mean over languages of the balanced accuracy: abstaining and answering count alike."""
    return sum((s["answer_acc"] + s["abstain_acc"]) / 2 for s in stats.values()) / len(stats)


def choice_accuracy(results: list[Outcome]) -> int:
    """Answerable questions whose chosen sentences hold a fact, abstention aside."""
    return sum(o.right_if_answered for o in results if o.answerable)


def search_tunings(questions: list[Question]) -> tuple[list[tuple[int, AnswerTuning]], list[tuple[float, AnswerTuning, dict]]]:
    """Two stages, because they answer different questions. First the score weights, by
    how often the chosen sentence holds the fact; then, with those weights, the
    thresholds and the unknown-word penalty, by balanced accuracy of answer/abstain."""
    choices = []
    for overlap, figure, rank in itertools.product((0.0, 0.06, 0.12, 0.2), (0.0, 0.03, 0.06), (0.0, 0.02, 0.05)):
        weights = AnswerTuning(overlap, figure, rank)
        choices.append((choice_accuracy(outcomes(questions, weights)), weights))
    # Ties: the smaller weights (closest to plain similarity) win.
    choices.sort(key=lambda c: (-c[0], c[1].overlap_weight + c[1].figure_bonus + c[1].rank_weight))
    best_weights = choices[0][1]
    results = outcomes(questions, best_weights)
    found = []
    thresholds = [x / 100 for x in range(78, 100)]
    for threshold, cross, penalty in itertools.product(thresholds, thresholds, (0.0, 0.05, 0.1, 0.2, 0.4)):
        tuning = replace(best_weights, threshold=threshold, cross_lingual_threshold=cross, unknown_term_penalty=penalty)
        stats = evaluate(results, tuning)
        found.append((objective(stats), tuning, stats))
    # Ties: prefer the stricter thresholds (abstaining is the safer mistake).
    found.sort(key=lambda r: (-r[0], -r[1].threshold - r[1].cross_lingual_threshold))
    return choices, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = IndexSettings.from_env()
    parser.add_argument("--data", type=Path, default=settings.data_dir)
    parser.add_argument("--top", type=int, default=10, help="rows of the tuning table")
    args = parser.parse_args()
    if not SearchEngine.has_index(args.data):
        build_index(settings.corpus_dir, args.data)
    engine = SearchEngine(args.data, config=settings.search_config())
    questions = load_questions(engine)

    print(f"{len(questions)} questions; current tuning: {DEFAULT_TUNING}")
    current = outcomes(questions, DEFAULT_TUNING)
    _print_stats("current", evaluate(current, DEFAULT_TUNING))
    choices, results = search_tunings(questions)
    answerable = sum(q.answerable for q in questions)
    print(f"\nstage 1, score weights by sentence choice (of {answerable} answerable, both languages):")
    print("right | overlap figure rank")
    for right, t in choices[: args.top]:
        print(f"  {right:3} | {t.overlap_weight:.2f}    {t.figure_bonus:.2f}   {t.rank_weight:.2f}")
    print(f"\nstage 2, best {args.top} of {len(results)} threshold settings (objective = mean balanced accuracy over zh, en):")
    print("objective | overlap figure rank unknown | thr  cross | zh ans/abst | en ans/abst")
    for score, t, st in results[: args.top]:
        print(f"  {score:.3f}   | {t.overlap_weight:.2f}    {t.figure_bonus:.2f}  {t.rank_weight:.2f} {t.unknown_term_penalty:.2f}    | "
              f"{t.threshold:.2f} {t.cross_lingual_threshold:.2f} | "
              f"{st['zh']['answer_acc']:.2f}/{st['zh']['abstain_acc']:.2f}   | {st['en']['answer_acc']:.2f}/{st['en']['abstain_acc']:.2f}")
    _print_stats("best", results[0][2])
    _print_threshold_curves(questions, results[0][1])
    _print_confidences(questions, results[0][1])


def _print_stats(label: str, stats: dict[str, dict[str, float]]) -> None:
    for lang, s in sorted(stats.items()):
        print(f"  {label} {lang}: answer accuracy {s['answered_right']}/{s['answerable']} = {s['answer_acc']:.2f}, "
              f"abstention accuracy {s['abstained']}/{s['unanswerable']} = {s['abstain_acc']:.2f}, "
              f"overall {s['overall']:.2f}")


def _print_threshold_curves(questions: list[Question], tuning: AnswerTuning) -> None:
    """Answer and abstention accuracy against each threshold: the trade-off to choose on."""
    results = outcomes(questions, tuning)
    print("\nthreshold | zh answer/abstain (same-language) | en answer/abstain (cross-lingual)")
    for x in range(80, 100):
        t = x / 100
        zh = evaluate(results, replace(tuning, threshold=t))["zh"]
        en = evaluate(results, replace(tuning, cross_lingual_threshold=t))["en"]
        print(f"   {t:.2f}   |   {zh['answer_acc']:.2f} / {zh['abstain_acc']:.2f}"
              f"                    |   {en['answer_acc']:.2f} / {en['abstain_acc']:.2f}")


def _print_confidences(questions: list[Question], tuning: AnswerTuning) -> None:
    """Best-sentence score per question under the chosen tuning: the separation to look at."""
    print(f"\nbest-sentence scores under {tuning}:")
    for q, o in zip(questions, outcomes(questions, tuning)):
        confidence = o.best_score - tuning.unknown_term_penalty * o.unknown_share
        print(f"  {q.id:7} {'A' if q.answerable else 'U'} {confidence:.3f} "
              f"{'right' if o.right_if_answered else 'wrong'}  {q.text[:60]}")


if __name__ == "__main__":
    main()
