"""The OpenAPI 3 description served at /api/openapi.json.

Written by hand next to the views it describes; tests/test_api.py checks that every
route is described, that every described route exists, and that real responses carry the
required fields of their schemas.
"""
from __future__ import annotations

from typing import Any

from .params import (
    MAX_DOCUMENTS_OFFSET,
    MAX_DOCUMENTS_PAGE,
    MAX_FILTER_CHARS,
    MAX_K,
    MAX_OFFSET,
    MAX_SUGGESTIONS,
)

API_VERSION = "1.0.0"


# A query must hold something besides white space: what str.strip() removes, which is
# Unicode White_Space (JSON Schema's \s) plus the four ASCII separators \x1c-\x1f.
NOT_BLANK = r"[^\s\x1c-\x1f]"
# YYYY, YYYY-MM or YYYY-MM-DD with a real month and day number ([0-9]: ASCII digits only);
# white space around it is dropped, and a blank value means no bound (as a form sends it).
DATE_PATTERN = r"^[\s\x1c-\x1f]*([0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?)?[\s\x1c-\x1f]*$"
# Document ids: letters, digits, '_', '-', '.', not starting with '.' (a hidden file the build
# would skip); README and LICENSE are refused too (ignored file names).
DOC_ID_PATTERN = r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,119}$"


def _question(max_chars: int, description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_chars, "pattern": NOT_BLANK,
            "description": f"{description}, 1 to {max_chars} characters besides leading and trailing white space"}


_SCRIPT: dict[str, Any] = {"type": "string", "enum": ["Hant", "Hans", ""],
                           "description": "the script the query was typed in: Hant (traditional Chinese, searched as its simplified "
                                          "twin), Hans (simplified), empty without Chinese characters"}


