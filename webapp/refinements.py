"""Links that narrow or reorder a search, shaped for the search page: facet refinements
(source, year, place) that combine with the query and the other filters, and the sort
toggle. Each is a plain GET link, so the page works without JavaScript.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from index import FacetCount, ResultFacets

# Each facet: the URL parameters a value sets (a year is the whole year as a date range).
_FACETS = ("source", "year", "place")


@dataclass(frozen=True)
class Refinement:
    value: str
    count: int
    url: str
    active: bool  # the filter is on: the link takes it off


@dataclass(frozen=True)
class FacetGroup:
    name: str  # "source", "year" or "place"
    refinements: list[Refinement]


def _params_for(facet: str, value: str) -> dict[str, str]:
    if facet == "year":
        return {"date_from": value, "date_to": value}
    return {"district" if facet == "place" else "source": value}


def _url(params: dict[str, str]) -> str:
    return "/?" + urlencode({k: v for k, v in params.items() if v and k != "page"})


def facet_groups(args: dict[str, str], facets: ResultFacets | None) -> list[FacetGroup]:
    """Facet groups with a link per value: on (adds its filter, keeping q and the others,
    back to page 1) or, for the active one, off. A group with nothing to choose is left out."""
    if facets is None:
        return []
    groups = []
    for facet in _FACETS:
        counts: list[FacetCount] = getattr(facets, facet)
        refinements = []
        for item in counts:
            wanted = _params_for(facet, item.value)
            active = all(args.get(k) == v for k, v in wanted.items())
            params = {**args, **({k: "" for k in wanted} if active else wanted)}
            refinements.append(Refinement(item.value, item.count, _url(params), active))
        if refinements:
            groups.append(FacetGroup(facet, refinements))
    return groups


def sort_links(args: dict[str, str]) -> dict[str, str]:
    """URL of this search by relevance and by date (page 1 of each)."""
    return {"relevance": _url({**args, "sort": ""}), "date": _url({**args, "sort": "date"})}
