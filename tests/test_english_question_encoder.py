"""The answerer's English question encoder (index/vector/e5/english_questions.py): the
versioned adapter merged into an OpenVINO export that agrees with the torch reference, an
export rebuilt when the adapter changes, and the answerer reading English questions over
Chinese sentences with it (and only those)."""
from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from index import (
    DEFAULT_TUNING,
    ENGLISH_QUESTION_ADAPTER,
    Encoder,
    EnglishQuestionEncoder,
    SearchEngine,
    score_sentences,
)
from index.vector.e5.english_questions import ADAPTER_FILES, ensure_tuned_export, expected_tuned_marker
from index.vector.e5.openvino_export import is_current_export

MIN_COSINE = 0.99  # as tests/test_fast_encoder.py: OpenVINO's bf16 against torch's fp32
QUESTIONS = [
    "What was Jiangmen's GDP in the first three quarters?",
    "How many specialised and sophisticated SMEs does Xinhui have?",
    "When did CALB's Jiangmen base start production?",
    "Which companies invested in the new energy storage industry?",
]


@pytest.fixture(scope="module")
def tuned(test_data_dir: Path) -> EnglishQuestionEncoder:
    return EnglishQuestionEncoder(test_data_dir)


def test_the_adapter_is_versioned_with_the_code():
    assert all((ENGLISH_QUESTION_ADAPTER / name).is_file() for name in ADAPTER_FILES)
    # LoRA weights only: a few MB, not a copy of e5 (470 MB in fp32).
    assert (ENGLISH_QUESTION_ADAPTER / "adapter_model.safetensors").stat().st_size < 8_000_000


def test_openvino_export_agrees_with_the_torch_reference(test_data_dir: Path, tuned: EnglishQuestionEncoder):
    reference = EnglishQuestionEncoder(test_data_dir, backend="torch")
    got = np.stack([tuned.encode_query(q) for q in QUESTIONS])
    want = np.stack([reference.encode_query(q) for q in QUESTIONS])
    assert np.sum(got * want, axis=1).min() >= MIN_COSINE


def test_the_tuned_encoder_reads_questions_differently_from_e5(encoder: Encoder, tuned: EnglishQuestionEncoder):
    """The adapter is really merged: the same question gets another vector (a merge that
    did nothing would leave cosine 1.0)."""
    cosines = [float(encoder.encode_query(q) @ tuned.encode_query(q)) for q in QUESTIONS]
    assert max(cosines) < 0.995, cosines
    assert min(cosines) > 0.5, cosines  # tuned, not replaced: still e5's space


def test_export_is_rebuilt_for_another_adapter(test_data_dir: Path, tuned: EnglishQuestionEncoder, tmp_path: Path):
    tuned.encode_query("How large is the park?")  # the export exists from here on
    folder = ensure_tuned_export(test_data_dir)
    assert is_current_export(folder, expected_tuned_marker(ENGLISH_QUESTION_ADAPTER))
    other = tmp_path / "adapter"
    shutil.copytree(ENGLISH_QUESTION_ADAPTER, other)
    config = other / "adapter_config.json"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # another file, same weights
    assert not is_current_export(folder, expected_tuned_marker(other))


def test_answerer_reads_english_questions_over_chinese_with_it(engine: SearchEngine):
    question = QUESTIONS[0]
    result = engine.search(question, k=6, facets=False)
    assert result.plan is not None and result.plan.lang == "en"
    scored = score_sentences(engine, result.plan, result.hits, DEFAULT_TUNING)
    chinese = [s for s in scored if s.hit.passage.lang == "zh"]
    assert chinese
    vectors = engine.embed_sentences([s.sentence.text for s in chinese])
    tuned_cosines = vectors @ engine.english_question_encoder.encode_query(question)
    e5_cosines = vectors @ engine.embed_question(question)
    # The tuned cosine picks the sentence; e5's own cosine stays for the decision to answer.
    assert np.allclose([s.similarity for s in chinese], tuned_cosines, atol=1e-5)
    assert np.allclose([s.e5_similarity for s in chinese], e5_cosines, atol=1e-5)
    assert not np.allclose(tuned_cosines, e5_cosines, atol=1e-3)
    for s, e5 in zip(chinese, e5_cosines):
        assert s.decision_score == pytest.approx(s.score - s.similarity + e5, abs=1e-5)


def test_chinese_questions_keep_e5(engine: SearchEngine):
    question = "江门前三季度地区生产总值是多少？"
    result = engine.search(question, k=6, facets=False)
    assert result.plan is not None
    scored = score_sentences(engine, result.plan, result.hits, DEFAULT_TUNING)
    vectors = engine.embed_sentences([s.sentence.text for s in scored])
    assert np.allclose([s.similarity for s in scored], vectors @ engine.embed_question(question), atol=1e-5)
    assert all(s.e5_similarity is None and s.decision_score == s.score for s in scored)


def test_forked_worker_compiles_both_models(encoder: Encoder, tuned: EnglishQuestionEncoder):
    """gunicorn's worker compiles e5 and then the tuned model after the fork. With the
    tuned one on several threads, OpenVINO hung in that second compile; the child must
    answer within the minute."""
    question = QUESTIONS[0]
    parent = tuned.encode_query(question)
    encoder.prepare_process()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: e5 first, as post_fork does, then the tuned model; never return into pytest
        try:
            encoder.prepare_process()
            tuned.prepare_process()
            os.write(write, tuned._encode([question], "query")[0].astype(np.float32).tobytes())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung compiling the English question encoder")
        time.sleep(0.2)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    child = np.frombuffer(data, dtype=np.float32)
    assert child.shape == parent.shape and float(child @ parent) > 0.9999
