"""The Whoosh keyword index: BM25F over title, heading and text, with the bilingual analyzer."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, Or, Query, Term, TermRange

from index.filters import date_bounds, date_key
from index.keyword.accelerator import KeywordAccelerator, ScoringModel, build_accelerator
from index.keyword.passage_columns import MatchCounts
from index.models import Passage, RankedList, SearchFilters
from index.text.analysis import bilingual_analyzer

# Title and heading words say what a whole passage is about, so they weigh more.
TITLE_BOOST = 2.0
HEADING_BOOST = 1.5
SEARCH_FIELDS = ("title", "heading", "text")
NAME = "keyword"  # the name of its RankedList, as fusion weighs it
# A 10,000-character query would become thousands of OR-ed terms; the first ones say
# what the user wants and keep the search fast.
MAX_QUERY_TERMS = 48
# Robertson's usual values (Whoosh's defaults too).
BM25_B = 0.75
BM25_K1 = 1.2
SCORING = ScoringModel(SEARCH_FIELDS, BM25_B, BM25_K1, MAX_QUERY_TERMS)


def passage_schema() -> Schema:
    analyzer = bilingual_analyzer()
    return Schema(
        passage_id=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        title=TEXT(analyzer=analyzer, field_boost=TITLE_BOOST),
        heading=TEXT(analyzer=analyzer, field_boost=HEADING_BOOST),
        text=TEXT(analyzer=analyzer),
        source=ID,
        district=ID,
        lang=ID,
        date=ID,
    )


def build_keyword_index(
    folder: Path, passages: Iterable[Passage], on_progress: Callable[[int], None] | None = None
) -> None:
    """Write a fresh index into `folder` (which must be new or empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), passage_schema())
    writer = ix.writer(limitmb=256)
    try:
        for passage in passages:
            writer.add_document(**_fields(passage))
            if on_progress:
                on_progress(1)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def build_keyword_accelerator(folder: Path, out_folder: Path) -> dict[str, int]:
    """The numpy copy of the Whoosh index in `folder` (accelerator.py), written to `out_folder`."""
    return build_accelerator(folder, out_folder, SCORING)


def update_keyword_index(folder: Path, removed_doc_ids: Iterable[str], passages: Iterable[Passage]) -> None:
    """Delete the passages of `removed_doc_ids` and add `passages`, in an existing index.

    Whoosh writes the new passages as a new segment and records deletions in the new table
    of contents; no existing segment file is opened for writing, so `folder` may hold hard
    links to another build's files (index/build/incremental.py relies on it)."""
    ix = whoosh_index.open_dir(str(folder))
    writer = ix.writer()
    try:
        for doc_id in removed_doc_ids:
            writer.delete_by_term("doc_id", doc_id)
        for passage in passages:
            writer.add_document(**_fields(passage))
        writer.commit(mergetype=merge_small_segments)
    except BaseException:
        writer.cancel()
        raise


# Each update adds a segment, and every query reads every segment; past this many, the
# small ones are merged into one (cheap: they hold the updates, not the corpus).
MAX_SEGMENTS = 8
# A segment with at least this share of the index's passages is never merged by an update:
# rewriting it is the cost of a rebuild's keyword stage.
LARGE_SEGMENT_SHARE = 0.25


