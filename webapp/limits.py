"""Per-client rate limits on the public endpoints, answered with 429 and Retry-After."""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, g, request

from .errors import error_response
from .ratelimit import RateLimiter, RateLimitStore, RateLimitStoreError
from .settings import WebSettings

logger = logging.getLogger(__name__)

# Which limit a path counts against; anything else (pages of documents, static files,
# health checks, admin behind its key) is not limited.
ASK_PATHS = ("/api/ask",)
SEARCH_PATHS = ("/api/search", "/api/suggest", "/")


def rule_for(path: str) -> str | None:
    if path in ASK_PATHS:
        return "ask"
    if path in SEARCH_PATHS:
        return "search"
    return None


def open_store(settings: WebSettings) -> RateLimitStore:
    """Redis when REDIS_URL is set (replicas share it), else the SQLite file the workers share."""
    if settings.redis_url:
        from .ratelimit_redis import RedisRateLimiter  # redis is only needed where it is configured

        return RedisRateLimiter(settings.redis_url)
    return RateLimiter(settings.rate_limit_db)


def register_rate_limits(app: Flask, limits: dict[str, int]) -> None:
    """`limits` maps a rule ("ask", "search") to requests per minute; 0 turns a rule off."""
    limiter: RateLimitStore | None = None

    @app.before_request
    def check_rate_limit() -> Response | None:
        nonlocal limiter
        rule = rule_for(request.path)
        if rule is None or request.method == "OPTIONS" or not limits.get(rule):
            return None
        try:
            if limiter is None:  # opened lazily: after gunicorn forks, one connection per worker
                limiter = open_store(app.config["WEB_SETTINGS"])
            decision = limiter.hit(request.remote_addr or "unknown", rule, limits[rule])
        except (sqlite3.Error, OSError, RateLimitStoreError):
            # Fail open: a locked or unwritable counter file must not turn searches into 500s.
            logger.exception("rate limiter unavailable; request let through")
            return None
        g.rate_limit = decision
        if decision.allowed:
            return None
        response = error_response(429, "rate_limited",
                                  f"too many requests: at most {decision.limit} per minute; "
                                  f"try again in {decision.retry_after} s")
        response.headers["Retry-After"] = str(decision.retry_after)
        return response

    @app.after_request
    def rate_limit_headers(response: Response) -> Response:
        decision = g.get("rate_limit")
        if decision is not None:
            response.headers["X-RateLimit-Limit"] = str(decision.limit)
            response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        return response
