"""Hybrid search over the current build: keyword + vector, fused, filtered, paged."""
from __future__ import annotations

import threading
import time
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
from .loader import guess_language
from .models import SEARCH_MODES, Answer, Document, Hit, Passage, SearchFilters, SearchMode, SearchResult
from .store import DataLayout, sentence_cache_path
from .suggest import Suggester
from .vector_index import VectorIndex


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

    @classmethod
    def open(cls, folder: Path, marker: str) -> LoadedBuild:
        load_user_dictionary(folder / USER_DICTIONARY)
        passages = read_passages(folder)
        vectors = np.load(folder / "vectors.npy")
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
        )


class SearchEngine:
    """The library's front door: `search`, `ask`, documents and suggestions."""

    def __init__(self, data_dir: Path, encoder: Encoder | None = None, config: SearchConfig | None = None) -> None:
        self.layout = DataLayout(data_dir)
        self.encoder = encoder or Encoder(data_dir)
        self.config = config or SearchConfig()
        self._build: LoadedBuild | None = None
        # Sentence vectors for the answerer; the build fills it, requests only read it
        # (new sentences are kept in memory, so workers never race to write the file).
        self.sentence_cache = EmbeddingCache(sentence_cache_path(self.layout, self.encoder.name))
        self._reload_lock = threading.Lock()
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
        if self._build is not None and marker == self._build.marker:
            return False
        with self._reload_lock:
            if self._build is not None and marker == self._build.marker:
                return False
            folder = self.layout.current_build()
            if folder is None:
                return False
            self._build = LoadedBuild.open(folder, marker)
            self.sentence_cache = EmbeddingCache(sentence_cache_path(self.layout, self.encoder.name))
            return True

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
        build = self.build
        query = query.strip()
        depth = max(offset + k, self.config.candidates)
        keyword_ranked: list[str] = []
        keyword_scores: dict[str, float] = {}
        vector_ranked: list[str] = []
        vector_scores: dict[str, float] = {}
        keyword_total = 0
        expanded = self.expand_query(query)
        if query and mode in ("keyword", "hybrid"):
            matches, keyword_total = build.keyword.search(expanded, depth, filters)
            keyword_ranked = [m.passage_id for m in matches]
            keyword_scores = {m.passage_id: m.score for m in matches}
        if query and mode in ("vector", "hybrid"):
            for row, score in build.vectors.search(self.encoder.encode_query(expanded), depth, filters):
                vector_ranked.append(build.passages[row].id)
                vector_scores[build.passages[row].id] = score

        if mode == "keyword":
            ranked = [(pid, keyword_scores[pid]) for pid in keyword_ranked]
            total = keyword_total
        elif mode == "vector":
            ranked = [(pid, vector_scores[pid]) for pid in vector_ranked]
            total = len(ranked)
        else:
            ranked = fuse_rrf(
                {"keyword": keyword_ranked, "vector": vector_ranked},
                {"keyword": self.config.keyword_weight, "vector": self.config.vector_weight},
                k=self.config.rrf_k,
            )
            total = max(len(ranked), keyword_total)

        terms = set(query_terms(expanded))
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
        return SearchResult(query, mode, total, hits, took_ms=(time.perf_counter() - started) * 1000)

    def ask(self, question: str) -> Answer:
        from .answer import ask  # answer.py builds on this module

        return ask(self, question)

    def expand_query(self, query: str) -> str:
        """The text both sides search: an English query also carries the Chinese glossary
        terms of its phrases, so "GDP" finds 地区生产总值. On the vector side the mixed
        query embeds close to the Chinese passage where the English one alone did not
        (the GDP passage went from rank 43 of 48 to rank 1)."""
        if not query or guess_language(query) != "en":
            return query
        chinese = self.build.glossary.translate_terms(query)
        return f"{query} {' '.join(chinese)}" if chinese else query

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
