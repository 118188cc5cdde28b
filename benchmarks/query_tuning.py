"""The English question encoder (index/vector/e5/english_questions.py): its training, and
how much it moves the answerer's top sentence.

    python -m benchmarks.query_tuning [--folds 5] [--epochs 2]     (needs peft: requirements.txt)

`make train-answers` (train_answers.py) trains the shipped adapter with `tune` and `save_adapter`,
and tunes one per fold for its held-out numbers (`fold_encoders`). e5-small's query side gets a
LoRA adapter trained on XQuAD's English questions against the build's own Chinese sentence
vectors, which stay fixed (the index does not change). Two losses: within a question, its
candidate sentences (the answerer's, top 6 passages) with the gold one as positive and the
others as negatives, softmax over cosines at temperature 0.05; across questions, whether the
best-scored sentence answers (and, for the same question with its own article taken away,
that it does not), so the tuned cosine's level means something from one question to the next.

Run alone, it prints the top sentence's accuracy for English questions with the hand-set score,
where the tuned cosine replaces e5's: article-held-out on XQuAD (one tuning per fold, trained on
the other folds' articles), then on qa_set's English questions with a tuning on every XQuAD
article (the Jiangmen articles are another domain: this is the transfer check).
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import xquad
from benchmarks.qa_eval import load_qa_set
from benchmarks.qa_eval import open_engine as open_qa_engine
from benchmarks.workspace import bench_dir
from index import (
    DEFAULT_TUNING,
    E5_MODEL_NAME,
    EVIDENCE_PASSAGES,
    EnglishQuestionEncoder,
    ScoredSentence,
    SearchEngine,
    ensure_model_folder,
    has_english_question_adapter,
    score_sentences,
)

TEMPERATURE = 0.05
BATCH = 16
EPOCHS = 2
# LoRA on every projection of the 12 layers (not the pooler, which e5 does not use). Held-out
# top sentence 0.696 -> 0.726 at rank 16 and lr 5e-4 (1.3M weights, 5 MB), against 0.731 when all
# of the layers' 21M weights were tuned (lr 2e-5; 42 MB even in fp16); qa_set 32 -> 37 of 42 both.
LORA_RANK = 16
LORA_TARGETS = r".*encoder\.layer\.\d+\..*(query|key|value|dense)"
LEARNING_RATE = 5e-4
# A second loss, across questions (_binary_loss): without it the tuned cosine's level means
# nothing from one question to the next, and it could not help decide whether to answer.
# With it, held out: top sentence 0.726 -> 0.735, and the learned abstention reading both
# cosines answers 0.561 right instead of 0.519 (docs/ANSWERS.md).
BINARY_WEIGHT = 1.0
BINARY_TEMPERATURE = 0.05
SEARCH_DEPTH = 40  # deep enough to leave 6 passages once the question's article is removed


@dataclass
class Candidates:
    """One English question's candidate sentences, as the answerer scored them."""

    question: str
    group: int  # XQuAD article (or 0 for qa_set)
    rest: np.ndarray  # hand-set score less the e5 cosine
    cosines: np.ndarray  # e5 cosine to the question as typed
    vectors: np.ndarray  # the build's e5 sentence vectors
    labels: np.ndarray  # sentence holds the answer
    answerable: bool = True  # False: the evidence once the question's own article is taken away


IsAnswer = Callable[[ScoredSentence], bool]


UNTUNED = replace(DEFAULT_TUNING, tuned_english_questions=False)


