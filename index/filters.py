"""Search filters, applied the same way on the keyword side (as a Whoosh query) and the
vector side (as a passage predicate)."""
from __future__ import annotations

from typing import Protocol

from index.models import SearchFilters
from index.text.dates import DATE_HINT, is_partial_date


class BadFilter(ValueError):
    """A filter value the user must correct; the message says how."""


def date_key(date: str) -> str:
    """Sortable key of a document date; a month-only date sorts as its first day."""
    return _pad(date, "-01") if date else ""


def _pad(date: str, fill: str) -> str:
    while len(date) < 10:
        date += fill
    return date[:10]


def date_bounds(filters: SearchFilters) -> tuple[str | None, str | None]:
    """Inclusive bounds: date_to "2023-11" means up to the end of November."""
    for value in (filters.date_from, filters.date_to):
        if value and not is_partial_date(value):
            raise BadFilter(f"bad date {value!r}: {DATE_HINT}")
    low = _pad(filters.date_from, "-01") if filters.date_from else None
    high = _pad(filters.date_to, "-31") if filters.date_to else None
    return low, high


class Filterable(Protocol):
    """What filters look at: a Passage and a Document both have these."""

    @property
    def source(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def date(self) -> str: ...


def passage_matches(passage: Filterable, filters: SearchFilters) -> bool:
    """Whether a passage (or a document: the same fields) passes the filters."""
    if filters.source and passage.source != filters.source:
        return False
    if filters.district and passage.district != filters.district:
        return False
    low, high = date_bounds(filters)
    key = date_key(passage.date)
    if low and (not key or key < low):
        return False
    return not (high and (not key or key > high))
