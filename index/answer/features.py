"""What the learned answer decision reads about each candidate sentence.

Every feature is cheap (no model runs here: the e5 cosine is the build's sentence vector
against the question's, already computed by `score_sentences`) and means the same whatever
the question's language, so one model serves zh, en and zh-Hant questions:

- the e5 cosine, and its gap to the best candidate's (the ranking signal);
- keyword overlap: the question's own terms for same-language pairs, the lexicon's and
  glossary's Chinese terms (QueryPlan.translated) for an English question over Chinese text;
- the expected answer type against what the sentence holds (when -> a date, how many -> a
  counted number, who / which company -> an organisation, where -> a place, how large -> an area);
- the passage's rank, its fused score relative to the top one, whether both retrievers found it;
- the share of the question's words the corpus never uses (the tempting unanswerables);
- the same overlap weighted by each word's rarity in the corpus (BM25's idf: 区域 matters less
  than 前三季度), and its gap to the best candidate's;
- the e5 cosine to the question as the encoders searched it (QueryPlan.vector_text: an English
  question plus its glossary terms in Chinese), and its gap to the best candidate's;
- the sentence's rank among the candidates by e5 cosine.
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.models import Hit, QueryPlan
from index.text.language import HAN

# Expected answer types: (question pattern, what a sentence holding that type looks like).
# Patterns cover simplified Chinese (traditional questions arrive simplified, QueryPlan.text)
# and English.
ANSWER_TYPES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "date": (
        re.compile(r"\bwhen\b|what (year|date|time|century|decade|month)|which (year|century|decade|month)|"
                   r"什么时候|何时|哪一?年|何年|哪个年代|什么年代|什么时间|哪一?天|几月|几号|哪个世纪|哪个月", re.I),
        re.compile(r"\d{1,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|世纪|年代|[一二三四五六七八九十〇零]+年|\b1\d{3}\b|\b20\d{2}\b"),
    ),
    "number": (
        re.compile(r"how (many|much|long|old|far|often)|what (percentage|share|proportion|number|amount)|"
                   r"\bnumber of\b|多少|几[个家项名位种次人岁年天倍条座]?|百分之几|比例|占比|多长|多久|多远", re.I),
        re.compile(r"\d|[一二两三四五六七八九十百千万亿]+\s*[个家项名位种次人岁年天倍条座%万亿元]"),
    ),
    "organisation": (
        re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|which (company|companies|organi[sz]ation|firm|group|team|party|university|body)|"
                   r"谁|哪家|哪位|哪些人|什么人|哪个(公司|组织|机构|团队|政党|大学|部门|人)|什么(公司|组织|机构|团队)", re.I),
        re.compile(r"公司|集团|企业|大学|学院|组织|协会|委员会|政府|银行|部门|机构|党|队|会|[A-Z][a-z]+"),
    ),
    "place": (
        re.compile(r"\bwhere\b|which (city|country|province|region|place|state|area|district)|"
                   r"哪里|哪儿|在哪|何处|何地|哪个(城市|国家|省|地区|地方|区|州)|什么地方", re.I),
        re.compile(r"[省市县区镇村国州洲岛湾河江山]|街道|地区|地方|城"),
    ),
    "area": (
        re.compile(r"how (large|big)|what (size|area)|多大|面积|多少平方", re.I),
        re.compile(r"平方|亩|公顷|km|㎡|米"),
    ),
}

FEATURE_NAMES: tuple[str, ...] = (
    "cosine", "cosine_gap", "overlap", "figure", "type_wanted", "type_match",
    "inverse_rank", "fused_share", "both_retrievers", "unknown_share", "cross_lingual", "log_chars",
    "weighted_overlap", "weighted_overlap_gap", "expanded_cosine", "expanded_cosine_gap", "inverse_cosine_rank",
)


def wanted_types(question: str) -> list[str]:
    return [name for name, (asks, _) in ANSWER_TYPES.items() if asks.search(question)]


def holds_type(sentence: str, types: Sequence[str]) -> bool:
    return any(ANSWER_TYPES[name][1].search(sentence) for name in types)


def found_renderings(renderings: Sequence[str] | set[str], sentence_simplified: str) -> list[str]:
    """The question's Chinese renderings the sentence holds, each word once: a rendering
    inside a longer found one (生产总值 in 地区生产总值) is the same word."""
    found = [t for t in renderings if t in sentence_simplified]
    return [t for t in found if not any(t != other and t in other for other in found)]


def renderings_of(plan: QueryPlan) -> set[str]:
    """An English question's words as a Chinese sentence would write them: the plan's
    translations, and its numbers and years as they are (2022 is 2022 in both), so that a
    question about 2022 prefers the sentence about 2022 to the one about 2021."""
    return set(plan.translated) | {term for term in plan.terms if term[0].isdigit()}


def translated_overlap(plan: QueryPlan, sentence_simplified: str, verbatim: Collection[str] = ()) -> float:
    """For an English question over a Chinese sentence: how many of the question's words
    the sentence holds in Chinese, as a share of the question's terms.

    The plan's translated terms list several renderings per English word (GDP ->
    地区生产总值, 生产总值); counting found renderings against the English terms, capped at
    1, keeps the alternatives that are absent from diluting the share. `verbatim`: the
    question's English terms the sentence writes as they are (Sky Digital, NFL, BYD), which
    count for it as they would for the same question asked in Chinese."""
    renderings = renderings_of(plan)
    if not plan.terms or not (renderings or verbatim):
        return 0.0
    distinct = found_renderings(renderings, sentence_simplified)
    return min(1.0, (len(distinct) + len(verbatim)) / _units(plan, renderings))


def _units(plan: QueryPlan, renderings: set[str]) -> int:
    """What a found rendering is a share of. A glossary phrase renders several English
    terms as one Chinese term ("first three quarters" -> 前三季度): with fewer renderings
    than terms, the renderings are the units."""
    return min(len(plan.terms), len(renderings)) if renderings else len(plan.terms)


def verbatim_terms(plan: QueryPlan, sentence_latin_terms: Iterable[str]) -> set[str]:
    """An English question's words (not numbers: renderings_of has them) that a Chinese
    sentence holds in Latin letters, from the sentence's own analysis (stemmed alike)."""
    return {t for t in plan.terms if not t[0].isdigit() and not HAN.search(t)} & set(sentence_latin_terms)


