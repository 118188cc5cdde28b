"""The encoder the answerer reads an English question with, against Chinese sentences:
e5 with the adapter of e5/english_questions.py merged in.

It embeds questions only (the sentences keep the build's e5 vectors). It runs on OpenVINO
whatever EMBEDDING_BACKEND says, except `torch`, the reference: the int8 backend exists to
make builds of big corpora cheaper, and one question at a time gains nothing from it.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.vector.e5.english_questions import (
    ADAPTER_DIR,
    TUNED_MODEL_NAME,
    ensure_tuned_export,
    load_tuned_encoder,
)
from index.vector.encoder import Encoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class EnglishQuestionEncoder(Encoder):
    def __init__(self, data_dir: Path, backend: str | None = None, adapter: Path = ADAPTER_DIR) -> None:
        super().__init__(data_dir, backend)
        if self.backend == "int8":
            self.backend = "openvino"
        self.name = TUNED_MODEL_NAME
        self.adapter = adapter

    def cosines(self, question: str, sentence_vectors: np.ndarray) -> np.ndarray:
        """The question's tuned cosine to each of e5's `sentence_vectors`."""
        return sentence_vectors @ self.encode_query(question)

    def _inference_threads(self) -> int:
        """One: it embeds one short question at a time. And a forked gunicorn worker that
        compiled e5 with more than one thread hung compiling this second model
        (ITaskExecutor::run_and_wait in OpenVINO 2026.4; tests/test_english_question_encoder.py)."""
        return 1

    def _load_torch_model(self) -> SentenceTransformer:
        return load_tuned_encoder(self.data_dir, self.adapter)

    def _openvino_folder(self) -> Path:
        return ensure_tuned_export(self.data_dir, self.adapter)
