"""The learned answer decision: which sentence answers, and whether to answer at all.

Two decisions, as with the hand-set rule: a logistic model gives every candidate sentence
a probability of being the answer sentence (features.py), the best one is the answer, and
the answerer abstains when that probability is under a threshold (one for same-language
pairs, one for an English question over Chinese evidence). The model is trained on XQuAD by
`make train-answers` (benchmarks/train_answers.py) and stored as plain coefficients in
answer_model.json, so the app needs neither scikit-learn nor a pickle to use it.

`switched_on` is written by the training run: true only when the learned decision was no
worse than the hand-set one on article-held-out XQuAD and on qa_set (docs/ANSWERS.md).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.answer.features import FEATURE_NAMES

if TYPE_CHECKING:
    from index.answer.answerer import ScoredSentence

MODEL_FILE = Path(__file__).with_name("answer_model.json")


@dataclass(frozen=True)
class AnswerModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    same_language_threshold: float
    cross_lingual_threshold: float
    switched_on: bool

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> AnswerModel:
        if tuple(record["features"]) != FEATURE_NAMES:
            raise ValueError(f"answer model features {record['features']} are not {FEATURE_NAMES}: retrain it")
        return cls(np.asarray(record["mean"]), np.asarray(record["scale"]), np.asarray(record["coef"]),
                   float(record["intercept"]), float(record["same_language_threshold"]),
                   float(record["cross_lingual_threshold"]), bool(record["switched_on"]))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel | None:
        if not path.is_file():
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        logits = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def threshold(self, cross_lingual: bool) -> float:
        return self.cross_lingual_threshold if cross_lingual else self.same_language_threshold

    def rescore(self, scored: list[ScoredSentence]) -> list[ScoredSentence]:
        """The candidates with the model's probability as their score, best first."""
        p = self.probabilities(np.asarray([s.features for s in scored], dtype=np.float64))
        return sorted((replace(s, score=float(x)) for s, x in zip(scored, p)), key=lambda s: -s.score)


DEFAULT_MODEL = AnswerModel.load()
