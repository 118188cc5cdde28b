"""Training data for the answer model, from XQuAD (never from benchmarks/qa_set.jsonl).

Corpus: the 240 Chinese XQuAD paragraphs, indexed exactly as benchmarks/xquad.py does
(one document per paragraph), searched by the real engine. Each of the 1,190 questions is
asked three ways: in Chinese, in English, and in traditional characters (OpenCC s2hk of
the Chinese, as a Hong Kong reader types it; the engine's own script normalisation,
text/script.py, reads it as simplified). And each is asked twice:

- answerable: the engine's top evidence passages, as the app reads them; the sentences
  of the gold paragraph that contain the (Chinese) answer are the positives;
- unanswerable: the same search with every paragraph of the question's Wikipedia article
  removed, so the evidence is the closest text that cannot hold the answer (the tempting
  kind of unanswerable question).

Rows are candidate sentences with features.py's features, so training sees what the app
computes. The result is cached under .bench-data/answer-training/ (git-ignored); vectors
come from the benchmarks' shared caches, so a rerun after a feature change takes minutes.

    python -m benchmarks.answer_data [--questions N]
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.workspace import BENCH_DIR, EVAL_DATA, shared_encoder, shared_second_encoder
from benchmarks.xquad import open_engine
from index import EVIDENCE_PASSAGES, SENTENCE_FEATURES, Hit, QueryPlan, SearchEngine, candidate_features

LANGUAGES = ("zh", "en", "zh-Hant")
CACHE = BENCH_DIR / "answer-training" / "xquad-candidates.npz"


@dataclass(frozen=True)
class XquadItem:
    id: str
    article: int  # the Wikipedia article its paragraph belongs to: the cross-validation group
    doc_id: str  # xq-NNN, as benchmarks/xquad.py names paragraphs
    texts: dict[str, str]  # by language, as a reader types them
    answers: tuple[str, ...]  # Chinese answer spans


def xquad_items() -> list[XquadItem]:
    import opencc

    to_traditional = opencc.OpenCC("s2hk")
    data = {lang: json.loads((EVAL_DATA / f"xquad.{lang}.json").read_text(encoding="utf-8")) for lang in ("zh", "en")}
    english = {qa["id"]: qa["question"] for a in data["en"]["data"] for p in a["paragraphs"] for qa in p["qas"]}
    items, paragraph = [], 0
    for article, entry in enumerate(data["zh"]["data"]):
        for p in entry["paragraphs"]:
            for qa in p["qas"]:
                if qa["id"] in english:
                    traditional = to_traditional.convert(qa["question"])
                    texts = {"zh": qa["question"], "en": english[qa["id"]], "zh-Hant": traditional}
                    items.append(XquadItem(qa["id"], article, f"xq-{paragraph:03d}", texts,
                                           tuple(dict.fromkeys(a["text"].strip() for a in qa["answers"]))))
            paragraph += 1
    return items


@dataclass
class TrainingSet:
    """Candidate rows and the questions they belong to (cached as one .npz)."""

    features: np.ndarray  # (rows, len(SENTENCE_FEATURES))
    label: np.ndarray  # row holds the answer (gold paragraph, contains an answer span)
    row_question: np.ndarray  # index into the question arrays
    row_sentence: np.ndarray  # "doc_id:start": the same sentence across languages
    question_id: np.ndarray
    question_lang: np.ndarray
    question_article: np.ndarray
    question_answerable: np.ndarray

    def save(self, path: Path = CACHE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, feature_names=np.array(SENTENCE_FEATURES), **self.__dict__)

    @classmethod
    def load(cls, path: Path = CACHE) -> TrainingSet | None:
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            if tuple(data["feature_names"]) != SENTENCE_FEATURES:
                return None  # features changed: collect again
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def evidence(engine: SearchEngine, text: str, exclude_article_docs: frozenset[str]) -> tuple[QueryPlan, list[Hit]]:
    """The plan and the passages the answerer reads; without those of
    `exclude_article_docs` for the unanswerable variant (searched deeper, so it still
    gets EVIDENCE_PASSAGES of them)."""
    k = EVIDENCE_PASSAGES + (4 * len(exclude_article_docs) if exclude_article_docs else 0)
    result = engine.search(text, k=k)
    assert result.plan is not None, "XQuAD questions are never empty"
    return result.plan, [h for h in result.hits if h.passage.doc_id not in exclude_article_docs][:EVIDENCE_PASSAGES]


def collect(limit: int | None = None) -> TrainingSet:
    started = time.perf_counter()
    engine = open_engine()
    items = xquad_items()[:limit] if limit else xquad_items()
    texts = [t for item in items for t in item.texts.values()]
    plans = [engine.plan_query(t) for t in texts]
    shared_encoder().prime(p.vector_text for p in plans)
    second = shared_second_encoder()
    if hasattr(second, "prime"):
        second.prime([p.vector_text for p in plans])
    print(f"  answer data: {len(items)} questions x {len(LANGUAGES)} languages, vectors ready "
          f"({time.perf_counter() - started:.0f}s)", flush=True)
    article_docs: dict[int, set[str]] = {}
    for item in items:
        article_docs.setdefault(item.article, set()).add(item.doc_id)

    features: list[np.ndarray] = []
    labels: list[bool] = []
    row_q: list[int] = []
    row_s: list[str] = []
    q_id: list[str] = []
    q_lang: list[str] = []
    q_article: list[int] = []
    q_answerable: list[bool] = []
    for n, item in enumerate(items, start=1):
        for lang in LANGUAGES:
            for answerable in (True, False):
                excluded = frozenset() if answerable else frozenset(article_docs[item.article])
                plan, hits = evidence(engine, item.texts[lang], excluded)
                found = candidate_features(engine, plan, hits)
                index = len(q_id)
                q_id.append(item.id)
                q_lang.append(lang)
                q_article.append(item.article)
                q_answerable.append(answerable)
                for c, row in zip(found.candidates, found.features):
                    features.append(row)
                    labels.append(answerable and c.hit.passage.doc_id == item.doc_id
                                  and any(a in c.sentence.text for a in item.answers))
                    row_q.append(index)
                    row_s.append(f"{c.hit.passage.doc_id}:{c.sentence.start}")
        if n % 100 == 0:
            print(f"  answer data: {n}/{len(items)} questions ({time.perf_counter() - started:.0f}s)", flush=True)
    shared_encoder().save()
    return TrainingSet(np.asarray(features), np.asarray(labels, dtype=bool), np.asarray(row_q),
                       np.asarray(row_s), np.asarray(q_id), np.asarray(q_lang), np.asarray(q_article),
                       np.asarray(q_answerable, dtype=bool))


def training_set(limit: int | None = None, refresh: bool = False) -> TrainingSet:
    cached = None if refresh or limit else TrainingSet.load()
    if cached is not None:
        return cached
    collected = collect(limit)
    if not limit:
        collected.save()
    return collected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=None, help="first N questions only (not cached)")
    args = parser.parse_args()
    data = training_set(args.questions, refresh=True)
    answerable = data.question_answerable
    with_gold = np.bincount(data.row_question[data.label], minlength=len(answerable)) > 0
    print(f"{len(data.label)} candidate rows, {len(answerable)} question variants; answerable with the answer "
          f"among the candidates: {with_gold[answerable].sum()}/{answerable.sum()}")


if __name__ == "__main__":
    main()