def collect(engine: SearchEngine, questions: Sequence[tuple[str, int, IsAnswer]],
            article_of: Callable[[str], int] | None = None) -> list[Candidates]:
    """`questions`: (text, group, whether a scored sentence holds the answer), scored with
    e5 as it is (the cosines are the untuned ones; the rest of the score does not change).
    With `article_of` (a doc id's group), each question also gives an unanswerable item: its
    evidence once its own group's passages are taken away."""
    out = []
    for text, group, is_answer in questions:
        result = engine.search(text, k=SEARCH_DEPTH if article_of else EVIDENCE_PASSAGES, facets=False)
        if result.plan is None:
            continue
        sets = [(True, result.hits[:EVIDENCE_PASSAGES])]
        if article_of is not None:
            others = [h for h in result.hits if article_of(h.passage.doc_id) != group]
            sets.append((False, others[:EVIDENCE_PASSAGES]))
        for answerable, hits in sets:
            scored = score_sentences(engine, result.plan, hits, UNTUNED)
            if not scored:
                continue
            labels = np.array([answerable and is_answer(s) for s in scored])
            cosines = np.array([s.similarity for s in scored])
            out.append(Candidates(result.plan.text, group, np.array([s.score for s in scored]) - cosines, cosines,
                                  engine.embed_sentences([s.sentence.text for s in scored]), labels, answerable))
    return out


def xquad_candidates(engine: SearchEngine) -> list[Candidates]:
    articles = xquad.article_of_paragraph()
    gold = xquad.gold_answers()
    questions: list[tuple[str, int, IsAnswer]] = []
    for q in xquad.load_questions(None)["en"]:
        doc_id, answer = gold[q.id]
        questions.append((q.text, articles[int(doc_id[3:])], _in_gold(doc_id, answer)))
    return collect(engine, questions, lambda doc_id: articles[int(doc_id[3:])])


def _in_gold(doc_id: str, answer: str) -> IsAnswer:
    return lambda s: s.hit.passage.doc_id == doc_id and answer in s.sentence.text


def _holds_fact(facts: tuple[str, ...]) -> IsAnswer:
    return lambda s: any(f in s.sentence.text for f in facts)


def qa_set_candidates() -> list[Candidates]:
    questions = [(q.text, 0, _holds_fact(q.facts)) for q in load_qa_set() if q.lang == "en" and q.answerable]
    return collect(open_qa_engine(), questions)


def tune(items: list[Candidates], epochs: int = EPOCHS, seed: int = 0) -> Any:
    """e5 with a LoRA adapter on its transformer layers, trained on `items` (a
    SentenceTransformer whose module 0 holds a peft model; torch is imported here, not at
    module load). The word embeddings stay as they are: they are 80 % of the weights and
    would overfit first."""
    import torch
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    model = SentenceTransformer(str(ensure_model_folder(bench_dir("shared"))), device="cpu")
    transformer: Any = model[0]
    transformer.model = get_peft_model(transformer.model, LoraConfig(
        r=LORA_RANK, lora_alpha=2 * LORA_RANK, lora_dropout=0.0, target_modules=LORA_TARGETS))
    # The binary term's bias starts where the untuned best scores sit.
    bias = torch.nn.Parameter(torch.tensor(float(np.mean([np.max(c.rest + c.cosines) for c in items]))))
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad] + [bias], lr=LEARNING_RATE)
    trainable = [c for c in items if c.labels.any() or (BINARY_WEIGHT and not c.answerable)]
    model.train()
    for epoch in range(epochs):
        order = np.random.RandomState(seed + epoch).permutation(len(trainable))
        for start in range(0, len(order), BATCH):
            batch = [trainable[i] for i in order[start:start + BATCH]]
            features = model.preprocess(["query: " + c.question for c in batch])
            embedded = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
            ranking = [_softmax_loss(torch, c, e) for c, e in zip(batch, embedded) if c.labels.any()]
            loss = torch.stack(ranking).mean() if ranking else torch.tensor(0.0)
            if BINARY_WEIGHT:
                loss = loss + BINARY_WEIGHT * torch.stack([_binary_loss(torch, c, e, bias)
                                                           for c, e in zip(batch, embedded)]).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    return model


def tuned_cosines(items: list[Candidates], model: Any) -> list[np.ndarray]:
    queries = model.encode(["query: " + c.question for c in items], normalize_embeddings=True, batch_size=32)
    return [c.vectors @ q for c, q in zip(items, queries)]


