"""Extractive answers with citations: pick the sentences that answer, quote them, cite them.

No language model writes anything: every answer sentence is a sentence of the corpus,
so every claim is exactly as true as its source, and the citation points at its span.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from index.answer.abstention import DEFAULT_ABSTENTION, AbstentionModel, abstention_row
from index.answer.features import (
    CandidateSignals,
    feature_matrix,
    translated_overlap,
    translated_weighted_overlap,
    verbatim_terms,
    wanted_types,
    weighted_overlap,
)
from index.answer.learned import DEFAULT_MODEL, AnswerModel
from index.corpus.passages import Sentence, answer_sentences
from index.crosslingual.english_answer import render_english
from index.crosslingual.glossary import Glossary
from index.crosslingual.lexicon import Lexicon
from index.models import Answer, Citation, EnglishLine, Hit, QueryPlan, SearchMode, SearchResult
from index.text.analysis import analyze
from index.text.language import HAN, guess_language, is_han
from index.text.script import TRADITIONAL_TAG, to_simplified, to_traditional


class AnswerSource(Protocol):
    """All the answerer reads from a search engine (search/engine.py implements it)."""

    lexicon: Lexicon | None

    @property
    def glossary(self) -> Glossary: ...

    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid", *, facets: bool = True) -> SearchResult: ...

    def embed_question(self, text: str) -> np.ndarray: ...

    def embed_sentences(self, texts: list[str]) -> np.ndarray: ...

    def unknown_terms(self, terms: Iterable[str]) -> set[str]: ...

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]: ...

    def second_cosines(self, query: str, texts: list[str]) -> np.ndarray | None: ...

EVIDENCE_PASSAGES = 6  # passages read per question
MAX_ANSWER_SENTENCES = 2
# A second sentence joins the answer only if it scores nearly as well as the best one.
SECOND_SENTENCE_MARGIN = 0.03
MIN_SENTENCE_CHARS = 6



@dataclass(frozen=True)
class AnswerTuning:
    """How sentences are scored and when the answerer abstains.

    score = cosine(question, sentence) + overlap_weight * share of question terms in the
    sentence + figure_bonus (a how-much question meets a sentence with a matching figure)
    + rank_weight / rank of its passage. The answerer abstains when the best score is
    under the threshold; cross-lingual pairs (an English question, Chinese evidence) get
    their own threshold because e5 gives them systematically lower cosines. Values come
    from benchmarks/calibrate_answers.py on benchmarks/qa_set.jsonl (docs/ANSWERS.md).
    """

    overlap_weight: float = 0.06
    figure_bonus: float = 0.03
    rank_weight: float = 0.05
    threshold: float = 0.98
    # 0.84 on qa_set before English overlap counted translated terms; with them, English
    # confidences rise ~0.03 and 0.855 is the lowest threshold whose wrong-answer rate and
    # unanswerable abstention on XQuAD (400 questions, synthetic unanswerables) are no worse
    # than the old rule's: 0.048 vs 0.050 wrong, 0.983 vs 0.970 abstained, 0.440 vs 0.390
    # answered right (benchmarks/train_answers.py, docs/ANSWERS.md).
    cross_lingual_threshold: float = 0.855
    # Confidence = best score - unknown_term_penalty * share of the question's words that
    # occur nowhere in the corpus (营业收入, 失业率, 股价 …): the corpus cannot be talking
    # about something it never names.
    unknown_term_penalty: float = 0.2
    # An English question's overlap with a Chinese sentence counts its Chinese renderings
    # (features.translated_overlap); off, it counts the English terms, as before (about 0).
    translated_overlap: bool = True
    # An English question over Chinese sentences also gets second_cosine_weight x the USE
    # cosine (the second encoder reads EN->ZH better than e5 alone), and then its own
    # threshold. Both were chosen on XQuAD's training folds, held out by article, and were
    # the same in all five folds: English answered right 0.426 -> 0.494 held out, wrong
    # 0.070 -> 0.067, unanswerables abstained 0.976 -> 0.982 (docs/ANSWERS.md). Chinese
    # questions gain nothing from it (the best weight there was 0), so they do not get it.
    second_cosine_weight: float = 0.2
    cross_lingual_second_threshold: float = 0.925

    def score(self, similarity: float, overlap: float, figure: bool, rank: int,
              second_cosine: float | None = None) -> float:
        blend = self.second_cosine_weight * second_cosine if second_cosine is not None else 0.0
        return (similarity + self.overlap_weight * overlap + (self.figure_bonus if figure else 0.0)
                + self.rank_weight / rank + blend)


DEFAULT_TUNING = AnswerTuning()

NO_ANSWER = {
    "zh": "语料库中没有这个问题的答案。下面列出最接近的段落，供参考。",
    "en": "The corpus does not say. The closest passages are listed below.",
}
# A question typed in traditional characters is told so in them (OpenCC s2hk of the zh text).
NO_ANSWER[TRADITIONAL_TAG] = to_traditional(NO_ANSWER["zh"])

_QUANTITY_QUESTION = re.compile(
    r"多少|几|多大|多高|比例|占比|增速|增长了?百分之|how (many|much)|what (percentage|share|proportion)|"
    r"\bgrowth\b|\bvalue\b|\bamount\b|\boutput\b|\bGDP\b|\brate\b|\btotal\b|\bnumber of\b",
    re.I,
)
_NUMBER = re.compile(r"\d")
# Units that tell what kind of figure a question wants.
_UNIT_HINTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"增长|增速|百分|比例|占比|percent|growth|grow|rate|share|%", re.I), re.compile(r"\d+(\.\d+)?%|个百分点")),
    (re.compile(r"元|产值|投资|金额|GDP|生产总值|value|invest|output|worth|yuan|billion|revenue", re.I), re.compile(r"\d+(\.\d+)?[万亿]?元")),
    (re.compile(r"家|企业|compan|firms|enterprises|SMEs|businesses", re.I), re.compile(r"\d+(\.\d+)?[万]?[家户]")),
    (re.compile(r"个|项|条|projects|chains", re.I), re.compile(r"\d+[个项条]")),
    # "How many" alone names no unit: any counted thing will do.
    (re.compile(r"how many", re.I), re.compile(r"\d+(\.\d+)?[万]?[个项条家户座台艘名人]")),
)


@dataclass
class ScoredSentence:
    sentence: Sentence
    hit: Hit
    rank: int
    similarity: float
    overlap: float
    figure: bool
    score: float
    # USE cosine, when it is part of `score` (an English question, a Chinese sentence).
    second_cosine: float | None = None
    # The learned decision's view of the sentence (features.FEATURE_NAMES order).
    features: list[float] = field(default_factory=list)


def ask(source: AnswerSource, question: str, tuning: AnswerTuning = DEFAULT_TUNING,
        model: AnswerModel | None = DEFAULT_MODEL, abstention: AbstentionModel | None = DEFAULT_ABSTENTION) -> Answer:
    """`model`: the learned decision (learned.py), used when it is given and switched on;
    otherwise the hand-set score and thresholds of `tuning`, with `abstention` (abstention.py)
    deciding whether an English question is answered from a Chinese sentence when it is
    given and switched on."""
    started = time.perf_counter()
    question = question.strip()
    # No facet counts: only the search page shows them, and at 50k passages counting
    # every keyword match by source, year and place costs more than the answer itself.
    result = source.search(question, k=EVIDENCE_PASSAGES, mode="hybrid", facets=False) if question else None
    plan = result.plan if result is not None else None
    lang = plan.lang if plan is not None else "en"
    hits = result.hits if result is not None else []
    scored = score_sentences(source, plan, hits, tuning) if plan is not None else []
    learned = model is not None and model.switched_on
    if learned and scored:
        scored = model.rescore(scored)  # type: ignore[union-attr]
    chosen = choose_sentences(scored)
    confidence, threshold = 0.0, 0.0
    if chosen and plan is not None:
        if learned:
            confidence = chosen[0].score
            threshold = model.threshold(lang != chosen[0].hit.passage.lang)  # type: ignore[union-attr]
        else:
            confidence, threshold = handset_decision(source, plan, scored, tuning, abstention)

    if not chosen or confidence < threshold:
        message = TRADITIONAL_TAG if plan is not None and plan.traditional else lang
        return Answer(question, lang, False, NO_ANSWER.get(message, NO_ANSWER["en"]), [], hits, confidence,
                      took_ms=(time.perf_counter() - started) * 1000)
    citations = [
        Citation(
            n=n,
            doc_id=item.hit.passage.doc_id,
            title=item.hit.passage.title,
            passage_id=item.hit.passage.id,
            quote=item.sentence.text,
            start=item.sentence.start,
            end=item.sentence.end,
            url=item.hit.passage.url,
            page=item.hit.passage.page,
        )
        for n, item in enumerate(chosen, start=1)
    ]
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question, lang, True, text, citations, hits, confidence,
                  took_ms=(time.perf_counter() - started) * 1000, english=english_lines(source, lang, citations))


def english_lines(source: AnswerSource, lang: str, citations: list[Citation]) -> list[EnglishLine]:
    """An English question answered from Chinese quotes gets an English line per citation
    (english_answer.py: figures, dates and key terms only; the quote follows it)."""
    if lang != "en":
        return []
    return [render_english(c.quote, source.lexicon, source.glossary, c.n)
            for c in citations if guess_language(c.quote) == "zh"]




def unknown_term_share(source: AnswerSource, plan: QueryPlan, evidence_lang: str) -> float:
    """Share of the question's words, in the evidence's script, that the corpus never uses.

    Only words of the evidence's language count: an English question over Chinese text
    has no Chinese words to check, and must not look unknown for that reason alone.
    """
    wanted_cjk = evidence_lang == "zh"
    terms = [
        t for t in plan.terms
        if not t[0].isdigit() and is_han(t[0]) == wanted_cjk and (len(t) > 1 or not wanted_cjk)
    ]
    if not terms:
        return 0.0
    return len(source.unknown_terms(terms)) / len(terms)


def handset_decision(source: AnswerSource, plan: QueryPlan, scored: list[ScoredSentence], tuning: AnswerTuning,
                     abstention: AbstentionModel | None) -> tuple[float, float]:
    """(confidence, threshold) for the best of `scored`: its score less the unknown-word
    penalty against the hand-set threshold; for an English question over a Chinese sentence
    scored with USE, the abstention model's probability against its own threshold, when the
    model is switched on."""
    best = scored[0]
    confidence = handset_confidence(source, plan, best, tuning)
    if abstention is not None and abstention.switched_on and best.second_cosine is not None:
        return abstention.probability(abstention_row(scored, confidence)), abstention.threshold
    return confidence, abstain_threshold(tuning, plan.lang, best)


def handset_confidence(source: AnswerSource, plan: QueryPlan, best: ScoredSentence, tuning: AnswerTuning) -> float:
    """The best sentence's score less the unknown-word penalty."""
    return best.score - tuning.unknown_term_penalty * unknown_term_share(source, plan, best.hit.passage.lang)