def _string(description: str = "") -> dict[str, Any]:
    return {"type": "string", "description": description} if description else {"type": "string"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": required if required is not None else list(properties),
            "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _query(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    if not required:
        parameter["allowEmptyValue"] = True  # `k=` means the default, as a blank HTML form field sends it
    return parameter


_PAGE = {"type": "integer", "minimum": 1, "nullable": True,
         "description": "page of a PDF it is on (1-based); null for sources without pages"}


def schemas() -> dict[str, Any]:
    hit = _object({
        "passage_id": _string("stable id of the passage, `<doc_id>-p<n>`"),
        "doc_id": _string(),
        "title": _string("title of the document"),
        "text": _string("the passage, plain text"),
        "snippet": _string("escaped HTML: a window of the text with <mark> around matched terms"),
        "score": {"type": "number", "description": "fused score in hybrid mode, the side's own score otherwise"},
        "date": _string("ISO date of the document, YYYY-MM-DD or YYYY-MM"),
        "source": _string(),
        "url": _string("original address, empty when unknown"),
        "district": _string(),
        "heading": _string("section headings above the passage, joined by ' · '"),
        "lang": _string("language of the passage: zh or en"),
        "start": {"type": "integer", "description": "offset of the passage in the document text"},
        "end": {"type": "integer"},
        "page": _PAGE,
        "keyword_score": {"type": "number", "nullable": True, "description": "BM25F score; null when the keyword side did not rank it"},
        "vector_score": {"type": "number", "nullable": True, "description": "cosine to the query; null when outside the vector candidates"},
    }, required=["passage_id", "doc_id", "title", "text", "snippet", "score", "date", "source", "url"])
    citation = _object({
        "n": {"type": "integer", "description": "the number used by the [n] marker in the answer"},
        "passage_id": _string(),
        "doc_id": _string(),
        "title": _string(),
        "quote": _string("the quoted sentence, verbatim"),
        "start": {"type": "integer", "description": "offset of the quote in the document text"},
        "end": {"type": "integer"},
        "url": _string(),
        "page": _PAGE,
    })
    passage = _object({"passage_id": _string(), "heading": _string(), "text": _string(),
                       "start": {"type": "integer"}, "end": {"type": "integer"}, "page": _PAGE},
                      required=["passage_id", "heading", "text", "start", "end"])
    block = _object({"kind": {"type": "string", "enum": ["heading", "paragraph", "caption"]},
                     "level": {"type": "integer"}, "text": _string(),
                     "start": {"type": "integer"}, "end": {"type": "integer"}, "page": _PAGE},
                    required=["kind", "level", "text", "start", "end"])
    summary = _object({"doc_id": _string(), "title": _string(), "date": _string(), "source": _string(),
                       "district": _string(), "lang": _string(), "url": _string(),
                       "chars": {"type": "integer"}, "passages": {"type": "integer"}})
    return {
        "Hit": hit,
        "Citation": citation,
        "SearchResponse": _object({
            "query": _string(), "total": {"type": "integer"}, "took_ms": {"type": "number"},
            "results": {"type": "array", "items": _ref("Hit")},
            "mode": _string(), "k": {"type": "integer"}, "offset": {"type": "integer"},
            "keyword_matches": {"type": "integer", "nullable": True,
                                "description": "passages that contain the query's words (null in vector mode); "
                                               "0 in hybrid mode: the results are only close in meaning"},
            "script": _SCRIPT,
            "sort": {"type": "string", "enum": ["relevance", "date"]},
            "facets": _ref("Facets"),
        }, required=["query", "total", "took_ms", "results"]),
        "Facets": _object({
            "basis": {"type": "string", "enum": ["keyword_matches", "results"],
                      "description": "keyword_matches: every passage holding the query's words, under the filters "
                                     "(as many as keyword_matches); results: the ranked results, when no passage "
                                     "holds the words or in vector mode"},
            "counted": {"type": "integer", "description": "how many passages were counted"},
            "source": {"type": "array", "items": _ref("FacetCount"), "description": "most frequent first"},
            "year": {"type": "array", "items": _ref("FacetCount"), "description": "newest first; refine with "
                     "date_from=YYYY&date_to=YYYY"},
            "place": {"type": "array", "items": _ref("FacetCount"), "description": "districts; refine with district="},
        }),
        "FacetCount": _object({"value": _string(), "count": {"type": "integer", "minimum": 1}}),
        "AskResponse": _object({
            "question": _string(),
            "answered": {"type": "boolean", "description": "false when the corpus does not answer"},
            "answer": _string("the answer; every sentence ends with [n] markers matching citations[].n, "
                              "or the 'the corpus does not say' message when not answered"),
            "citations": {"type": "array", "items": _ref("Citation")},
            "passages": {"type": "array", "items": _ref("Hit"), "description": "the closest passages"},
            "took_ms": {"type": "number"},
            "lang": _string("language of the question"),
            "confidence": {"type": "number"},
            "english": {"type": "array", "items": _ref("EnglishLine"),
                        "description": "for an English question over Chinese quotes: one line per citation with "
                                       "the figures, periods and terms rendered in English where certain"},
            "script": _SCRIPT,
        }, required=["question", "answered", "answer", "citations", "passages", "took_ms"]),
        "EnglishLine": _object({
            "n": {"type": "integer", "description": "the citation it renders"},
            "text": _string("the English line; what is not certain is left out (see untranslated)"),
            "rendered_spans": {"type": "array", "items": _object({
                "start": {"type": "integer"}, "end": {"type": "integer"}, "source": _string(),
                "english": _string(), "kind": _string("figure, change, period or term")})},
            "untranslated": {"type": "array", "items": _string(), "description": "clauses kept in Chinese"},
        }),
        "SuggestResponse": _object({"query": _string(), "suggestions": {"type": "array", "items": _string()}}),
        "DocumentSummary": summary,
        "DocumentList": _object({"total": {"type": "integer"}, "offset": {"type": "integer"},
                                 "limit": {"type": "integer"},
                                 "documents": {"type": "array", "items": _ref("DocumentSummary")}}),
        "Block": block,
        "Passage": passage,
        "Document": _object({
            "doc_id": _string(), "title": _string(), "date": _string(), "source": _string(),
            "district": _string(), "lang": _string(), "url": _string(),
            "meta": {"type": "object", "description": "other front-matter keys, as given"},
            "text": _string("the whole text; every offset points into it"),
            "blocks": {"type": "array", "items": _ref("Block")},
            "passages": {"type": "array", "items": _ref("Passage")},
        }),
        "Health": _object({"status": _string("ok, or degraded: serving an older build because the current "
                                             "one is damaged"),
                           "build": _string(), "documents": {"type": "integer"},
                           "passages": {"type": "integer"},
                           "degraded": _string("why the status is degraded; empty when it is ok")}),
        "Error": _object({"error": _object({
            "code": _string("machine-readable: missing_parameter, bad_parameter, bad_body, query_too_long, "
                            "payload_too_large, not_found, method_not_allowed, rate_limited, index_not_built, "
                            "untrusted_host, rate_limiter_unavailable, internal_error; admin: unauthorized, "
                            "admin_disabled, bad_document, conflict, not_saved"),
            "message": _string("what went wrong and how to fix it"),
        })}),
    }


def admin_schemas() -> dict[str, Any]:
    return {
        "AdminAccepted": _object({"reindex": _string("started"), "status": _string("where to follow it"),
                                  "accepted": {"type": "array", "items": _string()}},
                                 required=["reindex", "status"]),
        "AdminUpdated": _object({"id": _string(), "build": _string("the build now served, with the change"),
                                 "passages": {"type": "integer", "description": "passages added or removed"},
                                 "seconds": {"type": "number"},
                                 "replaced": {"type": "boolean", "description": "PUT: an older version was replaced"},
                                 "deleted": {"type": "boolean"}},
                                required=["id", "build"]),
        "AdminQueued": _object({"id": _string(), "update": _string("queued: left to a full reindex"),
                                "reindex": _string("started"), "status": _string("where to follow it")},
                               required=["id", "update"]),
        "AdminStatus": _object({"build": _string(), "documents": {"type": "integer"}, "passages": {"type": "integer"},
                                "reindex_running": {"type": "boolean"}, "reindex_pending": {"type": "boolean"}}),
    }


def _search_parameters(max_chars: int) -> list[dict[str, Any]]:
    return [
        _query("q", "the query", _question(max_chars, "the query"), True),
        _query("k", "results per page", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}),
        _query("offset", "results to skip", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
        _query("mode", "which index to search", {"type": "string", "enum": ["hybrid", "keyword", "vector"],
                                                 "default": "hybrid"}),
        _query("sort", "relevance (best first) or date (newest first, ties by score; with words in passages, "
                       "only those passages)", {"type": "string", "enum": ["relevance", "date"], "default": "relevance"}),
        *_filter_parameters(),
    ]


def _document_page_parameters(default_limit: int) -> list[dict[str, Any]]:
    """`limit` and `offset` of a page of documents (webapp/api.document_page)."""
    return [
        _query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": MAX_DOCUMENTS_PAGE,
                                      "default": default_limit}),
        _query("offset", "documents to skip", {"type": "integer", "minimum": 0,
                                               "maximum": MAX_DOCUMENTS_OFFSET, "default": 0}),
    ]


