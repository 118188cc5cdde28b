"""Hybrid search over the current build: keyword + vector, fused, filtered, paged."""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analysis import load_user_dictionary, query_terms
from .builder import USER_DICTIONARY, read_documents, read_passages
from .embedding_cache import EmbeddingCache
from .encoder import Encoder
from .fusion import RRF_K, fuse_rrf
from .glossary import GLOSSARY_FILE, Glossary
from .highlight import make_snippet
from .keyword_index import KeywordIndex
from .lexicon import Lexicon, load_lexicon
from .models import SEARCH_MODES, Answer, Document, Hit, Passage, SearchFilters, SearchMode, SearchResult
from .query_plan import QueryPlan, plan_query
from .query_translation import DEFAULT_LIMITS, TranslationLimits
from .second_encoder import SECOND_VECTORS_FILE, UseEncoder
from .store import DataLayout, sentence_cache_path
from .suggest import Suggester
from .vector_index import VectorIndex


logger = logging.getLogger(__name__)


class IndexNotBuilt(RuntimeError):
    """No build has been published in the data directory yet."""


@dataclass(frozen=True)
class SearchConfig:
    # Equal weights: on benchmarks/qa_set.jsonl hybrid Recall@5 (42 answerable questions per
    # language) was zh 42/42 at keyword weights 0.5-3, en 37 at 0.5 and 40 from 1.0 to 3.0.
    # The XQuAD sweep in docs/BENCHMARKS.md is the wider check.
    keyword_weight: float = 1.0
    vector_weight: float = 1.0
    rrf_k: int = RRF_K
    # Each side contributes this many ranked candidates to fusion (more if paging deeper).
    candidates: int = 100
    # Cross-lingual queries (an English question over a Chinese corpus): the keyword side
    # searches translated terms, noisier than native ones, so it weighs less, and the
    # second encoder (USE) joins the fusion. XQuAD EN->ZH, 1,190 questions: keyword 0.5 /
    # e5 1 / USE 1 gave Recall@5 0.967, MRR@10 0.870, against 0.923 / 0.828 at 1 / 1 / 0
    # (docs/BENCHMARKS.md). Same-language queries keep the weights above and no USE:
    # it did not help them (ZH->ZH 0.994 / 0.960 either way) and would cost its latency.
    cross_keyword_weight: float = 0.5
    second_vector_weight: float = 1.0  # 0 turns the second encoder off
    # The general CC-CEDICT lexicon on the keyword side (the glossary always applies).
    lexicon: bool = True
    translation: TranslationLimits = DEFAULT_LIMITS


@dataclass(frozen=True)
class RankedLists:
    lists: dict[str, tuple[list[str], dict[str, float]]]  # name -> (passage ids best first, scores)
    keyword_total: int  # passages the keyword query matched in all


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
    second_vectors: VectorIndex | None  # USE vectors, when the build made them
    languages: frozenset[str]  # of the passages
    main_language: str  # the language most passages are in

    @classmethod
    def open(cls, folder: Path, marker: str) -> LoadedBuild:
        load_user_dictionary(folder / USER_DICTIONARY)
        passages = read_passages(folder)
        vectors = np.load(folder / "vectors.npy")
        second = folder / SECOND_VECTORS_FILE
        counts = Counter(p.lang for p in passages)
        return cls(
            marker=marker,
            folder=folder,
            keyword=KeywordIndex(folder / "keyword"),
            vectors=VectorIndex(vectors, passages),
            passages=passages,
            position={p.id: i for i, p in enumerate(passages)},
            documents={d.id: d for d in read_documents(folder)},
            suggester=Suggester.load(folder / "suggestions.json"),
            glossary=Glossary.load(folder / GLOSSARY_FILE),
            second_vectors=VectorIndex(np.load(second), passages) if second.is_file() else None,
            languages=frozenset(counts),
            main_language=counts.most_common(1)[0][0] if counts else "zh",
        )


