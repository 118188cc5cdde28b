"""Answer-sentence vectors of one build, found by their text without calling the model.

The build embeds every sentence of the corpus once and writes two arrays: the sentences'
64-bit text hashes, sorted, and their vectors in the same order. Serving opens both
memory-mapped (gunicorn workers share the pages instead of each holding a copy) and finds
a sentence by binary search on its hash: no strings in memory, no model call per
candidate sentence at query time. At 64 bits, two different sentences of a million-sentence
corpus share a hash with probability about 3e-8.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.storage.files import atomic_writer


def sentence_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class SentenceVectors:
    """Sorted sentence hashes and their unit vectors, row for row."""

    def __init__(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} sentence keys for {len(vectors)} vectors")
        self.keys = keys
        self.vectors = vectors

    def __len__(self) -> int:
        return len(self.keys)

    @staticmethod
    def write(keys_path: Path, vectors_path: Path, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Save `texts`' vectors (one row each, texts unique) sorted by hash."""
        keys = np.fromiter((sentence_key(t) for t in texts), dtype=np.uint64, count=len(texts))
        order = np.argsort(keys, kind="stable")
        for path, array in ((keys_path, keys[order]), (vectors_path, np.asarray(vectors, np.float32)[order])):
            with atomic_writer(path) as handle:
                np.save(handle, array)

    @classmethod
    def open(cls, keys_path: Path, vectors_path: Path) -> SentenceVectors | None:
        """Both arrays memory-mapped; None when the build has none (built before they existed)."""
        if not (keys_path.is_file() and vectors_path.is_file()):
            return None
        return cls(np.load(keys_path, mmap_mode="r"), np.load(vectors_path, mmap_mode="r"))

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """Row of each text, or -1 for a text the build never embedded."""
        wanted = np.fromiter((sentence_key(t) for t in texts), dtype=np.uint64, count=len(texts))
        if not len(self.keys):
            return np.full(len(texts), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[at] == wanted, at, -1).astype(np.int64)
