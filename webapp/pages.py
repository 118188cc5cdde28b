"""HTML pages: the search page (`/`) and the document page (`/doc/<doc_id>`).

Both are complete without JavaScript: the search form is a plain GET, the answer card
and results are rendered here, and a cited span is marked on the server. app.js adds
suggestions while typing, filters that apply themselves, and passage highlighting.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, render_template, request
from werkzeug.datastructures import MultiDict

from index import TRADITIONAL_TAG, Answer, SearchResult, ask, has_han

from .current import current_engine
from .document_view import document_view, parse_span
from .errors import ApiError
from .i18n import traditional, translate
from .limits import ask_allowed
from .params import MAX_OFFSET, SearchParams, filters_param, mode_param, query_text, sort_param
from .presenters import answer_parts, document_link, make_pager
from .questions import is_question
from .refinements import facet_groups, sort_links

pages = Blueprint("pages", __name__)
LATEST_PAGE_SIZE = 50

EXAMPLES: dict[str, tuple[str, ...]] = {
    "zh": ("新会区2023年GDP是多少？", "新型储能", "江门有哪些产业集群？", "专精特新企业"),
    "en": ("What was Xinhui's GDP in 2023?", "How many specialized enterprises does Xinhui have?",
           "new energy storage", "Canton Fair"),
}
EXAMPLES[TRADITIONAL_TAG] = tuple(traditional(example) for example in EXAMPLES["zh"])


@pages.get("/")
def search_page() -> tuple[str, int]:
    settings = current_app.config["WEB_SETTINGS"]
    engine = current_engine()
    raw_q = request.args.get("q", "")
    context: dict[str, Any] = {
        "q": raw_q.strip(), "facets": engine.facets(), "examples": EXAMPLES[g.lang],
        "form": _form_values(request.args), "result": None, "answer": None, "error": None,
    }
    if not raw_q.strip():
        return render_template("search.html", **context), 200
    try:
        params = _page_params(request.args, settings.max_query_chars, settings.page_size)
    except ApiError as exc:
        context["error"] = _page_error(exc, settings.max_query_chars)
        return render_template("search.html", **context), exc.status
    result = engine.search(params.q, k=params.k, mode=params.mode, filters=params.filters, offset=params.offset,
                           sort=params.sort)
    context["result"] = _result_view(result, params)
    args = dict(request.args.items())
    context["facet_groups"] = facet_groups(args, result.facets)
    context["sort"], context["sort_links"] = params.sort, sort_links(args)
    if params.offset == 0 and params.filters.is_empty() and ask_allowed():
        # The answer card is an answer like /api/ask's: it counts against the same limit.
        context["answer"] = _answer_view(ask(engine, params.q), params.q)
    page = params.offset // params.k + 1
    context["pager"] = make_pager(dict(request.args.items()), result.total, page, params.k)
    context["page"] = page
    context["offset"] = params.offset
    return render_template("search.html", **context), 200


def _page_params(args: MultiDict[str, str], max_chars: int, page_size: int) -> SearchParams:
    q = query_text(args.get("q"), max_chars)
    page_raw = (args.get("page") or "1").strip()
    page = int(page_raw) if page_raw.isdigit() and int(page_raw) >= 1 else 1
    offset = min((page - 1) * page_size, MAX_OFFSET // page_size * page_size)
    return SearchParams(q=q, k=page_size, offset=offset, mode=mode_param(args), filters=filters_param(args),
                        sort=sort_param(args))


def _page_error(exc: ApiError, max_chars: int) -> str:
    if exc.code == "query_too_long":
        return translate(g.lang, "query_too_long", max=max_chars)
    return translate(g.lang, "bad_filter")


def _form_values(args: MultiDict[str, str]) -> dict[str, str]:
    names = ("q", "source", "district", "date_from", "date_to", "mode", "sort")
    return {name: args.get(name, "") for name in names}


def _result_view(result: SearchResult, params: SearchParams) -> dict[str, Any]:
    return {
        "total": result.total,
        "related_only": result.only_close_in_meaning,
        "seconds": f"{max(result.took_ms, 10) / 1000:.2f}",  # "0.00 s" reads like a bug
        "hits": [
            {"hit": hit, "link": document_link(hit.passage.doc_id, hit.passage.id, hit.passage.start,
                                               hit.passage.end, params.q)}
            for hit in result.hits
        ],
    }


def _answer_view(answer: Answer, q: str) -> dict[str, Any] | None:
    """The answer card, or None when the query is not a question and the answer is weak."""
    if not answer.answered and not is_question(q):
        return None
    return {
        "answer": answer,
        "parts": answer_parts(answer) if answer.answered else [],
        "links": {c.n: document_link(c.doc_id, c.passage_id, c.start, c.end, q) for c in answer.citations},
        "evidence_zh": any(has_han(c.quote) for c in answer.citations),
    }


@pages.get("/latest")
def latest_page() -> str:
    """The latest documents, newest first: the archive's front page, twin of /api/latest."""
    engine = current_engine()
    try:
        filters = filters_param(request.args)
    except ApiError:
        filters = filters_param(MultiDict())  # a bad filter on a browsing page: show everything
    documents = engine.latest_documents(filters)[:LATEST_PAGE_SIZE]
    return render_template("latest.html", documents=documents, facets=engine.facets())


@pages.get("/doc/<doc_id>")
def document_page(doc_id: str) -> str:
    engine = current_engine()
    doc = engine.document(doc_id)
    if doc is None:
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    highlight = parse_span(request.args.get("hl"), len(doc.text))
    q = (request.args.get("q") or "").strip()[: current_app.config["WEB_SETTINGS"].max_query_chars]
    return render_template(
        "document.html",
        doc=doc,
        blocks=document_view(doc, engine.passages_of(doc_id), highlight),
        back_q=q,
        meta={k: doc.meta.get(k) for k in ("subtitle", "series", "credits") if doc.meta.get(k)},
    )
