"""Embedding with the int8 export (e5/int8_export.py) through onnxruntime: the OpenVINO
runtime's tokenizer, masked mean pooling and L2 normalisation around an
onnxruntime session instead of a compiled OpenVINO model.

Like a compiled OpenVINO model, a session's thread pool does not survive fork, so a
gunicorn worker forked after the master warmed up opens its own.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.vector.e5.int8_export import MODEL_ONNX
from index.vector.e5.openvino_runtime import OpenVinoEmbedder


class OnnxInt8Embedder(OpenVinoEmbedder):
    def __init__(self, folder: Path, threads: int = 0) -> None:
        super().__init__(folder, threads, model_file=None)
        self._model_path = folder / MODEL_ONNX
        self._session: tuple[int, Any] | None = None  # (pid, session)

    def session(self) -> Any:
        """This process's session (opened on first use, again after a fork)."""
        import onnxruntime as ort

        with self._lock:
            if self._session is None or self._session[0] != os.getpid():
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads  # 0: onnxruntime's default, every core
                options.inter_op_num_threads = 1
                session = ort.InferenceSession(str(self._model_path), options, providers=["CPUExecutionProvider"])
                self._session = (os.getpid(), session)
            return self._session[1]

    def forward_batches(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        session = self.session()  # run() may be called from several threads at once
        return lambda ids, mask: np.asarray(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