def _filter_parameters() -> list[dict[str, Any]]:
    return [
        _query("source", "only documents from this source", {"type": "string", "maxLength": MAX_FILTER_CHARS}),
        _query("district", "only documents about this district", {"type": "string", "maxLength": MAX_FILTER_CHARS}),
        _query("date_from", "inclusive: YYYY-MM-DD, YYYY-MM or YYYY", {"type": "string", "pattern": DATE_PATTERN}),
        _query("date_to", "inclusive: YYYY-MM-DD, YYYY-MM or YYYY (2023-11 means to the end of November)",
               {"type": "string", "pattern": DATE_PATTERN}),
    ]


def _bad_input() -> dict[str, Any]:
    return {"400": _error("a parameter is missing or bad"), "413": _error("the query is too long"),
            "429": _error("rate limited: at most RATE_LIMIT_SEARCH / RATE_LIMIT_ASK a minute; see Retry-After")}


ADMIN_SECURITY: list[dict[str, list[str]]] = [{"bearerKey": []}, {"apiKey": []}]


def _admin_responses(accepted: str) -> dict[str, Any]:
    return {"202": _json(_ref("AdminAccepted"), accepted), "400": _error("a document is bad; nothing was saved"),
            "401": _error("missing or wrong admin key"), "403": _error("admin is off (no ADMIN_API_KEY)"),
            "409": _error("an id belongs to a bundled corpus document"), "413": _error("upload too large")}


def _update_responses(done: str, created: str | None) -> dict[str, Any]:
    """An incremental update's answers (webapp/admin_documents.py)."""
    responses = {
        "200": _json(_ref("AdminUpdated"), f"{done}; the index is updated"),
        "202": _json(_ref("AdminQueued"), "saved, but a full build holds the index (or none exists yet): "
                                          "a full reindex will include the change"),
        "400": _error("the document or its id is bad; nothing was saved"),
        "401": _error("missing or wrong admin key"), "403": _error("admin is off (no ADMIN_API_KEY)"),
        "409": _error("the id belongs to a bundled corpus document"), "413": _error("upload too large"),
        # An id holding a line break is no path the app routes.
        "404": _error("no such document, or an id that cannot be part of a path"),
    }
    if created:
        responses["201"] = _json(_ref("AdminUpdated"), f"{created}; the index is updated")
    return responses


