"""The learned answer decision's file and the features it reads (no model runs here)."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from index import DEFAULT_TUNING, ask, choose_sentences, score_sentences
from index.answer.abstention import ABSTENTION_FEATURES, ABSTENTION_FILE, AbstentionModel, abstention_row
from index.answer.answerer import abstain_threshold
from index.answer.features import (
    FEATURE_NAMES,
    holds_type,
    translated_overlap,
    translated_weighted_overlap,
    verbatim_terms,
    wanted_types,
    weighted_overlap,
)
from index.answer.learned import MODEL_FILE, AnswerModel
from index.models import QueryPlan
from index.text.analysis import analyze


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


def test_english_words_a_chinese_sentence_writes_as_they_are_count_in_its_overlap() -> None:
    """"When was Sky Digital launched?" against 当Sky Digital于1998年推出的时候: sky and
    digit are there in Latin letters, as the Chinese question's would be; words only
    inside others (skyline) or numbers do not count here (numbers are renderings already)."""
    plan = QueryPlan("When was Sky Digital launched?", "en", "", "", True,
                     translated=("天空", "数码", "数字", "推出"), terms=("sky", "digit", "launch", "1998"))
    right = "当Sky Digital于 1998 年推出的时候，这一新闻服务使用的是 Astra 2A 卫星。"
    other = "Sky+HD内容是使用 MPEG-4 广播的，skyline 不算。"

    def verbatim(sentence: str) -> set[str]:
        return verbatim_terms(plan, (term for term, _, _ in analyze(sentence, only_runs_with=())))

    assert verbatim(right) == {"sky", "digit"}
    assert verbatim(other) == {"sky"}
    assert translated_overlap(plan, right, verbatim(right)) == 1.0  # 推出, 1998, sky, digit of 4 units
    assert translated_overlap(plan, right) == 0.5  # without them: 推出 and 1998 only
    assert translated_overlap(plan, other, verbatim(other)) == 0.25


def test_answer_types_in_both_languages() -> None:
    assert wanted_types("When did Jiangmen start the chain leader system?") == ["date"]
    assert "date" in wanted_types("江门是哪一年开始实施的？")
    assert "number" in wanted_types("How many companies moved in?")
    assert holds_type("2021年5月，江门正式实施“链长制”", ["date"])
    assert not holds_type("江门正式实施“链长制”", ["date"])


def test_weighted_overlap_counts_a_rare_word_above_a_common_one() -> None:
    weights = {"江门": 0.2, "前三季度": 3.0, "生产总值": 2.0}
    terms = ("江门", "前三季度", "生产总值")
    assert weighted_overlap(terms, {"前三季度"}, weights) > weighted_overlap(terms, {"江门"}, weights)
    assert weighted_overlap(terms, set(terms), weights) == 1.0
    assert weighted_overlap(terms, {"无关"}, weights) == 0.0


def test_translated_weighted_overlap_prefers_the_sentence_with_the_rare_renderings() -> None:
    plan = QueryPlan("What was Jiangmen's GDP in the first three quarters?", "en", "", "", True,
                     translated=("江门", "地区生产总值", "前三季度"), terms=("jiangmen", "gdp", "first", "three", "quarter"))
    weights = {"江门": 0.3, "地区生产总值": 3.0, "前三季度": 2.5}
    right = "前三季度地区生产总值为2810.29亿元"
    common = "江门规模以上工业增加值1076.77亿元"
    assert translated_weighted_overlap(plan, right, weights) > translated_weighted_overlap(plan, common, weights) > 0
    assert translated_weighted_overlap(plan, "与问题无关的句子", weights) == 0.0


def test_term_weights_come_from_the_real_index(engine) -> None:
    """On the bundled corpus, 江门 is in most passages and 链长制 in few: idf orders them,
    and a word no passage holds weighs most (it can only lower a sentence's overlap)."""
    weights = engine.term_weights(["江门", "链长制", "股价走势图"])
    assert weights["股价走势图"] > weights["链长制"] > weights["江门"] > 0


def test_english_question_blends_uses_cosine_into_chinese_sentences_only(engine) -> None:
    """An English question's Chinese candidates carry the USE cosine in their score (and
    the answer its own threshold); a Chinese question's carry none."""
    english = engine.search("What was Jiangmen's GDP in the first three quarters?", k=6, mode="hybrid", facets=False)
    scored = score_sentences(engine, english.plan, english.hits)
    chinese = [s for s in scored if s.hit.passage.lang == "zh"]
    assert chinese and all(s.second_cosine is not None for s in chinese)
    for s in chinese:
        without = DEFAULT_TUNING.score(s.similarity, s.overlap, s.figure, s.rank)
        assert s.score == DEFAULT_TUNING.score(s.similarity, s.overlap, s.figure, s.rank, s.second_cosine)
        assert abs(s.score - without - DEFAULT_TUNING.second_cosine_weight * s.second_cosine) < 1e-9
    assert len({round(s.second_cosine, 4) for s in chinese}) > 1  # a cosine per sentence, not a constant
    assert abstain_threshold(DEFAULT_TUNING, "en", scored[0]) == DEFAULT_TUNING.cross_lingual_second_threshold
    same = engine.search("前三季度江门地区生产总值是多少？", k=6, mode="hybrid", facets=False)
    assert all(s.second_cosine is None for s in score_sentences(engine, same.plan, same.hits))


def test_versioned_abstention_file_loads_and_reads_confidence_as_evidence() -> None:
    record = json.loads(ABSTENTION_FILE.read_text(encoding="utf-8"))
    model = AbstentionModel.load()
    assert model is not None and tuple(record["features"]) == ABSTENTION_FEATURES
    assert model.switched_on is record["switched_on"] and record["report"]
    low, high = list(model.mean), list(model.mean)
    column = ABSTENTION_FEATURES.index("confidence")
    low[column] -= 0.1
    high[column] += 0.1
    assert 0 < model.probability(low) < model.probability(high) < 1
    assert model.probability([-1e6] * len(ABSTENTION_FEATURES)) >= 0.0  # no overflow on absurd input


def test_abstention_decides_english_over_chinese_only_and_never_changes_the_quote(engine) -> None:
    """An English question's answer-or-abstain comes from the abstention model's probability
    of the hand-set choice; which sentence is quoted does not change, and a Chinese question
    is decided by the hand-set rule whatever the model says."""
    model = AbstentionModel.load()
    assert model is not None
    always, never = replace(model, switched_on=True, threshold=0.0), replace(model, switched_on=True, threshold=1.01)
    question = "What was Jiangmen's GDP in the first three quarters?"
    result = engine.search(question, k=6, mode="hybrid", facets=False)
    scored = score_sentences(engine, result.plan, result.hits)
    handset = ask(engine, question, abstention=None)
    row = abstention_row(scored, handset.confidence)
    assert len(row) == len(ABSTENTION_FEATURES) and row[0] == handset.confidence
    assert row[ABSTENTION_FEATURES.index("second_cosine")] == scored[0].second_cosine
    lead = row[ABSTENTION_FEATURES.index("lead")]
    different = [s.score for s in scored[1:] if s.sentence.text != scored[0].sentence.text]
    assert lead == scored[0].score - different[0] > 0  # against the next different sentence, not a repeat
    answered = ask(engine, question, abstention=always)
    assert answered.answered and answered.confidence == model.probability(row)
    assert [c.quote for c in answered.citations] == [s.sentence.text for s in choose_sentences(scored)]
    assert not ask(engine, question, abstention=never).answered
    chinese = "前三季度江门地区生产总值是多少？"
    with_model, without = ask(engine, chinese, abstention=never), ask(engine, chinese, abstention=None)
    assert with_model.answered and (with_model.text, with_model.confidence) == (without.text, without.confidence)
