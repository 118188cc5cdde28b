"""The JSON API over real HTTP, against the real app and a real index of the bundled corpus.

Most tests use the app served from a thread (`live_server`); the last ones start
`python -m webapp` itself (gunicorn, 2 workers) to check the way it is deployed.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests

from tests.conftest import BUNDLED_CORPUS, share_caches
from tests.servers import serve_in_thread, serve_with_gunicorn

HIT_FIELDS = {"passage_id", "doc_id", "title", "text", "snippet", "score", "date", "source", "url"}
CITATION_FIELDS = {"n", "passage_id", "doc_id", "title", "quote", "start", "end", "url", "page"}
XINHUI = "xinhui-manufacturing-backbone-2024"


def get(base: str, path: str, **params) -> requests.Response:
    return requests.get(base + path, params=params or None, timeout=60)


def assert_error(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body


def assert_hit(hit: dict) -> None:
    assert set(hit) >= HIT_FIELDS
    assert isinstance(hit["score"], float)
    assert hit["passage_id"].startswith(hit["doc_id"])
    # the snippet is escaped text whose only markup is <mark>
    assert re.sub(r"</?mark>", "", hit["snippet"]).count("<") == 0


# --- /api/search ----------------------------------------------------------------------

def test_search_contract_and_readable_chinese(live_server):
    response = get(live_server, "/api/search", q="新型储能", k=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "新型储能" in response.text and "\\u" not in response.text  # no \uXXXX escapes
    body = response.json()
    assert {"query", "total", "took_ms", "results"} <= set(body)
    assert body["query"] == "新型储能" and body["total"] >= len(body["results"]) > 0
    assert len(body["results"]) <= 5
    for hit in body["results"]:
        assert_hit(hit)
    assert "<mark>新型储能</mark>" in body["results"][0]["snippet"]


def test_search_paging_modes_and_filters(live_server):
    first = get(live_server, "/api/search", q="工业", k=3).json()
    second = get(live_server, "/api/search", q="工业", k=3, offset=3).json()
    assert first["total"] == second["total"] > 6
    assert not {h["passage_id"] for h in first["results"]} & {h["passage_id"] for h in second["results"]}
    for mode in ("keyword", "vector", "hybrid"):
        body = get(live_server, "/api/search", q="储能", mode=mode, k=3).json()
        assert body["results"], mode
        assert (body["keyword_matches"] is None) == (mode == "vector"), mode
    unmatched = get(live_server, "/api/search", q="xyzzy", k=3).json()
    assert unmatched["results"] and unmatched["keyword_matches"] == 0
    xinhui = get(live_server, "/api/search", q="工业", district="新会", k=50).json()["results"]
    assert xinhui and {h["doc_id"] for h in xinhui} == {XINHUI}
    late = get(live_server, "/api/search", q="工业", date_from="2024-01", date_to="2024", k=50).json()["results"]
    assert late and all(h["date"] >= "2024-01" for h in late)
    nothing = get(live_server, "/api/search", q="工业", source="没有这个来源").json()
    assert nothing["total"] == 0 and nothing["results"] == []


@pytest.mark.parametrize("params, code", [
    ({}, "missing_parameter"),
    ({"q": "   "}, "bad_parameter"),
    ({"q": "工业", "k": "0"}, "bad_parameter"),
    ({"q": "工业", "k": "51"}, "bad_parameter"),
    ({"q": "工业", "k": "ten"}, "bad_parameter"),
    ({"q": "工业", "offset": "-1"}, "bad_parameter"),
    ({"q": "工业", "offset": "1001"}, "bad_parameter"),
    ({"q": "工业", "mode": "fuzzy"}, "bad_parameter"),
    ({"q": "工业", "date_from": "2023/11"}, "bad_parameter"),
    ({"q": "工业", "date_to": "2023-13"}, "bad_parameter"),
    ({"q": "工业", "date_to": "2023-02-30"}, "bad_parameter"),
    ({"q": "工业", "date_from": "yesterday"}, "bad_parameter"),
    ({"q": "工业", "district": "区" * 101}, "bad_parameter"),
])
def test_search_bad_parameters_are_400(live_server, params, code):
    body = assert_error(get(live_server, "/api/search", **params), 400, code)
    name = next((k for k in ("k", "offset", "mode", "date_from", "date_to", "district") if k in params), "q")
    assert name in body["error"]["message"]


def test_overlong_query_is_413(live_server):
    assert_error(get(live_server, "/api/search", q="工" * 501), 413, "query_too_long")
    assert get(live_server, "/api/search", q="工" * 500).status_code == 200
    assert_error(get(live_server, "/api/ask", q="x" * 501), 413, "query_too_long")
    assert_error(get(live_server, "/api/suggest", q="x" * 501), 413, "query_too_long")


# --- /api/ask -------------------------------------------------------------------------

def test_ask_contract_markers_and_offsets(live_server):
    body = get(live_server, "/api/ask", q="新会区有多少家专精特新企业？").json()
    assert {"question", "answered", "answer", "citations", "passages", "took_ms", "lang", "confidence"} <= set(body)
    assert body["answered"] is True and body["lang"] == "zh"
    assert "133家" in body["answer"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers == {c["n"] for c in body["citations"]} and markers
    for citation in body["citations"]:
        assert set(citation) >= CITATION_FIELDS
        doc = get(live_server, f"/api/documents/{citation['doc_id']}").json()
        assert doc["text"][citation["start"]:citation["end"]] == citation["quote"]
        assert citation["passage_id"] in {p["passage_id"] for p in doc["passages"]}
    for hit in body["passages"]:
        assert_hit(hit)


def test_ask_in_english_cites_the_chinese_passage(live_server):
    body = get(live_server, "/api/ask", q="How many specialized and sophisticated enterprises does Xinhui have?").json()
    assert body["lang"] == "en" and body["answered"] is True
    assert any("133家" in c["quote"] for c in body["citations"])
    assert all(c["doc_id"] == XINHUI for c in body["citations"] if "133家" in c["quote"])


def test_ask_unanswerable_says_so(live_server):
    body = get(live_server, "/api/ask", q="江门的失业率是多少？").json()
    assert body["answered"] is False and body["citations"] == []
    assert body["answer"] and "[1]" not in body["answer"]
    assert body["passages"], "the closest passages are still listed"


def test_ask_post_json(live_server):
    response = requests.post(live_server + "/api/ask", json={"q": "新会区2023年GDP突破多少？"}, timeout=60)
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "新会区2023年GDP突破多少？"
    assert set(body) >= {"answered", "answer", "citations", "passages", "took_ms"}


@pytest.mark.parametrize("kwargs, status, code", [
    ({"data": "not json", "headers": {"Content-Type": "application/json"}}, 400, "bad_body"),
    ({"json": ["q"]}, 400, "bad_body"),
    ({"json": {"question": "x"}}, 400, "missing_parameter"),
    ({"json": {"q": 42}}, 400, "bad_parameter"),
    ({"json": {"q": ""}}, 400, "bad_parameter"),
    ({"json": {"q": "问" * 501}}, 413, "query_too_long"),
    ({"data": b"{" + b" " * 70_000 + b"}", "headers": {"Content-Type": "application/json"}}, 413, "payload_too_large"),
])
def test_ask_post_errors(live_server, kwargs, status, code):
    assert_error(requests.post(live_server + "/api/ask", timeout=60, **kwargs), status, code)


def test_ask_get_without_question_is_400(live_server):
    assert_error(get(live_server, "/api/ask"), 400, "missing_parameter")


# --- /api/suggest, /api/documents -----------------------------------------------------

def test_suggest_chinese_and_english(live_server):
    body = get(live_server, "/api/suggest", q="新型").json()
    assert body["query"] == "新型" and "新型储能" in body["suggestions"]
    assert all(s.startswith("新型") for s in body["suggestions"])
    english = get(live_server, "/api/suggest", q="gd").json()["suggestions"]
    assert "GDP" in english
    assert get(live_server, "/api/suggest", q="新", limit=3).json()["suggestions"].__len__() == 3
    assert get(live_server, "/api/suggest", q="").json()["suggestions"] == []
    assert_error(get(live_server, "/api/suggest"), 400, "missing_parameter")
    assert_error(get(live_server, "/api/suggest", q="新", limit=0), 400, "bad_parameter")


def test_documents_list_and_detail(live_server):
    listing = get(live_server, "/api/documents").json()
    assert listing["total"] == 2
    ids = {d["doc_id"] for d in listing["documents"]}
    assert ids == {XINHUI, "jiangmen-industry-ballast-2023"}
    for summary in listing["documents"]:
        assert summary["passages"] > 0 and summary["title"]
    assert len(get(live_server, "/api/documents", limit=1).json()["documents"]) == 1
    assert_error(get(live_server, "/api/documents", limit="x"), 400, "bad_parameter")

    doc = get(live_server, f"/api/documents/{XINHUI}").json()
    assert doc["doc_id"] == XINHUI and doc["title"] == "挺起工业『脊梁』支撑千亿GDP"
    assert "path" not in doc, "server file paths stay private"
    for block in doc["blocks"]:
        assert doc["text"][block["start"]:block["end"]] == block["text"]
    assert any(b["kind"] == "heading" for b in doc["blocks"])
    for passage in doc["passages"]:
        assert doc["text"][passage["start"]:passage["end"]] == passage["text"]


def test_unknown_document_is_404(live_server):
    assert_error(get(live_server, "/api/documents/no-such-doc"), 404, "not_found")


# --- errors, headers, OpenAPI, health -------------------------------------------------

def test_unknown_path_and_wrong_method(live_server):
    assert_error(get(live_server, "/api/nothing-here"), 404, "not_found")
    response = requests.delete(live_server + "/api/search?q=x", timeout=30)
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert_error(requests.put(live_server + "/api/ask", json={"q": "x"}, timeout=30), 405)
    assert_error(requests.post(live_server + "/healthz", timeout=30), 405)


@pytest.mark.parametrize("query", [
    "%00", "%ff%fe", "%ED%A0%80", "' OR 1=1 --", "\\", "*", "?", "AND OR NOT", "(", "\"unclosed", "title:x",
    "<script>alert(1)</script>", "🙂" * 10, "a" * 500, "%E3%80%80",
])
def test_odd_queries_never_500(live_server, query):
    for path in ("/api/search", "/api/ask", "/api/suggest", "/"):
        response = requests.get(f"{live_server}{path}?q={query}", timeout=60)
        assert response.status_code < 500, (path, query, response.text[:300])


def test_security_headers_everywhere(live_server):
    for path in ("/", "/api/search?q=工业", "/api/nothing", f"/doc/{XINHUI}", "/static/app.js"):
        headers = get(live_server, path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_openapi_matches_the_routes(live_server, web_app):
    spec = get(live_server, "/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    # A path item also holds non-operation keys (path-level "parameters", "summary").
    http_methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    described = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                 if method in http_methods}
    served = set()
    for rule in web_app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == served
    schemas = spec["components"]["schemas"]
    search = get(live_server, "/api/search", q="工业").json()
    assert set(schemas["SearchResponse"]["required"]) <= set(search)
    assert set(schemas["Hit"]["required"]) == HIT_FIELDS <= set(search["results"][0])
    assert set(schemas["Hit"]["properties"]) == set(search["results"][0])
    ask = get(live_server, "/api/ask", q="新会区有多少家专精特新企业？").json()
    assert set(schemas["AskResponse"]["properties"]) == set(ask)
    assert set(schemas["Citation"]["required"]) == CITATION_FIELDS == set(ask["citations"][0])
    doc = get(live_server, f"/api/documents/{XINHUI}").json()
    assert set(schemas["Document"]["properties"]) == set(doc)
    listing = get(live_server, "/api/documents").json()
    assert set(schemas["DocumentSummary"]["properties"]) == set(listing["documents"][0])
    assert set(schemas["Health"]["properties"]) == set(get(live_server, "/healthz").json())


def test_healthz(live_server):
    body = get(live_server, "/healthz").json()
    assert body["status"] == "ok" and body["documents"] == 2 and body["passages"] > 10 and body["build"]


def test_internal_errors_are_json_without_details(bundled_data_dir):
    from webapp import create_app
    from webapp.settings import WebSettings

    class BrokenEngine:
        def refresh(self) -> bool:
            return False

        def search(self, *args, **kwargs):
            raise RuntimeError("secret internal detail")

    app = create_app(WebSettings.for_data_dir(bundled_data_dir), engine=BrokenEngine())  # type: ignore[arg-type]
    with serve_in_thread(app) as base:
        response = get(base, "/api/search", q="工业")
        body = assert_error(response, 500, "internal_error")
        assert "secret" not in response.text and "Traceback" not in response.text
        page = get(base, "/", q="工业")
        assert page.status_code == 500 and "secret" not in page.text and "Traceback" not in page.text
        assert body


def test_no_index_is_503(tmp_path):
    from webapp import create_app
    from webapp.settings import WebSettings

    with serve_in_thread(create_app(WebSettings.for_data_dir(tmp_path / "empty"))) as base:
        assert_error(get(base, "/healthz"), 503, "index_not_built")
        assert_error(get(base, "/api/search", q="工业"), 503, "index_not_built")


# --- pages over HTTP (the browser tests cover how they behave) -------------------------

def test_pages_follow_accept_language_and_keep_the_choice(live_server):
    zh = requests.get(live_server + "/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}, timeout=30)
    assert '<html lang="zh-CN">' in zh.text and "搜索" in zh.text
    en = requests.get(live_server + "/", headers={"Accept-Language": "en-US,en;q=0.9"}, timeout=30)
    assert '<html lang="en">' in en.text and "Search or ask a question" in en.text
    session = requests.Session()
    switched = session.get(live_server + "/?lang=en", headers={"Accept-Language": "zh-CN"}, timeout=30)
    assert '<html lang="en">' in switched.text and session.cookies.get("lang") == "en"
    kept = session.get(live_server + "/?q=工业", headers={"Accept-Language": "zh-CN"}, timeout=30)
    assert '<html lang="en">' in kept.text
    assert "Accept-Language" in kept.headers["Vary"]


def test_a_question_in_english_gets_the_english_interface(live_server):
    zh_browser = {"Accept-Language": "zh-CN,zh;q=0.9"}
    asked = requests.get(live_server + "/", params={"q": "What was Xinhui's GDP in 2023?"}, headers=zh_browser, timeout=60)
    assert '<html lang="en">' in asked.text and "Answer" in asked.text
    keyword = requests.get(live_server + "/", params={"q": "GDP"}, headers=zh_browser, timeout=60)
    assert '<html lang="zh-CN">' in keyword.text, "only questions carry their language over"
    chosen = requests.get(live_server + "/", params={"q": "What was Xinhui's GDP in 2023?"}, headers=zh_browser,
                          cookies={"lang": "zh"}, timeout=60)
    assert '<html lang="zh-CN">' in chosen.text, "a language the user chose wins"


def test_search_page_statuses(live_server):
    assert get(live_server, "/", q="工业").status_code == 200
    assert get(live_server, "/", q="工" * 501).status_code == 413
    assert get(live_server, "/", q="工业", date_from="nope").status_code == 400
    missing = get(live_server, "/doc/no-such-doc")
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert get(live_server, f"/doc/{XINHUI}", hl="28-77").status_code == 200
    assert get(live_server, f"/doc/{XINHUI}", hl="junk").status_code == 200  # a bad highlight is ignored


def test_hostile_document_is_escaped_in_every_response(hostile_server):
    results = get(hostile_server, "/api/search", q="注入测试", k=5).json()["results"]
    hostile = [h for h in results if h["doc_id"] == "hostile-test-doc"]
    assert hostile and "<script>" in hostile[0]["title"]  # JSON carries the text as it is
    assert "<script>" not in hostile[0]["snippet"] and "&lt;script&gt;" in hostile[0]["snippet"]
    for path, params in (("/", {"q": "注入测试"}), ("/doc/hostile-test-doc", {"hl": "0-10"})):
        html = get(hostile_server, path, **params).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<iframe" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert not re.search(r"(href|src)=\"?javascript:", html, re.IGNORECASE)


# --- the deployed shape: python -m webapp under gunicorn --------------------------------

@pytest.fixture(scope="module")
def gunicorn_server(bundled_data_dir):
    with serve_with_gunicorn(bundled_data_dir, workers=2) as base_url:
        yield base_url


def test_gunicorn_serves_the_api(gunicorn_server):
    body = get(gunicorn_server, "/api/search", q="新型储能").json()
    assert body["results"] and "<mark>" in body["results"][0]["snippet"]
    assert get(gunicorn_server, "/api/ask", q="新会区有多少家专精特新企业？").json()["answered"] is True
    # 500 Chinese characters are 4.5 kB of URL: over gunicorn's default request-line limit
    assert get(gunicorn_server, "/api/search", q="工" * 500).status_code == 200
    assert_error(get(gunicorn_server, "/api/search", q="工" * 501), 413, "query_too_long")
    assert "搜索" in get(gunicorn_server, "/").text


def test_workers_pick_up_a_new_build(test_data_dir, encoder, tmp_path):
    """A rebuild published while gunicorn runs is served by every worker, no restart."""
    from index import build_index

    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    data_dir = test_data_dir / "live-refresh"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir()
    share_caches(test_data_dir, data_dir)
    build_index(corpus, data_dir, encoder=encoder)
    with serve_with_gunicorn(data_dir, workers=2) as base:
        assert get(base, "/api/documents").json()["total"] == 2
        (corpus / "late.md").write_text(
            "---\nid: late-arrival\ntitle: 后来加入的文章\ndate: 2024-03\n---\n\n迟到的文章讲述了鹤山的茶叶产业。\n",
            encoding="utf-8",
        )
        build_index(corpus, data_dir, encoder=encoder)
        for _ in range(6):  # several requests, so both workers answer some
            assert get(base, "/api/documents").json()["total"] == 3
        assert get(base, "/api/documents/late-arrival").status_code == 200


def test_a_broken_new_build_does_not_take_the_site_down(bundled_data_dir, encoder, tmp_path):
    from index import SearchEngine
    from webapp import create_app
    from webapp.settings import WebSettings

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copytree(bundled_data_dir / "builds", data_dir / "builds", symlinks=True)
    shutil.copy(bundled_data_dir / "CURRENT", data_dir / "CURRENT")
    for name in ("models", "cache"):
        (data_dir / name).symlink_to((bundled_data_dir / name).resolve(), target_is_directory=True)
    app = create_app(WebSettings.for_data_dir(data_dir), engine=SearchEngine(data_dir, encoder=encoder))
    with serve_in_thread(app) as base:
        served = get(base, "/healthz").json()["build"]
        shutil.copytree(data_dir / "builds" / served, data_dir / "builds" / "broken")
        (data_dir / "builds" / "broken" / "vectors.npy").unlink()
        (data_dir / "CURRENT").write_text("broken\n")
        for _ in range(3):
            assert get(base, "/healthz").json()["build"] == served
            assert get(base, "/api/search", q="新型储能").status_code == 200


def test_settings_from_environment(monkeypatch, tmp_path: Path):
    from webapp.settings import WebSettings

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MAX_QUERY_CHARS", "80")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("DEFAULT_LANG", "en")
    settings = WebSettings.from_env()
    assert settings.data_dir == tmp_path and settings.max_query_chars == 80 and settings.default_lang == "en"
    assert settings.allowed_origins == ("https://a.example", "https://b.example") and settings.workers == 2
    monkeypatch.setenv("WORKERS", "zero")
    with pytest.raises(ValueError, match="WORKERS"):
        WebSettings.from_env()


def test_english_question_gets_english_lines_tied_to_citations(live_server):
    ask = get(live_server, "/api/ask", q="How much did Jiangmen's industrial investment grow in 2022?").json()
    assert ask["answered"] and ask["lang"] == "en"
    numbers = {c["n"] for c in ask["citations"]}
    assert ask["english"] and {line["n"] for line in ask["english"]} <= numbers
    first = next(line for line in ask["english"] if line["n"] == 1)
    assert "19.2%" in first["text"] and "19.2%" in ask["citations"][0]["quote"]
    chinese = get(live_server, "/api/ask", q="2022年江门工业投资同比增长多少？").json()
    assert chinese["answered"] and chinese["english"] == []
