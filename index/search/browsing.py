"""News-style browsing of one search: newest first, and counts by source, year and place."""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from index.filters import date_key
from index.keyword.whoosh_index import KeywordIndex
from index.models import Passage, RankedList, ResultFacets, SearchFilters
from index.search.facets import counted_facets, result_facets

PassageById = Callable[[str], Passage]
# Facet counts of recent searches kept per engine (a few hundred bytes each).
FACET_CACHE_SIZE = 512


def newest_first(
    ranked: list[tuple[str, float]], total: int, keyword: RankedList | None, passage: PassageById,
) -> tuple[list[tuple[str, float]], int]:
    """Newest first, ties by score, undated last. When passages hold the query's words,
    only those are listed: the newest passage merely close in meaning is not news about the
    query. Otherwise (vector mode, or no passage holds the words) the ranked results."""
    if keyword is not None and keyword.matched:
        with_words = set(keyword.ids)
        ranked = [(pid, score) for pid, score in ranked if pid in with_words]
        total = keyword.matched
    # One sort on (day, score), newest and best first; "" (undated) sorts lowest, so last.
    return sorted(ranked, key=lambda item: (date_key(passage(item[0]).date), item[1]), reverse=True), total


class FacetCounter:
    """Counts of a search's passages, kept per build for repeated searches.

    With the keyword accelerator the counts are a bincount over the matched rows (a few
    ms at 50k passages). Without it, listing every Whoosh match costs about what the ranked
    keyword search does (19,200 passages all matching: ~1 s each on a loaded 2-core
    machine); either way the counts are kept for the next page, the other sort order and
    the mode switch of the same search."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, tuple[str, ...], SearchFilters | None], ResultFacets] = {}
        self._lock = threading.Lock()

    def count(
        self, build_marker: str, terms: Sequence[str], filters: SearchFilters | None,
        keyword: KeywordIndex | None, ranked_ids: list[str], passage: PassageById,
    ) -> ResultFacets:
        """Over every passage the keyword index matches under the filters, or, with no
        `keyword` (vector mode, no passage holds the words), over the ranked results."""
        if keyword is None:
            return result_facets((passage(pid) for pid in ranked_ids), "results")
        key = (build_marker, tuple(terms), filters)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        counts = keyword.match_counts(terms, filters)
        if counts is not None:
            facets = counted_facets(counts, "keyword_matches")
        else:
            facets = result_facets((passage(pid) for pid in keyword.matching_ids(terms, filters)), "keyword_matches")
        with self._lock:
            self._cache[key] = facets
            while len(self._cache) > FACET_CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))  # the oldest: dicts keep insertion order
        return facets
