"""Hybrid search over the current build: keyword + vector, fused, filtered, paged."""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.build.artifacts import (
    KEYWORD_ACCELERATOR_FOLDER,
    KEYWORD_FOLDER,
    PASSAGES_FILE,
    SECOND_SENTENCE_KEYS_FILE,
    SECOND_SENTENCE_VECTORS_FILE,
    SECOND_VECTORS_FILE,
    SENTENCE_KEYS_FILE,
    SENTENCE_VECTORS_FILE,
    SUGGESTIONS_FILE,
    USER_DICTIONARY,
    VECTORS_FILE,
)
from index.crosslingual.glossary import GLOSSARY_FILE, Glossary
from index.crosslingual.lexicon import Lexicon, load_lexicon
from index.crosslingual.pinyin_names import PinyinNames
from index.filters import date_key, passage_matches
from index.keyword.suggest import Suggester
from index.keyword.whoosh_index import KeywordIndex
from index.models import (
    SEARCH_MODES,
    SORT_ORDERS,
    Document,
    Facets,
    Hit,
    Passage,
    QueryPlan,
    RankedList,
    SearchFilters,
    SearchMode,
    SearchResult,
    SortOrder,
)
from index.search.browsing import FacetCounter, newest_first
from index.search.config import SearchConfig
from index.search.facets import corpus_facets
from index.search.fusion import KEYWORD, SECOND_VECTOR, VECTOR, fuse, fusion_weights, uses_second_vector
from index.search.query_plan import plan_query
from index.search.reload import read_records
from index.storage.layout import DamagedBuild, DataLayout, published_builds, sentence_cache_path, verify_build
from index.text.analysis import load_user_dictionary
from index.text.highlight import make_snippet
from index.vector.cache import EmbeddingCache
from index.vector.encoder import Encoder
from index.vector.second_encoder import UseEncoder
from index.vector.sentence_store import SentenceVectors
from index.vector.vector_index import VectorIndex

logger = logging.getLogger(__name__)


class IndexNotBuilt(RuntimeError):
    """No build has been published in the data directory yet."""


