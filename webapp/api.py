"""The JSON API: the contract the page, the widget and outside clients share.

Each view parses its parameters (webapp/params.py), calls the library, and serializes the
result (index/serialize.py); nothing here knows how search works.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from index import Document, SearchEngine, answer_json, document_json, document_summary_json, search_json
from index import ask as answer_question

from .current import current_engine
from .errors import ApiError, bad, missing
from .openapi import openapi_document
from .params import (
    MAX_DOCUMENTS_OFFSET,
    MAX_DOCUMENTS_PAGE,
    MAX_SUGGESTIONS,
    filters_param,
    int_param,
    json_body,
    query_text,
    search_params,
)
from .public_url import public_base_url

api = Blueprint("api", __name__, url_prefix="/api")
health = Blueprint("health", __name__)


def max_query_chars() -> int:
    return current_app.config["WEB_SETTINGS"].max_query_chars


@api.get("/search")
def search() -> Response:
    params = search_params(request.args, max_query_chars())
    result = current_engine().search(params.q, k=params.k, mode=params.mode, filters=params.filters,
                                      offset=params.offset, sort=params.sort)
    return jsonify(search_json(result, params.k, params.offset))


@api.route("/ask", methods=["GET", "POST"])
def ask() -> Response:
    question = query_text(_question_value(), max_query_chars())
    return jsonify(answer_json(answer_question(current_engine(), question)))


def _question_value() -> Any:
    if request.method == "GET":
        return request.args.get("q")
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "bad_body", 'the body must be a JSON object such as {"q": "…"}')
    if "q" not in body:
        raise missing("q")
    if not isinstance(body["q"], str):
        raise bad("q", "must be a string")
    g.query_text = body["q"]  # for the access log (LOG_QUERIES): a POST's question is not in the URL
    return body["q"]


@api.get("/suggest")
def suggest() -> Response:
    raw = request.args.get("q")
    if raw is None:
        raise missing("q")
    query_text(raw, max_query_chars(), required=False)  # only for the length check
    # Unstripped on the right: a trailing space means "the word is finished".
    prefix = raw.lstrip()
    limit = int_param(request.args, "limit", 8, 1, MAX_SUGGESTIONS)
    suggestions = current_engine().suggest(prefix, limit) if prefix.strip() else []
    return jsonify({"query": raw, "suggestions": suggestions})


@api.get("/documents")
def documents() -> Response:
    engine = current_engine()
    return document_page(engine, engine.documents(), default_limit=100)


@api.get("/latest")
def latest() -> Response:
    """Documents newest first (undated last), optionally filtered like a search."""
    engine = current_engine()
    return document_page(engine, engine.latest_documents(filters_param(request.args)), default_limit=20)


def document_page(engine: SearchEngine, docs: Sequence[Document], default_limit: int) -> Response:
    """One page (`limit`, `offset` from the request) of `docs`, each with its passage count."""
    limit = int_param(request.args, "limit", default_limit, 1, MAX_DOCUMENTS_PAGE)
    offset = int_param(request.args, "offset", 0, 0, MAX_DOCUMENTS_OFFSET)
    counts = engine.facets().passages_per_document
    return jsonify({
        "total": len(docs),
        "offset": offset,
        "limit": limit,
        "documents": [document_summary_json(d, counts.get(d.id, 0)) for d in docs[offset:offset + limit]],
    })


@api.get("/documents/<doc_id>")
def document(doc_id: str) -> Response:
    engine = current_engine()
    doc = engine.document(doc_id)
    if doc is None:
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    return jsonify(document_json(doc, engine.passages_of(doc_id)))


@api.get("/openapi.json")
def openapi() -> Response:
    settings = current_app.config["WEB_SETTINGS"]
    return jsonify(openapi_document(public_base_url(), settings.max_query_chars))


@health.get("/healthz")
def healthz() -> Response:
    engine = current_engine()
    facets = engine.facets()
    body = {
        "status": "degraded" if engine.degraded else "ok",
        "build": engine.build.marker,
        "documents": facets.documents,
        "passages": facets.passages,
        "degraded": engine.degraded,  # why an older build serves ("" when all is well)
    }
    return jsonify(body)
