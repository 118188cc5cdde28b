"""Where a build's heavy work runs: reading files into documents, and embedding text.

The builder asks a `BuildRunner` for both and does everything else itself (splitting,
the keyword index, caches, writing and publishing the build folder), so a local build and
a distributed one (`index/build/distributed.py`, on Ray) write the same build.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.corpus.loader import LoadProblem, LoadResult, collect_documents, load_file
from index.models import Document
from index.vector.cache import EmbeddingCache
from index.vector.encoder import Encoder

# on_progress(n): n more items done; None means no display.
Progress = Callable[[int], None] | None


class BuildRunner(Protocol):
    def load(self, files: Sequence[Path], on_progress: Progress = None) -> LoadResult:
        """The documents of `files` and their problems, merged by `collect_documents` in file order."""
        ...

    def embed(self, encoder: Encoder, texts: Sequence[str], cache: EmbeddingCache,
              on_progress: Progress = None) -> np.ndarray:
        """`encoder`'s passage vectors for `texts`, one row each; new vectors are put in `cache`."""
        ...


class LocalRunner:
    """Everything in this process, one file and one batch after another."""

    def load(self, files: Sequence[Path], on_progress: Progress = None) -> LoadResult:
        def each_file() -> Iterator[tuple[Path, tuple[list[Document], list[LoadProblem]]]]:
            for path in files:
                yield path, load_file(path)
                if on_progress:
                    on_progress(1)

        return collect_documents(each_file())

    def embed(self, encoder: Encoder, texts: Sequence[str], cache: EmbeddingCache,
              on_progress: Progress = None) -> np.ndarray:
        return encoder.encode_passages(texts, cache, on_progress)
