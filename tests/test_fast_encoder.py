"""The OpenVINO encoder (the default) against the sentence-transformers one (the
reference): same vectors on real sentences, an export built once and reused, and a
compiled model that still works in a forked worker (gunicorn preloads, then forks)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from index import Encoder, load_corpus, split_passages, split_sentences
from index.vector.e5.openvino_export import MARKER_FILE, ensure_openvino_export, export_folder, is_current_export

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_COSINE = 0.99  # the bar; fp32 here gives 1.00000, OpenVINO's bf16 0.99999
QUESTIONS = [
    "江门前三季度地区生产总值是多少？",
    "新会区有多少家专精特新企业？",
    "What was Jiangmen's GDP in the first three quarters?",
    "When did CALB's Jiangmen base start production?",
]


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    """Every passage of the bundled corpus and a sample of its sentences, long and short."""
    documents = load_corpus([REPO_ROOT / "corpus"]).documents
    passages = [p.text for d in documents for p in split_passages(d)]
    sentences = sorted({s.text for text in passages for s in split_sentences(text)})
    return passages + sentences[::4]


@pytest.fixture(scope="module")
def fast(test_data_dir: Path) -> Encoder:
    return Encoder(test_data_dir, backend="openvino")


@pytest.fixture(scope="module")
def reference(test_data_dir: Path) -> Encoder:
    return Encoder(test_data_dir, backend="torch")


def test_fast_encoder_agrees_with_sentence_transformers(fast: Encoder, reference: Encoder, real_texts: list[str]):
    got = fast.encode_passages(real_texts)
    want = reference.encode_passages(real_texts)
    assert got.shape == want.shape == (len(real_texts), 384)
    cosines = np.sum(got * want, axis=1)
    assert cosines.min() >= MIN_COSINE, real_texts[int(cosines.argmin())]
    queries = np.stack([fast.encode_query(q) for q in QUESTIONS])
    reference_queries = np.stack([reference.encode_query(q) for q in QUESTIONS])
    assert np.sum(queries * reference_queries, axis=1).min() >= MIN_COSINE
    # Same passage first for every question, as the search would rank them.
    assert ((queries @ got.T).argmax(axis=1) == (reference_queries @ want.T).argmax(axis=1)).all()


def test_export_is_built_once_and_rebuilt_when_stale(test_data_dir: Path, fast: Encoder):
    fast.encode_query("江门")  # the export exists from here on
    folder = ensure_openvino_export(test_data_dir)
    assert folder == export_folder(test_data_dir) and is_current_export(folder)
    before = (folder / "model.bin").stat().st_mtime_ns
    assert ensure_openvino_export(test_data_dir) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == before  # reused, not rebuilt
    (folder / MARKER_FILE).write_text('{"export_version": 0}', encoding="utf-8")
    assert not is_current_export(folder)
    assert ensure_openvino_export(test_data_dir) == folder
    assert is_current_export(folder) and (folder / "model.bin").stat().st_mtime_ns != before


def test_forked_worker_encodes_like_its_parent(fast: Encoder):
    """A compiled model's threads do not survive fork: the child compiles its own."""
    text = "前三季度地区生产总值为2810.29亿元，同比增长5.3%。"
    parent = fast.encode_passages([text])[0]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer with its vector, never return into pytest
        try:
            os.write(write, fast.encode_passages([text])[0].astype(np.float32).tobytes())
        finally:
            os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    child = np.frombuffer(data, dtype=np.float32)
    assert child.shape == parent.shape and float(child @ parent) > 0.99999


def test_unknown_backend_is_a_clear_error(test_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ValueError, match="openvino, torch"):
        Encoder(test_data_dir, backend="cuda")
    monkeypatch.setenv("EMBEDDING_BACKEND", "onnx")
    with pytest.raises(ValueError, match="EMBEDDING_BACKEND"):
        Encoder(test_data_dir)
