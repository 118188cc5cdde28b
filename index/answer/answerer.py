"""Extractive answers with citations: pick the sentences that answer, quote them, cite them.

No language model writes anything: every answer sentence is a sentence of the corpus,
so every claim is exactly as true as its source, and the citation points at its span.
Which sentence, and whether to answer at all, is the learned answer model's decision
(model.py, trained on XQuAD; docs/ANSWERS.md).
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.answer.features import SentenceEncoders, candidate_features, content_terms
from index.answer.model import AnswerModel, decision_features, load_answer_model
from index.corpus.passages import Sentence
from index.crosslingual.english_answer import render_english
from index.crosslingual.glossary import Glossary
from index.crosslingual.lexicon import Lexicon
from index.models import Answer, Citation, EnglishLine, Hit, QueryPlan, SearchMode, SearchResult
from index.text.language import guess_language
from index.text.script import TRADITIONAL_TAG, to_traditional


class AnswerSource(SentenceEncoders, Protocol):
    """All the answerer reads from a search engine (search/engine.py implements it)."""

    lexicon: Lexicon | None

    @property
    def glossary(self) -> Glossary: ...

    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid") -> SearchResult: ...

    def unknown_terms(self, terms: Iterable[str]) -> set[str]: ...


EVIDENCE_PASSAGES = 6  # passages read per question
MAX_ANSWER_SENTENCES = 2

NO_ANSWER = {
    "zh": "语料库中没有这个问题的答案。下面列出最接近的段落，供参考。",
    "en": "The corpus does not say. The closest passages are listed below.",
}
# A question typed in traditional characters is told so in them (OpenCC s2hk of the zh text).
NO_ANSWER[TRADITIONAL_TAG] = to_traditional(NO_ANSWER["zh"])


@dataclass
class ScoredSentence:
    """A candidate sentence with the sentence model's logit (higher: likelier the answer)."""

    sentence: Sentence
    hit: Hit
    rank: int
    score: float


@dataclass
class Decision:
    """What the model says about one question: its sentences best first, and whether to answer."""

    ranked: list[ScoredSentence]
    chosen: list[ScoredSentence]
    probability: float  # that the best sentence answers the question
    answered: bool


def ask(source: AnswerSource, question: str, model: AnswerModel | None = None) -> Answer:
    started = time.perf_counter()
    question = question.strip()
    result = source.search(question, k=EVIDENCE_PASSAGES, mode="hybrid") if question else None
    plan = result.plan if result is not None else None
    lang = plan.lang if plan is not None else "en"
    hits = result.hits if result is not None else []
    decision = decide(source, plan, hits, model or load_answer_model()) if plan is not None else None

    if decision is None or not decision.answered:
        message = TRADITIONAL_TAG if plan is not None and plan.traditional else lang
        return Answer(question, lang, False, NO_ANSWER.get(message, NO_ANSWER["en"]), [], hits,
                      decision.probability if decision else 0.0, took_ms=(time.perf_counter() - started) * 1000)
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
        for n, item in enumerate(decision.chosen, start=1)
    ]
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question, lang, True, text, citations, hits, decision.probability,
                  took_ms=(time.perf_counter() - started) * 1000, english=english_lines(source, lang, citations))


def decide(source: AnswerSource, plan: QueryPlan, hits: list[Hit], model: AnswerModel) -> Decision:
    """The answer model over the question's candidate sentences (model.py, features.py)."""
    candidates = candidate_features(source, plan, hits)
    if not candidates.candidates:
        return Decision([], [], 0.0, False)
    logits = model.sentence.logits(candidates.features)
    best = candidates.candidates[int(np.argmax(logits))]
    terms = content_terms(plan, best.sentence.text)
    unknown = len(source.unknown_terms(terms)) / len(terms) if terms else 0.0
    decision_row = decision_features(candidates, logits, unknown)
    ranked = sorted(
        (ScoredSentence(c.sentence, c.hit, c.rank, float(logit)) for c, logit in zip(candidates.candidates, logits)),
        key=lambda s: -s.score,
    )
    probability = float(model.answer.probabilities(decision_row[None, :])[0])
    chosen = choose_sentences(ranked, model.second_sentence_margin)
    return Decision(ranked, chosen, probability, probability >= model.threshold)


def english_lines(source: AnswerSource, lang: str, citations: list[Citation]) -> list[EnglishLine]:
    """An English question answered from Chinese quotes gets an English line per citation
    (english_answer.py: figures, dates and key terms only; the quote follows it)."""
    if lang != "en":
        return []
    return [render_english(c.quote, source.lexicon, source.glossary, c.n)
            for c in citations if guess_language(c.quote) == "zh"]




def choose_sentences(scored: list[ScoredSentence], margin: float) -> list[ScoredSentence]:
    """The best sentence, plus a runner-up whose score is within `margin` of it and that
    says something else."""
    chosen: list[ScoredSentence] = []
    for item in scored:
        if len(chosen) == MAX_ANSWER_SENTENCES:
            break
        if chosen and item.score < chosen[0].score - margin:
            break
        if any(_same_span(item, other) for other in chosen):
            continue
        chosen.append(item)
    return chosen


def _same_span(a: ScoredSentence, b: ScoredSentence) -> bool:
    """Overlapping passages repeat sentences; a quote must not appear twice."""
    same_doc = a.hit.passage.doc_id == b.hit.passage.doc_id
    return same_doc and a.sentence.start < b.sentence.end and b.sentence.start < a.sentence.end
