"""How an incremental update carries each artifact of a build forward, one function each.

An update (index/build/incremental.py) removes some documents' passages and appends new
ones. Every function here reads the current build (`change.old`), writes its artifact
into the new build folder (`change.new`) and claims the file names it writes; whatever no
function claims is hard-linked from the old build unchanged. A new artifact (another
index kept beside Whoosh, say) adds its own function to `ARTIFACT_UPDATES`.

Row order: the passages that stay keep their rows, except that the last few fill the
holes the removed ones leave (`Change.source_rows`), and new passages come last. So a
delete moves a handful of rows instead of shifting every row after it, and the HNSW
graphs, whose keys are rows, change by those few keys instead of being rebuilt.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.build.artifacts import (
    DOCUMENTS_FILE,
    KEYWORD_ACCELERATOR_FOLDER,
    KEYWORD_FOLDER,
    PASSAGES_FILE,
    SECOND_SENTENCE_KEYS_FILE,
    SECOND_SENTENCE_VECTORS_FILE,
    SECOND_VECTORS_FILE,
    SENTENCE_KEYS_FILE,
    SENTENCE_VECTORS_FILE,
    SUGGESTIONS_FILE,
    VECTORS_FILE,
)
from index.corpus.passages import answer_sentences
from index.keyword.suggest import Suggester, save_vocabulary, update_vocabulary
from index.keyword.whoosh_index import build_keyword_accelerator, update_keyword_index
from index.models import Document, Passage
from index.storage.files import atomic_writer
from index.vector.ann import ANN_MIN_VECTORS, AnnIndex
from index.vector.encoder import Encoder
from index.vector.sentence_store import sentence_key
from index.vector.vector_index import ann_path

_DECODER = json.JSONDecoder()


@dataclass
class Change:
    """One update, as every artifact function needs it."""

    old: Path
    new: Path
    removed_doc_ids: frozenset[str]
    source_rows: np.ndarray  # old row of each passage that stays, in its new order
    passages: list[Passage]  # new passages, appended after the ones that stay
    documents: list[Document]  # new documents
    removed_documents: list[Document]  # what the update takes out (for the suggestions)
    passage_lines: list[str]  # the old passages.jsonl, line by line
    encoder: Callable[[], Encoder]  # e5, loaded on first use
    second_encoder: Callable[[], Encoder | None]  # USE, or None when the build has no second list
    embedded: int = 0  # texts run through a model
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def old_count(self) -> int:
        return len(self.passage_lines)


def passage_ids(line: str) -> tuple[str, str]:
    """(id, doc_id) of a passages.jsonl line without parsing the whole record: Passage
    writes them first (models.Passage field order), and at 50k passages the full parse of
    every line would be the slowest part of a one-document update."""
    prefix = '{"id": '
    if line.startswith(prefix):
        passage_id, end = _DECODER.raw_decode(line, len(prefix))
        middle = ', "doc_id": '
        if line.startswith(middle, end):
            doc_id, _ = _DECODER.raw_decode(line, end + len(middle))
            return passage_id, doc_id
    record = json.loads(line)
    return record["id"], record["doc_id"]


def layout_rows(doc_ids: Sequence[str], removed: frozenset[str]) -> np.ndarray:
    """Old row of each passage that stays: in place, with the holes filled from the end."""
    gone = np.fromiter((d in removed for d in doc_ids), dtype=bool, count=len(doc_ids))
    rows = np.arange(len(doc_ids), dtype=np.int64)
    stay = len(doc_ids) - int(gone.sum())
    holes = rows[:stay][gone[:stay]]
    movers = rows[stay:][~gone[stay:]]  # as many as there are holes
    rows = rows[:stay].copy()
    rows[holes] = movers
    return rows


def update_passages(change: Change) -> list[str]:
    lines = [change.passage_lines[r] for r in change.source_rows]
    lines += [json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in change.passages]
    _write_lines(change.new / PASSAGES_FILE, lines)
    return [PASSAGES_FILE]


def update_documents(change: Change) -> list[str]:
    with (change.old / DOCUMENTS_FILE).open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and document_id(line) not in change.removed_doc_ids]
    lines += [json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in change.documents]
    _write_lines(change.new / DOCUMENTS_FILE, lines)
    return [DOCUMENTS_FILE]


def update_keyword(change: Change) -> list[str]:
    """A copy of the Whoosh folder whose segment files are hard links (Whoosh never
    rewrites a segment: deletions go into the new table of contents), then the change."""
    old, new = change.old / KEYWORD_FOLDER, change.new / KEYWORD_FOLDER
    new.mkdir()
    for path in old.iterdir():
        if path.is_file() and not path.name.endswith(".lock") and "LOCK" not in path.name:
            os.link(path, new / path.name)
    update_keyword_index(new, sorted(change.removed_doc_ids), change.passages)
    return [KEYWORD_FOLDER]


def update_keyword_accelerator(change: Change) -> list[str]:
    """Rewritten whole from the updated Whoosh folder (runs after update_keyword). Its
    precomputed BM25F impacts hold every term's idf and the average field lengths, which
    any added or removed passage changes, so there is no exact partial update. A build
    without it stays without it (the engine then asks Whoosh)."""
    if not (change.old / KEYWORD_ACCELERATOR_FOLDER).is_dir():
        return []
    build_keyword_accelerator(change.new / KEYWORD_FOLDER, change.new / KEYWORD_ACCELERATOR_FOLDER)
    return [KEYWORD_ACCELERATOR_FOLDER]


def update_vectors(change: Change) -> list[str]:
    return _carry_vectors(change, VECTORS_FILE, change.encoder())


def update_second_vectors(change: Change) -> list[str]:
    if not (change.old / SECOND_VECTORS_FILE).is_file():
        return []
    encoder = change.second_encoder()
    if encoder is None:  # turned off since the build: the old vectors cannot be extended
        # Claimed, and not written: the new build has no USE list.
        return [SECOND_VECTORS_FILE, ann_path(change.new / SECOND_VECTORS_FILE).name]
    return _carry_vectors(change, SECOND_VECTORS_FILE, encoder)


def _carry_vectors(change: Change, name: str, encoder: Encoder) -> list[str]:
    old = np.load(change.old / name, mmap_mode="r")
    added = encoder.encode_passages([p.text for p in change.passages]) if change.passages \
        else np.zeros((0, old.shape[1]), np.float32)
    change.embedded += len(change.passages)
    vectors = np.concatenate([np.asarray(old[change.source_rows], np.float32), np.asarray(added, np.float32)])
    with atomic_writer(change.new / name) as handle:
        np.save(handle, vectors)
    graph = ann_path(change.new / name)
    if ann_path(change.old / name).is_file():
        _update_graph(change, ann_path(change.old / name), graph, vectors)
    elif len(vectors) >= ANN_MIN_VECTORS:
        AnnIndex.build(vectors, graph)
    return [name, graph.name]


def _update_graph(change: Change, old_path: Path, new_path: Path, vectors: np.ndarray) -> None:
    """Move the HNSW graph's keys (rows) as the rows moved: the removed and moved rows'
    keys out, the moved and new rows' keys in. Cheaper than a new graph by far (seconds
    against minutes at 50k vectors); usearch marks removed nodes and reuses them."""
    from usearch.index import Index

    index = Index.restore(str(old_path))
    if index is None:
        raise ValueError(f"{old_path} is not a usearch index")
    stay = len(change.source_rows)
    new_rows = np.arange(stay, dtype=np.int64)
    holes = new_rows[change.source_rows != new_rows]
    gone = np.concatenate([holes, np.arange(stay, change.old_count, dtype=np.int64)])
    if len(gone):
        index.remove(gone.astype(np.uint64))
    fresh = np.concatenate([holes, np.arange(stay, len(vectors), dtype=np.int64)])
    if len(fresh):
        index.add(fresh.astype(np.uint64), np.ascontiguousarray(vectors[fresh]), threads=1)
    index.save(str(new_path))


def update_sentences(change: Change) -> list[str]:
    """Add the new sentences' e5 vectors. Those of removed text stay: a sentence is found only
    by its exact text, so an orphan costs a row on disk and nothing else, and finding
    which sentences no other passage shares would mean splitting the whole corpus."""
    return _add_sentence_vectors(change, SENTENCE_KEYS_FILE, SENTENCE_VECTORS_FILE, change.encoder)


def update_second_sentences(change: Change) -> list[str]:
    """The same for the second encoder's sentence vectors, when the build has them."""
    return _add_sentence_vectors(change, SECOND_SENTENCE_KEYS_FILE, SECOND_SENTENCE_VECTORS_FILE,
                                 change.second_encoder)


