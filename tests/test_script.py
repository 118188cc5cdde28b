"""Traditional and simplified Chinese (issue 12): one script for matching, the writer's for reading.

Real OpenCC, the real bundled index and model, the real app over HTTP. The traditional
questions are made from simplified ones with OpenCC s2hk and s2tw, as a Hong Kong or Taiwan
reader would type them; the traditional document below was written for these tests.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from index import analyze, ask, script_of, to_simplified, to_traditional
from index.text.highlight import make_snippet
from tests.conftest import BUNDLED_CORPUS, NO_RATE_LIMITS, share_caches

# Questions written for these tests (not in benchmarks/qa_set.jsonl), some answered by the
# bundled corpus and some not; each is asked in simplified and traditional characters.
QUESTIONS = (
    "新会区2023年引进的亿元以上项目总投资额是多少？",
    "新会区有多少家企业入选省制造业500强？",
    "新会区有几个项目实现了拿地即动工？",
    "江门的平均工资是多少？",
    "新会区有多少所大学？",
)

TRADITIONAL_DOC_ID = "taishan-overseas-chinese-museum"
# A news item written in traditional characters (Hong Kong forms, such as 羣 for 群), as an
# overseas-Chinese paper would print it.
TRADITIONAL_DOCUMENT = """---
id: taishan-overseas-chinese-museum
title: 台山華僑博物館迎來海外鄉親
date: 2024-05
source: 測試僑報
district: 台山
lang: zh
---

## 僑鄉文化

台山華僑博物館今年接待海外鄉親12000人次，比去年增長18%。館內收藏的僑批、舊照片和船票共有3600件，其中最早的一封僑批寫於1883年。

