"""What a build holds, for filter choices and corpus counts (computed once per build), and
what one search's passages hold, counted by source, year and place (computed per search)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from index.keyword.passage_columns import MatchCounts
from index.models import Document, FacetBasis, FacetCount, Facets, Passage, ResultFacets


def corpus_facets(documents: Iterable[Document], passages: Iterable[Passage]) -> Facets:
    documents = list(documents)
    per_document = Counter(p.doc_id for p in passages)
    return Facets(
        sources=sorted({d.source for d in documents if d.source}),
        districts=sorted({d.district for d in documents if d.district}),
        documents=len(documents),
        passages=sum(per_document.values()),
        passages_per_document=dict(per_document),
    )


def result_facets(passages: Iterable[Passage], basis: FacetBasis) -> ResultFacets:
    """Counts of the passages by source, year (of their date) and place (district); a
    passage without the field is not counted under it. Most frequent first, then by value
    (years newest first)."""
    sources: Counter[str] = Counter()
    years: Counter[str] = Counter()
    places: Counter[str] = Counter()
    counted = 0
    for passage in passages:
        counted += 1
        if passage.source:
            sources[passage.source] += 1
        if passage.date[:4].isdigit():
            years[passage.date[:4]] += 1
        if passage.district:
            places[passage.district] += 1
    return ResultFacets(basis=basis, counted=counted, source=_ordered(sources), place=_ordered(places),
                        year=[FacetCount(y, n) for y, n in sorted(years.items(), reverse=True)])


def counted_facets(counts: MatchCounts, basis: FacetBasis) -> ResultFacets:
    """The same, from counts already made (the keyword accelerator's bincounts)."""
    return ResultFacets(basis=basis, counted=counts.counted, source=_ordered(Counter(counts.source)),
                        place=_ordered(Counter(counts.district)),
                        year=[FacetCount(y, n) for y, n in sorted(counts.year.items(), reverse=True)])


def _ordered(counts: Counter[str]) -> list[FacetCount]:
    return [FacetCount(value, n) for value, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