def _add_sentence_vectors(
    change: Change, keys_name: str, vectors_name: str, encoder: Callable[[], Encoder | None]
) -> list[str]:
    keys_path, vectors_path = change.old / keys_name, change.old / vectors_name
    if not (keys_path.is_file() and vectors_path.is_file()):
        return []
    keys = np.load(keys_path, mmap_mode="r")
    texts = sorted({s.text for p in change.passages for s in answer_sentences(p.text)})
    new_keys = np.fromiter((sentence_key(t) for t in texts), dtype=np.uint64, count=len(texts))
    at = np.minimum(np.searchsorted(keys, new_keys), max(len(keys) - 1, 0))
    missing = ~(keys[at] == new_keys) if len(keys) else np.ones(len(texts), bool)
    if not missing.any():
        return []  # nothing new: both files are linked unchanged
    model = encoder()
    if model is None:  # the second encoder was turned off since the build: claimed, not written
        return [keys_name, vectors_name]
    texts = [t for t, m in zip(texts, missing) if m]
    new_keys = new_keys[missing]
    added = model.encode_passages(texts)
    change.embedded += len(texts)
    order = np.argsort(new_keys, kind="stable")
    new_keys, added = new_keys[order], np.asarray(added, np.float32)[order]
    where = np.searchsorted(keys, new_keys)
    vectors = np.load(vectors_path, mmap_mode="r")
    for path, array in ((change.new / keys_name, np.insert(keys, where, new_keys)),
                        (change.new / vectors_name, np.insert(vectors, where, added, axis=0))):
        with atomic_writer(path) as handle:
            np.save(handle, array)
    return [keys_name, vectors_name]


