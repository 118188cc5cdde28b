"""The learned abstention for English questions over Chinese evidence (index/answer/abstention.py):
fit, threshold and cross-validation.

    (part of python -m benchmarks.train_answers; needs scikit-learn from requirements-bench.txt)

The hand-set rule still picks the sentence; this model only decides whether to answer with
it. Its examples are the English askings whose best sentence was scored with USE (the
askings the app would hand it): positive when the hand-set choice cites the answer,
negative when it cites another sentence and for every synthetic unanswerable. Its threshold
is chosen on the askings it was fitted on, as the hand-set thresholds are: the most
answered-right whose wrong-answer rate and unanswerable-abstention rate are no worse than the
hand-set rule's. A logistic model with strong regularisation (C below) has few enough
degrees of freedom that its in-sample probabilities transfer to new articles; LightGBM's did
not (answer_boosting.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from benchmarks.answer_askings import Asking, Decision, rates
from index import AbstentionModel

# Chosen by article-held-out CV on XQuAD's English askings among 0.003, 0.01, 0.03, 0.1 and 1
# (held-out answered-right 0.526, 0.539, 0.529, 0.530, 0.530 at equal wrong-answer rates).
C = 0.01
THRESHOLDS = np.arange(0.20, 0.95, 0.0025)

HandsetDecision = Callable[[Asking], Decision]
CitesAnswer = Callable[[Asking], bool]  # the hand-set rule's chosen sentences hold the answer


def applies(a: Asking) -> bool:
    """The askings the app hands the model: an English question, best sentence scored with USE."""
    return a.abstention is not None


def fit_abstention(askings: list[Asking], handset: HandsetDecision, cites: CitesAnswer) -> AbstentionModel:
    """Fitted on `askings` (those it applies to), threshold chosen on the same askings."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    mine = [a for a in askings if applies(a)]
    x = np.array([a.abstention for a in mine], dtype=np.float64)
    y = np.array([a.answerable and cites(a) for a in mine])
    scaler = StandardScaler().fit(x)
    logistic = LogisticRegression(C=C, max_iter=3000).fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = AbstentionModel(scaler.mean_, scale, logistic.coef_[0], float(logistic.intercept_[0]), 0.5, False)
    return replace(model, threshold=choose_threshold(model, mine, handset, cites))


def choose_threshold(model: AbstentionModel, askings: list[Asking], handset: HandsetDecision,
                     cites: CitesAnswer) -> float:
    base = rates(askings, [handset(a) for a in askings])
    probabilities = [model.probability(a.abstention) for a in askings]  # type: ignore[arg-type]
    best: tuple[int, float] | None = None
    for t in THRESHOLDS:
        r = rates(askings, [_decide(a, p, float(t), cites) for a, p in zip(askings, probabilities)])
        if r.no_worse_than(base) and (best is None or r.right > best[0]):
            best = (r.right, float(t))
    return best[1] if best is not None else float(THRESHOLDS[-1])


def decide(model: AbstentionModel, a: Asking, handset: HandsetDecision, cites: CitesAnswer) -> Decision:
    """The app's decision: the model's where it applies, the hand-set rule's elsewhere."""
    if not applies(a):
        return handset(a)
    return _decide(a, model.probability(a.abstention), model.threshold, cites)  # type: ignore[arg-type]


def _decide(a: Asking, probability: float, threshold: float, cites: CitesAnswer) -> Decision:
    answered = probability >= threshold
    return Decision(answered, answered and cites(a))
