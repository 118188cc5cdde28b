"""Where the benchmarks keep their data, and the shared encoder they all use.

Everything lives under `.bench-data/` (git-ignored), never in /tmp (cleaned under us):

    .bench-data/shared/models   the converted e5 folder, built once
    .bench-data/shared/cache    real passage/sentence vectors by content hash, shared by
                                every data dir that indexes real text (so nothing real is
                                ever embedded twice) plus the benchmark's query vectors
    .bench-data/<name>/         one corpus + data dir per benchmark

Scale data dirs share only `models`: their vectors are replayed, not real (see scale.py),
and must never land in the shared cache where they would pass for real embeddings.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from index import EmbeddingCache, Encoder, UseEncoder, content_key, to_simplified  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("BENCH_DATA_DIR") or REPO_ROOT / ".bench-data")
SHARED_DIR = BENCH_DIR / "shared"
EVAL_DATA = Path(os.environ.get("EVAL_DATA_DIR") or REPO_ROOT.parent / "shared" / "eval-data")
BUNDLED_CORPUS = REPO_ROOT / "corpus"


def bench_dir(name: str, share_cache: bool = True) -> Path:
    """A data directory under .bench-data/ whose model (and, by default, vector cache)
    folders point at the shared ones, as tests/conftest.py `share_caches` does."""
    data_dir = BENCH_DIR / name
    data_dir.mkdir(parents=True, exist_ok=True)
    links = ("models", "cache") if share_cache else ("models",)
    for sub in links:
        (SHARED_DIR / sub).mkdir(parents=True, exist_ok=True)
        link = data_dir / sub
        if not link.exists() and not link.is_symlink():
            link.symlink_to((SHARED_DIR / sub).resolve(), target_is_directory=True)
    return data_dir


class BenchEncoder(Encoder):
    """The product's encoder, plus a persistent query-vector cache.

    The engine embeds one query per call; thousands of evaluation questions go much
    faster in batches, and across runs not at all. `prime` batch-embeds the questions a
    benchmark is about to ask; `encode_query` then answers from the cache, so the engine
    searches exactly the vectors it would have computed itself (batching only changes
    padding, well under 1e-5 in cosine).
    """

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.query_cache = EmbeddingCache(SHARED_DIR / "cache" / f"bench-queries-{self.name}.npz")

    def prime(self, queries: Iterable[str], batch_size: int = 64) -> int:
        """Embed the queries not cached yet; returns how many were embedded."""
        missing = sorted({q for q in queries if self.query_cache.get(self._query_key(q)) is None})
        for start in range(0, len(missing), batch_size):
            batch = missing[start:start + batch_size]
            for text, vector in zip(batch, self._encode(batch, "query")):
                self.query_cache.put(self._query_key(text), vector)
        self.query_cache.save()
        return len(missing)

    def encode_query(self, text: str) -> np.ndarray:
        key = self._query_key(text)
        cached = self.query_cache.get(key)
        if cached is None:
            cached = super().encode_query(text)
            self.query_cache.put(key, cached)  # saved by the next `prime` or `save`
        return cached

    def save(self) -> None:
        self.query_cache.save()

    def _query_key(self, text: str) -> str:
        # Keyed by what the model reads (Encoder normalises the script), as the engine's own caches are.
        return content_key(self.name, "query", to_simplified(text))


class BenchUseEncoder(UseEncoder):
    """USE with a persistent query cache, as BenchEncoder does for e5."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.query_cache = EmbeddingCache(SHARED_DIR / "cache" / f"bench-queries-{self.name}.npz")

    def prime(self, queries: Iterable[str]) -> None:
        missing = sorted({q for q in queries if self.query_cache.get(self._key(q)) is None})
        for start in range(0, len(missing), 256):
            batch = missing[start:start + 256]
            for text, vector in zip(batch, self._encode(batch, "query")):
                self.query_cache.put(self._key(text), vector)
        self.query_cache.save()

    def encode_query(self, text: str) -> np.ndarray:
        cached = self.query_cache.get(self._key(text))
        return cached if cached is not None else super().encode_query(text)

    def _key(self, text: str) -> str:
        return content_key(self.name, "query", to_simplified(text))


_ENCODER: BenchEncoder | None = None
_SECOND: Encoder | None = None


def shared_encoder() -> BenchEncoder:
    """One model per benchmark process (loading it costs seconds and ~500 MB)."""
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = BenchEncoder(bench_dir("shared"))
    return _ENCODER


def shared_second_encoder() -> Encoder:
    """The second encoder (USE) with a persistent query cache; its passage vectors go to
    the shared cache like e5's."""
    global _SECOND
    if _SECOND is None:
        _SECOND = BenchUseEncoder(bench_dir("shared"))
    return _SECOND


def git_revision() -> str:
    """Commit the numbers belong to, marked "+dirty" when the tree has local changes
    (other engineers work in the same tree, so uncommitted library edits are possible)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "index", "webapp")
    return commit + ("+dirty(index/webapp)" if dirty else "")
