"""The answer model file and the answer-kind signals it reads."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import AnswerModelError, load_answer_model
from index.answer.answer_types import held_kinds, kind_match, wanted_kinds
from index.answer.features import SENTENCE_FEATURES
from index.answer.model import DECISION_FEATURES, MODEL_FILE


def test_the_versioned_model_matches_the_code_and_came_from_xquad() -> None:
    model = load_answer_model()
    assert model.sentence.features == SENTENCE_FEATURES
    assert model.answer.features == DECISION_FEATURES
    assert 0.0 < model.threshold < 1.0
    assert "XQuAD" in model.trained["data"] and model.trained["cv"]["grouped_by"] == "article"


@pytest.mark.parametrize("damage", [
    lambda d: d.update(format=99),
    lambda d: d["sentence_model"]["features"].pop(),
    lambda d: d["answer_model"].update(coef=[1.0]),
    lambda d: d.pop("threshold"),
])
def test_a_damaged_model_file_is_refused_with_a_clear_error(tmp_path: Path, damage) -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    damage(data)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(AnswerModelError):
        load_answer_model(path)
    (tmp_path / "garbage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(AnswerModelError):
        load_answer_model(tmp_path / "garbage.json")


def test_the_model_round_trips_through_its_json(tmp_path: Path) -> None:
    model = load_answer_model()
    path = tmp_path / "copy.json"
    model.save(path)
    copy = load_answer_model(path)
    rows = np.random.default_rng(0).normal(size=(5, len(SENTENCE_FEATURES)))
    assert np.allclose(copy.sentence.logits(rows), model.sentence.logits(rows))
    assert copy.threshold == model.threshold


@pytest.mark.parametrize("question, kind", [
    ("When did the Warsaw Uprising begin?", "date"),
    ("华沙起义是哪一年开始的？", "date"),
    ("How many enterprises does Xinhui have?", "count"),
    ("新会区有多少家企业？", "count"),
    ("How much did industrial investment grow?", "percent"),
    ("Which company built the plant?", "organisation"),
    ("哪家公司建了工厂？", "organisation"),
    ("Who founded the company?", "person"),
    ("Where is the battery base?", "place"),
    ("基地在哪里？", "place"),
    ("How large is the industrial park?", "area"),
])
def test_questions_in_either_language_want_the_same_kind(question: str, kind: str) -> None:
    assert kind in wanted_kinds(question)


def test_a_sentence_with_the_wanted_kind_matches_and_one_without_does_not() -> None:
    assert kind_match(wanted_kinds("How many enterprises?"), held_kinds("目前有各级专精特新企业133家。")) == 1.0
    assert kind_match(wanted_kinds("How many enterprises?"), held_kinds("推动产业链发展。")) == 0.0
    assert kind_match(wanted_kinds("When did it start?"), held_kinds("项目于2021年开工。")) == 1.0
    assert kind_match(wanted_kinds("What does the policy say?"), held_kinds("2021年")) == 0.0
    assert "money" in held_kinds("地区生产总值为2810.29亿元") and "percent" in held_kinds("同比增长5.4%")
    assert "area" in held_kinds("占地面积约1.5平方公里")
