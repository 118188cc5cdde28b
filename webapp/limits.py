"""Per-client rate limits on the public endpoints, answered with 429 and Retry-After.

Every path to an answer shares the "ask" limit: /api/ask (the widget's too) by its path,
the search page's answer card through `ask_allowed` (over the limit, the page shows the
results without the card)."""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, current_app, g, request

from .errors import ApiError, error_response
from .ratelimit import Decision, RateLimiter, RateLimitStore, RateLimitStoreError
from .settings import WebSettings

logger = logging.getLogger(__name__)
EXTENSION = "rate_limits"

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


class RateLimits:
    """The limiter of one app: opened lazily (after gunicorn forks, one connection per
    worker), and failing closed: a counter store that cannot be read or written refuses
    limited requests with 503 instead of letting everyone through unlimited."""

    def __init__(self, app: Flask, limits: dict[str, int]) -> None:
        self.app = app
        self.limits = limits
        self._limiter: RateLimitStore | None = None
        self._broken = False  # log the failure once, not once per request

    def hit(self, rule: str) -> Decision | None:
        """Count this request against `rule`; None when the rule is off. Raises ApiError
        503 when the store is broken."""
        if not self.limits.get(rule):
            return None
        settings = self.app.config["WEB_SETTINGS"]
        path = "Redis at REDIS_URL" if settings.redis_url else settings.rate_limit_db
        try:
            if self._limiter is None:
                self._limiter = open_store(settings)
            decision = self._limiter.hit(request.remote_addr or "unknown", rule, self.limits[rule])
        except (sqlite3.Error, OSError, RateLimitStoreError) as exc:
            self._limiter = None  # reopened at the next request: an operator may have fixed it
            if not self._broken:
                logger.error("rate-limit store %s is unusable (%s): limited requests get 503 until it is "
                             "fixed (delete or repair the file, or set RATE_LIMIT_DB)", path, exc)
            self._broken = True
            raise ApiError(503, "rate_limiter_unavailable",
                           "the rate limiter is unavailable; try again later") from None
        if self._broken:
            logger.warning("rate-limit store %s works again", path)
            self._broken = False
        return decision


def rate_limits() -> RateLimits:
    return current_app.extensions[EXTENSION]


def ask_allowed() -> bool:
    """Count one answer against the ask limit, for paths that answer besides /api/ask (the
    search page's answer card): False when the client has used its answers up."""
    decision = rate_limits().hit("ask")
    return decision is None or decision.allowed


def register_rate_limits(app: Flask, limits: dict[str, int]) -> None:
    """`limits` maps a rule ("ask", "search") to requests per minute; 0 turns a rule off."""
    app.extensions[EXTENSION] = RateLimits(app, limits)

    @app.before_request
    def check_rate_limit() -> Response | None:
        rule = rule_for(request.path)
        if rule is None or request.method == "OPTIONS":
            return None
        try:
            decision = rate_limits().hit(rule)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message)
        if decision is None:
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
