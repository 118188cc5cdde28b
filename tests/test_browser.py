"""The pages in real headless Chromium (Debian's `chromium`, driven by Playwright).

The `browser` fixture and the helpers are in tests/chromium.py, shared with the widget's
tests: without chromium these tests skip locally and fail under CI=true.
Screenshots of the main states land in test-output/screenshots/.
"""
from __future__ import annotations

import re

from tests.chromium import DESKTOP, PHONE, new_page, shoot

XINHUI = "xinhui-manufacturing-backbone-2024"


def search_for(page, base: str, query: str) -> None:
    page.goto(base + "/")
    box = page.locator("#q")
    box.click()
    box.type(query, delay=15)
    with page.expect_navigation():
        box.press("Enter")
    page.get_by_test_id("results").wait_for()


def test_home_page_on_desktop_and_phone(browser, live_server):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(browser, viewport=viewport)
        page.goto(live_server + "/")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("heading", level=1).inner_text() == "江门产业搜索"
        assert page.locator("#q").evaluate("el => el === document.activeElement")
        shoot(page, f"home-{name}")
        no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_overflow, f"horizontal scrolling on {name}"
        assert page.js_errors == []
        page.context.close()


def test_chinese_query_shows_results_and_answer(browser, live_server):
    page = new_page(browser)
    search_for(page, live_server, "新会区有多少家专精特新企业？")
    answer = page.get_by_test_id("answer")
    assert answer.get_attribute("data-answered") == "true"
    assert "133家" in page.get_by_test_id("answer-text").inner_text()
    assert page.get_by_test_id("citation-link").count() >= 1
    results = page.get_by_test_id("result")
    assert results.count() == 10
    assert page.locator(".result__snippet mark").count() > 0
    first_meta = results.first.locator(".result__meta").inner_text()
    assert "江门日报" in first_meta and re.search(r"20\d\d年\d+月", first_meta)
    assert page.locator("nav.pager").is_visible()
    shoot(page, "results-zh-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "results-zh-phone")
    assert page.js_errors == []
    page.context.close()


def test_suggestions_while_typing(browser, live_server):
    page = new_page(browser)
    page.goto(live_server + "/")
    box = page.locator("#q")
    box.click()
    box.type("新型", delay=30)
    options = page.get_by_role("option")
    options.first.wait_for()
    assert "新型储能" in [o.inner_text() for o in options.all()]
    assert box.get_attribute("aria-expanded") == "true"
    shoot(page, "suggestions-zh", full_page=False)
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "suggestion-0"
    chosen = options.first.get_attribute("data-value")
    with page.expect_navigation():
        box.press("Enter")
    assert page.locator("#q").input_value() == chosen
    page.get_by_test_id("results").wait_for()
    page.context.close()


def test_english_question_gets_english_interface_and_chinese_evidence(browser, live_server):
    page = new_page(browser, lang="en-US")
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Search").is_visible()
    search_for(page, live_server, "How many specialized and sophisticated enterprises does Xinhui have?")
    assert page.get_by_test_id("answer").get_by_role("heading", level=2).inner_text().lower() == "answer"
    text = page.get_by_test_id("answer-text").inner_text()
    assert "新会区拥有各级专精特新企业133家" in text
    assert "shown as written" in page.locator(".answer__note").inner_text()
    assert page.locator(".source__title").first.inner_text() == "挺起工业『脊梁』支撑千亿GDP"
    shoot(page, "answer-en-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, "answer-en-phone")
    page.context.close()


def test_citation_leads_to_the_highlighted_passage(browser, live_server):
    page = new_page(browser)
    search_for(page, live_server, "新会区有多少家专精特新企业？")
    link = page.get_by_test_id("citation-link").first
    quote = page.locator(".source__quote").first.inner_text()
    href = link.get_attribute("href")
    passage_id = href.split("#p-", 1)[1]
    link.click()
    page.wait_for_url(re.compile(rf"/doc/{XINHUI}\?.*#p-{re.escape(passage_id)}$"))
    mark = page.get_by_test_id("quote")
    assert "".join(m.inner_text() for m in mark.all()) == quote
    in_view = "(() => { const r = document.querySelector('mark.quote').getBoundingClientRect();" \
              " return r.top >= 0 && r.bottom <= window.innerHeight; })()"
    page.wait_for_function(in_view, timeout=5000)  # the cited quote is scrolled into view
    lit = page.locator(".seg.is-target")
    assert lit.count() >= 1
    assert all(passage_id in s.get_attribute("data-p").split() for s in lit.all())
    assert page.locator(f"#p-{passage_id}").count() == 1
    assert page.get_by_role("heading", level=2).count() >= 3  # the article keeps its headings
    shoot(page, "document-cited-desktop", full_page=False)
    back = page.get_by_test_id("back-link")
    assert "q=" in back.get_attribute("href")
    page.set_viewport_size(PHONE)
    page.evaluate("document.querySelector('mark.quote').scrollIntoView({block: 'center'})")
    shoot(page, "document-cited-phone", full_page=False)
    back.click()
    page.get_by_test_id("results").wait_for()
    page.context.close()


def test_result_link_highlights_its_passage(browser, live_server):
    page = new_page(browser)
    search_for(page, live_server, "新型储能")
    first = page.get_by_test_id("result").first
    passage_id = first.get_attribute("data-passage-id")
    first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"#p-{re.escape(passage_id)}$"))
    marked = "".join(m.inner_text() for m in page.get_by_test_id("quote").all())
    assert "新型储能" in marked
    page.context.close()