def abstain_threshold(tuning: AnswerTuning, question_lang: str, best: ScoredSentence) -> float:
    if best.hit.passage.lang == question_lang:
        return tuning.threshold
    return tuning.cross_lingual_threshold if best.second_cosine is None else tuning.cross_lingual_second_threshold


def score_sentences(
    source: AnswerSource, plan: QueryPlan, hits: list[Hit], tuning: AnswerTuning = DEFAULT_TUNING
) -> list[ScoredSentence]:
    """Every sentence of the evidence passages, scored against the question."""
    candidates: list[tuple[Sentence, Hit, int]] = []
    for rank, hit in enumerate(hits, start=1):
        for sentence in answer_sentences(hit.passage.text, hit.passage.start):
            if len(sentence.text) >= MIN_SENTENCE_CHARS:
                candidates.append((sentence, hit, rank))
    if not candidates:
        return []
    question = plan.text
    # The question as typed, not the plan's vector text: the tuning was calibrated on it.
    question_vector = source.embed_question(question)
    # The plan's vector text (with its glossary terms) is what the vector side already
    # embedded for this search, so the encoder's cache answers it without a model call.
    expanded_vector = source.embed_question(plan.vector_text) if plan.vector_text != question else question_vector
    sentence_vectors = source.embed_sentences([s.text for s, _, _ in candidates])
    similarities = sentence_vectors @ question_vector
    expanded = sentence_vectors @ expanded_vector
    terms = set(plan.terms)
    # Only the question's terms count in a sentence, so jieba cuts only the runs that can hold one.
    chinese_terms = [term for term in terms if HAN.search(term)]
    weights = source.term_weights(terms | set(plan.translated))
    quantity = bool(_QUANTITY_QUESTION.search(question))
    wanted_units = [unit for hint, unit in _UNIT_HINTS if hint.search(question)]
    unknown: dict[str, float] = {}

    signals: list[CandidateSignals] = []
    simplified: list[str] = []
    for (sentence, hit, _), similarity, expanded_similarity in zip(candidates, similarities, expanded):
        text = to_simplified(sentence.text)
        simplified.append(text)
        if hit.passage.lang != plan.lang and plan.lang == "en" and tuning.translated_overlap:
            # A Chinese sentence holds an English question's words as Chinese renderings
            # (glossary, then CC-CEDICT: the ones the keyword side searched), or now and then
            # in Latin letters as they are (Sky Digital, NFL): both count in its overlap.
            verbatim = verbatim_terms(plan, (term for term, _, _ in analyze(sentence.text, only_runs_with=())))
            overlap = translated_overlap(plan, text, verbatim)
            weighted = translated_weighted_overlap(plan, text, weights, verbatim)
        else:
            sentence_terms = {term for term, _, _ in analyze(sentence.text, only_runs_with=chinese_terms)}
            overlap = len(terms & sentence_terms) / len(terms) if terms else 0.0
            weighted = weighted_overlap(plan.terms, sentence_terms, weights)
        figure = quantity and _has_wanted_figure(sentence.text, wanted_units)
        signals.append(CandidateSignals(float(similarity), overlap, weighted, float(expanded_similarity), figure))
        if hit.passage.lang not in unknown:
            unknown[hit.passage.lang] = unknown_term_share(source, plan, hit.passage.lang)
    second = _second_cosines(source, plan, candidates, tuning)
    rows = feature_matrix(signals, simplified, [h for _, h, _ in candidates], [r for _, _, r in candidates],
                          wanted_types(question), [unknown[h.passage.lang] for _, h, _ in candidates],
                          [h.passage.lang != plan.lang for _, h, _ in candidates], hits[0].score if hits else 0.0)
    scored = [ScoredSentence(sentence, hit, rank, s.cosine, s.overlap, s.figure,
                             tuning.score(s.cosine, s.overlap, s.figure, rank, use), use, row)
              for (sentence, hit, rank), s, row, use in zip(candidates, signals, rows, second)]
    scored.sort(key=lambda s: -s.score)
    return scored


