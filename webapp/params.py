"""Request parameters, checked once for the API and the pages alike.

Every bad value becomes an `ApiError` whose message names the parameter and the fix, so
no bad input reaches the library as an exception it would turn into a 500.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from index import SEARCH_MODES, SORT_ORDERS, BadFilter, SearchFilters, SearchMode, SortOrder, date_bounds

from .errors import ApiError, bad, missing

MAX_K = 50
MAX_OFFSET = 1000
MAX_FILTER_CHARS = 100
MAX_SUGGESTIONS = 20
MAX_DOCUMENTS_PAGE = 1000
MAX_DOCUMENTS_OFFSET = 10**9


@dataclass(frozen=True)
class SearchParams:
    q: str
    k: int
    offset: int
    mode: SearchMode
    filters: SearchFilters
    sort: SortOrder = "relevance"


def query_text(value: str | None, max_chars: int, name: str = "q", required: bool = True) -> str:
    """The stripped query; missing/blank is 400 when required, too long is 413."""
    if value is None:
        if required:
            raise missing(name)
        return ""
    if not isinstance(value, str):
        raise bad(name, "must be a string")
    if not _encodable(value):  # a JSON body can carry "\ud800"; the tokenizer cannot take it
        raise bad(name, "must be valid Unicode text (it holds a lone surrogate)")
    # The limit is on what was sent, white space included: it bounds the request, and it is
    # what the OpenAPI maxLength says.
    if len(value) > max_chars:
        raise ApiError(413, "query_too_long", f"'{name}' is {len(value)} characters long; the limit is {max_chars}")
    text = value.strip()
    if not text and required:
        raise bad(name, "must not be empty")
    return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def int_param(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":  # `k=` is a blank form field: the default
        return default
    # Plain ASCII digits: int() would also take " 5", "1_000" and other scripts' digits.
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise bad(name, f"must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise bad(name, f"must be from {low} to {high}, not {value}")
    return value


def mode_param(args: MultiDict[str, str]) -> SearchMode:
    mode = args.get("mode") or "hybrid"
    if mode not in SEARCH_MODES:
        raise bad("mode", f"must be one of {', '.join(SEARCH_MODES)}")
    return mode


def sort_param(args: MultiDict[str, str]) -> SortOrder:
    sort = args.get("sort") or "relevance"
    if sort not in SORT_ORDERS:
        raise bad("sort", f"must be one of {', '.join(SORT_ORDERS)}")
    return sort


def filters_param(args: MultiDict[str, str]) -> SearchFilters:
    values: dict[str, str | None] = {}
    for name in ("source", "district", "date_from", "date_to"):
        raw = args.get(name) or ""
        if len(raw) > MAX_FILTER_CHARS:
            raise bad(name, f"at most {MAX_FILTER_CHARS} characters")
        values[name] = raw.strip() or None
    for name in ("date_from", "date_to"):
        try:
            date_bounds(SearchFilters(**{name: values[name]}))
        except BadFilter as exc:
            raise bad(name, str(exc)) from None
    return SearchFilters(**values)


def search_params(args: MultiDict[str, str], max_chars: int, default_k: int = 10) -> SearchParams:
    return SearchParams(
        q=query_text(args.get("q"), max_chars),
        k=int_param(args, "k", default_k, 1, MAX_K),
        offset=int_param(args, "offset", 0, 0, MAX_OFFSET),
        mode=mode_param(args),
        filters=filters_param(args),
        sort=sort_param(args),
    )


# No request the API takes nests deeper than a few levels; json.loads itself gives up near
# 1,000 with RecursionError (a 500), and the uploads' YAML writer recurses too.
MAX_JSON_DEPTH = 32


def json_body() -> Any:
    """The request body parsed as JSON (None if it is not JSON); 400 bad_body when nested too deeply."""
    too_deep = ApiError(400, "bad_body", f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:
        raise too_deep from None
    if _depth(body) > MAX_JSON_DEPTH:
        raise too_deep
    return body


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
