"""1,000 generated hostile queries against `python -m webapp` (gunicorn, 2 workers), the
bounded CI version of `python -m benchmarks.hostile_queries` (10,000 by default): no 5xx,
every reply well-formed, nothing reflected unescaped. See the script for what is sent and
checked."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.hostile_queries import (
    TARGETS,
    active_markup,
    generate_queries,
    report,
    run_queries,
)
from tests.servers import serve_with_gunicorn

QUERIES = 1_000


@pytest.fixture(scope="module")
def hostile_server(bundled_data_dir: Path):
    with serve_with_gunicorn(bundled_data_dir, workers=2) as base_url:  # rate limits off
        yield base_url


def test_the_markup_detector_catches_injections() -> None:
    page = ('<html><script src="/static/app.js"></script><input value="&#34;&lt;img src=x onerror=alert(1)&gt;">'
            "<svg><path d='M0'/></svg></html>")
    assert active_markup(page, page_scripts=1) == []
    injected = '<html><img src=x onerror=alert(1)><a href=" javascript:alert(1)">x</a><script>alert(1)</script></html>'
    assert active_markup(injected, page_scripts=0) == ["<img onerror=>", "<a href=javascript:>", "1 extra <script>"]


def test_a_thousand_hostile_queries(hostile_server: str) -> None:
    queries = generate_queries(QUERIES, seed=11)
    outcomes = run_queries(hostile_server, queries, concurrency=4)
    failures = [o for o in outcomes if o.problems]
    assert not failures, report(outcomes, 0)
    assert len(outcomes) == QUERIES
    per_target = Counter(o.query.target for o in outcomes)
    assert set(per_target) == set(TARGETS) and min(per_target.values()) >= QUERIES // len(TARGETS) - 10
    statuses = Counter((o.query.target, o.status) for o in outcomes)
    assert statuses[("ask-post", 413)] >= 1, "a 100 KB question in a JSON body gets 413 JSON"
    assert statuses[("ask-post", 400)] >= 1, "a lone surrogate in a JSON body gets 400"
    assert sum(n for (_, status), n in statuses.items() if status == 414) >= 1, "gunicorn refuses long URLs"
    assert sum(n for (_, status), n in statuses.items() if status == 200) >= QUERIES * 0.9