def _second_cosines(
    source: AnswerSource, plan: QueryPlan, candidates: list[tuple[Sentence, Hit, int]], tuning: AnswerTuning
) -> list[float | None]:
    """USE cosine of each Chinese candidate to an English question (None for the others,
    and for all when the build has no USE sentence vectors)."""
    blended = [plan.lang == "en" and hit.passage.lang == "zh" for _, hit, _ in candidates]
    cosines = None
    if any(blended) and tuning.second_cosine_weight:
        cosines = source.second_cosines(plan.vector_text, [s.text for (s, _, _), b in zip(candidates, blended) if b])
    if cosines is None:
        return [None] * len(candidates)
    found = iter(cosines.tolist())
    return [next(found) if b else None for b in blended]


def _has_wanted_figure(text: str, wanted_units: list[re.Pattern[str]]) -> bool:
    if not _NUMBER.search(text):
        return False
    return not wanted_units or any(unit.search(text) for unit in wanted_units)


def choose_sentences(scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """The best sentence, plus a runner-up that is nearly as good and says something else."""
    chosen: list[ScoredSentence] = []
    for item in scored:
        if len(chosen) == MAX_ANSWER_SENTENCES:
            break
        if chosen and item.score < chosen[0].score - SECOND_SENTENCE_MARGIN:
            break
        if any(_same_span(item, other) for other in chosen):
            continue
        chosen.append(item)
    return chosen


def _same_span(a: ScoredSentence, b: ScoredSentence) -> bool:
    """Overlapping passages repeat sentences; a quote must not appear twice."""
    same_doc = a.hit.passage.doc_id == b.hit.passage.doc_id
    return same_doc and a.sentence.start < b.sentence.end and b.sentence.start < a.sentence.end
