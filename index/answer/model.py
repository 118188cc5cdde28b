"""The learned answer decision: which sentence answers, and whether to answer at all.

Two logistic regressions, trained by `make train-answers` (benchmarks/train_answers.py)
on XQuAD with article-held-out cross-validation, never on benchmarks/qa_set.jsonl:

1. the sentence model scores every candidate sentence (features.py) by how likely it
   holds the answer; the answer is the best one;
2. the answer model reads the question as a whole (the best sentence's score, its margin
   over the runner-up, how much of the question the evidence covers, ...) and gives the
   probability that the best sentence is right; under `threshold`, the app abstains.

The file is JSON (coefficients, the standardisation, the threshold and the names of the
features they belong to): loading it runs no code, unlike a pickle, and a diff shows
what a retraining changed. Prediction is a dot product, so the app needs no scikit-learn.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.answer.features import SENTENCE_FEATURES, CandidateSet

MODEL_FILE = Path(__file__).with_name("answer_model.json")
FORMAT = 1

DECISION_FEATURES = (
    "best_logit", "logit_margin", "best_e5_cosine", "best_use_cosine", "max_e5_cosine", "max_use_cosine",
    "best_overlap", "question_coverage", "kind_wanted", "best_kind_match", "best_passage_rank_inverse",
    "best_both_retrievers", "cross_lingual", "unknown_share",
)


class AnswerModelError(ValueError):
    """The model file is missing, damaged or was written for other features."""


@dataclass(frozen=True)
class LinearModel:
    """A standardised logistic regression: logit = ((x - mean) / scale) @ coef + intercept."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> LinearModel:
        features = tuple(data["features"])
        if features != expected:
            raise AnswerModelError(f"model features {features} differ from the code's {expected}: retrain")
        arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "coef")]
        if any(a.shape != (len(expected),) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
            raise AnswerModelError("model arrays do not match its features")
        mean, scale, coef = arrays
        return cls(features, mean, np.where(scale > 0, scale, 1.0), coef, float(data["intercept"]))


@dataclass(frozen=True)
class AnswerModel:
    sentence: LinearModel
    answer: LinearModel
    threshold: float  # answer probability under which the app abstains
    # A runner-up sentence joins the answer when its logit is this close to the best's.
    second_sentence_margin: float
    trained: dict[str, Any]  # provenance: data, sizes, CV metrics (the training report)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "sentence_model": self.sentence.to_json(), "answer_model": self.answer.to_json(),
                "threshold": self.threshold, "second_sentence_margin": self.second_sentence_margin,
                "trained": self.trained}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerModel:
        if data.get("format") != FORMAT:
            raise AnswerModelError(f"answer model format {data.get('format')!r}, expected {FORMAT}")
        return cls(LinearModel.from_json(data["sentence_model"], SENTENCE_FEATURES),
                   LinearModel.from_json(data["answer_model"], DECISION_FEATURES),
                   float(data["threshold"]), float(data["second_sentence_margin"]), dict(data.get("trained", {})))

    def save(self, path: Path = MODEL_FILE) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def decision_features(candidates: CandidateSet, logits: np.ndarray, unknown_share: float) -> np.ndarray:
    """The answer model's row: the best sentence, its margin, the question as a whole;
    `unknown_share`: the share of the question's words the corpus never uses
    (features.content_terms of the best sentence)."""
    order = np.argsort(-logits, kind="stable")
    best = order[0]
    margin = float(logits[best] - logits[order[1]]) if len(order) > 1 else 10.0
    row = candidates.features[best]

    def at(name: str) -> float:
        return float(row[SENTENCE_FEATURES.index(name)])

    return np.asarray([
        float(logits[best]), margin, at("e5_cosine"), at("use_cosine"),
        float(candidates.column("e5_cosine").max()), float(candidates.column("use_cosine").max()),
        at("overlap"), at("question_coverage"), at("kind_wanted"), at("kind_match"),
        at("passage_rank_inverse"), at("both_retrievers"), at("cross_lingual"), unknown_share,
    ], dtype=np.float64)


@lru_cache(maxsize=4)
def load_answer_model(path: Path = MODEL_FILE) -> AnswerModel:
    """The versioned model (read once per process; the app loads it at start)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AnswerModel.from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnswerModelError(f"cannot load the answer model {path}: {error}") from error
