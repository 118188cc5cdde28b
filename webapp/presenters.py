"""What the pages show, shaped for the templates: answer text with citation links, pages.

Nothing here builds HTML; templates escape every string they are given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from index import Answer, Citation

from .params import MAX_OFFSET

_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class AnswerPart:
    text: str
    citation: Citation | None = None  # set for a [n] marker


def answer_parts(answer: Answer) -> list[AnswerPart]:
    """The answer text cut at its [n] markers; a marker without a citation stays text."""
    by_number = {c.n: c for c in answer.citations}
    parts: list[AnswerPart] = []
    cursor = 0
    for match in _MARKER.finditer(answer.text):
        citation = by_number.get(int(match.group(1)))
        if citation is None:
            continue
        if match.start() > cursor:
            parts.append(AnswerPart(answer.text[cursor:match.start()]))
        parts.append(AnswerPart(f"[{citation.n}]", citation))
        cursor = match.end()
    if cursor < len(answer.text):
        parts.append(AnswerPart(answer.text[cursor:]))
    return parts


def document_link(doc_id: str, passage_id: str, start: int, end: int, query: str) -> str:
    """/doc/<id>?q=…&hl=start-end#p-<passage>: the span is marked even without JavaScript."""
    params = {"hl": f"{start}-{end}"}
    if query:
        params = {"q": query, **params}
    return f"/doc/{doc_id}?{urlencode(params)}#p-{passage_id}"


@dataclass(frozen=True)
class PageLink:
    number: int
    url: str
    current: bool


@dataclass(frozen=True)
class Pager:
    previous: str | None
    next: str | None
    pages: list[PageLink]


def make_pager(base_params: dict[str, str], total: int, page: int, page_size: int, window: int = 2) -> Pager | None:
    """Links to nearby result pages; None when everything fits on one page."""
    last = min(-(-total // page_size), MAX_OFFSET // page_size + 1)
    if last <= 1:
        return None

    def url(number: int) -> str:
        params = {k: v for k, v in base_params.items() if v and k != "page"}
        if number > 1:
            params["page"] = str(number)
        return "/?" + urlencode(params)

    numbers = sorted({1, last, *range(max(1, page - window), min(last, page + window) + 1)})
    return Pager(
        previous=url(page - 1) if page > 1 else None,
        next=url(page + 1) if page < last else None,
        pages=[PageLink(n, url(n), n == page) for n in numbers],
    )