博物館附近的碉樓羣每年吸引大量遊客。當地政府計劃投資5000萬元修繕周邊的歷史街區，工程將於明年完成。
"""


def traditional_forms(question: str) -> list[str]:
    return [to_traditional(question, "s2hk"), to_traditional(question, "s2tw")]


# --- the conversion itself ------------------------------------------------------------

def test_simplified_reading_keeps_every_character_at_its_offset():
    text = TRADITIONAL_DOCUMENT + "乾隆年間的髮型、頭髮與發現；憂鬱的臺灣颱風。Ｆｕｌｌ width, 𠀀 astral, 豈 compat."
    simplified = to_simplified(text)
    assert len(simplified) == len(text)
    assert "台山华侨博物馆" in simplified and "碉楼群" in simplified
    for original, converted in zip(text, simplified):
        assert (original == converted) or (re.match(r"\w", original) and re.match(r"\w", converted))
    assert to_simplified("江门 GDP 2810.29亿元") == "江门 GDP 2810.29亿元"


def test_a_character_opencc_would_move_out_of_the_plane_stays_as_written():
    import opencc

    # OpenCC's own t2s turns 䂎 into 𥎝 (U+2539D), outside the Han runs jieba segments: that
    # run is converted character by character instead, keeping 䂎 and still converting 門.
    assert opencc.OpenCC("t2s").convert("䂎門") == "\U0002539d门"
    assert to_simplified("䂎門的") == "䂎门的"


def test_the_bundled_corpus_is_unchanged_and_comes_back_from_traditional():
    for path in BUNDLED_CORPUS.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert to_simplified(text) == text, f"{path.name}: simplified text must read as itself"
        assert to_simplified(to_traditional(text, "s2hk")) == text, path.name
        assert to_simplified(to_traditional(text, "s2t")) == text, path.name


def test_script_of():
    assert script_of("江門前三季度地區生產總值是多少？") == "Hant"
    assert script_of("江门前三季度地区生产总值是多少？") == "Hans"
    assert script_of("江") == "Hans", "a character both scripts share says simplified"
    assert script_of("What was Jiangmen's GDP?") == ""


def test_traditional_text_gives_simplified_terms_at_its_own_offsets():
    traditional = "館內收藏的僑批、舊照片和船票共有3600件"
    terms = list(analyze(traditional))
    assert [t for t, _, _ in terms] == [t for t, _, _ in analyze(to_simplified(traditional))]
    for term, start, end in terms:
        assert to_simplified(traditional[start:end]) == term or term.isdigit()
    snippet = make_snippet(traditional, {"船票", "照片"})
    assert "<mark>船票</mark>" in snippet and "<mark>照片</mark>" in snippet


# --- the real index and model: a traditional question is its simplified twin ----------

def answer_shape(answer) -> tuple:
    return (answer.answered, [(c.doc_id, c.start, c.end, c.quote) for c in answer.citations],
            [h.passage.id for h in answer.passages])


@pytest.mark.parametrize("question", QUESTIONS)
def test_traditional_question_is_searched_and_answered_as_its_twin(engine, question):
    simplified = engine.search(question, k=5)
    twin = ask(engine, question)
    for traditional in traditional_forms(question):
        assert traditional != question and script_of(traditional) == "Hant"
        result = engine.search(traditional, k=5)
        assert [h.passage.id for h in result.hits] == [h.passage.id for h in simplified.hits]
        assert [h.snippet for h in result.hits] == [h.snippet for h in simplified.hits]
        assert result.query == traditional and result.plan is not None and result.plan.traditional
        answer = ask(engine, traditional)
        assert answer_shape(answer) == answer_shape(twin)
        assert answer.question == traditional
        if not answer.answered:
            assert answer.text == to_traditional(twin.text), "the no-answer message in traditional characters"


# --- over HTTP: the same JSON, and a traditional document found by a simplified query ---

def comparable(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("query", "question", "took_ms", "script")}


# Known regression of the learned answer model (issue 12 item 2, docs/ANSWERS.md): it abstains on
# QUESTIONS[0] (新会区…总投资额, probability 0.46 under 0.55) and answers the 江门的平均工资 trap (0.56), in
# either script alike. The script handling these tests check is unaffected; strict, so a fix shows.
_ANSWER_MODEL_REGRESSION = pytest.mark.xfail(strict=True, reason="learned answer model regression (issue 12 item 2)")


@_ANSWER_MODEL_REGRESSION
def test_api_gives_a_traditional_query_its_twins_results(live_server):
    for question in QUESTIONS[:3]:
        traditional = to_traditional(question)
        for path, key in (("/api/search", "q"), ("/api/ask", "q")):
            twin = requests.get(live_server + path, params={key: question, "k": 5}, timeout=60).json()
            body = requests.get(live_server + path, params={key: traditional, "k": 5}, timeout=60).json()
            assert comparable(body) == comparable(twin), (path, question)
            assert body["script"] == "Hant" and twin["script"] == "Hans"


@pytest.fixture(scope="session")
def traditional_server(test_data_dir: Path, encoder):
    """The bundled corpus plus TRADITIONAL_DOCUMENT, served over HTTP."""
    import shutil

    from index import SearchEngine, build_index
    from tests.servers import serve_in_thread
    from webapp import create_app
    from webapp.settings import WebSettings

    corpus = test_data_dir / "traditional-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(BUNDLED_CORPUS, corpus)
    (corpus / f"{TRADITIONAL_DOC_ID}.md").write_text(TRADITIONAL_DOCUMENT, encoding="utf-8")
    data_dir = test_data_dir / "traditional"
    data_dir.mkdir(exist_ok=True)
    share_caches(test_data_dir, data_dir)
    build_index(corpus, data_dir, encoder=encoder)
    app = create_app(WebSettings.for_data_dir(data_dir, **NO_RATE_LIMITS),
                     engine=SearchEngine(data_dir, encoder=encoder))
    with serve_in_thread(app) as base_url:
        yield base_url


def test_simplified_query_finds_a_traditional_document_as_written(traditional_server):
    found = requests.get(traditional_server + "/api/search", params={"q": "台山华侨博物馆 侨批", "k": 5},
                         timeout=60).json()
    top = found["results"][0]
    assert top["doc_id"] == TRADITIONAL_DOC_ID
    assert "館內收藏的僑批" in top["text"], "the passage is shown as the source wrote it"
    assert "<mark>僑批</mark>" in top["snippet"] and "<mark>博物館</mark>" in top["snippet"]
    assert found["keyword_matches"] >= 1, "found by its words, not only by meaning"


def test_simplified_question_quotes_a_traditional_document_verbatim(traditional_server):
    answer = requests.get(traditional_server + "/api/ask", params={"q": "台山华侨博物馆收藏的侨批、旧照片和船票共有多少件？"},
                          timeout=60).json()
    assert answer["answered"], answer
    citation = answer["citations"][0]
    assert citation["doc_id"] == TRADITIONAL_DOC_ID and "3600件" in citation["quote"]
    document = requests.get(traditional_server + f"/api/documents/{TRADITIONAL_DOC_ID}", timeout=30).json()
    assert document["text"][citation["start"]:citation["end"]] == citation["quote"]
    assert "館內收藏" in citation["quote"]
    page = requests.get(traditional_server + f"/doc/{TRADITIONAL_DOC_ID}",
                        params={"hl": f"{citation['start']}-{citation['end']}"}, timeout=30).text
    assert "館內收藏的僑批、舊照片和船票共有3600件" in page and 'lang="zh-Hant"' in page


# --- the interface in traditional characters: three ways to ask for it ----------------

def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    return found.group(1) if found else ""


def test_zh_hant_interface_by_parameter_and_cookie(live_server):
    session = requests.Session()
    page = session.get(live_server + "/", params={"lang": "zh-Hant"}, headers={"Accept-Language": "en"}, timeout=30)
    assert html_lang(page.text) == "zh-Hant" and "搜索或提問" in page.text and "搜索或提问" not in page.text
    assert session.cookies.get("lang") == "zh-Hant"
    kept = session.get(live_server + "/", headers={"Accept-Language": "en"}, timeout=30)
    assert html_lang(kept.text) == "zh-Hant"
    back = session.get(live_server + "/", params={"lang": "zh"}, timeout=30)
    assert html_lang(back.text) == "zh-CN" and "搜索或提问" in back.text


@pytest.mark.parametrize("accept", ["zh-TW", "zh-HK,zh;q=0.9", "zh-MO", "zh-Hant", "en;q=0.5,zh-Hant-HK"])
def test_zh_hant_interface_by_accept_language(live_server, accept):
    page = requests.get(live_server + "/", headers={"Accept-Language": accept}, timeout=30)
    assert html_lang(page.text) == "zh-Hant" and "江門產業搜索" in page.text


def test_accept_language_simplified_regions_stay_simplified(live_server):
    for accept in ("zh-CN", "zh-SG", "zh-Hans-HK", "zh"):
        page = requests.get(live_server + "/", headers={"Accept-Language": accept}, timeout=30)
        assert html_lang(page.text) == "zh-CN", accept


@_ANSWER_MODEL_REGRESSION
def test_zh_hant_interface_by_the_questions_script(live_server):
    simplified_browser = {"Accept-Language": "zh-CN,zh;q=0.9"}
    unanswerable = to_traditional("江门的平均工资是多少？")
    page = requests.get(live_server + "/", params={"q": unanswerable}, headers=simplified_browser, timeout=60).text
    assert html_lang(page) == "zh-Hant"
    assert "報道中沒有找到這個問題的答案" in page, "the no-answer message in traditional characters"
    asked = requests.get(live_server + "/api/ask", params={"q": unanswerable}, timeout=60).json()
    assert not asked["answered"] and asked["answer"].startswith("語料庫中沒有")
    simplified = requests.get(live_server + "/", params={"q": "江门的平均工资是多少？"}, headers=simplified_browser,
                              timeout=60).text
    assert html_lang(simplified) == "zh-CN"


def test_widget_script_carries_traditional_labels_made_from_the_simplified(live_server):
    body = requests.get(live_server + "/widget.js", timeout=30).text
    hant = body[body.index('"zh-Hant": {'):]
    assert 'noAnswer: "報道中沒有找到這個問題的答案，下面是最接近的段落。"' in hant
    assert 'placeholder: "搜索或提問…"' in hant


# --- in the browser: pages and widget in traditional characters -----------------------

def test_browser_from_hong_kong_gets_the_traditional_interface(browser, live_server):
    from tests.chromium import new_page

    page = new_page(browser, lang="zh-HK")
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.locator("#q").get_attribute("placeholder") == "例如：新會區2023年GDP是多少？"
    switch = page.get_by_test_id("script-switch")
    assert switch.inner_text() == "简体中文"
    with page.expect_navigation():
        switch.click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN", "the choice is kept over Accept-Language"
    assert page.js_errors == []
    page.context.close()


def test_browser_question_in_traditional_characters_gets_traditional_page_and_answer(browser, live_server):
    from tests.chromium import new_page, shoot

    page = new_page(browser, lang="zh-CN")
    page.goto(live_server + "/")
    box = page.locator("#q")
    box.fill(to_traditional(QUESTIONS[0]))
    # The first question of a session also loads the model: give it a minute on a busy machine.
    with page.expect_navigation(timeout=60_000):
        box.press("Enter", timeout=60_000)
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    answer = page.get_by_test_id("answer")
    assert answer.get_attribute("data-answered") == "true"
    simplified = requests.get(live_server + "/api/ask", params={"q": QUESTIONS[0]}, timeout=60).json()
    assert page.get_by_test_id("answer-text").inner_text().startswith(simplified["citations"][0]["quote"])
    assert "答案句子原樣摘自報道" in answer.inner_text()
    shoot(page, "search-zh-hant-question")
    page.locator("#q").fill(to_traditional(QUESTIONS[3]))
    with page.expect_navigation(timeout=60_000):
        page.locator("#q").press("Enter", timeout=60_000)
    none = page.get_by_test_id("answer")
    assert none.get_attribute("data-answered") == "false"
    assert "報道中沒有找到這個問題的答案" in none.inner_text()
    assert page.js_errors == []
    page.context.close()


def test_browser_traditional_document_found_and_shown_as_written(browser, traditional_server):
    from tests.chromium import new_page, shoot

    page = new_page(browser, lang="zh-CN")
    page.goto(traditional_server + "/?q=" + "台山华侨博物馆")
    first = page.get_by_test_id("result").first
    assert "台山華僑博物館" in first.inner_text()
    assert "博物館" in [m.inner_text() for m in first.locator("mark").all()]
    with page.expect_navigation():
        first.get_by_role("link").first.click()
    article = page.get_by_test_id("article")
    assert "館內收藏的僑批、舊照片和船票共有3600件" in article.inner_text()
    assert article.get_attribute("lang") == "zh-Hant"
    shoot(page, "document-traditional")
    assert page.js_errors == []
    page.context.close()


def widget_input(page):
    return page.locator("[data-testid=demo-inline] input[role=combobox]")


def test_widget_in_traditional_characters(browser, traditional_server):
    from tests.chromium import new_page, shoot

    page = new_page(browser, lang="zh-CN")
    page.goto(traditional_server + "/widget?lang=zh-Hant")
    box = widget_input(page)
    assert box.get_attribute("placeholder") == "搜索或提問…"
    box.click()
    box.press_sequentially("台山华侨博物馆收藏的侨批、旧照片和船票共有多少件？", delay=10)
    box.press("Enter")
    answer = page.locator("[data-testid=demo-inline] [part=answer][data-answered=true]")
    answer.wait_for(timeout=60_000)
    assert "館內收藏的僑批" in page.locator("[data-testid=demo-inline] [part=answer-text]").inner_text()
    assert "答案句子原樣摘自報道" in answer.inner_text()
    shoot(page, "widget-zh-hant")
    assert page.js_errors == []
    page.context.close()


@_ANSWER_MODEL_REGRESSION
def test_simplified_widget_answers_a_traditional_question_in_traditional(browser, live_server):
    from tests.chromium import new_page

    page = new_page(browser, lang="zh-CN")
    page.goto(live_server + "/widget?lang=zh")
    box = widget_input(page)
    assert box.get_attribute("placeholder") == "搜索或提问…"
    box.click()
    box.press_sequentially(to_traditional(QUESTIONS[3]), delay=10)
    box.press("Enter")
    none = page.locator("[data-testid=demo-inline] [data-testid=no-answer]")
    none.wait_for(timeout=60_000)
    assert none.inner_text() == "報道中沒有找到這個問題的答案，下面是最接近的段落。"
    assert page.js_errors == []
    page.context.close()


def test_suggestions_complete_a_traditional_prefix_in_traditional(engine):
    simplified = engine.suggest("新会区", 5)
    assert simplified, "the bundled corpus completes 新会区"
    assert engine.suggest("新會區", 5) == [to_traditional(s) for s in simplified]
