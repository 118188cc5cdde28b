"""News-style browsing (issue 14 item 2): sort=date, facet counts with every search, the
latest documents; over a small newsroom corpus with several sources, years and places,
served over HTTP and clicked in Chromium."""
from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from flask import Flask, Response

from index import SearchEngine, SearchFilters, analyze, build_index
from index.filters import passage_matches
from tests.chromium import new_page
from tests.conftest import BUNDLED_CORPUS, NO_RATE_LIMITS, share_caches
from tests.servers import serve_in_thread

# Short articles sharing 储能 / 电池 across sources, years and places; two undated.
NEWS = [
    ("n1", "江门日报", "2024-03-15", "新会", "新会区新型储能产业产值增长，储能电池项目投产。"),
    ("n2", "江门日报", "2024-03-15", "蓬江", "蓬江区储能电站并网，电池管理系统本地配套。"),
    ("n3", "江门日报", "2023-11-02", "新会", "新会区储能企业扩产，新增电池生产线两条。"),
    ("n4", "南方日报", "2023-06-20", "台山", "台山市海上风电配套储能项目开工。"),
    ("n5", "南方日报", "2022-09-09", "开平", "开平市推动水暖卫浴产业升级，建设数字化车间。"),
    ("n6", "新会侨报", "2024-01-08", "新会", "新会陈皮产业产值突破两百亿元，储能冷库投入使用。"),
    ("n7", "新会侨报", "", "新会", "新会区召开储能产业链招商推介会。"),
    ("n8", "江门政府网", "", "", "江门市发布新型储能产业发展行动方案。"),
]


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory, test_data_dir: Path, encoder):
    root = tmp_path_factory.mktemp("newsroom")
    corpus = root / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    records = [{"id": i, "title": text[:12], "text": text, "source": source, "district": place,
                **({"date": date} if date else {})} for i, source, date, place, text in NEWS]
    (corpus / "news.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records),
                                       encoding="utf-8")
    data = root / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    build_index(corpus, data, encoder=encoder)
    engine = SearchEngine(data, encoder=encoder)
    from webapp import create_app
    from webapp.settings import WebSettings

    host = Flask("news_site")  # another origin that embeds the widget with sort="date"
    host.add_url_rule("/", "page", lambda: Response(
        f'<!doctype html><html><head><meta charset="utf-8"><script src="{host.config["API"]}/widget.js" defer>'
        f'</script></head><body><jm-search endpoint="{host.config["API"]}" lang="zh" results="10" sort="date" '
        'answers="off"></jm-search></body></html>', mimetype="text/html"))
    host.add_url_rule("/favicon.ico", "favicon", lambda: Response(status=204))
    with serve_in_thread(host) as host_url:
        settings = WebSettings.for_data_dir(data, allowed_origins=(host_url,), **NO_RATE_LIMITS)
        with serve_in_thread(create_app(settings, engine=engine)) as base:
            host.config["API"] = base
            yield base, engine, host_url


def day(date: str) -> str:
    """A month-only date ("2024-01") sorts as its first day, a year-only one as 1 January."""
    return {4: date + "-01-01", 7: date + "-01"}.get(len(date), date)


