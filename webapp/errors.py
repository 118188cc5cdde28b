"""One error shape for the API, `{"error": {"code", "message"}}`, and a page for people.

API paths (and /healthz) always answer errors in JSON; pages answer with an HTML page in
the interface language. A 500 never shows a stack trace, only a generic message; the
trace goes to the log.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

# HTTP status -> the code clients switch on when the view did not choose a finer one.
DEFAULT_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the client can act on; the message says what to change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    return ApiError(400, "missing_parameter", f"the parameter '{name}' is required")


def bad(name: str, why: str) -> ApiError:
    return ApiError(400, "bad_parameter", f"bad parameter '{name}': {why}")


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path == "/api" or path == "/healthz"


def error_response(status: int, code: str, message: str) -> Response:
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = Response(render_template("error.html", status=status, code=code), mimetype="text/html")
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def on_api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(SecurityError)
    def on_untrusted_host(exc: SecurityError) -> Response:
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page either.
        response = jsonify({"error": {"code": "untrusted_host", "message": "this host name is not served here"}})
        response.status_code = 400
        return response

    @app.errorhandler(HTTPException)
    def on_http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = DEFAULT_CODES.get(status, "http_error")
        message = exc.description or exc.name
        response = error_response(status, code, message)
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error; the details are in the server log")
