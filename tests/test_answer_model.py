"""The learned answer decision's file and the features it reads (no model runs here)."""
from __future__ import annotations

import json

import numpy as np

from index.answer.features import FEATURE_NAMES, holds_type, translated_overlap, wanted_types
from index.answer.learned import MODEL_FILE, AnswerModel
from index.models import QueryPlan


def test_versioned_model_file_loads_and_matches_the_features() -> None:
    record = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    model = AnswerModel.load()
    assert model is not None and tuple(record["features"]) == FEATURE_NAMES
    assert model.switched_on is record["switched_on"]
    assert record["report"], "the training report travels with the coefficients"
    rows = np.zeros((3, len(FEATURE_NAMES)))
    rows[1, FEATURE_NAMES.index("cosine")] = 1.0
    p = model.probabilities(rows)
    assert p.shape == (3,) and ((p > 0) & (p < 1)).all()
    assert p[1] > p[0], "a higher cosine makes a sentence likelier to be the answer"


def test_english_overlap_counts_translated_terms_and_phrases_as_units() -> None:
    plan = QueryPlan("What was Jiangmen's GDP in the first three quarters?", "en", "", "", True,
                     translated=("江门", "地区生产总值", "GDP", "前三季度"),
                     terms=("jiangmen", "gdp", "first", "three", "quarter"))
    right = "前三季度地区生产总值为2810.29亿元，同比增长5.3%"
    other = "规模以上工业增加值1076.77亿元，同比增长5.4%"
    assert translated_overlap(plan, right) == 0.5  # 地区生产总值, 前三季度 of 4 renderings
    assert translated_overlap(plan, other) == 0.0


def test_answer_types_in_both_languages() -> None:
    assert wanted_types("When did Jiangmen start the chain leader system?") == ["date"]
    assert "date" in wanted_types("江门是哪一年开始实施的？")
    assert "number" in wanted_types("How many companies moved in?")
    assert holds_type("2021年5月，江门正式实施“链长制”", ["date"])
    assert not holds_type("江门正式实施“链长制”", ["date"])
