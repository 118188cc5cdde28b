"""English names in pinyin find the corpus's Chinese words (index/crosslingual/pinyin_names.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from index.crosslingual.pinyin_names import PinyinNames, spelling
from tests.conftest import engine_over

# Towns the bundled glossary does not list, in a corpus that has no glossary at all.
TOWNS = {
    "siqian": ("司前镇五金产业", "司前镇的不锈钢五金产业去年产值增长12%，新增规模以上企业9家。"),
    "daze": ("大泽镇家具产业", "大泽镇的家具与五金企业去年出口额达到15亿元。"),
    "other": ("江门港口", "江门港口集装箱吞吐量同比增长8%。"),
}


def test_spelling_is_toneless_pinyin_without_spaces() -> None:
    assert spelling("新会") == "xinhui"
    assert spelling("司前镇") == "siqianzhen"


def test_names_by_spelling_prefer_the_bare_name_and_drop_the_suffix_only_for_places() -> None:
    names = PinyinNames.from_words(["新会区", "新会", "司前镇", "科达利", "会", "产业"])
    assert names.chinese("Xinhui") == ["新会"]  # 新会区 is found through 新会
    assert names.chinese("Siqian") == ["司前镇"]  # "Siqian" names the town without its suffix
    assert names.chinese("siqianzhen") == ["司前镇"]
    assert names.chinese("Hui") == []  # too short to be read as a name
    assert names.chinese("Chanye") == ["产业"]  # any corpus word has its spelling ...
    assert names.translate("Which firms does Kedali supply in Siqian Town?", None) == ["科达利", "司前镇"]


def test_only_words_that_look_like_names_are_looked_up(lexicon) -> None:
    """... but only a capitalised word, or one the lexicon cannot translate, is looked up:
    'chanye' in lower case is not a name, and English words are never read as pinyin."""
    names = PinyinNames.from_words(["产业", "科达利"])
    assert names.translate("what is chanye", lexicon) == ["产业"]  # no CC-CEDICT entry: may be a name
    assert names.translate("Kedali growth", lexicon) == ["科达利"]
    assert names.translate("the industry grew", lexicon) == []


@pytest.fixture(scope="module")
def towns_engine(test_data_dir: Path, encoder):
    return engine_over(test_data_dir, encoder, "towns", TOWNS, "zh")


def test_an_english_query_finds_a_town_no_glossary_or_lexicon_knows(towns_engine) -> None:
    """CC-CEDICT reads Siqian as 石阡 (a county in Guizhou); the corpus's own 司前 comes first."""
    plan = towns_engine.plan_query("How much did output grow in Siqian?")
    assert plan.translated[0] in ("司前", "司前镇") and plan.translated[0] in plan.vector_text
    hits = towns_engine.search("How much did output grow in Siqian?", k=3, mode="keyword").hits
    assert hits and hits[0].passage.doc_id == "siqian"
    assert towns_engine.search("Daze furniture exports", k=3, mode="keyword").hits[0].passage.doc_id == "daze"


def test_without_the_names_the_keyword_side_cannot_find_the_town(towns_engine) -> None:
    """What the lookup adds: the same query planned without the corpus's names."""
    from index.search.query_plan import plan_query

    build = towns_engine.build
    plan = plan_query("How much did output grow in Siqian?", build.languages, build.main_language, build.glossary,
                      towns_engine.lexicon)
    assert not {"司前", "司前镇"} & set(plan.translated) and "石阡" in plan.translated