def search(base: str, **params: str) -> dict:
    response = requests.get(base + "/api/search", params=params, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def direct_counts(engine: SearchEngine, q: str, filters: SearchFilters) -> dict[str, Counter]:
    """What the facets must say, counted here over every passage of the build: the ones
    that hold one of the query's terms in a searched field and pass the filters."""
    terms = set(engine.plan_query(q).keyword_terms)
    counts: dict[str, Counter] = {"source": Counter(), "year": Counter(), "place": Counter(), "all": Counter()}
    for p in engine.build.passages:
        words = {t for field in (p.title, p.heading, p.text) for t, _, _ in analyze(field)}
        if not (words & terms) or not passage_matches(p, filters):
            continue
        counts["all"]["passages"] += 1
        if p.source:
            counts["source"][p.source] += 1
        if p.date:
            counts["year"][p.date[:4]] += 1
        if p.district:
            counts["place"][p.district] += 1
    return counts


@pytest.mark.parametrize("q, filters", [
    ("储能", {}),
    ("储能", {"source": "江门日报"}),
    ("储能", {"district": "新会", "date_from": "2024", "date_to": "2024"}),
    ("电池", {"date_from": "2023-06"}),
    ("产业", {"mode": "keyword", "source": "南方日报"}),
])
def test_facet_counts_equal_a_direct_count_under_filters(newsroom, q: str, filters: dict[str, str]) -> None:
    base, engine, _ = newsroom
    body = search(base, q=q, **filters)
    facets = body["facets"]
    filter_values = {k: v for k, v in filters.items() if k != "mode"}
    expected = direct_counts(engine, q, SearchFilters(**filter_values))
    assert facets["basis"] == "keyword_matches"
    assert facets["counted"] == body["keyword_matches"] == expected["all"]["passages"] > 0
    for name in ("source", "year", "place"):
        assert {c["value"]: c["count"] for c in facets[name]} == dict(expected[name]), name
        counts = [c["count"] for c in facets[name]]
        if name != "year":
            assert counts == sorted(counts, reverse=True)
    years = [c["value"] for c in facets["year"]]
    assert years == sorted(years, reverse=True)


def test_sort_by_date_is_newest_first_ties_by_score(newsroom) -> None:
    base, _, _ = newsroom
    body = search(base, q="储能", sort="date", k="50")
    assert body["sort"] == "date"
    results = body["results"]
    assert len(results) == body["total"] == body["keyword_matches"]  # only passages holding the words
    keys = [(r["date"] or "", r["score"]) for r in results]
    dated = [k for k in keys if k[0]]
    assert dated == sorted(dated, key=lambda k: (day(k[0]), k[1]), reverse=True)
    assert all(not k[0] for k in keys[len(dated):]), "undated passages come last"
    same_day = [r["score"] for r in results if r["date"] == "2024-03-15"]
    assert len(same_day) == 2 and same_day == sorted(same_day, reverse=True)
    by_relevance = search(base, q="储能", k="50")
    assert by_relevance["sort"] == "relevance"
    assert {r["passage_id"] for r in results} <= {r["passage_id"] for r in by_relevance["results"]}
    bad = requests.get(base + "/api/search", params={"q": "储能", "sort": "newest"}, timeout=60)
    assert bad.status_code == 400 and "sort" in bad.json()["error"]["message"]


def test_latest_documents_api_and_page(newsroom, browser) -> None:
    base, engine, _ = newsroom
    body = requests.get(base + "/api/latest", params={"limit": "100"}, timeout=60).json()
    docs = body["documents"]
    assert body["total"] == len(engine.documents()) == len(docs)
    dates = [d["date"] for d in docs]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, key=day, reverse=True)
    assert dates[len(dated):] == [""] * (len(dates) - len(dated))
    only = requests.get(base + "/api/latest", params={"source": "南方日报"}, timeout=60).json()
    assert [d["doc_id"] for d in only["documents"]] == ["n4", "n5"]

    page = new_page(browser)
    page.goto(base + "/latest")
    shown = page.locator("[data-testid=latest-item]").evaluate_all("els => els.map(e => e.dataset.docId)")
    assert shown == [d["doc_id"] for d in docs]
    assert not page.js_errors


def test_clicking_a_refinement_narrows_the_search_and_keeps_the_query(newsroom, browser) -> None:
    base, engine, _ = newsroom
    page = new_page(browser)
    page.goto(base + "/?q=储能")
    source_facet = page.locator("[data-facet=source] [data-testid=refinement][data-value=新会侨报]")
    count = int(source_facet.locator(".refine__count").inner_text())
    source_facet.click()
    page.wait_for_load_state()
    query = parse_qs(urlparse(page.url).query)
    assert query["q"] == ["储能"] and query["source"] == ["新会侨报"]
    results = page.locator("[data-testid=result]")
    api = search(base, q="储能", source="新会侨报")
    assert api["facets"]["counted"] == count
    assert results.count() == min(count, 10)
    for pid in results.evaluate_all("els => els.map(e => e.dataset.passageId)"):
        assert engine.passage(pid).source == "新会侨报"
    active = page.locator("[data-testid=refinement].is-active")
    assert active.count() == 1 and active.get_attribute("data-value") == "新会侨报"

    # A second refinement combines with the first; then the newest-first toggle keeps both.
    page.locator("[data-facet=year] [data-testid=refinement][data-value='2024']").click()
    page.wait_for_load_state()
    query = parse_qs(urlparse(page.url).query)
    assert (query["source"], query["date_from"], query["date_to"]) == (["新会侨报"], ["2024"], ["2024"])
    assert [engine.passage(pid).doc_id for pid in
            page.locator("[data-testid=result]").evaluate_all("els => els.map(e => e.dataset.passageId)")] == ["n6"]
    page.locator("[data-testid=sort] [data-sort=date]").click()
    page.wait_for_load_state()
    assert parse_qs(urlparse(page.url).query)["sort"] == ["date"]
    assert parse_qs(urlparse(page.url).query)["source"] == ["新会侨报"]
    # Clicking the active refinement takes it off again.
    page.locator("[data-facet=source] [data-testid=refinement].is-active").click()
    page.wait_for_load_state()
    assert "source" not in parse_qs(urlparse(page.url).query)
    assert not page.js_errors


def test_the_widget_lists_newest_first_with_sort_date(newsroom, browser) -> None:
    base, _, host = newsroom
    page = new_page(browser)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/search" in r.url else None)
    page.goto(host + "/")
    page.locator("jm-search input").fill("储能")
    options = page.locator("jm-search [role=option][part~=result]")
    options.first.wait_for()
    assert asked and all(parse_qs(urlparse(url).query)["sort"] == ["date"] for url in asked)
    expected = [r["passage_id"] for r in search(base, q="储能", sort="date", k="10")["results"]]
    assert options.evaluate_all("els => els.map(e => e.dataset.passageId)") == expected
    assert not page.js_errors