def merge_small_segments(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy: keep the large segments; merge the small ones once there are
    too many, or as soon as one holds deleted passages. (Whoosh's own MERGE_SMALL merges
    only segments of a few dozen documents, so update segments would pile up; OPTIMIZE
    would rewrite the whole corpus.)

    Why deletions: Whoosh leaves a deleted passage's terms in its segment's statistics
    (document frequencies, field lengths) until the segment is rewritten, so BM25 scores
    drift from a full rebuild's. Updates delete mostly what earlier updates added, which
    sits in small segments: merging them is cheap and makes the scores exact again. A
    deletion from a large segment (a document of the first build) keeps that small drift
    until the next full build."""
    from whoosh.reading import SegmentReader

    total = sum(s.doc_count_all() for s in segments)
    small = [s for s in segments if s.doc_count_all() < LARGE_SEGMENT_SHARE * total]
    if len(segments) < MAX_SEGMENTS and not any(s.has_deletions() for s in small):
        return segments
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in small]


def _fields(passage: Passage) -> dict[str, str]:
    return {
        "passage_id": passage.id,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "heading": passage.heading,
        "text": passage.text,
        "source": passage.source,
        "district": passage.district,
        "lang": passage.lang,
        "date": date_key(passage.date),
    }


class KeywordIndex:
    """Read side of the index. Never holds a Whoosh reader (each open copies the term
    file, and holding one would keep that copy in every worker); opens one per call
    where Whoosh must answer, which with the accelerator is never on the query path.

    With `accelerator_folder` holding a store read from this same Whoosh index
    (accelerator.py), ranking, counting and facet counts come from it: the same top
    passages and scores, in milliseconds instead of Whoosh's hundreds at 50k passages.
    Without one (an older build, or turned off) Whoosh answers as before."""

    def __init__(self, folder: Path, accelerator_folder: Path | None = None) -> None:
        self._index = whoosh_index.open_dir(str(folder))
        self._weighting = scoring.BM25F(B=BM25_B, K1=BM25_K1)
        self.accelerator: KeywordAccelerator | None = None
        # A build's index never changes once served (updates write a new build), so its
        # counts are read once: opening a Whoosh reader copies its term file into memory,
        # 40 ms per open at 50k passages, and `ask` needed three per question.
        with self._index.reader() as reader:
            self._doc_count, count_all = reader.doc_count(), reader.doc_count_all()
        if accelerator_folder is not None:
            self.accelerator = KeywordAccelerator.open(
                accelerator_folder, SCORING, self._index.latest_generation(), count_all)

    def search(self, terms: Sequence[str], limit: int, filters: SearchFilters | None = None) -> RankedList:
        """Top passages for the analyzer's `terms` (QueryPlan.keyword_terms), with the
        number of passages that match in all.

        The query is built term by term, never parsed as Whoosh syntax, so quotes, brackets,
        AND/OR/NOT, `field:` or `*` in user text are plain words.
        """
        if self.accelerator is not None:
            return self.accelerator.search(NAME, terms, limit, filters)
        query = build_query(terms)
        if query is None:
            return RankedList(NAME, (), (), matched=0)
        with self._index.searcher(weighting=self._weighting) as searcher:
            results = searcher.search(query, limit=max(1, limit), filter=filter_query(filters))
            return RankedList(NAME, tuple(hit["passage_id"] for hit in results),
                              tuple(float(hit.score) for hit in results), matched=len(results))

    def matching_ids(self, terms: Sequence[str], filters: SearchFilters | None = None) -> list[str]:
        """Every passage the `terms` match under `filters`, unranked (for facet counts)."""
        query = build_query(terms)
        if query is None:
            return []
        with self._index.searcher() as searcher:
            results = searcher.search(query, limit=None, filter=filter_query(filters), scored=False)
            return [searcher.stored_fields(docnum)["passage_id"] for docnum in results.docs()]

    def match_counts(self, terms: Sequence[str], filters: SearchFilters | None = None) -> MatchCounts | None:
        """Counts by source, district and year of every match, from the accelerator's
        columns; None without an accelerator (then count over `matching_ids`)."""
        if self.accelerator is None:
            return None
        return self.accelerator.match_counts(terms, filters)

    def unknown_terms(self, terms: Iterable[str]) -> set[str]:
        """The terms that occur nowhere in the corpus."""
        return {t for t, df in self.document_frequencies(terms).items() if df == 0}

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many passages hold each term (the answerer weighs a rare word's presence in
        a sentence above a common one's). From the accelerator's postings, without a
        Whoosh reader; Whoosh alone gives per-field counts, so there it is the field that
        holds the term most (a lower bound of the same count; zero exactly when it is)."""
        terms = list(dict.fromkeys(terms))
        if self.accelerator is not None:
            return self.accelerator.document_frequencies(terms)
        with self._index.reader() as reader:
            return {t: max(reader.doc_frequency(f, t) for f in SEARCH_FIELDS) for t in terms}

    def doc_count(self) -> int:
        return self._doc_count


def build_query(terms: Sequence[str]) -> Query | None:
    terms = list(terms)[:MAX_QUERY_TERMS]
    if not terms:
        return None
    return Or([Term(field, term) for term in terms for field in SEARCH_FIELDS])


def filter_query(filters: SearchFilters | None) -> Query | None:
    if filters is None or filters.is_empty():
        return None
    parts: list[Query] = []
    if filters.source:
        parts.append(Term("source", filters.source))
    if filters.district:
        parts.append(Term("district", filters.district))
    low, high = date_bounds(filters)
    if low or high:
        parts.append(TermRange("date", low, high))
    return And(parts)
