"""Cited answers on the real bundled index."""
from __future__ import annotations

import re

from index import ask


def check_citations(engine, answer) -> None:
    """Every answer sentence ends with [n]; every citation quotes its document exactly."""
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    assert markers == [c.n for c in answer.citations]
    for c in answer.citations:
        doc = engine.document(c.doc_id)
        assert doc.text[c.start:c.end] == c.quote
        passage = engine.passage(c.passage_id)
        assert passage.start <= c.start and c.end <= passage.end


def test_chinese_figure_question_is_answered_with_the_figure(engine) -> None:
    answer = ask(engine, "江门前三季度地区生产总值是多少？")
    assert answer.answered and answer.lang == "zh"
    assert "2810.29亿元" in answer.citations[0].quote
    check_citations(engine, answer)


def test_how_many_question_prefers_the_sentence_with_the_count(engine) -> None:
    answer = ask(engine, "新会区目前有多少家各级专精特新企业？")
    assert answer.answered
    assert "133家" in answer.citations[0].quote
    check_citations(engine, answer)


def test_english_how_many_question_leads_with_the_count_it_asks_for(engine) -> None:
    # "How many ... SMEs": a count of firms (133家), not any count (11条产业链), comes first.
    answer = ask(engine, "How many specialized and sophisticated SMEs does Xinhui have?")
    assert answer.answered
    assert "133家" in answer.citations[0].quote
    check_citations(engine, answer)


def test_english_question_cites_the_chinese_passage(engine) -> None:
    answer = ask(engine, "What was Jiangmen's GDP in the first three quarters?")
    assert answer.lang == "en"
    assert any("2810.29亿元" in h.passage.text for h in answer.passages[:3])
    if answer.answered:
        check_citations(engine, answer)


def test_unrelated_question_abstains_in_its_language(engine) -> None:
    answer = ask(engine, "江门的常住人口有多少？")
    assert not answer.answered and answer.citations == []
    assert "没有" in answer.text
    assert answer.passages  # the closest passages are still listed
    english = ask(engine, "What is the capital of France?")
    assert not english.answered and "does not say" in english.text


def test_question_about_a_named_company_the_corpus_cannot_answer_abstains(engine) -> None:
    answer = ask(engine, "海目星现在的股价是多少？")
    assert not answer.answered


def test_ask_counts_no_facets_and_search_does(bundled_data_dir, encoder) -> None:
    """Facet counts are for the search page; the answerer's search must not pay for them
    (at 50k passages they list every keyword match). A fresh engine, so its facet cache
    starts empty."""
    from index import SearchEngine

    engine = SearchEngine(bundled_data_dir, encoder=encoder)
    question = "新会区有多少家专精特新企业？"
    assert ask(engine, question).answered
    assert engine._facets._cache == {}, "ask counted facets"
    assert engine.search(question, k=6, mode="hybrid", facets=False).facets is None
    assert engine._facets._cache == {}
    assert engine.search(question, k=6, mode="hybrid").facets is not None
    assert len(engine._facets._cache) == 1
