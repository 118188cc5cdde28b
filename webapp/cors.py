"""Cross-origin access to the JSON API, for the embeddable widget on other sites.

Only origins listed in ALLOWED_ORIGINS get `Access-Control-Allow-Origin` (their own origin
echoed back, with `Vary: Origin` so a cache never hands one site's answer to another);
`*` opens the API to every site, but only when it is configured literally. Any other
origin gets no CORS headers at all, so the browser keeps the response from its page. The
API has no cookies or sessions, so credentials are never allowed. The admin routes carry
a key and never answer cross-origin, whatever is configured.

A preflight (`OPTIONS` with `Access-Control-Request-Method`) on an API route is answered
here with 204 before any view or rate limit runs.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type"
# What a cross-origin script may read besides the simple headers: the rate-limit state,
# so a widget can say "try again in N s".
EXPOSE_HEADERS = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining"
PREFLIGHT_MAX_AGE = 600  # seconds; Chromium caps it at 7200, Firefox at 86400
ANY = "*"


def normalise_origin(origin: str) -> str:
    """`HTTPS://Example.org/` -> `https://example.org`: how a browser writes an Origin header."""
    return origin.strip().rstrip("/").lower()


def allowed_origin(origin: str | None, allowed: frozenset[str]) -> str | None:
    """The Access-Control-Allow-Origin value for a request from `origin`, or None.

    `null` (sandboxed frames, file: pages) is shared by every such page, so it is never
    matched by name; only `*` lets it in.
    """
    if not origin:
        return None
    if ANY in allowed:
        return ANY
    if origin == "null":
        return None
    return origin if normalise_origin(origin) in allowed else None


def is_cross_origin_path(path: str) -> bool:
    """API routes that may answer other sites: everything under /api/ except admin."""
    return path.startswith("/api/") and not (path == "/api/admin" or path.startswith("/api/admin/"))


def register_cors(app: Flask, origins: Iterable[str]) -> None:
    allowed = frozenset(normalise_origin(o) for o in origins if o.strip())

    @app.before_request
    def answer_preflight() -> Response | None:
        if (request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers
                or not is_cross_origin_path(request.path) or request.url_rule is None):
            return None
        response = Response(status=204)  # the CORS headers are added below, if the origin is allowed
        del response.headers["Content-Type"]  # no body, so no type (and no HTML-only Vary)
        return response

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        if not is_cross_origin_path(request.path):
            return response
        response.vary.add("Origin")  # the answer depends on it even when it is refused
        value = allowed_origin(request.headers.get("Origin"), allowed)
        if value is None:
            return response
        response.headers["Access-Control-Allow-Origin"] = value
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        else:
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response
