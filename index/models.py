"""The data types every stage of the pipeline shares.

corpus files -> Document -> Passage -> (keyword, vector: RankedList) -> Hit -> Answer/Citation
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "caption"]
SearchMode = Literal["hybrid", "keyword", "vector"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "keyword", "vector")
SortOrder = Literal["relevance", "date"]
SORT_ORDERS: tuple[SortOrder, ...] = ("relevance", "date")
FacetBasis = Literal["keyword_matches", "results"]


@dataclass(frozen=True)
class Block:
    """One structural piece of a document; `start`/`end` are offsets into `Document.text`."""

    kind: BlockKind
    text: str
    start: int
    end: int
    level: int = 0  # heading depth (2 for "##"), 0 for other kinds
    page: int | None = None  # 1-based page of a paged source (PDF) the block starts on


@dataclass
class Document:
    """A clean article. `text` is its blocks joined by blank lines; all offsets point into it."""

    id: str
    title: str
    text: str
    blocks: list[Block]
    lang: str = "zh"
    date: str = ""  # ISO "YYYY-MM-DD" or "YYYY-MM" when only the month is known
    source: str = ""
    district: str = ""
    url: str = ""
    path: str = ""  # file it was loaded from, for error messages and the admin view
    meta: dict[str, Any] = field(default_factory=dict)  # any other front-matter keys, kept as-is

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        blocks = [Block(**b) for b in data.get("blocks", [])]
        return cls(**{**data, "blocks": blocks})


@dataclass(frozen=True)
class Passage:
    """A retrievable span of a document, never cutting a sentence."""

    id: str  # "<doc_id>-p<n>", stable while the document text is unchanged
    doc_id: str
    text: str
    start: int  # offsets into Document.text
    end: int
    heading: str
    title: str
    lang: str
    date: str
    source: str
    district: str
    url: str
    page: int | None = None  # page of a paged source (PDF) the passage starts on; None otherwise

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied on both sides of the search before fusion."""

    source: str | None = None
    district: str | None = None
    date_from: str | None = None  # inclusive, "YYYY-MM-DD" or a prefix such as "2023-11"
    date_to: str | None = None  # inclusive

    def is_empty(self) -> bool:
        return not (self.source or self.district or self.date_from or self.date_to)


@dataclass(frozen=True)
class QueryPlan:
    """What each side of the search looks for, decided once per query (search/query_plan.py).

    It travels with the SearchResult, so whoever reads the result (the answerer) uses the
    same language guess and the same terms instead of working them out again."""

    text: str  # the query as typed, stripped, in simplified characters (text/script.py)
    lang: str  # "zh" or "en", guessed from its script
    keyword_text: str  # what the keyword side searches
    vector_text: str  # what the encoders embed
    cross_lingual: bool  # the query's language is not the corpus's main language
    translated: tuple[str, ...] = ()  # the other-language terms the keyword side added
    terms: tuple[str, ...] = ()  # the analyzer's terms of `text`
    keyword_terms: tuple[str, ...] = ()  # the analyzer's terms of `keyword_text`
    script: str = ""  # the script it was typed in: "Hant" (traditional), "Hans", "" (no Chinese)

    @property
    def traditional(self) -> bool:
        """Typed in traditional characters: replies to it are written in them too."""
        return self.script == "Hant"


@dataclass(frozen=True)
class RankedList:
    """What every retriever returns: passage ids best first, each with its own score."""

    name: str  # which retriever: "keyword", "vector", "second_vector"
    ids: tuple[str, ...]
    scores: tuple[float, ...]  # BM25F for keyword, cosine for the vector lists
    # Passages that matched in all, past the `ids` returned (the keyword side counts its
    # matches); None for a retriever that ranks every passage.
    matched: int | None = None

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.scores):
            raise ValueError(f"{len(self.ids)} ids for {len(self.scores)} scores")

    def score_of(self) -> dict[str, float]:
        return dict(zip(self.ids, self.scores))

    def rank_of(self) -> dict[str, int]:
        """1-based rank of each id."""
        return {pid: rank for rank, pid in enumerate(self.ids, start=1)}


@dataclass
class Hit:
    """One search result."""

    passage: Passage
    score: float  # the fused score in hybrid mode, the side's own score otherwise
    snippet: str  # escaped HTML; only <mark> is markup
    keyword_score: float | None = None  # BM25F score, None if the keyword side did not find it
    vector_score: float | None = None  # cosine similarity, None if outside the vector candidates
    keyword_rank: int | None = None
    vector_rank: int | None = None


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class ResultFacets:
    """Counts of one search's passages by source, year and place (search/facets.py), under
    its filters: clickable refinements, as a news archive offers them.

    `basis` says which passages were counted: "keyword_matches", every passage holding the
    query's words (as many as `keyword_matches`, not only the page or the top candidates);
    "results", the ranked results, when no passage holds the words or in vector mode."""

    basis: FacetBasis
    counted: int
    source: list[FacetCount]
    year: list[FacetCount]
    place: list[FacetCount]  # the passage's district


@dataclass
class SearchResult:
    query: str
    mode: SearchMode
    total: int
    hits: list[Hit]
    took_ms: float = 0.0
    # Passages that contain the query's words (the keyword side's count; None in vector mode).
    keyword_matches: int | None = None
    plan: QueryPlan | None = None  # how the query was read; None for an empty query
    sort: SortOrder = "relevance"
    facets: ResultFacets | None = None

    @property
    def only_close_in_meaning(self) -> bool:
        """Hits, but none holds the query's words (hybrid's vector side always finds some):
        pages say so instead of counting them."""
        return self.keyword_matches == 0 and bool(self.hits)


@dataclass(frozen=True)
class Facets:
    """Filter choices and counts of one build (search/facets.py)."""

    sources: list[str]
    districts: list[str]
    documents: int
    passages: int
    passages_per_document: dict[str, int]


@dataclass(frozen=True)
class Citation:
    """One quoted sentence backing one sentence of an answer."""

    n: int
    doc_id: str
    title: str
    passage_id: str
    quote: str
    start: int  # offsets of the quote in the document text
    end: int
    url: str = ""
    page: int | None = None  # page of a paged source (PDF) the quote is on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RenderedSpan:
    """A piece of a Chinese quote rendered in English exactly (english_figures.py)."""

    start: int  # offsets into the quote
    end: int
    source: str  # the Chinese it renders, quote[start:end]
    english: str
    kind: Literal["figure", "change", "period", "term"]


@dataclass(frozen=True)
class EnglishLine:
    """What an English reader is told about one cited Chinese sentence (english_answer.py):
    only renderings that are certain; everything else stays Chinese, in `untranslated`."""

    n: int  # the citation it belongs to (Citation.n)
    text: str  # "" when nothing in the quote could be rendered
    rendered_spans: list[RenderedSpan] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)  # clauses and numbers left in Chinese

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    question: str
    lang: str  # language of the question, used for the abstention message
    answered: bool
    text: str  # every sentence ends with [n]; the "corpus does not say" message when not answered
    citations: list[Citation]
    passages: list[Hit]  # the closest passages, shown whether or not we answered
    confidence: float  # the evidence score the abstention threshold was compared with
    took_ms: float = 0.0
    # For an English question answered from Chinese quotes: one line per citation, in
    # citation order, leading the answer card; empty otherwise.
    english: list[EnglishLine] = field(default_factory=list)
