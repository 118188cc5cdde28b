"""The embedding model behind one small interface: queries and passages in, unit vectors out."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.text.script import to_simplified
from index.vector.cache import EmbeddingCache, content_key
from index.vector.e5.model_folder import MAX_SEQ_LENGTH, MODEL_NAME, load_encoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BATCH_SIZE = 32
QUERY_CACHE_SIZE = 1024
# What any text is cut to before a model sees it. e5's window is MAX_SEQ_LENGTH tokens
# (sentence-transformers truncates to it), and no XLM-R piece is longer than 16 characters,
# so the cut changes no vector; it only spares tokenizing megabytes to keep 512 tokens (USE's
# pure-Python tokenizer and its numpy forward pass grow with the whole text: a 20 MB
# passage asked numpy for 50 GiB).
MAX_INPUT_CHARS = MAX_SEQ_LENGTH * 16


class Encoder:
    """multilingual-e5-small with its `query: ` / `passage: ` prompts.

    Chinese reaches the model in simplified characters (text/script.py), whatever script it
    was written in: e5 reads 江門 and 江门 differently (the 56 qa_set questions and their
    OpenCC s2hk twins: cosine 0.965 on average, and the e5 top-5 differs for 52 of them),
    so without this a traditional question would rank and answer differently.

    The model loads on first use (about a second), so processes that only serve keyword
    search, or forked workers that already have it, pay nothing.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.name = MODEL_NAME
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start
                self._model = load_encoder(self.data_dir)
            return self._model

    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension() or 384)

    def encode_query(self, text: str) -> np.ndarray:
        text = to_simplified(text)
        with self._cache_lock:  # threaded servers share this LRU
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
        vector = self._encode([text[:MAX_INPUT_CHARS]], "query")[0]
        with self._cache_lock:
            self._queries[text] = vector
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def encode_passages(
        self,
        texts: Sequence[str],
        cache: EmbeddingCache | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors for `texts`; only texts missing from `cache` are run through the model."""
        # Keyed by the text the model reads: a traditional passage shares its simplified
        # twin's vector, and no vector made before normalisation is read again.
        keys = [content_key(self.name, "passage", to_simplified(t)) for t in texts]
        out = np.zeros((len(texts), 0), dtype=np.float32)
        found = {i: cache.get(k) for i, k in enumerate(keys)} if cache else {}
        # The same text twice (a repeated boilerplate paragraph) is run through the model once.
        first_of: dict[str, int] = {}
        for i in range(len(texts)):
            if found.get(i) is None:
                first_of.setdefault(keys[i], i)
        missing = sorted(first_of.values())
        if on_progress and len(texts) > len(missing):
            on_progress(len(texts) - len(missing))
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), BATCH_SIZE):
            batch = missing[start:start + BATCH_SIZE]
            vectors = self._encode([texts[i][:MAX_INPUT_CHARS] for i in batch], "passage")
            for i, vector in zip(batch, vectors):
                fresh[keys[i]] = vector
                if cache is not None:
                    cache.put(keys[i], vector)
            if on_progress:
                on_progress(len(batch))
        rows = [row if (row := found.get(i)) is not None else fresh[keys[i]] for i in range(len(texts))]
        if rows:
            out = np.stack(rows).astype(np.float32)
        return out

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        """The one way into the model (subclasses and benchmarks' priming included)."""
        vectors = self.model.encode(
            [to_simplified(t) for t in texts],
            prompt_name=prompt_name,
            batch_size=BATCH_SIZE,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