def admin_paths() -> dict[str, Any]:
    upload = {"type": "object", "required": ["files"], "properties": {"files": {
        "type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"},
        "description": "files named *.md, *.markdown, *.txt (UTF-8, UTF-16 with a byte-order mark, "
                       "GB18030/GBK or Big5), *.html, *.htm (saved web pages), *.jsonl, *.pdf (with a text "
                       "layer) or *.docx"}}}
    document: dict[str, Any] = {"type": "object", "required": ["text"], "additionalProperties": True, "properties": {
        "id": {"type": "string", "pattern": DOC_ID_PATTERN,
               "description": "made from the text when absent; an existing added document with it is replaced"},
        "title": _string(),
        "text": {"type": "string", "pattern": NOT_BLANK, "description": "Markdown: ## headings, > captions"},
        "date": {"type": "string", "pattern": DATE_PATTERN}}}
    documents = {"type": "object", "required": ["documents"], "properties": {"documents": {
        "type": "array", "minItems": 1, "items": document}}}
    return {
        "/api/admin/documents": {"post": {
            "summary": "Add documents (files in any corpus format, or JSON); on disk before 202, then reindexed",
            "security": ADMIN_SECURITY,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload},
                                                           "application/json": {"schema": documents}}},
            "responses": _admin_responses("saved; a rebuild has started"),
        }},
        "/api/admin/documents/{doc_id}": {
            "parameters": [{"name": "doc_id", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": DOC_ID_PATTERN}}],
            "put": {
                "summary": "Add or replace one document by id (JSON fields, or one file in the multipart field "
                           "'file'): an incremental update, searchable on every worker when this answers",
                "security": ADMIN_SECURITY,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {**document, "properties": {
                        **document["properties"], "id": {"type": "string", "description": "the path's id, if given"}}}},
                    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary",
                                 "description": "one file in any corpus format, holding one document"}}}}}},
                "responses": _update_responses("replaced", "added"),
            },
            "delete": {
                "summary": "Remove an added document: an incremental update, gone from search when this answers",
                "security": ADMIN_SECURITY,
                "responses": _update_responses("removed", None),
            },
        },
        "/api/admin/reindex": {"post": {
            "summary": "Rebuild the index; searches use the old one until the new one is complete",
            "security": ADMIN_SECURITY,
            "responses": _admin_responses("a rebuild has started"),
        }},
        "/api/admin/status": {"get": {
            "summary": "The build being served and whether a rebuild is running or pending",
            "security": ADMIN_SECURITY,
            "responses": {"200": _json(_ref("AdminStatus"), "status"), "401": _error("missing or wrong admin key"),
                          "403": _error("admin is off (no ADMIN_API_KEY)")},
        }},
    }


def paths(max_chars: int) -> dict[str, Any]:
    ask_get = {
        "summary": "Answer a question with cited sentences from the corpus",
        "parameters": [_query("q", "the question", _question(max_chars, "the question"), True)],
        "responses": {"200": _json(_ref("AskResponse"), "the answer"), **_bad_input()},
    }
    ask_post = {
        "summary": "Answer a question (the question in a JSON body)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _object(
            {"q": _question(max_chars, "the question")})}}},
        "responses": {"200": _json(_ref("AskResponse"), "the answer"), **_bad_input()},
    }
    return {
        "/api/search": {"get": {
            "summary": "Hybrid (keyword + vector) search over passages",
            "parameters": _search_parameters(max_chars),
            "responses": {"200": _json(_ref("SearchResponse"), "one page of results"), **_bad_input()},
        }},
        "/api/ask": {"get": ask_get, "post": ask_post},
        "/api/suggest": {"get": {
            "summary": "Completions of a query prefix, for search-as-you-type",
            "parameters": [
                _query("q", "what has been typed so far", {"type": "string", "maxLength": max_chars}, True),
                _query("limit", "how many", {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS, "default": 8}),
            ],
            "responses": {"200": _json(_ref("SuggestResponse"), "completions, best first"), **_bad_input()},
        }},
        "/api/documents": {"get": {
            "summary": "The documents of the index",
            "parameters": [
                *_document_page_parameters(default_limit=100),
            ],
            "responses": {"200": _json(_ref("DocumentList"), "one page of documents"),
                          "400": _error("a parameter is bad")},
        }},
        "/api/latest": {"get": {
            "summary": "The latest documents: newest first, undated last, optionally filtered",
            "parameters": [
                *_document_page_parameters(default_limit=20),
                *_filter_parameters(),
            ],
            "responses": {"200": _json(_ref("DocumentList"), "one page of documents, newest first"),
                          "400": _error("a parameter is bad")},
        }},
        "/api/documents/{doc_id}": {"get": {
            "summary": "One document with its blocks, passages and their offsets",
            "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("Document"), "the document"), "404": _error("no such document")},
        }},
        "/api/openapi.json": {"get": {
            "summary": "This description",
            "responses": {"200": {"description": "an OpenAPI 3 document",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/healthz": {"get": {
            "summary": "Whether the service can answer, and which build it serves",
            "responses": {"200": _json(_ref("Health"), "serving"), "503": _error("no index built yet")},
        }},
        **admin_paths(),
    }


def openapi_document(server_url: str, max_chars: int) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Bilingual search and cited answers",
            "version": API_VERSION,
            "description": "Search Chinese and English documents and get answers quoted from them. "
                           "Every error is {\"error\": {\"code\", \"message\"}} with a 4xx/5xx status; "
                           "JSON is UTF-8 with Chinese written as is.",
        },
        "servers": [{"url": server_url}],
        "paths": paths(max_chars),
        "components": {
            "schemas": {**schemas(), **admin_schemas()},
            "securitySchemes": {
                "bearerKey": {"type": "http", "scheme": "bearer", "description": "ADMIN_API_KEY"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