def weighted_overlap(terms: Sequence[str], sentence_terms: set[str], weights: dict[str, float]) -> float:
    """Share of the question's idf mass that the sentence holds."""
    total = sum(weights.get(t, 0.0) for t in set(terms))
    return sum(weights.get(t, 0.0) for t in set(terms) & sentence_terms) / total if total > 0 else 0.0


def translated_weighted_overlap(plan: QueryPlan, sentence_simplified: str, weights: dict[str, float],
                                verbatim: Collection[str] = ()) -> float:
    """translated_overlap with each found rendering weighted by its idf, against as many
    average-weight renderings as the question has units (capped at 1)."""
    renderings = renderings_of(plan)
    if not plan.terms or not (renderings or verbatim):
        return 0.0
    distinct = [*found_renderings(renderings, sentence_simplified), *verbatim]
    pool = renderings or set(verbatim)
    mean_weight = sum(weights.get(t, 0.0) for t in pool) / len(pool)
    if mean_weight <= 0:
        return 0.0
    return min(1.0, sum(weights.get(t, 0.0) for t in distinct) / (mean_weight * _units(plan, renderings)))


@dataclass(frozen=True)
class CandidateSignals:
    """What score_sentences measured for one candidate, before it becomes a feature row."""

    cosine: float
    overlap: float
    weighted_overlap: float
    expanded_cosine: float
    figure: bool


def feature_matrix(
    signals: Sequence[CandidateSignals],
    sentences: Sequence[str],
    hits: Sequence[Hit],
    ranks: Sequence[int],
    types: Sequence[str],
    unknown_shares: Sequence[float],
    cross_lingual: Sequence[bool],
    top_score: float,
) -> list[list[float]]:
    """One row per candidate (FEATURE_NAMES order); gaps and ranks are within the question."""
    if not signals:
        return []
    best_cosine = max(s.cosine for s in signals)
    best_weighted = max(s.weighted_overlap for s in signals)
    best_expanded = max(s.expanded_cosine for s in signals)
    cosine_rank = np.argsort(np.argsort([-s.cosine for s in signals], kind="stable")) + 1
    rows = []
    for i, s in enumerate(signals):
        row = sentence_features(s.cosine, best_cosine, s.overlap, s.figure, types, sentences[i], hits[i], ranks[i],
                                top_score, unknown_shares[i], cross_lingual[i])
        row += [s.weighted_overlap, s.weighted_overlap - best_weighted, s.expanded_cosine,
                s.expanded_cosine - best_expanded, 1.0 / float(cosine_rank[i])]
        rows.append(row)
    return rows


def sentence_features(
    cosine: float,
    best_cosine: float,
    overlap: float,
    figure: bool,
    types: Sequence[str],
    sentence: str,
    hit: Hit,
    rank: int,
    top_score: float,
    unknown_share: float,
    cross_lingual: bool,
) -> list[float]:
    """One row, in FEATURE_NAMES order."""
    return [
        cosine,
        cosine - best_cosine,
        overlap,
        float(figure),
        float(bool(types)),
        float(bool(types) and holds_type(sentence, types)),
        1.0 / rank,
        hit.score / top_score if top_score > 0 else 0.0,
        float(hit.keyword_rank is not None and hit.vector_rank is not None),
        unknown_share,
        float(cross_lingual),
        math.log1p(len(sentence)),
    ]


def as_matrix(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))
