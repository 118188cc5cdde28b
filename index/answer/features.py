"""The signals the answer model reads: one row per candidate sentence of a question.

Candidates are the sentences of the top evidence passages. Each row holds what the two
encoders, the keyword overlap, the answer kind and the search itself say about the
sentence. Relative signals (a sentence's cosine against the best cosine of the same
question) sit beside absolute ones: cross-lingual cosines run systematically lower, and
"the best of this question's sentences" is what makes an English question and its Chinese
twin pick the same sentence.

Training (benchmarks/train_answers.py) and the app call the same `candidate_features`, so
the model sees at run time exactly what it learned from.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.answer.answer_types import held_kinds, kind_match, wanted_kinds
from index.corpus.passages import Sentence, split_sentences
from index.models import Hit, QueryPlan
from index.text.analysis import query_terms
from index.text.language import has_han, is_han

MIN_SENTENCE_CHARS = 6

# Order matters: it is the order of the model's coefficients (model.py checks the names).
SENTENCE_FEATURES = (
    "e5_cosine", "e5_below_best", "use_cosine", "use_below_best",
    "overlap", "overlap_below_best", "question_coverage",
    "kind_wanted", "kind_match", "kind_missing", "has_number",
    "passage_rank_inverse", "fused_score_ratio", "keyword_rank_inverse", "vector_rank_inverse",
    "both_retrievers", "cross_lingual", "log_sentence_chars",
)
# Each "below best" column: how far the sentence is from the question's best candidate.
RELATIVE_COLUMNS = (("e5_cosine", "e5_below_best"), ("use_cosine", "use_below_best"), ("overlap", "overlap_below_best"))


class SentenceEncoders(Protocol):
    """What feature extraction needs from the encoders (the engine implements it); the
    second encoder's methods give None when it is turned off."""

    def embed_question(self, text: str) -> np.ndarray: ...

    def embed_sentences(self, texts: list[str]) -> np.ndarray: ...

    def embed_question_second(self, text: str) -> np.ndarray | None: ...

    def embed_sentences_second(self, texts: list[str]) -> np.ndarray | None: ...


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    hit: Hit
    rank: int  # of its passage in the evidence, from 1


@dataclass
class CandidateSet:
    """A question's candidate sentences and their feature rows (same order)."""

    candidates: list[Candidate]
    features: np.ndarray  # (len(candidates), len(SENTENCE_FEATURES)), float64

    def column(self, name: str) -> np.ndarray:
        return self.features[:, SENTENCE_FEATURES.index(name)]


def candidate_sentences(hits: Sequence[Hit]) -> list[Candidate]:
    return [
        Candidate(sentence, hit, rank)
        for rank, hit in enumerate(hits, start=1)
        for sentence in split_sentences(hit.passage.text, hit.passage.start)
        if len(sentence.text) >= MIN_SENTENCE_CHARS
    ]


def candidate_features(encoders: SentenceEncoders, plan: QueryPlan, hits: Sequence[Hit]) -> CandidateSet:
    candidates = candidate_sentences(hits)
    if not candidates:
        return CandidateSet([], np.zeros((0, len(SENTENCE_FEATURES))))
    texts = [c.sentence.text for c in candidates]
    # The plan's vector text is what search already embedded (an English question plus its
    # glossary terms), so both question vectors come from the encoders' query caches.
    e5 = encoders.embed_sentences(texts) @ encoders.embed_question(plan.vector_text)
    # The second encoder only where search used it (cross-lingual questions, whose USE
    # vector is then in its query cache): for a same-language question it would cost a
    # USE embedding per question (~100-300 ms here) for what e5 already says well. Its
    # columns then repeat e5's, as without a second encoder (SECOND_ENCODER=off), and
    # training applies the same rule (`e5_for_second_encoder`).
    second_sentences = encoders.embed_sentences_second(texts) if plan.cross_lingual else None
    second_question = encoders.embed_question_second(plan.vector_text) if second_sentences is not None else None
    use = second_sentences @ second_question if second_question is not None and second_sentences is not None else e5

    sentence_terms = [set(query_terms(t)) for t in texts]
    evidence_terms = set().union(*sentence_terms)
    wanted = wanted_kinds(plan.text)
    top_score = max(h.score for h in hits) or 1.0
    rows = []
    for c, terms, e5_cos, use_cos in zip(candidates, sentence_terms, e5, use):
        question = question_terms_for(plan, c.sentence.text)
        held = held_kinds(c.sentence.text)
        match = kind_match(wanted, held)
        rows.append([
            float(e5_cos), 0.0, float(use_cos), 0.0,
            _share(question, terms), 0.0, _share(question, evidence_terms),
            float(bool(wanted)), match, float(bool(wanted)) * (1.0 - match), float("number" in held),
            1.0 / c.rank, c.hit.score / top_score, _inverse(c.hit.keyword_rank), _inverse(c.hit.vector_rank),
            float(c.hit.keyword_rank is not None and c.hit.vector_rank is not None),
            float(plan.cross_lingual), float(np.log1p(len(c.sentence.text))),
        ])
    features = np.asarray(rows, dtype=np.float64)
    for value, below_best in RELATIVE_COLUMNS:
        column = features[:, SENTENCE_FEATURES.index(value)]
        features[:, SENTENCE_FEATURES.index(below_best)] = column.max() - column
    return CandidateSet(candidates, features)


def e5_for_second_encoder(rows: np.ndarray) -> np.ndarray:
    """Rows with the second encoder's columns replaced by e5's (what candidate_features
    computes when the second encoder is not used); a copy."""
    rows = rows.copy()
    rows[:, SENTENCE_FEATURES.index("use_cosine")] = rows[:, SENTENCE_FEATURES.index("e5_cosine")]
    rows[:, SENTENCE_FEATURES.index("use_below_best")] = rows[:, SENTENCE_FEATURES.index("e5_below_best")]
    return rows


def question_terms_for(plan: QueryPlan, sentence: str) -> list[str]:
    """The question's terms in the sentence's script: for an English question over Chinese
    text, the Chinese terms the lexicon and glossary translated it into (plan.keyword_terms
    carries them); numbers count in either script. Single Han characters say little."""
    chinese = has_han(sentence)
    return [t for t in dict.fromkeys(plan.keyword_terms)
            if t[0].isdigit() or (is_han(t[0]) == chinese and (len(t) > 1 or not chinese))]


def content_terms(plan: QueryPlan, evidence: str) -> list[str]:
    """The question's words in the evidence's script, without numbers: what the answer
    model checks against the whole corpus (a word it never uses, such as 股价 or 失业率,
    says the corpus cannot be talking about what is asked)."""
    return [t for t in question_terms_for(plan, evidence) if not t[0].isdigit()]


def _share(terms: Iterable[str], found: set[str]) -> float:
    terms = list(terms)
    return sum(t in found for t in terms) / len(terms) if terms else 0.0


def _inverse(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0
