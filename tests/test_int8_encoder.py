"""The int8 encoder (EMBEDDING_BACKEND=int8: onnxruntime's dynamic int8 of e5) against
sentence-transformers fp32: close vectors on real passages and questions, the same top
passage, an export built once, and a build that embeds with it and keeps its vectors
apart from fp32 ones."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import Encoder, build_index, load_corpus, split_passages, split_sentences
from index.vector.e5.int8_export import INT8_MODEL_NAME, MARKER_FILE, MODEL_ONNX, ensure_int8_export, is_current_int8
from index.vector.e5.model_folder import MODEL_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_COSINE = 0.99  # issue 13's bar for int8; measured 0.995 min, 0.997 mean on XQuAD passages
QUESTIONS = [
    "江门前三季度地区生产总值是多少？",
    "新会区有多少家专精特新企业？",
    "What was Jiangmen's GDP in the first three quarters?",
    "When did CALB's Jiangmen base start production?",
]


@pytest.fixture(scope="module")
def passages() -> list[str]:
    documents = load_corpus([REPO_ROOT / "corpus"]).documents
    return [p.text for d in documents for p in split_passages(d)]


@pytest.fixture(scope="module")
def int8(test_data_dir: Path) -> Encoder:
    return Encoder(test_data_dir, backend="int8")


@pytest.fixture(scope="module")
def reference(test_data_dir: Path) -> Encoder:
    return Encoder(test_data_dir, backend="torch")


def test_int8_vectors_are_close_to_fp32(int8: Encoder, reference: Encoder, passages: list[str]):
    sentences = sorted({s.text for text in passages for s in split_sentences(text)})[::6]
    texts = passages + sentences
    got, want = int8.encode_passages(texts), reference.encode_passages(texts)
    assert got.shape == want.shape == (len(texts), 384)
    cosines = np.sum(got * want, axis=1)
    assert cosines.min() >= MIN_COSINE, texts[int(cosines.argmin())]
    assert cosines.mean() < 0.99999  # really the quantised model, not fp32 under another name
    queries = np.stack([int8.encode_query(q) for q in QUESTIONS])
    reference_queries = np.stack([reference.encode_query(q) for q in QUESTIONS])
    assert np.sum(queries * reference_queries, axis=1).min() >= MIN_COSINE
    # The passage each question ranks first is the fp32 one.
    got_p, want_p = got[:len(passages)], want[:len(passages)]
    assert ((queries @ got_p.T).argmax(axis=1) == (reference_queries @ want_p.T).argmax(axis=1)).all()


def test_int8_export_is_built_once_and_rebuilt_when_stale(test_data_dir: Path, int8: Encoder):
    int8.encode_query("江门")  # the export exists from here on
    folder = ensure_int8_export(test_data_dir)
    assert is_current_int8(folder) and not (folder / "model_fp32.onnx").exists()
    before = (folder / MODEL_ONNX).stat().st_mtime_ns
    assert ensure_int8_export(test_data_dir) == folder
    assert (folder / MODEL_ONNX).stat().st_mtime_ns == before  # reused, not rebuilt
    (folder / MARKER_FILE).write_text('{"export_version": 0}', encoding="utf-8")
    assert not is_current_int8(folder)
    assert ensure_int8_export(test_data_dir) == folder
    assert is_current_int8(folder) and (folder / MODEL_ONNX).stat().st_mtime_ns != before


def test_build_embeds_with_int8_and_keeps_its_vectors_apart(
    tmp_path: Path, test_data_dir: Path, int8: Encoder, monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("SECOND_ENCODER", "off")  # USE is not what this is about
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to((test_data_dir / "models").resolve(), target_is_directory=True)
    build_index(REPO_ROOT / "corpus", data, encoder=int8)
    manifest = json.loads(next((data / "builds").glob("*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["model"] == INT8_MODEL_NAME
    caches = sorted(p.name for p in (data / "cache").glob("passages-*.npz"))
    assert f"passages-{INT8_MODEL_NAME}.npz" in caches
    assert f"passages-{MODEL_NAME}.npz" not in caches  # no fp32 vector was made or read


def test_the_switch_names_the_vectors(test_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EMBEDDING_BACKEND", "int8")
    assert Encoder(test_data_dir).name == INT8_MODEL_NAME
    monkeypatch.setenv("EMBEDDING_BACKEND", "openvino")
    assert Encoder(test_data_dir).name == MODEL_NAME