def update_suggestions(change: Change) -> list[str]:
    """The completions' counts, plus the new documents' words, minus the removed ones'
    (a full build recounts; see keyword/suggest.py update_vocabulary)."""
    vocabulary = Suggester.read_vocabulary(change.old / SUGGESTIONS_FILE)
    save_vocabulary(change.new / SUGGESTIONS_FILE,
                    update_vocabulary(vocabulary, change.documents, change.removed_documents))
    return [SUGGESTIONS_FILE]


def document_id(line: str) -> str:
    """The id of a documents.jsonl line, read from its start (Document writes it first)."""
    prefix = '{"id": '
    if line.startswith(prefix):
        return str(_DECODER.raw_decode(line, len(prefix))[0])
    return str(json.loads(line)["id"])


def _write_lines(path: Path, lines: list[str]) -> None:
    with atomic_writer(path) as handle:
        handle.write("".join(lines).encode("utf-8"))


# Name (for the timing breakdown) and function of every artifact an update rewrites, in order.
ARTIFACT_UPDATES: list[tuple[str, Callable[[Change], list[str]]]] = [
    ("passages", update_passages),
    ("documents", update_documents),
    ("keyword", update_keyword),
    ("keyword accelerator", update_keyword_accelerator),
    ("vectors", update_vectors),
    ("second vectors", update_second_vectors),
    ("sentences", update_sentences),
    ("second sentences", update_second_sentences),
    ("suggestions", update_suggestions),
]
