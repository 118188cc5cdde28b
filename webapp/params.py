"""Request parameters, checked once for the API and the pages alike.

Every bad value becomes an `ApiError` whose message names the parameter and the fix, so
no bad input reaches the library as an exception it would turn into a 500.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from index import SEARCH_MODES, BadFilter, SearchFilters, SearchMode, date_bounds

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
    )
