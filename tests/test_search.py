"""Hybrid search on the real bundled index: Chinese, English, filters, paging, snippets."""
from __future__ import annotations

import re

import pytest

from index import BadFilter, SearchFilters, analyze, query_terms, to_traditional
from index.text.highlight import match_spans
from index.text.language import HAN

GDP_PASSAGE_FACT = "2810.29亿元"


def texts(result) -> list[str]:
    return [h.passage.text for h in result.hits]


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "vector"])
def test_chinese_query_finds_the_passage_with_its_figure(engine, mode) -> None:
    result = engine.search("江门前三季度地区生产总值", k=3, mode=mode)
    assert GDP_PASSAGE_FACT in result.hits[0].passage.text
    assert result.total >= len(result.hits) > 0


def test_english_question_finds_the_right_chinese_passage(engine) -> None:
    result = engine.search("What was Jiangmen's GDP in the first three quarters?", k=5)
    assert any(GDP_PASSAGE_FACT in t for t in texts(result))
    result = engine.search("new energy storage industry output in Xinhui", k=5)
    assert any("45.83亿元" in t for t in texts(result))


def test_search_mode_segmentation_finds_words_inside_longer_words(engine) -> None:
    # cut_for_search indexes 储能 inside 新型储能 and 产业链 inside 新能源汽车产业链.
    result = engine.search("储能", k=5, mode="keyword")
    assert result.hits and all("储能" in h.passage.text + h.passage.heading for h in result.hits)


def test_hybrid_hits_carry_both_side_scores(engine) -> None:
    hit = engine.search("中创新航江门基地", k=1).hits[0]
    assert hit.keyword_score is not None and hit.keyword_score > 0
    assert hit.vector_score is not None and 0 < hit.vector_score <= 1
    assert "中创新航" in hit.passage.text


def test_hybrid_says_when_no_passage_holds_the_words(engine) -> None:
    # The vector side always returns its nearest passages, so hybrid search never comes back
    # empty; keyword_matches tells "found the words" from "only close in meaning".
    gibberish = engine.search("xyzzy qwerty", k=5)
    assert gibberish.hits and gibberish.keyword_matches == 0
    assert all(h.keyword_rank is None for h in gibberish.hits)
    found = engine.search("新型储能", k=5)
    assert found.keyword_matches == engine.search("新型储能", k=5, mode="keyword").total > 0
    assert engine.search("新型储能", k=5, mode="vector").keyword_matches is None


def test_filters_restrict_both_sides(engine) -> None:
    xinhui = engine.search("工业投资", k=20, filters=SearchFilters(district="新会"))
    assert xinhui.hits and {h.passage.district for h in xinhui.hits} == {"新会"}
    city = engine.search("工业投资", k=20, filters=SearchFilters(date_to="2023-12"))
    assert city.hits and {h.passage.doc_id for h in city.hits} == {"jiangmen-industry-ballast-2023"}
    window = engine.search("工业投资", k=20, filters=SearchFilters(date_from="2024-01-01", date_to="2024-01-31"))
    assert {h.passage.date for h in window.hits} == {"2024-01"}
    nothing = engine.search("工业投资", k=20, filters=SearchFilters(source="人民日报"))
    assert nothing.hits == [] and nothing.total == 0
    with pytest.raises(BadFilter):
        engine.search("工业投资", filters=SearchFilters(date_from="last week"))


def test_paging_walks_the_same_ranking(engine) -> None:
    everything = engine.search("江门 工业", k=12)
    page2 = engine.search("江门 工业", k=4, offset=4)
    assert [h.passage.id for h in page2.hits] == [h.passage.id for h in everything.hits[4:8]]


def test_snippets_mark_matches_and_escape_everything_else(engine) -> None:
    hit = engine.search("新型储能", k=1, mode="keyword").hits[0]
    assert "<mark>" in hit.snippet
    markup = re.findall(r"<[^>]*>", hit.snippet)
    assert set(markup) <= {"<mark>", "</mark>"}


def test_highlighting_cuts_only_runs_that_can_hold_a_term_and_finds_the_same(engine) -> None:
    """The highlighter has jieba cut only the Chinese runs holding a query term; what it
    finds must equal what cutting every run finds, in either script, for Chinese, English
    and mixed queries."""
    queries = ["新型储能产业", "江门 GDP 2023", "侨乡 工业投资增长", "储", "manufacturing investment 新会"]
    texts = [hit.passage.text for hit in engine.search("江门 新会 工业", k=20, mode="keyword").hits]
    assert len(texts) >= 10
    found = 0
    for query in queries:
        terms = set(query_terms(query))
        chinese = [term for term in terms if HAN.search(term)]
        for text in texts + [to_traditional(text) for text in texts]:
            everything = [match for match in analyze(text) if match[0] in terms]
            assert [match for match in analyze(text, only_runs_with=chinese) if match[0] in terms] == everything
            found += len(everything)
            assert bool(match_spans(text, terms)) == bool(everything)
    assert found > 100


@pytest.mark.parametrize("query", [
    'AND OR NOT', '"unbalanced quote', "title:江门 OR (", "江门* ?工业~2 ^3", "[2020 TO 2023]", "{}()<>",
    "\\", "'", "—…", "\u200b\u200e", "😀🏭", "<script>alert(1)</script>", "x" * 10_000, "江门" * 5_000,
    "' OR 1=1 --", "   ",
])
def test_any_text_is_a_safe_query(engine, query) -> None:
    for mode in ("keyword", "hybrid"):
        result = engine.search(query, k=5, mode=mode)
        assert result.total >= len(result.hits)
        for hit in result.hits:
            assert "<script>" not in hit.snippet


def test_empty_query_finds_nothing(engine) -> None:
    assert engine.search("", k=5).hits == []
    assert engine.search("的 了 和", k=5, mode="keyword").hits == []
