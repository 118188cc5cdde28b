"""Structured access log: one JSON line per request on stderr (gunicorn collects it).

Query text is personal data in a search log, so it is left out unless LOG_QUERIES is on.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time

from flask import Flask, Response, g, request

LOGGER = "webapp.access"


def access_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER)
    if not any(getattr(h, "is_access_log", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.is_access_log = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    # Always, even if someone added a handler first (which used to leave the level at WARNING).
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def register_access_log(app: Flask, log_queries: bool) -> None:
    logger = access_logger()

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        record = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "bytes": response.calculate_content_length(),
            "pid": os.getpid(),  # which gunicorn worker answered
        }
        query = request.args.get("q", g.get("query_text"))
        if log_queries and query is not None:
            record["q"] = query[:200]
        logger.info(json.dumps(record, ensure_ascii=False))
        return response