@dataclass(frozen=True)
class LoadedBuild:
    """Everything one build serves; replaced as a whole, so a request never mixes builds."""

    marker: str
    folder: Path
    keyword: KeywordIndex
    vectors: VectorIndex
    passages: list[Passage]
    position: dict[str, int]  # passage id -> row in `passages` and `vectors`
    documents: dict[str, Document]
    suggester: Suggester
    glossary: Glossary
    names: PinyinNames  # the corpus's Chinese words by pinyin, for English names
    second_vectors: VectorIndex | None  # USE vectors, when the build made them
    sentences: SentenceVectors | None  # every sentence's e5 vector (None in builds older than them)
    second_sentences: SentenceVectors | None  # and its USE vector, when the build has USE
    languages: frozenset[str]  # of the passages
    main_language: str  # the language most passages are in
    facets: Facets

    def passage_by_id(self, passage_id: str) -> Passage:
        return self.passages[self.position[passage_id]]

    @classmethod
    def open(cls, folder: Path, marker: str, accelerate: bool = True, previous: LoadedBuild | None = None) -> LoadedBuild:
        """Raises DamagedBuild naming the file when the build cannot be served as written.

        `accelerate` False: keyword search asks Whoosh even if the build has its accelerator.
        `previous`, the build being served, lends its passages and documents to a build an
        incremental update made from it (search/reload.py)."""
        verify_build(folder)
        with _naming(folder / USER_DICTIONARY):
            load_user_dictionary(folder / USER_DICTIONARY)
        with _naming(folder / PASSAGES_FILE):
            passages, documents = read_records(
                folder, *((previous.folder, previous.passages, previous.documents) if previous else ()))
        second = folder / SECOND_VECTORS_FILE
        counts = Counter(p.lang for p in passages)
        with _naming(folder / KEYWORD_FOLDER):
            keyword = KeywordIndex(folder / KEYWORD_FOLDER,
                                   folder / KEYWORD_ACCELERATOR_FOLDER if accelerate else None)
        with _naming(folder / VECTORS_FILE):
            vectors = VectorIndex.open(folder / VECTORS_FILE, passages, VECTOR)
        with _naming(second):
            second_vectors = VectorIndex.open(second, passages, SECOND_VECTOR) if second.is_file() else None
        with _naming(folder / SENTENCE_VECTORS_FILE):
            sentences = SentenceVectors.open(folder / SENTENCE_KEYS_FILE, folder / SENTENCE_VECTORS_FILE)
        with _naming(folder / SECOND_SENTENCE_VECTORS_FILE):
            second_sentences = SentenceVectors.open(folder / SECOND_SENTENCE_KEYS_FILE,
                                                    folder / SECOND_SENTENCE_VECTORS_FILE)
        with _naming(folder / SUGGESTIONS_FILE):
            vocabulary = Suggester.read_vocabulary(folder / SUGGESTIONS_FILE)
            suggester = Suggester(vocabulary)
        with _naming(folder / GLOSSARY_FILE):
            glossary = Glossary.load(folder / GLOSSARY_FILE)
        return cls(
            marker=marker,
            folder=folder,
            keyword=keyword,
            vectors=vectors,
            passages=passages,
            position={p.id: i for i, p in enumerate(passages)},
            documents={d.id: d for d in documents},
            suggester=suggester,
            glossary=glossary,
            names=PinyinNames.from_words(word for word, _ in vocabulary),
            second_vectors=second_vectors,
            sentences=sentences,
            second_sentences=second_sentences,
            languages=frozenset(counts),
            main_language=counts.most_common(1)[0][0] if counts else "zh",
            facets=corpus_facets(documents, passages),
        )


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Any error reading `path` becomes a DamagedBuild that names it."""
    try:
        yield
    except DamagedBuild:
        raise
    except Exception as exc:
        raise DamagedBuild(path, f"{type(exc).__name__}: {exc}") from exc


class SearchEngine:
    """The library's front door for search: `search`, documents, suggestions, and the few
    reads the answerer needs (answer/answerer.py's AnswerSource)."""

    def __init__(
        self,
        data_dir: Path,
        encoder: Encoder | None = None,
        config: SearchConfig | None = None,
        second_encoder: Encoder | None = None,
    ) -> None:
        self.layout = DataLayout(data_dir)
        self.encoder = encoder or Encoder(data_dir)
        self.config = config or SearchConfig()
        # Loads its model on first use, so an engine that never sees a cross-lingual query
        # (or has the second encoder turned off) never pays for it.
        self.second_encoder = second_encoder or UseEncoder(data_dir)
        # Loaded now, before gunicorn forks its workers (they then share it).
        self.lexicon: Lexicon | None = load_lexicon(data_dir) if self.config.lexicon else None
        self._build: LoadedBuild | None = None
        # Only for a build older than its sentence vectors: the build's sentence cache, read
        # on first need; sentences missing from it are embedded and kept in memory.
        self._sentence_cache: EmbeddingCache | None = None
        self._reload_lock = threading.Lock()
        self._facets = FacetCounter()
        self._unopenable_marker = ""
        # Why the build served is not the one CURRENT names ("" when it is): /healthz reports it.
        self.degraded = ""
        self._damage = ""
        self.refresh()
        if self._build is None:
            self._open_newest_intact()
        if self._build is None:
            raise IndexNotBuilt(f"no index in {data_dir}: run `python -m index build` first")

    @staticmethod
    def has_index(data_dir: Path) -> bool:
        return DataLayout(data_dir).current_build() is not None

    @property
    def build(self) -> LoadedBuild:
        assert self._build is not None
        return self._build

    def refresh(self) -> bool:
        """Switch to a newer build if one was published; True if it switched.

        Cheap enough to call per request (one small file read). A build that fails to
        open is not switched to: the current one keeps serving.
        """
        marker = self.layout.current_marker()
        if marker in (self._serving_marker(), self._unopenable_marker):
            return False
        with self._reload_lock:
            if marker in (self._serving_marker(), self._unopenable_marker):
                return False
            folder = self.layout.current_build()
            if folder is None:
                return False
            try:
                build = LoadedBuild.open(folder, marker, self.config.keyword_accelerator, previous=self._build)
            except DamagedBuild as exc:
                # Remembered, so a broken build costs one failed open, not one per request.
                self._unopenable_marker = marker
                self._damage = str(exc)
                if self._build is not None:  # at start, _open_newest_intact logs the one line
                    self.degraded = f"build {marker} is damaged ({exc}); still serving {self._build.marker}"
                    logger.error(self.degraded)
                return False
            self._switch_to(build)
            self.degraded = ""
            return True

    def _open_newest_intact(self) -> None:
        """At start, when CURRENT's build is damaged: serve the newest older build that opens."""
        for folder in published_builds(self.layout):
            if folder.name == self._unopenable_marker:
                continue
            try:
                build = LoadedBuild.open(folder, folder.name, self.config.keyword_accelerator)
            except DamagedBuild as exc:
                logger.error("build %s is damaged too: %s", folder.name, exc)
                continue
            self._switch_to(build)
            self.degraded = f"build {self._unopenable_marker} is damaged ({self._damage}); serving the older build {folder.name}"
            logger.error(self.degraded)
            return
        if self._unopenable_marker:
            logger.error("build %s is damaged (%s) and no older build opens", self._unopenable_marker, self._damage)

    def _switch_to(self, build: LoadedBuild) -> None:
        self._build = build
        self._sentence_cache = None  # read again on first need, for a build without sentence vectors

    def _serving_marker(self) -> str | None:
        return self._build.marker if self._build is not None else None

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: SearchFilters | None = None,
        offset: int = 0,
        sort: SortOrder = "relevance",
        *,
        facets: bool = True,
    ) -> SearchResult:
        """The ranked hits for `query`; `facets=False` skips the counts by source, year
        and place (result.facets is then None), which only the search page shows."""
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}")
        if sort not in SORT_ORDERS:
            raise ValueError(f"sort must be one of {', '.join(SORT_ORDERS)}")
        started = time.perf_counter()
        build = self.build  # one build for the whole request, even if a reload happens meanwhile
        plan = self.plan_query(query, build)
        depth = max(offset + k, self.config.candidates)
        lists = {ranked.name: ranked for ranked in self.ranked_lists(plan, mode, depth, filters, build)}
        keyword = lists.get(KEYWORD, RankedList(KEYWORD, (), (), matched=0))
        vector = lists.get(VECTOR, RankedList(VECTOR, (), ()))
        keyword_total = keyword.matched or 0
        if mode == "keyword":
            ranked = list(zip(keyword.ids, keyword.scores))
            total = keyword_total
        elif mode == "vector":
            ranked = list(zip(vector.ids, vector.scores))
            total = len(ranked)
        else:
            ranked = fuse(list(lists.values()), self.config, plan.cross_lingual)
            total = max(len(ranked), keyword_total)
        if sort == "date":
            ranked, total = newest_first(ranked, total, keyword if mode != "vector" else None, build.passage_by_id)

        terms = set(plan.keyword_terms)
        keyword_score, vector_score = keyword.score_of(), vector.score_of()
        keyword_rank, vector_rank = keyword.rank_of(), vector.rank_of()
        hits = []
        for pid, score in ranked[offset:offset + k]:
            passage = build.passages[build.position[pid]]
            hits.append(Hit(
                passage=passage,
                score=score,
                snippet=make_snippet(passage.text, terms),
                keyword_score=keyword_score.get(pid),
                vector_score=vector_score.get(pid),
                keyword_rank=keyword_rank.get(pid),
                vector_rank=vector_rank.get(pid),
            ))
        counts = None
        if facets and plan.text:
            matches = build.keyword if mode != "vector" and keyword_total else None
            counts = self._facets.count(build.marker, plan.keyword_terms, filters, matches,
                                        [pid for pid, _ in ranked], build.passage_by_id)
        return SearchResult(query, mode, total, hits, took_ms=(time.perf_counter() - started) * 1000,
                            keyword_matches=None if mode == "vector" else keyword_total,
                            plan=plan if plan.text else None, sort=sort, facets=counts)

    def plan_query(self, query: str, build: LoadedBuild | None = None) -> QueryPlan:
        """The one place a query is expanded: what the keyword side searches (the query plus
        its terms in the other language: glossary, then CC-CEDICT) and what the encoders
        embed (the query plus its glossary terms: "GDP" + 地区生产总值 embeds close to the
        Chinese passage where the English alone did not; rank 43 of 48 -> rank 1)."""
        build = build or self.build
        return plan_query(query, build.languages, build.main_language, build.glossary, self.lexicon,
                          self.config.translation, build.names)

    def expand_query(self, query: str) -> str:
        """The text the encoders embed for `query` (benchmarks batch-embed these)."""
        return self.plan_query(query).vector_text

    def ranked_lists(
        self, plan: QueryPlan, mode: SearchMode, depth: int, filters: SearchFilters | None = None,
        build: LoadedBuild | None = None,
    ) -> list[RankedList]:
        """Each list the mode fuses: "keyword" (BM25F), "vector" (e5 cosine) and, for a
        cross-lingual hybrid query with a second encoder, "second_vector" (USE cosine)."""
        build = build or self.build
        if not plan.text:
            return []
        lists: list[RankedList] = []
        if mode in ("keyword", "hybrid"):
            lists.append(build.keyword.search(plan.keyword_terms, depth, filters))
        if mode in ("vector", "hybrid"):
            lists.append(build.vectors.search(self.encoder.encode_query(plan.vector_text), depth, filters))
        second = build.second_vectors
        if mode == "hybrid" and second is not None and uses_second_vector(self.config, plan.cross_lingual):
            lists.append(second.search(self.second_encoder.encode_query(plan.vector_text), depth, filters))
        return lists

    def fusion_weights(self, plan: QueryPlan, build: LoadedBuild | None = None) -> dict[str, float]:
        """The weights hybrid search fuses this query's lists with (fusion.fusion_weights)."""
        build = build or self.build
        available = {KEYWORD, VECTOR} | ({SECOND_VECTOR} if build.second_vectors is not None else set())
        return fusion_weights(self.config, plan.cross_lingual, available)

    # What the answerer reads (answer/answerer.py's AnswerSource), and nothing more.

    def embed_question(self, text: str) -> np.ndarray:
        return self.encoder.encode_query(text)

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of answer-candidate sentences, read from the build's sentence
        vectors: the model runs only for a sentence the build never saw."""
        sentences = self.build.sentences
        if sentences is None:
            return self._embed_unbuilt(texts)
        rows = sentences.rows(texts)
        out = np.empty((len(texts), sentences.vectors.shape[1]), dtype=np.float32)
        found = rows >= 0
        out[found] = sentences.vectors[rows[found]]
        if not found.all():
            missing = [t for t, ok in zip(texts, found) if not ok]
            out[~found] = self._embed_unbuilt(missing)
        return out

    def second_cosines(self, query: str, texts: list[str]) -> np.ndarray | None:
        """The second encoder's (USE) cosine of each sentence to `query`, read from the
        build's USE sentence vectors; None when the build has none. `query` is the plan's
        vector text: a cross-lingual search has already embedded it (a cache hit)."""
        sentences = self.build.second_sentences
        if sentences is None:
            return None
        rows = sentences.rows(texts)
        found = rows >= 0
        vectors = np.empty((len(texts), sentences.vectors.shape[1]), dtype=np.float32)
        vectors[found] = sentences.vectors[rows[found]]
        if not found.all():  # not split from this build's passages: never happens in ask
            vectors[~found] = self.second_encoder.encode_passages([t for t, ok in zip(texts, found) if not ok])
        return vectors @ self.second_encoder.encode_query(query)

    def _embed_unbuilt(self, texts: list[str]) -> np.ndarray:
        if self._sentence_cache is None:
            self._sentence_cache = EmbeddingCache(sentence_cache_path(self.layout, self.encoder.name))
        return self.encoder.encode_passages(texts, self._sentence_cache)

    def unknown_terms(self, terms: Iterable[str]) -> set[str]:
        """The terms no passage of the current build contains."""
        return self.build.keyword.unknown_terms(terms)

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """Each term's BM25 inverse document frequency over the current build's passages."""
        keyword = self.build.keyword
        passages = keyword.doc_count()
        return {term: math.log(1 + (passages - df + 0.5) / (df + 0.5))
                for term, df in keyword.document_frequencies(terms).items()}

    @property
    def glossary(self) -> Glossary:
        return self.build.glossary

    # Documents, passages and suggestions of the current build.

    def document(self, doc_id: str) -> Document | None:
        return self.build.documents.get(doc_id)

    def documents(self) -> list[Document]:
        return list(self.build.documents.values())

    def latest_documents(self, filters: SearchFilters | None = None) -> list[Document]:
        """Documents newest first (undated last), under the filters: the archive's front page."""
        documents = [d for d in self.build.documents.values() if filters is None or passage_matches(d, filters)]
        documents.sort(key=lambda d: d.title)
        documents.sort(key=lambda d: date_key(d.date), reverse=True)  # stable: same day stays by title
        return documents

    def passages_of(self, doc_id: str) -> list[Passage]:
        return [p for p in self.build.passages if p.doc_id == doc_id]

    def passage(self, passage_id: str) -> Passage | None:
        row = self.build.position.get(passage_id)
        return None if row is None else self.build.passages[row]

    def facets(self) -> Facets:
        return self.build.facets

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        return self.build.suggester.suggest(prefix, limit)
