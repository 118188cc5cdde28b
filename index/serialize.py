"""Library objects -> their JSON shapes, one for the web API and the CLI's --json alike.

The page, the embeddable widget, outside clients and scripts all read these shapes;
docs/WEBAPP.md and /api/openapi.json describe them. Extra fields may be added, listed ones
never renamed.
"""
from __future__ import annotations

from typing import Any

from index.models import Answer, Citation, Document, FacetCount, Hit, Passage, ResultFacets, SearchResult
from index.text.script import script_of


def hit_json(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {
        "passage_id": p.id,
        "doc_id": p.doc_id,
        "title": p.title,
        "text": p.text,
        "snippet": hit.snippet,
        "score": round(float(hit.score), 6),
        "date": p.date,
        "source": p.source,
        "url": p.url,
        # beyond the contract: what the page shows, and where the passage sits
        "district": p.district,
        "heading": p.heading,
        "lang": p.lang,
        "start": p.start,
        "end": p.end,
        "page": p.page,  # page of a PDF the passage is on; null for sources without pages
        # how each side scored it (null when that side did not rank it)
        "keyword_score": _rounded(hit.keyword_score),
        "vector_score": _rounded(hit.vector_score),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def search_json(result: SearchResult, k: int, offset: int = 0) -> dict[str, Any]:
    return {
        "query": result.query,
        "total": result.total,
        "took_ms": round(result.took_ms, 1),
        "results": [hit_json(h) for h in result.hits],
        # passages containing the query's words; 0 in hybrid mode: every result is only
        # close in meaning (clients say so instead of "About N results"); null in vector mode
        "keyword_matches": result.keyword_matches,
        "mode": result.mode,
        "k": k,
        "offset": offset,
        # the script the query was typed in: "Hant" (traditional), "Hans", "" (no Chinese);
        # a traditional query is searched as its simplified twin, and clients reply in it
        "script": result.plan.script if result.plan is not None else "",
        "sort": result.sort,
        "facets": facets_json(result.facets),
    }


def facets_json(facets: ResultFacets | None) -> dict[str, Any] | None:
    """Counts by source, year and place, each [{"value", "count"}] most frequent first."""
    if facets is None:
        return None

    def counts(items: list[FacetCount]) -> list[dict[str, Any]]:
        return [{"value": item.value, "count": item.count} for item in items]

    return {"basis": facets.basis, "counted": facets.counted, "source": counts(facets.source),
            "year": counts(facets.year), "place": counts(facets.place)}


def citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "n": citation.n,
        "passage_id": citation.passage_id,
        "doc_id": citation.doc_id,
        "title": citation.title,
        "quote": citation.quote,
        "start": citation.start,
        "end": citation.end,
        "url": citation.url,
        "page": citation.page,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "answer": answer.text,
        "citations": [citation_json(c) for c in answer.citations],
        "passages": [hit_json(h) for h in answer.passages],
        "took_ms": round(answer.took_ms, 1),
        "lang": answer.lang,
        "confidence": round(float(answer.confidence), 4),
        # English questions over Chinese quotes: what could be rendered with certainty,
        # one line per citation (n matches citations[].n); empty otherwise.
        "english": [line.to_dict() for line in answer.english if line.text],
        # as in search_json: "Hant" when the question was typed in traditional characters
        "script": script_of(answer.question),
    }


def document_summary_json(doc: Document, passage_count: int) -> dict[str, Any]:
    return {
        "doc_id": doc.id,
        "title": doc.title,
        "date": doc.date,
        "source": doc.source,
        "district": doc.district,
        "lang": doc.lang,
        "url": doc.url,
        "chars": len(doc.text),
        "passages": passage_count,
    }


def passage_json(passage: Passage) -> dict[str, Any]:
    return {
        "passage_id": passage.id,
        "heading": passage.heading,
        "text": passage.text,
        "start": passage.start,
        "end": passage.end,
        "page": passage.page,
    }


def document_json(doc: Document, passages: list[Passage]) -> dict[str, Any]:
    return {
        "doc_id": doc.id,
        "title": doc.title,
        "date": doc.date,
        "source": doc.source,
        "district": doc.district,
        "lang": doc.lang,
        "url": doc.url,
        "meta": doc.meta,
        "text": doc.text,
        "blocks": [
            {"kind": b.kind, "level": b.level, "text": b.text, "start": b.start, "end": b.end, "page": b.page}
            for b in doc.blocks
        ],
        "passages": [passage_json(p) for p in passages],
    }
