"""The search library's public surface: the web app, the benchmarks and scripts import from here.

The pipeline, one subpackage a stage (each imports only the stages before it):

    text/         analysis (jieba + stemming), language and script, dates, highlighting
    corpus/       files -> Documents (loader, html), passages and sentences, uploads
    keyword/      the Whoosh index, suggestions            \\
    vector/       encoders, vector cache, vector index      > one RankedList each
    crosslingual/ glossary, CC-CEDICT lexicon, query translation, English answer lines
    storage/      the data directory, atomic files, build publishing
    build/        the builder, where it parses and embeds (here or on Ray), what a build folder holds,
                  background reindex
    search/       config, query plan, fusion, the engine
    answer/       extractive answers with citations
    serialize     JSON shapes of results, for the API and the CLI
"""
from __future__ import annotations

from index.answer.abstention import ABSTENTION_FEATURES, ABSTENTION_FILE, AbstentionModel, abstention_row
from index.answer.answerer import (
    DEFAULT_TUNING,
    EVIDENCE_PASSAGES,
    NO_ANSWER,
    AnswerSource,
    AnswerTuning,
    ScoredSentence,
    ask,
    choose_sentences,
    handset_confidence,
    score_sentences,
    unknown_term_share,
)
from index.answer.features import FEATURE_NAMES as ANSWER_FEATURE_NAMES
from index.answer.learned import MODEL_FILE as ANSWER_MODEL_FILE
from index.answer.learned import AnswerModel
from index.build import builder as build_stages  # benchmarks time each build stage by wrapping its functions
from index.build.artifacts import KEYWORD_FOLDER, read_passages
from index.build.builder import BuildError, BuildSummary, ProgressFactory, build_index
from index.build.distributed import RayOptions, RayRunner  # imports Ray only when a RayRunner connects
from index.build.failures import quarantined as quarantined_uploads
from index.build.failures import read_status as read_build_status
from index.build.incremental import IncrementalUpdate, delete_documents, put_documents, update_index
from index.build.reindex import reindex_needed, reindex_running, run_pending_builds, start_reindex
from index.build.runner import BuildRunner, LocalRunner
from index.corpus.loader import (
    BadDocument,
    LoadProblem,
    corpus_files,
    document_from_record,
    load_corpus,
    valid_document_id,
)
from index.corpus.passages import Sentence, answer_sentences, split_passages, split_sentences
from index.corpus.uploads import (
    IngestError,
    UploadNotSaved,
    added_path,
    corpus_ids,
    ingest_files,
    ingest_records,
    read_uploads,
)
from index.env import EMBEDDING_BACKENDS
from index.filters import BadFilter, date_bounds
from index.keyword.whoosh_index import SEARCH_FIELDS as KEYWORD_SEARCH_FIELDS
from index.keyword.whoosh_index import KeywordIndex, build_keyword_accelerator, build_keyword_index
from index.models import (
    SEARCH_MODES,
    SORT_ORDERS,
    Answer,
    Block,
    Citation,
    Document,
    EnglishLine,
    FacetCount,
    Facets,
    Hit,
    Passage,
    QueryPlan,
    RankedList,
    ResultFacets,
    SearchFilters,
    SearchMode,
    SearchResult,
    SortOrder,
)
from index.search.config import SearchConfig
from index.search.engine import IndexNotBuilt, SearchEngine
from index.search.facets import result_facets
from index.search.fusion import fuse, fuse_rrf, fusion_weights
from index.serialize import (
    answer_json,
    citation_json,
    document_json,
    document_summary_json,
    facets_json,
    hit_json,
    passage_json,
    search_json,
)
from index.settings import IndexSettings
from index.storage.layout import BuildBusy, reindex_pending
from index.text.analysis import analyze, load_user_dictionary, query_terms
from index.text.language import guess_language, has_han, is_han
from index.text.script import TRADITIONAL_TAG, script_of, to_simplified, to_traditional
from index.vector.ann import ANN_MIN_VECTORS, AnnIndex
from index.vector.cache import EmbeddingCache, content_key
from index.vector.e5.model_folder import MODEL_NAME as E5_MODEL_NAME
from index.vector.e5.model_folder import ensure_model_folder
from index.vector.e5.openvino_export import MODEL_XML, TOKENIZER_FILES, ensure_openvino_export
from index.vector.e5.openvino_runtime import OpenVinoEmbedder
from index.vector.encoder import Encoder, set_inference_threads
from index.vector.second_encoder import USE_MODEL_NAME, UseEncoder
from index.vector.threads import configure_threads
from index.vector.vector_index import VectorIndex

__all__ = [
    "BadDocument", "BuildBusy", "IncrementalUpdate", "added_path", "delete_documents", "put_documents", "read_uploads",
    "update_index", "valid_document_id",
    "DEFAULT_TUNING", "EVIDENCE_PASSAGES", "NO_ANSWER", "ScoredSentence", "choose_sentences", "handset_confidence", "score_sentences",
    "unknown_term_share", "SEARCH_MODES", "USE_MODEL_NAME", "ANN_MIN_VECTORS", "AnnIndex", "EMBEDDING_BACKENDS", "VectorIndex",
    "set_inference_threads", "configure_threads",
    "ANSWER_FEATURE_NAMES", "ANSWER_MODEL_FILE", "AnswerModel", "ABSTENTION_FEATURES", "ABSTENTION_FILE",
    "AbstentionModel", "abstention_row", "build_stages", "KEYWORD_FOLDER", "result_facets",
    "E5_MODEL_NAME", "ensure_model_folder", "MODEL_XML", "TOKENIZER_FILES", "ensure_openvino_export", "OpenVinoEmbedder",
    "Answer", "AnswerSource", "AnswerTuning", "BadFilter", "Block", "BuildError", "BuildRunner", "BuildSummary",
    "Citation", "LocalRunner", "RayOptions", "RayRunner", "corpus_files",
    "Document", "EmbeddingCache", "SORT_ORDERS", "SortOrder", "ResultFacets", "FacetCount", "facets_json", "Encoder", "EnglishLine", "Facets", "Hit", "IndexNotBuilt", "IndexSettings",
    "IngestError", "UploadNotSaved", "LoadProblem", "Passage", "ProgressFactory", "QueryPlan", "RankedList", "SearchConfig",
    "SearchEngine", "SearchFilters", "SearchMode", "SearchResult", "Sentence", "UseEncoder",
    "analyze", "answer_json", "ask", "build_index", "citation_json", "content_key", "corpus_ids", "date_bounds",
    "document_from_record", "document_json", "document_summary_json", "fuse", "fuse_rrf", "fusion_weights",
    "guess_language", "has_han", "hit_json", "ingest_files", "ingest_records", "is_han", "load_corpus",
    "passage_json", "query_terms", "read_passages", "reindex_needed", "reindex_pending", "reindex_running",
    "quarantined_uploads", "read_build_status", "run_pending_builds", "search_json", "split_passages", "split_sentences", "answer_sentences", "start_reindex",
    "TRADITIONAL_TAG", "script_of", "to_simplified", "to_traditional",
    "KEYWORD_SEARCH_FIELDS", "KeywordIndex", "build_keyword_accelerator", "build_keyword_index", "load_user_dictionary",
]
