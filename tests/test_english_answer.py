"""English answer lines: exact figures, periods and glossed terms; nothing invented."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from index import split_sentences
from index.crosslingual.english_answer import render_english
from index.crosslingual.english_figures import find_figures, money, plain
from index.text.analysis import load_user_dictionary
from tests.conftest import BUNDLED_CORPUS

GDP_SENTENCE = ("打开江门工业经济画卷，一组组数据勾勒出快速发展的清晰脉络：前三季度地区生产总值为2810.29亿元，同比增长5.3%，"
                "增速排全省前列；规模以上工业增加值1076.77亿元，同比增长5.4%，比全省同期高2.3个百分点。")
ENTITIES_SENTENCE = ("截至10月底，江门市场主体总量突破74万户，达74.15万户，同比增长7.88%；企业总量12.20万户，同比增长9.66%，"
                     "新登记企业1.58万户，同比增长14.94%。")


@pytest.fixture(scope="module", autouse=True)
def user_dictionary() -> None:
    load_user_dictionary(BUNDLED_CORPUS / "userdict.txt")  # as every engine does


def render(quote: str, lexicon, glossary) -> str:
    return render_english(quote, lexicon, glossary).text


@pytest.mark.parametrize("source, english", [
    ("2810.29亿元", "CNY 281.03 billion"),  # 281.029 billion, rounded to two decimals
    ("1076.77亿元", "CNY 107.68 billion"),
    ("45.83亿元", "CNY 4.58 billion"),
    ("452亿元", "CNY 45.2 billion"),
    ("30亿元", "CNY 3 billion"),
    ("1亿元", "CNY 100 million"),
    ("112万元", "CNY 1.12 million"),
    ("50万元", "CNY 500,000"),
    ("超百亿元", "over CNY 10 billion"),
    ("突破千亿元", "over CNY 100 billion"),
    ("10亿元以上", "CNY 1 billion or more"),
    ("74.15万户", "741,500"),
    ("12.20万户", "122,000"),
    ("突破74万户", "over 740,000"),
    ("37.2万家", "372,000"),
    ("11万吨", "110,000 tonnes"),
    ("600多名", "more than 600 people"),
    ("1395平方公里", "1,395 km²"),
    ("35GW", "35 GW"),
    ("同比增长5.3%", "up 5.3% year on year"),
    ("同比下降2.1%", "down 2.1% year on year"),
    ("增长18.3%", "up 18.3%"),
    ("比全省同期高2.3个百分点", "2.3 percentage points higher than the province in the same period"),
    ("占全部投资的44.2%", "44.2% of 全部投资"),
    ("前三季度", "first three quarters"),
    ("今年前三季度", "first three quarters of this year"),
    ("上半年", "first half of the year"),
    ("1—9月", "January-September"),
    ("全年", "full year"),
    ("截至10月底", "as of the end of October"),
    ("2021年5月", "May 2021"),
    ("1月19日", "January 19"),
    ("今年4月", "April this year"),
    ("2023年", "2023"),
])
def test_each_figure_and_period_is_rendered_exactly(source: str, english: str) -> None:
    spans = find_figures(source)
    assert len(spans) == 1 and spans[0].source == source
    assert spans[0].english == english


def test_money_and_numbers_use_decimal_arithmetic() -> None:
    assert money(Decimal("2810.29") * 10**8) == "CNY 281.03 billion"
    assert money(Decimal("0.1") * 10**8 + Decimal("0.2") * 10**8) == "CNY 30 million"  # no float error
    assert plain(Decimal("741500.00")) == "741,500"


def test_gdp_sentence_leads_with_the_figures_and_keeps_the_rest_chinese(lexicon, glossary) -> None:
    line = render_english(GDP_SENTENCE, lexicon, glossary)
    assert line.text.startswith("First three quarters, GDP (地区生产总值): CNY 281.03 billion, up 5.3% year on year;")
    assert "industrial value added (工业增加值): CNY 107.68 billion, up 5.4% year on year" in line.text
    assert "增速排全省前列" in line.untranslated  # a ranking: not rendered
    for span in line.rendered_spans:
        assert GDP_SENTENCE[span.start:span.end] == span.source


def test_counts_of_ten_thousands_are_multiplied_out(lexicon, glossary) -> None:
    text = render(ENTITIES_SENTENCE, lexicon, glossary)
    assert text.startswith("As of the end of October, Jiangmen (江门), market entities (市场主体)")
    for figure in ("over 740,000", "741,500", "up 7.88% year on year", "122,000", "15,800", "up 14.94% year on year"):
        assert figure in text


def test_forecasts_and_targets_are_labelled(lexicon, glossary) -> None:
    forecast = render("去年，全市新能源汽车全产业链实现产值230亿元，同比增长57%，预计今年产值将超300亿元。", lexicon, glossary)
    assert "CNY 23 billion, up 57% year on year" in forecast
    assert "expected over CNY 30 billion" in forecast
    target = render("建立健全专精特新企业梯度培育机制，力争国家级专精特新“小巨人”企业增至8家，省级专精特新企业增加50家以上。",
                    lexicon, glossary)
    assert "target rising to 8" in target and "target an increase of 50 or more" in target


def test_negated_ranked_and_bare_clauses_stay_chinese(lexicon, glossary) -> None:
    negated = render_english("2023年，全市工业投资没有增长5%。", lexicon, glossary)
    assert "5%" not in negated.text and any("没有" in u for u in negated.untranslated)
    ranked = render_english("2023年，项目数量、10亿元以上项目数等稳居全市第一。", lexicon, glossary)
    assert "billion" not in ranked.text
    bare = render_english("先后出台开好局起好步20条。", lexicon, glossary)
    assert bare.text == "" and bare.untranslated


def test_a_sentence_without_figures_or_dates_is_not_rendered(lexicon, glossary) -> None:
    line = render_english("江门，作为广东省传统工业基地，在历史岁月的坚守中，铸就了扎实的工业底蕴。", lexicon, glossary)
    assert line.text == "" and line.rendered_spans == []


def test_dated_clause_glosses_only_glossary_terms(lexicon, glossary) -> None:
    text = render("2021年5月，江门正式实施“链长制”，坚持稳中求进。", lexicon, glossary)
    assert text == "May 2021, Jiangmen (江门), chain leader system (链长制)."


def _derivable(number: Decimal, quote: str) -> bool:
    """`number` is a number of the quote times a power of ten, rounded to two decimals, or
    a year of the 20th century written as 上世纪80年代."""
    sources = [Decimal(n.replace(",", "")) for n in re.findall(r"\d+(?:\.\d+)?", quote)]
    if re.search(r"(?<!\d)[十百千万]?[千百万]?亿", quote):
        sources.append(Decimal(1))  # 千亿元, 百亿元: the magnitude alone
    for source in sources:
        for power in range(-12, 13):
            if abs(source * Decimal(10) ** power - number) <= Decimal("0.005"):
                return True
    return bool(re.fullmatch(r"19\d0", str(number))) and "上世纪" in quote


def corpus_sentences() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in BUNDLED_CORPUS.glob("*.md")]
    return [s.text for text in texts for s in split_sentences(text, 0) if re.search(r"\d", s.text)]


def test_no_sentence_of_the_corpus_gets_a_number_its_quote_does_not_hold(lexicon, glossary) -> None:
    sentences = corpus_sentences()
    assert len(sentences) > 50
    rendered = 0
    for quote in sentences:
        line = render_english(quote, lexicon, glossary)
        rendered += bool(line.text)
        for number in re.findall(r"\d[\d,]*(?:\.\d+)?", line.text):
            assert _derivable(Decimal(number.replace(",", "")), quote), (number, quote, line.text)
        for span in line.rendered_spans:
            assert quote[span.start:span.end] == span.source
    assert rendered > len(sentences) // 2
