"""Requests that got round a limit or past a check (issue 15, item 5), against the real app
over HTTP: the page's answer card and the ask limit, YAML alias bombs, deeply nested JSON,
a spoofed Host header, a broken rate-limit store."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from index import IngestError, ingest_files
from tests.conftest import NO_RATE_LIMITS
from tests.servers import serve_in_thread

QUESTION = "新会区2023年GDP是多少？"
ADMIN_KEY = "test-admin-key"


@contextmanager
def app_server(bundled_data_dir: Path, engine, **settings: object) -> Iterator[str]:
    from webapp import create_app
    from webapp.settings import WebSettings

    app = create_app(WebSettings.for_data_dir(bundled_data_dir, **settings), engine=engine)
    with serve_in_thread(app) as base_url:
        yield base_url


def test_the_search_page_shares_the_ask_limit(bundled_data_dir: Path, engine, tmp_path: Path) -> None:
    with app_server(bundled_data_dir, engine, rate_limit_ask=2, rate_limit_search=100,
                    rate_limit_path=str(tmp_path / "limits.sqlite3")) as base_url:
        page = requests.get(base_url + "/", params={"q": QUESTION}, timeout=300)
        assert page.status_code == 200 and 'data-testid="answer"' in page.text  # one answer used
        assert requests.get(base_url + "/api/ask", params={"q": QUESTION}, timeout=300).status_code == 200
        assert requests.get(base_url + "/api/ask", params={"q": QUESTION}, timeout=300).status_code == 429
        page = requests.get(base_url + "/", params={"q": QUESTION}, timeout=300)
        assert page.status_code == 200, "the results still show"
        assert 'data-testid="answer"' not in page.text, "but no answer beyond the ask limit"


def test_front_matter_with_yaml_aliases_is_refused(tmp_path: Path) -> None:
    bomb = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    bomb += "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n---\n正文。\n"
    with pytest.raises(IngestError, match="aliases"):
        ingest_files(tmp_path / "data", [("bomb.md", bomb.encode())], set())
    assert not (tmp_path / "data" / "added").exists() or not any((tmp_path / "data" / "added").iterdir())


def test_deeply_nested_json_bodies_get_400_bad_body(bundled_data_dir: Path, engine) -> None:
    nested = "[" * 5_000 + "]" * 5_000  # past json's own recursion limit (RecursionError)
    deep = f'{{"q": "{QUESTION}", "x": {"[" * 40 + "]" * 40}}}'  # json parses it; 41 levels is too deep
    with app_server(bundled_data_dir, engine, admin_api_key=ADMIN_KEY, **NO_RATE_LIMITS) as base_url:
        for body in (nested, deep):
            for path, headers in (("/api/ask", {}), ("/api/admin/documents", {"Authorization": f"Bearer {ADMIN_KEY}"})):
                reply = requests.post(base_url + path, data=body, timeout=60,
                                      headers={"Content-Type": "application/json", **headers})
                assert reply.status_code == 400, (path, reply.status_code, reply.text[:200])
                assert reply.json()["error"]["code"] == "bad_body"


def test_the_host_header_is_not_printed(bundled_data_dir: Path, engine) -> None:
    evil = {"Host": "evil.example"}
    with app_server(bundled_data_dir, engine, **NO_RATE_LIMITS) as base_url:
        widget = requests.get(base_url + "/widget", headers=evil, timeout=30)
        assert widget.status_code == 200 and "evil.example" not in widget.text
        spec = requests.get(base_url + "/api/openapi.json", headers=evil, timeout=30).json()
        assert "evil.example" not in spec["servers"][0]["url"]
        # Development on a loopback address still gets a working snippet.
        assert f'endpoint="{base_url}"' in requests.get(base_url + "/widget", timeout=30).text
    with app_server(bundled_data_dir, engine, public_url="https://search.example.org", **NO_RATE_LIMITS) as base_url:
        assert 'endpoint="https://search.example.org"' in requests.get(base_url + "/widget", headers=evil,
                                                                       timeout=30).text
        spec = requests.get(base_url + "/api/openapi.json", headers=evil, timeout=30).json()
        assert spec["servers"][0]["url"] == "https://search.example.org"
    with app_server(bundled_data_dir, engine, trusted_hosts=("127.0.0.1",), **NO_RATE_LIMITS) as base_url:
        refused = requests.get(base_url + "/widget", headers=evil, timeout=30)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "untrusted_host"
        assert requests.get(base_url + "/healthz", timeout=30).status_code == 200


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_broken_rate_limit_store_fails_closed_with_one_clear_log_line(bundled_data_dir: Path, engine,
                                                                        tmp_path: Path) -> None:
    store = tmp_path / "limits.sqlite3"
    store.write_bytes(b"this is not a database" * 100)
    collect = Collect()
    logging.getLogger("webapp.limits").addHandler(collect)
    try:
        with app_server(bundled_data_dir, engine, rate_limit_path=str(store)) as base_url:
            for _ in range(3):
                reply = requests.get(base_url + "/api/search", params={"q": "新会"}, timeout=30)
                assert reply.status_code == 503 and reply.json()["error"]["code"] == "rate_limiter_unavailable"
            assert requests.get(base_url + "/healthz", timeout=30).status_code == 200  # not limited
            assert len(collect.lines) == 1 and str(store) in collect.lines[0], collect.lines
            store.unlink()  # the operator removes the broken file: limits work again
            assert requests.get(base_url + "/api/search", params={"q": "新会"}, timeout=30).status_code == 200
    finally:
        logging.getLogger("webapp.limits").removeHandler(collect)
