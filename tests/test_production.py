"""Production behaviour under gunicorn (`python -m webapp`, 2 sync workers).

Admin ingestion while serving, rate limits shared by the workers, the JSON access log,
security headers, error bodies, the flask CLI, and processes killed at the worst moment:
a worker mid-traffic, a reindex mid-build.

The module's server turns rate limits on with small values and TRUST_PROXY=1, so each
test is its own client through X-Forwarded-For (tests/servers.py turns limits off by
default). Tests needing another configuration serve the app from a thread, or start
their own gunicorn.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from index import build_index, ingest_records, load_corpus, reindex_needed
from index.storage.layout import DataLayout
from tests.conftest import BUNDLED_CORPUS, REPO_ROOT, share_caches
from tests.servers import (
    gunicorn_pids,
    serve_in_thread,
    serve_with_gunicorn,
    server_log,
)

ADMIN_KEY = "test-admin-key-7c1f0e9a2b"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
XINHUI = "xinhui-manufacturing-backbone-2024"
BUNDLED_IDS = {d.id for d in load_corpus([BUNDLED_CORPUS]).documents}
RATE_LIMIT_ASK = 5
RATE_LIMIT_SEARCH = 8
MAX_UPLOAD_BYTES = 200_000
REINDEX_TIMEOUT = 300  # seconds: a rebuild embeds only new passages, but the machine is shared

_clients = itertools.count(1)


def client() -> dict[str, str]:
    """Headers of a client the server has never seen (TRUST_PROXY=1 reads X-Forwarded-For)."""
    n = next(_clients)
    return {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def get(base: str, path: str, headers: dict[str, str] | None = None, **params: object) -> requests.Response:
    return requests.get(base + path, params=params or None, headers=headers or client(), timeout=60)


def assert_error(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body


def log_records(base: str, since: int = 0) -> list[dict]:
    """The JSON access-log lines the server wrote after byte offset `since` of its log."""
    records = []
    with server_log(base).open("rb") as handle:
        handle.seek(since)
        for line in handle.read().decode("utf-8", "replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if "path" in record:
                    records.append(record)
    return records


def log_size(base: str) -> int:
    return server_log(base).stat().st_size


def wait_for(condition, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(interval)


def fresh_data_dir(root: Path, test_data_dir: Path, encoder) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    share_caches(test_data_dir, data)
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    return data


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, test_data_dir: Path, encoder) -> Path:
    return fresh_data_dir(tmp_path_factory.mktemp("production"), test_data_dir, encoder)


@pytest.fixture(scope="module")
def server(data_dir: Path):
    env = {"ADMIN_API_KEY": ADMIN_KEY, "RATE_LIMIT_ASK": str(RATE_LIMIT_ASK),
           "RATE_LIMIT_SEARCH": str(RATE_LIMIT_SEARCH), "TRUST_PROXY": "1",
           "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES), "CORPUS_DIR": str(BUNDLED_CORPUS)}
    with serve_with_gunicorn(data_dir, workers=2, env=env) as base:
        yield base
        # Let a reindex an admin test started finish before the data directory goes away.
        wait_for(lambda: not admin_status(base)["reindex_running"], REINDEX_TIMEOUT, "the last reindex")


def admin_status(base: str) -> dict:
    response = requests.get(base + "/api/admin/status", headers=ADMIN, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def wait_until_served(base: str, doc_id: str) -> None:
    """Until a request for the document succeeds; searches keep answering meanwhile."""
    def served() -> bool:
        assert get(base, "/api/search", q="新型储能", k=1).status_code == 200  # the old build answers
        return get(base, f"/api/documents/{doc_id}").status_code == 200

    wait_for(served, REINDEX_TIMEOUT, f"{doc_id} to be indexed", interval=1.0)


# --- admin ingestion over HTTP --------------------------------------------------------

def test_admin_needs_the_right_key(server: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"},
                    {"Authorization": f"Bearer {ADMIN_KEY[:-1]}"}, {"Authorization": ADMIN_KEY}):
        for method, path in (("POST", "/api/admin/reindex"), ("POST", "/api/admin/documents"),
                             ("GET", "/api/admin/status")):
            response = requests.request(method, server + path, headers=headers, json={"text": "x"}, timeout=30)
            assert_error(response, 401, "unauthorized")
            assert ADMIN_KEY not in response.text
    assert requests.get(server + "/api/admin/status", headers={"X-API-Key": ADMIN_KEY}, timeout=30).status_code == 200
    status = admin_status(server)
    assert set(status) == {"build", "documents", "passages", "reindex_running", "reindex_pending",
                           "last_build", "quarantined"}


def test_uploads_are_on_disk_before_the_202(server: str, data_dir: Path) -> None:
    markdown = ("---\nid: harbour-2024\ntitle: 江门港新码头\ndate: 2024-05\n---\n## 码头\n\n"
                "江门港新码头zqxharbour今年投产，集装箱吞吐能力提升。\n").encode()
    jsonl = "\n".join(json.dumps(record, ensure_ascii=False) for record in (
        {"id": "jl-1", "title": "第一篇", "text": "开平碉楼旅游zqxjsonl一号。"},
        {"id": "jl-2", "title": "第二篇", "text": "台山海鲜产业zqxjsonl二号。", "topic": "渔业"},
    )).encode()
    html = ("<html><head><title>新会陈皮</title></head><body><h1>陈皮产业</h1>"
            "<p>新会陈皮产业zqxhtml产值增长。</p><script>alert(1)</script></body></html>").encode()
    files = [("files", ("harbour.md", markdown, "text/markdown")),
             ("files", ("more.jsonl", jsonl, "application/jsonl")),
             ("files", ("tea.html", html, "text/html"))]
    response = requests.post(server + "/api/admin/documents", headers=ADMIN, files=files, timeout=60)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == ["harbour-2024", "jl-1", "jl-2", "tea"]
    added = DataLayout(data_dir).added
    # On disk the moment the 202 arrives: no waiting.
    saved = {p.name: p.read_text(encoding="utf-8") for p in added.glob("*.md")}
    assert {"harbour-2024.md", "jl-1.md", "jl-2.md", "tea.md"} <= set(saved)
    assert "zqxharbour" in saved["harbour-2024.md"] and "zqxhtml" in saved["tea.md"]
    assert "<script>" not in saved["tea.md"]  # the HTML loader keeps visible text only

    documents = {"documents": [{"id": "json-doc-1", "title": "JSON 文档", "text": "鹤山茶叶zqxjson出口。",
                                "date": "2024-06", "district": "鹤山"}]}
    response = requests.post(server + "/api/admin/documents", headers=ADMIN, json=documents, timeout=60)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == ["json-doc-1"]
    assert "zqxjson" in (added / "json-doc-1.md").read_text(encoding="utf-8")


def test_bad_uploads_are_refused_and_nothing_is_saved(server: str, data_dir: Path) -> None:
    added = DataLayout(data_dir).added

    def listing() -> dict[str, float]:
        return {p.name: p.stat().st_mtime for p in added.glob("*")} if added.exists() else {}

    before = listing()
    good = ("good.md", "---\nid: should-not-land\n---\n好的文档。\n".encode(), "text/markdown")
    cases = [
        ([("files", good), ("files", ("bad.txt", b"\xff\xfe\xfa not utf-8", "text/plain"))], "bad.txt"),
        ([("files", good), ("files", ("broken.jsonl", b'{"id": "b1", "text": "ok"}\n{nope', "text/plain"))],
         "broken.jsonl:2"),
        ([("files", ("virus.exe", b"MZ\x90\x00", "application/octet-stream"))], "unsupported file type"),
        ([("files", good), ("files", ("again.md", "---\nid: should-not-land\n---\n重复。\n".encode(), "text/plain"))],
         "appears twice"),
        ([("files", ("empty.md", b"", "text/markdown"))], "empty.md"),
    ]
    for files, reason in cases:
        response = requests.post(server + "/api/admin/documents", headers=ADMIN, files=files, timeout=60)
        body = assert_error(response, 400, "bad_document")
        assert reason in body["error"]["message"]
        assert "/tmp" not in response.text and "upload-" not in response.text, "no scratch paths in errors"
    for documents in ([{"id": "no-text", "title": "没有正文"}], [{"id": "bad id with spaces", "text": "正文"}], ["text"]):
        response = requests.post(server + "/api/admin/documents", headers=ADMIN, json={"documents": documents},
                                 timeout=60)
        assert_error(response, 400, "bad_document")
    assert_error(requests.post(server + "/api/admin/documents", headers={**ADMIN, "Content-Type": "application/json"},
                               data=b"{not json", timeout=60), 400, "bad_body")
    assert_error(requests.post(server + "/api/admin/documents", headers=ADMIN,
                               files=[("file", good)], timeout=60), 400, "missing_parameter")
    # A bundled document cannot be replaced: 409, whatever else the upload holds.
    for bundled in BUNDLED_IDS:
        response = requests.post(server + "/api/admin/documents", headers=ADMIN,
                                 json={"documents": [{"id": bundled, "title": "伪造", "text": "伪造的内容。"}]}, timeout=60)
        assert_error(response, 409, "conflict")
    too_big = [("files", ("big.md", "大".encode() * (MAX_UPLOAD_BYTES // 3 + 1000), "text/markdown"))]
    assert_error(requests.post(server + "/api/admin/documents", headers=ADMIN, files=too_big, timeout=60),
                 413, "payload_too_large")
    assert listing() == before


def test_after_a_reindex_every_worker_serves_the_upload(server: str) -> None:
    before = get(server, "/healthz").json()["build"]
    doc = {"id": "every-worker", "title": "每个工人", "text": "恩平温泉旅游zqxworker接待人次创新高。"}
    response = requests.post(server + "/api/admin/documents", headers=ADMIN, json={"documents": [doc]}, timeout=60)
    assert response.status_code == 202, response.text
    wait_until_served(server, "every-worker")
    _, workers = gunicorn_pids(server)
    assert len(workers) == 2
    since = log_size(server)

    def search(_: int) -> tuple[str, str]:
        body = get(server, "/api/search", q="zqxworker", mode="keyword", k=3).json()
        return body["results"][0]["doc_id"], get(server, "/healthz").json()["build"]

    # Concurrent requests, so both workers answer some of them.
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(search, range(24)))
    assert {doc_id for doc_id, _ in answers} == {"every-worker"}
    builds = {build for _, build in answers}
    assert len(builds) == 1 and builds != {before}
    served_by = {r["pid"] for r in log_records(server, since) if r["path"] in ("/api/search", "/healthz")}
    assert served_by == set(workers), "both workers answered, all from the new build"


# --- rate limits ----------------------------------------------------------------------

def test_ask_limit_is_429_with_retry_after_and_shared_by_the_workers(server: str) -> None:
    me = client()
    since = log_size(server)

    def ask(n: int) -> requests.Response:
        return requests.get(server + "/api/ask", params={"q": f"新会区有多少家专精特新企业？{n % 2}"}, headers=me,
                            timeout=60)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(ask, range(3 * RATE_LIMIT_ASK)))
    statuses = sorted(r.status_code for r in responses)
    # Per-worker counters would let up to 2 x RATE_LIMIT_ASK through.
    assert statuses == [200] * RATE_LIMIT_ASK + [429] * (2 * RATE_LIMIT_ASK), statuses
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == str(RATE_LIMIT_ASK)
        if response.status_code == 429:
            body = assert_error(response, 429, "rate_limited")
            assert str(RATE_LIMIT_ASK) in body["error"]["message"]
            retry_after = response.headers["Retry-After"]
            assert retry_after.isdigit() and 1 <= int(retry_after) <= 120
            assert response.headers["X-RateLimit-Remaining"] == "0"
    served_by = {r["pid"] for r in log_records(server, since) if r["path"] == "/api/ask"}
    assert served_by == set(gunicorn_pids(server)[1]), "both workers counted against one limit"
    # Another client is not affected.
    assert get(server, "/api/ask", q="新会区2023年GDP是多少？").status_code == 200


def test_search_limit_covers_search_suggest_and_the_page(server: str) -> None:
    me = client()
    paths = ["/api/search?q=工业", "/api/suggest?q=新", "/?q=工业"] * RATE_LIMIT_SEARCH
    for path in paths[:RATE_LIMIT_SEARCH]:
        assert requests.get(server + path, headers=me, timeout=60).status_code == 200, path
    assert_error(requests.get(server + "/api/search?q=工业", headers=me, timeout=60), 429, "rate_limited")
    page = requests.get(server + "/?q=工业", headers=me, timeout=60)
    assert page.status_code == 429 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Retry-After"].isdigit()
    # Documents, health and static files are not limited.
    for path in ("/api/documents", "/healthz", f"/api/documents/{XINHUI}", "/static/app.js", f"/doc/{XINHUI}"):
        assert requests.get(server + path, headers=me, timeout=60).status_code == 200, path


def test_retry_after_is_when_the_next_request_is_allowed(tmp_path: Path) -> None:
    """With the window full, the next window still carries its weighted count: the old
    Retry-After (the end of this window) sent clients back into another 429."""
    import random

    from webapp.ratelimit import RateLimiter

    limiter = RateLimiter(tmp_path / "limits.sqlite3")
    rng = random.Random(5)
    refusals = 0
    for trial in range(150):
        limit, now = rng.randint(1, 8), 60_000_000 + rng.uniform(0, 120)
        for _ in range(rng.randint(1, 25)):
            now += rng.uniform(0, 8)
            decision = limiter.hit(f"client-{trial}", "ask", limit, now=now)
            if decision.allowed:
                continue
            refusals += 1
            wait = decision.retry_after
            # Refused hits are not counted, so probing does not change the state.
            assert not limiter.hit(f"client-{trial}", "ask", limit, now=now + wait - 1.01).allowed
            assert limiter.hit(f"client-{trial}", "ask", limit, now=now + wait).allowed
            now += wait
    assert refusals > 100


def thread_app(engine, tmp_path: Path, **overrides: object):
    from webapp import create_app
    from webapp.settings import WebSettings

    settings = WebSettings.for_data_dir(engine.layout.root, **{"rate_limit_search": 0, "rate_limit_ask": 0,
                                                               "rate_limit_path": str(tmp_path / "rl.sqlite3"),
                                                               **overrides})
    return create_app(settings, engine=engine)


def test_forwarded_for_counts_only_behind_a_trusted_proxy(engine, tmp_path: Path) -> None:
    with serve_in_thread(thread_app(engine, tmp_path, rate_limit_search=2)) as base:
        statuses = [requests.get(base + "/api/suggest?q=新", headers={"X-Forwarded-For": f"192.0.2.{n}"},
                                 timeout=30).status_code for n in range(4)]
    assert statuses == [200, 200, 429, 429], "a spoofed X-Forwarded-For must not buy a fresh allowance"


def test_rate_limiter_fails_closed(engine, tmp_path: Path) -> None:
    """An unusable counter store refuses limited requests (issue 15: it used to let every
    request through unlimited); tests/test_hostile_requests.py checks the log line and the
    recovery."""
    (tmp_path / "not-a-folder").write_text("x")
    unusable = tmp_path / "not-a-folder" / "rl.sqlite3"  # its parent is a file
    with serve_in_thread(thread_app(engine, tmp_path, rate_limit_search=1, rate_limit_path=str(unusable))) as base:
        for _ in range(3):
            assert_error(requests.get(base + "/api/search?q=工业", timeout=60), 503, "rate_limiter_unavailable")


# --- access log, headers, error bodies ------------------------------------------------

def test_access_log_is_one_json_line_per_request_without_query_text(server: str) -> None:
    marker = "访问日志隐私标记zqxprivate"
    since = log_size(server)
    me = client()
    requests.get(server + "/api/search", params={"q": marker}, headers=me, timeout=60)
    requests.get(server + "/", params={"q": marker}, headers=me, timeout=60)
    requests.post(server + "/api/ask", json={"q": marker}, headers=me, timeout=60)
    requests.get(server + "/api/nothing-here", params={"q": marker}, headers=me, timeout=60)
    requests.delete(server + "/api/search", params={"q": marker}, headers=me, timeout=60)
    for _ in range(RATE_LIMIT_SEARCH + 1):
        requests.get(server + "/api/suggest", params={"q": marker}, headers=me, timeout=60)
    time.sleep(0.5)
    text = server_log(server).read_bytes()[since:].decode("utf-8", "replace")
    assert marker not in text and "zqxprivate" not in text
    records = log_records(server, since)
    seen = {(r["method"], r["path"], r["status"]) for r in records}
    assert {("GET", "/api/search", 200), ("GET", "/", 200), ("POST", "/api/ask", 200),
            ("GET", "/api/nothing-here", 404), ("DELETE", "/api/search", 405),
            ("GET", "/api/suggest", 200), ("GET", "/api/suggest", 429)} <= seen
    for record in records:
        assert {"ts", "method", "path", "status", "latency_ms", "bytes", "pid"} <= set(record)
        assert isinstance(record["latency_ms"], float) and record["latency_ms"] >= 0, record
        assert "q" not in record


def test_log_queries_puts_the_query_in_the_access_log(engine, tmp_path: Path) -> None:
    from webapp.access_log import LOGGER

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    logging.getLogger(LOGGER).addHandler(handler)
    try:
        for log_queries in (False, True):
            with serve_in_thread(thread_app(engine, tmp_path, log_queries=log_queries)) as base:
                requests.get(base + "/api/suggest", params={"q": "新型"}, timeout=30)
                requests.post(base + "/api/ask", json={"q": "新会区GDP多少？"}, timeout=60)
    finally:
        logging.getLogger(LOGGER).removeHandler(handler)
    off, on = (json.loads(line) for line in lines if '"/api/suggest"' in line)
    assert "q" not in off and on["q"] == "新型"
    off, on = (json.loads(line) for line in lines if '"/api/ask"' in line)
    assert "q" not in off and on["q"] == "新会区GDP多少？"  # a POST body's question too


def test_security_headers_on_pages_and_api(server: str) -> None:
    paths = ["/", "/?q=工业", f"/doc/{XINHUI}", "/doc/no-such-doc", "/api/search?q=工业", "/api/nothing",
             "/api/admin/status", "/healthz", "/api/openapi.json", "/static/app.js"]
    for path in paths:
        response = requests.get(server + path, headers=client(), timeout=60)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors" in csp, path
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


TRACE_MARKERS = ("Traceback", 'File "', "site-packages", "/work/", "/tmp/", "/usr/", ".py\"", ".py,", "werkzeug.")


def test_error_bodies_never_carry_a_traceback_or_a_path(server: str) -> None:
    cases: list[tuple[str, str, dict, int]] = [
        ("GET", "/api/nothing-here", {}, 404),
        ("GET", "/nothing-here", {}, 404),
        ("GET", "/doc/no-such-doc", {}, 404),
        ("GET", "/api/documents/no-such-doc", {}, 404),
        ("GET", "/api/documents/..%2F..%2Fetc%2Fpasswd", {}, 404),
        ("GET", "/static/../webapp/__init__.py", {}, 404),
        ("DELETE", "/api/search?q=x", {}, 405),
        ("POST", "/", {}, 405),
        ("POST", "/api/ask", {"data": b"{" + b" " * 70_000 + b"}", "headers": {"Content-Type": "application/json"}}, 413),
        ("GET", "/api/search?q=" + "工" * 501, {}, 413),
        ("GET", "/?q=" + "工" * 501, {}, 413),
        ("GET", "/api/search?q=工业&k=ten", {}, 400),
        ("GET", "/api/search?q=工业&date_from=yesterday", {}, 400),
        ("POST", "/api/ask", {"data": b"\xff\xfe", "headers": {"Content-Type": "application/json"}}, 400),
        ("POST", "/api/ask", {"json": {"q": ["list"]}}, 400),
        # A lone surrogate is valid JSON but not text: the tokenizer raised on it (500).
        ("POST", "/api/ask", {"data": b'{"q": "\\ud800 x"}', "headers": {"Content-Type": "application/json"}}, 400),
        ("GET", "/api/admin/status", {}, 401),
        ("POST", "/api/admin/documents", {"headers": ADMIN, "files": [("files", ("x.md", b"\xff", "text/plain"))]}, 400),
    ]
    for method, path, kwargs, status in cases:
        headers = {**client(), **kwargs.pop("headers", {})}
        response = requests.request(method, server + path, headers=headers, timeout=60, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text[:300])
        for marker in TRACE_MARKERS:
            assert marker not in response.text, (method, path, marker, response.text[:300])
        if path.startswith("/api/"):
            assert_error(response, status)
        else:
            assert response.headers["Content-Type"].startswith("text/html")
    # Beyond gunicorn's request-line limit (8190 bytes) the answer comes from gunicorn itself:
    # a short plain 4xx page, still nothing internal in it.
    for response in (requests.get(server + "/api/search?q=" + "a" * 100_000, timeout=60),
                     requests.get(server + "/api/search?q=x", headers={"X-Big": "a" * 10_000}, timeout=60)):
        assert 400 <= response.status_code < 500 and len(response.content) < 1000
        for marker in TRACE_MARKERS:
            assert marker not in response.text


# --- operator commands ----------------------------------------------------------------

def flask_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "CORPUS_DIR": str(BUNDLED_CORPUS), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=REINDEX_TIMEOUT, check=False)


def test_flask_cli_ingest_and_reindex_while_serving(server: str, data_dir: Path, tmp_path: Path) -> None:
    wait_for(lambda: not (s := admin_status(server))["reindex_running"] and not s["reindex_pending"],
             REINDEX_TIMEOUT, "earlier reindexes")
    article = tmp_path / "cli-article.md"
    article.write_text("---\nid: cli-article\ntitle: 命令行加入\n---\n\n鹤山咸水鸭zqxcli产业规模扩大。\n", encoding="utf-8")
    result = flask_cli("ingest", str(article), data_dir=data_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[0]) == {"accepted": ["cli-article"]}
    assert "1 build(s)" in result.stdout
    body = get(server, "/api/search", q="zqxcli", mode="keyword").json()
    assert body["results"][0]["doc_id"] == "cli-article", "the running server switched to the CLI's build"

    before = get(server, "/healthz").json()["build"]
    result = flask_cli("reindex", data_dir=data_dir)
    assert result.returncode == 0 and "1 build(s)" in result.stdout, result.stderr[-2000:]
    assert get(server, "/healthz").json()["build"] != before

    bad = tmp_path / "bad.md"
    bad.write_bytes("caf\xe9 au lait".encode("latin-1"))  # FF FE would be a UTF-16 mark, now read
    result = flask_cli("ingest", str(bad), data_dir=data_dir)
    assert result.returncode != 0 and "not UTF-8" in result.stderr and "Traceback" not in result.stderr
    assert not (DataLayout(data_dir).added / "bad.md").exists()


# --- processes killed at the worst moment ---------------------------------------------

def test_a_worker_killed_mid_traffic_is_replaced_and_service_continues(server: str) -> None:
    master, workers = gunicorn_pids(server)
    assert len(workers) == 2
    outcomes: list[tuple[float, bool]] = []
    stop = threading.Event()
    queries = itertools.cycle(["新型储能", "江门工业", "GDP", "专精特新企业", "industry"])

    def traffic() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                ok = get(server, "/api/search", q=next(queries), k=3).status_code == 200
            except requests.RequestException:
                ok = False
            outcomes.append((started, ok))

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        os.kill(workers[0], signal.SIGKILL)
        killed_at = time.monotonic()
        replaced = wait_for(lambda: (w := gunicorn_pids(server)[1]) and len(w) == 2 and workers[0] not in w and w,
                            60, "gunicorn to replace the worker", interval=0.2)
        replaced_at = time.monotonic()
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    assert gunicorn_pids(server)[0] == master and workers[1] in replaced
    failures = [t for t, ok in outcomes if not ok]
    # Only requests the killed worker had already accepted can fail.
    assert len(failures) <= 3 and all(killed_at - 10 <= t <= replaced_at for t in failures), failures
    after = [ok for t, ok in outcomes if t > replaced_at]
    assert len(after) >= 5 and all(after)


def big_document(stamp: int) -> dict:
    paragraphs = "\n\n".join(f"第{i}段：台山第{i}号海上风电项目zqxkilled计划投资{i * 7}.{stamp % 97}亿元，"
                             f"预计年发电量{i * 3}亿千瓦时。" * 4 for i in range(40))
    return {"id": "killed-reindex-doc", "title": "被打断的重建", "text": paragraphs}


def test_killed_reindex_keeps_the_old_build_and_the_next_start_indexes_the_upload(
        tmp_path: Path, test_data_dir: Path, encoder) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to((test_data_dir / "models").resolve(), target_is_directory=True)
    # Its own copy of the vector cache: the upload's vectors are unique to this run and must
    # be computed (that is where the reindex gets killed), without landing in the shared cache.
    shutil.copytree((test_data_dir / "cache").resolve(), data / "cache")
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    layout = DataLayout(data)
    served_before = layout.current_marker()
    env = {"CORPUS_DIR": str(BUNDLED_CORPUS)}  # and no ADMIN_API_KEY: admin is off

    with serve_with_gunicorn(data, workers=2, env=env) as base:
        assert_error(requests.post(base + "/api/admin/reindex", headers=ADMIN, timeout=30), 403, "admin_disabled")
        ingest_records(data, [big_document(time.time_ns())], BUNDLED_IDS)
        # What start_reindex runs, started here so the test holds its pid.
        reindex = subprocess.Popen(
            [sys.executable, "-m", "index", "--data", str(data), "reindex", "--corpus", str(BUNDLED_CORPUS)],
            cwd=REPO_ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The keyword index of the new build is on disk: the build is past halfway.
            wait_for(lambda: list(layout.builds.glob(".tmp-*/keyword/*.toc")) or reindex.poll() is not None,
                     REINDEX_TIMEOUT, "the reindex to reach embedding", interval=0.05)
            assert reindex.poll() is None, "the reindex finished before it could be killed"
            reindex.send_signal(signal.SIGKILL)
            reindex.wait(timeout=30)
        finally:
            if reindex.poll() is None:
                reindex.kill()
        assert layout.current_marker() == served_before
        assert list(layout.builds.glob(".tmp-*")), "the half-built folder is left for the next build to sweep"
        for _ in range(10):  # both workers keep serving the old, complete build
            assert get(base, "/healthz").json()["build"] == served_before
            assert get(base, "/api/search", q="新型储能", k=1).status_code == 200
            assert_error(get(base, "/api/documents/killed-reindex-doc"), 404)
        # An upload that got its 202 just before the crash: saved, not indexed.
        ingest_records(data, [{"id": "saved-before-crash", "title": "崩溃前保存", "text": "开平碉楼zqxcrash游客增长。"}],
                       BUNDLED_IDS)
    assert (layout.added / "killed-reindex-doc.md").is_file() and (layout.added / "saved-before-crash.md").is_file()
    assert reindex_needed(data)

    with serve_with_gunicorn(data, workers=2, env=env) as base:
        wait_until_served(base, "killed-reindex-doc")
        for _ in range(10):
            assert get(base, "/api/documents/killed-reindex-doc").status_code == 200
            assert get(base, "/api/search", q="zqxcrash", mode="keyword").json()["results"][0]["doc_id"] == \
                "saved-before-crash"
        wait_for(lambda: not reindex_needed(data), 60, "the reindex to settle")
    assert layout.current_marker() != served_before
    assert not list(layout.builds.glob(".tmp-*"))
