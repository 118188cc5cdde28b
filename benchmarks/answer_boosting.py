"""A non-linear learned answer decision, measured beside the hand-set rule and the logistic one.

    (part of python -m benchmarks.train_answers; needs lightgbm from requirements-bench.txt)

Two LightGBM models, as a search engine would split the job:

- a **ranker** (lambdarank, one group per asking) orders the candidate sentences; its input is
  the answerer's feature row plus the hand-set score and its gap to the question's best;
- an **abstention classifier** reads the best sentence's row, the ranker's score and its
  margin over the runner-up, and the hand-set confidence, and gives the probability that the
  answer is right (negatives: wrong sentences and the synthetic unanswerables).

The classifier must learn from ranker scores of askings the ranker did not train on, and its
threshold must be chosen on probabilities of askings the classifier did not train on, or both
come out overconfident (the first try here answered twice as many questions wrongly held out
as on its training folds). So each outer training set is split again by article (3 inner
folds): the inner rankers' out-of-fold scores train the classifier, the inner classifiers'
out-of-fold probabilities choose the threshold, and the inner rankers and classifiers,
averaged, decide on the outer test fold (models fitted on the whole training set instead give
scores on another scale than the ones the threshold was chosen on). A second sentence is cited when its margin to the best is under the quantile
that cites two as often as the hand-set rule does on the same training askings.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.answer_askings import Asking, Decision, Rates, rates

INNER_FOLDS = 3
PARAMS: dict[str, Any] = dict(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=50,
                              subsample=0.8, subsample_freq=1, colsample_bytree=0.8, verbose=-1, random_state=0)


def ranker_input(a: Asking) -> np.ndarray:
    return np.column_stack([a.features, a.handset, a.handset - a.handset.max()])


@dataclass
class BoostedDecision:
    rankers: list[Any]
    classifiers: list[Any]
    margin: float
    thresholds: dict[bool, float]
    unknown_column: int
    unknown_penalty: float

    def scores(self, a: Asking) -> np.ndarray:
        x = ranker_input(a)
        return np.mean([r.predict(x) for r in self.rankers], axis=0)

    def question_row(self, a: Asking, scores: np.ndarray) -> np.ndarray:
        order = np.argsort(-scores)
        best = order[0]
        runner_up = scores[order[1]] if len(order) > 1 else scores[best] - 1.0
        confidence = a.handset[best] - self.unknown_penalty * a.features[best, self.unknown_column]
        return np.concatenate([[scores[best], scores[best] - runner_up, float(a.cross_lingual), confidence],
                               a.features[best]])

    def chosen(self, scores: np.ndarray) -> list[int]:
        order = np.argsort(-scores)
        return [int(i) for i in order[:2] if scores[i] >= scores[order[0]] - self.margin]

    def probability(self, a: Asking, scores: np.ndarray) -> float:
        row = self.question_row(a, scores)[None]
        return float(np.mean([c.predict_proba(row)[0, 1] for c in self.classifiers]))


def _right(a: Asking, chosen: Sequence[int]) -> bool:
    return a.answerable and bool(a.labels[list(chosen)].any())


def _fit_ranker(askings: Sequence[Asking]) -> Any:
    import lightgbm as lgb

    taught = [a for a in askings if a.answerable and a.labels.any()]
    model = lgb.LGBMRanker(**PARAMS)
    model.fit(np.vstack([ranker_input(a) for a in taught]), np.concatenate([a.labels for a in taught]).astype(int),
              group=[len(a.labels) for a in taught])
    return model


def _fit_classifier(rows: np.ndarray, labels: np.ndarray) -> Any:
    import lightgbm as lgb

    params = {k: v for k, v in PARAMS.items() if not k.startswith("subsample") and k != "colsample_bytree"}
    return lgb.LGBMClassifier(**params).fit(rows, labels)


def fit_boosted(
    askings: list[Asking],
    handset: Callable[[Asking], Decision],
    choose_threshold: Callable[[list[Asking], list[float], Callable[[Asking, float, float], Decision]], dict[bool, float]],
    unknown_column: int,
    unknown_penalty: float,
) -> BoostedDecision:
    from sklearn.model_selection import GroupKFold

    groups = [a.article for a in askings]
    splits = list(GroupKFold(n_splits=INNER_FOLDS).split(askings, groups=groups))
    rankers, scores = [], [np.empty(0)] * len(askings)
    for train, test in splits:
        ranker = _fit_ranker([askings[i] for i in train])
        rankers.append(ranker)
        for i in test:
            scores[i] = ranker.predict(ranker_input(askings[i]))
    two_cited = np.mean([len(handset_chosen(a)) == 2 for a in askings])
    gaps = np.array([np.sort(s)[-1] - np.sort(s)[-2] for s in scores if len(s) > 1])
    decision = BoostedDecision(rankers, [], float(np.quantile(gaps, two_cited)), {}, unknown_column, unknown_penalty)
    rows = np.array([decision.question_row(a, s) for a, s in zip(askings, scores)])
    labels = np.array([_right(a, decision.chosen(s)) for a, s in zip(askings, scores)]).astype(int)
    probabilities = np.empty(len(askings))
    for train, test in splits:
        classifier = _fit_classifier(rows[train], labels[train])
        decision.classifiers.append(classifier)
        probabilities[test] = classifier.predict_proba(rows[test])[:, 1]
    right = {id(a): _right(a, decision.chosen(s)) for a, s in zip(askings, scores)}

    def decide(a: Asking, p: float, threshold: float) -> Decision:
        return _decision(p >= threshold, right[id(a)])

    decision.thresholds = choose_threshold(askings, list(probabilities), decide)
    return decision


def handset_chosen(a: Asking) -> list[int]:
    order = np.argsort(-a.handset)
    return [int(i) for i in order[:2] if a.handset[i] >= a.handset[order[0]] - 0.03]


def boosted_decision(decision: BoostedDecision, a: Asking) -> tuple[Decision, float, bool]:
    """The decision on a held-out asking, with its probability and whether its chosen
    sentences hold the answer (for the threshold-free comparison)."""
    scores = decision.scores(a)
    p = decision.probability(a, scores)
    right = _right(a, decision.chosen(scores))
    return _decision(p >= decision.thresholds[a.cross_lingual], right), p, right


def _decision(answered: bool, right: bool) -> Decision:
    return Decision(bool(answered), bool(answered and right))


def best_threshold_held_out(held: Sequence[tuple[Asking, float, bool]], base: Rates) -> tuple[Rates, float] | None:
    """With the threshold chosen on the held-out askings themselves (not a deployable number:
    it shows what the signal could do if its threshold transferred): the most answered-right
    whose wrong answers and abstentions are no worse than `base`'s."""
    askings = [a for a, _, _ in held]
    best: tuple[Rates, float] | None = None
    for t in np.arange(0.05, 0.99, 0.005):
        r = rates(askings, [_decision(p >= t, right) for _, p, right in held])
        if r.wrong <= base.wrong and r.abstained >= base.abstained and (best is None or r.right > best[0].right):
            best = (r, float(t))
    return best
