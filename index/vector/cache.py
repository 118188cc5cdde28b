"""Passage vectors cached by content hash, so a rebuild embeds only new or changed text."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from index.storage.files import atomic_writer


def content_key(model_name: str, prompt: str, text: str) -> str:
    return hashlib.sha1(f"{model_name}\x00{prompt}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    """A dict of key -> float32 vector, persisted as one .npz file written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    keys, matrix = data["keys"], data["vectors"]
                self._vectors = {str(k): matrix[i] for i, k in enumerate(keys)}
            except (OSError, ValueError, KeyError):
                # A damaged cache only costs re-embedding; never fail a build over it.
                self._vectors = {}

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self._vectors[key] = np.asarray(vector, dtype=np.float32)
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        keys = np.array(list(self._vectors), dtype="U40")
        matrix = np.stack(list(self._vectors.values())) if self._vectors else np.zeros((0, 0), np.float32)
        with atomic_writer(self.path) as handle:
            np.savez(handle, keys=keys, vectors=matrix)
        self._dirty = False