def save_adapter(model: Any, folder: Path) -> Path:
    """peft's adapter_config.json and adapter_model.safetensors of a `tune`d model, in `folder`
    (without the model card peft writes beside them, or this machine's path to the base)."""
    peft_model = model[0].model
    peft_model.peft_config["default"].base_model_name_or_path = E5_MODEL_NAME
    peft_model.save_pretrained(str(folder))
    (folder / "README.md").unlink(missing_ok=True)
    (folder / "adapter_model.safetensors").chmod(0o644)  # safetensors writes 0600
    return folder


def _binary_loss(torch: Any, c: Candidates, embedded: Any, bias: Any) -> Any:
    """Across questions: the best-scored sentence's score says whether it answers (so the
    tuned cosine's level means the same thing from one question to the next)."""
    scores = torch.from_numpy(c.rest).float() + torch.from_numpy(c.vectors) @ embedded
    best = int(torch.argmax(scores.detach()))
    target = torch.tensor(float(c.answerable and c.labels[best]))
    return torch.nn.functional.binary_cross_entropy_with_logits((scores[best] - bias) / BINARY_TEMPERATURE, target)


def _softmax_loss(torch: Any, c: Candidates, embedded: Any) -> Any:
    logits = torch.from_numpy(c.vectors) @ embedded / TEMPERATURE
    return torch.logsumexp(logits, 0) - torch.logsumexp(logits[torch.from_numpy(c.labels)], 0)


def top_sentence_right(items: list[Candidates], model: Any = None) -> float:
    """Share of answerable questions whose best-scored sentence holds the answer."""
    items = [c for c in items if c.answerable]
    cosines = [c.cosines for c in items] if model is None else tuned_cosines(items, model)
    return float(np.mean([c.labels[int(np.argmax(c.rest + cos))] for c, cos in zip(items, cosines)]))


def fold_adapter(data_dir: Path, fold: int) -> Path:
    return data_dir / "question-tuning" / f"fold-{fold}"


def fold_encoders(items: list[Candidates], fold_of: dict[int, int], data_dir: Path,
                  reuse: bool = False) -> dict[int, EnglishQuestionEncoder]:
    """For each fold, the encoder tuned on the other folds' articles (the torch reference,
    with its adapter saved under `data_dir`), to embed that fold's questions. `reuse`: the
    adapters the last run saved there, where it saved them."""
    encoders: dict[int, EnglishQuestionEncoder] = {}
    for fold in sorted(set(fold_of.values())):
        started = time.perf_counter()
        adapter = fold_adapter(data_dir, fold)
        if not (reuse and has_english_question_adapter(adapter)):
            save_adapter(tune([c for c in items if fold_of[c.group] != fold]), adapter)
            print(f"  English question encoder for fold {fold + 1} tuned in {time.perf_counter() - started:.0f}s",
                  flush=True)
        encoders[fold] = EnglishQuestionEncoder(data_dir, backend="torch", adapter=adapter)
    return encoders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    from sklearn.model_selection import GroupKFold

    started = time.perf_counter()
    items = xquad_candidates(xquad.open_engine())
    groups = [c.group for c in items]
    before = after = 0.0
    for k, (train, test) in enumerate(GroupKFold(n_splits=args.folds).split(items, groups=groups)):
        model = tune([items[i] for i in train], args.epochs)
        held = [items[i] for i in test]
        b, a = top_sentence_right(held), top_sentence_right(held, model)
        before, after = before + b * len(held), after + a * len(held)
        print(f"  fold {k + 1}: top sentence right {b:.3f} -> {a:.3f} ({time.perf_counter() - started:.0f}s)", flush=True)
    print(f"XQuAD English, article-held-out: top sentence right {before / len(items):.3f} -> {after / len(items):.3f}")
    model = tune(items, args.epochs)
    qa = qa_set_candidates()
    print(f"qa_set English (tuned on all of XQuAD): top sentence holds a fact {top_sentence_right(qa):.3f} -> "
          f"{top_sentence_right(qa, model):.3f} of {len(qa)} ({time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    main()
