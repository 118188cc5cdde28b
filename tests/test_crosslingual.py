"""Cross-lingual search on real indexes: the query plan, the second encoder, fusion
weights, Chinese questions over English documents, and English answer lines."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from index import SearchConfig, SearchEngine, ask
from index.vector.second_encoder import USE_DIMENSION, UseEncoder

GDP_QUESTION = "What was Jiangmen's GDP in the first three quarters?"


def test_english_query_plan_adds_chinese_terms_to_the_keyword_side_only(engine) -> None:
    plan = engine.plan_query("How many students does the university in Xinhui have?")
    assert plan.lang == "en" and plan.cross_lingual
    assert "新会" in plan.translated and "学生" in plan.translated and "大学" in plan.translated
    assert "学生" in plan.keyword_text and "学生" not in plan.vector_text  # glossary terms only there
    assert "新会" in plan.vector_text
    assert engine.expand_query(GDP_QUESTION) == engine.plan_query(GDP_QUESTION).vector_text


def test_chinese_query_over_a_chinese_corpus_is_left_alone(engine) -> None:
    plan = engine.plan_query("江门前三季度地区生产总值")
    assert not plan.cross_lingual and plan.translated == ()
    assert plan.keyword_text == plan.vector_text == "江门前三季度地区生产总值"
    assert engine.fusion_weights(plan) == {"keyword": 1.0, "vector": 1.0}


def test_cross_lingual_hybrid_fuses_three_lists_with_their_weights(engine) -> None:
    plan = engine.plan_query(GDP_QUESTION)
    lists = engine.ranked_lists(plan, "hybrid", 20)
    assert [ranked.name for ranked in lists] == ["keyword", "vector", "second_vector"]
    assert engine.fusion_weights(plan) == {"keyword": 0.5, "vector": 1.0, "second_vector": 1.0}
    assert "2810.29亿元" in engine.search(GDP_QUESTION, k=1).hits[0].passage.text
    # keyword and vector modes stay single lists
    assert [ranked.name for ranked in engine.ranked_lists(plan, "vector", 20)] == ["vector"]


def test_english_keyword_search_now_reaches_chinese_passages(engine) -> None:
    # Nothing in these words is Chinese, and the glossary knows none of them: CC-CEDICT
    # gives shipyard -> 造船厂 (the 1950s 江门造船厂).
    hits = engine.search("Which shipyard was there?", k=3, mode="keyword").hits
    assert any("造船厂" in h.passage.text for h in hits)
    assert "造船厂" in engine.plan_query("Which shipyard was there?").translated


def test_settings_turn_the_lexicon_and_second_encoder_off(bundled_data_dir, encoder) -> None:
    config = replace(SearchConfig(), lexicon=False, second_vector_weight=0.0)
    plain = SearchEngine(bundled_data_dir, encoder=encoder, config=config)
    plan = plain.plan_query("How many students does the university in Xinhui have?")
    assert plan.translated == ("新会",)  # the glossary alone, as before issue 7
    assert [ranked.name for ranked in plain.ranked_lists(plan, "hybrid", 20)] == ["keyword", "vector"]
    assert plain.lexicon is None


def test_use_encoder_gives_unit_vectors_close_across_languages(test_data_dir) -> None:
    use = UseEncoder(test_data_dir)
    vectors = use.encode_passages(["江门前三季度地区生产总值增长5.3%", "Jiangmen's GDP grew 5.3% in the first three quarters",
                                   "新会区拥有各级专精特新企业133家"])
    assert vectors.shape == (3, USE_DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[1] @ vectors[2]
    assert np.allclose(use.encode_query("GDP"), use.encode_query("GDP"))


def test_the_build_writes_the_second_vectors_beside_the_first(engine) -> None:
    build = engine.build
    assert build.second_vectors is not None
    assert build.second_vectors.vectors.shape == (len(build.passages), USE_DIMENSION)


def test_chinese_question_finds_english_documents_through_the_lexicon(english_engine) -> None:
    plan = english_engine.plan_query("华沙起义是什么时候开始的？")
    assert plan.cross_lingual and "Warsaw" in plan.translated
    hits = english_engine.search("华沙起义是什么时候开始的？", k=1, mode="keyword").hits
    assert hits and hits[0].passage.doc_id == "warsaw-uprising"
    hits = english_engine.search("锂电池工厂的年产能是多少？", k=1).hits
    assert hits[0].passage.doc_id == "battery-plant"


def test_english_answer_leads_with_an_english_line_per_citation(engine) -> None:
    # (The README's GDP question is asked in test_answer.py; the GDP sentence's rendering
    # is tested in test_english_answer.py.)
    answer = ask(engine, "What was the industrial output value of Xinhui's new energy storage industry in 2023?")
    assert answer.answered
    assert [line.n for line in answer.english] == [c.n for c in answer.citations]
    first = answer.english[0].text
    assert "45.83亿元" in answer.citations[0].quote
    assert "CNY 4.58 billion" in first and "up 28.24% year on year" in first
    line = answer.english[0].to_dict()
    assert set(line) == {"n", "text", "rendered_spans", "untranslated"}
    assert set(line["rendered_spans"][0]) == {"start", "end", "source", "english", "kind"}


def test_chinese_answer_has_no_english_lines(engine) -> None:
    answer = ask(engine, "江门前三季度地区生产总值是多少？")
    assert answer.answered and answer.english == []
