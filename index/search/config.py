"""How a search engine weighs and bounds its retrievers: one frozen value, read by the
engine, the fusion and the benchmarks alike."""
from __future__ import annotations

from dataclasses import dataclass

from index.crosslingual.query_translation import DEFAULT_LIMITS, TranslationLimits

# k=60 with 1-based ranks, as in the paper. (Haystack's DocumentJoiner uses 61 because
# its ranks start at 0: the same constant.) Large k flattens the head of each list, so one
# side's first hit cannot drown the other side's consensus.
RRF_K = 60


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
    # Keyword ranking, counts and facets from the build's numpy copy of the Whoosh index
    # (keyword/accelerator.py: same results, ~50x faster at 50k passages); off, or in a
    # build without it, Whoosh answers.
    keyword_accelerator: bool = True
