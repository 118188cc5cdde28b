"""Whoosh's BM25F, scored with numpy over a term -> passage column store.

Whoosh stays the index of record; this is a second copy of what it scores with, read out
of the Whoosh index itself after the build, laid out for numpy:

    keyword-accelerator/
      manifest.json             format, rows, terms, B, K1, the Whoosh index it was read from
      terms.blob/.offsets/.hash.npy  every term of title/heading/text (string_table.py)
      postings.ptr.npy          term i's postings are [ptr[i], ptr[i+1])
      postings.rows.npy         int32 rows (Whoosh document numbers), ascending per term
      postings.impact.npy       float32: the term's whole BM25F score in that row
      ids.blob/.offsets.npy     row -> passage id
      column-*.npy, columns.json  source / district / lang / date per row (passage_columns.py)

Why the scores are the same as Whoosh's: Whoosh scores a term in a field as
`idf * tf*(K1+1) / (tf + K1*(1-B + B*fl/avgfl))` (whoosh.scoring.bm25) with
idf = log(N/(df+1)) + 1, tf the posting's weight (its frequency times the field boost,
applied at index time), fl the document's field length as Whoosh stores it (a lossy
byte), avgfl the field's total length / N; an Or of Terms sums those. Every input is
fixed once the index is written, so each (term, row) pair's sum over the three fields
(the "impact") is computed here in float64 from Whoosh's own postings, weights and
lengths, and kept as float32. A query's score is then the sum of its terms' impacts
(np.bincount), within ~1e-6 of Whoosh's; ties go to the lower row, as in Whoosh's
collector. tests/test_keyword_accelerator.py checks top-10 ids, scores and counts.

Keeping it in step: `build_accelerator` takes a Whoosh index folder and writes the whole
store from it, so anything that changes the Whoosh index (a full build, or an incremental
update of a few documents) can rewrite the accelerator next to it; the manifest records
the Whoosh generation and document count it was read from, and a store that does not
match the Whoosh index it is opened with is not used (search falls back to Whoosh).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.reading import IndexReader

from index.keyword.passage_columns import MatchCounts, PassageColumns
from index.keyword.string_table import StringTable, hashed_order, load_array
from index.models import RankedList, SearchFilters

FORMAT = 2  # 2: terms found by hash
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ScoringModel:
    """What BM25F is computed with: the same values KeywordIndex gives Whoosh."""

    fields: tuple[str, ...]
    B: float
    K1: float
    max_terms: int  # a query's terms past this many are ignored, as whoosh_index.build_query does


def build_accelerator(whoosh_folder: Path, out_folder: Path, model: ScoringModel) -> dict[str, int]:
    """Write the store for the Whoosh index in `whoosh_folder` into `out_folder` (new or
    empty); returns its manifest's counts."""
    out_folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.open_dir(str(whoosh_folder))
    with ix.reader() as reader:
        rows = reader.doc_count_all()
        terms, ptr, posting_rows, impacts = _impacts(reader, rows, model)
        StringTable.write(out_folder, "terms", terms, searchable=True)  # already in hashed_order
        np.save(out_folder / "postings.ptr.npy", ptr)
        np.save(out_folder / "postings.rows.npy", posting_rows)
        np.save(out_folder / "postings.impact.npy", impacts)
        StringTable.write(out_folder, "ids", _passage_ids(reader, rows))
        PassageColumns.from_whoosh(reader, rows).write(out_folder)
        manifest = {
            "format": FORMAT, "rows": rows, "terms": len(terms), "postings": int(len(posting_rows)),
            "fields": list(model.fields), "B": model.B, "K1": model.K1, "max_terms": model.max_terms,
            "whoosh_generation": ix.latest_generation(), "whoosh_doc_count_all": rows,
        }
    (out_folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return {k: v for k, v in manifest.items() if isinstance(v, int)}


def _impacts(reader: IndexReader, rows: int, model: ScoringModel) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The terms (in StringTable's hashed_order), and per term its rows and summed BM25F
    over the fields."""
    index_of: dict[bytes, int] = {}
    term_parts: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    score_parts: list[np.ndarray] = []
    for field in model.fields:
        # Whoosh's BM25FScorer: avgfl from the searcher (total length / doc_count_all, or 1).
        avgfl = reader.field_length(field) / (rows or 1) or 1
        lengths = np.array([reader.doc_field_length(d, field, 1) for d in range(rows)], dtype=np.float64)
        deletions = reader.has_deletions()
        for btext, ids, weights in _field_postings(reader, field):
            # Whoosh's df counts deleted documents too; without any, it is the postings' length
            # (asking the reader again was 11 % of the time to build this).
            df = reader.doc_frequency(field, btext) if deletions else len(ids)
            idf = math.log(rows / (df + 1)) + 1
            fl = lengths[ids]
            # The expression of whoosh.scoring.bm25, in its order of operations.
            score = idf * ((weights * (model.K1 + 1)) / (weights + model.K1 * ((1 - model.B) + model.B * fl / avgfl)))
            term_parts.append(np.full(len(ids), index_of.setdefault(btext, len(index_of)), dtype=np.int64))
            row_parts.append(ids)
            score_parts.append(score)
    ordered_terms = hashed_order(index_of)
    rank = np.empty(len(index_of), dtype=np.int64)
    rank[[index_of[t] for t in ordered_terms]] = np.arange(len(ordered_terms))
    if not term_parts:
        return [], np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    keys = rank[np.concatenate(term_parts)] * max(rows, 1) + np.concatenate(row_parts)
    scores = np.concatenate(score_parts)
    order = np.argsort(keys, kind="stable")  # stable: fields add up in title, heading, text order
    keys, scores = keys[order], scores[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    summed = np.add.reduceat(scores, starts) if len(starts) else scores
    unique = keys[starts]
    term_of = unique // max(rows, 1)
    ptr = np.zeros(len(ordered_terms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_of, minlength=len(ordered_terms)), out=ptr[1:])
    return ([t.decode("utf-8") for t in ordered_terms], ptr,
            (unique % max(rows, 1)).astype(np.int32), summed.astype(np.float32))


def _field_postings(reader: IndexReader, field: str) -> Iterator[tuple[bytes, np.ndarray, np.ndarray]]:
    """(term bytes, global rows, weights as float64) of every term of `field`, deleted rows left out."""
    merged: dict[bytes, list[tuple[np.ndarray, np.ndarray]]] = {}
    for leaf, base in reader.leaf_readers():
        for btext in leaf.lexicon(field):
            ids, weights = _leaf_postings(leaf, field, btext)
            if leaf.has_deletions():
                live = np.array([not leaf.is_deleted(int(i)) for i in ids], dtype=bool)
                ids, weights = ids[live], weights[live]
            merged.setdefault(btext, []).append((ids + base, weights))
    for btext, parts in merged.items():
        yield btext, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _leaf_postings(leaf: IndexReader, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    matcher = leaf.postings(field, btext)
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # Whoosh 3 codec: a block at a time (its private reads; the generic loop below is
        # ~20x slower and gives the same arrays).
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int64))
            weights.append(np.asarray(matcher._weights, dtype=np.float64))
            matcher._next_block()
        return np.concatenate(ids), np.concatenate(weights)
    pairs = [(matcher.id(), matcher.weight()) for _ in _advance(matcher)]
    return np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=np.float64)


def _advance(matcher: Any) -> Iterator[None]:
    while matcher.is_active():
        yield
        matcher.next()


def _passage_ids(reader: IndexReader, rows: int) -> list[str]:
    ids = [""] * rows
    for docnum, stored in reader.iter_docs():
        ids[docnum] = stored.get("passage_id", "")
    return ids


class KeywordAccelerator:
    """The read side: memory-mapped arrays, no Whoosh searcher."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self.rows = int(manifest["rows"])
        self.max_terms = int(manifest["max_terms"])
        self._terms = StringTable.open(folder, "terms")
        self._ids = StringTable.open(folder, "ids")
        self._ptr = load_array(folder / "postings.ptr.npy")
        self._rows = load_array(folder / "postings.rows.npy")
        self._impact = load_array(folder / "postings.impact.npy")
        self.columns = PassageColumns.open(folder)

    @classmethod
    def open(cls, folder: Path, model: ScoringModel, whoosh_generation: int, doc_count_all: int) -> KeywordAccelerator | None:
        """The store in `folder`, or None when there is none or it was read from another
        Whoosh index or with another scoring model than the one it would stand in for."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        expected = {"format": FORMAT, "fields": list(model.fields), "B": model.B, "K1": model.K1,
                    "max_terms": model.max_terms, "whoosh_generation": whoosh_generation,
                    "whoosh_doc_count_all": doc_count_all}
        if any(manifest.get(k) != v for k, v in expected.items()):
            return None
        return cls(folder, manifest)

    def scores(self, terms: Sequence[str], filters: SearchFilters | None) -> np.ndarray | None:
        """float64 BM25F per row (0 where nothing matched or the filters exclude), or None
        when no term is in the index."""
        found = self._terms.find(list(dict.fromkeys(list(terms)[:self.max_terms])))
        spans = [(int(self._ptr[i]), int(self._ptr[i + 1])) for i in found if i >= 0]
        if not spans:
            return None
        rows = np.concatenate([self._rows[a:b] for a, b in spans])
        impact = np.concatenate([self._impact[a:b] for a, b in spans])
        scores = np.bincount(rows, weights=impact, minlength=self.rows)
        keep = self.columns.mask(filters)
        if keep is not None:
            scores[~keep] = 0.0
        return scores

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages hold each term in any field: the length of its postings,
        which already merge the fields and leave deleted passages out."""
        found = self._terms.find(list(terms))
        return {term: int(self._ptr[i + 1] - self._ptr[i]) if i >= 0 else 0 for term, i in zip(terms, found)}

    def passage_id(self, row: int) -> str:
        return self._ids[row]

    def top_rows(self, terms: Sequence[str], limit: int, filters: SearchFilters | None = None) -> list[int]:
        """The best rows, best first (for benchmarks comparing raw scorers)."""
        scores = self.scores(terms, filters)
        if scores is None:
            return []
        return [int(r) for r in _top_rows(scores, min(limit, int(np.count_nonzero(scores))))]

    def search(self, name: str, terms: Sequence[str], limit: int, filters: SearchFilters | None) -> RankedList:
        scores = self.scores(terms, filters)
        if scores is None:
            return RankedList(name, (), (), matched=0)
        matched = int(np.count_nonzero(scores))
        top = _top_rows(scores, min(max(1, limit), matched))
        return RankedList(name, tuple(self._ids[int(r)] for r in top),
                          tuple(float(scores[r]) for r in top), matched=matched)

    def match_counts(self, terms: Sequence[str], filters: SearchFilters | None) -> MatchCounts:
        scores = self.scores(terms, filters)
        rows = np.zeros(0, dtype=np.int64) if scores is None else np.flatnonzero(scores)
        return self.columns.counts(rows)


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The k best rows, best first; equal scores by row, as Whoosh's collector orders them
    (so a tie at the k-th place keeps the lower rows, too)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[:k - len(above)]
        candidates = np.concatenate([above, tied])
    else:
        candidates = np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))]