class SearchEngine:
    """The library's front door: `search`, `ask`, documents and suggestions."""

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
        # Sentence vectors for the answerer; the build fills it, requests only read it
        # (new sentences are kept in memory, so workers never race to write the file).
        self.sentence_cache = EmbeddingCache(sentence_cache_path(self.layout, self.encoder.name))
        self._reload_lock = threading.Lock()
        self._unopenable_marker = ""
        self.refresh()
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
                build = LoadedBuild.open(folder, marker)
            except Exception:
                if self._build is None:
                    raise
                # Remembered, so a broken build costs one failed open, not one per request.
                self._unopenable_marker = marker
                logger.exception("cannot open build %s; still serving %s", marker, self._build.marker)
                return False
            self._build = build
            self.sentence_cache = EmbeddingCache(sentence_cache_path(self.layout, self.encoder.name))
            return True

    def _serving_marker(self) -> str | None:
        return self._build.marker if self._build is not None else None

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: SearchFilters | None = None,
        offset: int = 0,
    ) -> SearchResult:
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}")
        started = time.perf_counter()
        build = self.build  # one build for the whole request, even if a reload happens meanwhile
        plan = self.plan_query(query, build)
        depth = max(offset + k, self.config.candidates)
        found = self.ranked_lists(plan, mode, depth, filters, build) if plan.text else RankedLists({}, 0)
        lists = found.lists
        keyword_ranked, keyword_scores = lists.get("keyword", ([], {}))
        vector_ranked, vector_scores = lists.get("vector", ([], {}))
        keyword_total = found.keyword_total
        if mode == "keyword":
            ranked = [(pid, keyword_scores[pid]) for pid in keyword_ranked]
            total = keyword_total
        elif mode == "vector":
            ranked = [(pid, vector_scores[pid]) for pid in vector_ranked]
            total = len(ranked)
        else:
            ranked = fuse_rrf({name: ids for name, (ids, _) in lists.items()}, self.fusion_weights(plan, build),
                              k=self.config.rrf_k)
            total = max(len(ranked), keyword_total)

        terms = set(query_terms(plan.keyword_text))
        keyword_rank = {pid: i for i, pid in enumerate(keyword_ranked, start=1)}
        vector_rank = {pid: i for i, pid in enumerate(vector_ranked, start=1)}
        hits = [
            Hit(
                passage=build.passages[build.position[pid]],
                score=score,
                snippet=make_snippet(build.passages[build.position[pid]].text, terms),
                keyword_score=keyword_scores.get(pid),
                vector_score=vector_scores.get(pid),
                keyword_rank=keyword_rank.get(pid),
                vector_rank=vector_rank.get(pid),
            )
            for pid, score in ranked[offset:offset + k]
        ]
        return SearchResult(query, mode, total, hits, took_ms=(time.perf_counter() - started) * 1000,
                            keyword_matches=None if mode == "vector" else keyword_total)

    def ask(self, question: str) -> Answer:
        from .answer import ask  # answer.py builds on this module

        return ask(self, question)

    def plan_query(self, query: str, build: LoadedBuild | None = None) -> QueryPlan:
        """The one place a query is expanded: what the keyword side searches (the query plus
        its terms in the other language: glossary, then CC-CEDICT) and what the encoders
        embed (the query plus its glossary terms: "GDP" + 地区生产总值 embeds close to the
        Chinese passage where the English alone did not; rank 43 of 48 -> rank 1)."""
        build = build or self.build
        return plan_query(query, build.languages, build.main_language, build.glossary, self.lexicon,
                          self.config.translation)

    def expand_query(self, query: str) -> str:
        """The text the encoders embed for `query` (benchmarks batch-embed these)."""
        return self.plan_query(query).vector_text

    def ranked_lists(
        self, plan: QueryPlan, mode: SearchMode, depth: int, filters: SearchFilters | None = None,
        build: LoadedBuild | None = None,
    ) -> RankedLists:
        """Each list the mode fuses: "keyword" (BM25F), "vector" (e5 cosine) and, for a
        cross-lingual hybrid query with a second encoder, "second_vector" (USE cosine)."""
        build = build or self.build
        lists: dict[str, tuple[list[str], dict[str, float]]] = {}
        keyword_total = 0
        if mode in ("keyword", "hybrid"):
            matches, keyword_total = build.keyword.search(plan.keyword_text, depth, filters)
            lists["keyword"] = ([m.passage_id for m in matches], {m.passage_id: m.score for m in matches})
        if mode in ("vector", "hybrid"):
            lists["vector"] = self._vector_list(build, build.vectors, self.encoder, plan.vector_text, depth, filters)
        if mode == "hybrid" and self._uses_second_encoder(plan, build) and build.second_vectors is not None:
            lists["second_vector"] = self._vector_list(build, build.second_vectors, self.second_encoder,
                                                       plan.vector_text, depth, filters)
        return RankedLists(lists, keyword_total)

    def fusion_weights(self, plan: QueryPlan, build: LoadedBuild | None = None) -> dict[str, float]:
        config = self.config
        keyword = config.cross_keyword_weight if plan.cross_lingual else config.keyword_weight
        weights = {"keyword": keyword, "vector": config.vector_weight}
        if self._uses_second_encoder(plan, build or self.build):
            weights["second_vector"] = config.second_vector_weight
        return weights

    def _uses_second_encoder(self, plan: QueryPlan, build: LoadedBuild) -> bool:
        return plan.cross_lingual and self.config.second_vector_weight > 0 and build.second_vectors is not None

    @staticmethod
    def _vector_list(
        build: LoadedBuild, index: VectorIndex, encoder: Encoder, text: str, depth: int, filters: SearchFilters | None
    ) -> tuple[list[str], dict[str, float]]:
        passages = build.passages
        found = index.search(encoder.encode_query(text), depth, filters)
        return [passages[row].id for row, _ in found], {passages[row].id: score for row, score in found}

    def document(self, doc_id: str) -> Document | None:
        return self.build.documents.get(doc_id)

    def documents(self) -> list[Document]:
        return list(self.build.documents.values())

    def passages_of(self, doc_id: str) -> list[Passage]:
        return [p for p in self.build.passages if p.doc_id == doc_id]

    def passage(self, passage_id: str) -> Passage | None:
        row = self.build.position.get(passage_id)
        return None if row is None else self.build.passages[row]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        return self.build.suggester.suggest(prefix, limit)
