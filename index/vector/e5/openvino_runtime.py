"""Embedding with the OpenVINO export: the `tokenizers` tokenizer, the compiled model,
masked mean pooling and L2 normalisation, exactly what sentence-transformers does with
the converted folder (cosine 1.00000 to it in fp32; tests/test_fast_encoder.py).

OpenVINO picks its inference precision per CPU: bf16 where the CPU has it (cosine
0.99999 to fp32 when measured), fp32 elsewhere. A compiled model belongs to the process
that compiled it (its thread pool does not survive fork), so a gunicorn worker forked
after the master warmed up compiles its own from the model read before the fork.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.vector.e5.openvino_export import MODEL_XML


class OpenVinoEmbedder:
    def __init__(self, folder: Path, threads: int = 0, model_file: str | None = MODEL_XML) -> None:
        """`model_file` None: a subclass brings its own runtime (forward_batches)."""
        from tokenizers import Tokenizer

        settings = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        st_config = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts: dict[str, str] = st_config["prompts"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(settings["max_seq_length"]))
        pad_id = self.tokenizer.token_to_id("<pad>")
        self.tokenizer.enable_padding(pad_id=pad_id if pad_id is not None else 1, pad_token="<pad>")
        self.threads = threads
        if model_file is not None:
            import openvino as ov

            self._core = ov.Core()
            self._graph = self._core.read_model(str(folder / model_file))
        self._compiled: tuple[int, Any] | None = None  # (pid, compiled model)
        self._lock = threading.Lock()

    def compiled(self) -> Any:
        """This process's compiled model (compiled on first use, again after a fork)."""
        with self._lock:
            if self._compiled is None or self._compiled[0] != os.getpid():
                self._compiled = (os.getpid(), self._core.compile_model(self._graph, "CPU", self.compile_config()))
            return self._compiled[1]

    def compile_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = self.threads
        return config

    def forward_batches(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """(input_ids, attention_mask) -> last hidden state, for one `encode` call (an
        infer request is not shared between threads)."""
        compiled = self.compiled()
        request = compiled.create_infer_request()
        output = compiled.output(0)
        return lambda ids, mask: request.infer({"input_ids": ids, "attention_mask": mask})[output]

    def encode(self, texts: Sequence[str], prompt_name: str, batch_size: int) -> np.ndarray:
        """Unit vectors of `prompt + text`; texts are batched by length, as
        sentence-transformers does, so short ones are not padded to long ones."""
        prompt = self.prompts[prompt_name]
        out = np.zeros((len(texts), 0), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        forward = self.forward_batches()
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            encodings = self.tokenizer.encode_batch([prompt + texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = forward(ids, mask)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            if not out.shape[1]:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out
