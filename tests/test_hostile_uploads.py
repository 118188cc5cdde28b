"""Uploads that once stopped every later build (issue 15): huge documents in any script.

The 20 MB documents go through the real upload path and the real splitter; the encoders
get a 20 MB text directly. A full build of 4 x 20 MB (some 100,000 passages, two encoders)
takes hours on the two-core test machines, so the build test uploads the same kinds of
text at a smaller size and checks that it and the next build succeed.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from index import SearchEngine, UseEncoder, build_index, ingest_files, load_corpus, run_pending_builds, split_passages
from index.corpus.passages import MAX_PASSAGE_CHARS
from index.storage.layout import DataLayout
from index.vector.encoder import MAX_INPUT_CHARS
from tests.conftest import BUNDLED_CORPUS, share_caches
from tests.hostile_text import SCRIPTS, large_text

TWENTY_MB = 20_000_000


@pytest.mark.parametrize("script", [*SCRIPTS, "run-of-a"])
def test_a_20_mb_upload_in_any_script_splits_into_bounded_passages(tmp_path: Path, script: str) -> None:
    data = tmp_path / "data"
    ingest_files(data, [(f"{script}.md", large_text(script, TWENTY_MB).encode("utf-8"))], set())
    [stored] = load_corpus([DataLayout(data).added]).documents
    passages = split_passages(stored)
    assert max(len(p.text) for p in passages) <= MAX_PASSAGE_CHARS
    assert max(len(p.title) + len(p.heading) for p in passages) <= 2 * MAX_PASSAGE_CHARS
    # Nothing is lost: whatever no passage holds is whitespace between them.
    covered = 0
    for p in sorted(passages, key=lambda p: p.start):
        assert not stored.text[covered:p.start].strip(), (covered, p.start)
        covered = max(covered, p.end)
    assert not stored.text[covered:].strip()


def test_the_encoders_cut_any_text_to_their_window(encoder, test_data_dir: Path) -> None:
    text = large_text("latin", TWENTY_MB)
    for model in (encoder, UseEncoder(test_data_dir)):
        model.encode_query("the model loads first")  # only the encoding is timed
        started = time.monotonic()
        whole = model.encode_passages([text])[0]
        assert time.monotonic() - started < 60, model.name
        assert np.allclose(whole, model.encode_passages([text[:MAX_INPUT_CHARS]])[0], atol=1e-5)
    # e5's window is 512 tokens, which half of MAX_INPUT_CHARS of these words already fills:
    # the model sees the same tokens whatever follows.
    half = encoder.encode_passages([text[:MAX_INPUT_CHARS // 2]])[0]
    assert np.allclose(encoder.encode_passages([text])[0], half, atol=1e-5)


def test_large_uploads_in_four_scripts_build_and_so_do_later_builds(tmp_path: Path, test_data_dir: Path,
                                                                    encoder) -> None:
    data = tmp_path / "data"
    data.mkdir()
    share_caches(test_data_dir, data)
    build_index(BUNDLED_CORPUS, data, encoder=encoder)
    uploads = [(f"{script}.md", large_text(script, 30_000, seed=7).encode("utf-8")) for script in SCRIPTS]
    uploads.append(("run-of-a.md", large_text("run-of-a", 200_000).encode("utf-8")))
    ingest_files(data, uploads, set())
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    engine = SearchEngine(data, encoder=encoder)
    assert {d.id for d in engine.documents()} >= {"latin", "cyrillic", "hangul", "cjk", "run-of-a"}
    assert max(len(p.text) for p in engine.build.passages) <= MAX_PASSAGE_CHARS

    ingest_files(data, [("later.md", "---\nid: later\n---\n新会陈皮村迎来新的一年。\n".encode())], set())
    assert run_pending_builds(BUNDLED_CORPUS, data) == 1
    engine.refresh()
    assert engine.document("later") is not None and engine.document("hangul") is not None