def test_switching_language_is_kept(browser, live_server):
    page = new_page(browser, lang="zh-CN")
    page.goto(live_server + "/?q=" + "工业")
    assert page.get_by_role("button", name="搜索").is_visible()
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#q").input_value() == "工业", "the query survives the switch"
    assert "results" in page.locator(".results__count").inner_text()
    page.goto(live_server + f"/doc/{XINHUI}")
    assert page.get_by_test_id("back-link").inner_text().endswith("Back to search")
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, "document-en-desktop", full_page=False)
    page.get_by_test_id("lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.context.close()


def test_filters_apply_on_change_and_no_results_state(browser, live_server):
    page = new_page(browser)
    page.goto(live_server + "/?q=工业")
    assert not page.get_by_label("地区").is_visible(), "filters are folded away until asked for"
    page.locator("summary", has_text="筛选").click()
    with page.expect_navigation():
        page.get_by_label("地区").select_option("新会")
    assert page.get_by_label("地区").is_visible() and page.locator(".filters-count").inner_text() == "1"
    assert "district=" in page.url
    places = {t.inner_text() for t in page.locator(".result .tag--place").all()}
    assert places == {"新会"}
    # Hybrid and vector search always return the nearest passages; keyword search can miss.
    page.goto(live_server + "/?q=xyzzy&mode=keyword")
    assert "没有找到" in page.get_by_test_id("no-results").inner_text()
    shoot(page, "no-results-zh")
    # ... and hybrid says its results only come close in meaning instead of counting them.
    page.goto(live_server + "/?q=xyzzy")
    assert page.locator(".result").count() > 0
    assert "没有段落包含“xyzzy”" in page.get_by_test_id("related-only").inner_text()
    shoot(page, "related-only-zh")
    page.goto(live_server + "/?q=新型储能")
    assert page.get_by_test_id("related-only").count() == 0
    assert "条结果" in page.locator(".results__count").inner_text()
    page.context.close()


def test_plain_search_works_without_javascript(browser, live_server):
    page = new_page(browser, javascript=False)
    page.goto(live_server + "/")
    page.locator("#q").fill("新型储能")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    assert page.get_by_test_id("result").count() > 0
    page.locator("summary", has_text="筛选").click()  # <details> opens without script too
    page.get_by_label("地区").select_option("新会")
    with page.expect_navigation():
        page.get_by_role("button", name="应用筛选").click()
    assert "district=" in page.url and page.get_by_test_id("result").count() > 0
    page.context.close()


def test_keyboard_reaches_the_search_box(browser, live_server):
    page = new_page(browser)
    page.goto(live_server + "/?q=工业")
    page.locator("body").press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.context.close()


def test_hostile_document_stays_inert(browser, hostile_server):
    dialogs: list[str] = []
    page = new_page(browser)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile_server + "/?q=" + "注入测试段落的编号是什么？")
    hit = page.locator(".result", has_text="注入测试")
    hit.first.wait_for()
    assert "<script>alert(1)</script>注入测试标题<img src=x onerror=alert(1)>" in page.inner_text("main")
    answer = page.get_by_test_id("answer")
    if answer.count() and answer.get_attribute("data-answered") == "true":
        assert "<script>" in answer.inner_text() or "<img" in answer.inner_text()
    shoot(page, "hostile-results")
    page.goto(hostile_server + "/doc/hostile-test-doc?hl=0-30#p-hostile-test-doc-p1")
    body = page.get_by_test_id("article").inner_text()
    assert "<b onmouseover=alert(1)>注入测试小标题</b>" in body
    assert "<img src=x onerror=alert(1)>" in body and '<iframe src="javascript:alert(1)"></iframe>' in body
    page.get_by_role("heading", level=2).first.hover()
    shoot(page, "hostile-document")
    assert page.locator("main img, main script, main iframe, main b").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    page.context.close()
