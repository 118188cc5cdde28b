"""Whether to answer an English question from a Chinese sentence: a learned abstention.

The hand-set rule answers when the best sentence's blended score clears one threshold.
For an English question over Chinese evidence that score separates right from wrong less
well than a Chinese question's does (e5's cross-lingual cosines are lower and noisier, and
the translated overlap is weaker evidence), so this side decides with a small logistic
model over what the hand-set score already measured about the best sentence: the score
itself, its lead over the next different sentence, its e5 and USE cosines, its translated
overlap (plain and idf-weighted) and its length (short Chinese sentences draw high
cross-lingual cosines without holding an answer).

It changes only the answer-or-abstain decision, never which sentence is quoted. It is
trained on XQuAD by `make train-answers` (benchmarks/train_answers.py, article-held-out
folds) and stored as plain coefficients in abstention_model.json; `switched_on` is written
by that run, true only when it was no worse than the hand-set rule held out and on qa_set.
Chinese and traditional questions keep the hand-set rule: the same model gained nothing
there (docs/ANSWERS.md).
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.answer.features import FEATURE_NAMES

if TYPE_CHECKING:
    from index.answer.answerer import ScoredSentence

ABSTENTION_FILE = Path(__file__).with_name("abstention_model.json")
ABSTENTION_FEATURES: tuple[str, ...] = (
    "confidence", "lead", "cosine", "second_cosine", "overlap", "weighted_overlap", "log_chars",
)
# The lead over the next sentence when there is none to compare with: about the largest
# lead seen between real candidates, so a lone sentence is neither favoured nor punished much.
LONE_SENTENCE_LEAD = 0.2
_OVERLAP = FEATURE_NAMES.index("overlap")
_WEIGHTED_OVERLAP = FEATURE_NAMES.index("weighted_overlap")
_LOG_CHARS = FEATURE_NAMES.index("log_chars")


def abstention_row(scored: Sequence[ScoredSentence], confidence: float) -> list[float]:
    """What the model reads, in ABSTENTION_FEATURES order. `scored`: the candidates, best
    first (score_sentences' order); `confidence`: the hand-set confidence of the best one
    (its score less the unknown-word penalty)."""
    best = scored[0]
    runner_up = next((s.score for s in scored[1:] if s.sentence.text != best.sentence.text), None)
    lead = best.score - runner_up if runner_up is not None else LONE_SENTENCE_LEAD
    second = best.second_cosine if best.second_cosine is not None else 0.0
    row = best.features
    return [confidence, lead, best.similarity, second, row[_OVERLAP], row[_WEIGHTED_OVERLAP], row[_LOG_CHARS]]


@dataclass(frozen=True)
class AbstentionModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    switched_on: bool

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> AbstentionModel:
        if tuple(record["features"]) != ABSTENTION_FEATURES:
            raise ValueError(f"abstention model features {record['features']} are not {ABSTENTION_FEATURES}: "
                             "retrain it (make train-answers)")
        return cls(np.asarray(record["mean"]), np.asarray(record["scale"]), np.asarray(record["coef"]),
                   float(record["intercept"]), float(record["threshold"]), bool(record["switched_on"]))

    @classmethod
    def load(cls, path: Path = ABSTENTION_FILE) -> AbstentionModel | None:
        if not path.is_file():
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def probability(self, row: Sequence[float]) -> float:
        """The model's probability that the best sentence answers the question."""
        logit = float(((np.asarray(row, dtype=np.float64) - self.mean) / self.scale) @ self.coef) + self.intercept
        if logit < 0:  # the form that cannot overflow for a very negative logit
            return math.exp(logit) / (1.0 + math.exp(logit))
        return 1.0 / (1.0 + math.exp(-logit))


DEFAULT_ABSTENTION = AbstentionModel.load()
