"""Replicas behind a load balancer share one rate limit through Redis (REDIS_URL).

Two separate app processes (gunicorn, one worker each, each with its own SQLite counter
file so only Redis can join them) serve the same build; one client's requests alternate
between them, as a round-robin balancer would send them.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests.servers import serve_redis, serve_with_gunicorn

SEARCH_LIMIT = 6


def require_redis_server() -> None:
    if shutil.which("redis-server"):
        return
    reason = "redis-server not found: run scripts/install.sh --browser"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    require_redis_server()
    with serve_redis() as url:
        yield url


@pytest.fixture(scope="module")
def replicas(bundled_data_dir: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    with ExitStack() as stack:
        bases = []
        for name in ("a", "b"):
            counters = tmp_path_factory.mktemp(f"replica-{name}") / "ratelimit.sqlite3"
            env = {"REDIS_URL": redis_url, "RATE_LIMIT_SEARCH": str(SEARCH_LIMIT), "RATE_LIMIT_ASK": "0",
                   "RATE_LIMIT_DB": str(counters), "TRUST_PROXY": "1"}
            bases.append(stack.enter_context(serve_with_gunicorn(bundled_data_dir, workers=1, env=env)))
        yield bases


def suggest(base: str, client: str) -> requests.Response:
    return requests.get(base + "/api/suggest", params={"q": "新"}, headers={"X-Forwarded-For": client}, timeout=60)


def test_two_replicas_enforce_one_limit(replicas: list[str]) -> None:
    statuses = [suggest(replicas[n % 2], "203.0.113.7").status_code for n in range(2 * SEARCH_LIMIT)]
    # Each replica counting alone would let 2 x SEARCH_LIMIT through.
    assert statuses == [200] * SEARCH_LIMIT + [429] * SEARCH_LIMIT, statuses
    refused = suggest(replicas[1], "203.0.113.7")
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Limit"] == str(SEARCH_LIMIT)
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    # Another client has its own allowance, on either replica.
    assert suggest(replicas[0], "203.0.113.8").status_code == 200
    assert suggest(replicas[1], "203.0.113.8").headers["X-RateLimit-Remaining"] == str(SEARCH_LIMIT - 2)


def test_counters_live_in_redis_not_in_the_replicas_files(replicas: list[str], redis_url: str) -> None:
    import redis

    suggest(replicas[0], "203.0.113.9")
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("*")]
    assert any("203.0.113.9" in key for key in keys), keys
