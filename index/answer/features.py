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
- the share of the question's words the corpus never uses (the tempting unanswerables).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from index.models import Hit, QueryPlan

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
)


def wanted_types(question: str) -> list[str]:
    return [name for name, (asks, _) in ANSWER_TYPES.items() if asks.search(question)]


def holds_type(sentence: str, types: Sequence[str]) -> bool:
    return any(ANSWER_TYPES[name][1].search(sentence) for name in types)


def translated_overlap(plan: QueryPlan, sentence_simplified: str) -> float:
    """For an English question over a Chinese sentence: how many of the question's words
    the sentence holds in Chinese, as a share of the question's terms.

    The plan's translated terms list several renderings per English word (GDP ->
    地区生产总值, 生产总值); counting found renderings against the English terms, capped at
    1, keeps the alternatives that are absent from diluting the share."""
    if not plan.terms or not plan.translated:
        return 0.0
    found = [t for t in plan.translated if t in sentence_simplified]
    # A rendering inside a longer found one (生产总值 in 地区生产总值) is the same word.
    distinct = [t for t in found if not any(t != other and t in other for other in found)]
    # A glossary phrase renders several English terms as one Chinese term ("first three
    # quarters" -> 前三季度): with fewer renderings than terms, the renderings are the units.
    return min(1.0, len(distinct) / min(len(plan.terms), len(set(plan.translated))))


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
