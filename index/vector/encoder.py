"""The embedding model behind one small interface: queries and passages in, unit vectors out."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.env import EMBEDDING_BACKENDS, embedding_backend
from index.text.script import to_simplified
from index.vector.cache import EmbeddingCache, content_key
from index.vector.e5.int8_export import INT8_MODEL_NAME
from index.vector.e5.model_folder import MAX_SEQ_LENGTH, MODEL_NAME, load_encoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.vector.e5.openvino_runtime import OpenVinoEmbedder

BATCH_SIZE = 32
QUERY_CACHE_SIZE = 1024
# What any text is cut to before a model sees it. e5's window is MAX_SEQ_LENGTH tokens
# (sentence-transformers truncates to it), and no XLM-R piece is longer than 16 characters,
# so the cut changes no vector; it only spares tokenizing megabytes to keep 512 tokens (USE's
# pure-Python tokenizer and its numpy forward pass grow with the whole text: a 20 MB
# passage asked numpy for 50 GiB).
MAX_INPUT_CHARS = MAX_SEQ_LENGTH * 16
DIMENSION = 384  # multilingual-e5-small's hidden size
# Inference threads of this process (0: the runtime's default, every core); gunicorn
# workers set their share after forking (set_inference_threads).
_threads = 0


def set_inference_threads(threads: int) -> None:
    """How many threads each model call may use in this process, for both backends."""
    global _threads
    _threads = threads
    import sys

    if "torch" in sys.modules:  # never import torch just to configure it
        sys.modules["torch"].set_num_threads(threads)


class Encoder:
    """multilingual-e5-small with its `query: ` / `passage: ` prompts.

    Chinese reaches the model in simplified characters (text/script.py), whatever script it
    was written in: e5 reads 江門 and 江门 differently (the 56 qa_set questions and their
    OpenCC s2hk twins: cosine 0.965 on average, and the e5 top-5 differs for 52 of them),
    so without this a traditional question would rank and answer differently.

    Two backends give the same vectors (cosine >= 0.9999): `openvino` (the default, the
    OpenVINO export of e5/openvino_export.py, built once into DATA_DIR/models/) and
    `torch` (sentence-transformers on the converted folder, the reference). Both share the
    model name, so vectors cached by one serve the other. The model loads on first use,
    so processes that only serve keyword search pay nothing.
    """

    def __init__(self, data_dir: Path, backend: str | None = None) -> None:
        self.data_dir = data_dir
        self.backend = backend or embedding_backend()
        if self.backend not in EMBEDDING_BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(EMBEDDING_BACKENDS)}, not {self.backend!r}")
        # The name keys every cached vector: int8 vectors (cosine ~0.997 to fp32) get their
        # own, so switching EMBEDDING_BACKEND never mixes them with fp32 ones in an index.
        self.name = INT8_MODEL_NAME if self.backend == "int8" else MODEL_NAME
        self._model: SentenceTransformer | None = None
        self._fast: OpenVinoEmbedder | None = None
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

    @property
    def fast_model(self) -> OpenVinoEmbedder:
        with self._lock:
            if self._fast is None and self.backend == "int8":
                from index.vector.e5.int8_export import ensure_int8_export
                from index.vector.e5.onnx_runtime import OnnxInt8Embedder

                self._fast = OnnxInt8Embedder(ensure_int8_export(self.data_dir), _threads)
            elif self._fast is None:
                from index.vector.e5.openvino_export import ensure_openvino_export
                from index.vector.e5.openvino_runtime import OpenVinoEmbedder

                self._fast = OpenVinoEmbedder(ensure_openvino_export(self.data_dir), _threads)
            self._fast.threads = _threads
            return self._fast

    def dimension(self) -> int:
        return DIMENSION

    def prepare_process(self) -> None:
        """Run the model once in this process, uncached. A gunicorn worker calls it right
        after the fork: OpenVINO's compiled model does not survive a fork, and compiling
        it again took ~5 s, which the worker's first request would otherwise wait for."""
        self._encode(["预热 warm-up"], "query")

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
        # Longest first, in batches of similar length, so little of each batch is padding.
        missing = sorted(first_of.values(), key=lambda i: -len(texts[i]))
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
        texts = [to_simplified(t) for t in texts]
        if self.backend != "torch":
            return self.fast_model.encode(texts, prompt_name, BATCH_SIZE)
        vectors = self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=BATCH_SIZE,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
