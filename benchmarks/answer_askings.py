"""What the answer-decision benchmarks share: one question asked against one evidence set,
a decision on it, and the rates a set of decisions adds up to (train_answers.py collects
askings; it and answer_boosting.py decide on them)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Asking:
    """One question in one language against one evidence set."""

    qid: str
    lang: str
    article: int
    answerable: bool
    features: np.ndarray  # candidates x features
    labels: np.ndarray  # candidate holds the answer
    handset: np.ndarray  # hand-set score, current rule (translated overlap for en)
    handset_old: np.ndarray  # hand-set score before it (English terms against Chinese text)
    cross_lingual: bool
    second_cosine: bool  # the USE cosine is part of `handset` (then its own threshold)
    # What the learned abstention reads about the best sentence (index abstention_row), for
    # the askings the app hands it (an English question, best sentence scored with USE).
    abstention: list[float] | None = None


@dataclass
class Decision:
    answered: bool
    right: bool


@dataclass
class Rates:
    answerable: int = 0
    right: int = 0
    wrong: int = 0
    unanswerable: int = 0
    abstained: int = 0

    def add(self, a: Asking, d: Decision) -> None:
        if a.answerable:
            self.answerable += 1
            self.right += d.right
            self.wrong += d.answered and not d.right
        else:
            self.unanswerable += 1
            self.abstained += not d.answered

    def no_worse_than(self, base: Rates) -> bool:
        """A wrong-answer rate no higher and an unanswerable-abstention rate no lower than `base`'s."""
        return (self.wrong / max(1, self.answerable) <= base.wrong / max(1, base.answerable)
                and self.abstained / max(1, self.unanswerable) >= base.abstained / max(1, base.unanswerable))

    def row(self) -> list[str]:
        n, u = max(1, self.answerable), max(1, self.unanswerable)
        return [f"{self.right / n:.3f}", f"{self.wrong / n:.3f}", f"{self.abstained / u:.3f}"]


def rates(askings: list[Asking], decisions: list[Decision]) -> Rates:
    r = Rates()
    for a, d in zip(askings, decisions):
        r.add(a, d)
    return r
